package kube

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/util/httpstream" //nolint:staticcheck // the alias client-go v0.37 itself still takes; k8s.io/streaming would be one more module for the same types
	"k8s.io/apimachinery/pkg/util/proxy"

	"github.com/k9s-guard/k9s-guard/stepup"
)

// methodOverrideHeaders make some proxies and frameworks treat a request
// as another method. The API server ignores them, but a request that says
// one thing to one layer and another to the next is refused outright.
var methodOverrideHeaders = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// checkHeaders refuses method overrides, and Impersonate-* headers other
// than exactly K9s's own --as/--as-group.
func checkHeaders(r *http.Request, as string, asGroups []string) error {
	for _, h := range methodOverrideHeaders {
		if _, ok := r.Header[h]; ok {
			return badRequest(fmt.Sprintf("the %s header is not accepted", h))
		}
	}
	var users, groups, other []string
	for k, v := range r.Header {
		switch {
		case k == "Impersonate-User":
			users = append(users, v...)
		case k == "Impersonate-Group":
			groups = append(groups, v...)
		case strings.HasPrefix(k, "Impersonate-"):
			other = append(other, k)
		}
	}
	if len(users) == 0 && len(groups) == 0 && len(other) == 0 {
		return nil
	}
	ok := len(other) == 0 && as != "" && len(users) == 1 && users[0] == as && sameSet(groups, asGroups)
	if ok {
		return nil
	}
	return statusError(http.StatusForbidden, "Forbidden",
		"k9s-guard: impersonation headers are not forwarded; only the --as/--as-group K9s was started with is honoured, and elevation comes from the profile")
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// strippedHeaders never leave the gateway: the session token, any proxy
// credentials, client impersonation (re-applied from --as by the base
// transport), and front-proxy identity headers.
func stripHeaders(h http.Header) {
	for k := range h {
		switch {
		case k == "Authorization", k == "Proxy-Authorization",
			strings.HasPrefix(k, "Impersonate-"),
			strings.HasPrefix(k, "X-Remote-"):
			delete(h, k)
		}
	}
}

// upstreamRequest validates the API path and returns the request to send:
// a clone with the gateway prefix removed and the session headers gone.
// Paths the API server could read differently from the gateway (dot
// segments, empty segments, encoded slashes, backslashes or dots) are
// refused rather than interpreted.
func upstreamRequest(r *http.Request, escaped string) (*http.Request, error) {
	if escaped == "" {
		escaped = "/"
	}
	lower := strings.ToLower(escaped)
	for _, bad := range []string{"%2f", "%5c", "%2e", "%00", "\\", "//"} {
		if strings.Contains(lower, bad) {
			return nil, badRequest(fmt.Sprintf("path %q is not in canonical form", escaped))
		}
	}
	for _, seg := range strings.Split(escaped, "/") {
		if seg == "." || seg == ".." {
			return nil, badRequest(fmt.Sprintf("path %q has dot segments", escaped))
		}
	}
	path, err := url.PathUnescape(escaped)
	if err != nil {
		return nil, badRequest(fmt.Sprintf("path %q: %v", escaped, err))
	}
	out := r.Clone(r.Context())
	out.URL.Path, out.URL.RawPath = path, escaped
	out.RequestURI = ""
	stripHeaders(out.Header)
	return out, nil
}

// peekBody reads the body of a request whose body matters for
// classification (up to maxClassifiedBody) and puts it back, so that the
// bytes classified are the bytes forwarded.
func peekBody(r *http.Request) ([]byte, bool, error) {
	if !needsBody(r.Method) || r.Body == nil || r.Body == http.NoBody {
		return nil, true, nil
	}
	orig := r.Body
	buf, err := io.ReadAll(io.LimitReader(orig, maxClassifiedBody+1))
	if err != nil {
		return nil, false, err
	}
	if len(buf) > maxClassifiedBody {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), orig), orig}
		return buf, false, nil
	}
	_ = orig.Close()
	r.Body = io.NopCloser(bytes.NewReader(buf))
	r.ContentLength = int64(len(buf))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	if len(buf) == 0 {
		r.Body = http.NoBody
	}
	return buf, true, nil
}

// reverseProxy is the ordinary-request half of forwarding: the standard
// library's reverse proxy (the engine inside apimachinery's
// UpgradeAwareHandler), used directly so that its error log goes to Logf
// instead of stderr, which K9s's screen owns. Streaming responses (watch,
// logs -f) have no Content-Length and are flushed on every write.
func (g *Gateway) reverseProxy(up *upstream) *httputil.ReverseProxy {
	up.rpOnce.Do(func() {
		loc := up.location
		up.rp = &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(loc)
				pr.Out.URL.RawQuery = pr.In.URL.RawQuery
			},
			Transport:  up.rt,
			BufferPool: sharedProxyBuffers,
			ErrorLog:   log.New(logfWriter(g.logf), "gateway: ", 0),
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				if errors.Is(err, context.Canceled) {
					// The client went away (K9s leaving a view), or the
					// window closed under an elevated stream.
					return
				}
				g.logf("gateway: upstream %s: %v", up.label, err)
				writeStatus(w, unavailable(fmt.Sprintf("k9s-guard: upstream %s: %v", up.label, err)))
			},
		}
	})
	return up.rp
}

