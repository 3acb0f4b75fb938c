package gateway_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apihttpstream "k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/proxy"
	apiproxy "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/streaming/pkg/httpstream"
	streamspdy "k8s.io/streaming/pkg/httpstream/spdy"
	"k8s.io/streaming/pkg/httpstream/wsstream"

	"github.com/k9s-guard/k9s-guard/profile"
)

// The test cluster has no kubelet: exec, attach and port-forward cannot
// reach a container there. These tests put a fake API server behind the
// gateway that speaks the real streaming protocols (SPDY v4 exec, WebSocket
// v5 exec, SPDY port-forward and port-forward tunnelled over WebSocket,
// the last through kube-apiserver's own TunnelingHandler) and drive it
// with client-go's own executors and port-forwarder, as kubectl and K9s do.

const streamToken = "fake-upstream-token"

type streamSeen struct {
	Path, Auth, ImpUser, Upgrade string
}

// streamAPI is the fake API server; kubelet is the plain-HTTP fake kubelet
// that the port-forward tunnel is proxied to, like the real API server does.
type streamAPI struct {
	api     *httptest.Server
	kubelet *httptest.Server
	mu      sync.Mutex
	seen    []streamSeen
}

func newStreamAPI(t *testing.T) *streamAPI {
	s := &streamAPI{}
	s.kubelet = httptest.NewServer(http.HandlerFunc(s.serveKubelet))
	t.Cleanup(s.kubelet.Close)
	s.api = httptest.NewTLSServer(http.HandlerFunc(s.serveAPI))
	t.Cleanup(s.api.Close)
	return s
}

func (s *streamAPI) requests(suffix string) []streamSeen {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []streamSeen
	for _, r := range s.seen {
		if strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

func (s *streamAPI) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seen = append(s.seen, streamSeen{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), ImpUser: r.Header.Get("Impersonate-User"), Upgrade: r.Header.Get("Upgrade")})
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+streamToken {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/exec") || strings.HasSuffix(r.URL.Path, "/attach"):
		if wsstream.IsWebSocketRequest(r) {
			serveWebSocketExec(w, r)
		} else {
			serveSPDYExec(w, r)
		}
	case strings.HasSuffix(r.URL.Path, "/portforward"):
		kubelet, _ := url.Parse(s.kubelet.URL + "/portforward")
		upgrade := proxy.NewUpgradeAwareHandler(kubelet, http.DefaultTransport, false, true, proxy.NewErrorResponder(errorLogger{}))
		if wsstream.IsWebSocketRequestWithTunnelingProtocol(r) {
			apiproxy.NewTunnelingHandler(upgrade).ServeHTTP(w, r)
			return
		}
		upgrade.ServeHTTP(w, r)
	default:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Success"}`)
	}
}

type errorLogger struct{}

func (errorLogger) Error(error) {}

func (s *streamAPI) serveKubelet(w http.ResponseWriter, r *http.Request) {
	if _, err := httpstream.Handshake(r, w, []string{"portforward.k8s.io"}); err != nil {
		return
	}
	conn := streamspdy.NewResponseUpgrader().UpgradeResponse(w, r, func(st httpstream.Stream, replySent <-chan struct{}) error {
		go func() {
			<-replySent
			if st.Headers().Get(corev1.StreamType) == corev1.StreamTypeData {
				// The "container port" echoes what it receives, upper-cased.
				_, _ = io.Copy(upper{st}, st)
			}
			_ = st.Close()
		}()
		return nil
	})
	if conn == nil {
		return
	}
	<-conn.CloseChan()
}

// upper writes upper-cased bytes, so a test can tell the far end answered.
type upper struct{ w io.Writer }

func (u upper) Write(p []byte) (int, error) { return u.w.Write(bytes.ToUpper(p)) }

