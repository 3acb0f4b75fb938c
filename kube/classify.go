package kube

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/endpoints/request"
	kjson "sigs.k8s.io/json"

	"github.com/k9s-guard/k9s-guard/profile"
)

// Class is what a request does, as far as step-up is concerned.
type Class string

// Request classes.
const (
	// ClassRead changes nothing and reveals nothing beyond what the base
	// credentials are meant to see.
	ClassRead Class = "read"
	// ClassWrite changes the cluster: create, update, patch, delete,
	// deletecollection.
	ClassWrite Class = "write"
	// ClassSensitive gives a foothold or reveals secrets without
	// necessarily changing anything: exec, attach, port-forward, proxy,
	// reading Secrets (get, list and watch alike).
	ClassSensitive Class = "sensitive"
)

// Operation is what the gateway understood of one request: the API
// server's own view (verb, group, resource, subresource, namespace, name),
// the class, and the named action the profile speaks of.
type Operation struct {
	Verb        string // Kubernetes verb; for non-resource paths the lower-case HTTP method
	Group       string
	Version     string
	Resource    string
	Subresource string
	Namespace   string
	Name        string
	// Path is the API path the operation was derived from (without the
	// gateway's /ctx/<name> prefix).
	Path        string
	NonResource bool

	Class  Class
	Action string
	// Content is what makes the request the action it is, beyond its
	// object, for grants to match (issue 13): the exec command, the proxy
	// method and sub-path, the selectors of a delete-collection, the
	// CronJob a triggered Job comes from. It is empty for actions whose
	// name already says all there is (a restart is a patch of the
	// restartedAt annotation and nothing else) and for those whose content
	// is anything (create, edit). See ContentOf.
	Content string
	// Command is the command of an exec (kubectl exec, kubectl cp), and
	// SubPath the path and query a proxy request goes on to (a kubelet's
	// /configz), so that the audit trail can say what was run or reached.
	Command []string
	SubPath string
	// ReadLike says why a request with a mutating verb is nevertheless a
	// read: "dry-run" or "self-review". Empty otherwise.
	ReadLike string

	// job is the decoded body of a trigger, which the gateway checks
	// against the CronJob it claims to come from.
	job *batchv1.Job
	// evictNode is the node of the pod an eviction evicts, read from the
	// live pod with the user's own credentials (checkEviction); empty when
	// it is not an eviction or the pod could not be read. A drain's grant
	// covers an eviction only through it.
	evictNode string
}

// String describes the operation for prompts and messages, e.g.
// "delete pod shop/cart-7c9d" or "exec pod shop/web-1 (exec)".
func (o Operation) String() string {
	if o.NonResource {
		return fmt.Sprintf("%s %s", strings.ToUpper(o.Verb), o.Path)
	}
	what := profile.Singular(o.Resource)
	if o.Group != "" && !knownGroups.Has(o.Group) {
		what += "." + o.Group
	}
	if o.Subresource != "" {
		what += "/" + o.Subresource
	}
	target := o.Name
	switch {
	case o.Namespace != "" && o.Name != "":
		target = o.Namespace + "/" + o.Name
	case o.Namespace != "":
		target = "in namespace " + o.Namespace
	case o.Name == "":
		target = "(all)"
	}
	if o.Name == "" {
		what = o.Resource
		if o.Subresource != "" {
			what += "/" + o.Subresource
		}
	}
	out := fmt.Sprintf("%s %s %s", o.Action, what, target)
	if d := o.detail(); d != "" {
		out += " (" + d + ")"
	}
	return out
}

// detail says what the operation does beyond its object, for the prompt:
// the user approves this, not just the object.
func (o Operation) detail() string {
	switch {
	case o.Content == "":
		return ""
	case o.Subresource == "exec":
		return shellJoin(o.Command)
	case o.Action == "trigger":
		return "a Job from " + strings.Replace(o.Content, "/", " ", 1)
	case o.Verb == "deletecollection" && o.Content == selectorNone:
		return "no selector: every one"
	}
	return o.Content
}

