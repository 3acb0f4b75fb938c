// Package cluster starts a real, throw-away Kubernetes control plane on
// loopback for k9s-guard's integration and end-to-end tests and for
// `make demo`: etcd, kube-apiserver (RBAC on, static tokens, client
// certificates, ServiceAccount tokens) and kube-controller-manager, so that
// Deployments really own ReplicaSets and Pods. There is no scheduler and no
// kubelet: pods stay Pending, which is all k9s-guard needs.
package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Names of the identities and objects every test can rely on.
const (
	ClusterName = "testbed"

	UserAdmin        = "admin"        // client certificate, in system:masters
	UserViewer       = "viewer"       // static token, ClusterRole view only (+ may mint break-glass tokens)
	UserImpersonator = "impersonator" // static token, may only impersonate the break-glass user and group
	UserBreakGlass   = "break-glass"  // only reachable through impersonation
	GroupBreakGlass  = "k9s-guard:break-glass"

	// Everyday users for broker mode: static tokens, ClusterRole view
	// through GroupEveryday, and nothing else of their own.
	UserAlice     = "alice"
	UserBob       = "bob"
	GroupEveryday = "k9s-guard:users"

	BreakGlassNamespace = "k9s-guard-system"
	BreakGlassSA        = "break-glass"

	// Contexts written to Cluster.Kubeconfig.
	ContextAdmin = "admin" // admin user, namespace default
	ContextDev   = "dev"   // viewer, namespace shop
	ContextProd  = "prod"  // viewer, namespace shop (protected in the demo)
	ContextImp   = "imp"   // impersonator, namespace shop
	ContextAlice = "alice" // alice (everyday), namespace shop
	ContextBob   = "bob"   // bob (everyday), namespace shop
)

// Options tune Start. The zero value is fine for tests.
type Options struct {
	// Dir holds the cluster's state; a temporary directory when empty.
	Dir string
	// BinDir holds etcd, kube-apiserver and kube-controller-manager. When
	// empty, $K9S_GUARD_TOOLS, then the nearest .tools/bin above the working
	// directory.
	BinDir string
	// NoControllerManager skips kube-controller-manager (faster start, but
	// Deployments then own no ReplicaSets or Pods).
	NoControllerManager bool
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// Cluster is a running control plane.
type Cluster struct {
	Dir        string
	Server     string // https://127.0.0.1:PORT
	CAData     []byte
	CAFile     string
	Kubeconfig string // contexts admin, dev, prod, imp

	AdminToken        string // unused by the kubeconfig (admin uses a cert) but valid, in system:masters
	ViewerToken       string
	ImpersonatorToken string
	AliceToken        string
	BobToken          string

	tempDir bool
	procs   []*proc
	stopped sync.Once
	logf    func(string, ...any)
}

type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start brings the control plane up and provisions users, RBAC, namespaces
// and workloads. It returns once Deployments' Pods exist (or, without the
// controller manager, once the API objects are created).
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	bin, err := findBinDir(opts.BinDir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: opts.Dir, logf: opts.Logf}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "k9s-guard-testbed-"); err != nil {
			return nil, fmt.Errorf("make testbed dir: %w", err)
		}
		c.tempDir = true
	}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	pki, err := writePKI(c.Dir)
	if err != nil {
		return nil, err
	}
	c.CAData, c.CAFile = pki.caPEM, pki.caFile
	c.AdminToken, c.ViewerToken, c.ImpersonatorToken = pki.adminToken, pki.viewerToken, pki.impToken
	c.AliceToken, c.BobToken = pki.aliceToken, pki.bobToken

	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	if err := c.spawn(ctx, "etcd", filepath.Join(bin, "etcd"),
		"--name=testbed", "--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=testbed="+peerURL, "--log-level=error", "--unsafe-no-fsync",
		"--listen-metrics-urls=", "--quota-backend-bytes=1073741824",
	); err != nil {
		return nil, err
	}
	if err := c.waitHTTP(ctx, "etcd", etcdURL+"/health", nil, 30*time.Second); err != nil {
		return nil, err
	}

	c.Server = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	if err := c.spawn(ctx, "kube-apiserver", filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(ports[2]),
		"--endpoint-reconciler-type=none",
		"--tls-cert-file="+pki.serverCert, "--tls-private-key-file="+pki.serverKey,
		"--client-ca-file="+pki.caFile,
		"--token-auth-file="+pki.tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+pki.saPub,
		"--service-account-signing-key-file="+pki.saKey,
		"--service-cluster-ip-range=10.96.0.0/24",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--watch-cache=true",
		"--v=0",
	); err != nil {
		return nil, err
	}
	if err := c.waitHTTP(ctx, "kube-apiserver", c.Server+"/readyz", pki.adminTLS, 90*time.Second); err != nil {
		return nil, err
	}

	if err := c.writeKubeconfigs(pki); err != nil {
		return nil, err
	}
	if !opts.NoControllerManager {
		if err := c.spawn(ctx, "kube-controller-manager", filepath.Join(bin, "kube-controller-manager"),
			"--kubeconfig="+filepath.Join(c.Dir, "kcm.kubeconfig"),
			"--service-account-private-key-file="+pki.saKey,
			"--root-ca-file="+pki.caFile,
			"--use-service-account-credentials=false",
			"--leader-elect=false",
			"--secure-port=0",
			"--controllers=*,-nodeipam,-nodelifecycle,-ttl,-bootstrapsigner,-tokencleaner",
			"--concurrent-deployment-syncs=5", "--concurrent-replicaset-syncs=5",
			"--v=0",
		); err != nil {
			return nil, err
		}
	}
	cs, err := c.Clientset(ContextAdmin)
	if err != nil {
		return nil, err
	}
	if err := provision(ctx, cs, !opts.NoControllerManager, c.alive, c.logf); err != nil {
		return nil, fmt.Errorf("provision testbed: %w\n%s", err, c.tail("kube-controller-manager"))
	}
	return c, nil
}

