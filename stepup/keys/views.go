package keys

import "strings"

// Action names reported in Verdict.Action. Profiles name actions with
// these strings, so they are part of the configuration surface: do not
// rename them.
const (
	ActDelete        = "delete"
	ActDeleteContext = "delete-context"
	ActKill          = "kill"
	ActEdit          = "edit"
	ActScale         = "scale"
	ActExec          = "exec"
	ActAttach        = "attach"
	ActApply         = "apply"
	ActTransfer      = "transfer"
	ActTrigger       = "trigger"
	ActSuspend       = "suspend"
	ActRestart       = "restart"
	ActDrain         = "drain"
	ActRollback      = "rollback"
	ActRenameContext = "rename-context"
	ActSetImage      = "set-image"
	ActCordon        = "cordon"
	ActUncordon      = "uncordon"
	ActPortForward   = "port-forward"
	ActSecrets       = "secrets"
)

// Canonical names of the K9s views the key table distinguishes. Any other
// non-empty name is a "generic" resource view (a built-in resource without
// special keys, or a CRD).
const (
	ResPods         = "pods"
	ResContainers   = "containers"
	ResDeployments  = "deployments"
	ResStatefulSets = "statefulsets"
	ResDaemonSets   = "daemonsets"
	ResReplicaSets  = "replicasets"
	ResJobs         = "jobs"
	ResCronJobs     = "cronjobs"
	ResNodes        = "nodes"
	ResServices     = "services"
	ResSecrets      = "secrets"
	ResNamespaces   = "namespaces"
	ResContexts     = "contexts"
	ResDir          = "dir"
	ResXray         = "xray"
	ResHelm         = "helm"
	ResHelmHistory  = "history"
	// Sub-views show one object of the view beneath them on the stack.
	ResDescribe = "describe"
	ResYAML     = "yaml"
	ResLogs     = "logs"
	ResHelp     = "help"
)

// keyBinding is a key as K9s binds it: a plain character or Ctrl+letter.
type keyBinding struct {
	ctrl bool
	r    rune
}

func (b keyBinding) matches(k Key) bool {
	if b.ctrl {
		return k.IsCtrl(b.r)
	}
	return k.IsRune(b.r)
}

func (b keyBinding) String() string {
	if b.ctrl {
		return "ctrl+" + string(b.r)
	}
	return string(b.r)
}

// actionRow is one row of the table in k9s-notes.md: a key that changes the
// cluster or exposes secrets in the listed views.
type actionRow struct {
	key    keyBinding
	views  []string // canonical view names; see the view classes below
	action string
	label  string // what K9s calls it when that differs from action
	// readOnly is set for the keys K9s keeps bound when it runs read-only
	// (--readonly, readOnly in its config): it hides every other one.
	readOnly bool
}

// Pseudo view names used only inside the table.
const (
	viewGeneric = "*generic" // a resource view not named explicitly (built-in or CRD)
	viewCRD     = "*crd"     // a resource view whose name the guard does not know (likely a CRD)
	viewUnknown = "*unknown" // the guard does not know the current view
)

// View groups that share keys.
var (
	deploys      = []string{ResDeployments, ResStatefulSets, ResDaemonSets}
	podLike      = []string{ResPods, ResContainers}
	portForwards = []string{ResPods, ResContainers, ResServices, ResDeployments, ResStatefulSets, ResDaemonSets}
)

