package broker

import (
	"context"
	"fmt"
	"slices"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
)

// sarTimeout bounds the wait for a new grant to be live at the API server
// (its RBAC informer picks the binding up within milliseconds normally).
const sarTimeout = 10 * time.Second

// grantName names the Role/ClusterRole and binding of a request.
func grantName(request string) string { return "k9s-guard:" + request }

func ownerRef(req *v1alpha1.ElevationRequest) []metav1.OwnerReference {
	return []metav1.OwnerReference{{
		APIVersion: v1alpha1.SchemeGroupVersion.String(),
		Kind:       "ElevationRequest",
		Name:       req.Name,
		UID:        req.UID,
		Controller: new(true),
	}}
}

// grant creates, per namespace of the request's rules, a Role and a
// RoleBinding to the user (a ClusterRole and ClusterRoleBinding for
// cluster-wide rules), owned by the request so that garbage collection
// removes them with it; then waits until a SubjectAccessReview for the
// user confirms every rule is live.
func (b *Broker) grant(ctx context.Context, req *v1alpha1.ElevationRequest) error {
	name := grantName(req.Name)
	meta := func(ns string) metav1.ObjectMeta {
		return metav1.ObjectMeta{
			Name: name, Namespace: ns, OwnerReferences: ownerRef(req),
			Labels: map[string]string{labelManagedBy: managedBy, v1alpha1.LabelRequest: req.Name, v1alpha1.LabelUser: userHash(req.Spec.User)},
		}
	}
	subject := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: req.Spec.User}}
	rbac := b.kube.RbacV1()
	byNS := grantRules(&req.Spec)
	namespaces := slices.Sorted(func(yield func(string) bool) {
		for ns := range byNS {
			if !yield(ns) {
				return
			}
		}
	})
	for _, ns := range namespaces {
		rules := byNS[ns]
		var err error
		if ns == "" {
			_, err = rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: meta(""), Rules: rules}, metav1.CreateOptions{})
			if err == nil {
				_, err = rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
					ObjectMeta: meta(""), Subjects: subject,
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
				}, metav1.CreateOptions{})
			}
		} else {
			_, err = rbac.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: meta(ns), Rules: rules}, metav1.CreateOptions{})
			if err == nil {
				_, err = rbac.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
					ObjectMeta: meta(ns), Subjects: subject,
					RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
				}, metav1.CreateOptions{})
			}
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create grant %s in %q: %w", name, ns, err)
		}
	}
	return b.waitLive(ctx, req)
}

// waitLive polls SubjectAccessReviews until every verb on every named
// object of the request is allowed for the user.
func (b *Broker) waitLive(ctx context.Context, req *v1alpha1.ElevationRequest) error {
	ctx, cancel := context.WithTimeout(ctx, sarTimeout)
	defer cancel()
	type check struct {
		attrs authorizationv1.ResourceAttributes
	}
	var checks []check
	for _, r := range req.Spec.Rules {
		res, sub, _ := cutSub(r.Resource)
		names := r.Names
		if len(names) == 0 {
			names = []string{""}
		}
		for _, v := range r.Verbs {
			for _, n := range names {
				checks = append(checks, check{authorizationv1.ResourceAttributes{Namespace: r.Namespace, Verb: v, Group: r.APIGroup, Resource: res, Subresource: sub, Name: n}})
			}
		}
	}
	delay := 10 * time.Millisecond
	for _, c := range checks {
		for {
			sar, err := b.kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
				Spec: authorizationv1.SubjectAccessReviewSpec{User: req.Spec.User, ResourceAttributes: &c.attrs},
			}, metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("confirm grant with a SubjectAccessReview: %w", err)
			}
			if sar.Status.Allowed {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("grant never became live for %s %s: %w", c.attrs.Verb, c.attrs.Resource, ctx.Err())
			case <-time.After(delay):
			}
			delay = min(delay*2, 200*time.Millisecond)
		}
	}
	return nil
}

func cutSub(resource string) (res, sub string, ok bool) {
	for i := range len(resource) {
		if resource[i] == '/' {
			return resource[:i], resource[i+1:], true
		}
	}
	return resource, "", false
}

// revoke deletes a request's RBAC objects by name, namespace by namespace;
// it is idempotent and safe on any replica.
func (b *Broker) revoke(ctx context.Context, req *v1alpha1.ElevationRequest) {
	name := grantName(req.Name)
	rbac := b.kube.RbacV1()
	ignore := func(err error) {
		if err != nil && !apierrors.IsNotFound(err) {
			b.cfg.Logf("broker %s: revoke %s: %v", b.cfg.Identity, name, err)
		}
	}
	for ns := range grantRules(&req.Spec) {
		if ns == "" {
			ignore(rbac.ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{}))
			ignore(rbac.ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{}))
			continue
		}
		ignore(rbac.RoleBindings(ns).Delete(ctx, name, metav1.DeleteOptions{}))
		ignore(rbac.Roles(ns).Delete(ctx, name, metav1.DeleteOptions{}))
	}
}

// reconcileOrphans removes grants whose request is gone (deleted while no
// replica was watching) or already past its expiry; the leader runs it as
// soon as it takes the Lease.
func (b *Broker) reconcileOrphans(ctx context.Context) {
	sel := labels.SelectorFromSet(labels.Set{labelManagedBy: managedBy}).String()
	live := func(request string) bool {
		req, err := b.cachedRequest(request)
		return err == nil && req != nil && (req.Status.ExpiresAt == nil || b.cfg.Now().Before(req.Status.ExpiresAt.Time))
	}
	rbac := b.kube.RbacV1()
	opts := metav1.ListOptions{LabelSelector: sel}
	if l, err := rbac.RoleBindings("").List(ctx, opts); err == nil {
		for _, o := range l.Items {
			if !live(o.Labels[v1alpha1.LabelRequest]) {
				_ = rbac.RoleBindings(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{}) //nolint:errcheck // best effort; GC follows
				_ = rbac.Roles(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{})        //nolint:errcheck // best effort; GC follows
			}
		}
	}
	if l, err := rbac.ClusterRoleBindings().List(ctx, opts); err == nil {
		for _, o := range l.Items {
			if !live(o.Labels[v1alpha1.LabelRequest]) {
				_ = rbac.ClusterRoleBindings().Delete(ctx, o.Name, metav1.DeleteOptions{}) //nolint:errcheck // best effort; GC follows
				_ = rbac.ClusterRoles().Delete(ctx, o.Name, metav1.DeleteOptions{})        //nolint:errcheck // best effort; GC follows
			}
		}
	}
}
