package guard

import (
	"context"
	"strings"
	"testing"
)

// Usage errors exit 2 in every command, whether cobra or k9s-guard found
// the mistake, and a profile that does not load is one of them.
func TestUsageErrorsExit2(t *testing.T) {
	h := newInitHarness(t)
	bad := h.write(t, "bad.yaml", "version: 1\ncontexts:\n  prod:\n    window: 5\n")
	for _, args := range [][]string{
		{"version", "extra"},
		{"version", "--bogus"},
		{"completion", "nosuch"},
		{"completion", "bash", "extra"},
		{"help", "nosuch"},
		{"doctor", "--profile", bad},
		{"otp", "status", "--profile", bad},
		{"audit", "--profile", bad},
		{"doctor", "--profile", h.dir + "/missing.yaml"},
		{"--profile"},
	} {
		code := h.run(args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d (stderr %q)", args, code, exitUsage, h.stderr.String())
		}
		if n := strings.Count(h.stderr.String(), "error:"); n != 1 {
			t.Errorf("%q: %d error lines, want 1: %q", args, n, h.stderr.String())
		}
	}
	// The same profile, when the commands are right, still loads nothing
	// bad: doctor's exit 2 above came from the profile, not the flags.
	if code := h.run("doctor", "--profile", bad); !strings.Contains(h.stderr.String(), "window") {
		t.Errorf("doctor with a bad profile: exit %d, stderr %q does not locate the problem", code, h.stderr.String())
	}
}

// The help advertises -v; it prints the version rather than reaching K9s,
// which has no -v.
func TestShortVersionFlag(t *testing.T) {
	h := newInitHarness(t)
	if code := h.run("--help"); code != 0 || !strings.Contains(h.stdout.String(), "-v, --version") {
		t.Fatalf("exit %d; help does not list -v: %s", code, h.stdout.String())
	}
	for _, flag := range []string{"-v", "--version"} {
		if code := h.run(flag); code != 0 || h.stdout.String() != "k9s-guard "+Version()+"\n" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", flag, code, h.stdout.String(), h.stderr.String())
		}
	}
}

// Well-formed commands still exit 0.
func TestOwnCommandsExit0(t *testing.T) {
	h := newInitHarness(t)
	h.env["K9S_GUARD_K9S"] = "/nonexistent/k9s"
	for _, args := range [][]string{{"help"}, {"help", "otp", "enroll"}, {"completion"}, {"completion", "fish"}, {"version"}} {
		if code := h.app.Run(context.Background(), args); code != 0 {
			t.Errorf("%q: exit %d: %s", args, code, h.stderr.String())
		}
	}
}
