// Package gateway_test runs k9s-guard's credential gateway (package kube)
// against a real kube-apiserver with RBAC: a read-only user, an
// impersonator, an admin and a break-glass ServiceAccount (see
// testbed/cluster). One control plane is started for the whole package.
//
// The test cluster has no kubelet, so exec, attach and port-forward cannot
// reach a container there; those tests run the gateway against a small
// fake upstream that speaks the real streaming protocols (SPDY and
// WebSocket), driven by client-go's own executors.
package gateway_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

var testCluster *cluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start testbed cluster:", err)
		return 1
	}
	testCluster = c
	defer c.Stop()
	code := m.Run()
	if benchEnv != nil {
		benchEnv.Close()
	}
	return code
}

// harness is one gateway over the test cluster, with a hand-driven clock
// and a recorded audit trail.
type harness struct {
	gw      *kube.Gateway
	clock   *testClock
	windows *stepup.Windows
	audit   *auditTrail
}

type harnessOpts struct {
	policies   map[string]profile.Policy
	asker      kube.Asker
	kubeconfig string // default: the test cluster's
	as         string
}

func startHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	h := &harness{clock: newTestClock(), audit: &auditTrail{}}
	h.windows = stepup.NewWindows(h.clock)
	kc := o.kubeconfig
	if kc == "" {
		kc = testCluster.Kubeconfig
	}
	gw, err := kube.Start(context.Background(), kube.Config{
		LoadingRules: &clientcmd.ClientConfigLoadingRules{ExplicitPath: kc},
		As:           o.as,
		Policies: func(name string) profile.Policy {
			return o.policies[name]
		},
		Asker:      o.asker,
		AskTimeout: 10 * time.Second,
		Windows:    h.windows,
		Audit:      h.audit.record,
		SessionDir: filepath.Join(t.TempDir(), "s"),
		Port:       -1,
		Logf:       t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.gw = gw
	t.Cleanup(func() { _ = gw.Close() })
	return h
}

// config is what K9s would build for a context from the session kubeconfig.
func (h *harness) config(t testing.TB, context string) *rest.Config {
	t.Helper()
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: h.gw.KubeconfigPath()},
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func (h *harness) client(t testing.TB, context string) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(h.config(t, context))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func adminClient(t testing.TB) *kubernetes.Clientset {
	t.Helper()
	cs, err := testCluster.Clientset(cluster.ContextAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// aPod creates a fresh pod in shop for a test to try to delete, so that
// tests do not depend on each other or on controllers replacing pods. There
// is no scheduler: the pod stays Pending, and a delete removes it at once.
func aPod(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	cs := adminClient(t)
	// The ServiceAccount admission plugin needs the namespace's default
	// ServiceAccount, which only kube-controller-manager would create.
	_, err := cs.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	p, err := cs.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "victim-", Labels: map[string]string{"app": "victim"}},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: new(bool),
			Containers:                   []corev1.Container{{Name: "c", Image: "registry.invalid/victim:1"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Name
}

func podExists(t testing.TB, name string) bool {
	t.Helper()
	p, err := adminClient(t).CoreV1().Pods("shop").Get(context.Background(), name, metav1.GetOptions{})
	return err == nil && p.DeletionTimestamp == nil
}

// poll waits for cond with a deadline; it is how these tests wait, never
// with a bare sleep.
func poll(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// auditTrail records the gateway's audit events.
type auditTrail struct {
	mu     sync.Mutex
	events []audit.Record
}

func (a *auditTrail) record(ev audit.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, ev)
	return nil
}

func (a *auditTrail) last(event audit.Event) (audit.Record, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.events) - 1; i >= 0; i-- {
		if a.events[i].Event == event {
			return a.events[i], true
		}
	}
	return audit.Record{}, false
}

// countingAsker answers every step-up with a fixed answer and counts.
type countingAsker struct {
	answer bool
	n      atomic.Int32
	mu     sync.Mutex
	seen   []kube.StepUpRequest
}

func (a *countingAsker) Ask(_ context.Context, req kube.StepUpRequest) (bool, error) {
	a.n.Add(1)
	a.mu.Lock()
	a.seen = append(a.seen, req)
	a.mu.Unlock()
	return a.answer, nil
}

// testClock is a hand-driven stepup.WindowClock.
type testClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*testTimer
}

type testTimer struct {
	at      time.Time
	f       func()
	stopped atomic.Bool
}

func (t *testTimer) Stop() bool { return !t.stopped.Swap(true) }

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) AfterFunc(d time.Duration, f func()) stepup.WindowTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &testTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves time and runs the timers that fall due.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var next *testTimer
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

// Elevation sources of the test cluster.
var (
	srcImpersonate = profile.Elevation{Kind: profile.ElevationImpersonate, User: cluster.UserBreakGlass, Groups: []string{cluster.GroupBreakGlass}}
	srcContext     = profile.Elevation{Kind: profile.ElevationContext, Context: cluster.ContextAdmin}
	srcSA          = profile.Elevation{Kind: profile.ElevationServiceAccount, Namespace: cluster.BreakGlassNamespace, Name: cluster.BreakGlassSA}
)

func protected(e profile.Elevation) profile.Policy {
	return profile.Policy{Protected: true, Window: 5 * time.Minute, Elevation: e}
}

func grantSecrets(t testing.TB) []corev1.Secret {
	t.Helper()
	l, err := adminClient(t).CoreV1().Secrets(cluster.BreakGlassNamespace).List(context.Background(),
		metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedByValue})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(l.Items, func(s corev1.Secret) bool { return s.DeletionTimestamp != nil })
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
