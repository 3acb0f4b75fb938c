package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
)

func metav1ObjectMeta(name, ns string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns}
}

func fromUnstructured[T any](u *unstructured.Unstructured) (*T, error) {
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return out, nil
}

func toUnstructured(gvk string, obj any) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(v1alpha1.SchemeGroupVersion.String())
	u.SetKind(gvk)
	return u, nil
}

// cachedRequest returns the informer's copy of a request, or nil.
func (b *Broker) cachedRequest(name string) (*v1alpha1.ElevationRequest, error) {
	o, ok, err := b.requests.GetStore().GetByKey(name)
	if err != nil || !ok {
		return nil, err
	}
	u, _ := o.(*unstructured.Unstructured)
	if u == nil {
		return nil, nil
	}
	return fromUnstructured[v1alpha1.ElevationRequest](u)
}

// handleRequest claims a new request and decides it. The claim is an
// Update with the resourceVersion the informer saw that also blanks the
// code: of two replicas only one succeeds, and the code is out of the
// stored object before it is checked.
func (b *Broker) handleRequest(ctx context.Context, name string) error {
	req, err := b.cachedRequest(name)
	if err != nil || req == nil {
		return err
	}
	if req.Status.Phase != "" || req.Annotations[v1alpha1.AnnotationClaimedBy] != "" || !req.DeletionTimestamp.IsZero() {
		return nil
	}
	code := req.Spec.Code
	claim := req.DeepCopy()
	if claim.Annotations == nil {
		claim.Annotations = map[string]string{}
	}
	claim.Annotations[v1alpha1.AnnotationClaimedBy] = b.cfg.Identity
	claim.Spec.Code = ""
	if narrowed(claim.Spec.Operation) {
		if claim.Labels == nil {
			claim.Labels = map[string]string{}
		}
		claim.Labels[v1alpha1.LabelNarrow] = "true"
	}
	u, err := toUnstructured("ElevationRequest", claim)
	if err != nil {
		return err
	}
	res := b.dyn.Resource(v1alpha1.ElevationRequests)
	upd, err := res.Update(ctx, u, metav1.UpdateOptions{})
	switch {
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
		return nil // another replica claimed it, or it is gone
	case err != nil:
		return fmt.Errorf("claim request %s: %w", name, err)
	}
	claimed, err := fromUnstructured[v1alpha1.ElevationRequest](upd)
	if err != nil {
		return err
	}
	status, verr := b.decide(ctx, claimed, code)
	if verr != nil {
		// The grant could not be made; nothing of it may stay behind.
		b.revoke(context.WithoutCancel(ctx), claimed)
		status = v1alpha1.ElevationRequestStatus{Phase: v1alpha1.PhaseDenied, Reason: ReasonGrantFailed, Message: verr.Error()}
		b.cfg.Logf("broker %s: request %s: %v", b.cfg.Identity, name, verr)
	}
	claimed.Status = status
	if err := b.writeStatus(ctx, claimed); err != nil {
		b.revoke(context.WithoutCancel(ctx), claimed)
		return err
	}
	switch status.Phase {
	case v1alpha1.PhaseGranted:
		b.metrics.grants.Inc()
		b.metrics.timeToGrant.Observe(b.cfg.Now().Sub(claimed.CreationTimestamp.Time).Seconds())
		b.recorder.Eventf(claimed, corev1.EventTypeNormal, "Granted", "%s granted %s until %s", claimed.Spec.User, describe(&claimed.Spec), status.ExpiresAt.UTC().Format(time.RFC3339))
		b.cfg.Logf("broker %s: request %s: granted %s to %s", b.cfg.Identity, name, describe(&claimed.Spec), claimed.Spec.User)
	default:
		b.metrics.denials.WithLabelValues(status.Reason).Inc()
		if status.Reason == ReasonLockedOut {
			b.metrics.lockouts.Inc()
		}
		b.recorder.Eventf(claimed, corev1.EventTypeWarning, "Denied", "%s denied: %s", claimed.Spec.User, status.Message)
		b.cfg.Logf("broker %s: request %s: denied (%s)", b.cfg.Identity, name, status.Reason)
	}
	return nil
}

