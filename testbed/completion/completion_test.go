package completion

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	guardBin string // the k9s-guard binary under test
	k9sBin   string // the pinned K9s
	missing  string // why the tests cannot run here, if they cannot
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	tools := os.Getenv("K9S_GUARD_TOOLS")
	if tools == "" {
		tools, _ = filepath.Abs(filepath.Join("..", "..", ".tools", "bin"))
	}
	k9sBin = filepath.Join(tools, "k9s")
	if _, err := os.Stat(k9sBin); err != nil {
		missing = fmt.Sprintf("the pinned K9s is missing at %s: run `make tools`", k9sBin)
		return m.Run()
	}
	tmp, err := os.MkdirTemp("", "k9s-guard-completion-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	guardBin = filepath.Join(tmp, "k9s-guard")
	build := exec.Command("go", "build", "-o", guardBin, ".")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build k9s-guard: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// need skips a test whose tools are missing, except in CI, where a
// missing tool is a broken machine and fails the test.
func need(t *testing.T, why string) {
	t.Helper()
	if why == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip("skipped: " + why)
}

// kubeconfig has two contexts; K9s completes --context from it. Nothing
// ever connects to the cluster.
const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u1
  user: {token: not-a-real-token}
contexts:
- name: alpha-ctx
  context: {cluster: c1, user: u1}
- name: beta-ctx
  context: {cluster: c1, user: u1}
current-context: alpha-ctx
`

// decoy is a file in the shell's working folder: offered, it means the
// shell fell back to completing file names.
const decoy = "decoy-file.txt"

// user is one simulated user: a private home, a kubeconfig, the folder the
// shell runs in, and k9s-guard on PATH.
type user struct {
	dir string
	env []string
}

func newUser(t *testing.T, k9s string) user {
	t.Helper()
	need(t, missing)
	home := t.TempDir()
	work := filepath.Join(home, "work")
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"kubeconfig": kubeconfig, filepath.Join("work", decoy): "x"} {
		if err := os.WriteFile(filepath.Join(home, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return user{dir: work, env: []string{
		"HOME=" + home,
		"PATH=" + filepath.Dir(guardBin) + ":" + os.Getenv("PATH"),
		"TERM=xterm",
		"LANG=C.UTF-8",
		"KUBECONFIG=" + filepath.Join(home, "kubeconfig"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"K9S_GUARD_K9S=" + k9s,
	}}
}

// script writes `k9s-guard completion <shell>` to a file.
func (u user) script(t *testing.T, shell string) string {
	t.Helper()
	cmd := exec.Command(guardBin, "completion", shell)
	cmd.Env = u.env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("completion %s: %v", shell, err)
	}
	p := filepath.Join(t.TempDir(), "k9s-guard."+shell)
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// shells run the generated script in each shell and return the candidates
// for a command line (which ends where the cursor is).
var shells = []struct {
	name     string
	needs    []string // files that must exist
	complete func(t *testing.T, u user, script, line string) []string
}{
	{"bash", []string{"/usr/share/bash-completion/bash_completion"}, func(t *testing.T, u user, script, line string) []string {
		// Cobra's bash script needs bash-completion, as in a real shell.
		prog := `source /usr/share/bash-completion/bash_completion
source "$COMP_SCRIPT"
read -ra COMP_WORDS <<< "$LINE"
[[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE=$LINE
COMP_POINT=${#LINE}
__start_k9s-guard 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"`
		return u.shell(t, []string{"--norc", "--noprofile", "-c", prog}, "bash", script, line)
	}},
	{"zsh", nil, func(t *testing.T, u user, script, line string) []string {
		capture, err := filepath.Abs("zsh_capture.zsh")
		if err != nil {
			t.Fatal(err)
		}
		return u.shell(t, []string{"-f", capture, line}, "zsh", script, line)
	}},
	{"fish", nil, func(t *testing.T, u user, script, line string) []string {
		return u.shell(t, []string{"--no-config", "-c", `source $COMP_SCRIPT; complete -C "$LINE"`}, "fish", script, line)
	}},
}

func (u user) shell(t *testing.T, args []string, shell, script, line string) []string {
	t.Helper()
	// A deadline so a shell that waits for ever fails the test rather than
	// hanging it; nothing is timed.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell, args...)
	cmd.Dir = u.dir
	cmd.Env = append(slices.Clone(u.env), "COMP_SCRIPT="+script, "LINE="+line)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s completing %q: %v\n%s", shell, line, err, stderr.String())
	}
	var cands []string
	for _, l := range strings.Split(string(out), "\n") {
		// fish prints "value<TAB>description"; bash may pad with spaces.
		if v, _, _ := strings.Cut(l, "\t"); strings.TrimSpace(v) != "" {
			cands = append(cands, strings.TrimSpace(v))
		}
	}
	return cands
}

