package kube

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

const baseToken = "base-token-do-not-leak"

// seenReq is what the fake API server saw of one request.
type seenReq struct {
	Method, Path, Query, Auth, ImpUser string
	ImpGroups                          []string
	Header                             http.Header
}

// fakeAPI stands in for kube-apiserver: it records every request, answers
// access reviews (allowed only when impersonating), and accepts any
// upgrade, echoing the upgraded stream back.
type fakeAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []seenReq
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.EnableHTTP2 = true
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, seenReq{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"),
		ImpUser: r.Header.Get("Impersonate-User"), ImpGroups: r.Header.Values("Impersonate-Group"), Header: r.Header.Clone(),
	})
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+baseToken {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if strings.EqualFold(r.Header.Get("Connection"), "upgrade") {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + r.Header.Get("Upgrade") + "\r\n\r\n")
		_ = brw.Flush()
		_, _ = io.Copy(conn, brw)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/selfsubjectaccessreviews"):
		var review authorizationv1.SelfSubjectAccessReview
		_ = json.NewDecoder(r.Body).Decode(&review)
		review.Status.Allowed = r.Header.Get("Impersonate-User") == "break-glass"
		review.Status.Reason = "fake"
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(review)
	case strings.HasSuffix(r.URL.Path, "/selfsubjectreviews"):
		user := "viewer"
		if u := r.Header.Get("Impersonate-User"); u != "" {
			user = u
		}
		fmt.Fprintf(w, `{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","status":{"userInfo":{"username":%q}}}`, user)
	case r.Method == http.MethodGet:
		fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}`)
	default:
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Success"}`)
	}
}

func (f *fakeAPI) seen() []seenReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// seenMethod returns the requests with this method whose path ends in suffix.
func (f *fakeAPI) seenMethod(method, suffix string) []seenReq {
	var out []seenReq
	for _, r := range f.seen() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

// writeUserKubeconfig writes a kubeconfig like a user's: dev and prod share
// the cluster and the user (as they often do), "team/prod" has a name with
// a slash (as EKS context names do) and a cluster of its own.
func writeUserKubeconfig(t *testing.T, f *fakeAPI) string {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw})
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c1"] = &clientcmdapi.Cluster{Server: f.srv.URL, CertificateAuthorityData: ca}
	cfg.Clusters["c2"] = &clientcmdapi.Cluster{Server: f.srv.URL, CertificateAuthorityData: ca}
	cfg.AuthInfos["viewer"] = &clientcmdapi.AuthInfo{Token: baseToken}
	cfg.Contexts["dev"] = &clientcmdapi.Context{Cluster: "c1", AuthInfo: "viewer", Namespace: "shop"}
	cfg.Contexts["prod"] = &clientcmdapi.Context{Cluster: "c1", AuthInfo: "viewer", Namespace: "shop"}
	cfg.Contexts["team/prod"] = &clientcmdapi.Context{Cluster: "c2", AuthInfo: "viewer", Namespace: "payments"}
	cfg.CurrentContext = "dev"
	path := filepath.Join(t.TempDir(), "config")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

var impersonateBreakGlass = profile.Elevation{Kind: profile.ElevationImpersonate, User: "break-glass", Groups: []string{"k9s-guard:break-glass"}}

func protectProd(e profile.Elevation) func(string) profile.Policy {
	return func(name string) profile.Policy {
		if name == "prod" || name == "team/prod" {
			return profile.Policy{Protected: true, Window: time.Minute, Elevation: e}
		}
		return profile.Policy{}
	}
}

type recordedAudit struct {
	mu     sync.Mutex
	events []audit.Record
	fail   error
}

func (a *recordedAudit) record(ev audit.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil && (ev.Event == audit.EventRequestElevated || ev.Event == audit.EventAccessReview) {
		return a.fail
	}
	a.events = append(a.events, ev)
	return nil
}

func (a *recordedAudit) byEvent(name audit.Event) []audit.Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []audit.Record
	for _, e := range a.events {
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

type testGateway struct {
	*Gateway
	api   *fakeAPI
	audit *recordedAudit
}

func startTestGateway(t *testing.T, mutate func(*Config)) *testGateway {
	t.Helper()
	api := newFakeAPI(t)
	aud := &recordedAudit{}
	cfg := Config{
		LoadingRules: &clientcmd.ClientConfigLoadingRules{ExplicitPath: writeUserKubeconfig(t, api)},
		Policies:     protectProd(impersonateBreakGlass),
		Audit:        aud.record,
		SessionDir:   filepath.Join(t.TempDir(), "sessions"),
		Port:         -1,
		Logf:         t.Logf,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	g, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	return &testGateway{Gateway: g, api: api, audit: aud}
}

// client returns an HTTP client and base URL for a context of the session
// kubeconfig, exactly as client-go (and so K9s) would build them.
func (tg *testGateway) client(t *testing.T, context string) (*http.Client, string) {
	t.Helper()
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: tg.KubeconfigPath()},
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		t.Fatal(err)
	}
	return hc, rc.Host
}

