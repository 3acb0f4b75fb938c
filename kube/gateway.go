package kube

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// Gateway is the running loopback proxy and its session kubeconfig.
type Gateway struct {
	cfg        Config
	rules      *clientcmd.ClientConfigLoadingRules
	raw        *clientcmdapi.Config
	layout     *layout
	allTokens  []string
	windows    *stepup.Windows
	ownWindows bool
	logf       func(string, ...any)

	listener   net.Listener
	server     *http.Server
	url        string
	dir        string
	kubeconfig string

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	bg     sync.WaitGroup // revocations and asks in flight

	mu       sync.Mutex
	bases    map[string]*lazy[*upstream] // by context
	elevated map[string]*lazy[*upstream] // by elevationKey, for context and impersonate sources
	minted   map[string]*mintedGrant     // by grant ID, for serviceAccount sources
	asks     map[string]*pendingAsk      // by context
	streams  map[*streamCloser]struct{}  // upgraded and elevated requests in flight
	oneShots map[string]*oneShot         // by grant ID, for one-shot grants in use
	brokered brokerGrants                // by grant ID, for broker sources
	closed   bool
	closeErr error
	once     sync.Once

	editMu  sync.Mutex // K9s's context edits (ctxedit.go)
	written []byte     // the session kubeconfig as last written
	pending []byte     // a change seen once, waiting to be seen again

	reviewed sync.Map // access reviews already recorded (ssar.go)
}

// lazy builds a value once, on first use, and remembers the error too.
type lazy[T any] struct {
	once sync.Once
	val  T
	err  error
}

func (l *lazy[T]) get(build func() (T, error)) (T, error) {
	l.once.Do(func() { l.val, l.err = build() })
	return l.val, l.err
}

// Start loads the user's kubeconfig, listens on 127.0.0.1, writes the
// session kubeconfig into a fresh private session directory (removing
// those of crashed runs first) and serves until Close or ctx ends.
func Start(ctx context.Context, cfg Config) (*Gateway, error) {
	g := &Gateway{
		cfg:      cfg,
		rules:    cfg.LoadingRules,
		logf:     cfg.Logf,
		bases:    map[string]*lazy[*upstream]{},
		elevated: map[string]*lazy[*upstream]{},
		minted:   map[string]*mintedGrant{},
		asks:     map[string]*pendingAsk{},
		streams:  map[*streamCloser]struct{}{},
		oneShots: map[string]*oneShot{},
	}
	if g.logf == nil {
		g.logf = func(string, ...any) {}
	}
	if g.rules == nil {
		g.rules = LoadingRules("", getenvOS)
	}
	if g.cfg.AskTimeout <= 0 {
		g.cfg.AskTimeout = DefaultAskTimeout
	}
	g.windows = cfg.Windows
	if g.windows == nil {
		g.windows, g.ownWindows = stepup.NewWindows(nil), true
	}
	raw, err := loadRaw(g.rules)
	if err != nil {
		return nil, err
	}
	if cfg.Context != "" {
		if _, ok := raw.Contexts[cfg.Context]; !ok {
			return nil, fmt.Errorf("context %q not found in the kubeconfig", cfg.Context)
		}
	}
	g.raw = raw

	base := cfg.SessionDir
	if base == "" {
		base = DefaultSessionBase(getenvOS)
	}
	if err := prepareBase(base); err != nil {
		return nil, err
	}
	sweepStale(base, g.logf)

	cert, caPEM, err := selfSignedCert(time.Now())
	if err != nil {
		return nil, err
	}
	g.listener, err = listenLoopback(cfg.Port)
	if err != nil {
		return nil, err
	}
	g.url = "https://" + g.listener.Addr().String()
	g.layout, err = buildLayout(raw, cfg.Context, g.url, caPEM)
	if err != nil {
		g.listener.Close()
		return nil, err
	}
	for _, t := range g.layout.tokens {
		g.allTokens = append(g.allTokens, t)
	}
	if g.dir, err = newSessionDir(base); err != nil {
		g.listener.Close()
		return nil, err
	}
	g.kubeconfig = filepath.Join(g.dir, kubeconfigFile)
	if err := g.rewriteLocked(); err != nil {
		g.listener.Close()
		_ = removeSession(g.dir)
		return nil, err
	}

	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.windows.OnClose(g.onWindowClose)
	g.server = &http.Server{
		Handler:           g,
		ReadHeaderTimeout: 30 * time.Second,
		// No read, write or idle timeouts: watches, logs -f, exec and
		// port-forward live as long as the user wants them.
		// HTTP/1.1 only on loopback: Go's HTTP/2 server moves bulk data
		// (a LIST of thousands of objects) markedly slower than HTTP/1.1,
		// and upgrades need HTTP/1.1 anyway. Towards the API server the
		// client-go transport still multiplexes over HTTP/2.
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"http/1.1"},
		},
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ConnContext:  withConn, // who asked, for prompts and access reviews (peer.go)
		ErrorLog:     log.New(logfWriter(g.logf), "gateway: ", 0),
	}
	tlsListener := tls.NewListener(g.listener, g.server.TLSConfig)
	go func() {
		if err := g.server.Serve(tlsListener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			g.logf("gateway: serve: %v", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = g.Close()
		case <-g.ctx.Done():
		}
	}()
	return g, nil
}

