package guard

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInTestedRange(t *testing.T) {
	saved := testedK9s
	t.Cleanup(func() { testedK9s = saved })
	testedK9s = [2]string{"v0.50.16", "v0.51.2"}
	for v, want := range map[string]bool{
		"v0.50.16": true, "v0.51.0": true, "v0.51.2": true,
		"v0.50.15": false, "v0.51.3": false, "v1.0.0": false, "v0.9.99": false,
		"v0.50.16-rc.1": false, "v0.50.17-0.20261001-abcdef": false, "v0.50.16+dirty": false,
		"dev": false, "": false,
	} {
		if got := inTestedRange(v); got != want {
			t.Errorf("inTestedRange(%q) = %v, want %v", v, got, want)
		}
	}
}

// fakeVersionK9s is a K9s stand-in that only answers `version --short`
// (the real one is run by the testbed); it counts its runs in a file.
func fakeVersionK9s(t *testing.T, version string) (path, runs string) {
	t.Helper()
	dir := t.TempDir()
	runs = filepath.Join(dir, "runs")
	path = writeScript(t, dir, "k9s", "#!/bin/sh\necho run >> "+runs+"\necho 'Version:    "+version+"'\necho 'Commit:     abc'\n")
	return path, runs
}

func countRuns(t *testing.T, runs string) int {
	b, err := os.ReadFile(runs)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "run\n")
}

// An untested K9s gets one warning line naming both versions; the answer
// is cached by path, size and mtime, so the next launch knows at once
// without running K9s; a changed binary is asked again.
func TestK9sVersionWarningAndCache(t *testing.T) {
	k9s, runs := fakeVersionK9s(t, "v0.49.1")
	state := t.TempDir()
	a := &App{Getenv: func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return ""
	}}
	c := a.checkK9sVersion(context.Background(), k9s)
	if v, err := c.wait(); v != "v0.49.1" || err != nil {
		t.Fatalf("version %q, %v", v, err)
	}
	w := c.warning()
	if !strings.Contains(w, "v0.49.1") || !strings.Contains(w, testedK9s[0]) || !strings.Contains(w, k9s) || strings.Contains(w, "\n") {
		t.Errorf("warning %q", w)
	}
	if n := countRuns(t, runs); n != 1 {
		t.Fatalf("K9s ran %d times, want 1", n)
	}

	// From the cache: known before anything could run.
	c = a.checkK9sVersion(context.Background(), k9s)
	if c.warning() == "" {
		t.Error("second launch: no warning straight away; the cache was not used")
	}
	if n := countRuns(t, runs); n != 1 {
		t.Errorf("K9s ran %d times, want 1 (cached)", n)
	}

	// Another binary at the same path (an upgrade) is asked again.
	if err := os.WriteFile(k9s, []byte("#!/bin/sh\necho run >> "+runs+"\necho 'Version: "+testedK9s[0]+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c = a.checkK9sVersion(context.Background(), k9s)
	if v, _ := c.wait(); v != testedK9s[0] || c.warning() != "" {
		t.Errorf("upgraded: version %q, warning %q", v, c.warning())
	}
	if n := countRuns(t, runs); n != 2 {
		t.Errorf("K9s ran %d times, want 2", n)
	}
}

// A version that cannot be told is a warning too: the screen reader may
// not fit it either.
func TestK9sVersionUnknownWarns(t *testing.T) {
	k9s := writeScript(t, t.TempDir(), "k9s", "#!/bin/sh\nexit 3\n")
	a := &App{Getenv: func(string) string { return "" }}
	c := a.checkK9sVersion(context.Background(), k9s)
	if _, err := c.wait(); err == nil {
		t.Fatal("no error from a K9s that prints no version")
	}
	if w := c.warning(); !strings.Contains(w, "cannot tell the version of K9s at "+k9s) {
		t.Errorf("warning %q", w)
	}
}

// The go-installed K9s carries its version in its build info, read without
// running it. Any Go binary shows the path: this test binary is not K9s.
func TestBuildInfoVersionIsK9sOnly(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := buildInfoVersion(self); ok {
		t.Errorf("the test binary read as K9s %s", v)
	}
}

// `k9s-guard version` says when the K9s it would run is untested.
func TestVersionCommandSaysUntested(t *testing.T) {
	h := newInitHarness(t)
	k9s, _ := fakeVersionK9s(t, "v0.49.1")
	if code := h.run("version", "--k9s", k9s); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	if out := h.stdout.String(); !strings.Contains(out, "k9s       v0.49.1 ("+k9s+")\n") || !strings.Contains(out, "untested: k9s-guard is tested with K9s "+testedK9s[0]) {
		t.Errorf("version output:\n%s", out)
	}
	tested, _ := fakeVersionK9s(t, testedK9s[0])
	if code := h.run("version", "--k9s", tested); code != 0 || strings.Contains(h.stdout.String(), "untested") {
		t.Errorf("exit %d, tested K9s called untested:\n%s", code, h.stdout.String())
	}
}
