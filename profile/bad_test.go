package profile

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBadProfiles loads every testdata/bad/NAME.yaml and checks that it is
// refused with the located error in NAME.err: "line:col: key.path: message"
// (message may be a prefix of the real one).
func TestBadProfiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d broken profiles in the corpus, want at least 30", len(files))
	}
	located := regexp.MustCompile(`^testdata/bad/[a-z0-9-]+\.yaml:[0-9]+:[0-9]+: `)
	// Problems with the file as a whole have no key to point at.
	wholeFile := map[string]bool{"empty": true, "top-level-list": true, "two-documents": true}
	withPath := 0
	defer func() {
		if withPath < 30 {
			t.Errorf("only %d cases name a key path, want at least 30", withPath)
		}
	}()
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(f, ".yaml") + ".err")
			if err != nil {
				t.Fatalf("missing expectation: %v", err)
			}
			expect := strings.TrimSpace(string(want))
			_, err = Load(f)
			if err == nil {
				t.Fatal("loaded without error")
			}
			first := strings.Split(err.Error(), "\n")[0]
			if !located.MatchString(first) {
				t.Errorf("error is not located as file:line:col: %q", first)
			}
			if !strings.HasPrefix(first, f+":"+expect) {
				t.Errorf("error\n  %s\nwant prefix\n  %s:%s", first, f, expect)
			}
			// Everything but YAML syntax errors and whole-file problems
			// names the key path.
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is %T, not *profile.Error", err)
			}
			switch {
			case pe.Path != "":
				withPath++
			case strings.HasPrefix(pe.Msg, "yaml: "), wholeFile[name]:
			default:
				t.Errorf("error has no key path: %v", pe)
			}
		})
	}
}

// Attack (information leak): a user who pastes an otpauth URI or a token
// into the profile by mistake must not see it copied into an error that
// may end up in a terminal scrollback or a bug report, beyond the value
// the error is about.
func TestSyntaxErrorsDoNotQuoteSource(t *testing.T) {
	_, err := Parse("p.yaml", []byte("version: 1\nsecret: JBSWY3DPEHPK3PXP\ncontexts: [\n"))
	if err == nil || strings.Contains(err.Error(), "JBSWY3DPEHPK3PXP") {
		t.Errorf("err = %v", err)
	}
}