func do(t *testing.T, hc *http.Client, method, url, body string, hdr map[string]string) (int, metav1.Status, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var st metav1.Status
	_ = json.Unmarshal(b, &st)
	return resp.StatusCode, st, b
}

func TestSessionKubeconfig(t *testing.T) {
	tg := startTestGateway(t, nil)
	fi, err := os.Stat(tg.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("session kubeconfig mode %v, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(tg.SessionDir())
	if di.Mode().Perm() != 0o700 {
		t.Errorf("session dir mode %v, want 0700", di.Mode().Perm())
	}
	data, _ := os.ReadFile(tg.KubeconfigPath())
	if strings.Contains(string(data), baseToken) {
		t.Fatal("the user's real token leaked into the session kubeconfig")
	}
	cfg, err := clientcmd.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "dev" {
		t.Errorf("current-context %q, want dev", cfg.CurrentContext)
	}
	want := map[string][3]string{ // context -> cluster, user, namespace
		"dev":       {"c1", "viewer", "shop"},
		"prod":      {"c1", "viewer@prod", "shop"}, // shares cluster and user with dev
		"team/prod": {"c2", "viewer", "payments"},
	}
	for name, w := range want {
		c := cfg.Contexts[name]
		if c == nil || c.Cluster != w[0] || c.AuthInfo != w[1] || c.Namespace != w[2] {
			t.Errorf("context %s = %+v, want cluster/user/ns %v", name, c, w)
		}
	}
	if s := cfg.Clusters["c2"].Server; s != tg.URL()+"/ctx/"+segmentFor("team/prod") || strings.Contains(strings.TrimPrefix(s, "https://"), "team/prod") {
		t.Errorf("c2 server %q", s)
	}
	if s := cfg.Clusters["c1"].Server; s != tg.URL()+"/cluster/c1" {
		t.Errorf("shared cluster c1 server %q", s)
	}
	if !strings.HasPrefix(tg.URL(), "https://127.0.0.1:") {
		t.Errorf("gateway URL %q is not loopback", tg.URL())
	}
	if cfg.AuthInfos["viewer"].Token == cfg.AuthInfos["viewer@prod"].Token {
		t.Error("dev and prod share a token, so the gateway cannot tell them apart")
	}
	// Every context works through client-go with the session kubeconfig.
	for name := range want {
		hc, host := tg.client(t, name)
		if code, _, body := do(t, hc, "GET", host+"/api/v1/namespaces/shop/pods", "", nil); code != 200 {
			t.Errorf("list pods via %s: %d %s", name, code, body)
		}
	}
	dir := tg.SessionDir()
	if err := tg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("session dir still there after Close: %v", err)
	}
}

func TestStaleSessionRemoved(t *testing.T) {
	base := filepath.Join(t.TempDir(), "sessions")
	if err := prepareBase(base); err != nil {
		t.Fatal(err)
	}
	// A crashed run: its pid no longer exists.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no `true` binary:", err)
	}
	stale := filepath.Join(base, sessionPrefix+"crashed")
	_ = os.Mkdir(stale, 0o700)
	_ = os.WriteFile(filepath.Join(stale, pidFile), []byte(fmt.Sprint(cmd.Process.Pid)), 0o600)
	_ = os.WriteFile(filepath.Join(stale, kubeconfigFile), []byte("token: x"), 0o600)
	// A live run (this process).
	live := filepath.Join(base, sessionPrefix+"live")
	_ = os.Mkdir(live, 0o700)
	_ = os.WriteFile(filepath.Join(live, pidFile), []byte(fmt.Sprint(os.Getpid())), 0o600)

	startTestGateway(t, func(c *Config) { c.SessionDir = base })
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Error("stale session of a dead process was not removed")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("session of a live process was removed")
	}
}

func TestSessionBaseOwnedByOthersRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := prepareBase(dir); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("our own base dir left at %v", fi.Mode().Perm())
	}
	file := filepath.Join(dir, "file")
	_ = os.WriteFile(file, nil, 0o600)
	if err := prepareBase(file); err == nil {
		t.Fatal("a file accepted as session base")
	}
}