// serveSPDYExec is a kubelet's exec over SPDY (protocol v4): it upper-cases
// stdin to stdout and reports success on the error stream.
func serveSPDYExec(w http.ResponseWriter, r *http.Request) {
	if _, err := httpstream.Handshake(r, w, []string{"v4.channel.k8s.io"}); err != nil {
		return
	}
	type arrived struct {
		st    httpstream.Stream
		reply <-chan struct{}
	}
	streams := make(chan arrived, 8)
	conn := streamspdy.NewResponseUpgrader().UpgradeResponse(w, r, func(st httpstream.Stream, replySent <-chan struct{}) error {
		streams <- arrived{st, replySent}
		return nil
	})
	if conn == nil {
		return
	}
	defer conn.Close()
	want := 1 // error
	for _, p := range []string{"stdin", "stdout", "stderr"} {
		if r.URL.Query().Get(p) == "true" {
			want++
		}
	}
	byType := map[string]httpstream.Stream{}
	timeout := time.After(10 * time.Second)
	for len(byType) < want {
		select {
		case a := <-streams:
			<-a.reply
			byType[a.st.Headers().Get(corev1.StreamType)] = a.st
		case <-timeout:
			return
		case <-conn.CloseChan():
			return
		}
	}
	if in, out := byType[corev1.StreamTypeStdin], byType[corev1.StreamTypeStdout]; in != nil && out != nil {
		_, _ = io.Copy(upper{out}, in)
		_ = out.Close()
	}
	_ = byType[corev1.StreamTypeError].Close()
	select {
	case <-conn.CloseChan():
	case <-time.After(10 * time.Second):
	}
}

// serveWebSocketExec is exec over WebSocket (protocol v5.channel.k8s.io).
func serveWebSocketExec(w http.ResponseWriter, r *http.Request) {
	conn := wsstream.NewConn(map[string]wsstream.ChannelProtocolConfig{
		"v5.channel.k8s.io": {Binary: true, Channels: []wsstream.ChannelType{
			wsstream.ReadChannel, wsstream.WriteChannel, wsstream.WriteChannel, wsstream.WriteChannel, wsstream.ReadChannel,
		}},
	})
	_, ch, err := conn.Open(w, r)
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = io.Copy(upper{ch[1]}, ch[0])
	_, _ = ch[3].Write([]byte(`{"metadata":{},"status":"Success"}`))
}

// streamHarness is a gateway in front of the fake upstream, with contexts
// fake-dev (unprotected) and fake-prod (protected, impersonation).
type streamHarness struct {
	*harness
	up *streamAPI
}

func startStreamHarness(t *testing.T) *streamHarness {
	t.Helper()
	up := newStreamAPI(t)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["fake"] = &clientcmdapi.Cluster{Server: up.api.URL,
		CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: up.api.Certificate().Raw})}
	cfg.AuthInfos["viewer"] = &clientcmdapi.AuthInfo{Token: streamToken}
	cfg.Contexts["fake-dev"] = &clientcmdapi.Context{Cluster: "fake", AuthInfo: "viewer", Namespace: "shop"}
	cfg.Contexts["fake-prod"] = &clientcmdapi.Context{Cluster: "fake", AuthInfo: "viewer", Namespace: "shop"}
	cfg.CurrentContext = "fake-dev"
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}
	h := startHarness(t, harnessOpts{kubeconfig: kc, policies: map[string]profile.Policy{
		"fake-prod": protected(profile.Elevation{Kind: profile.ElevationImpersonate, User: "break-glass"}),
	}})
	return &streamHarness{harness: h, up: up}
}

func subresourceURL(t *testing.T, rc *rest.Config, sub string, opts *corev1.PodExecOptions) *url.URL {
	t.Helper()
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	req := cs.CoreV1().RESTClient().Post().Namespace("shop").Resource("pods").Name("web-0").SubResource(sub)
	if opts != nil {
		req = req.VersionedParams(opts, scheme.ParameterCodec)
	}
	return req.URL()
}

var catOpts = &corev1.PodExecOptions{Command: []string{"cat"}, Stdin: true, Stdout: true}

func TestExecThroughGateway(t *testing.T) {
	sh := startStreamHarness(t)
	if _, err := sh.windows.Open("fake-prod", time.Minute); err != nil {
		t.Fatal(err)
	}
	rc := sh.config(t, "fake-prod")
	u := subresourceURL(t, rc, "exec", catOpts)
	spdyExec, err := remotecommand.NewSPDYExecutor(rc, "POST", u)
	if err != nil {
		t.Fatal(err)
	}
	wsExec, err := remotecommand.NewWebSocketExecutor(rc, "GET", u.String())
	if err != nil {
		t.Fatal(err)
	}
	for name, ex := range map[string]remotecommand.Executor{"spdy": spdyExec, "websocket": wsExec} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader("whoami\n"), Stdout: &out}); err != nil {
				t.Fatalf("exec: %v", err)
			}
			if out.String() != "WHOAMI\n" {
				t.Fatalf("stdout %q", out.String())
			}
		})
	}
	for _, r := range sh.up.requests("/exec") {
		if r.ImpUser != "break-glass" || r.Auth != "Bearer "+streamToken {
			t.Fatalf("exec went out as %+v", r)
		}
	}
	if n := len(sh.up.requests("/exec")); n != 2 {
		t.Fatalf("upstream saw %d execs, want 2", n)
	}
}

