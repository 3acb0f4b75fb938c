package kube

import (
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
type oneShot struct {
	inflight int
	budget   map[string]int // by object name; "" for requests that name none
	used     map[string]int
}

func newOneShot(s *stepup.GrantScope) *oneShot {
	st := &oneShot{budget: map[string]int{}, used: map[string]int{}}
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
func (g *Gateway) claim(pol profile.Policy, gr stepup.Grant, op Operation) (func(), bool) {
	if !pol.OneShot || gr.Scope == nil {
		return func() {}, true
	}
	g.mu.Lock()
	st := g.oneShots[gr.ID]
	if st == nil {
		st = newOneShot(gr.Scope)
		g.oneShots[gr.ID] = st
	}
	if st.used[op.Name] >= st.budget[op.Name] {
		g.mu.Unlock()
		return nil, false
	}
	st.used[op.Name]++
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