func TestLoadingRules(t *testing.T) {
	env := map[string]string{"HOME": "/home/u", "KUBECONFIG": "/a:/b:/a::"}
	getenv := func(k string) string { return env[k] }
	if r := LoadingRules("/x", getenv); r.ExplicitPath != "/x" || len(r.Precedence) != 0 {
		t.Errorf("--kubeconfig: %+v", r)
	}
	if r := LoadingRules("", getenv); !slices.Equal(r.Precedence, []string{"/a", "/b"}) {
		t.Errorf("KUBECONFIG: %v", r.Precedence)
	}
	delete(env, "KUBECONFIG")
	if r := LoadingRules("", getenv); !slices.Equal(r.Precedence, []string{"/home/u/.kube/config"}) {
		t.Errorf("home: %v", r.Precedence)
	}
}

func TestGatewayReadsUseBaseCredentials(t *testing.T) {
	tg := startTestGateway(t, nil)
	hc, host := tg.client(t, "prod")
	if code, _, body := do(t, hc, "GET", host+"/api/v1/namespaces/shop/pods?watch=false", "", nil); code != 200 {
		t.Fatalf("list: %d %s", code, body)
	}
	got := tg.api.seenMethod("GET", "/api/v1/namespaces/shop/pods")
	if len(got) != 1 {
		t.Fatalf("upstream saw %d lists", len(got))
	}
	if got[0].Auth != "Bearer "+baseToken || got[0].ImpUser != "" || got[0].Query != "watch=false" {
		t.Fatalf("read went out as %+v", got[0])
	}
}

// Attack: reaching the upstream without the session token, or with a token
// for another context.
func TestGatewayAuthentication(t *testing.T) {
	tg := startTestGateway(t, nil)
	hc, host := tg.client(t, "dev")
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for _, hdr := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dmlld2VyOng="}} {
		code, st, _ := do(t, plain, "GET", host+"/api/v1/pods", "", hdr)
		if code != 401 || st.Reason != metav1.StatusReasonUnauthorized || st.Kind != "Status" {
			t.Errorf("headers %v: %d %+v, want 401 Status", hdr, code, st)
		}
	}
	// dev's token on prod's path.
	prodURL, _ := tg.ContextURL("prod")
	if code, _, _ := do(t, hc, "GET", prodURL+"/api/v1/pods", "", nil); code != 404 {
		t.Errorf("dev token on prod path: %d, want 404", code)
	}
	if code, st, _ := do(t, hc, "GET", tg.URL()+"/ctx/nosuch/api/v1/pods", "", nil); code != 404 || st.Reason != metav1.StatusReasonNotFound {
		t.Errorf("unknown context: %d %+v", code, st)
	}
	for _, r := range tg.api.seen() {
		if r.Path == "/api/v1/pods" {
			t.Fatalf("an unauthenticated request reached the upstream: %+v", r)
		}
	}
}

func TestGatewayProtectedWriteRefused(t *testing.T) {
	tg := startTestGateway(t, nil)
	hc, host := tg.client(t, "prod")
	code, st, body := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/cart-7c9d", "", nil)
	if code != 403 || st.Reason != metav1.StatusReasonForbidden || st.Details == nil || st.Details.Name != "cart-7c9d" || st.Details.Kind != "pods" {
		t.Fatalf("delete without window: %d %s", code, body)
	}
	for _, want := range []string{"delete pod shop/cart-7c9d", `"prod"`, "one-time code"} {
		if !strings.Contains(st.Message, want) {
			t.Errorf("message %q lacks %q", st.Message, want)
		}
	}
	if n := len(tg.api.seenMethod("DELETE", "")); n != 0 {
		t.Fatalf("upstream saw %d deletes", n)
	}
	if d := tg.audit.byEvent(audit.EventRequestDenied); len(d) != 1 || d[0].Context != "prod" || d[0].Name != "cart-7c9d" || d[0].Status != 403 {
		t.Fatalf("denied audit = %+v", d)
	}
	// The same request in the unprotected dev context goes through.
	hc, host = tg.client(t, "dev")
	if code, _, body := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/cart-7c9d", "", nil); code != 200 {
		t.Fatalf("delete in dev: %d %s", code, body)
	}
	if got := tg.api.seenMethod("DELETE", "/pods/cart-7c9d"); len(got) != 1 || got[0].ImpUser != "" {
		t.Fatalf("dev delete went out as %+v", got)
	}
	// Sensitive reads are stepped up too.
	hc, host = tg.client(t, "prod")
	if code, _, _ := do(t, hc, "GET", host+"/api/v1/namespaces/shop/secrets", "", nil); code != 403 {
		t.Fatalf("list secrets without window: %d", code)
	}
}

