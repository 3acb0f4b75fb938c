package gateway_test

import (
	"context"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// TestAccessReviewsDoNotMapTheElevatedRights stops this attack: in a
// protected context the gateway forwarded SelfSubjectAccessReviews with the
// elevated credentials, with no window and no record, so any process in
// the session could map the elevated identity's rights review by review.
// Here the elevated identity (the break-glass user without its group) may
// do nothing at all: the old answers said so, review by review. The
// gateway now answers a guarded action from the profile, the same for
// every object, and records each review; an unguarded one is answered by
// the base credentials, honestly.
func TestAccessReviewsDoNotMapTheElevatedRights(t *testing.T) {
	powerless := profile.Elevation{Kind: profile.ElevationImpersonate, User: cluster.UserBreakGlass}
	h := startHarness(t, harnessOpts{policies: map[string]profile.Policy{cluster.ContextImp: protected(powerless)}})
	cs := h.client(t, cluster.ContextImp)
	ask := func(verb, resource, ns string) authorizationv1.SubjectAccessReviewStatus {
		t.Helper()
		r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: resource}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	for _, q := range [][3]string{{"delete", "pods", "shop"}, {"delete", "pods", "kube-system"}, {"create", "clusterrolebindings", ""}} {
		st := ask(q[0], q[1], q[2])
		if !st.Allowed || !strings.Contains(st.Reason, "answered by the gateway from the profile") {
			t.Errorf("review %v: %+v; want allowed after step-up, answered from the profile", q, st)
		}
	}
	if got := len(recordsOf(h.audit, audit.EventAccessReview)); got != 3 {
		t.Errorf("%d access reviews recorded, want 3", got)
	}
	// Reading is not guarded: the impersonator's own (honest) answer.
	if st := ask("list", "configmaps", "kube-system"); st.Allowed {
		t.Errorf("list configmaps review answered %+v; the impersonator may not", st)
	}
	if _, ok := h.windows.Active(cluster.ContextImp); ok {
		t.Error("an access review opened a window")
	}
}

func recordsOf(a *auditTrail, event audit.Event) []audit.Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []audit.Record
	for _, e := range a.events {
		if e.Event == event {
			out = append(out, e)
		}
	}
	return out
}
