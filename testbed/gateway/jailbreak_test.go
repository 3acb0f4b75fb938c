package gateway_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// Jailbreak tests: each tries to slip a write (or a sensitive read) past
// the gateway in a protected context with no window open, against the real
// API server, and checks both the answer and that nothing happened.

// rawClient speaks HTTP/1.1 to the gateway byte for byte, so that no
// client library cleans up the tricks.
type rawClient struct {
	addr  string
	tls   *tls.Config
	token string
	base  string // the context's path prefix, e.g. /cluster/testbed
}

func (h *harness) raw(t *testing.T, context string) rawClient {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(h.gw.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Contexts[context]
	cl := cfg.Clusters[c.Cluster]
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cl.CertificateAuthorityData)
	u, _ := url.Parse(cl.Server)
	return rawClient{
		addr:  u.Host,
		tls:   &tls.Config{RootCAs: pool, NextProtos: []string{"http/1.1"}},
		token: cfg.AuthInfos[c.AuthInfo].Token,
		base:  u.Path,
	}
}

type rawResponse struct {
	code   int
	status metav1.Status
	body   string
}

// send writes one request (method, path after the context prefix, extra
// header lines, body) and reads one response.
func (c rawClient) send(t *testing.T, method, path string, headers []string, body string) rawResponse {
	t.Helper()
	return c.sendMany(t, fmt.Sprintf("%s %s%s", method, c.base, path), headers, body, 1)[0]
}