// eachShell runs f in every shell, skipping (outside CI) one that is not
// installed.
func eachShell(t *testing.T, k9s string, f func(t *testing.T, shell string, complete func(line string) []string)) {
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			if _, err := exec.LookPath(sh.name); err != nil {
				need(t, fmt.Sprintf("%s is not installed", sh.name))
			}
			for _, f := range sh.needs {
				if _, err := os.Stat(f); errors.Is(err, os.ErrNotExist) {
					need(t, fmt.Sprintf("%s is missing (install bash-completion)", f))
				}
			}
			u := newUser(t, k9s)
			script := u.script(t, sh.name)
			f(t, sh.name, func(line string) []string { return sh.complete(t, u, script, line) })
		})
	}
}

func hasAll(got []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// `k9s-guard --context <Tab>` offers the kubeconfig's contexts, as K9s
// itself does, not file names.
func TestCompleteContext(t *testing.T) {
	eachShell(t, k9sBin, func(t *testing.T, shell string, complete func(string) []string) {
		got := complete("k9s-guard --context ")
		if !hasAll(got, "alpha-ctx", "beta-ctx") || slices.Contains(got, decoy) {
			t.Errorf("--context <Tab>: %q, want alpha-ctx and beta-ctx", got)
		}
		if got := complete("k9s-guard --profile p.yaml --context b"); !slices.Equal(got, []string{"beta-ctx"}) {
			t.Errorf("--context b<Tab> after a guard flag: %q, want beta-ctx", got)
		}
	})
}

// `k9s-guard --<Tab>` offers K9s's flags and k9s-guard's own; the first
// word offers both programs' subcommands.
func TestCompleteFlagsAndCommands(t *testing.T) {
	eachShell(t, k9sBin, func(t *testing.T, shell string, complete func(string) []string) {
		if got := complete("k9s-guard --"); !hasAll(got, "--profile", "--k9s", "--context", "--namespace", "--readonly") {
			t.Errorf("--<Tab>: %q", got)
		}
		if got := complete("k9s-guard "); !hasAll(got, "doctor", "otp", "version", "info") || slices.Contains(got, decoy) {
			t.Errorf("<Tab>: %q, want k9s-guard's commands and K9s's info", got)
		}
		// The guard's own flag still completes a file. (Bash leaves file
		// names to readline's fallback, which only an interactive bash
		// runs; the other two list them.)
		if got := complete("k9s-guard --profile "); shell != "bash" && !slices.Contains(got, decoy) {
			t.Errorf("--profile <Tab>: %q, want file names", got)
		}
	})
}

// Without K9s, completion still offers k9s-guard's own flags and commands.
func TestCompleteWithoutK9s(t *testing.T) {
	eachShell(t, "/nonexistent/k9s", func(t *testing.T, shell string, complete func(string) []string) {
		if got := complete("k9s-guard --"); !hasAll(got, "--profile", "--k9s") || slices.Contains(got, "--context") {
			t.Errorf("--<Tab> without K9s: %q", got)
		}
		if got := complete("k9s-guard d"); !slices.Equal(got, []string{"doctor"}) {
			t.Errorf("d<Tab> without K9s: %q", got)
		}
	})
}