func TestGatewayStepUpElevates(t *testing.T) {
	var asks atomic.Int32
	release := make(chan struct{})
	tg := startTestGateway(t, func(c *Config) {
		c.Asker = AskerFunc(func(ctx context.Context, req StepUpRequest) (bool, error) {
			asks.Add(1)
			if req.Context != "prod" || req.Action != "delete" || req.Elevation != "impersonate break-glass (groups: k9s-guard:break-glass)" {
				return false, fmt.Errorf("unexpected request %+v", req)
			}
			<-release
			return true, nil
		})
	})
	hc, host := tg.client(t, "prod")
	// Five deletes at once (K9s deleting marked rows) share one question.
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = do(t, hc, "DELETE", fmt.Sprintf("%s/api/v1/namespaces/shop/pods/p%d", host, i), "", nil)
		}()
	}
	// All five must be waiting on the question before it is answered: a
	// request that arrives after the answer finds no question open.
	waitJoined(t, tg.Gateway, "prod", 5)
	close(release)
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("delete %d: %d", i, c)
		}
	}
	if n := asks.Load(); n != 1 {
		t.Errorf("asked %d times, want once", n)
	}
	dels := tg.api.seenMethod("DELETE", "")
	if len(dels) != 5 {
		t.Fatalf("upstream saw %d deletes", len(dels))
	}
	for _, d := range dels {
		if d.ImpUser != "break-glass" || !slices.Equal(d.ImpGroups, []string{"k9s-guard:break-glass"}) || d.Auth != "Bearer "+baseToken {
			t.Fatalf("elevated delete went out as %+v", d)
		}
	}
	if _, ok := tg.Windows().Active("prod"); !ok {
		t.Fatal("no window open after a yes")
	}
	if _, ok := tg.Windows().Active("dev"); ok {
		t.Fatal("prod's window opened dev's")
	}
	ev := tg.audit.byEvent(audit.EventRequestElevated)
	if len(ev) != 5 || ev[0].ElevatedIdentity != "break-glass" || ev[0].BaseIdentity != "viewer" || ev[0].GrantID == "" || ev[0].Deadline == nil || ev[0].Deadline.IsZero() {
		t.Fatalf("elevated audit = %+v", ev)
	}
	// Reads stay on the base credentials inside the window.
	do(t, hc, "GET", host+"/api/v1/namespaces/shop/pods", "", nil)
	if got := tg.api.seenMethod("GET", "/namespaces/shop/pods"); len(got) != 1 || got[0].ImpUser != "" {
		t.Fatalf("read inside a window went out as %+v", got)
	}
	// After re-lock, writes are refused again (the asker now says no).
	tg.Windows().Close("prod", stepup.CloseRelocked)
	tg.cfg.Asker = AskerFunc(func(context.Context, StepUpRequest) (bool, error) { return false, nil })
	if code, st, _ := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/p9", "", nil); code != 403 || !strings.Contains(st.Message, "declined") {
		t.Fatalf("delete after re-lock: %d %q", code, st.Message)
	}
}

func TestGatewayAskTimeout(t *testing.T) {
	tg := startTestGateway(t, func(c *Config) {
		c.AskTimeout = 50 * time.Millisecond
		c.Asker = AskerFunc(func(ctx context.Context, _ StepUpRequest) (bool, error) {
			<-ctx.Done()
			return false, ctx.Err()
		})
	})
	hc, host := tg.client(t, "prod")
	code, st, _ := do(t, hc, "POST", host+"/api/v1/namespaces/shop/pods/cart/exec?command=sh", "", nil)
	if code != 403 || !strings.Contains(st.Message, "no one-time code was entered within 50ms") {
		t.Fatalf("exec with no answer: %d %q", code, st.Message)
	}
}

// Attack: an elevated request that the audit trail cannot record.
func TestGatewayAuditFailureRefuses(t *testing.T) {
	tg := startTestGateway(t, nil)
	tg.audit.fail = errors.New("disk full")
	if _, err := tg.Windows().Open("prod", time.Minute); err != nil {
		t.Fatal(err)
	}
	hc, host := tg.client(t, "prod")
	code, st, _ := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/cart", "", nil)
	if code != 403 || !strings.Contains(st.Message, "audit") {
		t.Fatalf("unaudited delete: %d %q", code, st.Message)
	}
	if n := len(tg.api.seenMethod("DELETE", "")); n != 0 {
		t.Fatal("an unaudited elevated request reached the upstream")
	}
}

