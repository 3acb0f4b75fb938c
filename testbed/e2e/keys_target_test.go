package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k9s-guard/k9s-guard/screen"
)

// TestSanitizeNamesAndGrantsEveryPodAtOnce: issue 12, "right action,
// right target". Sanitize (z) deletes every Pending/Completed/failed pod
// of the namespace, not the cursor pod: the prompt names them all, one
// code grants them all, and K9s's typed confirmation (its dialog drawn over
// the table) is text. Each further pod used to prompt at the gateway with
// a fresh code.
func TestSanitizeNamesAndGrantsEveryPodAtOnce(t *testing.T) {
	crowdedNamespace(t, "keys-sanitize", 5)
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "keys-sanitize", "-c", "pods")
	if err := term.WaitFor("the five pods", startTimeout, func(s string) bool {
		return strings.Contains(strings.ToLower(s), "pods(keys-sanitize)[5]") && strings.Contains(s, "crowd-04")
	}); err != nil {
		t.Fatal(err)
	}
	waitWholeFrame(t, term)
	if err := term.Type("z"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if sc := term.Screen(); !strings.Contains(sc, "crowd-00") || !strings.Contains(sc, "crowd-01") {
		t.Errorf("the prompt does not name the pods sanitize deletes:\n%s", sc)
	}
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	granted := len(term.Raw())
	if err := term.WaitText("<Sanitize>", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("Yes Please!"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("Yes Please!", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	// Focus: the text field, Cancel, OK.
	if err := term.Type("\t", "\t", "\r"); err != nil {
		t.Fatal(err)
	}
	cs := admin(t).cs
	deadline := time.Now().Add(30 * time.Second)
	for {
		pods, err := cs.CoreV1().Pods("keys-sanitize").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) == 0 {
			break
		}
		if strings.Contains(ansiStrip(term.Raw()[granted:]), "Step-up required") {
			t.Fatalf("a further prompt came after the sanitize was granted:\n%s", term.Screen())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pods left after sanitize; screen:\n%s", len(pods.Items), term.Screen())
		}
		time.Sleep(200 * time.Millisecond) // polling the API server with a deadline
	}
	if strings.Contains(ansiStrip(term.Raw()[granted:]), "Step-up required") {
		t.Errorf("a further prompt came after the sanitize was granted:\n%s", term.Screen())
	}
}

// TestReplicaSetRollbackNamesTheDeployment: issue 12. Ctrl-L on a
// replicaset makes K9s patch the Deployment that owns it; the prompt (and
// the grant) name that Deployment, not the replicaset.
func TestReplicaSetRollbackNamesTheDeployment(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "rs")
	step(t, term, "the replicasets", "", func(s string) bool { return strings.Contains(s, "replicasets(shop)") && strings.Contains(s, "web-") })
	waitWholeFrame(t, term)
	waitCursor(t, term, func(name string) bool { return strings.HasPrefix(name, "cart-") || strings.HasPrefix(name, "web-") })
	rs := ""
	for _, r := range tableRows(term) {
		if r.cursor {
			rs = r.name
		}
	}
	if err := term.Type("\x0c"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	owner := rs[:strings.LastIndex(rs, "-")]
	if sc := term.Screen(); !strings.Contains(sc, "rollback deployment shop/"+owner) {
		t.Errorf("the prompt does not name deployment %s (replicaset %s):\n%s", owner, rs, sc)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
}

// TestWorkloadsViewNamesTheRowsKind: issue 12. In :workloads the prompt
// for Ctrl-D names what the row is (its KIND column), not "workload".
func TestWorkloadsViewNamesTheRowsKind(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "workloads")
	step(t, term, "the workloads", "", func(s string) bool { return strings.Contains(s, "workloads(shop)") && strings.Contains(s, "web") })
	waitWholeFrame(t, term)
	waitCursor(t, term, func(name string) bool { return name != "" })
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	sc := term.Screen()
	for _, l := range strings.Split(sc, "\n") {
		if strings.Contains(l, "Action ") && strings.Contains(l, "workload") {
			t.Errorf("the prompt names a \"workload\":\n%s", sc)
		}
	}
	named := false
	for _, k := range []string{"delete deployment shop/", "delete pod shop/", "delete replicaset shop/", "delete service shop/"} {
		named = named || strings.Contains(sc, k)
	}
	if !named {
		t.Errorf("the prompt does not name the row's kind:\n%s", sc)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
}

// TestXrayDeleteAsksOnceNamingThePod: the xray view is a tree, whose node
// under the cursor the key cannot name. Under scope "operation" its key
// used to prompt "delete xray" with a grant that covered none of K9s's
// requests, so the gateway asked a second time. Now Ctrl-D goes to K9s,
// K9s's own dialog names the pod, and the gateway asks once, naming it:
// one code, the pod is gone, no further prompt.
func TestXrayDeleteAsksOnceNamingThePod(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := xrayOnFirstPod(t, env)
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	var pod string
	if err := term.WaitFor("K9s's delete dialog naming a pod", 15*time.Second, func(s string) bool {
		if m := xrayDeleteDialog.FindStringSubmatch(s); m != nil && strings.Contains(s, "Cancel") {
			pod = m[1]
			return true
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(term.Screen(), "Step-up required") {
		t.Fatalf("the key prompted before K9s's dialog:\n%s", term.Screen())
	}
	admin(t).waitPod("shop", pod, true)
	pressOK(t, term)
	waitOverlay(t, term)
	if sc := term.Screen(); !strings.Contains(sc, "delete pod shop/"+pod) {
		t.Fatalf("the gateway's prompt does not name the pod %s:\n%s", pod, sc)
	}
	admin(t).waitPod("shop", pod, true) // nothing went out before the code
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	admin(t).waitPod("shop", pod, false)
	// The pod's replacement comes up in the tree; nothing asks again.
	if err := term.WaitFor("the tree without the deleted pod", 20*time.Second, func(s string) bool {
		return !strings.Contains(s, "🚛 "+pod) && strings.Contains(s, "Xray-Pods(shop)")
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(term.Screen(), "Step-up required") {
		t.Errorf("a further prompt came after the delete was granted:\n%s", term.Screen())
	}
	// The audit trail has the one prompt, the gateway's, for the pod.
	prompts := auditLines(t, env, `"stepup.prompt"`)
	if len(prompts) != 1 || !strings.Contains(prompts[0], pod) {
		t.Errorf("want one prompt, naming %s; the audit trail has:\n%s", pod, strings.Join(prompts, "\n"))
	}
}

// xrayOnFirstPod starts the guard in prod on env and opens the xray view
// of shop's pods with the cursor on the first pod: it starts on the root
// (pods), j moves it to the namespace (where Ctrl-D would delete the
// namespace), a second j to the first pod.
func xrayOnFirstPod(t *testing.T, env []string) *Term {
	t.Helper()
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	waitWholeFrame(t, term)
	step(t, term, "the xray view", ":xray pods shop\r", func(s string) bool { return strings.Contains(s, "xray-pods(shop)") && strings.Contains(s, "web-") })
	waitWholeFrame(t, term)
	step(t, term, "a pod under the cursor", "jj", func(string) bool { return true })
	return term
}

// xrayDeleteDialog is K9s's confirmation of a delete in xray: "Delete pod
// shop/web-…?".
var xrayDeleteDialog = regexp.MustCompile(`Delete pod shop/([a-z0-9-]+)\?`)

// TestXrayViewIsReadAsXray: issue 12. The xray view's title
// ("Xray-Pods(shop)") was read as a CRD, so s said "scale" though K9s
// opens a shell there. Under scope "context" (a window for the whole
// context, which the key opens) it prompts for the shell (exec).
func TestXrayViewIsReadAsXray(t *testing.T) {
	term := xrayOnFirstPod(t, guardedEnv(t, contextScopedProfile))
	if err := term.Type("s"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	sc := term.Screen()
	for _, l := range strings.Split(sc, "\n") {
		if strings.Contains(l, "Action ") && (strings.Contains(l, "scale") || !strings.Contains(l, "exec")) {
			t.Errorf("s in xray is not read as a shell:\n%s", sc)
		}
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
}

// contextScopedProfile protects prod with scope "context": one code opens
// a window for every write and sensitive request of the context.
const contextScopedProfile = `version: 1
contexts:
  prod:
    protected: true
    window: 5m
    scope: context
    elevation:
      context: admin
`

// TestKeysInAnEmptyTableDoNothing: in an empty table ("pods(keys-empty)[0]")
// K9s has no row to act on, and its Ctrl-K, Ctrl-D, e, s, a and t do
// nothing. They used to prompt for a code that opened a window for
// nothing. Now they go to K9s; the : typed after them opens K9s's command
// prompt, which it would not if the guard held a key for a passcode.
func TestKeysInAnEmptyTableDoNothing(t *testing.T) {
	crowdedNamespace(t, "keys-empty", 0)
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "keys-empty", "-c", "pods")
	step(t, term, "the empty pods table", "", has("pods(keys-empty)[0]"))
	waitWholeFrame(t, term)
	if err := term.Type("\x0b\x04esat:"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("K9s's command prompt", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "Step-up required") || screen.Parse(strings.Split(s, "\n")).Mode == screen.ModePrompt
	}); err != nil {
		t.Fatal(err)
	}
	if sc := term.Screen(); strings.Contains(sc, "Step-up required") {
		t.Fatalf("a key in an empty table prompted:\n%s", sc)
	}
	if n := len(auditLines(t, env, `"stepup.prompt"`)); n != 0 {
		t.Errorf("the audit trail has %d prompts", n)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
}
