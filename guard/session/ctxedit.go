package session

import (
	"context"
	"strings"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// K9s's `:ctx` view renames (r) and deletes (Ctrl-D) contexts by
// rewriting its kubeconfig, which here is the session's: the edit was lost
// at exit. The session writes each edit through to the user's kubeconfig
// — after a step-up when the context is protected, since renaming or
// deleting it is an action like any other — or puts the session
// kubeconfig back and says why.

// contextEditScope is the grant a context edit's step-up opens: it names
// no API resource, so it lets no request out elevated, and it is closed
// as soon as the edit is written.
func contextEditScope(e kube.ContextEdit) *stepup.GrantScope {
	return &stepup.GrantScope{Group: "k9s-guard.io", Resource: "kubeconfig-contexts", Names: []string{e.Old}, Action: e.Action()}
}

// checkContextEdits looks for K9s's edits on the screen watcher's tick and
// handles them off it (a step-up may take a while).
func (s *session) checkContextEdits() {
	gw := s.prot.gw
	if gw == nil || !s.editBusy.CompareAndSwap(false, true) {
		return
	}
	s.goSafe("context edits", func() {
		defer s.editBusy.Store(false)
		edits, err := gw.ContextEdits()
		if err != nil {
			_ = s.prot.record(audit.Record{Event: audit.EventContextEdit, Reason: "refused: session kubeconfig put back", Message: err.Error()})
			_ = gw.RevertContextEdits()
			s.say("the session kubeconfig was changed, and was put back: " + err.Error())
			return
		}
		for _, e := range edits {
			s.handleContextEdit(e)
		}
	})
}

func (s *session) handleContextEdit(e kube.ContextEdit) {
	gw := s.prot.gw
	refuse := func(why string) {
		if e.Kind == "rename" {
			// K9s may already use the new name in memory (it switches to it
			// when the renamed context was the current one): the key
			// watcher, reading the header, must still see the old rule.
			s.prot.routes.Alias(e.New, e.Old)
		}
		_ = s.prot.record(audit.Record{Event: audit.EventContextEdit, Context: e.Old, Action: e.Action(), Name: e.New, Reason: "refused", Message: why})
		_ = gw.RevertContextEdits()
		s.say(e.String() + " not done: " + why)
	}
	pol := s.prot.policy(e.Old)
	if e.Kind == "rename" && pol.Protected && !s.prot.prof.For(e.New).Protected {
		// The profile protects the context by its name: under the new name
		// it would be unprotected from the next session on.
		refuse("the profile protects " + e.Old + " by name, and would not protect " + e.New + "; rename it in the profile first")
		return
	}
	if pol.Requires(e.Action()) {
		scope := contextEditScope(e)
		ok := s.prompt.ask(context.Background(), askRequest{
			Context: e.Old, Action: e.Action(), Target: strings.TrimPrefix(e.String(), e.Kind+" "), Source: pol.Elevation.String(), Window: pol.Window,
			Via: "key", Resource: scope.Resource, Name: e.Old, Scope: scope, AskedBy: "you, in K9s's :ctx view",
		})
		if g, open := s.prot.windows.Active(e.Old); open && g.Scope != nil && g.Scope.Resource == scope.Resource {
			s.prot.windows.CloseGrant(g.ID, stepup.CloseCompleted)
		}
		if !ok {
			refuse("no step-up")
			return
		}
	}
	if err := s.prot.record(audit.Record{Event: audit.EventContextEdit, Context: e.Old, Action: e.Action(), Name: e.New, Reason: "written to your kubeconfig"}); err != nil {
		refuse(err.Error())
		return
	}
	if err := gw.AcceptContextEdit(e); err != nil {
		refuse(err.Error())
		return
	}
	if e.Kind == "rename" {
		s.prot.routes.Alias(e.New, e.Old)
	}
	s.say(e.String() + ": written to your kubeconfig")
}
