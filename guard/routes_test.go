package guard

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestKubeconfigOverrideFlagsAreRefused stops this attack: K9s's own
// `--user admin` moved `--context prod`'s requests onto another context's
// route through the gateway, so `kubectl delete pod solo` went out with no
// prompt and no record; --cluster, --token and the TLS flags rerouted or
// broke requests in silence. Each is refused at start with one line that
// names the flag, before K9s runs.
func TestKubeconfigOverrideFlagsAreRefused(t *testing.T) {
	k9s := writeScript(t, t.TempDir(), "k9s", "#!/bin/sh\necho started >\"$0.ran\"\n")
	for flag := range overrideFlags {
		for _, args := range [][]string{{flag, "x"}, {flag + "=x"}} {
			if flag == "--insecure-skip-tls-verify" {
				args = []string{flag}
			}
			h := newInitHarness(t)
			code := h.run(append([]string{"--k9s", k9s, "--context", "prod"}, args...)...)
			msg := h.stderr.String()
			if code != exitUsage || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "error: k9s-guard does not pass "+flag+" to K9s") {
				t.Errorf("%v: exit %d, stderr %q; want exit %d and one line naming %s", args, code, msg, exitUsage, flag)
			}
		}
	}
	if _, err := os.Stat(k9s + ".ran"); err == nil {
		t.Error("K9s was started although a flag was refused")
	}
	// Flags K9s's gateway route keeps working (--context, -n, --as) pass.
	if err := refuseOverrides([]string{"--context", "prod", "-n", "shop", "--as", "alice", "--readonly"}); err != nil {
		t.Errorf("ordinary flags refused: %v", err)
	}
}

// TestFindK9sSkipsItself stops this loop: installed as `k9s` (a symlink,
// as the docs suggest), k9s-guard found itself first on PATH and started
// itself recursively — 111 nested processes in 5 s. It skips its own
// binary, runs the real K9s further down PATH, and says so when there is
// none.
func TestFindK9sSkipsItself(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	shim, real := t.TempDir(), t.TempDir()
	if err := os.Symlink(self, filepath.Join(shim, "k9s")); err != nil {
		t.Fatal(err)
	}
	realK9s := writeScript(t, real, "k9s", "#!/bin/sh\n")
	a := &App{Getenv: func(string) string { return "" }}

	t.Setenv("PATH", shim+string(os.PathListSeparator)+real)
	if got, err := a.findK9s(""); err != nil || got != realK9s {
		t.Errorf("PATH with the guard first: found %q, %v; want %s", got, err, realK9s)
	}
	t.Setenv("PATH", shim)
	if _, err := a.findK9s(""); err == nil || !strings.Contains(err.Error(), "the only k9s on PATH is k9s-guard itself ("+filepath.Join(shim, "k9s")+")") {
		t.Errorf("only the guard on PATH: %v", err)
	}
	if _, err := a.findK9s(filepath.Join(shim, "k9s")); err == nil || !strings.Contains(err.Error(), "is k9s-guard itself") {
		t.Errorf("--k9s pointing at the guard: %v", err)
	}
}

// TestNestedGuardLoopIsRefused stops the same loop through a wrapper
// script named k9s that runs k9s-guard: the guard it starts sees that its
// parent is a guard that meant to start K9s, or that guards are nested
// deeper than a person would go.
func TestNestedGuardLoopIsRefused(t *testing.T) {
	env := map[string]string{envGuardPID: strconv.Itoa(os.Getppid())}
	if err := checkNotNested(func(k string) string { return env[k] }, "/usr/local/bin/k9s"); err == nil || !strings.Contains(err.Error(), "/usr/local/bin/k9s runs k9s-guard again") {
		t.Errorf("started by the guard itself: %v", err)
	}
	env = map[string]string{envGuardPID: "1", envGuardDepth: "3"}
	if err := checkNotNested(func(k string) string { return env[k] }, "k9s"); err == nil || !strings.Contains(err.Error(), "nested 4 deep") {
		t.Errorf("nested deep: %v", err)
	}
	// By hand, from a shell inside a guarded K9s: allowed.
	env = map[string]string{envGuardPID: "1", envGuardDepth: "1"}
	if err := checkNotNested(func(k string) string { return env[k] }, "k9s"); err != nil {
		t.Errorf("a guard started from a K9s shell was refused: %v", err)
	}
	next := nestedEnv(func(k string) string { return env[k] })
	if next[0] != envGuardPID+"="+strconv.Itoa(os.Getpid()) || next[1] != envGuardDepth+"=2" {
		t.Errorf("nestedEnv = %v", next)
	}
}