func (c rawClient) sendMany(t *testing.T, requestLine string, headers []string, body string, pipelined int) []rawResponse {
	t.Helper()
	conn, err := tls.Dial("tcp", c.addr, c.tls)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var req strings.Builder
	fmt.Fprintf(&req, "%s HTTP/1.1\r\nHost: %s\r\n", requestLine, c.addr)
	if c.token != "" {
		fmt.Fprintf(&req, "Authorization: Bearer %s\r\n", c.token)
	}
	for _, h := range headers {
		req.WriteString(h + "\r\n")
	}
	if body != "" {
		fmt.Fprintf(&req, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	req.WriteString("\r\n" + body)
	if _, err := io.WriteString(conn, req.String()); err != nil {
		t.Fatal(err)
	}
	return readResponses(t, conn, pipelined)
}

func readResponses(t *testing.T, conn net.Conn, n int) []rawResponse {
	t.Helper()
	br := bufio.NewReader(conn)
	var out []rawResponse
	for range n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("read response %d: %v", len(out)+1, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := rawResponse{code: resp.StatusCode, body: string(b)}
		_ = json.Unmarshal(b, &r.status)
		out = append(out, r)
	}
	return out
}

func jailbreakHarness(t *testing.T) *harness {
	return startHarness(t, harnessOpts{policies: map[string]profile.Policy{
		cluster.ContextProd: protected(srcSA),
		cluster.ContextImp:  protected(srcImpersonate),
	}})
}

func podPath(name string) string { return "/api/v1/namespaces/shop/pods/" + name }

func mustSurvive(t *testing.T, pod string) {
	t.Helper()
	if !podExists(t, pod) {
		t.Fatalf("pod %s was deleted", pod)
	}
}

func TestJailbreakPathTricks(t *testing.T) {
	h := jailbreakHarness(t)
	rc := h.raw(t, cluster.ContextProd)
	pod := aPod(t)
	tricks := []string{
		// Attack: dot segments, so that the gateway sees one path and a
		// path-cleaning layer upstream another.
		"/api/v1/namespaces/shop/pods/x/../" + pod,
		"/api/v1/namespaces/shop/configmaps/../pods/" + pod,
		// Attack: encoded dots.
		"/api/v1/namespaces/shop/configmaps/%2e%2e/pods/" + pod,
		// Attack: encoded slash, which the gateway and the API server could
		// split differently.
		"/api/v1/namespaces/shop%2Fpods/" + pod,
		"/api/v1/namespaces/shop/pods%2F" + pod,
		// Attack: double slashes.
		"//api/v1/namespaces/shop/pods/" + pod,
		"/api/v1//namespaces/shop/pods/" + pod,
		// Attack: backslash.
		"/api/v1/namespaces/shop/pods%5C" + pod,
	}
	for _, p := range tricks {
		r := rc.send(t, "DELETE", p, nil, "")
		if r.code != http.StatusBadRequest {
			t.Errorf("DELETE %s: %d %s, want 400", p, r.code, r.body)
		}
	}
	mustSurvive(t, pod)
}

// Attack: a context name containing "/" (as EKS names do), hoping that
// /ctx/team/prod/... routes to the unprotected "team" context while the
// API path still deletes, or that an escaped slash reaches "team/prod"
// under another context's rules.
func TestJailbreakContextNameWithSlash(t *testing.T) {
	raw, err := clientcmd.LoadFromFile(testCluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	raw.Contexts["team"] = raw.Contexts[cluster.ContextAdmin].DeepCopy()
	raw.Contexts["team/prod"] = raw.Contexts[cluster.ContextProd].DeepCopy()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*raw, kc); err != nil {
		t.Fatal(err)
	}
	h := startHarness(t, harnessOpts{kubeconfig: kc, policies: map[string]profile.Policy{"team/prod": protected(srcSA)}})
	pod := aPod(t)

	team := h.raw(t, "team")
	teamURL, _ := h.gw.ContextURL("team")
	team.base = strings.TrimPrefix(teamURL, "https://"+team.addr)
	// With team's (admin!) credentials, /ctx/team + "/prod/api/..." is not an API path.
	r := team.sendMany(t, "DELETE /ctx/team/prod"+podPath(pod), nil, "", 1)[0]
	if r.code != http.StatusNotFound {
		t.Errorf("DELETE via /ctx/team/prod: %d %s", r.code, r.body)
	}
	tp := h.raw(t, "team/prod")
	for _, line := range []string{"DELETE /ctx/team/prod" + podPath(pod), "DELETE /ctx/team%2Fprod" + podPath(pod)} {
		if r := tp.sendMany(t, line, nil, "", 1)[0]; r.code != http.StatusNotFound {
			t.Errorf("%s with team/prod's token: %d %s", line, r.code, r.body)
		}
	}
	// The real route of team/prod is protected.
	tpURL, _ := h.gw.ContextURL("team/prod")
	tp.base = strings.TrimPrefix(tpURL, "https://"+tp.addr)
	if !strings.Contains(tp.base, "~") {
		t.Fatalf("team/prod is routed at %q, not at an encoded segment", tp.base)
	}
	if r := tp.send(t, "DELETE", podPath(pod), nil, ""); r.code != http.StatusForbidden || !strings.Contains(r.status.Message, `"team/prod"`) {
		t.Errorf("DELETE via team/prod's own route: %d %s", r.code, r.body)
	}
	mustSurvive(t, pod)
}

// Attack: method override headers, honoured by some proxies and
// frameworks, to make a DELETE look like a GET (or the reverse).
func TestJailbreakMethodOverride(t *testing.T) {
	h := jailbreakHarness(t)
	rc := h.raw(t, cluster.ContextProd)
	pod := aPod(t)
	for _, hdr := range []string{"X-HTTP-Method-Override: DELETE", "X-HTTP-Method: DELETE", "X-Method-Override: DELETE"} {
		if r := rc.send(t, "GET", podPath(pod), []string{hdr}, ""); r.code != http.StatusBadRequest {
			t.Errorf("GET with %s: %d %s", hdr, r.code, r.body)
		}
	}
	if r := rc.send(t, "DELETE", podPath(pod), []string{"X-HTTP-Method-Override: GET"}, ""); r.code != http.StatusBadRequest {
		t.Errorf("DELETE disguised as GET: %d", r.code)
	}
	mustSurvive(t, pod)
}

// Attack: dryRun parameters the gateway might read as a dry run while the
// API server performs the write.
func TestJailbreakDryRunTricks(t *testing.T) {
	h := jailbreakHarness(t)
	rc := h.raw(t, cluster.ContextProd)
	pod := aPod(t)
	tricks := []struct{ query, body string }{
		{"?dryRun=All&dryRun=", ""},
		{"?dryRun=all", ""},
		{"?dryrun=All", ""},
		{"?DryRun=All", ""},
		{"?dryRun=All&dryRun=None", ""},
		{"?dryRun=", ""},
		// For DELETE, a body wins over the query at the API server.
		{"?dryRun=All", `{"gracePeriodSeconds":0}`},
		{"", `{"DryRun":["All"]}`},
		{"", `{"dryRun":["All"],"dryRun":[]}`},
	}
	for _, tc := range tricks {
		r := rc.send(t, "DELETE", podPath(pod)+tc.query, nil, tc.body)
		if r.code != http.StatusForbidden || !strings.Contains(r.status.Message, "k9s-guard") {
			t.Errorf("DELETE%s body %q: %d %s (want the gateway's 403)", tc.query, tc.body, r.code, r.body)
		}
		mustSurvive(t, pod)
	}
	// A genuine dry run is a read: it goes out with the base credentials,
	// and the API server itself refuses the read-only user.
	r := rc.send(t, "DELETE", podPath(pod)+"?dryRun=All", nil, "")
	if r.code != http.StatusForbidden || strings.Contains(r.status.Message, "k9s-guard") {
		t.Errorf("genuine dry run: %d %s (want the API server's own 403)", r.code, r.body)
	}
	mustSurvive(t, pod)
}

// Attack: no token, a wrong token, or the user's real credential presented
// to the gateway instead of the session token.
func TestJailbreakTokens(t *testing.T) {
	h := jailbreakHarness(t)
	rc := h.raw(t, cluster.ContextDev)
	pod := aPod(t)
	for name, tok := range map[string]string{"none": "", "wrong": "not-the-session-token", "the real viewer token": testCluster.ViewerToken, "the admin token": testCluster.AdminToken} {
		c := rc
		c.token = tok
		if r := c.send(t, "DELETE", podPath(pod), nil, ""); r.code != http.StatusUnauthorized || r.status.Reason != metav1.StatusReasonUnauthorized {
			t.Errorf("token %s: %d %s", name, r.code, r.body)
		}
	}
	// A valid session token of another context does not open this one.
	other := h.raw(t, cluster.ContextAdmin)
	prodURL, _ := h.gw.ContextURL(cluster.ContextProd)
	u, _ := url.Parse(prodURL)
	if r := other.sendMany(t, "DELETE "+u.Path+podPath(pod), nil, "", 1)[0]; r.code != http.StatusNotFound {
		t.Errorf("admin's session token on prod's route: %d", r.code)
	}
	mustSurvive(t, pod)
}

// Attack: reaching the gateway from another machine. It listens on
// 127.0.0.1 only, so no other address of this host answers.
func TestJailbreakNonLoopback(t *testing.T) {
	h := jailbreakHarness(t)
	u, _ := url.Parse(h.gw.URL())
	host, port, _ := net.SplitHostPort(u.Host)
	if host != "127.0.0.1" {
		t.Fatalf("gateway at %s", u.Host)
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	tried := 0
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		tried++
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), port), 2*time.Second)
		if err == nil {
			c.Close()
			t.Errorf("the gateway answered on %s", ipn.IP)
		}
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("::1", port), 2*time.Second); err == nil {
		c.Close()
		t.Error("the gateway answered on ::1")
	}
	if tried == 0 {
		t.Log("no non-loopback address on this host; only ::1 was tried")
	}
}

