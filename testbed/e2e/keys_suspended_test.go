package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// A plugin that hands the terminal to a local bash, as a user's own
// plugins.yaml would (K9s reads $XDG_CONFIG_HOME/k9s/plugins.yaml).
const bashPlugin = `plugins:
  localbash:
    shortCut: Shift-Q
    description: local bash
    scopes: [pods]
    command: bash
    background: false
    args: ["--norc", "--noprofile"]
`

func writeK9sConfig(t *testing.T, env []string, name, content string) {
	t.Helper()
	dir := filepath.Join(envValue(env, "XDG_CONFIG_HOME"), "k9s")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestKeysInAPluginShellAreTheShells: issue 12, item 1. In a protected
// context a plugin's bash owns the terminal while it runs: the e of echo is
// a letter and Ctrl-D ends the shell's input; neither prompts (they used to
// prompt "edit" and "delete pods"), and K9s comes back when bash exits.
func TestKeysInAPluginShellAreTheShells(t *testing.T) {
	env := guardedEnv(t, protectedProfile, "PS1=guarded-bash$ ")
	writeK9sConfig(t, env, "plugins.yaml", bashPlugin)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	waitWholeFrame(t, term)
	if err := term.Type("Q"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("bash's prompt", 20*time.Second, func(s string) bool {
		return !term.AltScreen() && strings.Contains(s, "guarded-bash$")
	}); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("echo e-kx$((6*7))\r"); err != nil {
		t.Fatal(err)
	}
	// Only bash computes 42: the keys reached it, not a prompt.
	if err := term.WaitText("e-kx42", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("K9s back after bash's end of input", 20*time.Second, func(s string) bool {
		return term.AltScreen() && strings.Contains(strings.ToLower(s), "pods(shop)")
	}); err != nil {
		t.Fatal(err)
	}
	if term.EverShown("Step-up required") {
		t.Errorf("a key typed into the plugin's bash raised the step-up prompt:\n%s", term.Screen())
	}
	// Back in K9s, the same keys are K9s's again: Ctrl-K prompts.
	waitWholeFrame(t, term)
	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
}

// TestKeysInKubectlEditsViAreVis: issue 12, item 1. After the step-up for
// e, kubectl edit opens vi; vi's i (insert) and the text typed after it are
// vi's, not K9s's set-image, and the elevation line is not painted over
// vi's screen.
func TestKeysInKubectlEditsViAreVis(t *testing.T) {
	env := guardedEnv(t, protectedProfile, "EDITOR=vi", "KUBE_EDITOR=vi")
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "deploy")
	if err := term.WaitFor("the deployments", startTimeout, func(s string) bool {
		return strings.Contains(strings.ToLower(s), "deployments(shop)") && strings.Contains(s, "web")
	}); err != nil {
		t.Fatal(err)
	}
	waitWholeFrame(t, term)
	stepUp(t, term, "e", 0)
	granted := len(term.Raw())
	if err := term.WaitFor("vi on the deployment", 30*time.Second, func(s string) bool {
		return !term.AltScreen() || strings.Contains(s, "apiVersion: apps/v1")
	}); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("apiVersion: apps/v1", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("i"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("INSERT", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("# kx"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("# kx", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("vi back in normal mode", 15*time.Second, func(s string) bool { return !strings.Contains(s, "INSERT") }); err != nil {
		t.Fatal(err)
	}
	if err := term.Type(":q!\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("K9s back after vi", 30*time.Second, func(s string) bool {
		return term.AltScreen() && strings.Contains(strings.ToLower(s), "deployments(shop)")
	}); err != nil {
		t.Fatal(err)
	}
	// What reached the terminal while vi owned it: from K9s leaving the
	// alternate screen to its coming back.
	raw := term.Raw()[granted:]
	if i := bytes.Index(raw, []byte(ansi.ResetModeAltScreenSaveCursor)); i >= 0 {
		raw = raw[i:]
	}
	if i := bytes.Index(raw, []byte(ansi.SetModeAltScreenSaveCursor)); i >= 0 {
		raw = raw[:i]
	}
	during := ansiStrip(raw)
	if strings.Contains(during, "Step-up required") {
		t.Errorf("a key typed into vi raised the step-up prompt")
	}
	if strings.Contains(during, "ELEVATED") {
		t.Errorf("the elevation line was painted over vi's screen")
	}
}
