package kube

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// classify builds the Operation the gateway would see for a request.
func classify(t *testing.T, method, path, body string) Operation {
	t.Helper()
	r, err := http.NewRequest(method, "https://api"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	op, err := Classify(r, []byte(body), true)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func TestScopeCoversOnlyTheOperation(t *testing.T) {
	killA := classify(t, "DELETE", "/api/v1/namespaces/shop/pods/a", `{"gracePeriodSeconds":0}`)
	gr := stepup.Grant{Scope: OperationScope(killA)}
	cases := []struct {
		name, method, path, body string
		want                     bool
	}{
		{"the same kill", "DELETE", "/api/v1/namespaces/shop/pods/a", `{"gracePeriodSeconds":0}`, true},
		{"a plain delete of the same pod", "DELETE", "/api/v1/namespaces/shop/pods/a", "", true},
		{"another pod", "DELETE", "/api/v1/namespaces/shop/pods/b", "", false},
		{"the same name in another namespace", "DELETE", "/api/v1/namespaces/payments/pods/a", "", false},
		{"deletecollection in the namespace", "DELETE", "/api/v1/namespaces/shop/pods", "", false},
		{"a patch of the pod", "PATCH", "/api/v1/namespaces/shop/pods/a", `{"metadata":{"labels":{"x":"y"}}}`, false},
		{"exec into the pod", "POST", "/api/v1/namespaces/shop/pods/a/exec?command=sh", "", false},
		{"eviction of the pod", "POST", "/api/v1/namespaces/shop/pods/a/eviction", `{}`, false},
		{"the pod's status", "DELETE", "/api/v1/namespaces/shop/pods/a/status", "", false},
		{"a deployment of that name", "DELETE", "/apis/apps/v1/namespaces/shop/deployments/a", "", false},
		{"a same-named resource in another group", "DELETE", "/apis/evil.example.com/v1/namespaces/shop/pods/a", "", false},
		{"a non-resource path", "POST", "/api/v1/namespaces/shop/pods/a/../b", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _ := http.NewRequest(c.method, "https://api"+c.path, strings.NewReader(c.body))
			r.Header.Set("Content-Type", "application/json")
			op, err := Classify(r, []byte(c.body), true)
			if err != nil {
				t.Skip("not classified:", err)
			}
			if got := GrantCovers(gr, op); got != c.want {
				t.Errorf("%s %s covered = %v, want %v (op %+v)", c.method, c.path, got, c.want, op)
			}
		})
	}
	if !GrantCovers(stepup.Grant{}, classify(t, "DELETE", "/api/v1/namespaces/kube-system/pods/x", "")) {
		t.Error("a grant without scope must cover the whole context")
	}
}

// TestScopeMultiRequestFlows walks the request sequences K9s and kubectl
// send for one user action, each against the scope of the key that started
// it: every request of the flow is covered, nothing next to it is.
func TestScopeMultiRequestFlows(t *testing.T) {
	type req struct {
		method, path, body string
		want               bool
	}
	flows := []struct {
		name    string
		action  string
		res     string
		targets []stepup.Target
		reqs    []req
	}{
		{"kubectl edit reads then patches", "edit", "deployments", []stepup.Target{{Namespace: "shop", Name: "web"}}, []req{
			{"PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", `{"spec":{"replicas":4}}`, true},
			{"PUT", "/apis/apps/v1/namespaces/shop/deployments/web", `{}`, true},
			{"PATCH", "/apis/apps/v1/namespaces/shop/deployments/cart", `{"spec":{"replicas":4}}`, false},
			{"DELETE", "/apis/apps/v1/namespaces/shop/deployments/web", "", false},
			{"PATCH", "/apis/apps/v1/namespaces/shop/deployments/web/scale", `{"spec":{"replicas":9}}`, false},
		}},
		{"K9s deletes three marked pods", "delete", "pods", []stepup.Target{{Namespace: "shop", Name: "a"}, {Namespace: "shop", Name: "b"}, {Namespace: "shop", Name: "c"}}, []req{
			{"DELETE", "/api/v1/namespaces/shop/pods/a", "", true},
			{"DELETE", "/api/v1/namespaces/shop/pods/b", "", true},
			{"DELETE", "/api/v1/namespaces/shop/pods/c", "", true},
			{"DELETE", "/api/v1/namespaces/shop/pods/d", "", false},
			{"DELETE", "/api/v1/namespaces/shop/pods", "", false},
		}},
		{"exec opens one stream", "exec", "pods", []stepup.Target{{Namespace: "shop", Name: "a"}}, []req{
			{"POST", "/api/v1/namespaces/shop/pods/a/exec?command=sh&stdin=true&tty=true", "", true},
			{"GET", "/api/v1/namespaces/shop/pods/a/exec?command=sh&stdin=true&tty=true", "", true},
			{"POST", "/api/v1/namespaces/shop/pods/b/exec?command=sh", "", false},
			{"POST", "/api/v1/namespaces/shop/pods/a/attach", "", false},
			{"GET", "/api/v1/namespaces/shop/pods/a/portforward", "", false},
			{"DELETE", "/api/v1/namespaces/shop/pods/a", "", false},
		}},
		{"scale uses the scale subresource", "scale", "deployments", []stepup.Target{{Namespace: "shop", Name: "web"}}, []req{
			{"PATCH", "/apis/apps/v1/namespaces/shop/deployments/web/scale", `{"spec":{"replicas":2}}`, true},
			{"PUT", "/apis/apps/v1/namespaces/shop/deployments/web/scale", `{}`, true},
			{"PATCH", "/apis/apps/v1/namespaces/shop/deployments/web", `{"spec":{"replicas":2}}`, false},
		}},
		{"delete namespace", "delete", "namespaces", []stepup.Target{{Namespace: "", Name: "shop"}}, []req{
			{"DELETE", "/api/v1/namespaces/shop", "", true},
			{"DELETE", "/api/v1/namespaces/payments", "", false},
			{"DELETE", "/api/v1/namespaces/shop/pods/a", "", false},
		}},
		{"names unknown: too narrow, never too wide", "kill", "pods", nil, []req{
			{"DELETE", "/api/v1/namespaces/shop/pods/a", "", false},
		}},
		{"marked rows in two namespaces: too narrow", "delete", "pods", []stepup.Target{{Namespace: "shop", Name: "a"}, {Namespace: "payments", Name: "b"}}, []req{
			{"DELETE", "/api/v1/namespaces/shop/pods/a", "", false},
			{"DELETE", "/api/v1/namespaces/payments/pods/b", "", false},
		}},
	}
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			s, ok := stepup.KeyScope(f.action, f.res, f.targets)
			if !ok {
				t.Fatalf("no key scope for %s on %s", f.action, f.res)
			}
			gr := stepup.Grant{Scope: s}
			for _, r := range f.reqs {
				op := classify(t, r.method, r.path, r.body)
				if got := GrantCovers(gr, op); got != r.want {
					t.Errorf("%s %s: covered = %v, want %v (scope %s, op %+v)", r.method, r.path, got, r.want, stepup.ScopeString(s), op)
				}
			}
		})
	}
}