// shellJoin renders a command as a shell would read it back.
func shellJoin(cmd []string) string {
	if len(cmd) == 0 {
		return "no command"
	}
	parts := make([]string, len(cmd))
	for i, a := range cmd {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
			parts[i] = a
		} else {
			parts[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(parts, " ")
}

// Candidates lists the action names under which a profile may guard this
// operation, most specific first. A profile that guards "delete" must
// catch a kill (a delete with no grace period), and one that guards
// "delete-namespace" must catch a delete of namespaces, so the gateway asks
// about every name here and steps up if any is guarded.
func (o Operation) Candidates() []string {
	out := []string{o.Action}
	switch o.Action {
	case "kill":
		out = append(out, "delete")
		fallthrough
	case "delete":
		if o.Resource != "" {
			out = append(out, "delete-"+o.Resource)
		}
	case "transfer":
		out = append(out, "exec")
	}
	return out
}

// knownGroups are shown without a group suffix in messages.
var knownGroups = sets.New("apps", "batch", "policy", "autoscaling", "networking.k8s.io",
	"rbac.authorization.k8s.io", "storage.k8s.io", "coordination.k8s.io", "discovery.k8s.io")

// requestInfoFactory parses paths exactly as kube-apiserver does, so that
// the gateway and the API server can never disagree on what a path means.
var requestInfoFactory = &request.RequestInfoFactory{
	APIPrefixes:          sets.NewString("api", "apis"),
	GrouplessAPIPrefixes: sets.NewString("api"),
}

// Request body content types.
const (
	contentJSON        = "application/json"
	contentJSONPatch   = "application/json-patch+json"
	contentMergePatch  = "application/merge-patch+json"
	contentStrategic   = "application/strategic-merge-patch+json"
	contentApplyYAML   = "application/apply-patch+yaml"
	contentApplyCBOR   = "application/apply-patch+cbor"
	annotationRestart  = "kubectl.kubernetes.io/restartedAt"
	annotationApplied  = "kubectl.kubernetes.io/last-applied-configuration"
	maxClassifiedBody  = 4 << 20 // above kube-apiserver's 3 MiB limit for most requests
	subresourceEvicton = "eviction"
)

// needsBody reports whether Classify looks at the request body for this
// method, so that the gateway reads bodies only when they matter.
func needsBody(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut:
		return true
	}
	return false
}

// Classify derives the operation from a request whose URL.Path is the API
// path (the gateway prefix already removed). body is the request body, or
// its first part when bodyComplete is false; a body that was not (fully)
// read can only make the answer more conservative.
func Classify(req *http.Request, body []byte, bodyComplete bool) (Operation, error) {
	info, err := requestInfoFactory.NewRequestInfo(req)
	if err != nil {
		return Operation{}, fmt.Errorf("parse request path: %w", err)
	}
	op := Operation{
		Verb:        info.Verb,
		Group:       info.APIGroup,
		Version:     info.APIVersion,
		Resource:    info.Resource,
		Subresource: info.Subresource,
		Namespace:   info.Namespace,
		Name:        info.Name,
		Path:        req.URL.Path,
		NonResource: !info.IsResourceRequest,
	}
	if !bodyComplete {
		body = nil
	}

	if op.NonResource {
		if req.Method == http.MethodGet || req.Method == http.MethodHead {
			op.Class, op.Action = ClassRead, "get"
		} else {
			// Nothing K9s does posts to a non-resource path; whatever it is,
			// it is not a read.
			op.Class, op.Action = ClassWrite, "raw"
		}
		return op, nil
	}

	// Connect-style subresources and the proxy verb come first: their
	// verb is get or create depending on the transport (WebSocket or
	// SPDY), and neither says anything about what they expose.
	if op.Verb == "proxy" {
		op.Class, op.Action = ClassSensitive, "proxy"
		op.SubPath = proxySubPath(req, info.Parts, 2)
		op.Content = req.Method + " " + op.SubPath
		return op, nil
	}
	switch op.Subresource {
	case "exec":
		op.Class, op.Action = ClassSensitive, "exec"
		op.Command = req.URL.Query()["command"]
		if isTransferCommand(op.Command) {
			// kubectl cp runs tar (and test -d) through exec.
			op.Action = "transfer"
		}
		op.Content = commandContent(op.Command)
		return op, nil
	case "attach":
		op.Class, op.Action = ClassSensitive, "attach"
		return op, nil
	case "portforward":
		op.Class, op.Action = ClassSensitive, "port-forward"
		return op, nil
	case "proxy":
		op.Class, op.Action = ClassSensitive, "proxy"
		op.SubPath = proxySubPath(req, info.Parts, 3)
		op.Content = req.Method + " " + op.SubPath
		return op, nil
	}

	switch op.Verb {
	case "get", "list", "watch":
		switch {
		case op.Group == "" && op.Resource == "secrets":
			op.Class, op.Action = ClassSensitive, "secrets"
		case op.Group == "" && op.Resource == "pods" && op.Subresource == "log":
			op.Class, op.Action = ClassRead, "logs"
		default:
			op.Class, op.Action = ClassRead, op.Verb
		}
		return op, nil
	case "create", "update", "patch", "delete", "deletecollection":
	default:
		// An HTTP method the API server maps to no verb (OPTIONS, TRACE,
		// a made-up one): not a read.
		op.Class, op.Action = ClassWrite, "raw"
		return op, nil
	}

	op.Class = ClassWrite
	op.Action = writeAction(req, &op, body)
	switch {
	case op.Verb == "deletecollection":
		op.Content = selectorContent(req)
	case op.Action == "trigger":
		op.Content = triggerContent(op.job)
	}
	if op.Action == "debug" {
		op.Class = ClassSensitive
	}

	if op.Verb == "create" && op.Subresource == "" && op.Name == "" && selfReviews.Has(op.Group+"/"+op.Resource) {
		op.Class, op.ReadLike = ClassRead, "self-review"
		return op, nil
	}
	if dryRunAll(req, op.Verb, body, bodyComplete) && dryRunHonoured.Has(op.Subresource) {
		op.Class, op.ReadLike = ClassRead, "dry-run"
	}
	return op, nil
}

// selfReviews are POSTs that ask the API server about the caller and
// change nothing.
var selfReviews = sets.New(
	"authorization.k8s.io/selfsubjectaccessreviews",
	"authorization.k8s.io/selfsubjectrulesreviews",
	"authentication.k8s.io/selfsubjectreviews",
)

// dryRunHonoured lists the subresources for which kube-apiserver honours
// dryRun. Others ignore it: serviceaccounts/token mints a real token with
// dryRun=All, and connect subresources never look at it.
var dryRunHonoured = sets.New("", "status", "scale")

// dryRunAll reports whether the API server will treat the request as a
// dry run, reading the options from where the API server reads them: the
// query for create, update and patch; for delete and deletecollection the
// body when there is one (the query is then ignored), else the query. Every
// value must be exactly "All"; the API server rejects anything else, and
// anything ambiguous here is a write.
func dryRunAll(req *http.Request, verb string, body []byte, bodyComplete bool) bool {
	values := req.URL.Query()["dryRun"]
	if verb == "delete" || verb == "deletecollection" {
		if !bodyComplete {
			return false
		}
		if len(body) > 0 {
			var opts metav1.DeleteOptions
			if !decodeBody(req, body, &opts) {
				return false
			}
			values = opts.DryRun
		}
	}
	if len(values) == 0 {
		return false
	}
	for _, v := range values {
		if v != "All" {
			return false
		}
	}
	return true
}

// decodeStrict decodes a JSON body into a generic value case-sensitively,
// as the API server does, and fails on duplicate fields, so that a
// repeated key cannot mean one thing here and another upstream.
func decodeStrict(req *http.Request, body []byte, v any) bool {
	if ct := mediaType(req); ct != "" && ct != contentJSON {
		return false
	}
	strict, err := kjson.UnmarshalStrict(body, v, kjson.DisallowDuplicateFields)
	return err == nil && len(strict) == 0
}

func mediaType(req *http.Request) string {
	ct := req.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid"
	}
	return mt
}

