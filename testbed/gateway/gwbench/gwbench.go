// Package gwbench measures what the credential gateway costs: the latency
// it adds to a GET and the throughput of a 5,000-object LIST, against
// client-go talking straight to the API server and against `kubectl
// proxy` (the same upgrade-aware proxy code, without the guard's checks).
// The Go benchmarks in testbed/gateway and the gatewaybench command both
// use it; the command prints medians of interleaved rounds.
package gwbench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// Namespace holds the benchmark's ConfigMaps.
const Namespace = "bench"

// Target is one way of reaching the API server.
type Target struct {
	Name   string
	Client *http.Client
	Base   string // URL prefix to which an API path is appended
}

// Env is a cluster prepared for benchmarking, with a gateway and a kubectl
// proxy in front of it. Every target uses the read-only viewer's
// credentials (context dev, which the gateway leaves unprotected: a LIST is
// a read either way).
type Env struct {
	Targets []Target
	Objects int
	gw      *kube.Gateway
	proxy   *exec.Cmd
	dir     string
}

// Setup creates n ConfigMaps (if they are not there yet) and starts the
// gateway and kubectl proxy.
func Setup(ctx context.Context, c *cluster.Cluster, n int) (*Env, error) {
	if err := createConfigMaps(ctx, c, n); err != nil {
		return nil, err
	}
	env := &Env{Objects: n}
	var err error
	if env.dir, err = os.MkdirTemp("", "gwbench-"); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			env.Close()
		}
	}()

	direct, err := c.RESTConfig(cluster.ContextDev)
	if err != nil {
		return nil, err
	}
	dc, err := rest.HTTPClientFor(direct)
	if err != nil {
		return nil, err
	}
	env.Targets = append(env.Targets, Target{Name: "direct", Client: dc, Base: strings.TrimSuffix(direct.Host, "/")})

	env.gw, err = kube.Start(ctx, kube.Config{
		LoadingRules: &clientcmd.ClientConfigLoadingRules{ExplicitPath: c.Kubeconfig},
		SessionDir:   filepath.Join(env.dir, "sessions"),
		Port:         -1,
	})
	if err != nil {
		return nil, fmt.Errorf("start gateway: %w", err)
	}
	gcfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: env.gw.KubeconfigPath()},
		&clientcmd.ConfigOverrides{CurrentContext: cluster.ContextDev}).ClientConfig()
	if err != nil {
		return nil, err
	}
	gc, err := rest.HTTPClientFor(gcfg)
	if err != nil {
		return nil, err
	}
	env.Targets = append(env.Targets, Target{Name: "gateway", Client: gc, Base: strings.TrimSuffix(gcfg.Host, "/")})

	addr, err := env.startKubectlProxy(c)
	if err != nil {
		return nil, err
	}
	env.Targets = append(env.Targets, Target{Name: "kubectl proxy", Client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, Base: "http://" + addr})

	for _, t := range env.Targets {
		if _, err := GetLatency(t, 20); err != nil {
			return nil, fmt.Errorf("warm up %s: %w", t.Name, err)
		}
	}
	ok = true
	return env, nil
}

// Close stops the gateway and the proxy.
func (e *Env) Close() {
	if e.gw != nil {
		_ = e.gw.Close()
	}
	if e.proxy != nil && e.proxy.Process != nil {
		_ = e.proxy.Process.Kill()
		_ = e.proxy.Wait()
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

func (e *Env) startKubectlProxy(c *cluster.Cluster) (string, error) {
	kubectl, err := findKubectl()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(kubectl, "proxy", "--kubeconfig", c.Kubeconfig, "--context", cluster.ContextDev, "--port=0", "--address=127.0.0.1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start kubectl proxy: %w", err)
	}
	e.proxy = cmd
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	select {
	case l := <-lines:
		// "Starting to serve on 127.0.0.1:PORT"
		i := strings.LastIndex(l, " ")
		if i < 0 {
			return "", fmt.Errorf("kubectl proxy said %q", l)
		}
		return l[i+1:], nil
	case <-time.After(30 * time.Second):
		return "", fmt.Errorf("kubectl proxy did not start")
	}
}

func findKubectl() (string, error) {
	if d := os.Getenv("K9S_GUARD_TOOLS"); d != "" {
		return filepath.Join(d, "kubectl"), nil
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, ".tools", "bin", "kubectl")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("kubectl not found in a .tools/bin above %s (run `make tools`)", wd)
		}
	}
}

