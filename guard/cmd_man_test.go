package guard

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// visibleCommands walks the same tree the program builds, the way --help
// shows it: every command a user can type, except cobra's help.
func visibleCommands(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() && sub.Name() != "help" {
			out = append(out, sub)
			out = append(out, visibleCommands(sub)...)
		}
	}
	return out
}

// renderMan formats roff as a terminal would show it, and fails on any
// groff warning (a malformed page shows garbage in `man`).
func renderMan(t *testing.T, roff []byte) string {
	t.Helper()
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff is not installed; cannot render the page")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-rLL=200n")
	cmd.Stdin = bytes.NewReader(roff)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = []string{"LANG=C.UTF-8", "PATH=/usr/bin:/bin"}
	if err := cmd.Run(); err != nil {
		t.Fatalf("groff: %v\n%s", err, errb.String())
	}
	if errb.Len() > 0 {
		t.Errorf("groff warnings:\n%s", errb.String())
	}
	// Drop overstrike bold/underline and SGR sequences.
	text := regexp.MustCompile(`.\x08|\x1b\[[0-9;]*m`).ReplaceAllString(out.String(), "")
	return text
}

// TestManPageCoversEveryCommand: the page is built from the command tree,
// so each command, each of its flags and each example line must be in it,
// and it must render without a groff warning.
func TestManPageCoversEveryCommand(t *testing.T) {
	h := newInitHarness(t)
	h.env["SOURCE_DATE_EPOCH"] = "1767225600" // 2026-01-01
	if code := h.run("man"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	roff := h.stdout.Bytes()
	if !bytes.HasPrefix(roff, []byte(".nh\n.TH \"K9S-GUARD\" \"1\" \"2026-01-01\"")) {
		t.Fatalf("page does not start with the title line:\n%.300s", roff)
	}
	page := renderMan(t, roff)
	squash := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	flat := squash(page)
	for _, section := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "ENVIRONMENT", "FILES", "EXIT STATUS", "SEE ALSO"} {
		if !regexp.MustCompile(`(?m)^` + section + `$`).MatchString(page) {
			t.Errorf("no %s section", section)
		}
	}
	root := h.app.rootCommand()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	cmds := visibleCommands(root)
	if len(cmds) < 10 {
		t.Fatalf("only %d commands in the tree; the walk is wrong", len(cmds))
	}
	for _, c := range cmds {
		if !regexp.MustCompile(`(?m)^ *` + regexp.QuoteMeta(c.CommandPath()) + `$`).MatchString(page) {
			t.Errorf("no subsection for %q", c.CommandPath())
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && f.Name != "help" && !strings.Contains(flat, "--"+f.Name) {
				t.Errorf("%s: flag --%s missing", c.CommandPath(), f.Name)
			}
		})
		for _, l := range strings.Split(c.Example, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.Contains(flat, squash(l)) {
				t.Errorf("%s: example line %q missing", c.CommandPath(), l)
			}
		}
	}
	// The man command itself is for packagers, and cobra's own help
	// command is not a k9s-guard feature.
	for _, hidden := range []string{"k9s-guard man", "k9s-guard help"} {
		if regexp.MustCompile(`(?m)^ *` + hidden + `( |$)`).MatchString(page) {
			t.Errorf("page documents %q", hidden)
		}
	}
	if !strings.Contains(flat, "NO_COLOR") || !strings.Contains(flat, "K9S_GUARD_PROFILE") {
		t.Error("environment section incomplete")
	}
}

// TestManIsHiddenAndDated: `man` is not in --help, and its date comes from
// SOURCE_DATE_EPOCH so release builds are reproducible.
func TestManIsHiddenAndDated(t *testing.T) {
	h := newInitHarness(t)
	if code := h.run("--help"); code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	if regexp.MustCompile(`(?m)^\s+man\s`).MatchString(h.stdout.String()) {
		t.Errorf("--help lists the hidden man command:\n%s", h.stdout.String())
	}
	if code := h.run("man"); code != 0 {
		t.Fatalf("man: exit %d", code)
	}
	if !strings.Contains(h.stdout.String(), `"2026-03-04"`) { // the harness clock
		t.Errorf("undated page without SOURCE_DATE_EPOCH:\n%.200s", h.stdout.String())
	}
	h.env["SOURCE_DATE_EPOCH"] = "yesterday"
	if code := h.run("man"); code != 2 {
		t.Errorf("bad SOURCE_DATE_EPOCH: exit %d, want 2", code)
	}
	if code := h.run("man", "extra"); code != 2 {
		t.Errorf("man extra: exit %d, want 2", code)
	}
}

// TestCompletionReachesCobra: `completion SHELL` prints cobra's script, and
// the hidden __complete command the scripts call on every Tab answers,
// rather than either being taken for a K9s command line (which would start
// K9s from inside the user's shell completion).
func TestCompletionReachesCobra(t *testing.T) {
	h := newInitHarness(t)
	h.env["K9S_GUARD_K9S"] = "/nonexistent/k9s" // a launch would fail loudly
	for shell, marker := range map[string]string{
		"bash": "__start_k9s-guard",
		"zsh":  "#compdef k9s-guard",
		"fish": "complete -c k9s-guard",
	} {
		if code := h.run("completion", shell); code != 0 || !strings.Contains(h.stdout.String(), marker) {
			t.Errorf("completion %s: exit %d, no %q in output; stderr: %s", shell, code, marker, h.stderr.String())
		}
	}
	for _, req := range []string{cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd} {
		if code := h.run(req, "otp", ""); code != 0 {
			t.Errorf("%s otp '': exit %d; stderr: %s", req, code, h.stderr.String())
			continue
		}
		for _, sub := range []string{"enroll", "import", "status"} {
			if !strings.Contains(h.stdout.String(), sub) {
				t.Errorf("%s otp '': no %q in %q", req, sub, h.stdout.String())
			}
		}
	}
}