func describe(s *v1alpha1.ElevationRequestSpec) string {
	r := s.Rules[0]
	what := fmt.Sprintf("%v %s", r.Verbs, resourceName(r))
	if r.Namespace != "" {
		what += " in " + r.Namespace
	}
	if len(r.Names) > 0 {
		what += fmt.Sprintf(" %v", r.Names)
	}
	if len(s.Rules) > 1 {
		what += fmt.Sprintf(" and %d more rules", len(s.Rules)-1)
	}
	return what
}

func deny(reason, msg string) v1alpha1.ElevationRequestStatus {
	return v1alpha1.ElevationRequestStatus{Phase: v1alpha1.PhaseDenied, Reason: reason, Message: msg}
}

// decide runs the checks in order — shape, policy, code — then grants.
// The policy comes before the code so that a request no policy allows
// spends no attempt and consumes no code.
func (b *Broker) decide(ctx context.Context, req *v1alpha1.ElevationRequest, code string) (v1alpha1.ElevationRequestStatus, error) {
	if err := validateRequest(&req.Spec); err != nil {
		return deny(ReasonInvalid, err.Error()), nil
	}
	if err := b.policyAllows(ctx, &req.Spec); err != nil {
		if errors.Is(err, errNotAllowed) {
			return deny(ReasonNotAllowed, err.Error()), nil
		}
		return v1alpha1.ElevationRequestStatus{}, err
	}
	v, err := verifyCode(ctx, b.kube, b.cfg.Namespace, req.Spec.User, code, b.cfg.Now)
	if err != nil {
		return v1alpha1.ElevationRequestStatus{}, err
	}
	if !v.ok {
		return deny(v.reason, v.message), nil
	}
	if err := b.grant(ctx, req); err != nil {
		return v1alpha1.ElevationRequestStatus{}, err
	}
	now := b.cfg.Now()
	return v1alpha1.ElevationRequestStatus{
		Phase:     v1alpha1.PhaseGranted,
		GrantedAt: &metav1.Time{Time: now},
		ExpiresAt: &metav1.Time{Time: now.Add(req.Spec.Duration.Duration)},
		Role:      grantName(req.Name),
		Message:   "granted " + describe(&req.Spec),
	}, nil
}

// policyAllows looks for one ElevationPolicy that allows the whole request.
func (b *Broker) policyAllows(ctx context.Context, spec *v1alpha1.ElevationRequestSpec) error {
	var reasons []error
	for _, o := range b.policies.GetStore().List() {
		u, _ := o.(*unstructured.Unstructured)
		if u == nil {
			continue
		}
		p, err := fromUnstructured[v1alpha1.ElevationPolicy](u)
		if err != nil {
			return err
		}
		rules := p.Spec.Rules
		if p.Spec.ClusterRole != "" {
			cr, err := b.kube.RbacV1().ClusterRoles().Get(ctx, p.Spec.ClusterRole, metav1.GetOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("policy %s: clusterRole %s: %w", p.Name, p.Spec.ClusterRole, err)
			}
			if err == nil {
				rules = append(append([]rbacv1.PolicyRule(nil), rules...), cr.Rules...)
			}
		}
		err = allowedBy(&p.Spec, rules, spec)
		if err == nil {
			return nil
		}
		reasons = append(reasons, fmt.Errorf("policy %s: %w", p.Name, err))
	}
	if len(reasons) == 0 {
		return fmt.Errorf("%w: there is no ElevationPolicy", errNotAllowed)
	}
	if len(reasons) == 1 {
		return reasons[0]
	}
	return fmt.Errorf("%w (%d policies checked)", errNotAllowed, len(reasons))
}

func (b *Broker) writeStatus(ctx context.Context, req *v1alpha1.ElevationRequest) error {
	u, err := toUnstructured("ElevationRequest", req)
	if err != nil {
		return err
	}
	if _, err := b.dyn.Resource(v1alpha1.ElevationRequests).UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("write status of %s: %w", req.Name, err)
	}
	return nil
}

