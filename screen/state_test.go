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
