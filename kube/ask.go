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

// pendingAsk is one question to the user, which every request for the same
// context that arrives while it is on screen waits for: deleting ten marked
// pods asks once, not ten times. Waiting is not riding: when the answer
// comes, a request goes out under it only if the window the answer opened
// covers it — the same action with the same content on the same object, or
// under scope "context" anything — and otherwise asks for itself.
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
// no open window covers it, and the function to call when the request has
// completed. A non-empty refusal says, for the 403 message, why the request
// cannot go out.
//
// Concurrent requests of one context share one question. Under
// ScopeOperation a request that joined a question asked for another
// operation, or for the same operation with other content, is not covered
// by its answer; nor is a request whose one-shot grant another request has
// used. It then asks again, at most a few times, rather than ride a grant
// made for something else.
func (g *Gateway) stepUp(ctx context.Context, route *ctxRoute, pol profile.Policy, op Operation) (stepup.Grant, func(), string) {
	var scope *stepup.GrantScope
	if scoped(pol) {
		scope = OperationScope(op)
	}
	usedUp := false
	for attempt := 0; ; attempt++ {
		if gr, done, ok := g.ride(route.context, pol, op); ok {
			return gr, done, ""
		} else if gr.ID != "" {
			usedUp = true
		}
		if g.cfg.Asker == nil {
			return stepup.Grant{}, nil, "no step-up window is open, and this session has no prompt to open one"
		}
		if attempt == maxAsksPerRequest {
			if usedUp {
				return stepup.Grant{}, nil, "a one-shot code lets one request out, and the codes entered meanwhile were used by other requests"
			}
			return stepup.Grant{}, nil, "the step-ups granted meanwhile were for other operations"
		}
		g.mu.Lock()
		if g.closed {
			g.mu.Unlock()
			return stepup.Grant{}, nil, "k9s-guard is shutting down"
		}
		p := g.asks[route.context]
		if p == nil {
			p = &pendingAsk{done: make(chan struct{}), scope: scope}
			g.asks[route.context] = p
			req := StepUpRequest{Context: route.context, Operation: op, Window: windowOr(pol.Window),
				Elevation: pol.Elevation.String(), Scope: scope, OneShot: pol.OneShot && scope != nil, Renew: usedUp,
				Client: clientOf(ctx)}
			g.bg.Add(1)
			go g.runAsk(route.context, p, req)
		}
		p.waiters++
		g.mu.Unlock()

		select {
		case <-p.done:
		case <-ctx.Done():
			return stepup.Grant{}, nil, "the client gave up while the step-up prompt was open"
		}
		switch {
		case errors.Is(p.err, context.DeadlineExceeded):
			return stepup.Grant{}, nil, fmt.Sprintf("no one-time code was entered within %s", g.cfg.AskTimeout)
		case errors.Is(p.err, ErrNotAsked):
			return stepup.Grant{}, nil, p.err.Error()
		case errors.Is(p.err, context.Canceled):
			return stepup.Grant{}, nil, "the step-up prompt was cancelled"
		case p.err != nil:
			return stepup.Grant{}, nil, fmt.Sprintf("the step-up prompt failed: %v", p.err)
		case !p.ok:
			return stepup.Grant{}, nil, "the step-up was declined"
		}
		// The answer opened (or extended) the window for p.scope; the next
		// round rides it if it covers this request, else asks for this one.
		if gr, done, ok := g.ride(route.context, pol, op); ok {
			return gr, done, ""
		}
		if !pol.OneShot && stepup.ScopeWithin(p.scope, scope) {
			// The answer was for this very operation, but another request's
			// answer replaced its window before this one went out: the user
			// said yes to this, so it reopens (one grant per context; the
			// other request then fails closed). Not for one-shot grants,
			// where a reopened window would be a second request on one code.
			gr, err := g.windows.OpenScoped(route.context, windowOr(pol.Window), p.scope, pol.Elevation.String())
			if err != nil {
				return stepup.Grant{}, nil, fmt.Sprintf("no window could be opened: %v", err)
			}
			if GrantCovers(gr, op) {
				return gr, func() {}, ""
			}
		}
	}
}

// maxAsksPerRequest bounds how often one request asks the user before it
// is refused.
const maxAsksPerRequest = 3

// runAsk asks once, bounded by the ask timeout, detached from any one
// client request: if K9s gives up on the request, the answer still opens
// the window for the retry. A yes opens the window for the question's
// scope here, once, if the asker did not; and when that window was open
// before the question (a one-shot grant used by another request, extended
// by this answer) the new code is added to its budget.
func (g *Gateway) runAsk(context string, p *pendingAsk, req StepUpRequest) {
	defer g.bg.Done()
	ctx, cancel := contextWithTimeout(g.ctx, g.cfg.AskTimeout)
	defer cancel()
	before, hadBefore := g.windows.Active(context)
	ok, err := g.cfg.Asker.Ask(ctx, req)
	if err == nil && !ok && ctx.Err() != nil {
		err = ctx.Err()
	}
	if ok && err == nil {
		gr, open := g.windows.Active(context)
		if !open || !stepup.ScopeWithin(gr.Scope, p.scope) {
			gr, err = g.windows.OpenScoped(context, req.Window, p.scope, req.Elevation)
			if err != nil {
				err = fmt.Errorf("no window could be opened: %w", err)
			}
		}
		if err == nil && req.OneShot && hadBefore && before.ID == gr.ID {
			g.deposit(gr, req.Operation)
		}
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

// ride returns the open grant of context if it covers op and, for a
// one-shot grant, op's share of it is still unused. When the grant covers
// op but is used up, it is returned with ok false.
func (g *Gateway) ride(context string, pol profile.Policy, op Operation) (stepup.Grant, func(), bool) {
	gr, ok := g.windows.Active(context)
	if !ok || !GrantCovers(gr, op) {
		return stepup.Grant{}, nil, false
	}
	done, ok := g.claim(context, pol, gr, op)
	if !ok {
		return gr, nil, false
	}
	return gr, done, true
}

// Waiting is how many requests have waited on the question open for
// context (0 when none is): tests against a real API server use it to know
// that a concurrent request has joined a prompt before they answer it.
func (g *Gateway) Waiting(context string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.asks[context]; p != nil {
		return p.waiters
	}
	return 0
}
