package guard

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// installHint tells a user without K9s how to get the version k9s-guard is
// tested with.
const installHint = `install it with "brew install k9s" or "go install github.com/derailed/k9s@v0.50.16", or point --k9s or K9S_GUARD_K9S at it`

// findK9s resolves the K9s binary: --k9s, then $K9S_GUARD_K9S, then k9s on
// PATH. The error is one line that says how to fix it.
func (a *App) findK9s(flag string) (string, error) {
	path, from := flag, "--k9s"
	if path == "" {
		path, from = a.Getenv("K9S_GUARD_K9S"), "K9S_GUARD_K9S"
	}
	if path == "" {
		p, err := lookPathNotSelf("k9s", os.Getenv("PATH"))
		if err != nil {
			return "", &ExitError{Code: exitUsage, Err: err}
		}
		if err := checkInterpreter(p); err != nil {
			return "", &ExitError{Code: exitUsage, Err: fmt.Errorf("k9s at %s (from PATH) cannot run: %w", p, err)}
		}
		return p, nil
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return "", &ExitError{Code: exitUsage, Err: fmt.Errorf("k9s not found at %s (from %s): %s", path, from, installHint)}
	case st.IsDir() || st.Mode().Perm()&0o111 == 0:
		return "", &ExitError{Code: exitUsage, Err: fmt.Errorf("k9s at %s (from %s) is not an executable file: %s", path, from, installHint)}
	}
	if isSelf(path) {
		return "", &ExitError{Code: exitUsage, Err: fmt.Errorf("k9s at %s (from %s) is k9s-guard itself, which would start itself again and again: point %s at the real K9s; %s", path, from, from, installHint)}
	}
	if err := checkInterpreter(path); err != nil {
		return "", &ExitError{Code: exitUsage, Err: fmt.Errorf("k9s at %s (from %s) cannot run: %w", path, from, err)}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path, nil
	}
	return abs, nil
}

// checkInterpreter looks at a script's "#!" line. When the interpreter is
// missing, exec fails with ENOENT, which would read as if K9s itself were
// missing although the file is right there.
func checkInterpreter(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // exec will say why
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	line, ok := bytes.CutPrefix(head[:n], []byte("#!"))
	if !ok {
		return nil
	}
	line, _, _ = bytes.Cut(line, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) == 0 {
		return errors.New("bad interpreter: the #! line names none")
	}
	interp := fields[0]
	st, err := os.Stat(interp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("bad interpreter %s: no such file or directory", interp)
	case err != nil:
		return fmt.Errorf("bad interpreter %s: %w", interp, err)
	case st.IsDir() || st.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("bad interpreter %s: not an executable file", interp)
	}
	return nil
}

// k9sVersion asks K9s for its version ("v0.50.16"), or says why it cannot.
func k9sVersion(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "version", "--short")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	if runErr == nil {
		for _, line := range strings.Split(out.String(), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && strings.EqualFold(strings.TrimSuffix(f[0], ":"), "version") && f[1] != "dev" {
				return f[1], nil
			}
		}
	}
	// A K9s built with plain `go install` calls itself "dev"; the module
	// version in its build info is the truth.
	if bi, err := buildinfo.ReadFile(path); err == nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version, nil
	}
	if runErr != nil {
		return "", fmt.Errorf("run %s version: %w", path, runErr)
	}
	return "", errors.New("k9s version printed no version")
}