func ssarBody(verb, resource string) string {
	return fmt.Sprintf(`{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"resourceAttributes":{"namespace":"shop","verb":%q,"resource":%q}},"status":{"allowed":false}}`, verb, resource)
}

// TestGatewayAccessReviewsAnsweredFromProfile stops this attack: access
// reviews in a protected context were forwarded with the elevated
// credentials, with no window and no record, so any process in the session
// could map the elevated rights review by review. A guarded action is now
// answered by the gateway from the profile, the elevated identity never
// sees the review, and the review is recorded with who asked.
func TestGatewayAccessReviewsAnsweredFromProfile(t *testing.T) {
	tg := startTestGateway(t, nil)
	hc, host := tg.client(t, "prod")
	ssar := host + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
	var review authorizationv1.SelfSubjectAccessReview
	_, _, body := do(t, hc, "POST", ssar, ssarBody("delete", "pods"), nil)
	_ = json.Unmarshal(body, &review)
	if !review.Status.Allowed {
		t.Fatalf("delete pods review in prod: %s", body)
	}
	_, _, body = do(t, hc, "POST", ssar, ssarBody("list", "pods"), nil)
	_ = json.Unmarshal(body, &review)
	if review.Status.Allowed {
		t.Fatalf("list pods review answered as elevated: %s", body)
	}
	reviews := tg.api.seenMethod("POST", "/selfsubjectaccessreviews")
	if len(reviews) != 1 || reviews[0].ImpUser != "" || reviews[0].Auth != "Bearer base-token-do-not-leak" {
		t.Fatalf("reviews went out as %+v; want only the list review, with the base credentials", reviews)
	}
	recs := tg.audit.byEvent(audit.EventAccessReview)
	ok := len(recs) == 1
	var rec audit.Record
	if ok {
		rec = recs[0]
	}
	if !ok || rec.Verb != "delete" || rec.Resource != "pods" || rec.Namespace != "shop" || !strings.Contains(rec.Message, "(pid ") {
		t.Fatalf("access review record %+v (found %v), want the delete review with who asked", rec, ok)
	}
	// The same question again is answered the same way and not recorded
	// twice (K9s asks it for every view it opens).
	_, _, body = do(t, hc, "POST", ssar, ssarBody("delete", "pods"), nil)
	review = authorizationv1.SelfSubjectAccessReview{}
	_ = json.Unmarshal(body, &review)
	if !review.Status.Allowed || len(tg.audit.byEvent(audit.EventAccessReview)) != 1 {
		t.Fatalf("repeated review: %s; %d records", body, len(tg.audit.byEvent(audit.EventAccessReview)))
	}
	// Without a record, the gateway says nothing about the elevated
	// rights: the base credentials answer.
	tg.audit.fail = errors.New("disk full")
	_, _, body = do(t, hc, "POST", ssar, ssarBody("delete", "configmaps"), nil)
	review = authorizationv1.SelfSubjectAccessReview{}
	_ = json.Unmarshal(body, &review)
	if review.Status.Allowed || len(tg.api.seenMethod("POST", "/selfsubjectaccessreviews")) != 2 {
		t.Fatalf("unrecorded review: %s", body)
	}
	tg.audit.fail = nil
	if _, ok := tg.Windows().Active("prod"); ok {
		t.Fatal("an access review opened a window")
	}
	// Unprotected context: honest answers.
	hc, host = tg.client(t, "dev")
	_, _, body = do(t, hc, "POST", host+"/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ssarBody("delete", "pods"), nil)
	_ = json.Unmarshal(body, &review)
	if review.Status.Allowed {
		t.Fatalf("dev review answered as elevated: %s", body)
	}
}

func TestGatewayAccessReviewServiceAccountSource(t *testing.T) {
	tg := startTestGateway(t, func(c *Config) {
		c.Policies = protectProd(profile.Elevation{Kind: profile.ElevationServiceAccount, Namespace: "k9s-guard-system", Name: "break-glass"})
	})
	hc, host := tg.client(t, "prod")
	code, _, body := do(t, hc, "POST", host+"/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ssarBody("delete", "pods"), nil)
	var review authorizationv1.SelfSubjectAccessReview
	_ = json.Unmarshal(body, &review)
	if code != 201 || !review.Status.Allowed || !strings.Contains(review.Status.Reason, "k9s-guard") || review.Spec.ResourceAttributes.Verb != "delete" {
		t.Fatalf("review: %d %s", code, body)
	}
	if n := len(tg.api.seenMethod("POST", "/token")); n != 0 {
		t.Fatal("a token was minted to answer an access review")
	}
}

// Attack: Impersonate-* headers sent by the client to borrow another
// identity through the gateway's credentials.
func TestGatewayClientImpersonation(t *testing.T) {
	tg := startTestGateway(t, nil)
	hc, host := tg.client(t, "dev")
	for _, h := range []map[string]string{
		{"Impersonate-User": "break-glass"},
		{"Impersonate-Group": "system:masters"},
		{"Impersonate-Uid": "1"},
		{"Impersonate-Extra-Scopes": "x"},
	} {
		if code, _, _ := do(t, hc, "GET", host+"/api/v1/pods", "", h); code != 403 {
			t.Errorf("%v: %d, want 403", h, code)
		}
	}
	if len(tg.api.seenMethod("GET", "/api/v1/pods")) != 0 {
		t.Fatal("an impersonating request reached the upstream")
	}

	// K9s started with --as alice: exactly that is accepted, and applied.
	tg2 := startTestGateway(t, func(c *Config) { c.As = "alice"; c.AsGroups = []string{"devs"} })
	hc, host = tg2.client(t, "dev")
	if code, _, _ := do(t, hc, "GET", host+"/api/v1/pods", "", map[string]string{"Impersonate-User": "alice", "Impersonate-Group": "devs"}); code != 200 {
		t.Fatalf("--as request: %d", code)
	}
	if code, _, _ := do(t, hc, "GET", host+"/api/v1/pods", "", map[string]string{"Impersonate-User": "bob"}); code != 403 {
		t.Fatalf("other user than --as: %d", code)
	}
	got := tg2.api.seenMethod("GET", "/api/v1/pods")
	if len(got) != 1 || got[0].ImpUser != "alice" || !slices.Equal(got[0].ImpGroups, []string{"devs"}) {
		t.Fatalf("--as request went out as %+v", got)
	}
}

// Attack: path forms the gateway and the API server could read differently.
func TestGatewayPathTricks(t *testing.T) {
	tg := startTestGateway(t, nil)
	_, host := tg.client(t, "dev")
	devToken := tg.layout.contexts["dev"].token
	tricks := map[string]int{
		"/api/v1/namespaces/shop/pods/../secrets":     400,
		"/api/v1/namespaces/shop/pods/%2e%2e/secrets": 400,
		"/api/v1/namespaces/shop%2Fsecrets":           400,
		"/api//v1/namespaces/shop/pods":               400,
		"/api/v1/namespaces/shop/pods/./x":            400,
		"/api/v1/namespaces/shop/pods%5Cx":            400,
	}
	for p, want := range tricks {
		conn := rawRequest(t, tg.URL(), "GET "+strings.TrimPrefix(host, tg.URL())+p+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+devToken+"\r\nConnection: close\r\n\r\n")
		if got := statusOf(t, conn); got != want {
			t.Errorf("%s: %d, want %d", p, got, want)
		}
	}
	// "team/prod" is routed by its encoded segment only: neither the raw
	// slash nor an escaped one reaches it.
	teamToken := tg.layout.contexts["team/prod"].token
	for _, p := range []string{"/ctx/team/prod/api/v1/pods", "/ctx/team%2Fprod/api/v1/pods"} {
		conn := rawRequest(t, tg.URL(), "GET "+p+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+teamToken+"\r\nConnection: close\r\n\r\n")
		if got := statusOf(t, conn); got != 404 {
			t.Errorf("%s: %d, want 404", p, got)
		}
	}
	for _, r := range tg.api.seen() {
		t.Errorf("a trick reached the upstream: %s %s", r.Method, r.Path)
	}
}

// Attack: method override headers that some layers honour.
func TestGatewayMethodOverride(t *testing.T) {
	tg := startTestGateway(t, nil)
	hc, host := tg.client(t, "prod")
	for _, h := range methodOverrideHeaders {
		if code, _, _ := do(t, hc, "GET", host+"/api/v1/namespaces/shop/pods/cart", "", map[string]string{h: "DELETE"}); code != 400 {
			t.Errorf("%s: %d, want 400", h, code)
		}
	}
}

func rawRequest(t *testing.T, base, req string) *tls.Conn {
	t.Helper()
	conn, err := tls.Dial("tcp", strings.TrimPrefix(base, "https://"), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	return conn
}

func statusOf(t *testing.T, conn net.Conn) int {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// An elevated exec stream must not outlive its window.
func TestGatewayUpgradeClosedWithWindow(t *testing.T) {
	clock := newKubeTestClock()
	windows := stepup.NewWindows(clock)
	tg := startTestGateway(t, func(c *Config) { c.Windows = windows })
	if _, err := windows.Open("prod", time.Minute); err != nil {
		t.Fatal(err)
	}
	_, host := tg.client(t, "prod")
	tok := tg.layout.contexts["prod"].token
	path := strings.TrimPrefix(host, tg.URL()) + "/api/v1/namespaces/shop/pods/cart/exec?command=sh&stdin=true"
	conn := rawRequest(t, tg.URL(), "POST "+path+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok+
		"\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	if _, err := io.WriteString(conn, "id\n"); err != nil {
		t.Fatal(err)
	}
	line, err := br.ReadString('\n')
	if err != nil || line != "id\n" {
		t.Fatalf("echo through the tunnel: %q %v", line, err)
	}
	ups := tg.api.seenMethod("POST", "/exec")
	if len(ups) != 1 || ups[0].ImpUser != "break-glass" || ups[0].Auth != "Bearer "+baseToken {
		t.Fatalf("exec went out as %+v", ups)
	}
	clock.Advance(time.Minute)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadString('\n'); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the shell survived its window: %v", err)
	}
}

func TestGatewayClosesStreamsOnClose(t *testing.T) {
	tg := startTestGateway(t, nil)
	_, host := tg.client(t, "dev")
	tok := tg.layout.contexts["dev"].token
	path := strings.TrimPrefix(host, tg.URL()) + "/api/v1/namespaces/shop/pods/cart/portforward"
	conn := rawRequest(t, tg.URL(), "GET "+path+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok+
		"\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n")
	br := bufio.NewReader(conn)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	_ = tg.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("port-forward survived Close: %v", err)
	}
}

// waitJoined waits until n requests of context have joined the question
// on screen for it.
func waitJoined(t *testing.T, g *Gateway, context string, n int) {
	t.Helper()
	waitFor(t, func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		p := g.asks[context]
		return p != nil && p.waiters >= n
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// kubeTestClock is a hand-driven stepup.WindowClock.
type kubeTestClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*kubeTestTimer
}

type kubeTestTimer struct {
	at      time.Time
	f       func()
	stopped atomic.Bool
}

func (t *kubeTestTimer) Stop() bool { return !t.stopped.Swap(true) }

func newKubeTestClock() *kubeTestClock {
	return &kubeTestClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *kubeTestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *kubeTestClock) AfterFunc(d time.Duration, f func()) stepup.WindowTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &kubeTestTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (c *kubeTestClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var next *kubeTestTimer
		for _, t := range c.timers {
			if !t.stopped.Load() && !t.at.After(end) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		if next == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		next.stopped.Store(true)
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.mu.Unlock()
		next.f()
	}
}

// client-go's typed clients send access reviews as protobuf and expect
// protobuf back; the gateway's own answer must decode.
func TestGatewayAccessReviewProtobuf(t *testing.T) {
	tg := startTestGateway(t, func(c *Config) {
		c.Policies = protectProd(profile.Elevation{Kind: profile.ElevationServiceAccount, Namespace: "k9s-guard-system", Name: "break-glass"})
	})
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: tg.KubeconfigPath()},
		&clientcmd.ConfigOverrides{CurrentContext: "prod"}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "shop", Verb: "delete", Resource: "pods", Name: "x"}},
	}, metav1.CreateOptions{})
	if err != nil || !r.Status.Allowed || !strings.Contains(r.Status.Reason, "k9s-guard") {
		t.Fatalf("review: %+v %v", r, err)
	}
	if n := len(tg.api.seenMethod("POST", "/selfsubjectaccessreviews")); n != 0 {
		t.Fatalf("the review went upstream %d times", n)
	}
}

