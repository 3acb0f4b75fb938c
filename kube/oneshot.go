package kube

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// oneShot counts the requests of a one-shot grant (issue 13): each code
// lets exactly one request out per object the grant names, or one request
// in all when it names none. Deleting three marked pods is three requests
// on one key press, so a grant naming three pods has a budget of one each;
// five concurrent creates under a grant for one create are one request and
// four that must each ask for a code of their own (or are refused once
// they have asked maxAsksPerRequest times). The grant closes once its
// budget is used and nothing is in flight.
//
// A drain's grant names its nodes; the pods it evicts are found when the
// cordon goes out: each pod then on the node, but for those kubectl's
// drain never evicts (a DaemonSet's, a mirror pod), gets a budget of one
// eviction (evictionKey). The grant closes once the cordon and every one
// of those evictions are done, so one code drains the node, as without
// oneShot, and lets out nothing more.
type oneShot struct {
	inflight int
	budget   map[string]int // by object name; "" for requests that name none
	used     map[string]int
	listed   map[string]bool // drain: the nodes whose pods are in budget
}

// evictionKey is the budget's key for the eviction of pod ns/name, apart
// from object names (a pod and a node may share a name).
func evictionKey(ns, name string) string { return "eviction\x00" + ns + "/" + name }

func newOneShot(s *stepup.GrantScope) *oneShot {
	st := &oneShot{budget: map[string]int{}, used: map[string]int{}, listed: map[string]bool{}}
	if len(s.Names) == 0 {
		st.budget[""] = 1
	}
	for _, n := range s.Names {
		st.budget[n] = 1
	}
	return st
}

// claim takes one request's share of gr for op, which gr covers. It
// reports false when the grant is one-shot and its budget for op's object
// is used: the request must then ask for a code of its own. The returned
// function is called when the request has completed, success or failure.
func (g *Gateway) claim(contextName string, pol profile.Policy, gr stepup.Grant, op Operation) (func(), bool) {
	if !pol.OneShot || gr.Scope == nil {
		return func() {}, true
	}
	drain := stepup.DrainsNodes(gr.Scope)
	g.mu.Lock()
	st := g.oneShots[gr.ID]
	if st == nil {
		st = newOneShot(gr.Scope)
		g.oneShots[gr.ID] = st
	}
	if drain && op.Resource == "nodes" && op.Subresource == "" && !st.listed[op.Name] {
		// The cordon: before it goes out, the pods the drain will evict
		// from this node join the budget.
		st.listed[op.Name] = true
		g.mu.Unlock()
		pods := g.drainedPods(contextName, op.Name)
		g.mu.Lock()
		for _, p := range pods {
			st.budget[p] = 1
		}
	}
	key := op.Name
	if drain && isEviction(op) {
		key = evictionKey(op.Namespace, op.Name)
	}
	if st.used[key] >= st.budget[key] {
		g.mu.Unlock()
		return nil, false
	}
	st.used[key]++
	st.inflight++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		st.inflight--
		complete := st.inflight == 0
		for n, b := range st.budget {
			if st.used[n] < b {
				complete = false
			}
		}
		if complete && g.oneShots[gr.ID] == st {
			delete(g.oneShots, gr.ID)
		}
		g.mu.Unlock()
		if complete {
			g.logf("gateway: one-shot grant %s for %s completed", gr.ID, stepup.ScopeString(gr.Scope))
			g.windows.CloseGrant(gr.ID, stepup.CloseCompleted)
		}
	}, true
}

// deposit adds the code just entered for op to the budget of gr, a
// one-shot grant that was already open before the question (the window
// was extended, not opened: its own budget came with it). A grant opened
// by the answer needs no deposit, the answer is its budget.
func (g *Gateway) deposit(gr stepup.Grant, op Operation) {
	if gr.Scope == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.oneShots[gr.ID]
	if st == nil {
		// Never used yet: its own budget serves this request.
		g.oneShots[gr.ID] = newOneShot(gr.Scope)
		return
	}
	if _, named := st.budget[op.Name]; named {
		st.budget[op.Name]++
	}
}

func (g *Gateway) forgetOneShot(id string) {
	g.mu.Lock()
	delete(g.oneShots, id)
	g.mu.Unlock()
}

// drainedPods lists, with the context's base credentials, the pods on node
// that kubectl's drain (which K9s runs) evicts, as evictionKeys: not a
// DaemonSet's (the drain skips them, or refuses the node), not a mirror
// pod (the kubelet's own). A pod it does not evict keeps the grant open
// until its window ends, for that pod's eviction only; one it evicts that
// is not listed (a pod bound after the cordon) asks; a failed list lists
// none, and each eviction asks.
func (g *Gateway) drainedPods(contextName, node string) []string {
	cs, err := g.BaseClient(contextName)
	if err != nil {
		g.logf("gateway: drain of %s: cannot list its pods: %v", node, err)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), liveCheckTimeout)
	defer cancel()
	list, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()})
	if err != nil {
		g.logf("gateway: drain of %s: cannot list its pods: %v", node, err)
		return nil
	}
	var out []string
	for i := range list.Items {
		if p := &list.Items[i]; !skippedByDrain(p) {
			out = append(out, evictionKey(p.Namespace, p.Name))
		}
	}
	return out
}

// skippedByDrain reports whether kubectl's drain leaves p alone: a mirror
// pod, or a pod a DaemonSet controls.
func skippedByDrain(p *corev1.Pod) bool {
	if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return true
	}
	if c := metav1.GetControllerOf(p); c != nil && c.Kind == "DaemonSet" {
		return true
	}
	return false
}
