package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPluginOverridingAKeyDoesNotPrompt: issue 12, item 6. A user's plugin
// with override: true takes s on deployments for a read-only
// `kubectl get`; s is then the plugin's, not K9s's scale, so the key does
// not prompt (it prompted "scale"), and what the plugin sends is the
// gateway's to judge: a read goes through.
func TestPluginOverridingAKeyDoesNotPrompt(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	out := filepath.Join(t.TempDir(), "plugin.out")
	writeK9sConfig(t, env, "plugins.yaml", `plugins:
  get-deploy:
    shortCut: s
    override: true
    description: get the deployment
    scopes: [deployments]
    command: bash
    background: true
    args: ["-c", "kubectl get deployment -n $NAMESPACE $NAME -o name > `+out+` 2>&1"]
`)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "deploy")
	step(t, term, "the deployments", "", func(s string) bool { return strings.Contains(s, "deployments(shop)") && strings.Contains(s, "web") })
	waitWholeFrame(t, term)
	if err := term.Type("s"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(out)
		if strings.Contains(string(b), "deployment.apps/") {
			break
		}
		if term.EverShown("Step-up required") {
			t.Fatalf("the plugin's key raised the step-up prompt:\n%s", term.Screen())
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin never ran kubectl get (output %q); screen:\n%s", b, term.Screen())
		}
		time.Sleep(100 * time.Millisecond) // polling the plugin's output file with a deadline
	}
	if term.EverShown("Step-up required") {
		t.Errorf("the plugin's key raised the step-up prompt:\n%s", term.Screen())
	}
}