func TestExecRefusedWithoutWindow(t *testing.T) {
	sh := startStreamHarness(t)
	rc := sh.config(t, "fake-prod")
	ex, err := remotecommand.NewSPDYExecutor(rc, "POST", subresourceURL(t, rc, "exec", catOpts))
	if err != nil {
		t.Fatal(err)
	}
	err = ex.StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdin: strings.NewReader("id\n"), Stdout: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "k9s-guard refused") {
		t.Fatalf("exec without window: %v", err)
	}
	if n := len(sh.up.requests("/exec")); n != 0 {
		t.Fatalf("upstream saw %d execs", n)
	}
}

// A root shell must not outlive its window.
func TestExecClosedAtDeadline(t *testing.T) {
	sh := startStreamHarness(t)
	if _, err := sh.windows.Open("fake-prod", time.Minute); err != nil {
		t.Fatal(err)
	}
	rc := sh.config(t, "fake-prod")
	ex, err := remotecommand.NewSPDYExecutor(rc, "POST", subresourceURL(t, rc, "exec", catOpts))
	if err != nil {
		t.Fatal(err)
	}
	stdinR, stdinW := io.Pipe()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- ex.StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdin: stdinR, Stdout: out})
	}()
	if _, err := io.WriteString(stdinW, "still here\n"); err != nil {
		t.Fatal(err)
	}
	poll(t, 10*time.Second, func() bool { return out.String() == "STILL HERE\n" })
	sh.clock.Advance(time.Minute)
	select {
	case err := <-done:
		t.Logf("shell ended at the deadline: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("the elevated shell outlived its window")
	}
	stdinW.Close()
}

func TestPortForwardThroughGateway(t *testing.T) {
	sh := startStreamHarness(t)
	if _, err := sh.windows.Open("fake-prod", time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, context := range []string{"fake-dev", "fake-prod"} {
		rc := sh.config(t, context)
		u := subresourceURL(t, rc, "portforward", nil)
		tr, upgrader, err := spdy.RoundTripperFor(rc)
		if err != nil {
			t.Fatal(err)
		}
		spdyDialer := spdy.NewDialer(upgrader, &http.Client{Transport: tr}, "POST", u)
		wsDialer, err := portforward.NewSPDYOverWebsocketDialer(u, rc)
		if err != nil {
			t.Fatal(err)
		}
		for name, d := range map[string]apihttpstream.Dialer{"spdy": spdyDialer, "websocket": wsDialer} {
			t.Run(context+"/"+name, func(t *testing.T) {
				portForwardEcho(t, d)
			})
		}
	}
	prod := 0
	for _, r := range sh.up.requests("/portforward") {
		if r.ImpUser == "break-glass" {
			prod++
		}
	}
	if prod != 2 {
		t.Fatalf("elevated port-forwards seen upstream: %d, want 2 (%+v)", prod, sh.up.requests("/portforward"))
	}
}

// portForwardEcho forwards a local port through d and checks the echo.
func portForwardEcho(t *testing.T, d apihttpstream.Dialer) {
	t.Helper()
	stop, ready := make(chan struct{}), make(chan struct{})
	pf, err := portforward.NewOnAddresses(d, []string{"127.0.0.1"}, []string{"0:8080"}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- pf.ForwardPorts() }()
	defer func() {
		close(stop)
		<-errc
	}()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatalf("port-forward: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("port-forward not ready")
	}
	ports, err := pf.GetPorts()
	if err != nil || len(ports) != 1 {
		t.Fatalf("ports %v %v", ports, err)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ports[0].Local))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, "ping"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "PING" {
		t.Fatalf("echo %q %v", buf, err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
