package kube

import (
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
	// ReadLike says why a request with a mutating verb is nevertheless a
	// read: "dry-run" or "self-review". Empty otherwise.
	ReadLike string
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
	return fmt.Sprintf("%s %s %s", o.Action, what, target)
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
	annotationTrigger  = "cronjob.kubernetes.io/instantiate"
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
		return op, nil
	}
	switch op.Subresource {
	case "exec":
		op.Class, op.Action = ClassSensitive, "exec"
		if cmd := req.URL.Query()["command"]; len(cmd) > 0 && cmd[0] == "tar" {
			// kubectl cp runs tar through exec.
			op.Action = "transfer"
		}
		return op, nil
	case "attach":
		op.Class, op.Action = ClassSensitive, "attach"
		return op, nil
	case "portforward":
		op.Class, op.Action = ClassSensitive, "port-forward"
		return op, nil
	case "proxy":
		op.Class, op.Action = ClassSensitive, "proxy"
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
			if decodeBody(req, body, &job) && isTriggeredJob(job.ObjectMeta) {
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

// isTriggeredJob recognises the Job K9s (and kubectl create job --from)
// makes from a CronJob: the manual-instantiation annotation and a CronJob
// owner. The Job's spec is not compared with the CronJob's.
func isTriggeredJob(meta metav1.ObjectMeta) bool {
	if meta.Annotations[annotationTrigger] != "manual" {
		return false
	}
	for _, o := range meta.OwnerReferences {
		if o.Kind == "CronJob" {
			return true
		}
	}
	return false
}

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
