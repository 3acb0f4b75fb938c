package kube

import (
	"fmt"
	"net/http"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/k9s-guard/k9s-guard/profile"
)

// serveSSAR answers a SelfSubjectAccessReview in a protected context as
// the user will be after step-up. K9s asks one before every delete and
// kill and, with read-only credentials, refuses on its own without sending
// the request, so an honest "no" would keep the step-up prompt from ever
// appearing. Reviews of actions the profile does not guard are answered
// honestly, with the base credentials.
//
// Static sources (context, impersonate) answer with the elevated
// credentials themselves, without opening a window. A serviceAccount
// source has no credential before step-up (the token is minted when a
// window opens), so the gateway answers allowed=true itself and says so in
// the reason; `k9s-guard doctor` checks that the ServiceAccount really has
// the rights.
func (g *Gateway) serveSSAR(w http.ResponseWriter, r *http.Request, route *ctxRoute, pol profile.Policy, body []byte, complete bool) {
	var review authorizationv1.SelfSubjectAccessReview
	if !complete || !decodeBody(r, body, &review) || review.Spec.ResourceAttributes == nil {
		g.forwardBase(w, r, route, Operation{})
		return
	}
	ra := review.Spec.ResourceAttributes
	hyp := operationForAttributes(ra.Verb, ra.Group, ra.Resource, ra.Subresource, ra.Namespace, ra.Name)
	if !ssarNeedsStepUp(pol, hyp) {
		g.forwardBase(w, r, route, Operation{})
		return
	}
	if gr, ok := g.activeGrant(route.context, hyp); ok {
		if up, _, err := g.elevatedUpstream(r.Context(), route, pol.Elevation, gr); err == nil {
			g.forward(w, r, up, nil, Operation{})
			return
		}
	}
	switch pol.Elevation.Kind {
	case profile.ElevationContext, profile.ElevationImpersonate:
		up, err := g.staticElevated(route, pol.Elevation)
		if err != nil {
			g.logf("gateway: answering access review in %s with base credentials: %v", route.context, err)
			g.forwardBase(w, r, route, Operation{})
			return
		}
		g.forward(w, r, up, nil, Operation{})
	case profile.ElevationServiceAccount, profile.ElevationBroker:
		// A broker grant, like a minted token, exists only once a window
		// opens; the broker's policy decides then.
		reason := fmt.Sprintf("k9s-guard: allowed after step-up as serviceaccount %s/%s (answered by the gateway; the token is minted when a window opens)",
			pol.Elevation.Namespace, pol.Elevation.Name)
		if pol.Elevation.Kind == profile.ElevationBroker {
			reason = "k9s-guard: asked of the broker after step-up (answered by the gateway; the broker's policy decides)"
		}
		review.Status = authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: reason}
		review.Kind = "SelfSubjectAccessReview"
		b, ct, err := encodeFor(r, &review, authorizationv1.SchemeGroupVersion)
		if err != nil {
			writeStatus(w, err)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(b)
	default:
		g.forwardBase(w, r, route, Operation{})
	}
}

// ssarNeedsStepUp reports whether the reviewed action would be stepped up.
// A review names a verb, not one of the profile's actions, so every action
// that verb can carry is considered: a review of "patch deployments"
// precedes a restart, a scale or an edit alike.
func ssarNeedsStepUp(pol profile.Policy, op Operation) bool {
	if !pol.Protected || op.Class == ClassRead {
		return false
	}
	cands := op.Candidates()
	switch op.Verb {
	case "update", "patch", "*":
		cands = append(cands, "edit", "update", "patch", "scale", "restart", "set-image", "cordon", "uncordon",
			"rollback", "suspend", "apply", "debug")
	case "create":
		cands = append(cands, "apply", "trigger", "drain")
	case "delete", "deletecollection":
		cands = append(cands, "kill")
	}
	for _, a := range cands {
		if pol.Requires(a) {
			return true
		}
	}
	return false
}
