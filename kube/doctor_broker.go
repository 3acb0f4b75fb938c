package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
)

// SelfElevationChecks are the ways an everyday identity could elevate
// without the broker's second factor; in broker mode every one must be
// denied, or a stolen token goes around the code.
func SelfElevationChecks(brokerNamespace string) []AccessCheck {
	var cs []AccessCheck
	for _, r := range []string{"users", "groups", "serviceaccounts", "uids"} {
		cs = append(cs, AccessCheck{Label: "impersonate " + r, Verb: "impersonate", Resource: r})
	}
	cs = append(cs, AccessCheck{Label: "mint ServiceAccount tokens", Verb: "create", Resource: "serviceaccounts", Subresource: "token"})
	for _, r := range []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"} {
		for _, v := range []string{"create", "bind", "escalate", "update"} {
			cs = append(cs, AccessCheck{Label: v + " " + r, Verb: v, Group: "rbac.authorization.k8s.io", Resource: r})
		}
	}
	cs = append(cs,
		AccessCheck{Label: "read Secrets in " + brokerNamespace, Verb: "get", Resource: "secrets", Namespace: brokerNamespace},
		AccessCheck{Label: "list Secrets in " + brokerNamespace, Verb: "list", Resource: "secrets", Namespace: brokerNamespace},
		AccessCheck{Label: "exec in " + brokerNamespace, Verb: "create", Resource: "pods", Subresource: "exec", Namespace: brokerNamespace},
	)
	for _, v := range []string{"create", "update", "patch", "delete"} {
		cs = append(cs, AccessCheck{Label: v + " elevation policies", Verb: v, Group: v1alpha1.Group, Resource: "elevationpolicies"})
	}
	for _, v := range []string{"update", "patch"} {
		cs = append(cs, AccessCheck{Label: v + " elevation request status", Verb: v, Group: v1alpha1.Group, Resource: "elevationrequests", Subresource: "status"})
	}
	return cs
}

// diagnoseBroker checks a broker: source. The elevated identity is the
// base one (the broker grants it), so what doctor must prove is that the
// base identity can ask the broker and cannot elevate by itself.
func diagnoseBroker(ctx context.Context, d *Diagnosis, base kubernetes.Interface, brokerNamespace string) {
	d.ElevatedIdentity = d.BaseIdentity + " (granted by the broker)"
	ask := runChecks(ctx, base, []AccessCheck{{Label: "ask the broker", Verb: "create", Group: v1alpha1.Group, Resource: "elevationrequests"}})
	d.Elevated = ask
	var can []string
	checks := runChecks(ctx, base, SelfElevationChecks(brokerNamespace))
	for _, c := range checks {
		switch {
		case c.Err != nil:
			d.ElevatedErr = c.Err
			return
		case c.Allowed:
			can = append(can, c.Label)
		}
	}
	// An access review without a name misses rules limited to named
	// objects (impersonate one user, mint one ServiceAccount's tokens),
	// which elevate just as well: read the rules of every namespace too.
	can = append(can, namedRights(ctx, base, checks)...)
	if ask[0].Err != nil {
		d.ElevatedErr = ask[0].Err
		return
	}
	var problems []string
	if !ask[0].Allowed {
		problems = append(problems, d.BaseIdentity+" may not create ElevationRequests: is the broker installed (deploy/) and k9s-guard:requester bound to them?")
	}
	if len(can) > 0 {
		problems = append(problems, "the base identity can elevate without the broker's code: it may "+strings.Join(can, ", ")+"; remove those rights")
	}
	if len(problems) > 0 {
		d.ElevatedErr = errors.New(strings.Join(problems, "; and "))
	}
}

// namedRights finds, in the base identity's rules of every namespace it
// can list, rules that allow one of the checks on some named objects.
func namedRights(ctx context.Context, base kubernetes.Interface, checks []AccessCheck) []string {
	nss, err := base.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, ns := range nss.Items {
		rr, err := base.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx, &authorizationv1.SelfSubjectRulesReview{
			Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns.Name},
		}, metav1.CreateOptions{})
		if err != nil {
			continue
		}
		for _, c := range checks {
			if c.Allowed || seen[c.Label] || (c.Namespace != "" && c.Namespace != ns.Name) {
				continue
			}
			for _, r := range rr.Status.ResourceRules {
				if len(r.ResourceNames) > 0 && ruleAllows(r, c) {
					seen[c.Label] = true
					out = append(out, fmt.Sprintf("%s (%s, in %s)", c.Label, strings.Join(r.ResourceNames, ","), ns.Name))
					break
				}
			}
		}
	}
	return out
}
