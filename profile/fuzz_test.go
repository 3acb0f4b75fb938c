package profile

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// FuzzParse shows that no input makes the loader panic or hang, and that
// every refusal is a located *Error.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/bad/*.yaml", "testdata/good/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("version: 1\nx: &a [*a]\n"))
	f.Add([]byte("version: 1\ncontexts:\n  \"[\": {}\n"))
	located := regexp.MustCompile(`^fuzz\.yaml:[0-9]+:[0-9]+: `)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || !located.MatchString(err.Error()) {
				t.Fatalf("unlocated error %T: %v", err, err)
			}
			return
		}
		// Whatever loads must resolve without panicking, too.
		for name := range p.Contexts {
			pol := p.For(name)
			if pol.Protected && pol.Elevation.Kind == "" {
				t.Fatalf("protected context %q loaded without elevation", name)
			}
			_ = pol.Requires("delete")
		}
	})
}
