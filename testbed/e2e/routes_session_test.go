package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// initLikeProfile is the profile `k9s-guard init` writes for the test
// bed: prod protected and elevated through admin, and admin itself
// written down as not protected.
const initLikeProfile = `version: 1
contexts:
  prod:
    protected: true
    window: 5m
    elevation:
      context: admin
  admin:
    protected: false
`

// sessionClientFor is a client for one context of K9s's own session
// kubeconfig, as a plugin K9s starts would build it.
func sessionClientFor(t *testing.T, term *Term, contextName string) *kubernetes.Clientset {
	t.Helper()
	pid := childPID(t, term.Cmd.Process.Pid)
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	var path string
	for _, kv := range bytes.Split(env, []byte{0}) {
		if v, ok := strings.CutPrefix(string(kv), "KUBECONFIG="); ok {
			path = v
		}
	}
	if path == "" {
		t.Fatal("K9s has no KUBECONFIG in its environment")
	}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: path},
		&clientcmd.ConfigOverrides{CurrentContext: contextName}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// soloPod creates a pod of its own in shop (no controller brings it back).
func soloPod(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("solo-%d", time.Now().UnixNano()%1e9)
	_, err := admin(t).cs.CoreV1().Pods("shop").Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.invalid/none:1"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin(t).cs.CoreV1().Pods("shop").Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// TestPluginCannotDeleteThroughTheElevationSource stops this attack: the
// session kubeconfig holds every context, and the admin context that
// elevates prod was written down as `protected: false`, so a plugin ran
// `kubectl --context admin delete pod solo` as admin with no prompt. Now
// admin carries prod's rule: the delete is held, the prompt over K9s says
// which process asked (this test, by pid), and Esc refuses it.
func TestPluginCannotDeleteThroughTheElevationSource(t *testing.T) {
	env := guardedEnv(t, initLikeProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	if err := term.WaitText("pods(shop)", startTimeout); err != nil {
		t.Fatal(err)
	}
	pod := soloPod(t)
	plugin := sessionClientFor(t, term, "admin")
	done := make(chan error, 1)
	go func() {
		done <- plugin.CoreV1().Pods("shop").Delete(context.Background(), pod, metav1.DeleteOptions{})
	}()
	waitOverlay(t, term)
	asked := fmt.Sprintf("(pid %d), through the gateway", os.Getpid())
	if err := term.WaitText(asked, 10*time.Second); err != nil {
		t.Fatalf("the prompt does not say this process asked: %v", err)
	}
	if !strings.Contains(term.Screen(), "Context   admin") {
		t.Errorf("the prompt does not name the admin context:\n%s", term.Screen())
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "k9s-guard refused") {
			t.Fatalf("delete through admin after Esc: %v, want k9s-guard's 403", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the held delete was not answered after Esc")
	}
	admin(t).waitPod("shop", pod, true)
}

// TestOverrideFlagIsRefusedAtStart stops this attack: `--context prod
// --user admin` moved prod's requests onto another context's route, so a
// delete went out with no prompt and no record. The guard refuses the
// flag before K9s starts, with one line.
func TestOverrideFlagIsRefusedAtStart(t *testing.T) {
	env := guardedEnv(t, initLikeProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "--user", "admin")
	code, err := term.Wait(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code != 2 || !strings.Contains(term.Screen(), "error: k9s-guard does not pass --user to K9s") {
		t.Fatalf("exit %d; screen:\n%s", code, term.Screen())
	}
}

// TestMissingElevationSourceIsRefusedAtStart stops this failure: with an
// elevation context that does not exist, the right code opened a window
// and K9s then said "access denied" while the audit trail ended at
// window.open. The session does not start, and says where in the profile.
func TestMissingElevationSourceIsRefusedAtStart(t *testing.T) {
	env := guardedEnv(t, strings.Replace(protectedProfile, "context: admin", "context: admn", 1))
	// Wide enough that the one-line error is not wrapped mid-word.
	term := startGuard(t, env, 400, 40, "--context", "prod")
	code, err := term.Wait(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := `profile.yaml:7:16: contexts.prod.elevation.context: elevation of "prod": context "admn" is not in the kubeconfig`
	if code != 2 || !strings.Contains(strings.Join(strings.Fields(term.Screen()), " "), want) {
		t.Fatalf("exit %d; want %q on screen:\n%s", code, want, term.Screen())
	}
}

// TestUnwritableAuditTrailRefusesProtectedSession stops this loss: on a
// full disk, sessions ran and their records were dropped in silence. A
// trail that cannot take the session's start record (here /dev/full,
// which fails every write with ENOSPC) stops the session before K9s.
func TestUnwritableAuditTrailRefusesProtectedSession(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	dir := t.TempDir()
	trail := filepath.Join(dir, "audit.jsonl")
	if err := os.Symlink("/dev/full", trail); err != nil {
		t.Fatal(err)
	}
	env := guardedEnv(t, protectedProfile+"audit:\n  file: "+trail+"\n")
	term := startGuard(t, env, 400, 40, "--context", "prod")
	code, err := term.Wait(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	screen := strings.Join(strings.Fields(term.Screen()), " ")
	if code != 2 || !strings.Contains(screen, "write the session's start to the audit trail") || !strings.Contains(screen, "no space left on device") {
		t.Fatalf("exit %d; screen:\n%s", code, term.Screen())
	}
}

// TestInstalledAsK9sRunsTheRealK9s stops this loop: installed as `k9s`
// first on PATH (a symlink, as the docs suggest), k9s-guard found itself
// and started itself recursively. It must run the real K9s further down
// PATH.
func TestInstalledAsK9sRunsTheRealK9s(t *testing.T) {
	shim := t.TempDir()
	if err := os.Symlink(guardBin, filepath.Join(shim, "k9s")); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, e := range userEnv(t) {
		switch {
		case strings.HasPrefix(e, "K9S_GUARD_K9S="):
		case strings.HasPrefix(e, "PATH="):
			env = append(env, "PATH="+shim+":"+toolsDir+":/usr/bin:/bin")
		default:
			env = append(env, e)
		}
	}
	term := startGuard(t, env, 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
	if err := term.WaitText("pods(shop)", startTimeout); err != nil {
		t.Fatal(err)
	}
	child := childPID(t, term.Cmd.Process.Pid)
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", child))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(k9sBin)
	if exe != want {
		t.Fatalf("the guard's child runs %s, want the real K9s %s", exe, want)
	}
	if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", child, child)); len(strings.Fields(string(b))) > 0 {
		if grand, _ := os.Readlink(fmt.Sprintf("/proc/%s/exe", strings.Fields(string(b))[0])); grand == guardBin {
			t.Fatal("K9s started k9s-guard again")
		}
	}
}