// createConfigMaps makes n small ConfigMaps in the bench namespace.
func createConfigMaps(ctx context.Context, c *cluster.Cluster, n int) error {
	rc, err := c.RESTConfig(cluster.ContextAdmin)
	if err != nil {
		return err
	}
	// client-go's default 5 requests/s would make this take 17 minutes.
	rc.QPS, rc.Burst = 2000, 2000
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace: %w", err)
	}
	have, err := cs.CoreV1().ConfigMaps(Namespace).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return err
	}
	exists := map[string]bool{}
	for _, cm := range have.Items {
		exists[cm.Name] = true
	}
	work := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				cm := &corev1.ConfigMap{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%05d", i), Labels: map[string]string{"bench": "list"}},
					Data:       map[string]string{"key": strings.Repeat("v", 64), "index": fmt.Sprint(i)},
				}
				if _, err := cs.CoreV1().ConfigMaps(Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range n {
		if !exists[fmt.Sprintf("cm-%05d", i)] {
			work <- i
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("create configmaps: %w", err)
	default:
		return nil
	}
}

// GetPath is the object every GET reads.
const GetPath = "/api/v1/namespaces/" + Namespace + "/configmaps/cm-00000"

// ListPath lists every ConfigMap of the namespace in one response.
const ListPath = "/api/v1/namespaces/" + Namespace + "/configmaps"

// GetLatency times n sequential GETs of one ConfigMap.
func GetLatency(t Target, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if _, err := fetch(t, GetPath); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

// List reads the whole namespace once and returns the time and bytes.
func List(t Target) (time.Duration, int64, error) {
	start := time.Now()
	n, err := fetch(t, ListPath)
	return time.Since(start), n, err
}

func fetch(t Target, path string) (int64, error) {
	req, err := http.NewRequest(http.MethodGet, t.Base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := t.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, err
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("%s %s: %s", t.Name, path, resp.Status)
	}
	return n, nil
}

// Percentile returns the p-th percentile (0..100) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}

// Result is one target's numbers for one round.
type Result struct {
	P50, P99   time.Duration
	ListTime   time.Duration // median of the round's lists
	ObjsPerSec float64
}

// Options size a run.
type Options struct {
	Rounds int // interleaved rounds (medians are reported)
	Gets   int // GETs per target per round
	Lists  int // LISTs per target per round
}

// Run measures every target in interleaved rounds (the order rotates each
// round, so that no target always runs on a warmer or cooler machine) and
// prints a table of medians.
func Run(w io.Writer, env *Env, o Options) ([]Result, error) {
	per := make([][]Result, len(env.Targets))
	for round := range o.Rounds {
		for k := range env.Targets {
			i := (k + round) % len(env.Targets)
			t := env.Targets[i]
			lat, err := GetLatency(t, o.Gets)
			if err != nil {
				return nil, err
			}
			var lists []time.Duration
			for range o.Lists {
				d, _, err := List(t)
				if err != nil {
					return nil, err
				}
				lists = append(lists, d)
			}
			lt := Percentile(lists, 50)
			per[i] = append(per[i], Result{P50: Percentile(lat, 50), P99: Percentile(lat, 99), ListTime: lt, ObjsPerSec: float64(env.Objects) / lt.Seconds()})
		}
	}
	med := make([]Result, len(env.Targets))
	for i, rs := range per {
		med[i] = Result{
			P50:        medianDur(rs, func(r Result) time.Duration { return r.P50 }),
			P99:        medianDur(rs, func(r Result) time.Duration { return r.P99 }),
			ListTime:   medianDur(rs, func(r Result) time.Duration { return r.ListTime }),
			ObjsPerSec: medianF(rs, func(r Result) float64 { return r.ObjsPerSec }),
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "target\tGET p50\tGET p99\tadded p50\tLIST %d objs\tobjects/s\tvs direct\t\n", env.Objects)
	for i, t := range env.Targets {
		r := med[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.0f\t%.1f%%\t\n", t.Name, us(r.P50), us(r.P99), us(r.P50-med[0].P50),
			r.ListTime.Round(100*time.Microsecond), r.ObjsPerSec, 100*r.ObjsPerSec/med[0].ObjsPerSec)
	}
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "medians of %d interleaved rounds; %d GETs and %d LISTs per target per round\n", o.Rounds, o.Gets, o.Lists)
	return med, nil
}

func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)) }

func medianDur(rs []Result, f func(Result) time.Duration) time.Duration {
	var ds []time.Duration
	for _, r := range rs {
		ds = append(ds, f(r))
	}
	return Percentile(ds, 50)
}

func medianF(rs []Result, f func(Result) float64) float64 {
	var xs []float64
	for _, r := range rs {
		xs = append(xs, f(r))
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}
