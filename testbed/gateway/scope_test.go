package gateway_test

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// TestScopedGrantAgainstRealServer — attack: with a grant for deleting pod
// A (opened from the keys), delete pod B with the same session token. The
// API server never sees B's delete: the gateway holds it, asks, and on a no
// refuses it; A's delete goes out as the elevated identity.
func TestScopedGrantAgainstRealServer(t *testing.T) {
	asker := &countingAsker{answer: false}
	pol := protected(srcSA)
	pol.Scope = profile.ScopeOperation
	h := startHarness(t, harnessOpts{policies: map[string]profile.Policy{cluster.ContextProd: pol}, asker: asker})
	a, b := aPod(t), aPod(t)
	scope, _ := stepup.KeyScope("kill", "pods", []stepup.Target{{Namespace: "shop", Name: a}})
	if _, err := h.windows.OpenScoped(cluster.ContextProd, time.Minute, scope, "keys"); err != nil {
		t.Fatal(err)
	}
	cs := h.client(t, cluster.ContextProd)
	ctx := context.Background()
	if err := cs.CoreV1().Pods("shop").Delete(ctx, b, metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("delete of B under A's grant: %v", err)
	}
	if asker.n.Load() != 1 || !podExists(t, b) {
		t.Fatalf("asked %d times; B exists %v", asker.n.Load(), podExists(t, b))
	}
	if err := cs.CoreV1().Pods("shop").Delete(ctx, a, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatalf("delete of A under its grant: %v", err)
	}
	if podExists(t, a) {
		t.Fatal("A still exists")
	}
	if asker.n.Load() != 1 {
		t.Fatal("A's delete asked although its grant was open")
	}
}

// waitCompleted waits for the one-shot grant behind closed (a window
// OnClose feed) to close as completed.
func waitCompleted(t *testing.T, closed <-chan stepup.CloseReason) {
	t.Helper()
	select {
	case why := <-closed:
		if why != stepup.CloseCompleted {
			t.Fatalf("closed: %s", why)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the one-shot grant stayed open")
	}
}

// TestOneShotRevokedAgainstRealServer: a one-shot ServiceAccount grant is
// closed right after its delete completes, and its token Secret deleted.
func TestOneShotRevokedAgainstRealServer(t *testing.T) {
	asker := &countingAsker{answer: true}
	pol := protected(srcSA)
	pol.Scope, pol.OneShot = profile.ScopeOperation, true
	h := startHarness(t, harnessOpts{policies: map[string]profile.Policy{cluster.ContextProd: pol}, asker: asker})
	closed := make(chan stepup.CloseReason, 1)
	h.windows.OnClose(func(_ stepup.Grant, why stepup.CloseReason) { closed <- why })
	a := aPod(t)
	if err := h.client(t, cluster.ContextProd).CoreV1().Pods("shop").Delete(context.Background(), a, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitCompleted(t, closed)
	poll(t, 15*time.Second, func() bool { return len(grantSecrets(t)) == 0 })
	if asker.seen[0].Scope == nil || !asker.seen[0].OneShot {
		t.Fatalf("the asker was not told the scope: %+v", asker.seen[0])
	}
}
