package profile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A missing file named by K9S_GUARD_PROFILE is an error that names the
// variable: the user may have forgotten it is set.
func TestOpenMissingEnvProfileNamesTheVariable(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone.yaml")
	getenv := func(k string) string {
		if k == EnvProfile {
			return missing
		}
		return ""
	}
	_, err := Open("", getenv)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if msg := err.Error(); !strings.Contains(msg, EnvProfile) || !strings.Contains(msg, missing) {
		t.Errorf("error %q names neither %s nor the file", msg, EnvProfile)
	}
	// The flag wins over the variable, and its error does not blame it.
	_, err = Open(missing, getenv)
	if err == nil || strings.Contains(err.Error(), EnvProfile) {
		t.Errorf("--profile error %v", err)
	}
}

// Every error Open returns is a *LoadError, so that every command can
// treat a bad profile as the usage error it is; the located errors stay
// reachable inside it.
func TestOpenErrorsAreLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nbogus: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	none := func(string) string { return "" }
	for _, path := range []string{bad, filepath.Join(dir, "missing.yaml")} {
		_, err := Open(path, none)
		var le *LoadError
		if !errors.As(err, &le) {
			t.Errorf("Open(%s): %T %v, want a *LoadError", path, err, err)
		}
	}
	_, err := Open(bad, none)
	var located *Error
	if !errors.As(err, &located) || located.Line != 2 {
		t.Errorf("located error lost: %#v", err)
	}
}
