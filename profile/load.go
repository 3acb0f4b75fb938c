package profile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/k9s-guard/k9s-guard/internal/xdg"
)

// EnvProfile names the environment variable that points at a profile file.
const EnvProfile = "K9S_GUARD_PROFILE"

// maxProfileSize bounds what Parse reads; a real profile is a few KiB, and a
// cap keeps a mistaken `--profile /dev/zero` from eating memory.
const maxProfileSize = 1 << 20

// DefaultPath returns the profile path used when no --profile flag is
// given: $K9S_GUARD_PROFILE, else $XDG_CONFIG_HOME/k9s-guard/profile.yaml,
// else ~/.config/k9s-guard/profile.yaml. A relative XDG_CONFIG_HOME is
// ignored, as the XDG base directory specification requires. It is "" when
// there is no absolute home either: a profile is never looked for under
// the working directory.
func DefaultPath(getenv func(string) string) string {
	if p := getenv(EnvProfile); p != "" {
		return p
	}
	if d := xdg.ConfigHome(getenv); d != "" {
		return filepath.Join(d, "k9s-guard", "profile.yaml")
	}
	return ""
}

// Open loads the profile the user asked for. flagPath (from --profile) wins,
// then $K9S_GUARD_PROFILE, then the XDG default. A file named explicitly by
// the flag or the variable must exist; a missing default file is not an
// error and yields a profile that protects nothing, so that k9s-guard can
// stand in for k9s before anyone has run "k9s-guard init".
//
// Every error Open returns is a *LoadError.
func Open(flagPath string, getenv func(string) string) (*Profile, error) {
	if flagPath != "" {
		return loaded(Load(flagPath))
	}
	if p := getenv(EnvProfile); p != "" {
		prof, err := Load(p)
		if errors.Is(err, fs.ErrNotExist) {
			// The user may not remember the variable is set: say where
			// the path came from.
			err = fmt.Errorf("%s names a profile that does not exist: %w", EnvProfile, err)
		}
		return loaded(prof, err)
	}
	path := DefaultPath(getenv)
	p, err := Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Profile{Path: path, Version: Version}, nil
	}
	return loaded(p, err)
}

// LoadError is a profile that could not be opened, read or validated. The
// commands treat it as a usage error (exit code 2): the fix is in the file
// or in what names it. Its text is the wrapped error's.
type LoadError struct {
	Err error
}

func (e *LoadError) Error() string { return e.Err.Error() }

func (e *LoadError) Unwrap() error { return e.Err }

func loaded(p *Profile, err error) (*Profile, error) {
	if err != nil {
		return nil, &LoadError{Err: err}
	}
	return p, nil
}

// Load reads and validates the profile at path. A missing file is reported
// with an error that wraps fs.ErrNotExist.
func Load(path string) (*Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open profile: %w", err)
	}
	defer f.Close()
	// Reading one byte past the cap lets Parse tell "too large" apart from
	// "exactly at the limit".
	data, err := io.ReadAll(io.LimitReader(f, maxProfileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	return Parse(path, data)
}

// Parse validates profile text. name is used in error messages and as the
// base for relative file paths inside the profile. Every problem found is
// reported, each as a *Error, joined with errors.Join.
func Parse(name string, data []byte) (p *Profile, err error) {
	if len(data) > maxProfileSize {
		return nil, &Error{File: name, Line: 1, Column: 1, Msg: "file is larger than 1 MiB; is this really a profile?"}
	}
	// The YAML parser is third-party code fed user input; a panic in it must
	// become a located error, not a crash of the program guarding K9s.
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &Error{File: name, Line: 1, Column: 1, Msg: "yaml: the parser failed on this file; check its syntax"}
		}
	}()
	f, perr := parser.ParseBytes(data, 0)
	if perr != nil {
		return nil, syntaxError(name, perr)
	}
	d := &decoder{file: name, dir: filepath.Dir(name), budget: maxNodes}
	p = d.profile(f)
	if err := d.err(); err != nil {
		return nil, err
	}
	p.Path = name
	return p, nil
}

// syntaxError turns the YAML library's error into our located format. The
// library's own formatting quotes the source, which could echo a secret a
// user pasted into the wrong file, so only its message is kept.
func syntaxError(name string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return &Error{File: name, Line: tk.Position.Line, Column: tk.Position.Column, Msg: "yaml: " + ye.GetMessage()}
		}
		return &Error{File: name, Line: 1, Column: 1, Msg: "yaml: " + ye.GetMessage()}
	}
	return &Error{File: name, Line: 1, Column: 1, Msg: "yaml: invalid syntax"}
}
