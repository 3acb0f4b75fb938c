package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// TestXrayViewIsReadAsXray: issue 12. The xray view's title
// ("Xray-Pods(shop)") was read as a CRD, so s said "scale" though K9s
// opens a shell there: it now prompts for the shell (exec).
func TestXrayViewIsReadAsXray(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	waitWholeFrame(t, term)
	step(t, term, "the xray view", ":xray pods shop\r", func(s string) bool { return strings.Contains(s, "xray-pods(shop)") && strings.Contains(s, "web-") })
	waitWholeFrame(t, term)
	// The cursor starts on the namespace node; move to a pod.
	step(t, term, "a pod under the cursor", "j", func(string) bool { return true })
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
