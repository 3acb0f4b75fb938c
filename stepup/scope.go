package stepup

// Scopes: what a grant covers. They live here, beside the gate that makes
// them from keys and the windows that carry them; package kube, which
// matches requests against them, imports this one.

import (
	"fmt"
	"slices"
	"strings"
)

// GrantScope narrows a grant to one operation (issue 7) and to what that
// operation does (issue 13). A nil *GrantScope on a Grant means the whole
// context. Every field but Classes, Verbs and Action is matched exactly: an
// empty Namespace covers only cluster-scoped requests, empty Names only
// requests that name no object (a create, a list). Package kube decides
// whether a request falls inside a scope (kube.GrantCovers); Windows only
// carries it.
type GrantScope struct {
	Classes     []string // "write", "sensitive"; empty means any
	Verbs       []string // verb classes (kube.VerbClass): "delete", "update", "create", "connect", "read"; empty means any
	Group       string
	Resource    string // plural resource, e.g. "pods"; "" with Path for a non-resource request
	Subresource string // e.g. "scale", "exec"; "" for the object itself
	Namespace   string
	Names       []string
	Path        string // non-resource requests only
	// Action is the named action the scope was made for ("kill", "edit",
	// "restart"). A request is covered only if its own action is this one or
	// one this action includes (ActionCovers): a grant to restart a
	// Deployment is not a grant to change its image, though both are
	// patches of the same object.
	Action string
	// Content is what the operation does beyond its object (kube.Operation's
	// Content: the exec command, the proxy method and sub-path, the
	// selectors of a delete-collection, the CronJob of a triggered Job). A
	// request is covered only with the same Content, except that a scope
	// with no Content for an action whose content is anything (an edit, a
	// shell, a transfer, as a key asks for them: OpenContent) covers every
	// content of that action.
	Content string
}

// includes lists, for a grant's action, the other request actions it
// covers on the same object: an edit may make any change a narrower patch
// makes (kubectl edit rewrites last-applied, so it can look like an apply);
// a delete may be forced (K9s's delete dialog has a force box) and a kill is
// a delete; a drain starts with a cordon; a shell may run what a transfer
// runs. Nothing includes a wider action.
var includes = map[string][]string{
	"edit":   {"apply", "restart", "set-image", "rollback", "suspend", "cordon", "uncordon"},
	"delete": {"kill"},
	"kill":   {"delete"},
	"drain":  {"cordon"},
	"exec":   {"transfer"},
}

// ActionCovers reports whether a grant made for action grant covers a
// request classified as action req. An unnamed grant action covers only an
// unnamed request action (fail closed: every request has one).
func ActionCovers(grant, req string) bool {
	return grant == req || slices.Contains(includes[grant], req)
}

// OpenContent reports whether a scope for action with no Content covers
// every content of the requests that action covers. It holds for the
// actions whose content is anything by nature, as a key asks for them:
// pressing `e` means any change to that object, `s` any command in that
// pod, `t` any transfer kubectl cp makes. Everywhere else an empty Content
// matches only an empty one: a delete of one pod never covers a
// delete-collection, whose Content (its selectors) is never empty.
func OpenContent(action string) bool {
	return action == "edit" || action == "exec" || action == "transfer"
}

// ContentCovers reports whether a scope for action with content grant
// covers a request with content req.
func ContentCovers(action, grant, req string) bool {
	return grant == req || (grant == "" && OpenContent(action))
}

// Verb classes: what a request does to its object, coarser than the
// Kubernetes verb so that `kubectl edit` (PATCH) and K9s's edit (PUT)
// fall in one class, and an exec over SPDY (POST) or WebSocket (GET) too.
const (
	VerbDelete  = "delete"  // delete, deletecollection
	VerbUpdate  = "update"  // update, patch
	VerbCreate  = "create"  // create
	VerbConnect = "connect" // exec, attach, portforward, proxy: a stream, whatever the HTTP method
	VerbRead    = "read"    // get, list, watch (reading Secrets)
)

// Request classes a scope names; they are the values of kube.Class for
// the requests a grant may elevate.
const (
	ClassWrite     = "write"
	ClassSensitive = "sensitive"
)

