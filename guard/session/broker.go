package session

import (
	"context"
	"fmt"
	"slices"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/ui/overlay"
)

// brokerRules is the operation asked of the broker: the grant's scope
// when the key watcher or the gateway made one, else the held request
// itself. RBAC needs verbs, so each verb class becomes the verbs its
// requests use.
func brokerRules(req askRequest) []v1alpha1.ElevationRule {
	if sc := req.Scope; sc != nil && sc.Resource != "" {
		var verbs []string
		for _, c := range sc.Verbs {
			switch c {
			case "delete":
				verbs = append(verbs, "delete")
			case "update":
				verbs = append(verbs, "update", "patch")
			case "create":
				verbs = append(verbs, "create")
			case "connect":
				// exec and attach: a POST, or a GET for the websocket upgrade.
				verbs = append(verbs, "create", "get")
			case "read":
				verbs = append(verbs, "get")
			}
		}
		if len(verbs) == 0 && req.Verb != "" {
			verbs = []string{req.Verb}
		}
		if len(verbs) == 0 {
			return nil
		}
		slices.Sort(verbs)
		return []v1alpha1.ElevationRule{{Verbs: slices.Compact(verbs), APIGroup: sc.Group, Resource: withSub(sc.Resource, sc.Subresource), Namespace: sc.Namespace, Names: slices.Clone(sc.Names)}}
	}
	if req.Verb == "" || req.Resource == "" {
		return nil
	}
	r := v1alpha1.ElevationRule{Verbs: []string{req.Verb}, APIGroup: req.Group, Resource: withSub(req.Resource, req.Subresource), Namespace: req.Namespace}
	if req.Name != "" {
		r.Names = []string{req.Name}
	}
	return []v1alpha1.ElevationRule{r}
}

func withSub(res, sub string) string {
	if sub == "" {
		return res
	}
	return res + "/" + sub
}

// verifyWithBroker sends the code to the context's broker instead of
// checking it here. A granted verdict means the grant is live at the API
// server; the local window then lets the held request go out with the
// user's own credentials, and closing it deletes the request.
func (p *prompter) verifyWithBroker(ctx context.Context, req askRequest, code string, rec func(audit.Event, string) error) (overlay.Result, bool) {
	prot := p.s.prot
	rules := brokerRules(req)
	if len(rules) == 0 {
		return overlay.Result{Status: overlay.Failed, Message: "broker mode: k9s-guard cannot tell which operation to ask for; retry the action"}, false
	}
	v, err := prot.gw.BrokerStepUp(ctx, req.Context, kube.BrokerAsk{
		Operation: req.Action, Rules: rules, Window: req.Window, Code: code, Reason: "k9s-guard " + req.Action,
	})
	if err != nil {
		return overlay.Result{Status: overlay.Failed, Message: "the broker did not answer: " + err.Error()}, false
	}
	note := "broker request " + v.Request
	switch {
	case v.Granted():
		// The grant is on the local record, with the request's name so the
		// cluster's records join, before anything goes out elevated.
		if err := rec(audit.EventStepupGranted, note); err != nil {
			_ = prot.gw.BrokerRevoke(req.Context, v.Request) //nolint:errcheck // the broker expires it in any case
			return overlay.Result{Status: overlay.Failed, Message: err.Error()}, false
		}
		g, err := prot.windows.OpenScoped(req.Context, req.Window, req.Scope, req.Source)
		if err != nil {
			return overlay.Result{Status: overlay.Failed, Message: "open the window: " + err.Error()}, false
		}
		prot.gw.BindBrokerGrant(g.ID, req.Context, v.Request)
		return overlay.Result{Status: overlay.OK}, true
	case v.Reason == "Replayed":
		_ = rec(audit.EventStepupDenied, "reused code; "+note)
		return overlay.Result{Status: overlay.Reused}, false
	case v.Reason == "WrongCode":
		_ = rec(audit.EventStepupDenied, "wrong code; "+note)
		left := 0
		_, _ = fmt.Sscanf(v.Message, "wrong code; %d attempts", &left)
		return overlay.Result{Status: overlay.Wrong, AttemptsLeft: left}, false
	case v.Reason == "LockedOut":
		_ = rec(audit.EventStepupLockout, "too many wrong codes; "+note)
		return overlay.Result{Status: overlay.Failed, Message: v.Message}, false
	default:
		_ = rec(audit.EventStepupDenied, v.Reason+"; "+note)
		return overlay.Result{Status: overlay.Failed, Message: "the broker denied it: " + v.Message}, false
	}
}