// Attack: a write slipped inside a watch: a watch parameter on a DELETE or
// POST, and a DELETE pipelined behind a long-lived watch on the same
// connection.
func TestJailbreakWriteInsideWatch(t *testing.T) {
	h := jailbreakHarness(t)
	rc := h.raw(t, cluster.ContextProd)
	pod := aPod(t)
	if r := rc.send(t, "DELETE", podPath(pod)+"?watch=true", nil, ""); r.code != http.StatusForbidden {
		t.Errorf("DELETE ?watch=true: %d %s", r.code, r.body)
	}
	if r := rc.send(t, "POST", "/api/v1/namespaces/shop/configmaps?watch=1", nil, `{"metadata":{"name":"sneaky"}}`); r.code != http.StatusForbidden {
		t.Errorf("POST ?watch=1: %d %s", r.code, r.body)
	}
	// The watch ends after a second; the pipelined DELETE is then judged
	// on its own.
	pipelined := fmt.Sprintf("GET %s/api/v1/namespaces/shop/pods?watch=true&timeoutSeconds=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"+
		"DELETE %s%s", rc.base, rc.token, rc.base, podPath(pod))
	rs := rc.sendMany(t, pipelined, nil, "", 2)
	if rs[0].code != http.StatusOK || rs[1].code != http.StatusForbidden {
		t.Errorf("watch then pipelined DELETE: %d, %d %s", rs[0].code, rs[1].code, rs[1].body)
	}
	mustSurvive(t, pod)
}

