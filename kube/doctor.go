package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// AccessCheck is one question asked of the API server with a
// SelfSubjectAccessReview.
type AccessCheck struct {
	Label       string // e.g. "delete pods"
	Verb        string
	Group       string
	Resource    string
	Subresource string
	Namespace   string
	Allowed     bool
	Err         error
}

// DangerousChecks are what a protected context's base credentials must not
// be able to do, or the step-up is advisory there.
func DangerousChecks(namespace string) []AccessCheck {
	return []AccessCheck{
		{Label: "delete pods", Verb: "delete", Resource: "pods", Namespace: namespace},
		{Label: "patch deployments", Verb: "patch", Group: "apps", Resource: "deployments", Namespace: namespace},
		{Label: "read secrets", Verb: "get", Resource: "secrets", Namespace: namespace},
		{Label: "exec into pods", Verb: "create", Resource: "pods", Subresource: "exec", Namespace: namespace},
	}
}

// Diagnosis is what `k9s-guard doctor` learns about one protected context.
type Diagnosis struct {
	Context   string
	Server    string
	Namespace string

	BaseIdentity string
	BaseGroups   []string
	BaseErr      error
	// Base are DangerousChecks answered for the base credentials; any
	// Allowed means the guard is advisory in this context.
	Base []AccessCheck
	// Rules are the base credentials' rules (SelfSubjectRulesReview) that
	// grant one of the dangerous checks: the RBAC to remove.
	Rules []authorizationv1.ResourceRule

	Elevation        profile.Elevation
	ElevatedIdentity string
	ElevatedErr      error
	// Elevated are the same checks for the elevated credentials; they
	// should be allowed.
	Elevated []AccessCheck
	// Revocation is set for serviceAccount sources: nil when a token was
	// rejected by the API server after its Secret was deleted.
	Revocation error
	Revoked    bool
}

// Advisory reports whether the base credentials can already do something
// dangerous, so that step-up cannot stop it.
func (d Diagnosis) Advisory() bool {
	return slices.ContainsFunc(d.Base, func(c AccessCheck) bool { return c.Allowed })
}

// ElevationOK reports whether the elevated credentials authenticate, can
// do at least one of the dangerous checks (the profile may elevate for a
// narrower set of actions than all four), and, for serviceAccount sources,
// die on the server when their Secret is deleted.
func (d Diagnosis) ElevationOK() bool {
	if d.ElevatedErr != nil || len(d.Elevated) == 0 {
		return false
	}
	if !slices.ContainsFunc(d.Elevated, func(c AccessCheck) bool { return c.Allowed }) {
		return false
	}
	return d.Elevation.Kind != profile.ElevationServiceAccount || d.Revoked
}