func views(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// actionTable mirrors the key bindings of K9s v0.50.16 (internal/view:
// browser.go binds edit and delete for every resource whose verbs allow
// them, the per-view files add the rest, and each drops its dangerous keys
// under readOnly except where readOnly is set here). The first matching
// row wins, so specific views come before the generic rows for the same
// key.
//
// Two conservative choices are deliberate:
//   - Ctrl-D is a delete in an unknown view, because delete is bound in
//     almost every K9s resource view and is the most damaging key.
//   - In an unknown view every other key is harmless: guessing would prompt
//     for passcodes while the user types, and the credential gateway still
//     refuses any mutation that slips through without a window.
//
// Keys K9s does not bind in a view are not rows: Ctrl-D in containers
// (their verbs are empty), describe, yaml and logs (LiveView and Log bind
// no delete), helm history and :dir (both unbind it); s on replicasets
// (no scale extender); e in logs; e in :dir (it edits the local file).
var actionTable = []actionRow{
	// Ctrl-D: delete in any resource view, with its own meaning in a few.
	{keyBinding{true, 'd'}, []string{ResContexts}, ActDeleteContext, "", false},
	{keyBinding{true, 'd'}, []string{ResHelm}, ActDelete, "uninstall", false},
	{keyBinding{true, 'd'}, []string{ResXray}, ActDelete, "", true},
	{keyBinding{true, 'd'}, []string{viewGeneric, viewCRD, viewUnknown}, ActDelete, "", false},
	{keyBinding{true, 'k'}, []string{ResPods}, ActKill, "", false},
	{keyBinding{true, 'l'}, []string{ResReplicaSets}, ActRollback, "", true},

	{keyBinding{false, 'e'}, []string{ResXray}, ActEdit, "", true},
	{keyBinding{false, 'e'}, []string{viewGeneric, viewCRD, ResDescribe, ResYAML}, ActEdit, "", false},

	{keyBinding{false, 's'}, podLike, ActExec, "shell", false},
	{keyBinding{false, 's'}, []string{ResXray}, ActExec, "shell", true},
	{keyBinding{false, 's'}, []string{ResCronJobs}, ActSuspend, "suspend/resume", true},
	{keyBinding{false, 's'}, []string{ResDeployments, ResStatefulSets, viewCRD}, ActScale, "", false},

	{keyBinding{false, 'a'}, podLike, ActAttach, "", false},
	{keyBinding{false, 'a'}, []string{ResXray}, ActAttach, "", true},
	{keyBinding{false, 'a'}, []string{ResDir}, ActApply, "kubectl apply", false},

	{keyBinding{false, 't'}, []string{ResPods}, ActTransfer, "transfer (kubectl cp)", false},
	{keyBinding{false, 't'}, []string{ResCronJobs}, ActTrigger, "", true},

	{keyBinding{false, 'z'}, []string{ResPods}, ActDelete, "sanitize", false},

	{keyBinding{false, 'r'}, deploys, ActRestart, "", false},
	{keyBinding{false, 'r'}, []string{ResNodes}, ActDrain, "", false},
	{keyBinding{false, 'r'}, []string{ResHelmHistory}, ActRollback, "", false},
	{keyBinding{false, 'r'}, []string{ResContexts}, ActRenameContext, "", false},

	{keyBinding{false, 'i'}, views([]string{ResPods}, deploys), ActSetImage, "", false},

	{keyBinding{false, 'c'}, []string{ResNodes}, ActCordon, "", false},
	{keyBinding{false, 'u'}, []string{ResNodes}, ActUncordon, "", false},

	{keyBinding{false, 'F'}, portForwards, ActPortForward, "", true},

	{keyBinding{false, 'x'}, []string{ResSecrets}, ActSecrets, "decode", true},

	{keyBinding{false, 'd'}, []string{ResDir}, ActDelete, "kubectl delete -f", false},
}

// resourceAliases maps the names K9s accepts on its command line (plural,
// singular, short names) to the canonical view name. Names not listed are
// kept as typed (lower-cased): they are CRDs or user aliases.
var resourceAliases = map[string]string{}

// k9sViews lists every view K9s has built in, with its aliases. A name that
// is not here is treated as a CRD (see viewCRD).
var k9sViews = [][]string{
	{ResPods, "po", "pod"},
	{ResContainers, "co", "container"},
	{ResDeployments, "deploy", "deployment", "dp"},
	{ResStatefulSets, "sts", "statefulset"},
	{ResDaemonSets, "ds", "daemonset"},
	{ResReplicaSets, "rs", "replicaset"},
	{ResJobs, "job"},
	{ResCronJobs, "cj", "cronjob"},
	{ResNodes, "no", "node"},
	{ResServices, "svc", "service"},
	{ResSecrets, "sec", "secret"},
	{ResNamespaces, "ns", "namespace"},
	{ResContexts, "ctx", "context"},
	{ResDir, "dirs", "directory"},
	{ResXray},
	{ResHelm, "hm", "chart", "charts"},
	{ResHelmHistory, "helm-history"},
	{ResDescribe},
	{ResYAML},
	{ResLogs, "log"},
	{ResHelp, "h", "?"},
	{"configmaps", "cm", "configmap"},
	{"serviceaccounts", "sa", "serviceaccount"},
	{"persistentvolumeclaims", "pvc", "persistentvolumeclaim"},
	{"persistentvolumes", "pv", "persistentvolume"},
	{"storageclasses", "sc", "storageclass"},
	{"ingresses", "ing", "ingress"},
	{"events", "ev", "event"},
	{"endpoints", "ep"},
	{"endpointslices", "eps", "endpointslice"},
	{"horizontalpodautoscalers", "hpa", "horizontalpodautoscaler"},
	{"poddisruptionbudgets", "pdb", "poddisruptionbudget"},
	{"networkpolicies", "np", "netpol", "networkpolicy"},
	{"roles", "role"},
	{"rolebindings", "rb", "rolebinding"},
	{"clusterroles", "cr", "clusterrole"},
	{"clusterrolebindings", "crb", "clusterrolebinding"},
	{"customresourcedefinitions", "crd", "crds", "customresourcedefinition"},
	{"limitranges", "limits", "limitrange"},
	{"resourcequotas", "quota", "resourcequota"},
	{"priorityclasses", "pc", "priorityclass"},
	{"ingressclasses", "ingressclass"},
	{"leases", "lease"},
	{"workloads", "wk", "workload"},
	{"users", "usr", "user"},
	{"groups", "grp", "group"},
	{"rbac"},
	{"policy", "pol"},
	{"portforwards", "pf", "portforward"},
	// Views about K9s itself or local files; no cluster object behind them.
	{"aliases", "alias"},
	{"pulses", "pu", "pulse", "hz"},
	{"popeye", "pop"},
	{"benchmarks", "be", "benchmark"},
	{"screendumps", "sd", "screendump"},
	{"plugins", "plugin"},
}

// specialViews have their own key map and do not take the generic resource
// view's keys (edit, delete) unless the table lists them.
var specialViews = map[string]bool{
	ResContainers: true, ResContexts: true, ResDir: true, ResXray: true,
	ResHelm: true, ResHelmHistory: true,
}

// localViews show nothing from the cluster, so no key in them is dangerous
// (Ctrl-D in portforwards stops a local port-forward).
var localViews = map[string]bool{
	ResHelp: true, "aliases": true, "pulses": true, "popeye": true,
	"benchmarks": true, "screendumps": true, "plugins": true, "portforwards": true,
}

// noEditViews unbind K9s's generic edit and delete (event.go, user.go).
var noEditViews = map[string]bool{"events": true, "users": true, "groups": true}

var builtinViews = map[string]bool{}

func init() {
	for _, names := range k9sViews {
		builtinViews[names[0]] = true
		for _, n := range names {
			resourceAliases[n] = names[0]
		}
	}
}

// CanonicalResource turns a view or resource name as K9s shows or accepts it
// ("po", "Pods", "deploy", "apps/v1/deployments", "deployments.apps") into
// the name the key table uses ("pods", "deployments"). Unknown names are
// returned lower-cased, so CRDs keep a stable name.
func CanonicalResource(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	if i := strings.LastIndexByte(n, '/'); i >= 0 && i < len(n)-1 {
		n = n[i+1:] // drop group/version
	}
	if c, ok := resourceAliases[n]; ok {
		return c
	}
	if strings.HasPrefix(n, ResXray+"-") {
		return ResXray // the xray view's title: "Xray-Pods(shop)"
	}
	if base, _, ok := strings.Cut(n, "."); ok {
		if c, ok := resourceAliases[base]; ok {
			return c // deployments.apps
		}
	}
	return n
}

// isSubView reports whether v shows a single object of the view beneath it.
func isSubView(v string) bool {
	return v == ResDescribe || v == ResYAML || v == ResLogs
}

// viewClasses returns the names a view matches in actionTable, most
// specific first.
func viewClasses(view string) []string {
	switch {
	case view == "":
		return []string{viewUnknown}
	case isSubView(view), localViews[view], specialViews[view], noEditViews[view]:
		return []string{view}
	case builtinViews[view]:
		return []string{view, viewGeneric}
	}
	return []string{viewCRD}
}

// lookupAction finds the action key k triggers in view, or nil; readOnly
// is K9s running read-only, with its write keys unbound.
func lookupAction(view string, k Key, readOnly bool) *actionRow {
	classes := viewClasses(view)
	for i := range actionTable {
		row := &actionTable[i]
		if !row.key.matches(k) || readOnly && !row.readOnly {
			continue
		}
		for _, v := range row.views {
			for _, c := range classes {
				if v == c {
					return row
				}
			}
		}
	}
	return nil
}

// drillDown predicts the view K9s opens when Enter is pressed on a row of
// view; "" means the guard cannot tell, and the shadow screen will say.
var drillDown = map[string]string{
	ResPods:         ResContainers,
	ResDeployments:  ResPods,
	ResStatefulSets: ResPods,
	ResDaemonSets:   ResPods,
	ResReplicaSets:  ResPods,
	ResJobs:         ResPods,
	ResServices:     ResPods,
	ResNodes:        ResPods,
	ResNamespaces:   ResPods,
	ResCronJobs:     ResJobs,
	ResContainers:   ResLogs,
	ResDir:          ResDir, // Enter opens a sub-directory
}

// subViewKeys are the keys that open a sub-view of the current row. They are
// only predicted in views where K9s binds them that way (not in dir, where d
// deletes, nor in the contexts, helm or local views).
var subViewKeys = map[rune]string{'d': ResDescribe, 'y': ResYAML, 'l': ResLogs}

// logViews are the views with a logs key.
var logViews = map[string]bool{
	ResPods: true, ResContainers: true, ResDeployments: true, ResStatefulSets: true,
	ResDaemonSets: true, ResReplicaSets: true, ResJobs: true, ResServices: true,
}
