package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

var (
	testCluster *cluster.Cluster
	guardBin    string // the k9s-guard binary under test
	k9sBin      string // the pinned K9s
	toolsDir    string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if toolsDir, err = findTools(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	k9sBin = filepath.Join(toolsDir, "k9s")
	tmp, err := os.MkdirTemp("", "k9s-guard-e2e-")
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
	testCluster, err = cluster.Start(context.Background(), cluster.Options{BinDir: toolsDir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer testCluster.Stop()
	return m.Run()
}

func findTools() (string, error) {
	if d := os.Getenv("K9S_GUARD_TOOLS"); d != "" {
		return d, nil
	}
	d, err := filepath.Abs(filepath.Join("..", "..", ".tools", "bin"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(d, "k9s")); err != nil {
		return "", fmt.Errorf("pinned K9s missing in %s: run `make tools`", d)
	}
	return d, nil
}

// userEnv is a clean environment for one simulated user: a private HOME and
// XDG folders (so K9s and k9s-guard read no config of the machine's), the
// testbed kubeconfig, and the tools folder first on PATH (kubectl).
func userEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"PATH=" + toolsDir + ":" + os.Getenv("PATH"),
		"TERM=xterm-256color",
		"LANG=C.UTF-8",
		"KUBECONFIG=" + testCluster.Kubeconfig,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"K9S_GUARD_K9S=" + k9sBin,
	}
	// K9s must not look for a newer release over the network in tests.
	k9sCfg := filepath.Join(home, ".config", "k9s")
	if err := os.MkdirAll(k9sCfg, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(k9sCfg, "config.yaml"), []byte("k9s:\n  skipLatestRevCheck: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return append(env, extra...)
}

// startGuard runs k9s-guard with K9s arguments in a fresh pty.
func startGuard(t *testing.T, env []string, cols, rows int, args ...string) *Term {
	t.Helper()
	term, err := Start(guardBin, args, Options{Cols: cols, Rows: rows, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeTree(t, term) })
	return term
}

// closeTree ends the program under term and every process below it, and
// waits until they are gone (Term.CloseTree).
func closeTree(t *testing.T, term *Term) {
	t.Helper()
	if err := term.CloseTree(); err != nil {
		t.Error(err)
	}
}

// childPID returns the pid of the first child of pid (K9s under k9s-guard).
func childPID(t *testing.T, pid int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.Atoi(f[0])
			return n
		}
		// Children may hang off another thread of the Go process.
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		for _, task := range tasks {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
			if f := strings.Fields(string(b)); len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
		time.Sleep(20 * time.Millisecond) // polling /proc with a deadline
	}
	t.Fatalf("no child process of %d", pid)
	return 0
}

type clusterClient struct {
	t  *testing.T
	cs *kubernetes.Clientset
}
