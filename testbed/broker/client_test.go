package broker

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
	"github.com/k9s-guard/k9s-guard/kube"
)

// The gateway's broker client (kube.RequestElevation) with the user's own
// credentials: a right code comes back granted with the rules live at the
// API server, `k9s-guard elevations` lists the grant for the team, and
// kube.RevokeElevation takes it away at once. It also reports how long a
// step-up takes, from the code to a live grant.
func TestClientRequestListRevoke(t *testing.T) {
	defer dumpLogs(t)
	ensureTwo(t)
	ctx := t.Context()
	u, secret := newUser(t)
	pendingPod(t, "shop", "client-pod")
	rc := u.restConfig()
	ask := kube.BrokerAsk{Operation: "delete", Window: time.Minute, Code: wrongCode(t, secret),
		Rules: []v1alpha1.ElevationRule{rule("delete", "", "pods", "shop", "client-pod")}}
	v, err := kube.RequestElevation(ctx, rc, ask)
	if err != nil {
		t.Fatal(err)
	}
	if v.Granted() || v.Reason != "WrongCode" {
		t.Fatalf("wrong code: %+v", v)
	}
	var took []time.Duration
	for i := range 2 {
		ask.Code = codeAt(t, secret, time.Now().Add(time.Duration(i)*30*time.Second))
		start := time.Now()
		v, err = kube.RequestElevation(ctx, rc, ask)
		took = append(took, time.Since(start))
		if err != nil || !v.Granted() {
			t.Fatalf("right code: %+v, %v", v, err)
		}
		if !allowed(ctx, t, u, "delete", "", "pods", "shop", "client-pod") {
			t.Fatal("granted, but the API server does not allow it")
		}
		if i == 0 {
			out, err := runGuard(t, "elevations", "--kubeconfig", u.kubeconfig)
			if err != nil || !strings.Contains(out, u.name) || !strings.Contains(out, "delete pods/client-pod -n shop") || !strings.Contains(out, v.Request) {
				t.Fatalf("k9s-guard elevations: %v\n%s", err, out)
			}
		}
		if err := kube.RevokeElevation(ctx, rc, v.Request); err != nil {
			t.Fatal(err)
		}
		if err := poll(ctx, 5*time.Second, func() (bool, error) { return !allowed(ctx, t, u, "delete", "", "pods", "shop", "client-pod"), nil }); err != nil {
			t.Fatal("revoked grant still allowed")
		}
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	t.Logf("code to live grant: %v", took)
}