// requestDeleted revokes at once when a request goes (the client says the
// operation is done, or the window closed): garbage collection would get
// there too, but in its own time.
func (b *Broker) requestDeleted(ctx context.Context, o any) {
	if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	u, _ := o.(*unstructured.Unstructured)
	if u == nil {
		return
	}
	req, err := fromUnstructured[v1alpha1.ElevationRequest](u)
	if err != nil || req.Status.Phase != v1alpha1.PhaseGranted {
		return
	}
	go func() {
		b.revoke(ctx, req)
		if b.cfg.Now().Before(req.Status.ExpiresAt.Time) {
			b.metrics.revoked.Inc()
			b.recorder.Eventf(req, corev1.EventTypeNormal, "Revoked", "grant of %s to %s revoked", describe(&req.Spec), req.Spec.User)
		}
	}()
}

// lead runs on the leader: it reconciles at once (grants past their expiry,
// orphaned RBAC objects, abandoned claims), then keeps expiring grants on
// time until leadership ends.
func (b *Broker) lead(ctx context.Context) {
	b.reconcileOrphans(ctx)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		b.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Ages after which the leader tidies up.
const (
	claimTimeout   = 30 * time.Second
	keepDenied     = 10 * time.Minute
	keepEnrolments = time.Minute
)

func (b *Broker) sweep(ctx context.Context) {
	now := b.cfg.Now()
	for _, o := range b.requests.GetStore().List() {
		u, _ := o.(*unstructured.Unstructured)
		if u == nil {
			continue
		}
		req, err := fromUnstructured[v1alpha1.ElevationRequest](u)
		if err != nil {
			continue
		}
		switch {
		case req.Status.Phase == v1alpha1.PhaseGranted && req.Status.ExpiresAt != nil && !now.Before(req.Status.ExpiresAt.Time):
			b.expire(ctx, req)
		case req.Status.Phase == "" && req.Annotations[v1alpha1.AnnotationClaimedBy] != "" && now.Sub(req.CreationTimestamp.Time) > claimTimeout:
			// The replica that claimed it died before deciding.
			b.revoke(ctx, req)
			req.Status = deny(ReasonAbandoned, "the broker replica that checked this request stopped; try again")
			_ = b.writeStatus(ctx, req) //nolint:errcheck // retried on the next sweep
		case req.Status.Phase == v1alpha1.PhaseDenied && now.Sub(req.CreationTimestamp.Time) > keepDenied:
			_ = b.dyn.Resource(v1alpha1.ElevationRequests).Delete(ctx, req.Name, metav1.DeleteOptions{}) //nolint:errcheck // retried on the next sweep
		}
	}
	for _, o := range b.enrols.GetStore().List() {
		u, _ := o.(*unstructured.Unstructured)
		if u == nil {
			continue
		}
		if st, _, _ := unstructured.NestedString(u.Object, "status", "phase"); st != "" && now.Sub(u.GetCreationTimestamp().Time) > keepEnrolments {
			_ = b.dyn.Resource(v1alpha1.OTPEnrollments).Delete(ctx, u.GetName(), metav1.DeleteOptions{}) //nolint:errcheck // retried on the next sweep
		}
	}
}

// expire removes a grant whose window is over: the RBAC objects first, so
// the permission is gone before anything else happens, then the request.
func (b *Broker) expire(ctx context.Context, req *v1alpha1.ElevationRequest) {
	b.revoke(ctx, req)
	b.metrics.expired.Inc()
	b.recorder.Eventf(req, corev1.EventTypeNormal, "Expired", "grant of %s to %s expired", describe(&req.Spec), req.Spec.User)
	exp := req.DeepCopy()
	exp.Status.Phase = v1alpha1.PhaseExpired
	_ = b.writeStatus(ctx, exp) //nolint:errcheck // the delete below is what matters
	uid := req.UID
	if err := b.dyn.Resource(v1alpha1.ElevationRequests).Delete(ctx, req.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}); err != nil && !apierrors.IsNotFound(err) {
		b.cfg.Logf("broker %s: delete expired request %s: %v", b.cfg.Identity, req.Name, err)
	}
	b.cfg.Logf("broker %s: request %s: expired", b.cfg.Identity, req.Name)
}
