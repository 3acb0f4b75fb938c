package kube

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/k9s-guard/k9s-guard/profile"
)

func classifyFor(t *testing.T, method, target, contentType, body string) Operation {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	op, err := Classify(req, []byte(body), true)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return op
}

func TestClassify(t *testing.T) {
	const (
		pods    = "/api/v1/namespaces/shop/pods"
		deploys = "/apis/apps/v1/namespaces/shop/deployments"
		strat   = "application/strategic-merge-patch+json"
		merge   = "application/merge-patch+json"
	)
	cases := []struct {
		name, method, path, ctype, body string
		class                           Class
		action                          string
		readLike                        string
	}{
		{"list pods", "GET", pods, "", "", ClassRead, "list", ""},
		{"watch pods", "GET", pods + "?watch=true", "", "", ClassRead, "watch", ""},
		{"get pod", "GET", pods + "/cart", "", "", ClassRead, "get", ""},
		{"logs", "GET", pods + "/cart/log?follow=true", "", "", ClassRead, "logs", ""},
		{"discovery", "GET", "/apis", "", "", ClassRead, "get", ""},
		{"version", "GET", "/version", "", "", ClassRead, "get", ""},
		{"get secret", "GET", "/api/v1/namespaces/shop/secrets/db", "", "", ClassSensitive, "secrets", ""},
		{"list secrets", "GET", "/api/v1/secrets", "", "", ClassSensitive, "secrets", ""},
		{"watch secrets legacy path", "GET", "/api/v1/watch/namespaces/shop/secrets", "", "", ClassSensitive, "secrets", ""},
		{"exec spdy", "POST", pods + "/cart/exec?command=sh&stdin=true", "", "", ClassSensitive, "exec", ""},
		{"exec websocket", "GET", pods + "/cart/exec?command=sh", "", "", ClassSensitive, "exec", ""},
		{"cp download", "POST", pods + "/cart/exec?command=tar&command=cf&command=-&command=%2Fdata", "", "", ClassSensitive, "transfer", ""},
		{"cp upload", "POST", pods + "/cart/exec?command=tar&command=-xmf&command=-&command=-C&command=%2Ftmp", "", "", ClassSensitive, "transfer", ""},
		{"cp download with retries, as K9s runs it", "POST", pods + "/cart/exec?command=sh&command=-c&command=" + url.QueryEscape("tar cf - '/data' | tail -c+1"), "", "", ClassSensitive, "transfer", ""},
		{"cp download with retries, a quote in the path", "POST", pods + "/cart/exec?command=sh&command=-c&command=" + url.QueryEscape(`tar cf - '/a'\''b' | tail -c+12`), "", "", ClassSensitive, "transfer", ""},
		{"a quote that ends the path is a shell", "POST", pods + "/cart/exec?command=sh&command=-c&command=" + url.QueryEscape("tar cf - '/x'; sh; '' | tail -c+1"), "", "", ClassSensitive, "exec", ""},
		{"more after the tail is a shell", "POST", pods + "/cart/exec?command=sh&command=-c&command=" + url.QueryEscape("tar cf - '/x' | tail -c+1; sh"), "", "", ClassSensitive, "exec", ""},
		{"an option for a path is a shell", "POST", pods + "/cart/exec?command=sh&command=-c&command=" + url.QueryEscape("tar cf - '--to-command=sh' | tail -c+1"), "", "", ClassSensitive, "exec", ""},
		{"cp checks the destination", "POST", pods + "/cart/exec?command=test&command=-d&command=%2Ftmp", "", "", ClassSensitive, "transfer", ""},
		{"tar that runs a command is no transfer", "POST", pods + "/cart/exec?command=tar&command=cf&command=-&command=--checkpoint-action%3Dexec%3Dsh", "", "", ClassSensitive, "exec", ""},
		{"tar with other arguments is no transfer", "POST", pods + "/cart/exec?command=tar&command=cf", "", "", ClassSensitive, "exec", ""},
		{"attach", "POST", pods + "/cart/attach", "", "", ClassSensitive, "attach", ""},
		{"port-forward", "GET", pods + "/cart/portforward", "", "", ClassSensitive, "port-forward", ""},
		{"service proxy", "GET", "/api/v1/namespaces/shop/services/web:80/proxy/admin", "", "", ClassSensitive, "proxy", ""},
		{"node proxy", "GET", "/api/v1/nodes/n1/proxy/configz", "", "", ClassSensitive, "proxy", ""},
		{"legacy proxy verb", "GET", "/api/v1/proxy/namespaces/shop/pods/cart", "", "", ClassSensitive, "proxy", ""},
		{"delete pod", "DELETE", pods + "/cart", "", "", ClassWrite, "delete", ""},
		{"kill pod (body)", "DELETE", pods + "/cart", "application/json", `{"gracePeriodSeconds":0}`, ClassWrite, "kill", ""},
		{"kill pod (query)", "DELETE", pods + "/cart?gracePeriodSeconds=1", "", "", ClassWrite, "kill", ""},
		{"graceful delete", "DELETE", pods + "/cart", "application/json", `{"gracePeriodSeconds":30}`, ClassWrite, "delete", ""},
		{"delete deployment", "DELETE", deploys + "/web", "", "", ClassWrite, "delete", ""},
		{"deletecollection", "DELETE", pods, "", "", ClassWrite, "delete", ""},
		{"create", "POST", "/api/v1/namespaces/shop/configmaps", "application/json", `{"metadata":{"name":"x"}}`, ClassWrite, "create", ""},
		{"scale", "PATCH", deploys + "/web/scale", merge, `{"spec":{"replicas":5}}`, ClassWrite, "scale", ""},
		{"restart", "PATCH", deploys + "/web", strat, `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-03-01T12:00:00Z"}}}}}`, ClassWrite, "restart", ""},
		{"restart plus image is an edit", "PATCH", deploys + "/web", strat, `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"x"}},"spec":{"containers":[{"name":"web","image":"evil"}]}}}}`, ClassWrite, "edit", ""},
		{"set image", "PATCH", deploys + "/web", strat, `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:2"}]}}}}`, ClassWrite, "set-image", ""},
		{"set image plus command is an edit", "PATCH", deploys + "/web", strat, `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:2","command":["sh"]}]}}}}`, ClassWrite, "edit", ""},
		{"edit", "PATCH", deploys + "/web", merge, `{"spec":{"paused":true}}`, ClassWrite, "edit", ""},
		{"update", "PUT", deploys + "/web", "application/json", `{}`, ClassWrite, "edit", ""},
		{"rollback deployment", "PATCH", deploys + "/web", "application/json-patch+json", `[{"op":"replace","path":"/spec/template","value":{}},{"op":"replace","path":"/metadata/annotations","value":{}}]`, ClassWrite, "rollback", ""},
		{"rollback statefulset", "PATCH", "/apis/apps/v1/namespaces/shop/statefulsets/db", strat, `{"spec":{"template":{"$patch":"replace","spec":{}}}}`, ClassWrite, "rollback", ""},
		{"cordon", "PATCH", "/api/v1/nodes/n1", strat, `{"spec":{"unschedulable":true}}`, ClassWrite, "cordon", ""},
		{"uncordon", "PATCH", "/api/v1/nodes/n1", strat, `{"spec":{"unschedulable":null}}`, ClassWrite, "uncordon", ""},
		{"drain eviction", "POST", pods + "/cart/eviction", "application/json", `{}`, ClassWrite, "drain", ""},
		{"suspend cronjob", "PATCH", "/apis/batch/v1/namespaces/shop/cronjobs/nightly", merge, `{"spec":{"suspend":true}}`, ClassWrite, "suspend", ""},
		{"trigger cronjob", "POST", "/apis/batch/v1/namespaces/shop/jobs", "application/json", `{"metadata":{"name":"nightly-manual","annotations":{"cronjob.kubernetes.io/instantiate":"manual"},"ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"nightly","controller":true}]}}`, ClassWrite, "trigger", ""},
		{"trigger as K9s makes it, no annotation", "POST", "/apis/batch/v1/namespaces/shop/jobs", "application/json", `{"metadata":{"name":"nightly-manual-x7z","ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"nightly","uid":"u1","controller":true}]}}`, ClassWrite, "trigger", ""},
		{"a Job merely owned by a CronJob is a create", "POST", "/apis/batch/v1/namespaces/shop/jobs", "application/json", `{"metadata":{"name":"x","ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"nightly"}]}}`, ClassWrite, "create", ""},
		{"job without owner is a create", "POST", "/apis/batch/v1/namespaces/shop/jobs", "application/json", `{"metadata":{"annotations":{"cronjob.kubernetes.io/instantiate":"manual"}}}`, ClassWrite, "create", ""},
		{"server-side apply", "PATCH", deploys + "/web?fieldManager=kubectl", "application/apply-patch+yaml", "kind: Deployment", ClassWrite, "apply", ""},
		{"client-side apply", "PATCH", deploys + "/web", strat, `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}}}`, ClassWrite, "apply", ""},
		{"debug", "PATCH", pods + "/cart/ephemeralcontainers", strat, `{}`, ClassSensitive, "debug", ""},
		{"token request", "POST", "/api/v1/namespaces/k9s-guard-system/serviceaccounts/break-glass/token", "application/json", `{}`, ClassWrite, "create", ""},
		{"status update", "PUT", deploys + "/web/status", "application/json", `{}`, ClassWrite, "edit", ""},
		{"ssar", "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "application/json", `{}`, ClassRead, "create", "self-review"},
		{"ssrr", "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", "application/json", `{}`, ClassRead, "create", "self-review"},
		{"self subject review", "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", "application/json", `{}`, ClassRead, "create", "self-review"},
		{"subject access review is not self", "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", "application/json", `{}`, ClassWrite, "create", ""},
		{"dry-run create", "POST", "/api/v1/namespaces/shop/configmaps?dryRun=All", "application/json", `{}`, ClassRead, "create", "dry-run"},
		{"dry-run patch", "PATCH", deploys + "/web?dryRun=All", merge, `{"spec":{"paused":true}}`, ClassRead, "edit", "dry-run"},
		{"dry-run delete query", "DELETE", pods + "/cart?dryRun=All", "", "", ClassRead, "delete", "dry-run"},
		{"dry-run delete body", "DELETE", pods + "/cart", "application/json", `{"dryRun":["All"]}`, ClassRead, "delete", "dry-run"},
		{"non-resource post", "POST", "/healthz", "", "", ClassWrite, "raw", ""},
		{"unknown method", "OPTIONS", pods, "", "", ClassWrite, "raw", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op := classifyFor(t, tc.method, tc.path, tc.ctype, tc.body)
			if op.Class != tc.class || op.Action != tc.action || op.ReadLike != tc.readLike {
				t.Fatalf("got class=%s action=%s readLike=%q, want %s %s %q", op.Class, op.Action, op.ReadLike, tc.class, tc.action, tc.readLike)
			}
		})
	}
}

