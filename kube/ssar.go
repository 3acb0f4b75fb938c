package kube

import (
	"fmt"
	"net/http"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/profile"
)

// serveSSAR answers a SelfSubjectAccessReview in a protected context as
// the user will be after step-up. K9s asks one before every delete and
// kill and, with read-only credentials, refuses on its own without sending
// the request, so an honest "no" would keep the step-up prompt from ever
// appearing. Reviews of actions the profile does not guard are answered
// honestly, with the base credentials.
//
// A guarded action is answered from the profile's policy, by the gateway
// itself: "allowed, after step-up". It used to be forwarded with the
// elevated credentials, with no window and no record, so any process in
// the session could map, review by review, everything the elevated
// identity may do. Now the answer says only what the profile says (which
// anyone can read in the profile), the elevated identity is never used
// for it, and each review is recorded with who asked. Whether the source
// really has the rights is `k9s-guard doctor`'s question; if it has not,
// the request itself fails with the API server's own 403 after step-up.
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
	ev := g.event(audit.EventAccessReview, route, pol, hyp)
	ev.Verb, ev.Status = ra.Verb, http.StatusCreated
	ev.Reason = "answered from the profile: allowed after step-up"
	peer := clientOf(r.Context())
	ev.Message = "asked by " + peer.String()
	// K9s asks the same few questions for every view it opens (and again
	// when its 5-minute cache expires): each question is recorded once per
	// asking process, which is what maps the rights, not the repetition.
	key := fmt.Sprintf("%s\x00%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", route.context, peer.PID, ra.Verb, ra.Group, ra.Resource, ra.Subresource, ra.Namespace, ra.Name)
	if _, seen := g.reviewed.Load(key); seen {
		g.writeReview(w, r, route, pol, &review)
		return
	}
	if err := g.audit(ev); err != nil {
		// Fail closed: without a record the gateway says nothing about the
		// elevated rights; the base credentials answer for themselves.
		g.logf("gateway: audit failed, access review answered with base credentials: %v", err)
		g.forwardBase(w, r, route, Operation{})
		return
	}
	g.reviewed.Store(key, struct{}{})
	g.writeReview(w, r, route, pol, &review)
}

// writeReview answers a review "allowed after step-up" from the profile.
func (g *Gateway) writeReview(w http.ResponseWriter, r *http.Request, route *ctxRoute, pol profile.Policy, review *authorizationv1.SelfSubjectAccessReview) {
	review.Status = authorizationv1.SubjectAccessReviewStatus{
		Allowed: true,
		Reason: fmt.Sprintf("k9s-guard: allowed after step-up in protected context %q, elevated with %s (answered by the gateway from the profile, not by the cluster)",
			route.context, pol.Elevation),
	}
	review.Kind = "SelfSubjectAccessReview"
	b, ct, err := encodeFor(r, review, authorizationv1.SchemeGroupVersion)
	if err != nil {
		writeStatus(w, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b)
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
