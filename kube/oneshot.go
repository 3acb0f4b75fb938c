package kube

import (
	"slices"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// oneShot tracks the operation of a one-shot grant: the requests in flight
// under it and the objects already done. The grant closes once every object
// its scope names has been acted on (or, for a scope naming none, after the
// first request) and nothing is in flight: deleting three marked pods is one
// operation of three requests, an exec one stream.
type oneShot struct {
	inflight int
	done     []string
}

// oneShotStart notes that a request is going out under gr. It returns the
// function to call when the request has completed, success or failure.
func (g *Gateway) oneShotStart(pol profile.Policy, gr stepup.Grant, op Operation) func() {
	if !pol.OneShot || gr.Scope == nil {
		return func() {}
	}
	g.mu.Lock()
	st := g.oneShots[gr.ID]
	if st == nil {
		st = &oneShot{}
		g.oneShots[gr.ID] = st
	}
	st.inflight++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		st.inflight--
		if op.Name != "" && !slices.Contains(st.done, op.Name) {
			st.done = append(st.done, op.Name)
		}
		complete := st.inflight == 0
		for _, n := range gr.Scope.Names {
			if !slices.Contains(st.done, n) {
				complete = false
			}
		}
		if complete {
			delete(g.oneShots, gr.ID)
		}
		g.mu.Unlock()
		if complete {
			g.logf("gateway: one-shot grant %s for %s completed", gr.ID, stepup.ScopeString(gr.Scope))
			g.windows.CloseGrant(gr.ID, stepup.CloseCompleted)
		}
	}
}

func (g *Gateway) forgetOneShot(id string) {
	g.mu.Lock()
	delete(g.oneShots, id)
	g.mu.Unlock()
}
