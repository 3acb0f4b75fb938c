package gateway_test

// Issue 12: K9s's node drain (r) asks once. K9s v0.50.16's Node.Drain
// (internal/dao/node.go) reads the node, cordons it with kubectl's cordon
// helper (a strategic-merge patch of spec.unschedulable), lists the pods on
// it (fieldSelector spec.nodeName) and has kubectl's drain helper evict each
// (a policy/v1 Eviction POSTed to pods/<name>/eviction). The test bed has no
// kubelet: pods are placed on nodes with a Binding, which the API server
// takes without one, and an eviction leaves a bound pod terminating.

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// aNode creates a node without a kubelet for one test.
func aNode(t *testing.T) string {
	t.Helper()
	name := "drain-" + rand.String(5)
	admin := adminClient(t)
	if _, err := admin.CoreV1().Nodes().Create(context.Background(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	return name
}

// aPodOn creates a pod in shop and, when node is set, binds it there. The
// pod is force-deleted at the end (no kubelet would finish its deletion).
func aPodOn(t *testing.T, node string) string {
	t.Helper()
	name := aPod(t)
	admin := adminClient(t)
	t.Cleanup(func() {
		_ = admin.CoreV1().Pods("shop").Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	})
	if node != "" {
		err := admin.CoreV1().Pods("shop").Bind(context.Background(), &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Target:     corev1.ObjectReference{Kind: "Node", Name: node},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("bind %s to %s: %v", name, node, err)
		}
	}
	return name
}

// evict sends what kubectl's drain helper sends for one pod (EvictPod, with
// K9s's default grace period of -1: no delete options set).
func evict(cs *kubernetes.Clientset, pod string) error {
	return cs.PolicyV1().Evictions("shop").Evict(context.Background(), &policyv1.Eviction{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "Eviction"},
		ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: "shop"},
	})
}

func terminating(t *testing.T, pod string) bool {
	t.Helper()
	p, err := adminClient(t).CoreV1().Pods("shop").Get(context.Background(), pod, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return p.DeletionTimestamp != nil
}

// TestDrainGrantCoversItsNodeOnly — attack: the one code typed for "drain
// node A" is used to evict pods that are not on A (a pod on node B, a pod
// on no node) or to delete A's pods outright; and, the other way round, the
// drain itself must not cost one code per pod. K9s's drain sequence goes
// out under the key's grant with no question; every other eviction or
// delete asks, and on a no the API server never sees it.
func TestDrainGrantCoversItsNodeOnly(t *testing.T) {
	asker := &actionAsker{action: "none"} // says no to everything it is asked
	h := scopedHarness(t, asker, false)
	nodeA, nodeB := aNode(t), aNode(t)
	onA := []string{aPodOn(t, nodeA), aPodOn(t, nodeA)}
	onB, unbound := aPodOn(t, nodeB), aPodOn(t, "")

	scope, _ := stepup.KeyScope("drain", "nodes", []stepup.Target{{Name: nodeA}})
	if _, err := h.windows.OpenScoped(cluster.ContextProd, time.Minute, scope, "keys"); err != nil {
		t.Fatal(err)
	}
	cs := h.client(t, cluster.ContextProd)
	ctx := context.Background()

	// Before the drain: a delete of a pod on A (what "Disable Eviction"
	// would send) is no eviction, and asks.
	if err := cs.CoreV1().Pods("shop").Delete(ctx, onA[0], metav1.DeleteOptions{}); !refusedByGuard(err) {
		t.Fatalf("delete of %s on the drained node under the drain's grant: %v", onA[0], err)
	}
	if terminating(t, onA[0]) {
		t.Fatalf("%s was deleted", onA[0])
	}
	asked := asker.n.Load()
	if asked == 0 {
		t.Fatal("the delete was refused without asking")
	}

	// K9s's drain: cordon, list, evict each. (K9s reads the node first, a
	// read the gateway passes with the user's own rights; the test bed's
	// viewer has no nodes in its view role, so that read is left out.)
	if _, err := cs.CoreV1().Nodes().Patch(ctx, nodeA, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{}); err != nil {
		t.Fatalf("the cordon: %v", err)
	}
	list, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + nodeA})
	if err != nil {
		t.Fatalf("list the node's pods: %v", err)
	}
	var listed []string
	for _, p := range list.Items {
		listed = append(listed, p.Name)
	}
	slices.Sort(listed)
	if want := slices.Sorted(slices.Values(onA)); !slices.Equal(listed, want) {
		t.Fatalf("pods listed on %s: %v, want %v", nodeA, listed, want)
	}
	for _, p := range listed {
		if err := evict(cs, p); err != nil {
			t.Fatalf("evict %s: %v", p, err)
		}
		if !terminating(t, p) {
			t.Fatalf("%s was not evicted", p)
		}
	}
	if n := asker.n.Load(); n != asked {
		t.Fatalf("the drain asked %d more times under its own grant (questions %v)", n-asked, asker.asked())
	}
	if n := h.elevated(func(ev audit.Record) bool { return ev.Subresource == "eviction" }); n != len(onA) {
		t.Fatalf("%d elevated evictions in the audit trail, want %d", n, len(onA))
	}

	// Under the same grant, evictions of pods elsewhere ask, and are
	// refused on a no.
	for _, p := range []string{onB, unbound} {
		if err := evict(cs, p); !refusedByGuard(err) {
			t.Fatalf("eviction of %s (not on %s) under the drain's grant: %v", p, nodeA, err)
		}
		if terminating(t, p) {
			t.Fatalf("%s was evicted", p)
		}
	}
	if got := asker.asked(); len(got) < 3 || got[len(got)-1] != "drain" || got[len(got)-2] != "drain" {
		t.Fatalf("questions %v: the foreign evictions were not asked about", got)
	}
}

