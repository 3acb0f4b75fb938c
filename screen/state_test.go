package screen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixtures are real K9s v0.50.16 screens (120x40) captured through
// k9s-guard by the end-to-end test TestShadowReadsRealK9sScreens
// (-update-screens rewrites them).
func TestParseRealScreens(t *testing.T) {
	for _, tc := range []struct {
		file     string
		context  string
		resource string
		ns       string
		mode     Mode
	}{
		{"pods", "dev", "pods", "shop", ModeNormal},
		{"prompt", "dev", "pods", "shop", ModePrompt},
		{"prompt-typed", "dev", "pods", "shop", ModePrompt},
		{"deployments", "dev", "deployments", "shop", ModeNormal},
		{"filter", "dev", "deployments", "shop", ModeFilter},
		{"filter-typed", "dev", "deployments", "shop", ModeFilter},
		{"filtered", "dev", "deployments", "shop", ModeNormal},
		{"delete-dialog", "dev", "deployments", "shop", ModeDialog},
		{"dialog-cancelled", "dev", "deployments", "shop", ModeNormal},
		{"contexts", "dev", "contexts", "all", ModeNormal},
		{"secrets-denied", "dev", "contexts", "all", ModeDialog}, // listing failed: the view stays
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			st := Parse(strings.Split(string(b), "\n"))
			if !st.Known || st.Context != tc.context || st.Resource != tc.resource || st.Namespace != tc.ns || st.Mode != tc.mode {
				t.Errorf("got %+v, want context=%s resource=%s ns=%s mode=%s", st, tc.context, tc.resource, tc.ns, tc.mode)
			}
			if st.Cluster != "testbed" {
				t.Errorf("cluster %q", st.Cluster)
			}
		})
	}
}

func TestParseCrumbsAndCount(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "pods.txt"))
	if err != nil {
		t.Fatal(err)
	}
	st := Parse(strings.Split(string(b), "\n"))
	if st.Count != 4 || len(st.Crumbs) != 1 || st.Crumbs[0] != "pod" || st.User != "viewer" {
		t.Errorf("got %+v", st)
	}
}

func TestParseUnknownScreen(t *testing.T) {
	for _, text := range []string{"", "$ ls\nfoo bar\n", strings.Repeat("\n", 40)} {
		if st := Parse(strings.Split(text, "\n")); st.Known || st.Mode != ModeUnknown {
			t.Errorf("%q: got %+v, want unknown", text, st)
		}
	}
}

// A table row that happens to contain "Context:" or a box-drawing glyph must
// not be read as the header or a prompt.
func TestParseIgnoresLookalikeRows(t *testing.T) {
	b, _ := os.ReadFile(filepath.Join("testdata", "pods.txt"))
	lines := strings.Split(string(b), "\n")
	lines[10] = "│ Context: evil                 ●        0/1         Pending       │"
	st := Parse(lines)
	if st.Context != "dev" {
		t.Errorf("context %q, want dev", st.Context)
	}
}

// A dialog drawn over a filled table: its top border follows a row's
// cells, not only spaces (issue 12, item 2: at 45 rows sanitize's typed
// confirmation was read as commands).
func TestParseDialogOverAFilledRow(t *testing.T) {
	b, _ := os.ReadFile(filepath.Join("testdata", "delete-dialog.txt"))
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.Contains(l, "<Delete>") {
			lines[i] = "│ web-5cbbf99d94-hq ●  0/1 Pe┌─────────────────<Delete>─────────────────┐ n/a      n/a     3s                       │"
		}
	}
	if st := Parse(lines); st.Mode != ModeDialog {
		t.Errorf("mode %s, want dialog", st.Mode)
	}
	// A view's filter in its title is not a dialog.
	if st := Parse(strings.Split("┌──── deployments(shop)[1] </web> ────┐\n│ web │\n└─────┘", "\n")); st.Mode == ModeDialog {
		t.Errorf("a filtered title read as a dialog")
	}
}

func TestParseReadOnlyLock(t *testing.T) {
	b, _ := os.ReadFile(filepath.Join("testdata", "pods.txt"))
	lines := strings.Split(string(b), "\n")
	if st := Parse(lines); !st.ReadOnlyKnown || st.ReadOnly {
		t.Errorf("[RW]: got %+v", st)
	}
	lines[0] = strings.Replace(lines[0], "dev [RW]", "dev [R] ", 1)
	if st := Parse(lines); !st.ReadOnlyKnown || !st.ReadOnly || st.Context != "dev" {
		t.Errorf("[R]: got %+v", st)
	}
}
