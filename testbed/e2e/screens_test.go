package e2e

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k9s-guard/k9s-guard/screen"
)

var updateScreens = flag.Bool("update-screens", false, "write the captured K9s screens to ../../screen/testdata")

// TestShadowReadsRealK9sScreens drives the real K9s through k9s-guard into
// the states the key watcher must recognise, checks that the shadow-screen
// readers read each one right, and (with -update-screens) saves the screens
// as fixtures for the screen package's unit tests.
func TestShadowReadsRealK9sScreens(t *testing.T) {
	term := startGuard(t, userEnv(t), 120, 40, "--context", "dev", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	type step struct {
		name  string
		keys  []string
		ready func(string) bool
		want  func(screen.State) bool
	}
	steps := []step{
		{"pods", nil, func(s string) bool { return strings.Contains(s, "web-") },
			func(st screen.State) bool {
				return st.Context == "dev" && st.Resource == "pods" && st.Namespace == "shop" && st.Mode == screen.ModeNormal
			}},
		{"prompt", []string{":"}, func(s string) bool { return strings.Contains(s, ">") },
			func(st screen.State) bool { return st.Mode == screen.ModePrompt }},
		{"prompt-typed", []string{"dep"}, func(s string) bool { return strings.Contains(s, "dep") },
			func(st screen.State) bool { return st.Mode == screen.ModePrompt }},
		{"deployments", []string{"\x15", "deploy", "\r"}, func(s string) bool { return strings.Contains(strings.ToLower(s), "deployments(shop)") },
			func(st screen.State) bool { return st.Resource == "deployments" && st.Mode == screen.ModeNormal }},
		{"filter", []string{"/"}, func(s string) bool { return strings.Contains(s, ">") },
			func(st screen.State) bool { return st.Mode == screen.ModeFilter }},
		{"filter-typed", []string{"web"}, func(s string) bool { return strings.Contains(s, "web") },
			func(st screen.State) bool { return st.Mode == screen.ModeFilter }},
		{"filtered", []string{"\r"}, func(s string) bool { return !strings.Contains(s, "cart") },
			func(st screen.State) bool { return st.Resource == "deployments" && st.Mode == screen.ModeNormal }},
		{"delete-dialog", []string{"\x04"}, func(s string) bool { return strings.Contains(s, "Cancel") },
			func(st screen.State) bool { return st.Mode == screen.ModeDialog }},
		{"dialog-cancelled", []string{"\x1b"}, func(s string) bool { return !strings.Contains(s, "Cancel") },
			func(st screen.State) bool { return st.Mode == screen.ModeNormal }},
		{"contexts", []string{":ctx\r"}, func(s string) bool {
			return strings.Contains(strings.ToLower(s), "contexts") && strings.Contains(s, "prod")
		},
			func(st screen.State) bool { return st.Resource == "contexts" }},
		// The viewer may not list secrets: K9s shows its error dialog.
		{"secrets-denied", []string{":secrets\r"}, func(s string) bool { return strings.Contains(s, "access denied") },
			func(st screen.State) bool { return st.Mode == screen.ModeDialog }},
	}
	for _, s := range steps {
		if err := term.Type(s.keys...); err != nil {
			t.Fatal(err)
		}
		if err := term.WaitFor(s.name, 15*time.Second, s.ready); err != nil {
			t.Fatal(err)
		}
		// The screen may still be mid-redraw: poll until the reader agrees,
		// and report the last reading if it never does.
		var st screen.State
		ok := term.WaitFor(s.name+" parsed", 15*time.Second, func(text string) bool {
			st = screen.Parse(strings.Split(text, "\n"))
			return s.want(st)
		}) == nil
		if *updateScreens {
			dir := filepath.Join("..", "..", "screen", "testdata")
			_ = os.MkdirAll(dir, 0o755)
			if err := os.WriteFile(filepath.Join(dir, s.name+".txt"), []byte(term.Screen()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if !ok {
			t.Errorf("%s: parsed %+v from:\n%s", s.name, st, term.Screen())
		}
	}
}