// writeAction names a mutating request. Names other than the generic ones
// (create, edit, delete) are given only when the request does exactly that
// and nothing more, because a profile may guard "edit" and not "restart":
// a patch that restarts a deployment and also changes its image is an edit.
func writeAction(req *http.Request, op *Operation, body []byte) string {
	switch op.Verb {
	case "delete", "deletecollection":
		if op.Group == "" && op.Resource == "pods" && op.Subresource == "" && noGrace(req, body) {
			return "kill"
		}
		return "delete"
	}
	switch op.Subresource {
	case "scale":
		return "scale"
	case subresourceEvicton:
		return "drain"
	case "ephemeralcontainers":
		// kubectl debug: a new container, with a shell, in a running pod.
		return "debug"
	case "":
	default:
		if op.Verb == "create" {
			return "create"
		}
		return "edit"
	}

	if op.Verb == "create" {
		if op.Group == "batch" && op.Resource == "jobs" {
			var job batchv1.Job
			if decodeBody(req, body, &job) && cronJobOwner(job.ObjectMeta) != nil {
				// The gateway still checks the Job against that CronJob's
				// template (checkTrigger) before it believes the name.
				op.job = &job
				return "trigger"
			}
		}
		var obj map[string]any
		if decodeStrict(req, body, &obj) {
			if _, ok := dig(obj, "metadata", "annotations", annotationApplied); ok {
				return "apply"
			}
		}
		return "create"
	}
	if op.Verb == "update" {
		return "edit"
	}

	// patch
	switch mediaType(req) {
	case contentApplyYAML, contentApplyCBOR:
		return "apply"
	case contentJSONPatch:
		var ops []map[string]any
		if op.Group == "apps" && op.Resource == "deployments" && decodeJSONPatch(body, &ops) && isRollbackJSONPatch(ops) {
			return "rollback"
		}
		return "edit"
	case contentMergePatch, contentStrategic, contentJSON:
	default:
		return "edit"
	}
	var patch map[string]any
	if !decodeJSONPatch(body, &patch) {
		return "edit"
	}
	if _, ok := dig(patch, "metadata", "annotations", annotationApplied); ok {
		return "apply"
	}
	switch {
	case op.Group == "apps" && workloadResources.Has(op.Resource):
		if onlyPath(patch, "spec", "template", "metadata", "annotations", annotationRestart) {
			return "restart"
		}
		if op.Resource != "deployments" && isRevisionPatch(patch) {
			return "rollback"
		}
		if tmpl, ok := onlyKey(patch, "spec", "template", "spec"); ok && onlyImages(tmpl) {
			return "set-image"
		}
	case op.Group == "" && op.Resource == "pods":
		if spec, ok := onlyKey(patch, "spec"); ok && onlyImages(spec) {
			return "set-image"
		}
	case op.Group == "batch" && (op.Resource == "jobs" || op.Resource == "cronjobs"):
		if op.Resource == "cronjobs" && onlyPath(patch, "spec", "suspend") {
			return "suspend"
		}
		path := []string{"spec", "template", "spec"}
		if op.Resource == "cronjobs" {
			path = []string{"spec", "jobTemplate", "spec", "template", "spec"}
		}
		if tmpl, ok := onlyKey(patch, path...); ok && onlyImages(tmpl) {
			return "set-image"
		}
	case op.Group == "" && op.Resource == "nodes":
		if v, ok := dig(patch, "spec", "unschedulable"); ok && onlyPath(patch, "spec", "unschedulable") {
			if v == true {
				return "cordon"
			}
			return "uncordon"
		}
	}
	return "edit"
}

