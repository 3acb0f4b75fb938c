package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// step types keys into K9s and waits until the screen shows what they do.
func step(t *testing.T, term *Term, what string, keys string, cond func(lower string) bool) {
	t.Helper()
	if err := term.Type(keys); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor(what, 20*time.Second, func(s string) bool { return cond(strings.ToLower(s)) }); err != nil {
		t.Fatal(err)
	}
}

func has(sub string) func(string) bool {
	return func(s string) bool { return strings.Contains(s, sub) }
}

// TestKeysK9sDoesNotBindPassUnprompted: issue 12, item 4. In a protected
// context, keys K9s v0.50.16 binds to nothing in the view at hand do not
// prompt: s on replicasets; Ctrl-D on containers, in the YAML, Describe
// and Logs views; Ctrl-D and s on :dir. Each is followed by a key K9s must
// act on (Esc, a command): a held key would have swallowed it.
func TestKeysK9sDoesNotBindPassUnprompted(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys-dir\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "rs")
	step(t, term, "the replicasets", "", has("replicasets(shop)"))
	waitWholeFrame(t, term)
	step(t, term, "s then :pods", "s", func(string) bool { return true })
	step(t, term, "the pods after s on replicasets", ":pods\r", func(s string) bool { return strings.Contains(s, "pods(shop)") && strings.Contains(s, "web-") })
	waitWholeFrame(t, term)

	for _, sub := range []struct{ name, open, title, keys string }{
		{"containers", "\r", "containers(", "\x04"},
		{"yaml", "y", "yaml(", "\x04"},
		{"describe", "d", "describe(", "\x04"},
		{"logs", "l", "logs(", "\x04e"},
	} {
		step(t, term, "the "+sub.name+" view", sub.open, has(sub.title))
		step(t, term, sub.name+": "+sub.keys, sub.keys, func(string) bool { return true })
		step(t, term, "back from "+sub.name, "\x1b", func(s string) bool { return strings.Contains(s, "pods(shop)") && !strings.Contains(s, sub.title) })
		waitWholeFrame(t, term)
	}

	step(t, term, "the dir view", ":dir "+dir+"\r", has("cm.yaml"))
	waitWholeFrame(t, term)
	step(t, term, "Ctrl-D and s on :dir", "\x04s", func(string) bool { return true })
	step(t, term, "the pods after :dir", ":pods\r", func(s string) bool { return strings.Contains(s, "pods(shop)") && strings.Contains(s, "web-") })

	if term.EverShown("Step-up required") {
		t.Errorf("a key K9s does not bind raised the step-up prompt:\n%s", term.Screen())
	}
}

// TestKeysUnderReadonlyPassUnprompted: issue 12, item 5. With --readonly
// K9s hides its write keys: Ctrl-K, Ctrl-D, e, s, a, t, z and i on pods do
// nothing, so they must not prompt (a code used to open a window for
// nothing). Port-forward (Shift-F) stays bound under readOnly and still
// prompts.
func TestKeysUnderReadonlyPassUnprompted(t *testing.T) {
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods", "--readonly")
	waitPods(t, term)
	waitWholeFrame(t, term)
	for _, k := range []string{"\x0b", "\x04", "e", "s", "a", "t", "z", "i"} {
		if err := term.Type(k); err != nil {
			t.Fatal(err)
		}
	}
	step(t, term, "the deployments after the write keys", ":deploy\r", has("deployments(shop)"))
	if term.EverShown("Step-up required") {
		t.Fatalf("a key K9s hides under --readonly raised the step-up prompt:\n%s", term.Screen())
	}
	step(t, term, "the pods again", ":pods\r", func(s string) bool { return strings.Contains(s, "pods(shop)") && strings.Contains(s, "web-") })
	waitWholeFrame(t, term)
	if err := term.Type("F"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
}
