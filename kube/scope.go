package kube

import (
	"slices"

	"github.com/k9s-guard/k9s-guard/stepup"
)

// Scopes themselves (GrantScope, ScopeWithin, KeyScope, the verb classes)
// live in package stepup, which the gate shares; what is here needs a
// classified request.

var connectSubresources = []string{"exec", "attach", "portforward", "proxy"}

// VerbClass returns op's verb class.
func VerbClass(op Operation) string {
	if op.Verb == "proxy" || (!op.NonResource && slices.Contains(connectSubresources, op.Subresource)) {
		return stepup.VerbConnect
	}
	switch op.Verb {
	case "delete", "deletecollection":
		return stepup.VerbDelete
	case "update", "patch":
		return stepup.VerbUpdate
	case "create":
		return stepup.VerbCreate
	case "get", "list", "watch":
		return stepup.VerbRead
	}
	return op.Verb
}

// OperationScope is the scope of a grant made for exactly op: its class,
// verb class, group, resource, subresource, namespace, (when it names one)
// its object, its action and its content.
func OperationScope(op Operation) *stepup.GrantScope {
	s := &stepup.GrantScope{
		Classes: []string{string(op.Class)},
		Verbs:   []string{VerbClass(op)},
		Action:  op.Action,
		Content: op.Content,
	}
	if op.NonResource {
		s.Path = op.Path
		return s
	}
	s.Group, s.Resource, s.Subresource, s.Namespace = op.Group, op.Resource, op.Subresource, op.Namespace
	if op.Name != "" {
		s.Names = []string{op.Name}
	}
	return s
}

// GrantCovers reports whether op may go out under gr. A grant without a
// scope covers every request of its context. A scoped grant covers only
// requests of its classes and verb classes, on exactly its group,
// resource, subresource and namespace, naming one of its objects — or,
// when the scope names none, requests that name none (a create, a list) —
// whose action is the grant's or one it includes, with the grant's content
// (stepup.ActionCovers, stepup.ContentCovers): a restart's grant does not
// carry an image change, a GET of a kubelet's /configz not a POST to /run.
// A drain's grant covers, beyond the cordon of its nodes, the eviction of
// each pod the live check found on one of them (checkEviction).
func GrantCovers(gr stepup.Grant, op Operation) bool {
	return scopeCovers(gr.Scope, op)
}

func scopeCovers(s *stepup.GrantScope, op Operation) bool {
	if s == nil {
		return true
	}
	if len(s.Classes) > 0 && !slices.Contains(s.Classes, string(op.Class)) {
		return false
	}
	if stepup.DrainsNodes(s) && op.evictNode != "" && isEviction(op) {
		// A node's drain evicts the pods on it: the grant for the drain
		// covers those evictions, and no other pod's.
		return slices.Contains(s.Names, op.evictNode)
	}
	if len(s.Verbs) > 0 && !slices.Contains(s.Verbs, VerbClass(op)) {
		return false
	}
	if !stepup.ActionCovers(s.Action, op.Action) || !stepup.ContentCovers(s.Action, s.Content, op.Content) {
		return false
	}
	if op.NonResource {
		return s.Resource == "" && s.Path != "" && s.Path == op.Path
	}
	if s.Path != "" || s.Resource == "" {
		return false
	}
	if s.Group != op.Group || s.Resource != op.Resource || s.Subresource != op.Subresource || s.Namespace != op.Namespace {
		return false
	}
	if op.Name == "" {
		return len(s.Names) == 0
	}
	return slices.Contains(s.Names, op.Name)
}
