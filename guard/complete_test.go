package guard

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestParseCompletions(t *testing.T) {
	c, d, err := parseCompletions("dev\tcluster dev\nprod\n:4\n")
	if err != nil || d != cobra.ShellCompDirectiveNoFileComp || !slices.Equal(c, []string{"dev\tcluster dev", "prod"}) {
		t.Errorf("got %q %d %v", c, d, err)
	}
	for _, bad := range []string{"", "dev\n", "dev\n:x\n"} {
		if _, _, err := parseCompletions(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestMergeCompletions(t *testing.T) {
	own := []string{"--help\thelp for k9s-guard", "--profile\tprofile file"}
	theirs := []string{"--context\tcontext", "--help\thelp for k9s", "--profile\tnot K9s's"}
	want := []string{"--help\thelp for k9s-guard", "--profile\tprofile file", "--context\tcontext"}
	if got := mergeCompletions(own, theirs); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSplitOwnFlags(t *testing.T) {
	for _, tc := range []struct {
		prev             []string
		k9s              []string
		k9sPath, pending string
	}{
		{nil, nil, "", ""},
		{[]string{"--context", "prod", "--profile", "p.yaml", "-n"}, []string{"--context", "prod", "-n"}, "", ""},
		{[]string{"--k9s=/opt/k9s", "--readonly"}, []string{"--readonly"}, "/opt/k9s", ""},
		{[]string{"--k9s", "/opt/k9s", "--profile"}, nil, "/opt/k9s", "--profile"},
		{[]string{"--", "--profile", "x"}, []string{"--", "--profile", "x"}, "", ""},
	} {
		k9s, path, pending := splitOwnFlags(tc.prev)
		if !slices.Equal(k9s, tc.k9s) || path != tc.k9sPath || pending != tc.pending {
			t.Errorf("splitOwnFlags(%q) = %q, %q, %q", tc.prev, k9s, path, pending)
		}
	}
}

// fakeCompletingK9s stands in for K9s's side of the protocol (the real K9s
// is driven by the testbed): it logs its arguments and answers fixed lines.
func fakeCompletingK9s(t *testing.T, answer string) (path, argLog string) {
	t.Helper()
	dir := t.TempDir()
	argLog = filepath.Join(dir, "args")
	path = writeScript(t, dir, "k9s", "#!/bin/sh\nprintf '%s\\n' \"$@\" > "+argLog+"\nprintf '%b' '"+answer+"'\n")
	return path, argLog
}

func completeLines(t *testing.T, h *initHarness, args ...string) []string {
	t.Helper()
	if code := h.run(append([]string{cobra.ShellCompRequestCmd}, args...)...); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	return strings.Split(strings.TrimSuffix(h.stdout.String(), "\n"), "\n")
}

func values(lines []string) []string {
	var out []string
	for _, l := range lines {
		v, _, _ := strings.Cut(l, "\t")
		out = append(out, v)
	}
	return out
}

// K9s completes its own flags and values; the guard adds its own flags and
// subcommands and takes its flags out of what K9s is asked.
func TestCompleteMergesK9s(t *testing.T) {
	h := newInitHarness(t)
	k9s, argLog := fakeCompletingK9s(t, `--context\tThe name of the kubeconfig context to use\n--help\thelp for k9s\n:4\n`)
	h.env["K9S_GUARD_K9S"] = k9s

	got := completeLines(t, h, "--")
	want := []string{"--help", "--k9s", "--profile", "--version", "--context", ":4"}
	if !slices.Equal(values(got), want) {
		t.Errorf("--<Tab>: %q, want %q", values(got), want)
	}

	// The guard's flags are taken out of what K9s sees; --k9s picks the K9s.
	other, otherLog := fakeCompletingK9s(t, `dev\nprod\n:4\n`)
	got = completeLines(t, h, "--profile", "p.yaml", "--k9s", other, "--context", "")
	if !slices.Equal(got, []string{"dev", "prod", ":4"}) {
		t.Errorf("--context <Tab>: %q", got)
	}
	args, _ := os.ReadFile(otherLog)
	if string(args) != "__complete\n--context\n\n" {
		t.Errorf("K9s was asked %q", args)
	}
	if _, err := os.Stat(argLog); err != nil {
		t.Errorf("the K9s from K9S_GUARD_K9S was not asked: %v", err)
	}

	// After other words, help and version are K9s's words, not the guard's.
	got = completeLines(t, h, "--context", "prod", "--")
	if want := []string{"--k9s", "--profile", "--context", "--help", ":4"}; !slices.Equal(values(got), want) {
		t.Errorf("later --<Tab>: %q, want %q", values(got), want)
	}
}

// Without K9s, the guard's own flags and subcommands are still offered,
// and a K9s flag's value completes nothing rather than file names.
func TestCompleteWithoutK9s(t *testing.T) {
	h := newInitHarness(t)
	h.env["K9S_GUARD_K9S"] = filepath.Join(t.TempDir(), "no-k9s")
	got := values(completeLines(t, h, ""))
	for _, want := range []string{"audit", "doctor", "otp", "version", "completion", "help"} {
		if !slices.Contains(got, want) {
			t.Errorf("<Tab>: %q lacks %s", got, want)
		}
	}
	if got[len(got)-1] != ":4" {
		t.Errorf("directive %s, want :4", got[len(got)-1])
	}
	if got := completeLines(t, h, "--context", ""); !slices.Equal(got, []string{":4"}) {
		t.Errorf("--context <Tab> without K9s: %q", got)
	}
	// No descriptions when the shell asks for none.
	if code := h.run(cobra.ShellCompNoDescRequestCmd, "--p"); code != 0 || h.stdout.String() != "--profile\n:4\n" {
		t.Errorf("no-desc: exit %d, %q", code, h.stdout.String())
	}
}

// The guard's own flag values and subcommands complete as cobra does.
func TestCompleteOwnParts(t *testing.T) {
	h := newInitHarness(t)
	h.env["K9S_GUARD_K9S"] = filepath.Join(t.TempDir(), "no-k9s")
	if got := completeLines(t, h, "--profile", ""); got[len(got)-1] != ":0" {
		t.Errorf("--profile <Tab>: %q, want file completion (:0)", got)
	}
	got := values(completeLines(t, h, "otp", ""))
	if !slices.Contains(got, "enroll") || !slices.Contains(got, "status") {
		t.Errorf("otp <Tab>: %q", got)
	}
}
