package broker

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
)

// Limits on a request that no policy can lift.
const (
	maxWindow = 12 * time.Hour
	maxRules  = 16
)

// errNotAllowed says no policy allows the request; its message says why,
// for the request's status.
var errNotAllowed = errors.New("not allowed by any ElevationPolicy")

// validateRequest checks a request's shape before any policy or code.
func validateRequest(spec *v1alpha1.ElevationRequestSpec) error {
	if spec.User == "" {
		return errors.New("spec.user is empty")
	}
	if len(spec.Rules) == 0 || len(spec.Rules) > maxRules {
		return fmt.Errorf("spec.rules: want 1 to %d rules, got %d", maxRules, len(spec.Rules))
	}
	if d := spec.Duration.Duration; d <= 0 || d > maxWindow {
		return fmt.Errorf("spec.duration: want more than 0 and at most %s, got %s", maxWindow, d)
	}
	for i, r := range spec.Rules {
		if len(r.Verbs) == 0 || r.Resource == "" {
			return fmt.Errorf("spec.rules[%d]: verbs and resource are required", i)
		}
		// A wildcard in a request would grant more than one operation:
		// requests name what they do, policies may use wildcards.
		for _, v := range r.Verbs {
			if v == "" || v == rbacv1.VerbAll {
				return fmt.Errorf("spec.rules[%d].verbs: %q is not a verb a request may ask for", i, v)
			}
		}
		if r.Resource == rbacv1.ResourceAll || r.APIGroup == rbacv1.APIGroupAll || slices.Contains(r.Names, "") {
			return fmt.Errorf("spec.rules[%d]: wildcards and empty names are not allowed in a request", i)
		}
		if r.Resource == "roles" || r.Resource == "rolebindings" || r.Resource == "clusterroles" || r.Resource == "clusterrolebindings" {
			if r.APIGroup == rbacv1.GroupName {
				// A grant on RBAC objects could outlive its window.
				return fmt.Errorf("spec.rules[%d]: RBAC objects cannot be granted", i)
			}
		}
	}
	return nil
}

// allowedBy reports whether one policy allows the whole request. rules are
// the policy's rules plus those of its ClusterRole, resolved by the caller.
func allowedBy(p *v1alpha1.ElevationPolicySpec, rules []rbacv1.PolicyRule, spec *v1alpha1.ElevationRequestSpec) error {
	if !subjectMatches(p.Subjects, spec.User, spec.Groups) {
		return fmt.Errorf("%w: %s is not a subject of it", errNotAllowed, spec.User)
	}
	if spec.Duration.Duration > p.MaxDuration.Duration {
		return fmt.Errorf("%w: duration %s is over the policy's maximum %s", errNotAllowed, spec.Duration.Duration, p.MaxDuration.Duration)
	}
	if strings.TrimSpace(spec.Reason) == "" && (slices.Contains(p.RequireReason, "*") || (spec.Operation != "" && slices.Contains(p.RequireReason, spec.Operation))) {
		return fmt.Errorf("%w: operation %q needs a reason", errNotAllowed, spec.Operation)
	}
	for i, r := range spec.Rules {
		if !namespaceAllowed(p.Namespaces, r.Namespace) {
			where := r.Namespace
			if where == "" {
				where = "cluster-wide"
			}
			return fmt.Errorf("%w: rules[%d] is %s, outside the policy's namespaces", errNotAllowed, i, where)
		}
		if !covered(rules, r) {
			return fmt.Errorf("%w: rules[%d] (%s %s) is more than the policy grants", errNotAllowed, i, strings.Join(r.Verbs, ","), resourceName(r))
		}
	}
	return nil
}

func resourceName(r v1alpha1.ElevationRule) string {
	if r.APIGroup == "" {
		return r.Resource
	}
	return r.Resource + "." + r.APIGroup
}

func subjectMatches(subjects []v1alpha1.PolicySubject, user string, groups []string) bool {
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			if s.Name == user {
				return true
			}
		case rbacv1.GroupKind:
			if slices.Contains(groups, s.Name) {
				return true
			}
		}
	}
	return false
}

// namespaceAllowed: "*" allows every namespace and cluster-wide rules; an
// empty list allows only cluster-wide rules (such as nodes); otherwise the
// namespace must be listed.
func namespaceAllowed(allowed []string, ns string) bool {
	if slices.Contains(allowed, "*") {
		return true
	}
	if ns == "" {
		return len(allowed) == 0
	}
	return slices.Contains(allowed, ns)
}

// covered reports whether one policy rule allows every verb of r, on every
// named object (or, for a request without names, on all objects).
func covered(rules []rbacv1.PolicyRule, r v1alpha1.ElevationRule) bool {
	for _, verb := range r.Verbs {
		names := r.Names
		if len(names) == 0 {
			names = []string{""}
		}
		for _, name := range names {
			if !slices.ContainsFunc(rules, func(p rbacv1.PolicyRule) bool { return ruleAllows(p, verb, r.APIGroup, r.Resource, name) }) {
				return false
			}
		}
	}
	return true
}

func ruleAllows(p rbacv1.PolicyRule, verb, group, resource, name string) bool {
	match := func(list []string, v, all string) bool { return slices.Contains(list, all) || slices.Contains(list, v) }
	if !match(p.Verbs, verb, rbacv1.VerbAll) || !match(p.APIGroups, group, rbacv1.APIGroupAll) {
		return false
	}
	if !match(p.Resources, resource, rbacv1.ResourceAll) {
		// RBAC's "pods/*" covers every subresource of pods.
		base, _, sub := strings.Cut(resource, "/")
		if !sub || !slices.Contains(p.Resources, base+"/*") {
			return false
		}
	}
	if len(p.ResourceNames) == 0 {
		return true
	}
	return name != "" && slices.Contains(p.ResourceNames, name)
}

// grantRules are the RBAC rules of the grant for one namespace ("" for the
// cluster-wide ClusterRole).
func grantRules(spec *v1alpha1.ElevationRequestSpec) map[string][]rbacv1.PolicyRule {
	out := map[string][]rbacv1.PolicyRule{}
	for _, r := range spec.Rules {
		out[r.Namespace] = append(out[r.Namespace], rbacv1.PolicyRule{
			Verbs:         slices.Clone(r.Verbs),
			APIGroups:     []string{r.APIGroup},
			Resources:     []string{r.Resource},
			ResourceNames: slices.Clone(r.Names),
		})
	}
	return out
}

// narrowed reports whether the admission narrowing policy must take the
// request as a parameter.
func narrowed(op string) bool {
	return op == v1alpha1.OperationRestart || op == v1alpha1.OperationCordon
}