// A profile that guards only some actions: the others use the user's own
// rights outside a window, and the elevated ones inside it.
func TestGatewayPartialProfile(t *testing.T) {
	tg := startTestGateway(t, func(c *Config) {
		c.Policies = func(name string) profile.Policy {
			if name != "prod" {
				return profile.Policy{}
			}
			return profile.Policy{Protected: true, Elevation: impersonateBreakGlass, Actions: []string{"delete"}}
		}
	})
	hc, host := tg.client(t, "prod")
	patch := map[string]string{"Content-Type": "application/merge-patch+json"}
	if code, _, body := do(t, hc, "PATCH", host+"/apis/apps/v1/namespaces/shop/deployments/web", `{"spec":{"paused":true}}`, patch); code != 200 {
		t.Fatalf("unguarded edit: %d %s", code, body)
	}
	if code, _, _ := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/cart", "", nil); code != 403 {
		t.Fatalf("guarded delete without window: %d", code)
	}
	if _, err := tg.Windows().Open("prod", time.Minute); err != nil {
		t.Fatal(err)
	}
	do(t, hc, "PATCH", host+"/apis/apps/v1/namespaces/shop/deployments/web", `{"spec":{"paused":false}}`, patch)
	got := tg.api.seenMethod("PATCH", "/deployments/web")
	if len(got) != 2 || got[0].ImpUser != "" || got[1].ImpUser != "break-glass" {
		t.Fatalf("patches went out as %+v", got)
	}
}

