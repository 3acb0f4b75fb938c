package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const scopedProfile = `version: 1
contexts:
  prod:
    protected: true
    window: 5m
    scope: operation
    elevation:
      context: admin
`

const oneShotProfile = `version: 1
contexts:
  prod:
    protected: true
    window: 5m
    scope: operation
    oneShot: true
    elevation:
      context: admin
`

// sessionClient is a client built from K9s's own session kubeconfig, as
// any process K9s starts (a plugin, a shell, kubectl) would build it.
func sessionClient(t *testing.T, term *Term) *kubernetes.Clientset {
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
		&clientcmd.ConfigOverrides{CurrentContext: "prod"}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// otherPod is a pod of shop on screen other than the named ones.
func otherPod(t *testing.T, term *Term, not ...string) string {
	t.Helper()
	var found string
	err := term.WaitFor("another pod", 15*time.Second, func(string) bool {
		for _, l := range term.Lines() {
			f := strings.Fields(strings.Trim(l, "│ "))
			if len(f) > 3 && (strings.HasPrefix(f[0], "cart-") || strings.HasPrefix(f[0], "web-")) && !contains(not, f[0]) {
				found = f[0]
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// killFirstPod steps up for Ctrl-K on the pod under the cursor and waits
// until it is gone; it returns the pod's name.
func killFirstPod(t *testing.T, term *Term, steps int) string {
	t.Helper()
	pod := firstPod(t, term)
	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if err := term.Type(code(t, steps), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	admin(t).waitPod("shop", pod, false)
	return pod
}

// rawDelete sends DELETE pod through the session kubeconfig in the
// background; the result arrives on the channel.
func rawDelete(cs *kubernetes.Clientset, pod string) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		done <- cs.CoreV1().Pods("shop").Delete(ctx, pod, metav1.DeleteOptions{})
	}()
	return done
}

// expectHeldAndRefused: the request is held by the gateway, which asks for
// it by name; the user declines (Esc) and the request is refused.
func expectHeldAndRefused(t *testing.T, term *Term, done <-chan error, pod string) {
	t.Helper()
	waitOverlay(t, term)
	if !strings.Contains(term.Screen(), pod) {
		t.Errorf("the prompt does not name %s:\n%s", pod, term.Screen())
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !apierrors.IsForbidden(err) {
			t.Fatalf("the DELETE of %s was not refused: %v", pod, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the DELETE was never answered")
	}
	// The refusal can reach the client before the overlay has closed, and
	// a key typed while it is up is the overlay's: the next step of a test
	// waits until K9s's screen is back.
	waitNoOverlay(t, term)
}

// TestScopedKillOfAnotherPodPromptsAgain — attack: ride the grant made for
// killing pod A to kill pod B with the next keystroke.
func TestScopedKillOfAnotherPodPromptsAgain(t *testing.T) {
	env := guardedEnv(t, scopedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	a := killFirstPod(t, term, 0)
	if err := term.WaitFor("pod A gone from the list", 20*time.Second, func(s string) bool { return !strings.Contains(s, a) }); err != nil {
		t.Fatal(err)
	}
	b := firstPod(t, term)
	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if !strings.Contains(term.Screen(), "pod shop/"+b) {
		t.Errorf("the second prompt does not name pod %s:\n%s", b, term.Screen())
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	time.Sleep(time.Second) // give a leaked kill time to land before checking
	admin(t).waitPod("shop", b, true)
}

// TestScopedRawDeleteThroughSessionKubeconfigRefused — attack: while a
// grant for killing pod A is open, a process using K9s's session
// kubeconfig (a plugin, a shell) deletes pod B.
func TestScopedRawDeleteThroughSessionKubeconfigRefused(t *testing.T) {
	env := guardedEnv(t, scopedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	cs := sessionClient(t, term)
	a := killFirstPod(t, term, 0)
	if err := term.WaitText("ELEVATED prod", 10*time.Second); err != nil {
		t.Fatal(err) // the grant for A is open
	}
	b := otherPod(t, term, a)
	expectHeldAndRefused(t, term, rawDelete(cs, b), b)
	admin(t).waitPod("shop", b, true)
}

// TestScopedRawDeleteCollectionRefused — attack: widen a grant for one pod
// to every pod of the namespace with a deletecollection.
func TestScopedRawDeleteCollectionRefused(t *testing.T) {
	env := guardedEnv(t, scopedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	cs := sessionClient(t, term)
	a := killFirstPod(t, term, 0)
	b := otherPod(t, term, a)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		done <- cs.CoreV1().Pods("shop").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	}()
	expectHeldAndRefused(t, term, done, "shop")
	admin(t).waitPod("shop", b, true)
}

// TestOneShotGrantGoneAfterDelete — attack: reuse a one-shot grant once
// its operation is over (the same delete again, from outside K9s).
func TestOneShotGrantGoneAfterDelete(t *testing.T) {
	env := guardedEnv(t, oneShotProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	cs := sessionClient(t, term)
	a := killFirstPod(t, term, 0)
	if err := term.WaitFor("the indicator to go", 10*time.Second, func(s string) bool { return !strings.Contains(s, "ELEVATED") }); err != nil {
		t.Fatal(err)
	}
	// The very operation the grant was made for now asks again.
	expectHeldAndRefused(t, term, rawDelete(cs, a), a)
}

// TestDeleteDeploymentShowsBlastRadius: Ctrl-D on deployment web (three
// replicas) shows its ReplicaSet and Pods before any code is typed.
func TestDeleteDeploymentShowsBlastRadius(t *testing.T) {
	env := guardedEnv(t, scopedProfile)
	term := startGuard(t, env, 140, 40, "--context", "prod", "-n", "shop", "-c", "deploy")
	if err := term.WaitFor("the deployments", startTimeout, func(s string) bool {
		return strings.Contains(s, "deployments(shop)") && strings.Contains(s, "web") && strings.Contains(s, "cart")
	}); err != nil {
		t.Fatal(err)
	}
	waitCursor(t, term, func(name string) bool { return name == "cart" })
	if err := term.Type("j"); err != nil { // cart, then web
		t.Fatal(err)
	}
	waitCursor(t, term, func(name string) bool { return name == "web" })
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if err := term.WaitText("deployment shop/web → 1 ReplicaSet, 3 Pods", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
}

// TestNamespaceDeleteRefusesWrongName — attack: muscle memory. The right
// code alone does not delete a namespace; its name must be typed too, and
// a wrong name is refused before the code is even checked.
func TestNamespaceDeleteRefusesWrongName(t *testing.T) {
	env := guardedEnv(t, scopedProfile)
	term := startGuard(t, env, 140, 40, "--context", "prod", "-c", "ns")
	if err := term.WaitFor("the namespaces", startTimeout, func(s string) bool {
		return strings.Contains(s, "namespaces(") && strings.Contains(s, "shop")
	}); err != nil {
		t.Fatal(err)
	}
	waitCursor(t, term, func(name string) bool { return name == "all" })
	if err := term.Type("j"); err != nil { // from K9s's "all" row to "default+"
		t.Fatal(err)
	}
	waitCursor(t, term, func(name string) bool { return strings.HasPrefix(name, "default") })
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if err := term.WaitText("Confirm", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	var ns string
	for _, l := range term.Lines() {
		if _, after, ok := strings.Cut(l, "type "); ok {
			if f := strings.Fields(after); len(f) > 0 {
				ns = f[0]
			}
		}
	}
	if ns != "default" {
		t.Fatalf("no name to confirm on the overlay:\n%s", term.Screen())
	}
	if err := term.Type(code(t, 0), "not-"+ns, "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("exactly", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(term.Screen(), "ELEVATED") {
		t.Fatal("a wrong name opened a window")
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	if _, err := admin(t).cs.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{}); err != nil {
		t.Fatalf("namespace %s: %v", ns, err)
	}
}

// TestScopedKillOfMarkedPods: two rows marked with Space, one Ctrl-K, one
// code: both pods go (K9s sends one DELETE per row, both inside the grant),
// and nothing else prompts.
func TestScopedKillOfMarkedPods(t *testing.T) {
	env := guardedEnv(t, scopedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	// K9s draws the table in several writes: wait for the rows, not the
	// first of them.
	var pods []string
	if err := term.WaitFor("3 pods on screen", 15*time.Second, func(string) bool {
		pods = pods[:0]
		for _, l := range term.Lines() {
			f := strings.Fields(strings.Trim(l, "│ "))
			if len(f) > 3 && (strings.HasPrefix(f[0], "cart-") || strings.HasPrefix(f[0], "web-")) {
				pods = append(pods, f[0])
			}
		}
		return len(pods) >= 3
	}); err != nil {
		t.Fatal(err)
	}
	// Mark the first row, move down, mark the second; each key is typed
	// once K9s has drawn the last one's effect.
	steps := []struct {
		key  string
		what string
		done func([]tableRow) bool
	}{
		{" ", "the first row marked", func(r []tableRow) bool { return len(r) > 1 && r[0].marked }},
		{"j", "the cursor on the second row", func(r []tableRow) bool { return len(r) > 1 && r[1].cursor }},
		{" ", "the second row marked", func(r []tableRow) bool { return len(r) > 1 && r[0].marked && r[1].marked }},
	}
	for _, st := range steps {
		if err := term.Type(st.key); err != nil {
			t.Fatal(err)
		}
		if err := term.WaitFor(st.what, 15*time.Second, func(string) bool { return st.done(tableRows(term)) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	scr := term.Screen()
	if !strings.Contains(scr, pods[0]) || !strings.Contains(scr, pods[1]) {
		t.Errorf("the prompt does not name both marked pods %v:\n%s", pods[:2], scr)
	}
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	adm := admin(t)
	adm.waitPod("shop", pods[0], false)
	adm.waitPod("shop", pods[1], false)
	if strings.Contains(term.Screen(), "Step-up required") {
		t.Fatal("the second marked pod prompted again")
	}
	adm.waitPod("shop", pods[2], true)
}

// tableRow is one row of the K9s table on screen: its first field, and
// whether it is under the cursor or marked with Space.
type tableRow struct {
	name           string
	cursor, marked bool
}

// markColors are the colours K9s's default skin draws marked rows in
// (palegreen, as true colour and as xterm 121).
var markColors = map[int]bool{0x98fb98: true, 0x87ffaf: true}

// tableRows reads the table off the screen: the cursor row is the one
// whose background differs from the column header's; a marked row has the
// mark colour as its foreground, or as its background under the cursor.
func tableRows(term *Term) []tableRow {
	lines := term.Lines()
	title := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "┌─") && strings.Contains(l, "(") {
			title = i
			break
		}
	}
	if title < 0 || title+1 >= len(lines) {
		return nil
	}
	_, header := term.CellColors(2, title+1)
	var rows []tableRow
	for y := title + 2; y < len(lines) && !strings.HasPrefix(lines[y], "└"); y++ {
		f := strings.Fields(strings.Trim(lines[y], "│ "))
		if len(f) == 0 {
			continue
		}
		fg, bg := term.CellColors(2, y)
		rows = append(rows, tableRow{name: f[0], marked: markColors[fg] || markColors[bg], cursor: bg != header})
	}
	return rows
}

// waitCursor waits until the row under K9s's cursor has a name that
// satisfies want: K9s moves its cursor on its next draw.
func waitCursor(t *testing.T, term *Term, want func(name string) bool) {
	t.Helper()
	if err := term.WaitFor("the cursor to move", 15*time.Second, func(string) bool {
		for _, r := range tableRows(term) {
			if r.cursor {
				return want(r.name)
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
}