var workloadResources = sets.New("deployments", "statefulsets", "daemonsets", "replicasets")

// decodeJSONPatch decodes a patch body case-sensitively. Patch bodies are
// JSON whatever their content type says (merge, strategic, JSON patch).
func decodeJSONPatch(body []byte, v any) bool {
	if len(body) == 0 {
		return false
	}
	strict, err := kjson.UnmarshalStrict(body, v, kjson.DisallowDuplicateFields)
	return err == nil && len(strict) == 0
}

// noGrace reports whether a pod delete asks for a grace period of at most
// one second: K9s's kill (Ctrl-K) and kubectl delete --now/--force.
func noGrace(req *http.Request, body []byte) bool {
	if len(body) > 0 {
		var opts metav1.DeleteOptions
		return decodeBody(req, body, &opts) && opts.GracePeriodSeconds != nil && *opts.GracePeriodSeconds <= 1
	}
	v := req.URL.Query().Get("gracePeriodSeconds")
	return v == "0" || v == "1"
}

// cronJobOwner returns the controlling CronJob of a Job as K9s's trigger
// and kubectl create job --from make it: exactly one owner, a batch/v1
// CronJob, marked as controller. K9s sets no annotation (it copies the
// template's), kubectl adds cronjob.kubernetes.io/instantiate=manual, so
// the annotation proves nothing either way. Nil when the Job is not one.
func cronJobOwner(meta metav1.ObjectMeta) *metav1.OwnerReference {
	if len(meta.OwnerReferences) != 1 {
		return nil
	}
	o := meta.OwnerReferences[0]
	if o.Kind != "CronJob" || o.APIVersion != "batch/v1" || o.Name == "" || o.Controller == nil || !*o.Controller {
		return nil
	}
	return &o
}