// proxy-url in the user's kubeconfig applies to the gateway's upstream
// connections, upgraded ones included.
func TestGatewayProxyURL(t *testing.T) {
	var connects atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		connects.Add(1)
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { _, _ = io.Copy(up, brw); up.Close() }()
		_, _ = io.Copy(conn, up)
		conn.Close()
	}))
	t.Cleanup(proxy.Close)
	tg := startTestGateway(t, func(c *Config) {
		raw, err := clientcmd.LoadFromFile(c.LoadingRules.ExplicitPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, cl := range raw.Clusters {
			cl.ProxyURL = proxy.URL
		}
		if err := clientcmd.WriteToFile(*raw, c.LoadingRules.ExplicitPath); err != nil {
			t.Fatal(err)
		}
	})
	hc, host := tg.client(t, "dev")
	if code, _, body := do(t, hc, "GET", host+"/api/v1/namespaces/shop/pods", "", nil); code != 200 {
		t.Fatalf("list through proxy: %d %s", code, body)
	}
	before := connects.Load()
	if before == 0 {
		t.Fatal("the list did not go through the proxy")
	}
	tok := tg.layout.contexts["dev"].token
	path := strings.TrimPrefix(host, tg.URL()) + "/api/v1/namespaces/shop/pods/cart/portforward"
	conn := rawRequest(t, tg.URL(), "GET "+path+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok+
		"\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n")
	br := bufio.NewReader(conn)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade through proxy: %v %v", resp, err)
	}
	_, _ = io.WriteString(conn, "ping\n")
	if line, err := br.ReadString('\n'); err != nil || line != "ping\n" {
		t.Fatalf("echo: %q %v", line, err)
	}
	if connects.Load() <= before {
		t.Fatal("the upgrade did not go through the proxy")
	}
}

