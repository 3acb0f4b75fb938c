package kube

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k9s-guard/k9s-guard/stepup"
)

// TestDrainScopeCoversItsNodesEvictions — attack: a grant for draining
// node-1 is used to evict pods elsewhere (a pod on node-2, a pod whose node
// the gateway could not read), or to delete the node's pods outright. The
// drain's grant covers the node's cordon and the evictions of the pods the
// live check placed on node-1, nothing else.
func TestDrainScopeCoversItsNodesEvictions(t *testing.T) {
	scope, ok := stepup.KeyScope("drain", "nodes", []stepup.Target{{Name: "node-1"}})
	if !ok || !stepup.DrainsNodes(scope) {
		t.Fatalf("drain key scope %+v is not a drain's", scope)
	}
	gr := stepup.Grant{Scope: scope}
	evict := func(pod, node string) Operation {
		op := classify(t, "POST", "/api/v1/namespaces/shop/pods/"+pod+"/eviction",
			`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"`+pod+`","namespace":"shop"}}`)
		op.evictNode = node
		return op
	}
	cases := []struct {
		name string
		op   Operation
		want bool
	}{
		{"the cordon", classify(t, "PATCH", "/api/v1/nodes/node-1", `{"spec":{"unschedulable":true}}`), true},
		{"a pod on node-1 evicted", evict("cart-1", "node-1"), true},
		{"a pod on node-2 evicted", evict("cart-2", "node-2"), false},
		{"a pod whose node is unknown evicted", evict("cart-3", ""), false},
		{"a pod on node-1 deleted", classify(t, "DELETE", "/api/v1/namespaces/shop/pods/cart-1", ""), false},
		{"node-1 relabelled", classify(t, "PATCH", "/api/v1/nodes/node-1", `{"metadata":{"labels":{"x":"y"}}}`), false},
		{"node-2 cordoned", classify(t, "PATCH", "/api/v1/nodes/node-2", `{"spec":{"unschedulable":true}}`), false},
		{"node-1 deleted", classify(t, "DELETE", "/api/v1/nodes/node-1", ""), false},
	}
	for _, c := range cases {
		if got := GrantCovers(gr, c.op); got != c.want {
			t.Errorf("%s: covered = %v, want %v (op %+v)", c.name, got, c.want, c.op)
		}
	}
	// The pod's node counts only for an eviction: a pod's own delete
	// carrying it (it cannot, but fail closed) is still not covered.
	del := classify(t, "DELETE", "/api/v1/namespaces/shop/pods/cart-1", "")
	del.evictNode = "node-1"
	if GrantCovers(gr, del) {
		t.Error("a delete of a pod on node-1 rode the drain's grant")
	}
	// A cordon's grant is no drain's: it evicts nothing.
	cordon, _ := stepup.KeyScope("cordon", "nodes", []stepup.Target{{Name: "node-1"}})
	if GrantCovers(stepup.Grant{Scope: cordon}, evict("cart-1", "node-1")) {
		t.Error("an eviction rode a cordon's grant")
	}
	if got, want := stepup.ScopeString(scope), "update nodes node-1 and evict the pods on it"; got != want {
		t.Errorf("scope string %q, want %q", got, want)
	}
}

// TestSkippedByDrain: a one-shot drain's budget leaves out the pods
// kubectl's drain never evicts, which would keep the grant open for the
// rest of its window; a pod of a ReplicaSet or of no controller is in.
func TestSkippedByDrain(t *testing.T) {
	yes := true
	owned := func(kind string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Kind: kind, Name: "x", Controller: &yes}}}}
	}
	mirror := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "h"}}}
	for _, c := range []struct {
		name string
		pod  *corev1.Pod
		want bool
	}{
		{"a DaemonSet's pod", owned("DaemonSet"), true},
		{"a mirror pod", mirror, true},
		{"a ReplicaSet's pod", owned("ReplicaSet"), false},
		{"a bare pod", &corev1.Pod{}, false},
	} {
		if got := skippedByDrain(c.pod); got != c.want {
			t.Errorf("%s: skipped = %v, want %v", c.name, got, c.want)
		}
	}
}