// triggerContent names the CronJob a triggered Job claims to come from.
func triggerContent(job *batchv1.Job) string {
	if job == nil {
		return ""
	}
	if o := cronJobOwner(job.ObjectMeta); o != nil {
		return "cronjob/" + o.Name // the same as stepup.KeyScope's for a trigger
	}
	return ""
}

// isTransferCommand recognises exactly the commands kubectl cp runs through
// exec: `tar cf - SRC` to download, or with --retries (K9s passes 999)
// `sh -c "tar cf - 'SRC' | tail -c+N"`; `tar [--no-same-permissions
// --no-same-owner] -xmf - [-C DIR]` to upload, and `test -d DEST` to check
// the destination first. tar takes options anywhere, and some run commands
// (--to-command, --checkpoint-action=exec=...), so a path that could be read
// as an option makes it a plain exec.
func isTransferCommand(cmd []string) bool {
	path := func(p string) bool { return p != "" && !strings.HasPrefix(p, "-") }
	switch {
	case len(cmd) == 3 && cmd[0] == "sh" && cmd[1] == "-c":
		src, ok := resumableTarSource(cmd[2])
		return ok && path(src)
	case len(cmd) == 4 && cmd[0] == "tar" && cmd[1] == "cf" && cmd[2] == "-":
		return path(cmd[3])
	case len(cmd) == 3 && cmd[0] == "test" && cmd[1] == "-d":
		return path(cmd[2])
	case len(cmd) >= 1 && cmd[0] == "tar":
		rest := cmd[1:]
		if len(rest) >= 2 && rest[0] == "--no-same-permissions" && rest[1] == "--no-same-owner" {
			rest = rest[2:]
		}
		if len(rest) < 2 || rest[0] != "-xmf" || rest[1] != "-" {
			return false
		}
		rest = rest[2:]
		return len(rest) == 0 || (len(rest) == 2 && rest[0] == "-C" && path(rest[1]))
	}
	return false
}

// resumableTarSource parses the shell line kubectl cp --retries runs,
// `tar cf - 'SRC' | tail -c+N`, with SRC in single quotes as kubectl quotes
// it (each single quote inside closed, escaped and reopened), and returns
// SRC. Anything else in the line, or a quote kubectl would not have
// written, is not a transfer: a shell runs it.
func resumableTarSource(line string) (string, bool) {
	const prefix, suffix = "tar cf - '", "' | tail -c+"
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, suffix)
	if i < 0 {
		return "", false
	}
	quoted, n := rest[:i], rest[i+len(suffix):]
	if n == "" || strings.Trim(n, "0123456789") != "" {
		return "", false
	}
	src := strings.ReplaceAll(quoted, `'\''`, "\x00")
	if strings.Contains(src, "'") || strings.Contains(quoted, "\x00") {
		return "", false
	}
	return strings.ReplaceAll(src, "\x00", "'"), true
}

// commandContent renders an exec's command unambiguously (a JSON array),
// so that "sh -c x" and "sh" "-c x" differ.
func commandContent(cmd []string) string {
	if cmd == nil {
		cmd = []string{}
	}
	b, _ := json.Marshal(cmd)
	return string(b)
}

// proxySubPath is the path (and query) a proxy request goes on to past its
// object: "/configz" for nodes/n1/proxy/configz. skip is how many of the
// request's parts name the object (resource, name, and "proxy" for the
// subresource form). A trailing slash is kept: to the kubelet "/x/" and
// "/x" are different paths.
func proxySubPath(req *http.Request, parts []string, skip int) string {
	var rest []string
	if len(parts) > skip {
		rest = parts[skip:]
	}
	sub := "/" + strings.Join(rest, "/")
	if len(rest) > 0 && strings.HasSuffix(req.URL.Path, "/") {
		sub += "/"
	}
	if req.URL.RawQuery != "" {
		sub += "?" + req.URL.RawQuery
	}
	return sub
}

