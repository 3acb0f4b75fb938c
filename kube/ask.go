package kube

import (
	"context"
	"errors"
	"fmt"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// ErrNotAsked is what an Asker returns, wrapped with the reason, for a
// request it holds without showing a prompt (K9s's own background
// retries): the request is refused with that reason.
var ErrNotAsked = errors.New("held without a prompt")

// pendingAsk is one question to the user, shared by every request for the
// same context that arrives while it is on screen: deleting ten marked
// pods asks once, not ten times.
type pendingAsk struct {
	done  chan struct{}
	scope *stepup.GrantScope // what the question is for; nil: the whole context
	// waiters counts the requests that have waited on this question,
	// under Gateway.mu; tests use it to know a request has joined.
	waiters int
	ok      bool
	err     error
}

// stepUp returns the grant a request may go out under, asking the user if
// no open window covers it. A non-empty refusal says, for the 403 message,
// why the request cannot go out.
//
// Concurrent requests of one context share one question. Under
// ScopeOperation a request that joined a question asked for another
// operation is not covered by its answer; it then asks again, at most a few
// times, rather than ride a grant made for something else.
func (g *Gateway) stepUp(ctx context.Context, route *ctxRoute, pol profile.Policy, op Operation) (stepup.Grant, string) {
	var scope *stepup.GrantScope
	if scoped(pol) {
		scope = OperationScope(op)
	}
	for attempt := 0; ; attempt++ {
		if gr, ok := g.activeGrant(route.context, op); ok {
			return gr, ""
		}
		if g.cfg.Asker == nil {
			return stepup.Grant{}, "no step-up window is open, and this session has no prompt to open one"
		}
		if attempt == maxAsksPerRequest {
			return stepup.Grant{}, "the step-ups granted meanwhile were for other operations"
		}
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			return stepup.Grant{}, "k9s-guard is shutting down"
		}
		p := g.asks[route.context]
		if p == nil {
			p = &pendingAsk{done: make(chan struct{}), scope: scope}
			g.asks[route.context] = p
			req := StepUpRequest{Context: route.context, Operation: op, Window: windowOr(pol.Window),
				Elevation: pol.Elevation.String(), Scope: scope, OneShot: pol.OneShot && scope != nil}
			g.bg.Add(1)
			go g.runAsk(route.context, p, req)
		}
		p.waiters++
		g.mu.Unlock()

		select {
		case <-p.done:
		case <-ctx.Done():
			return stepup.Grant{}, "the client gave up while the step-up prompt was open"
		}
		switch {
		case errors.Is(p.err, context.DeadlineExceeded):
			return stepup.Grant{}, fmt.Sprintf("no one-time code was entered within %s", g.cfg.AskTimeout)
		case errors.Is(p.err, ErrNotAsked):
			return stepup.Grant{}, p.err.Error()
		case errors.Is(p.err, context.Canceled):
			return stepup.Grant{}, "the step-up prompt was cancelled"
		case p.err != nil:
			return stepup.Grant{}, fmt.Sprintf("the step-up prompt failed: %v", p.err)
		case !p.ok:
			return stepup.Grant{}, "the step-up was declined"
		}
		if gr, ok := g.activeGrant(route.context, op); ok {
			return gr, ""
		}
		if !stepup.ScopeWithin(p.scope, scope) {
			continue // that answer was for another operation: ask for this one
		}
		// The asker said yes without opening a window that covers the request.
		gr, err := g.windows.OpenScoped(route.context, windowOr(pol.Window), p.scope, pol.Elevation.String())
		if err != nil {
			return stepup.Grant{}, fmt.Sprintf("no window could be opened: %v", err)
		}
		if !GrantCovers(gr, op) {
			return stepup.Grant{}, "the open window does not cover this operation"
		}
		return gr, ""
	}
}

// maxAsksPerRequest bounds how often one request asks the user before it
// is refused.
const maxAsksPerRequest = 3

// runAsk asks once, bounded by the ask timeout, detached from any one
// client request: if K9s gives up on the request, the answer still opens
// the window for the retry.
func (g *Gateway) runAsk(context string, p *pendingAsk, req StepUpRequest) {
	defer g.bg.Done()
	ctx, cancel := contextWithTimeout(g.ctx, g.cfg.AskTimeout)
	defer cancel()
	ok, err := g.cfg.Asker.Ask(ctx, req)
	if err == nil && !ok && ctx.Err() != nil {
		err = ctx.Err()
	}
	g.mu.Lock()
	if g.asks[context] == p {
		delete(g.asks, context)
	}
	g.mu.Unlock()
	p.ok, p.err = ok && err == nil, err
	close(p.done)
}

var contextWithTimeout = context.WithTimeout

func (g *Gateway) activeGrant(context string, op Operation) (stepup.Grant, bool) {
	gr, ok := g.windows.Active(context)
	if !ok || !GrantCovers(gr, op) {
		return stepup.Grant{}, false
	}
	return gr, true
}
