package broker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
	"github.com/k9s-guard/k9s-guard/testbed/e2e"
)

const brokerProfile = `version: 1
contexts:
  prod:
    protected: true
    window: 5m
    elevation:
      broker: {namespace: k9s-guard-broker}
`

// The real K9s through k9s-guard with the broker source, as an everyday
// user with nothing on the laptop but a read-only token: Ctrl-K, the
// prompt, the code, and the pod is gone (deleted with the user's own
// token, which the broker's grant allows); the next pod prompts again
// (the grant covered only the first); the session's exit revokes.
func TestK9sKillThroughTheBroker(t *testing.T) {
	defer dumpLogs(t)
	ensureTwo(t)
	ctx := t.Context()
	u, secret := newUser(t)
	term := guardTerm(t, u, brokerProfile)
	waitShopPods := func() {
		t.Helper()
		if err := term.WaitFor("the shop pod list", 60*time.Second, func(s string) bool {
			return strings.Contains(strings.ToLower(s), "pods(shop)") && strings.Contains(s, "web-") && strings.Contains(s, "cart-")
		}); err != nil {
			t.Fatal(err)
		}
	}
	podExists := func(name string) bool {
		_, err := admin.CoreV1().Pods("shop").Get(ctx, name, metav1.GetOptions{})
		return !apierrors.IsNotFound(err)
	}
	kill := func(at time.Time) string {
		t.Helper()
		waitShopPods()
		pod := selectedPod(t, term)
		if err := term.Type("\x0b"); err != nil {
			t.Fatal(err)
		}
		if err := term.WaitFor("the step-up prompt", 15*time.Second, func(s string) bool {
			return strings.Contains(s, "Step-up required") && strings.Contains(s, "esc cancel") && strings.Contains(s, "pod shop/"+pod)
		}); err != nil {
			t.Fatal(err)
		}
		if err := term.Type(codeAt(t, secret, at), "\r"); err != nil {
			t.Fatal(err)
		}
		if err := term.WaitFor("the prompt to close", 20*time.Second, func(s string) bool { return !strings.Contains(s, "Step-up required") }); err != nil {
			t.Fatal(err)
		}
		if err := poll(ctx, 20*time.Second, func() (bool, error) { return !podExists(pod), nil }); err != nil {
			t.Fatalf("pod %s still there after the code:\n%s", pod, term.Screen())
		}
		return pod
	}
	first := kill(time.Now())
	// The grant was the broker's, to this user, for exactly that pod.
	list, err := u.dyn.Resource(v1alpha1.ElevationRequests).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mine := 0
	for i := range list.Items {
		r, err := decode(&list.Items[i])
		if err != nil {
			t.Fatal(err)
		}
		if r.Spec.User == u.name && r.Status.Phase == v1alpha1.PhaseGranted {
			mine++
			if n := r.Spec.Rules[0].Names; len(n) != 1 || n[0] != first {
				t.Fatalf("grant covers %v, want exactly %s", n, first)
			}
		}
	}
	if mine != 1 {
		t.Fatalf("%d live grants for %s, want 1", mine, u.name)
	}
	// Wait until K9s has dropped the killed pod's row, then the next one
	// must prompt again (and needs the next code: the first is spent).
	if err := term.WaitFor("the killed pod's row to go", 30*time.Second, func(s string) bool { return !strings.Contains(s, first) }); err != nil {
		t.Fatal(err)
	}
	second := kill(time.Now().Add(30 * time.Second))
	if second == first {
		t.Fatal("killed the same pod twice")
	}
	// Exit: every grant of the session is revoked.
	if err := term.Type("\x03"); err != nil {
		t.Fatal(err)
	}
	if _, err := term.Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, 10*time.Second, func() (bool, error) {
		l, err := u.dyn.Resource(v1alpha1.ElevationRequests).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for i := range l.Items {
			if r, _ := decode(&l.Items[i]); r != nil && r.Spec.User == u.name && r.Status.Phase == v1alpha1.PhaseGranted {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		t.Fatal("a grant outlived the session")
	}
	if allowed(ctx, t, u, "delete", "", "pods", "shop", second) {
		t.Fatal("still allowed to delete after exit")
	}
}

// selectedPod is the pod in K9s's first table row (selected at start, and
// after a kill the row K9s moves to).
func selectedPod(t *testing.T, term *e2e.Term) string {
	t.Helper()
	for _, l := range term.Lines() {
		f := strings.Fields(strings.Trim(l, "│ "))
		if len(f) > 0 && (strings.HasPrefix(f[0], "cart-") || strings.HasPrefix(f[0], "web-")) {
			return f[0]
		}
	}
	t.Fatalf("no pod row on screen:\n%s", term.Screen())
	return ""
}

// guardTerm runs k9s-guard (and the real K9s under it) in a pty as u, with
// a kubeconfig whose one context, prod, holds only u's everyday token.
func guardTerm(t *testing.T, u *user, profileYAML string) *e2e.Term {
	t.Helper()
	home := t.TempDir()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testbed"] = &clientcmdapi.Cluster{Server: tc.Server, CertificateAuthorityData: tc.CAData}
	cfg.AuthInfos["me"] = &clientcmdapi.AuthInfo{Token: u.token}
	cfg.Contexts["prod"] = &clientcmdapi.Context{Cluster: "testbed", AuthInfo: "me", Namespace: "shop"}
	cfg.CurrentContext = "prod"
	kc := filepath.Join(home, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}
	for dir, files := range map[string]map[string]string{
		filepath.Join(home, ".config", "k9s-guard"): {"profile.yaml": profileYAML},
		filepath.Join(home, ".config", "k9s"):       {"config.yaml": "k9s:\n  skipLatestRevCheck: true\n"},
	} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	tools := filepath.Dir(kubectlBin)
	env := []string{
		"HOME=" + home, "PATH=" + tools + ":" + os.Getenv("PATH"), "TERM=xterm-256color", "LANG=C.UTF-8",
		"KUBECONFIG=" + kc,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"K9S_GUARD_K9S=" + filepath.Join(tools, "k9s"),
	}
	term, err := e2e.Start(guardBin, []string{"--context", "prod", "-n", "shop", "-c", "pods"}, e2e.Options{Cols: 120, Rows: 40, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := term.CloseTree(); err != nil {
			t.Error(err)
		}
	})
	return term
}

// Expiry with the client SIGKILLed during the window: k9s-guard is killed
// right after a step-up, so nothing deletes its request; the broker still
// removes the grant within 1 s of the deadline.
func TestClientKilledGrantGoneAtDeadline(t *testing.T) {
	defer dumpLogs(t)
	ensureTwo(t)
	ctx := t.Context()
	u, secret := newUser(t)
	term := guardTerm(t, u, strings.Replace(brokerProfile, "window: 5m", "window: 30s", 1))
	if err := term.WaitFor("the shop pod list", 60*time.Second, func(s string) bool {
		return strings.Contains(strings.ToLower(s), "pods(shop)") && strings.Contains(s, "web-") && strings.Contains(s, "cart-")
	}); err != nil {
		t.Fatal(err)
	}
	pod := selectedPod(t, term)
	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("Step-up required", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type(codeAt(t, secret, time.Now()), "\r"); err != nil {
		t.Fatal(err)
	}
	var req *v1alpha1.ElevationRequest
	if err := poll(ctx, 20*time.Second, func() (bool, error) {
		l, err := u.dyn.Resource(v1alpha1.ElevationRequests).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for i := range l.Items {
			if r, _ := decode(&l.Items[i]); r != nil && r.Spec.User == u.name && r.Status.Phase == v1alpha1.PhaseGranted {
				req = r
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		t.Fatal("no grant after the code")
	}
	if err := term.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := term.Wait(10 * time.Second); err == nil {
		t.Log("k9s-guard exited after SIGKILL")
	}
	if !allowed(ctx, t, u, "delete", "", "pods", "shop", pod) && time.Now().Before(req.Status.ExpiresAt.Time) {
		t.Fatal("the grant went before its deadline although the client was killed")
	}
	deadline := req.Status.ExpiresAt.Time
	if err := poll(ctx, time.Until(deadline)+10*time.Second, func() (bool, error) {
		return !allowed(ctx, t, u, "delete", "", "pods", "shop", pod), nil
	}); err != nil {
		t.Fatal("the grant never went")
	}
	if late := time.Since(deadline); late > time.Second {
		t.Fatalf("the grant went %s after its deadline, want within 1s", late)
	}
}
