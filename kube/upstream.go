package kube

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	socks "golang.org/x/net/proxy"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/transport"
)

// upstream is one set of credentials for one real API server: the
// transports client-go builds from a rest.Config, so exec plugins, client
// certificates, token files, CAs and proxy-url behave exactly as in K9s.
type upstream struct {
	cfg      *rest.Config
	location *url.URL // the server URL, path ending in "/"
	rt       http.RoundTripper
	upgrade  proxy.UpgradeRequestRoundTripper
	// label names the credentials for the audit (never a secret).
	label string

	idOnce   sync.Once
	identity string

	rpOnce sync.Once
	rp     *httputil.ReverseProxy
}

func newUpstream(cfg *rest.Config, label string) (*upstream, error) {
	host := cfg.Host
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	loc, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("parse server %q: %w", cfg.Host, err)
	}
	if loc.Scheme != "https" && loc.Scheme != "http" {
		return nil, fmt.Errorf("server %q: unsupported scheme %q", cfg.Host, loc.Scheme)
	}
	if !strings.HasSuffix(loc.Path, "/") {
		loc.Path += "/"
	}
	loc.RawPath = ""
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("build transport: %w", err)
	}
	up, err := upgradeTransport(cfg)
	if err != nil {
		return nil, fmt.Errorf("build upgrade transport: %w", err)
	}
	return &upstream{cfg: cfg, location: loc, rt: rt, upgrade: up, label: label}, nil
}

// upgradeTransport is kubectl proxy's makeUpgradeTransport, plus proxy-url
// (and HTTPS_PROXY) support for upgraded connections: the connection is
// dialled through the proxy with CONNECT or SOCKS5, then the same TLS and
// authentication wrappers as ordinary requests are applied.
func upgradeTransport(cfg *rest.Config) (proxy.UpgradeRequestRoundTripper, error) {
	tc, err := cfg.TransportConfig()
	if err != nil {
		return nil, err
	}
	tlsConfig, err := transport.TLSConfigFor(tc)
	if err != nil {
		return nil, err
	}
	proxier := cfg.Proxy
	if proxier == nil {
		proxier = utilnet.NewProxierWithNoProxyCIDR(http.ProxyFromEnvironment)
	}
	scheme := "https"
	if strings.HasPrefix(cfg.Host, "http://") {
		scheme = "http"
	}
	d := &proxyDialer{proxier: proxier, scheme: scheme, dialer: &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
	rt := utilnet.SetOldTransportDefaults(&http.Transport{
		TLSClientConfig: tlsConfig,
		DialContext:     d.DialContext,
	})
	wrapped, err := transport.HTTPWrappersForConfig(tc, proxy.MirrorRequest)
	if err != nil {
		return nil, err
	}
	return proxy.NewUpgradeRequestRoundTripper(rt, wrapped), nil
}

// proxyDialer dials the API server directly or through the configured proxy.
type proxyDialer struct {
	proxier func(*http.Request) (*url.URL, error)
	scheme  string
	dialer  *net.Dialer
}

func (p *proxyDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	probe := &http.Request{URL: &url.URL{Scheme: p.scheme, Host: addr}, Header: http.Header{}}
	pu, err := p.proxier(probe)
	if err != nil {
		return nil, fmt.Errorf("choose proxy: %w", err)
	}
	if pu == nil {
		return p.dialer.DialContext(ctx, network, addr)
	}
	switch pu.Scheme {
	case "socks5", "socks5h":
		var auth *socks.Auth
		if pu.User != nil {
			pw, _ := pu.User.Password()
			auth = &socks.Auth{User: pu.User.Username(), Password: pw}
		}
		sd, err := socks.SOCKS5("tcp", pu.Host, auth, p.dialer)
		if err != nil {
			return nil, fmt.Errorf("socks5 proxy: %w", err)
		}
		if cd, ok := sd.(socks.ContextDialer); ok {
			return cd.DialContext(ctx, network, addr)
		}
		return sd.Dial(network, addr)
	case "http", "https", "":
		return p.connect(ctx, pu, addr)
	}
	return nil, fmt.Errorf("proxy scheme %q not supported", pu.Scheme)
}

// connect opens an HTTP CONNECT tunnel to addr through the proxy pu.
func (p *proxyDialer) connect(ctx context.Context, pu *url.URL, addr string) (net.Conn, error) {
	paddr := pu.Host
	if pu.Port() == "" {
		if pu.Scheme == "https" {
			paddr = net.JoinHostPort(pu.Hostname(), "443")
		} else {
			paddr = net.JoinHostPort(pu.Hostname(), "80")
		}
	}
	conn, err := p.dialer.DialContext(ctx, "tcp", paddr)
	if err != nil {
		return nil, fmt.Errorf("dial proxy: %w", err)
	}
	if pu.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: pu.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("proxy tls: %w", err)
		}
		conn = tc
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if pu.User != nil {
		pw, _ := pu.User.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(pu.User.Username()+":"+pw)))
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
		defer func() { _ = conn.SetDeadline(time.Time{}) }()
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy connect: %w", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy connect: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("proxy connect: %s", resp.Status)
	}
	if br.Buffered() > 0 {
		conn.Close()
		return nil, fmt.Errorf("proxy connect: unexpected data after the response")
	}
	return conn, nil
}

// whoAmI asks the API server who these credentials are (SelfSubjectReview),
// once, for the audit trail. It gives up quietly: the audit records an
// empty identity rather than delay a request.
func (u *upstream) whoAmI(ctx context.Context) string {
	u.idOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		cs, err := kubernetes.NewForConfigAndClient(rest.CopyConfig(u.cfg), &http.Client{Transport: u.rt})
		if err != nil {
			return
		}
		r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			return
		}
		u.identity = r.Status.UserInfo.Username
	})
	return u.identity
}

// closeIdle drops pooled connections, e.g. once a short-lived token is revoked.
func (u *upstream) closeIdle() {
	utilnet.CloseIdleConnectionsFor(u.rt)
	utilnet.CloseIdleConnectionsFor(u.upgrade)
}