func TestScopeWithin(t *testing.T) {
	ab, _ := stepup.KeyScope("delete", "pods", []stepup.Target{{Namespace: "shop", Name: "a"}, {Namespace: "shop", Name: "b"}})
	a, _ := stepup.KeyScope("delete", "pods", []stepup.Target{{Namespace: "shop", Name: "a"}})
	c, _ := stepup.KeyScope("delete", "pods", []stepup.Target{{Namespace: "shop", Name: "c"}})
	editA, _ := stepup.KeyScope("edit", "pods", []stepup.Target{{Namespace: "shop", Name: "a"}})
	for _, tc := range []struct {
		name         string
		outer, inner *stepup.GrantScope
		want         bool
	}{
		{"whole context covers all", nil, a, true},
		{"a scope never covers the whole context", a, nil, false},
		{"subset of names", ab, a, true},
		{"superset of names", a, ab, false},
		{"other name", ab, c, false},
		{"other verb", a, editA, false},
		{"itself", a, a, true},
	} {
		if got := stepup.ScopeWithin(tc.outer, tc.inner); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

func TestKeyScopeGroups(t *testing.T) {
	s, _ := stepup.KeyScope("delete", "deployments", []stepup.Target{{Namespace: "shop", Name: "web"}})
	if s.Group != "apps" || s.Namespace != "shop" || s.Names[0] != "web" {
		t.Errorf("deployments: %+v", s)
	}
	s, _ = stepup.KeyScope("delete", "certificates.cert-manager.io", []stepup.Target{{Namespace: "shop", Name: "tls"}})
	if s.Group != "cert-manager.io" || s.Resource != "certificates" {
		t.Errorf("CRD: %+v", s)
	}
	s, _ = stepup.KeyScope("cordon", "nodes", []stepup.Target{{Namespace: "", Name: "n1"}})
	if s.Namespace != "" || s.Resource != "nodes" || s.Names[0] != "n1" {
		t.Errorf("node: %+v", s)
	}
	if _, ok := stepup.KeyScope("delete-context", "contexts", nil); ok {
		t.Error("a kubeconfig edit has no request scope")
	}
}

// scopedGateway protects prod with operation scopes (one-shot or not) and
// an asker that says yes, counting the questions.
func scopedGateway(t *testing.T, oneShot bool) (*testGateway, *atomic.Int32) {
	var asks atomic.Int32
	tg := startTestGateway(t, func(c *Config) {
		c.Policies = func(name string) profile.Policy {
			if name == "prod" {
				return profile.Policy{Protected: true, Window: time.Minute, Elevation: impersonateBreakGlass, Scope: profile.ScopeOperation, OneShot: oneShot}
			}
			return profile.Policy{}
		}
		c.Asker = AskerFunc(func(ctx context.Context, req StepUpRequest) (bool, error) {
			asks.Add(1)
			if req.Scope == nil {
				return false, fmt.Errorf("operation scope expected, got none for %s", req)
			}
			return true, nil
		})
	})
	return tg, &asks
}

func TestGatewayScopedGrantAsksAgainOutsideScope(t *testing.T) {
	tg, asks := scopedGateway(t, false)
	hc, host := tg.client(t, "prod")
	if code, _, _ := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/a", "", nil); code != 200 {
		t.Fatalf("delete a: %d", code)
	}
	gr, ok := tg.Windows().Active("prod")
	if !ok || gr.Scope == nil || gr.Scope.Names[0] != "a" {
		t.Fatalf("grant = %+v", gr)
	}
	// Within the window, the same operation rides the grant...
	do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/a", "", nil)
	if n := asks.Load(); n != 1 {
		t.Fatalf("asked %d times for the same pod", n)
	}
	// ...anything else asks again.
	do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/b", "", nil)
	do(t, hc, "PATCH", host+"/api/v1/namespaces/shop/pods/a", `{"metadata":{"labels":{"x":"y"}}}`, map[string]string{"Content-Type": "application/merge-patch+json"})
	if n := asks.Load(); n != 3 {
		t.Fatalf("asked %d times, want 3", n)
	}
}

// TestGatewayScopedRefusedWhenDeclined: a DELETE of pod b while a grant for
// pod a is open is held and, when the user declines, refused; the grant
// for a stays.
func TestGatewayScopedRefusedWhenDeclined(t *testing.T) {
	tg, _ := scopedGateway(t, false)
	hc, host := tg.client(t, "prod")
	do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/a", "", nil)
	tg.cfg.Asker = AskerFunc(func(context.Context, StepUpRequest) (bool, error) { return false, nil })
	code, st, _ := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/b", "", nil)
	if code != 403 || !strings.Contains(st.Message, "declined") {
		t.Fatalf("delete b: %d %q", code, st.Message)
	}
	if n := len(tg.api.seenMethod("DELETE", "/pods/b")); n != 0 {
		t.Fatalf("pod b's delete reached the API server %d times", n)
	}
}

// TestGatewayScopedJoinerAsksForItself: two different deletes arrive while
// one question is up; the second is not carried by the first one's answer.
func TestGatewayScopedJoinerAsksForItself(t *testing.T) {
	var asks atomic.Int32
	release := make(chan struct{})
	var mu sync.Mutex
	var asked []string
	tg := startTestGateway(t, func(c *Config) {
		c.Policies = func(string) profile.Policy {
			return profile.Policy{Protected: true, Window: time.Minute, Elevation: impersonateBreakGlass, Scope: profile.ScopeOperation}
		}
		c.Asker = AskerFunc(func(ctx context.Context, req StepUpRequest) (bool, error) {
			if asks.Add(1) == 1 {
				<-release
			}
			mu.Lock()
			asked = append(asked, req.Name)
			mu.Unlock()
			return true, nil
		})
	})
	hc, host := tg.client(t, "prod")
	pods := []string{"a", "b"}
	codes := make([]int, len(pods))
	var wg sync.WaitGroup
	del := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/"+pods[i], "", nil)
		}()
	}
	del(0)
	waitJoined(t, tg.Gateway, "prod", 1) // a's question is up
	del(1)
	waitJoined(t, tg.Gateway, "prod", 2) // b waits on a's question
	close(release)
	wg.Wait()
	if n := asks.Load(); n != 2 {
		t.Fatalf("asked %d times (%v), want once per pod", n, asked)
	}
	// One grant per context: whichever grant opens last replaces the
	// other, so the request still on its way under the replaced one fails
	// closed (403) and never rides the other pod's grant. Which of a and b
	// opens last is up to the scheduler; that one goes out.
	ok := 0
	for i, c := range codes {
		sent := len(tg.api.seenMethod("DELETE", "/pods/"+pods[i]))
		switch {
		case c == 200 && sent == 1:
			ok++
		case c == 403 && sent == 0:
		default:
			t.Errorf("delete %s: %d, and the API server saw it %d times", pods[i], c, sent)
		}
	}
	if ok == 0 {
		t.Errorf("neither delete went out: codes %v", codes)
	}
}