// Exec credential plugins and token files keep working behind the gateway,
// for ordinary and upgraded requests alike.
func TestGatewayExecPluginAndTokenFile(t *testing.T) {
	dir := t.TempDir()
	plugin := filepath.Join(dir, "plugin.sh")
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\""+baseToken+"\"}}'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(baseToken), 0o600); err != nil {
		t.Fatal(err)
	}
	tg := startTestGateway(t, func(c *Config) {
		raw, err := clientcmd.LoadFromFile(c.LoadingRules.ExplicitPath)
		if err != nil {
			t.Fatal(err)
		}
		raw.AuthInfos["plugin"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
			APIVersion: "client.authentication.k8s.io/v1", Command: plugin, InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
		}}
		raw.AuthInfos["file"] = &clientcmdapi.AuthInfo{TokenFile: tokenFile}
		raw.Contexts["dev"].AuthInfo = "plugin"
		raw.Contexts["prod"].AuthInfo = "file"
		if err := clientcmd.WriteToFile(*raw, c.LoadingRules.ExplicitPath); err != nil {
			t.Fatal(err)
		}
	})
	for _, name := range []string{"dev", "prod"} {
		hc, host := tg.client(t, name)
		if code, _, body := do(t, hc, "GET", host+"/api/v1/namespaces/shop/pods", "", nil); code != 200 {
			t.Fatalf("%s list: %d %s", name, code, body)
		}
		tok := tg.layout.contexts[name].token
		path := strings.TrimPrefix(host, tg.URL()) + "/api/v1/namespaces/shop/pods/cart/log?follow=true"
		conn := rawRequest(t, tg.URL(), "GET "+path+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok+
			"\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil || resp.StatusCode != 101 {
			t.Fatalf("%s upgrade: %v %v", name, resp, err)
		}
	}
	for _, r := range tg.api.seen() {
		if r.Auth != "Bearer "+baseToken {
			t.Fatalf("request went out with %q: %+v", r.Auth, r)
		}
	}
}