// selectorContent renders the selectors of a delete-collection, every
// value of each, in the order given. It is never empty: a delete of every
// object is content too, and not the same as a delete of none.
func selectorContent(req *http.Request) string {
	q := req.URL.Query()
	return fmt.Sprintf(selectorFormat, strings.Join(q["labelSelector"], "&"), strings.Join(q["fieldSelector"], "&"))
}

const selectorFormat = "labelSelector=%q fieldSelector=%q"

// selectorNone is the content of a delete-collection without selectors.
var selectorNone = fmt.Sprintf(selectorFormat, "", "")

// isRollbackJSONPatch recognises kubectl rollout undo for a Deployment
// (also what K9s's rollback runs): replace the pod template and the
// annotations, nothing else.
func isRollbackJSONPatch(ops []map[string]any) bool {
	if len(ops) == 0 {
		return false
	}
	for _, o := range ops {
		if o["op"] != "replace" || (o["path"] != "/spec/template" && o["path"] != "/metadata/annotations") {
			return false
		}
	}
	return true
}

// isRevisionPatch recognises the rollback of a StatefulSet or DaemonSet: the
// pod template replaced wholesale by a ControllerRevision's.
func isRevisionPatch(patch map[string]any) bool {
	tmpl, ok := onlyKey(patch, "spec", "template")
	if !ok {
		return false
	}
	m, ok := tmpl.(map[string]any)
	return ok && m["$patch"] == "replace"
}

// onlyImages reports whether a pod spec patch sets container images and
// nothing else (kubectl set image, K9s's set image).
func onlyImages(spec any) bool {
	m, ok := spec.(map[string]any)
	if !ok || len(m) == 0 {
		return false
	}
	for k, v := range m {
		if strings.HasPrefix(k, "$setElementOrder/") {
			continue
		}
		if k != "containers" && k != "initContainers" && k != "ephemeralContainers" {
			return false
		}
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return false
		}
		for _, c := range list {
			cm, ok := c.(map[string]any)
			if !ok {
				return false
			}
			for ck := range cm {
				if ck != "name" && ck != "image" {
					return false
				}
			}
			if _, ok := cm["image"].(string); !ok {
				return false
			}
		}
	}
	return true
}

// dig walks nested maps.
func dig(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// onlyKey walks nested maps that each have exactly one key, the one named,
// and returns what is below the last.
func onlyKey(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok || len(mm) != 1 {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// onlyPath reports whether the patch sets exactly one leaf, at path.
func onlyPath(m map[string]any, path ...string) bool {
	v, ok := onlyKey(m, path...)
	if !ok {
		return false
	}
	_, isMap := v.(map[string]any)
	_, isList := v.([]any)
	return !isMap && !isList
}

// SSAR attributes → a hypothetical operation, for answering
// SelfSubjectAccessReviews as the user will be after step-up.
func operationForAttributes(verb, group, resource, subresource, namespace, name string) Operation {
	op := Operation{Verb: verb, Group: group, Resource: resource, Subresource: subresource, Namespace: namespace, Name: name}
	switch {
	case verb == "proxy" || subresource == "proxy":
		op.Class, op.Action = ClassSensitive, "proxy"
	case subresource == "exec":
		op.Class, op.Action = ClassSensitive, "exec"
	case subresource == "attach":
		op.Class, op.Action = ClassSensitive, "attach"
	case subresource == "portforward":
		op.Class, op.Action = ClassSensitive, "port-forward"
	case slices.Contains([]string{"get", "list", "watch"}, verb):
		op.Class, op.Action = ClassRead, verb
		if group == "" && resource == "secrets" {
			op.Class, op.Action = ClassSensitive, "secrets"
		}
	case verb == "delete" || verb == "deletecollection":
		op.Class, op.Action = ClassWrite, "delete"
	case verb == "*":
		op.Class, op.Action = ClassWrite, "edit"
	case subresource == "scale":
		op.Class, op.Action = ClassWrite, "scale"
	case subresource == subresourceEvicton:
		op.Class, op.Action = ClassWrite, "drain"
	case verb == "create":
		op.Class, op.Action = ClassWrite, "create"
	default:
		op.Class, op.Action = ClassWrite, "edit"
	}
	return op
}