func TestGatewayOneShotClosesAfterTheOperation(t *testing.T) {
	tg, asks := scopedGateway(t, true)
	var closed []stepup.CloseReason
	var mu sync.Mutex
	tg.Windows().OnClose(func(_ stepup.Grant, why stepup.CloseReason) {
		mu.Lock()
		closed = append(closed, why)
		mu.Unlock()
	})
	hc, host := tg.client(t, "prod")
	if code, _, _ := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/a", "", nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	waitFor(t, func() bool { _, open := tg.Windows().Active("prod"); return !open })
	mu.Lock()
	if len(closed) != 1 || closed[0] != stepup.CloseCompleted {
		t.Fatalf("closed %v", closed)
	}
	mu.Unlock()
	// The same delete again needs a new step-up.
	do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/a", "", nil)
	if n := asks.Load(); n != 2 {
		t.Fatalf("asked %d times, want 2", n)
	}
}

// TestGatewayOneShotCoversEveryMarkedRow: a one-shot grant for three marked
// pods stays open until all three deletes have completed, then closes.
func TestGatewayOneShotCoversEveryMarkedRow(t *testing.T) {
	tg, asks := scopedGateway(t, true)
	s, _ := stepup.KeyScope("delete", "pods", []stepup.Target{{Namespace: "shop", Name: "a"}, {Namespace: "shop", Name: "b"}, {Namespace: "shop", Name: "c"}})
	if _, err := tg.Windows().OpenScoped("prod", time.Minute, s, "keys"); err != nil {
		t.Fatal(err)
	}
	hc, host := tg.client(t, "prod")
	for i, n := range []string{"a", "b"} {
		if code, _, _ := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/"+n, "", nil); code != 200 {
			t.Fatalf("delete %s: %d", n, code)
		}
		if _, open := tg.Windows().Active("prod"); !open {
			t.Fatalf("grant closed after %d of 3 deletes", i+1)
		}
	}
	do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/c", "", nil)
	waitFor(t, func() bool { _, open := tg.Windows().Active("prod"); return !open })
	if n := asks.Load(); n != 0 {
		t.Fatalf("asked %d times inside the grant", n)
	}
}

