package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ownKubeconfig copies the test bed's kubeconfig, adds an unprotected
// context "scratch" on the same server, and returns the copy's path: this
// test edits it, which no other test may see.
func ownKubeconfig(t *testing.T) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(testCluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dev := cfg.Contexts["dev"]
	cfg.Contexts["scratch"] = &clientcmdapi.Context{Cluster: dev.Cluster, AuthInfo: dev.AuthInfo, Namespace: "shop"}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func hasContext(t *testing.T, path, name string) bool {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, ok := cfg.Contexts[name]
	return ok
}

// contextCount is the number of contexts in the kubeconfig at path.
func contextCount(t *testing.T, path string) int {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(cfg.Contexts)
}

// deleteContextInK9s filters K9s's :ctx view down to one context, presses
// Ctrl-D and confirms K9s's own dialog (focus starts on Cancel).
func deleteContextInK9s(t *testing.T, term *Term, name string) {
	t.Helper()
	if err := term.Type("/" + name + "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the filtered context list", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "contexts") && strings.Contains(s, name) && !strings.Contains(s, " admin ")
	}); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	pressOK(t, term)
}

// TestContextDeleteInK9sIsWrittenThroughOrRefused stops this loss: K9s's
// `:ctx` delete edited only the session kubeconfig, so the context came
// back in the next session while K9s had said it was deleted. An
// unprotected context's delete now reaches the user's kubeconfig; deleting
// a protected one asks for a step-up, and Esc puts it back, with a notice.
//
// From prod, Ctrl-D used to prompt under the rule of the context K9s was
// in, naming "shop/scratch" (the row's NAMESPACE column), and the edit of
// a protected context then asked a second time. The key now goes to K9s,
// from any context; the edit asks under the rule of the context edited,
// once: none for the unprotected scratch, one naming prod for prod.
func TestContextDeleteInK9sIsWrittenThroughOrRefused(t *testing.T) {
	for _, from := range []string{"dev", "prod"} {
		t.Run("from "+from, func(t *testing.T) {
			kc := ownKubeconfig(t)
			env := guardedEnv(t, protectedProfile+"  scratch:\n    protected: false\n", "KUBECONFIG="+kc)
			term := startGuard(t, env, 140, 40, "--context", from, "-c", "ctx")
			if err := term.WaitText("scratch", startTimeout); err != nil {
				t.Fatal(err)
			}

			deleteContextInK9s(t, term, "scratch")
			if err := term.WaitText("delete context scratch: written to your kubeconfig", 15*time.Second); err != nil {
				t.Fatal(err)
			}
			if hasContext(t, kc, "scratch") {
				t.Fatal("the notice says written, but the user's kubeconfig still has scratch")
			}
			if n := len(auditLines(t, env, `"stepup.prompt"`)); n != 0 {
				t.Errorf("deleting the unprotected scratch prompted %d times", n)
			}

			if err := term.Type("\x1b"); err != nil { // leave the filter
				t.Fatal(err)
			}
			if err := term.WaitFor("the whole context list", 15*time.Second, func(s string) bool {
				return strings.Contains(s, "prod") && strings.Contains(s, "admin")
			}); err != nil {
				t.Fatal(err)
			}
			deleteContextInK9s(t, term, "prod")
			waitOverlay(t, term)
			for _, l := range term.Lines() {
				if strings.Contains(l, "Action ") && !strings.Contains(l, "Action    delete context prod ") {
					t.Errorf("the prompt does not name the context prod alone (%q):\n%s", strings.TrimSpace(l), term.Screen())
				}
			}
			if err := term.Type("\x1b"); err != nil {
				t.Fatal(err)
			}
			if err := term.WaitText("delete context prod not done: no step-up", 15*time.Second); err != nil {
				t.Fatal(err)
			}
			if !hasContext(t, kc, "prod") {
				t.Fatal("a refused delete of prod reached the user's kubeconfig")
			}
			if n := len(auditLines(t, env, `"stepup.prompt"`)); n != 1 {
				t.Errorf("deleting prod prompted %d times, want once", n)
			}
			if err := term.WaitFor("K9s to show prod again", 20*time.Second, func(string) bool {
				for _, l := range term.Lines() {
					if f := strings.Fields(strings.Trim(l, "│ ")); len(f) > 0 && strings.TrimSuffix(f[0], "(*)") == "prod" {
						return true
					}
				}
				return false
			}); err != nil {
				t.Log("K9s did not redraw prod (its list refreshes on its own schedule):", err)
			}
		})
	}
}

// renameContextInK9s filters K9s's :ctx view down to one context, opens
// its rename form (r), appends suffix to the name and presses OK.
func renameContextInK9s(t *testing.T, term *Term, name, suffix string) {
	t.Helper()
	if err := term.Type("/" + name + "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the filtered context list", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "</"+name+">") && !strings.Contains(s, " admin ")
	}); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("New name: "+name, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type(suffix); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("New name: "+name+suffix, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// Enter leaves the field for OK; Enter again presses it.
	focusedBg := -1
	if err := term.Type("\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the focus on OK", 10*time.Second, func(string) bool {
		focusedBg = buttonBg(term, "OK")
		return focusedBg >= 0 && focusedBg != buttonBg(term, "Cancel")
	}); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\r"); err != nil {
		t.Fatal(err)
	}
}

// TestContextRenameInK9sIsWrittenThroughOrRefused stops the same loss for
// a rename, and a quieter hole: renaming prod to a name the profile does
// not protect would have left it unguarded from the next session on. An
// unprotected context's rename reaches the user's kubeconfig; prod's is
// refused with a notice that says why, and the kubeconfig keeps prod.
func TestContextRenameInK9sIsWrittenThroughOrRefused(t *testing.T) {
	kc := ownKubeconfig(t)
	env := guardedEnv(t, protectedProfile+"  scratch:\n    protected: false\n", "KUBECONFIG="+kc)
	term := startGuard(t, env, 140, 40, "--context", "dev", "-c", "ctx")
	if err := term.WaitText("scratch", startTimeout); err != nil {
		t.Fatal(err)
	}
	renameContextInK9s(t, term, "scratch", "-2")
	if err := term.WaitText("rename context scratch to scratch-2: written to your kubeconfig", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if hasContext(t, kc, "scratch") || !hasContext(t, kc, "scratch-2") {
		t.Fatal("the user's kubeconfig does not have the rename")
	}

	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the whole context list", 15*time.Second, func(s string) bool {
		return strings.Contains(s, fmt.Sprintf("contexts(all)[%d]", contextCount(t, kc)))
	}); err != nil {
		t.Fatal(err)
	}
	renameContextInK9s(t, term, "prod", "-2")
	if err := term.WaitText("rename context prod to prod-2 not done: the profile protects prod by name", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if !hasContext(t, kc, "prod") || hasContext(t, kc, "prod-2") {
		t.Fatal("the refused rename reached the user's kubeconfig")
	}
}