// KubeconfigPath is the session kubeconfig: give it to K9s (and so to the
// kubectl it spawns) as KUBECONFIG.
func (g *Gateway) KubeconfigPath() string { return g.kubeconfig }

// URL is the gateway's base URL, https://127.0.0.1:PORT.
func (g *Gateway) URL() string { return g.url }

// SessionDir is this run's private directory.
func (g *Gateway) SessionDir() string { return g.dir }

// Windows is the set of elevation windows the gateway enforces.
func (g *Gateway) Windows() *stepup.Windows { return g.windows }

// ContextURL is where a context's requests go, e.g. for tests and docs.
func (g *Gateway) ContextURL(context string) (string, bool) {
	r, ok := g.layout.contexts[context]
	if !ok {
		return "", false
	}
	return g.url + "/ctx/" + r.segment, true
}

// SessionUser is the user entry a context uses in the session kubeconfig:
// the user's own name, unless two contexts share both cluster and user.
func (g *Gateway) SessionUser(context string) string {
	if r, ok := g.layout.contexts[context]; ok {
		return r.sessionUser
	}
	return ""
}

// Close stops the gateway: it closes every window (reason exit), closes
// upgraded connections, deletes the Secrets that back ServiceAccount
// tokens (so the tokens die on the server too) and removes the session
// directory. It is safe to call more than once.
func (g *Gateway) Close() error {
	g.once.Do(func() {
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		if g.ownWindows {
			g.windows.Shutdown()
		} else {
			g.windows.CloseAll(stepup.CloseExit)
		}
		g.cancel()
		// Not Shutdown: long-lived watches never go idle, and K9s is gone.
		_ = g.server.Close()
		g.mu.Lock()
		streams := make([]*streamCloser, 0, len(g.streams))
		for sc := range g.streams {
			streams = append(streams, sc)
		}
		var leftovers []string
		for id := range g.minted {
			leftovers = append(leftovers, id)
		}
		g.mu.Unlock()
		for _, sc := range streams {
			_ = sc.Close()
		}
		for _, id := range leftovers {
			g.revokeGrant(id, "exit")
		}
		g.bg.Wait()
		g.closeErr = removeSession(g.dir)
	})
	return g.closeErr
}

// ServeHTTP authenticates, routes, classifies and forwards one request.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := bearer(r)
	if !ok || !g.knownToken(token) {
		writeStatus(w, unauthorized())
		return
	}
	route, rest, err := g.route(r, token)
	if err != nil {
		writeStatus(w, err)
		return
	}
	if st := checkHeaders(r, g.cfg.As, g.cfg.AsGroups); st != nil {
		writeStatus(w, st)
		return
	}
	out, err := upstreamRequest(r, rest)
	if err != nil {
		writeStatus(w, err)
		return
	}
	body, complete, err := peekBody(out)
	if err != nil {
		writeStatus(w, badRequest(fmt.Sprintf("read request body: %v", err)))
		return
	}
	op, err := Classify(out, body, complete)
	if err != nil {
		writeStatus(w, badRequest(err.Error()))
		return
	}
	pol := g.policy(route.context)

	if op.ReadLike == "self-review" && op.Resource == "selfsubjectaccessreviews" && pol.Protected {
		g.serveSSAR(w, out, route, pol, body, complete)
		return
	}
	if op.Class == ClassRead || !pol.Protected {
		g.forwardBase(w, out, route, op)
		return
	}
	// A trigger and K9s's suspend are told from a create and an edit by the
	// live object.
	if op.Action == "trigger" {
		g.checkTrigger(r.Context(), route, &op)
	}
	// An eviction is told to be part of a node's drain by the live pod.
	if isEviction(op) {
		g.checkEviction(r.Context(), route, &op)
	}
	if complete {
		g.checkSuspendUpdate(r.Context(), route, out, &op, body)
	}
	// Inside a window every write and sensitive request of the context that
	// the grant covers goes out elevated, guarded by the profile or not;
	// outside one, only the guarded ones wait for a step-up, the rest use
	// the user's own rights. A one-shot grant lets each of its objects out
	// once (claim): a request that finds its share used asks for a code of
	// its own.
	if gr, done, ok := g.ride(route.context, pol, op); ok {
		g.forwardElevated(w, out, route, pol, op, gr, done)
		return
	}
	if !requires(pol, op) {
		g.forwardBase(w, out, route, op)
		return
	}
	grant, done, refusal := g.stepUp(r.Context(), route, pol, op)
	if refusal != "" {
		g.refuse(w, route, pol, op, refusal)
		return
	}
	g.forwardElevated(w, out, route, pol, op, grant, done)
}

