package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// nodeReader lets the viewer read nodes for one test: K9s's nodes view and
// its drain read the node with the user's own rights, and the test bed's
// viewer (the view ClusterRole) has none.
func nodeReader(t *testing.T) {
	t.Helper()
	cs := admin(t).cs
	ctx := context.Background()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "keys2:node-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}}},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.RbacV1().ClusterRoles().Delete(context.Background(), role.Name, metav1.DeleteOptions{}) })
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "keys2:node-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: cluster.UserViewer}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), binding.Name, metav1.DeleteOptions{})
	})
}

// TestDrainAsksOnceForTheNode: issue 12. K9s's drain (r on a node)
// cordons the node and evicts each pod on it; the key asks once, for the
// node's name (drain is in the default confirmName), and the evictions of
// the node's pods ride that grant: no further prompt, one per pod, at the
// gateway. The test bed has no kubelet: the pods are bound to the node with
// a Binding, and an eviction leaves them terminating.
//
// Under oneShot the same holds (each eviction used to ask, the grant
// having closed after the cordon), and the grant closes once the drain's
// evictions are done.
func TestDrainAsksOnceForTheNode(t *testing.T) {
	t.Run("window", func(t *testing.T) { drainAsksOnce(t, protectedProfile, false) })
	t.Run("oneShot", func(t *testing.T) { drainAsksOnce(t, oneShotProfile, true) })
}

func drainAsksOnce(t *testing.T, profileYAML string, oneShot bool) {
	// Fresh names per run: a namespace from a run before may still be
	// terminating. The node sorts before the test bed's node-1, so K9s's
	// cursor starts on it.
	ns := "keys2-drain-" + rand.String(5)
	drainNode := ns
	nodeReader(t)
	cs := admin(t).cs
	ctx := context.Background()
	if _, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: drainNode}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), drainNode, metav1.DeleteOptions{}) })
	crowdedNamespace(t, ns, 2)
	pods := []string{"crowd-00", "crowd-01"}
	t.Cleanup(func() {
		// No kubelet finishes a bound pod's deletion: force it, before the
		// namespace goes.
		for _, p := range pods {
			_ = cs.CoreV1().Pods(ns).Delete(context.Background(), p, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		}
	})
	for _, p := range pods {
		err := cs.CoreV1().Pods(ns).Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: p},
			Target:     corev1.ObjectReference{Kind: "Node", Name: drainNode},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("bind %s to %s: %v", p, drainNode, err)
		}
	}

	env := guardedEnv(t, profileYAML)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-c", "nodes")
	step(t, term, "the nodes", "", func(s string) bool { return strings.Contains(s, "nodes(") && strings.Contains(s, drainNode) })
	waitWholeFrame(t, term)
	waitCursor(t, term, func(name string) bool { return name == drainNode })
	if err := term.Type("r"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if sc := term.Screen(); !strings.Contains(sc, "drain node "+drainNode) || !strings.Contains(sc, "type "+drainNode) {
		t.Fatalf("the prompt does not name the node to drain and type:\n%s", sc)
	}
	if err := term.Type(code(t, 0), drainNode, "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	granted := len(term.Raw())
	if err := term.WaitText("<Drain>", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	// The form's focus order: GracePeriod, Timeout, Ignore DaemonSets,
	// Delete EmptyDir Data, Force, Disable Eviction, Cancel, OK. Force, as
	// the pods have no controller (kubectl's drain refuses them otherwise).
	if err := term.Type("\t", "\t", "\t", "\t", " ", "\t", "\t", "\t", "\r"); err != nil {
		t.Fatal(err)
	}
	further := func() bool { return strings.Contains(ansiStrip(term.Raw()[granted:]), "Step-up required") }
	deadline := time.Now().Add(30 * time.Second)
	for {
		if further() {
			t.Fatalf("a further prompt came after the drain was granted:\n%s", term.Screen())
		}
		node, err := cs.CoreV1().Nodes().Get(ctx, drainNode, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		evicted := 0
		for _, p := range pods {
			pod, err := cs.CoreV1().Pods(ns).Get(ctx, p, metav1.GetOptions{})
			if err != nil || pod.DeletionTimestamp != nil {
				evicted++
			}
		}
		if node.Spec.Unschedulable && evicted == len(pods) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the drain: unschedulable %v, %d of %d pods evicted; screen:\n%s", node.Spec.Unschedulable, evicted, len(pods), term.Screen())
		}
		time.Sleep(200 * time.Millisecond) // polling the API server with a deadline
	}
	if further() {
		t.Errorf("a further prompt came after the drain was granted:\n%s", term.Screen())
	}
	if oneShot {
		if err := term.WaitFor("the one-shot grant to close after the drain", 15*time.Second, func(s string) bool {
			return !strings.Contains(s, "ELEVATED")
		}); err != nil {
			t.Error(err)
		}
	}
}