// ScopeWithin reports whether every request inner covers is covered by
// outer as well (a nil scope is the whole context).
func ScopeWithin(outer, inner *GrantScope) bool {
	if outer == nil {
		return true
	}
	if inner == nil {
		return false
	}
	subset := func(out, in []string) bool {
		if len(out) == 0 {
			return true
		}
		if len(in) == 0 {
			return false
		}
		for _, x := range in {
			if !slices.Contains(out, x) {
				return false
			}
		}
		return true
	}
	if !subset(outer.Classes, inner.Classes) || !subset(outer.Verbs, inner.Verbs) {
		return false
	}
	if outer.Group != inner.Group || outer.Resource != inner.Resource || outer.Subresource != inner.Subresource ||
		outer.Namespace != inner.Namespace || outer.Path != inner.Path {
		return false
	}
	if !ActionCovers(outer.Action, inner.Action) || !contentWithin(outer, inner) {
		return false
	}
	if len(inner.Names) == 0 {
		return len(outer.Names) == 0
	}
	for _, n := range inner.Names {
		if !slices.Contains(outer.Names, n) {
			return false
		}
	}
	return true
}

// contentWithin: every content inner covers, outer covers. An open inner
// (an edit's any change) is within only an equally open outer for an action
// that is open too.
func contentWithin(outer, inner *GrantScope) bool {
	if inner.Content == "" && OpenContent(inner.Action) {
		return outer.Content == "" && OpenContent(outer.Action)
	}
	return ContentCovers(outer.Action, outer.Content, inner.Content)
}

// ScopeString describes a scope for prompts and logs, e.g.
// "delete pods shop/web-1, shop/web-2".
func ScopeString(s *GrantScope) string {
	if s == nil {
		return "every write and sensitive request"
	}
	verb := strings.Join(s.Verbs, "/")
	if s.Path != "" {
		return verb + " " + s.Path
	}
	what := s.Resource
	if s.Group != "" {
		what += "." + s.Group
	}
	if s.Subresource != "" {
		what += "/" + s.Subresource
	}
	var objs []string
	for _, n := range s.Names {
		if s.Namespace != "" && s.Resource != "namespaces" {
			n = s.Namespace + "/" + n
		}
		objs = append(objs, n)
	}
	var out string
	switch {
	case len(objs) > 0:
		out = fmt.Sprintf("%s %s %s", verb, what, strings.Join(objs, ", "))
	case s.Namespace != "":
		out = fmt.Sprintf("%s %s in namespace %s", verb, what, s.Namespace)
	default:
		out = verb + " " + what
	}
	if s.Content != "" {
		out += " (" + s.Action + ": " + s.Content + ")"
	}
	if DrainsNodes(s) {
		out += " and evict the pods on " + map[bool]string{true: "it", false: "them"}[len(s.Names) == 1]
	}
	return out
}

// resourceGroups are the API groups of the resources K9s shows by their
// plain name. A resource not listed is taken to be in the group its view
// names ("certificates.cert-manager.io"), else the core group; if that is
// wrong the scope is too narrow and the gateway asks again (fail closed).
var resourceGroups = map[string]string{
	"deployments": "apps", "statefulsets": "apps", "daemonsets": "apps", "replicasets": "apps",
	"controllerrevisions": "apps",
	"jobs":                "batch", "cronjobs": "batch",
	"horizontalpodautoscalers": "autoscaling",
	"poddisruptionbudgets":     "policy",
	"ingresses":                "networking.k8s.io", "networkpolicies": "networking.k8s.io", "ingressclasses": "networking.k8s.io",
	"roles": "rbac.authorization.k8s.io", "rolebindings": "rbac.authorization.k8s.io",
	"clusterroles": "rbac.authorization.k8s.io", "clusterrolebindings": "rbac.authorization.k8s.io",
	"storageclasses": "storage.k8s.io", "volumeattachments": "storage.k8s.io", "csidrivers": "storage.k8s.io",
	"endpointslices":            "discovery.k8s.io",
	"leases":                    "coordination.k8s.io",
	"customresourcedefinitions": "apiextensions.k8s.io",
	"priorityclasses":           "scheduling.k8s.io",
}

// ResourceGroup is the API group of a resource K9s shows by its plain
// name ("deployments" → "apps"); "" for the core group or an unknown one.
func ResourceGroup(resource string) string { return resourceGroups[resource] }

// clusterScoped resources have no namespace.
var clusterScoped = []string{"nodes", "namespaces", "persistentvolumes", "storageclasses", "clusterroles",
	"clusterrolebindings", "customresourcedefinitions", "priorityclasses", "ingressclasses", "csidrivers",
	"volumeattachments"}

// Target is one object a K9s key press acts on, as read off the screen.
type Target struct {
	Namespace string // "" for cluster-scoped objects or when unknown
	Name      string
}