// Attack: dry-run parameters that the gateway could read as "All" while
// the API server reads them otherwise, turning a real write into a "read".
func TestClassifyDryRunTricks(t *testing.T) {
	const pod = "/api/v1/namespaces/shop/pods/cart"
	writes := []struct{ name, method, target, ctype, body string }{
		{"empty second value", "DELETE", pod + "?dryRun=All&dryRun=", "", ""},
		{"lowercase value", "DELETE", pod + "?dryRun=all", "", ""},
		{"lowercase key", "DELETE", pod + "?dryrun=All", "", ""},
		{"capitalised key", "POST", "/api/v1/namespaces/shop/configmaps?DryRun=All", "application/json", "{}"},
		{"repeated with other value", "PATCH", pod + "?dryRun=All&dryRun=None", "application/merge-patch+json", "{}"},
		// For DELETE a body wins over the query at the API server.
		{"query dry-run, body without", "DELETE", pod + "?dryRun=All", "application/json", `{"gracePeriodSeconds":0}`},
		{"body key in wrong case", "DELETE", pod, "application/json", `{"DryRun":["All"]}`},
		{"duplicate body key", "DELETE", pod, "application/json", `{"dryRun":["All"],"dryRun":[]}`},
		{"protobuf body", "DELETE", pod, "application/vnd.kubernetes.protobuf", `k8s...`},
		// The token subresource ignores dryRun and mints a real token.
		{"token request", "POST", "/api/v1/namespaces/x/serviceaccounts/admin/token?dryRun=All", "application/json", "{}"},
		// Connect subresources ignore dryRun too.
		{"exec", "POST", pod + "/exec?dryRun=All&command=sh", "", ""},
	}
	for _, tc := range writes {
		t.Run(tc.name, func(t *testing.T) {
			op := classifyFor(t, tc.method, tc.target, tc.ctype, tc.body)
			if op.Class == ClassRead {
				t.Fatalf("%s %s classed as a read (%+v)", tc.method, tc.target, op)
			}
		})
	}
	// A body that was not fully read can never make a dry run.
	req := httptest.NewRequest("DELETE", pod, strings.NewReader(`{"dryRun":["All"]}`))
	req.Header.Set("Content-Type", "application/json")
	if op, _ := Classify(req, []byte(`{"dryRun":["All"]}`), false); op.Class == ClassRead {
		t.Fatal("incomplete body classed as dry run")
	}
}