// TestOneShotDrainOneCodeForTheNodeAndItsPods — attack: replay a one-shot
// drain's grant. Under oneShot a drain's grant used to close once the
// cordon had gone out, so each of the node's pods asked for a code of its
// own. Now the pods on the node when the cordon goes out join the grant's
// budget, one eviction each: the drain goes out under its one code, a
// second eviction of a pod asks, and once the cordon and every eviction
// are done the grant closes; nothing rides it after.
func TestOneShotDrainOneCodeForTheNodeAndItsPods(t *testing.T) {
	asker := &actionAsker{action: "none"} // says no to everything it is asked
	h := scopedHarness(t, asker, true)
	closed := make(chan stepup.CloseReason, 1)
	h.windows.OnClose(func(_ stepup.Grant, why stepup.CloseReason) { closed <- why })
	nodeA := aNode(t)
	onA := []string{aPodOn(t, nodeA), aPodOn(t, nodeA)}
	onNone := aPodOn(t, "")

	scope, _ := stepup.KeyScope("drain", "nodes", []stepup.Target{{Name: nodeA}})
	if _, err := h.windows.OpenScoped(cluster.ContextProd, time.Minute, scope, "keys"); err != nil {
		t.Fatal(err)
	}
	cs := h.client(t, cluster.ContextProd)
	ctx := context.Background()
	if _, err := cs.CoreV1().Nodes().Patch(ctx, nodeA, types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{}); err != nil {
		t.Fatalf("the cordon: %v", err)
	}
	if err := evict(cs, onA[0]); err != nil {
		t.Fatalf("evict %s: %v", onA[0], err)
	}
	if !terminating(t, onA[0]) {
		t.Fatalf("%s was not evicted", onA[0])
	}
	if n := asker.n.Load(); n != 0 {
		t.Fatalf("the cordon and the first eviction asked %d times (questions %v)", n, asker.asked())
	}
	// The same pod again: its one eviction is used.
	if err := evict(cs, onA[0]); !refusedByGuard(err) {
		t.Fatalf("a second eviction of %s under the one-shot grant: %v", onA[0], err)
	}
	// A pod on no node is not the drain's.
	if err := evict(cs, onNone); !refusedByGuard(err) {
		t.Fatalf("eviction of %s (on no node) under the drain's grant: %v", onNone, err)
	}
	if terminating(t, onNone) {
		t.Fatalf("%s was evicted", onNone)
	}
	asked := asker.n.Load()
	if asked != 2 {
		t.Fatalf("the two foreign evictions asked %d times, want 2 (questions %v)", asked, asker.asked())
	}
	select {
	case why := <-closed:
		t.Fatalf("the grant closed (%s) before the drain's last eviction", why)
	default:
	}
	if err := evict(cs, onA[1]); err != nil {
		t.Fatalf("evict %s: %v", onA[1], err)
	}
	if asker.n.Load() != asked {
		t.Fatalf("the drain's last eviction asked (questions %v)", asker.asked())
	}
	waitCompleted(t, closed)
	if n := h.elevated(func(ev audit.Record) bool { return ev.Subresource == "eviction" }); n != len(onA) {
		t.Fatalf("%d elevated evictions in the audit trail, want %d", n, len(onA))
	}
}