// RESTConfig returns a client configuration for one of the kubeconfig's contexts.
func (c *Cluster) RESTConfig(context string) (*rest.Config, error) {
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: c.Kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: context},
	).ClientConfig()
}

// Clientset returns a typed client for one of the kubeconfig's contexts.
func (c *Cluster) Clientset(context string) (*kubernetes.Clientset, error) {
	cfg, err := c.RESTConfig(context)
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// Stop ends every process (etcd last) and removes a temporary directory.
func (c *Cluster) Stop() {
	c.stopped.Do(func() {
		for i := len(c.procs) - 1; i >= 0; i-- {
			p := c.procs[i]
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
		if c.tempDir {
			_ = os.RemoveAll(c.Dir)
		}
	})
}

func (c *Cluster) spawn(ctx context.Context, name, path string, args ...string) error {
	logFile, err := os.Create(filepath.Join(c.Dir, name+".log"))
	if err != nil {
		return fmt.Errorf("create %s log: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	c.logf("testbed: started %s (pid %d)", name, cmd.Process.Pid)
	return nil
}

// waitHTTP polls url until it answers 200, the process behind it dies, or
// the deadline passes.
func (c *Cluster) waitHTTP(ctx context.Context, name, url string, tlsCfg *tls.Config, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	p := c.procs[len(c.procs)-1]
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited: %v\n%s", name, p.err, c.tail(name))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s\n%s", name, timeout, c.tail(name))
		}
	}
}

// alive reports an error if any control-plane process has exited.
func (c *Cluster) alive() error {
	for _, p := range c.procs {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited: %v", p.name, p.err)
		default:
		}
	}
	return nil
}

func (c *Cluster) tail(name string) string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, name+".log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (c *Cluster) writeKubeconfigs(p *pkiFiles) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ClusterName] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: p.caPEM}
	cfg.AuthInfos[UserAdmin] = &clientcmdapi.AuthInfo{ClientCertificateData: p.adminCert, ClientKeyData: p.adminKey}
	cfg.AuthInfos[UserViewer] = &clientcmdapi.AuthInfo{Token: p.viewerToken}
	cfg.AuthInfos[UserImpersonator] = &clientcmdapi.AuthInfo{Token: p.impToken}
	cfg.Contexts[ContextAdmin] = &clientcmdapi.Context{Cluster: ClusterName, AuthInfo: UserAdmin, Namespace: "default"}
	cfg.Contexts[ContextDev] = &clientcmdapi.Context{Cluster: ClusterName, AuthInfo: UserViewer, Namespace: "shop"}
	cfg.Contexts[ContextProd] = &clientcmdapi.Context{Cluster: ClusterName, AuthInfo: UserViewer, Namespace: "shop"}
	cfg.Contexts[ContextImp] = &clientcmdapi.Context{Cluster: ClusterName, AuthInfo: UserImpersonator, Namespace: "shop"}
	cfg.AuthInfos[UserAlice] = &clientcmdapi.AuthInfo{Token: p.aliceToken}
	cfg.AuthInfos[UserBob] = &clientcmdapi.AuthInfo{Token: p.bobToken}
	cfg.Contexts[ContextAlice] = &clientcmdapi.Context{Cluster: ClusterName, AuthInfo: UserAlice, Namespace: "shop"}
	cfg.Contexts[ContextBob] = &clientcmdapi.Context{Cluster: ClusterName, AuthInfo: UserBob, Namespace: "shop"}
	cfg.CurrentContext = ContextDev
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, c.Kubeconfig); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	kcm := clientcmdapi.NewConfig()
	kcm.Clusters["c"] = &clientcmdapi.Cluster{Server: c.Server, CertificateAuthorityData: p.caPEM}
	kcm.AuthInfos["u"] = &clientcmdapi.AuthInfo{ClientCertificateData: p.kcmCert, ClientKeyData: p.kcmKey}
	kcm.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	kcm.CurrentContext = "c"
	if err := clientcmd.WriteToFile(*kcm, filepath.Join(c.Dir, "kcm.kubeconfig")); err != nil {
		return fmt.Errorf("write controller-manager kubeconfig: %w", err)
	}
	return nil
}

func findBinDir(dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv("K9S_GUARD_TOOLS")
	}
	if dir == "" {
		wd, _ := os.Getwd()
		for d := wd; ; d = filepath.Dir(d) {
			if st, err := os.Stat(filepath.Join(d, ".tools", "bin", "kube-apiserver")); err == nil && !st.IsDir() {
				dir = filepath.Join(d, ".tools", "bin")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if dir == "" {
		return "", errors.New("testbed binaries not found: run `make tools` (or set K9S_GUARD_TOOLS)")
	}
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("testbed binary %s missing in %s: run `make tools`", b, dir)
		}
	}
	return dir, nil
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// CertPool returns a pool with the cluster CA.
func (c *Cluster) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.CAData)
	return pool
}

var _ = bytes.Equal