func (g *Gateway) knownToken(token string) bool {
	found := 0
	for _, t := range g.allTokens {
		// Compare against every token in constant time, so timing says
		// nothing about which one (if any) came close.
		found |= subtle.ConstantTimeCompare([]byte(t), []byte(token))
	}
	return found == 1
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", false
	}
	scheme, tok, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// route finds the context of a request and the API path after the
// gateway prefix (still escaped).
func (g *Gateway) route(r *http.Request, token string) (*ctxRoute, string, error) {
	p := r.URL.EscapedPath()
	var kind string
	switch {
	case strings.HasPrefix(p, "/ctx/"):
		kind, p = "ctx", strings.TrimPrefix(p, "/ctx/")
	case strings.HasPrefix(p, "/cluster/"):
		kind, p = "cluster", strings.TrimPrefix(p, "/cluster/")
	default:
		return nil, "", notFound("k9s-guard: no context in the request path; requests go to /ctx/<context>/...")
	}
	seg, rest, _ := strings.Cut(p, "/")
	if rest != "" || strings.HasSuffix(p, "/") {
		rest = "/" + rest
	}
	var route *ctxRoute
	if kind == "ctx" {
		route = g.layout.direct[seg]
		if route != nil && subtle.ConstantTimeCompare([]byte(route.token), []byte(token)) != 1 {
			route = nil
		}
	} else if m := g.layout.shared[seg]; m != nil {
		route = m[token]
	}
	if route == nil {
		return nil, "", notFound(fmt.Sprintf("k9s-guard: unknown context %q", seg))
	}
	return route, rest, nil
}

func (g *Gateway) policy(context string) profile.Policy {
	if g.cfg.Policies == nil {
		return profile.Policy{}
	}
	return g.cfg.Policies(context)
}

// baseUpstream returns the user's own credentials for a context, with
// K9s's --as applied as K9s would apply it.
func (g *Gateway) baseUpstream(route *ctxRoute) (*upstream, error) {
	g.mu.Lock()
	l, ok := g.bases[route.context]
	if !ok {
		l = &lazy[*upstream]{}
		g.bases[route.context] = l
	}
	g.mu.Unlock()
	return l.get(func() (*upstream, error) {
		over := &clientcmd.ConfigOverrides{}
		if g.cfg.As != "" || len(g.cfg.AsGroups) > 0 {
			over.AuthInfo.Impersonate = g.cfg.As
			over.AuthInfo.ImpersonateGroups = g.cfg.AsGroups
		}
		rc, err := clientcmd.NewNonInteractiveClientConfig(*g.raw, route.context, over, g.rules).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("context %q: %w", route.context, err)
		}
		return newUpstream(rc, "context "+route.context)
	})
}

// ownConfig is the context's rest.Config without --as: the starting point
// of impersonation and ServiceAccount elevation.
func (g *Gateway) ownConfig(context string) (*rest.Config, error) {
	rc, err := clientcmd.NewNonInteractiveClientConfig(*g.raw, context, &clientcmd.ConfigOverrides{}, g.rules).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("context %q: %w", context, err)
	}
	return rc, nil
}

func (g *Gateway) forwardBase(w http.ResponseWriter, r *http.Request, route *ctxRoute, op Operation) {
	up, err := g.baseUpstream(route)
	if err != nil {
		writeStatus(w, unavailable(fmt.Sprintf("k9s-guard: cannot reach context %q: %v", route.context, err)))
		return
	}
	g.forward(w, r, up, nil, op)
}