func TestOperationString(t *testing.T) {
	cases := map[string]Operation{
		"delete pod shop/cart-7c9d":          {Action: "delete", Resource: "pods", Namespace: "shop", Name: "cart-7c9d"},
		"scale deployment/scale shop/web":    {Action: "scale", Group: "apps", Resource: "deployments", Subresource: "scale", Namespace: "shop", Name: "web"},
		"cordon node n1":                     {Action: "cordon", Resource: "nodes", Name: "n1"},
		"delete pods in namespace shop":      {Action: "delete", Resource: "pods", Namespace: "shop"},
		"edit widget.example.com shop/w":     {Action: "edit", Group: "example.com", Resource: "widgets", Namespace: "shop", Name: "w"},
		"POST /healthz":                      {Verb: "post", Path: "/healthz", NonResource: true},
		"secrets secret k9s-guard-system/x":  {Action: "secrets", Resource: "secrets", Namespace: "k9s-guard-system", Name: "x"},
		"create networkpolicy shop/deny-all": {Action: "create", Group: "networking.k8s.io", Resource: "networkpolicies", Namespace: "shop", Name: "deny-all"},
	}
	for want, op := range cases {
		if got := op.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestCandidates(t *testing.T) {
	kill := Operation{Action: "kill", Resource: "pods"}
	got := strings.Join(kill.Candidates(), ",")
	if got != "kill,delete,delete-pods" {
		t.Fatalf("kill candidates = %s", got)
	}
	pol := profile.Policy{Protected: true, Actions: []string{"delete"}}
	if !requires(pol, Operation{Class: ClassWrite, Action: "kill", Resource: "pods"}) {
		t.Fatal("a profile guarding delete let a kill through")
	}
	if requires(pol, Operation{Class: ClassWrite, Action: "scale"}) {
		t.Fatal("a profile guarding only delete guarded scale")
	}
	if requires(pol, Operation{Class: ClassRead, Action: "get"}) {
		t.Fatal("reads never step up")
	}
	if requires(profile.Policy{}, Operation{Class: ClassWrite, Action: "delete"}) {
		t.Fatal("an unprotected context stepped up")
	}
}

func TestNeedsBody(t *testing.T) {
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		if needsBody(m) {
			t.Errorf("needsBody(%s)", m)
		}
	}
}

// Typed client-go clients send protobuf bodies; the options in them must be
// read as the API server reads them.
func TestClassifyProtobufDeleteOptions(t *testing.T) {
	encode := func(opts *metav1.DeleteOptions) []byte {
		info, _ := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
		var buf bytes.Buffer
		if err := scheme.Codecs.EncoderForVersion(info.Serializer, corev1.SchemeGroupVersion).Encode(opts, &buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	grace := int64(0)
	cases := []struct {
		opts     *metav1.DeleteOptions
		class    Class
		action   string
		readLike string
	}{
		{&metav1.DeleteOptions{GracePeriodSeconds: &grace}, ClassWrite, "kill", ""},
		{&metav1.DeleteOptions{DryRun: []string{"All"}}, ClassRead, "delete", "dry-run"},
		{&metav1.DeleteOptions{}, ClassWrite, "delete", ""},
	}
	for _, tc := range cases {
		body := encode(tc.opts)
		req := httptest.NewRequest("DELETE", "/api/v1/namespaces/shop/pods/cart", bytes.NewReader(body))
		req.Header.Set("Content-Type", runtime.ContentTypeProtobuf)
		op, err := Classify(req, body, true)
		if err != nil {
			t.Fatal(err)
		}
		if op.Class != tc.class || op.Action != tc.action || op.ReadLike != tc.readLike {
			t.Errorf("%+v: got %s %s %q", tc.opts, op.Class, op.Action, op.ReadLike)
		}
	}
}
