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
}

// Pseudo view names used only inside the table.
const (
	viewGeneric = "*generic" // a resource view not named explicitly (built-in or CRD)
	viewCRD     = "*crd"     // a resource view whose name the guard does not know (likely a CRD)
	viewSub     = "*sub"     // describe / yaml / logs of the view beneath
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

// actionTable mirrors k9s-notes.md ("Keys that change the cluster or expose
// secrets"). The first matching row wins, so specific views come before the
// generic rows for the same key.
//
// Two conservative choices are deliberate:
//   - Ctrl-D is a delete in every view the guard cannot rule out, including
//     an unknown view and describe/yaml/logs sub-views, because delete is
//     bound in almost every K9s view and is the most damaging key.
//   - In an unknown view every other key is harmless: guessing would prompt
//     for passcodes while the user types, and the credential gateway still
//     refuses any mutation that slips through without a window.
var actionTable = []actionRow{
	// Ctrl-D: delete in any resource view, with its own meaning in a few.
	{keyBinding{true, 'd'}, []string{ResContexts}, ActDeleteContext, ""},
	{keyBinding{true, 'd'}, []string{ResHelm}, ActDelete, "uninstall"},
	{keyBinding{true, 'd'}, []string{ResDir}, ActDelete, "kubectl delete -f"},
	{keyBinding{true, 'd'}, []string{viewGeneric, viewCRD, viewSub, viewUnknown, ResContainers, ResXray, ResHelmHistory}, ActDelete, ""},
	{keyBinding{true, 'k'}, []string{ResPods}, ActKill, ""},
	{keyBinding{true, 'l'}, []string{ResReplicaSets}, ActRollback, ""},

	{keyBinding{false, 'e'}, []string{ResDir}, ActEdit, "edit manifest"},
	{keyBinding{false, 'e'}, []string{viewGeneric, viewCRD, viewSub, ResXray}, ActEdit, ""},

	{keyBinding{false, 's'}, podLike, ActExec, "shell"},
	{keyBinding{false, 's'}, []string{ResXray}, ActExec, "shell"},
	{keyBinding{false, 's'}, []string{ResCronJobs}, ActSuspend, "suspend/resume"},
	{keyBinding{false, 's'}, []string{ResDeployments, ResStatefulSets, ResReplicaSets, viewCRD}, ActScale, ""},

	{keyBinding{false, 'a'}, podLike, ActAttach, ""},
	{keyBinding{false, 'a'}, []string{ResXray}, ActAttach, ""},
	{keyBinding{false, 'a'}, []string{ResDir}, ActApply, "kubectl apply"},

	{keyBinding{false, 't'}, []string{ResPods}, ActTransfer, "transfer (kubectl cp)"},
	{keyBinding{false, 't'}, []string{ResCronJobs}, ActTrigger, ""},

	{keyBinding{false, 'z'}, []string{ResPods}, ActDelete, "sanitize"},

	{keyBinding{false, 'r'}, deploys, ActRestart, ""},
	{keyBinding{false, 'r'}, []string{ResNodes}, ActDrain, ""},
	{keyBinding{false, 'r'}, []string{ResHelmHistory}, ActRollback, ""},
	{keyBinding{false, 'r'}, []string{ResContexts}, ActRenameContext, ""},

	{keyBinding{false, 'i'}, views([]string{ResPods}, deploys), ActSetImage, ""},

	{keyBinding{false, 'c'}, []string{ResNodes}, ActCordon, ""},
	{keyBinding{false, 'u'}, []string{ResNodes}, ActUncordon, ""},

	{keyBinding{false, 'F'}, portForwards, ActPortForward, ""},

	{keyBinding{false, 'x'}, []string{ResSecrets}, ActSecrets, "decode"},

	{keyBinding{false, 'd'}, []string{ResDir}, ActDelete, "kubectl delete -f"},
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
	{ResDir, "directory"},
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

// localViews show nothing from the cluster, so no key in them is dangerous.
var localViews = map[string]bool{
	ResHelp: true, "aliases": true, "pulses": true, "popeye": true,
	"benchmarks": true, "screendumps": true, "plugins": true,
}

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
	case isSubView(view):
		return []string{viewSub}
	case localViews[view]:
		return nil
	case specialViews[view]:
		return []string{view}
	case builtinViews[view]:
		return []string{view, viewGeneric}
	}
	return []string{viewCRD}
}

// lookupAction finds the action key k triggers in view, or nil.
func lookupAction(view string, k Key) *actionRow {
	classes := viewClasses(view)
	for i := range actionTable {
		row := &actionTable[i]
		if !row.key.matches(k) {
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