// upgradeResponder reports UpgradeAwareHandler errors as a Status.
type upgradeResponder struct{ g *Gateway }

func (u upgradeResponder) Error(w http.ResponseWriter, _ *http.Request, err error) {
	u.g.logf("gateway: upgrade: %v", err)
	writeStatus(w, unavailable(fmt.Sprintf("k9s-guard: upgrade failed: %v", err)))
}

// forward sends r with up's credentials. With a grant, the request is tied
// to it: when the window closes, the request's context is cancelled and an
// upgraded connection (exec, attach, port-forward) is closed. Upgraded
// connections are also tracked by the gateway, which closes them on Close.
//
// Only watches, log follows and other streams need a flush after every
// write; a plain get or list is sent in full buffers, which keeps a large
// LIST as fast as a direct one.
func (g *Gateway) forward(w http.ResponseWriter, r *http.Request, up *upstream, grant *stepup.Grant, op Operation) {
	upgrade := httpstream.IsUpgradeRequest(r)
	if grant != nil || upgrade {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		sc := &streamCloser{cancel: cancel}
		if !g.addStream(sc) {
			writeStatus(w, unavailable("k9s-guard is shutting down"))
			return
		}
		defer g.removeStream(sc)
		if grant != nil {
			release, ok := g.windows.Track(grant.ID, sc)
			if !ok {
				writeStatus(w, statusError(http.StatusForbidden, "Forbidden", "k9s-guard: the step-up window closed before the request could be sent"))
				return
			}
			defer release()
		}
		r = r.WithContext(ctx)
		w = &trackingWriter{ResponseWriter: w, sc: sc}
	}
	if upgrade {
		h := &proxy.UpgradeAwareHandler{
			Location:           up.location,
			Transport:          up.rt,
			UpgradeTransport:   up.upgrade,
			UseRequestLocation: true,
			AppendLocationPath: true,
			UseLocationHost:    true,
			Responder:          upgradeResponder{g},
		}
		h.ServeHTTP(w, r)
		return
	}
	if !op.NonResource && op.Subresource == "" && (op.Verb == "list" || op.Verb == "get") {
		w = noFlushWriter{w}
	}
	g.reverseProxy(up).ServeHTTP(w, r)
}

// noFlushWriter hides the ResponseWriter's Flush, so that the reverse proxy,
// which flushes every write of a response without a Content-Length, lets
// the server send full buffers instead.
type noFlushWriter struct{ w http.ResponseWriter }

func (n noFlushWriter) Header() http.Header         { return n.w.Header() }
func (n noFlushWriter) Write(p []byte) (int, error) { return n.w.Write(p) }
func (n noFlushWriter) WriteHeader(code int)        { n.w.WriteHeader(code) }

// proxyBuffers are the reverse proxy's copy buffers: larger than its 32 KiB
// default, fewer reads and writes per large LIST.
type proxyBuffers struct{ pool sync.Pool }

func (b *proxyBuffers) Get() []byte {
	if v, ok := b.pool.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 256<<10)
}

func (b *proxyBuffers) Put(p []byte) { b.pool.Put(&p) }

var sharedProxyBuffers = &proxyBuffers{}

// addStream registers a request that Close must end; false once closed.
func (g *Gateway) addStream(sc *streamCloser) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.streams[sc] = struct{}{}
	return true
}

func (g *Gateway) removeStream(sc *streamCloser) {
	g.mu.Lock()
	delete(g.streams, sc)
	g.mu.Unlock()
}

// streamCloser ends one request (an elevated one when its grant closes,
// any upgraded one when the gateway closes): it cancels the request's
// context and closes its hijacked connection.
type streamCloser struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	conns  []net.Conn
}

func (s *streamCloser) Close() error {
	s.mu.Lock()
	s.closed = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	s.cancel()
	for _, c := range conns {
		_ = c.Close()
	}
	return nil
}

func (s *streamCloser) add(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns = append(s.conns, c)
	return true
}

// trackingWriter hands hijacked connections to the streamCloser.
type trackingWriter struct {
	http.ResponseWriter
	sc *streamCloser
}

func (t *trackingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := t.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("connection cannot be hijacked: %T", t.ResponseWriter)
	}
	c, rw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if !t.sc.add(c) {
		c.Close()
		return nil, nil, errors.New("the step-up window closed")
	}
	return c, rw, nil
}

func (t *trackingWriter) Flush() { _ = http.NewResponseController(t.ResponseWriter).Flush() }

func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
