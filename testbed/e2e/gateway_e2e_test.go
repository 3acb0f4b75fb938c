package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestEditThroughTheGateway: `e` on a deployment prompts, then K9s runs
// `kubectl edit` with the session kubeconfig; the patch goes out through the
// gateway with the elevated credentials and lands on the server.
func TestEditThroughTheGateway(t *testing.T) {
	dir := t.TempDir()
	editor := filepath.Join(dir, "editor.sh")
	// The editor adds a label under the deployment's own metadata.labels.
	script := "#!/bin/sh\nsed -i 's/^  labels:$/  labels:\\n    edited-by: k9s-guard-e2e/' \"$1\"\n"
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := guardedEnv(t, protectedProfile, "KUBE_EDITOR="+editor, "EDITOR="+editor)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "deploy")
	if err := term.WaitText("deployments(shop)", startTimeout); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("e"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if !strings.Contains(term.Screen(), "edit") {
		t.Errorf("overlay does not name the action:\n%s", term.Screen())
	}
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	cs := admin(t).cs
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := cs.AppsV1().Deployments("shop").Get(context.Background(), "cart", metav1.GetOptions{})
		if err == nil && d.Labels["edited-by"] == "k9s-guard-e2e" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edit never reached the API server; screen:\n%s", term.Screen())
		}
		time.Sleep(100 * time.Millisecond) // polling the API server with a deadline
	}
}

// TestPluginDeleteIsHeldByTheGateway stops a K9s plugin that deletes a pod
// on a key the guard knows nothing about: the key passes, but the DELETE
// that `kubectl` sends through the session kubeconfig is held by the
// gateway, which brings up the same prompt.
func TestPluginDeleteIsHeldByTheGateway(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	// One plugin per file in the XDG plugins folder (K9s reads the global
	// plugins.yaml on every refresh and then reports its keys as duplicates).
	plugin := `shortCut: Shift-Q
override: true
description: Zap pod
scopes: [pods]
command: kubectl
background: false
args: [delete, pod, $NAME, -n, $NAMESPACE, --context, $CONTEXT, --wait=false]
`
	dir := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "k9s", "plugins")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zap.yaml"), []byte(plugin), 0o600); err != nil {
		t.Fatal(err)
	}
	// Wide enough for K9s to show the plugin in its menu.
	term := startGuard(t, env, 220, 50, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	pod := firstPod(t, term)
	if err := term.WaitText("Zap pod", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("Q"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if !strings.Contains(term.Screen(), pod) {
		t.Errorf("the gateway's prompt does not name the pod %s:\n%s", pod, term.Screen())
	}
	// K9s has handed the terminal to the plugin's kubectl: the overlay is
	// drawn on the alternate screen so that leaving it gives kubectl's
	// screen back as the terminal kept it.
	if !term.AltScreen() {
		t.Error("the overlay over a suspended K9s is not on the alternate screen")
	}
	admin(t).waitPod("shop", pod, true)
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	admin(t).waitPod("shop", pod, false)
}