// KeyScope maps a K9s key action on resource (the view's canonical
// resource, e.g. "pods", "deployments", "certificates.cert-manager.io") and
// the objects it acts on to the scope of the requests K9s will send: kill →
// delete pods; edit → update/patch of that resource and name; scale → the
// scale subresource; exec, shell, attach and transfer → pods/exec or
// pods/attach on that pod; drain → the cordon of that node and the
// evictions of the pods on it (DrainsNodes). ok is false for actions that send nothing the
// gateway can foresee (context edits are local). All targets must share one
// namespace; when they do not, or when names are unknown, the scope names
// nothing and covers only nameless requests: too narrow, never too wide.
func KeyScope(action, resource string, targets []Target) (*GrantScope, bool) {
	res, group := resource, ""
	if r, g, ok := strings.Cut(resource, "."); ok {
		res, group = r, g
	} else {
		group = ResourceGroup(resource)
	}
	s := &GrantScope{Action: action, Group: group, Resource: res, Classes: []string{ClassWrite}}
	switch action {
	case "kill", "delete":
		s.Verbs = []string{VerbDelete}
		if action == "kill" {
			s.Group, s.Resource = "", "pods"
		}
	case "edit", "restart", "set-image", "rollback", "suspend", "cordon", "uncordon", "drain":
		s.Verbs = []string{VerbUpdate}
		if action == "cordon" || action == "uncordon" || action == "drain" {
			s.Group, s.Resource = "", "nodes"
		}
	case "scale":
		s.Verbs, s.Subresource = []string{VerbUpdate}, "scale"
	case "exec", "transfer", "attach", "port-forward":
		s.Classes, s.Verbs = []string{ClassSensitive}, []string{VerbConnect}
		s.Group, s.Resource = "", "pods"
		s.Subresource = map[string]string{"exec": "exec", "transfer": "exec", "attach": "attach", "port-forward": "portforward"}[action]
		if resource != "pods" {
			targets = nil // the pod behind a container or workload row is not on screen
		}
	case "trigger":
		// The Job a trigger creates, owned by the CronJob under the cursor
		// (the gateway checks it is built from that CronJob's template). An
		// unknown or ambiguous CronJob leaves a Content no Job has: too
		// narrow, never too wide.
		s.Verbs, s.Group, s.Resource = []string{VerbCreate}, "batch", "jobs"
		s.Content = "cronjob/"
		if len(targets) == 1 {
			s.Namespace = targets[0].Namespace
			s.Content += targets[0].Name
		}
		return s, true
	case "secrets":
		s.Classes, s.Verbs = []string{ClassSensitive}, []string{VerbRead}
		s.Group, s.Resource = "", "secrets"
	default:
		return nil, false
	}
	if len(targets) == 0 {
		return s, true
	}
	ns := targets[0].Namespace
	for _, t := range targets {
		if t.Namespace != ns || t.Name == "" {
			return s, true
		}
	}
	if s.Resource == "namespaces" {
		// The API server files a namespace under itself.
		if len(targets) == 1 {
			s.Namespace = targets[0].Name
		}
	} else if !slices.Contains(clusterScoped, s.Resource) {
		s.Namespace = ns
	}
	if s.Resource == "namespaces" && len(targets) != 1 {
		return s, true
	}
	if action == "secrets" {
		return s, true // the secrets view lists: a scope for the namespace, naming nothing
	}
	for _, t := range targets {
		s.Names = append(s.Names, t.Name)
	}
	return s, true
}

// DrainsNodes reports whether s is a scope K9s's drain key makes: the
// cordon of the nodes it names and the eviction of the pods on them
// (kubectl's drain helper, which K9s runs, evicts each pod on the node
// after the cordon). Package kube matches an eviction to its pod's node,
// read from the live pod; a drain scope naming no node covers no eviction.
func DrainsNodes(s *GrantScope) bool {
	return s != nil && s.Action == "drain" && s.Group == "" && s.Resource == "nodes" && s.Subresource == "" &&
		s.Namespace == "" && s.Path == "" && len(s.Names) > 0
}

func cloneScope(s *GrantScope) *GrantScope {
	if s == nil {
		return nil
	}
	c := *s
	c.Classes = slices.Clone(s.Classes)
	c.Verbs = slices.Clone(s.Verbs)
	c.Names = slices.Clone(s.Names)
	return &c
}

func scopeEqual(a, b *GrantScope) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return slices.Equal(a.Classes, b.Classes) && slices.Equal(a.Verbs, b.Verbs) && a.Group == b.Group &&
		a.Resource == b.Resource && a.Subresource == b.Subresource && a.Namespace == b.Namespace &&
		slices.Equal(a.Names, b.Names) && a.Path == b.Path && a.Action == b.Action && a.Content == b.Content
}
