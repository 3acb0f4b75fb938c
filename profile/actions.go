package profile

import (
	"regexp"
	"slices"
	"strings"
)

// Action classes. A class in a rule's actions list covers every action that
// belongs to it, so a profile keeps working when K9s grows a new key that
// maps onto an existing class.
const (
	ClassWrites    = "writes"
	ClassSensitive = "sensitive"
	ClassAll       = "all"
)

// writeActions change the cluster. The API verbs create, update and patch
// are here so that the gateway, which sees requests rather than keys, can
// ask about them by name; "raw" is its name for a write to a non-resource
// path, and "debug" for adding an ephemeral container.
var writeActions = []string{
	"delete", "kill", "edit", "scale", "restart", "drain", "cordon", "uncordon",
	"rollback", "trigger", "suspend", "set-image", "apply", "sanitize", "transfer",
	"debug", "create", "update", "patch", "raw",
}

// sensitiveActions expose data or a foothold without necessarily changing
// anything: a shell, a stream, a tunnel, or a secret's value. transfer and
// debug are in both lists: kubectl cp runs over exec and can copy either
// way, and kubectl debug adds a container to get a shell.
var sensitiveActions = []string{
	"exec", "attach", "port-forward", "proxy", "secrets", "transfer", "debug",
}

// readActions are never guarded, not even by "all": the guard exists to
// leave daily read-only work alone.
var readActions = []string{"get", "list", "watch", "logs", "describe", "view"}

// actionAliases accepts spellings people use for the same action, so the
// loader can be strict about the canonical list without being pedantic.
var actionAliases = map[string]string{
	"shell":            "exec",
	"portforward":      "port-forward",
	"port_forward":     "port-forward",
	"pf":               "port-forward",
	"setimage":         "set-image",
	"set_image":        "set-image",
	"cp":               "transfer",
	"secret":           "secrets",
	"write":            ClassWrites,
	"deletecollection": "delete",
}

// deleteKindAliases maps Kubernetes resource names (plural, singular, short)
// to the short kind used in delete-<kind> actions, so "delete-namespaces",
// "delete-ns" and "delete-namespace" are one action.
var deleteKindAliases = func() map[string]string {
	m := map[string]string{}
	for short, names := range map[string][]string{
		"namespace":   {"namespaces", "ns"},
		"node":        {"nodes", "no"},
		"pv":          {"persistentvolumes", "persistentvolume"},
		"pvc":         {"persistentvolumeclaims", "persistentvolumeclaim"},
		"deployment":  {"deployments", "deploy"},
		"statefulset": {"statefulsets", "sts"},
		"daemonset":   {"daemonsets", "ds"},
		"pod":         {"pods", "po"},
		"service":     {"services", "svc"},
		"secret":      {"secrets"},
		"configmap":   {"configmaps", "cm"},
		"crd":         {"customresourcedefinitions", "customresourcedefinition", "crds"},
	} {
		for _, n := range names {
			m[n] = short
		}
	}
	return m
}()

var deleteKindRE = regexp.MustCompile(`^delete-[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)

// defaultActions is what a protected context guards when its rule (and the
// defaults) say nothing.
var defaultActions = []string{ClassWrites, ClassSensitive}

// defaultConfirmName lists the actions so destructive that a code alone is
// not enough: the user must also type the object's name.
var defaultConfirmName = []string{"delete-namespace", "delete-node", "delete-pv", "delete-pvc", "drain"}

// NamedActions returns the canonical action names a profile may list, in a
// stable order. Key mapping and the gateway should emit only these names
// (or delete-<kind>, see DeleteAction) when they ask Policy.Requires.
func NamedActions() []string {
	var out []string
	for _, a := range slices.Concat(writeActions, sensitiveActions) {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// Classes returns the class names a profile may list.
func Classes() []string { return []string{ClassWrites, ClassSensitive, ClassAll} }

// DeleteAction returns the canonical action for deleting a resource of the
// given kind, e.g. DeleteAction("namespaces") == "delete-namespace". It is
// what confirmName lists and what Policy.Requires understands.
func DeleteAction(kind string) string {
	k := strings.ToLower(strings.TrimSpace(kind))
	if a, ok := deleteKindAliases[k]; ok {
		k = a
	}
	if k == "" {
		return "delete"
	}
	return "delete-" + k
}

// Singular turns a Kubernetes resource name into the word for one of it:
// "pods" is "pod", "ingresses" "ingress", "networkpolicies"
// "networkpolicy". The gateway's messages, the audit and the prompt all
// name objects this way.
func Singular(resource string) string {
	switch {
	case strings.HasSuffix(resource, "ies"):
		return strings.TrimSuffix(resource, "ies") + "y"
	case strings.HasSuffix(resource, "sses"), strings.HasSuffix(resource, "xes"):
		return strings.TrimSuffix(resource, "es")
	}
	return strings.TrimSuffix(resource, "s")
}

// canonicalAction normalises a spelling to its canonical name. It returns
// the input lower-cased when it is not an alias, and ok=false when the
// result is neither a named action, a class, nor delete-<kind>.
func canonicalAction(s string) (string, bool) {
	a := strings.ToLower(strings.TrimSpace(s))
	if c, ok := actionAliases[a]; ok {
		a = c
	}
	if strings.HasPrefix(a, "delete-") {
		a = DeleteAction(strings.TrimPrefix(a, "delete-"))
		return a, deleteKindRE.MatchString(a)
	}
	if slices.Contains(writeActions, a) || slices.Contains(sensitiveActions, a) || slices.Contains(Classes(), a) {
		return a, true
	}
	return a, false
}

// isWrite reports whether a canonical action belongs to the writes class.
func isWrite(a string) bool {
	return slices.Contains(writeActions, a) || strings.HasPrefix(a, "delete-")
}

func isSensitive(a string) bool { return slices.Contains(sensitiveActions, a) }

// isKnownAction reports whether a canonical action is one the guard knows
// how to classify; Requires treats every other name as guarded.
func isKnownAction(a string) bool {
	return isWrite(a) || isSensitive(a) || slices.Contains(readActions, a)
}