// Attack: a write slipped inside an upgrade: a DELETE (or a secret read)
// dressed as a SPDY or WebSocket upgrade, hoping the upgrade path skips
// the checks.
func TestJailbreakWriteInsideUpgrade(t *testing.T) {
	h := jailbreakHarness(t)
	rc := h.raw(t, cluster.ContextProd)
	pod := aPod(t)
	for _, up := range [][]string{
		{"Connection: Upgrade", "Upgrade: SPDY/3.1", "X-Stream-Protocol-Version: v4.channel.k8s.io"},
		{"Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol: v5.channel.k8s.io"},
	} {
		if r := rc.send(t, "DELETE", podPath(pod), up, ""); r.code != http.StatusForbidden {
			t.Errorf("DELETE as %s: %d %s", up[1], r.code, r.body)
		}
		if r := rc.send(t, "GET", "/api/v1/namespaces/shop/secrets/db-credentials", up, ""); r.code != http.StatusForbidden {
			t.Errorf("secret read as %s: %d %s", up[1], r.code, r.body)
		}
		if r := rc.send(t, "POST", podPath(pod)+"/exec?command=sh&stdin=true&stdout=true", up, ""); r.code != http.StatusForbidden {
			t.Errorf("exec as %s: %d %s", up[1], r.code, r.body)
		}
	}
	mustSurvive(t, pod)
}

// Attack: Impersonate-* headers sent by the client, to borrow the
// break-glass identity the imp user may impersonate, even in a context
// the profile leaves unprotected.
func TestJailbreakClientImpersonation(t *testing.T) {
	h := startHarness(t, harnessOpts{policies: map[string]profile.Policy{cluster.ContextProd: protected(srcSA)}})
	rc := h.raw(t, cluster.ContextImp) // unprotected here
	pod := aPod(t)
	for _, hdrs := range [][]string{
		{"Impersonate-User: " + cluster.UserBreakGlass},
		{"Impersonate-User: " + cluster.UserBreakGlass, "Impersonate-Group: " + cluster.GroupBreakGlass},
		{"Impersonate-Group: system:masters"},
		{"Impersonate-Uid: 0"},
		{"Impersonate-Extra-Scopes: all"},
	} {
		if r := rc.send(t, "DELETE", podPath(pod), hdrs, ""); r.code != http.StatusForbidden || !strings.Contains(r.status.Message, "impersonation") {
			t.Errorf("DELETE with %v: %d %s", hdrs, r.code, r.body)
		}
		if r := rc.send(t, "GET", "/api/v1/namespaces/shop/secrets/db-credentials", hdrs, ""); r.code != http.StatusForbidden {
			t.Errorf("secret read with %v: %d %s", hdrs, r.code, r.body)
		}
	}
	mustSurvive(t, pod)
}

// K9s started with --as: exactly that impersonation is honoured, on the
// user's own credentials, and nothing else.
func TestK9sAsFlagHonoured(t *testing.T) {
	h := startHarness(t, harnessOpts{as: cluster.UserBreakGlass})
	rc := h.raw(t, cluster.ContextImp)
	r := rc.send(t, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", []string{"Impersonate-User: " + cluster.UserBreakGlass}, `{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1"}`)
	if r.code != http.StatusCreated || !strings.Contains(r.body, `"username":"`+cluster.UserBreakGlass+`"`) {
		t.Fatalf("self review with --as: %d %s", r.code, r.body)
	}
	if r := rc.send(t, "GET", "/api/v1/namespaces/shop/pods", []string{"Impersonate-User: someone-else"}, ""); r.code != http.StatusForbidden {
		t.Fatalf("impersonating someone other than --as: %d", r.code)
	}
}