// forwardElevated sends a request with the grant's elevated credentials,
// after the audit has recorded it, and ties it to the grant so that it ends
// when the window does.
//
// done is called when the request has completed, however it ends: it
// releases the request's share of a one-shot grant.
func (g *Gateway) forwardElevated(w http.ResponseWriter, r *http.Request, route *ctxRoute, pol profile.Policy, op Operation, grant stepup.Grant, done func()) {
	defer done()
	up, credID, err := g.elevatedUpstream(r.Context(), route, pol.Elevation, grant)
	if err != nil {
		g.logf("gateway: elevation for %s: %v", route.context, err)
		st := unavailable(fmt.Sprintf("k9s-guard: the elevated credentials for context %q (%s) are not available: %v", route.context, pol.Elevation, err))
		g.auditDenied(route, pol, op, st.ErrStatus.Code, "elevation failed", st.ErrStatus.Message)
		writeStatus(w, st)
		return
	}
	ev := g.event(audit.EventRequestElevated, route, pol, op)
	ev.GrantID, ev.CredentialID = grant.ID, credID
	if !grant.Deadline.IsZero() {
		d := grant.Deadline.UTC()
		ev.Deadline = &d
	}
	ev.ElevatedIdentity = up.whoAmI(r.Context())
	if base, err := g.baseUpstream(route); err == nil {
		ev.BaseIdentity = base.whoAmI(r.Context())
	}
	if err := g.audit(ev); err != nil {
		// Fail closed: an elevated request that cannot be recorded does not go out.
		g.logf("gateway: audit failed, refusing elevated request: %v", err)
		writeStatus(w, forbidden(op, fmt.Sprintf("k9s-guard refused to %s in context %q: the audit trail cannot be written (%v), and elevated requests are only sent once recorded", op, route.context, err)))
		return
	}
	g.forward(w, r, up, &grant, op)
}

func (g *Gateway) refuse(w http.ResponseWriter, route *ctxRoute, pol profile.Policy, op Operation, why string) {
	msg := fmt.Sprintf("k9s-guard refused to %s in protected context %q: %s. To step up, repeat the action in K9s and enter the one-time code k9s-guard asks for; the %s window then lasts %s.",
		op, route.context, why, pol.Elevation, windowOr(pol.Window))
	st := forbidden(op, msg)
	g.auditDenied(route, pol, op, http.StatusForbidden, why, msg)
	writeStatus(w, st)
}

func windowOr(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultWindow
	}
	return d
}

// defaultWindow is used when the policy has no window length.
const defaultWindow = 5 * time.Minute

// event starts the audit record of a request. Its Source is the profile's
// spelling of the elevation, the same the step-up and window records carry.
func (g *Gateway) event(name audit.Event, route *ctxRoute, pol profile.Policy, op Operation) audit.Record {
	return audit.Record{
		Event: name, Time: g.windows.Now(), Context: route.context, Server: route.server,
		Action: op.Action, Verb: op.Verb, Group: op.Group, Resource: op.Resource, Subresource: op.Subresource,
		Namespace: op.Namespace, Name: op.Name, Source: pol.Elevation.String(), SubPath: op.SubPath,
		Command: commandOf(op),
	}
}

// commandOf is an exec's command for the audit trail; "" for other requests.
func commandOf(op Operation) string {
	if op.Subresource != "exec" {
		return ""
	}
	return shellJoin(op.Command)
}

func (g *Gateway) auditDenied(route *ctxRoute, pol profile.Policy, op Operation, status int32, reason, msg string) {
	ev := g.event(audit.EventRequestDenied, route, pol, op)
	ev.Status, ev.Reason, ev.Message = int(status), reason, msg
	if err := g.audit(ev); err != nil {
		g.logf("gateway: audit: %v", err)
	}
}

func (g *Gateway) audit(ev audit.Record) error {
	if g.cfg.Audit == nil {
		return nil
	}
	return g.cfg.Audit(ev)
}

// RedirectKlog sends what the Kubernetes libraries log through klog (the
// upgrade-aware proxy, request parsing, client-go warnings) to logf instead
// of stderr, which belongs to K9s's screen while the guard runs; a nil logf
// discards it. It changes process-wide state, so the orchestrator calls it
// once, before Start.
func RedirectKlog(logf func(string, ...any)) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	klog.LogToStderr(false)
	klog.SetOutput(logfWriter(logf))
}

// logfWriter adapts Logf to an io.Writer for http.Server and
// httputil.ReverseProxy, which would otherwise write to stderr, over K9s's
// screen.
type logfWriter func(string, ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = logfWriter(nil)