// Diagnose checks one context: what its base credentials can already do,
// and whether its elevation source works. For a serviceAccount source it
// mints a real token (bound to a fresh Secret), uses it, deletes the
// Secret, and waits for the API server to reject the token.
func Diagnose(ctx context.Context, rules *clientcmd.ClientConfigLoadingRules, context string, e profile.Elevation) Diagnosis {
	d := Diagnosis{Context: context, Elevation: e}
	raw, err := loadRaw(rules)
	if err != nil {
		d.BaseErr = err
		return d
	}
	if c, ok := raw.Contexts[context]; ok {
		d.Namespace = c.Namespace
		if cl, ok := raw.Clusters[c.Cluster]; ok {
			d.Server = cl.Server
		}
	}
	ns := d.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	own, err := clientcmd.NewNonInteractiveClientConfig(*raw, context, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
	if err != nil {
		d.BaseErr = fmt.Errorf("context %q: %w", context, err)
		return d
	}
	base, err := kubernetes.NewForConfig(own)
	if err != nil {
		d.BaseErr = fmt.Errorf("client: %w", err)
		return d
	}
	var info authenticationv1.UserInfo
	info, d.BaseErr = userInfo(ctx, base)
	d.BaseIdentity, d.BaseGroups = info.Username, info.Groups
	if d.BaseErr != nil {
		return d
	}
	d.Base = runChecks(ctx, base, DangerousChecks(ns))
	d.Rules = grantingRules(ctx, base, ns, d.Base)
	if e.Kind == profile.ElevationBroker {
		diagnoseBroker(ctx, &d, base, e.Namespace)
		return d
	}

	rc, err := elevatedConfig(rules, own, e)
	if err != nil {
		d.ElevatedErr = err
		return d
	}
	if e.Kind == profile.ElevationServiceAccount {
		diagnoseServiceAccount(ctx, &d, rc, context, ns)
		return d
	}
	el, err := kubernetes.NewForConfig(rc)
	if err != nil {
		d.ElevatedErr = fmt.Errorf("client: %w", err)
		return d
	}
	if d.ElevatedIdentity, d.ElevatedErr = whoIs(ctx, el); d.ElevatedErr == nil {
		d.Elevated = runChecks(ctx, el, DangerousChecks(ns))
	}
	return d
}

func diagnoseServiceAccount(ctx context.Context, d *Diagnosis, own *rest.Config, context, ns string) {
	minter, err := kubernetes.NewForConfig(own)
	if err != nil {
		d.ElevatedErr = fmt.Errorf("client: %w", err)
		return
	}
	now := time.Now()
	grant := stepup.Grant{ID: "doctor", Context: context, Opened: now, Deadline: now.Add(time.Minute)}
	secret, token, _, err := mintToken(ctx, minter, context, d.Elevation, grant, now)
	if err != nil {
		d.ElevatedErr = err
		return
	}
	rc := rest.AnonymousClientConfig(own)
	rc.BearerToken = token
	el, err := kubernetes.NewForConfig(rc)
	if err != nil {
		_ = deleteGrantSecret(minter, d.Elevation.Namespace, secret)
		d.ElevatedErr = fmt.Errorf("client: %w", err)
		return
	}
	if d.ElevatedIdentity, d.ElevatedErr = whoIs(ctx, el); d.ElevatedErr == nil {
		d.Elevated = runChecks(ctx, el, DangerousChecks(ns))
	}
	if err := deleteGrantSecret(minter, d.Elevation.Namespace, secret); err != nil {
		d.Revocation = err
		return
	}
	// The API server checks the bound object on every request; poll until
	// the token is refused (its authentication cache can take a moment).
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := whoIs(ctx, el)
		if apierrors.IsUnauthorized(err) {
			d.Revoked = true
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			d.Revocation = errors.New("the token was still accepted 30s after its Secret was deleted")
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func whoIs(ctx context.Context, cs kubernetes.Interface) (string, error) {
	info, err := userInfo(ctx, cs)
	return info.Username, err
}

func userInfo(ctx context.Context, cs kubernetes.Interface) (authenticationv1.UserInfo, error) {
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authenticationv1.UserInfo{}, fmt.Errorf("who am I: %w", err)
	}
	return r.Status.UserInfo, nil
}

func runChecks(ctx context.Context, cs kubernetes.Interface, checks []AccessCheck) []AccessCheck {
	for i := range checks {
		c := &checks[i]
		r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: c.Namespace, Verb: c.Verb, Group: c.Group, Resource: c.Resource, Subresource: c.Subresource,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			c.Err = fmt.Errorf("access review: %w", err)
			continue
		}
		c.Allowed = r.Status.Allowed
	}
	return checks
}

// grantingRules lists the base credentials' rules in ns that allow one of
// the checks that came back allowed.
func grantingRules(ctx context.Context, cs kubernetes.Interface, ns string, checks []AccessCheck) []authorizationv1.ResourceRule {
	if !slices.ContainsFunc(checks, func(c AccessCheck) bool { return c.Allowed }) {
		return nil
	}
	r, err := cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
		Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil
	}
	var out []authorizationv1.ResourceRule
	for _, rule := range r.Status.ResourceRules {
		for _, c := range checks {
			if c.Allowed && ruleAllows(rule, c) {
				out = append(out, rule)
				break
			}
		}
	}
	return out
}

func ruleAllows(rule authorizationv1.ResourceRule, c AccessCheck) bool {
	res := c.Resource
	if c.Subresource != "" {
		res += "/" + c.Subresource
	}
	match := func(list []string, v string) bool { return slices.Contains(list, "*") || slices.Contains(list, v) }
	return match(rule.Verbs, c.Verb) && match(rule.APIGroups, c.Group) && (match(rule.Resources, res) || match(rule.Resources, c.Resource+"/*"))
}