func TestGatewayContextScopeUnchanged(t *testing.T) {
	var asks atomic.Int32
	tg := startTestGateway(t, func(c *Config) {
		c.Policies = func(string) profile.Policy {
			return profile.Policy{Protected: true, Window: time.Minute, Elevation: impersonateBreakGlass, Scope: profile.ScopeContext}
		}
		c.Asker = AskerFunc(func(ctx context.Context, req StepUpRequest) (bool, error) {
			asks.Add(1)
			if req.Scope != nil {
				return false, fmt.Errorf("context scope wants no operation scope")
			}
			return true, nil
		})
	})
	hc, host := tg.client(t, "prod")
	do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/a", "", nil)
	do(t, hc, "DELETE", host+"/api/v1/namespaces/payments/pods/b", "", nil)
	if n := asks.Load(); n != 1 {
		t.Fatalf("asked %d times under scope context", n)
	}
}

// A scope names request classes as strings (stepup cannot import kube);
// they must be the gateway's own classes, or a key's grant would cover
// nothing.
func TestScopeClassesAreTheGatewaysClasses(t *testing.T) {
	if stepup.ClassWrite != string(ClassWrite) || stepup.ClassSensitive != string(ClassSensitive) {
		t.Errorf("stepup classes %q, %q; kube classes %q, %q", stepup.ClassWrite, stepup.ClassSensitive, ClassWrite, ClassSensitive)
	}
}

// TestGatewayOneShotFiveCreatesNeedFiveCodes — attack: with oneShot, five
// concurrent creates wait on one prompt and all five go out on its one
// code. Each code lets one request out: the rest ask again, saying the
// open window is used up (Renew, so the prompter cannot answer from it),
// and are refused once they have asked maxAsksPerRequest times.
func TestGatewayOneShotFiveCreatesNeedFiveCodes(t *testing.T) {
	release := make(chan struct{})
	var asks, renewals atomic.Int32
	tg := startTestGateway(t, func(c *Config) {
		c.Policies = func(string) profile.Policy {
			return profile.Policy{Protected: true, Window: time.Minute, Elevation: impersonateBreakGlass, Scope: profile.ScopeOperation, OneShot: true}
		}
		c.Asker = AskerFunc(func(ctx context.Context, req StepUpRequest) (bool, error) {
			if asks.Add(1) == 1 {
				<-release
			}
			if req.Renew {
				renewals.Add(1)
			}
			return true, nil
		})
	})
	hc, host := tg.client(t, "prod")
	const n = 5
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			codes[i], _, _ = do(t, hc, "POST", host+"/api/v1/namespaces/shop/configmaps", fmt.Sprintf(`{"metadata":{"name":"cm-%d"}}`, i), nil)
		})
	}
	waitJoined(t, tg.Gateway, "prod", n)
	close(release)
	wg.Wait()
	sent := len(tg.api.seenMethod("POST", "/configmaps"))
	ok := 0
	for _, c := range codes {
		switch c {
		case 200, 201:
			ok++
		case 403:
		default:
			t.Errorf("codes %v", codes)
		}
	}
	if sent != ok || sent == 0 || int32(sent) > asks.Load() {
		t.Fatalf("%d creates reached the API server, %d answered OK, on %d codes", sent, ok, asks.Load())
	}
	if renewals.Load() == 0 {
		t.Fatal("no question said the one-shot window was used up")
	}
}
