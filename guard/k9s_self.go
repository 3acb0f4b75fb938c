package guard

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// The docs suggest installing k9s-guard as `k9s` (a symlink, or a PATH
// entry named k9s) so that habits and scripts keep working. Then the first
// k9s on PATH is k9s-guard itself, which started itself recursively (111
// nested processes in 5 s). So the search skips k9s-guard's own binary,
// and a session tells the K9s it starts who started it, which catches a
// wrapper script named k9s that runs k9s-guard again.

// Environment of the K9s a session starts (and so of everything K9s
// starts): the guard's pid, and how many guards are already nested.
const (
	envGuardPID   = "K9S_GUARD_PID"
	envGuardDepth = "K9S_GUARD_DEPTH"
	// maxDepth allows a k9s-guard started by hand from a shell inside a
	// guarded K9s (depth 2), and stops a loop long before it hurts.
	maxDepth = 3
)

// isSelf reports whether path is this program's own binary (through any
// symlink or hard link).
func isSelf(path string) bool {
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	a, err1 := os.Stat(exe)
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// lookPathNotSelf finds name on the PATH list like exec.LookPath, passing
// over k9s-guard's own binary. Its error says what it found and skipped.
func lookPathNotSelf(name, pathList string) (string, error) {
	var skipped string
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			continue
		}
		if isSelf(p) {
			if skipped == "" {
				skipped = p
			}
			continue
		}
		if !filepath.IsAbs(p) {
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
		}
		return p, nil
	}
	if skipped != "" {
		return "", fmt.Errorf("the only k9s on PATH is k9s-guard itself (%s), and the real K9s is not installed: %s", skipped, installHint)
	}
	return "", fmt.Errorf("k9s not found on PATH: %s", installHint)
}

// checkNotNested refuses to start a session from inside the K9s of
// another one when it is a loop: k9s-guard started directly by the guard
// whose K9s it was meant to be (a wrapper named k9s that runs k9s-guard),
// or nested deeper than any person would.
func checkNotNested(getenv func(string) string, k9s string) error {
	if pid := getenv(envGuardPID); pid != "" && pid == strconv.Itoa(os.Getppid()) {
		return fmt.Errorf("k9s-guard was started as K9s by k9s-guard (pid %s): %s runs k9s-guard again instead of K9s; point --k9s or K9S_GUARD_K9S at the real K9s binary", pid, k9s)
	}
	if d, err := strconv.Atoi(getenv(envGuardDepth)); err == nil && d >= maxDepth {
		return fmt.Errorf("k9s-guard is nested %d deep (each K9s it runs starts k9s-guard again?): %s may run k9s-guard instead of K9s; point --k9s or K9S_GUARD_K9S at the real K9s binary", d+1, k9s)
	}
	return nil
}

// nestedEnv is what a session adds to K9s's environment.
func nestedEnv(getenv func(string) string) []string {
	d, _ := strconv.Atoi(getenv(envGuardDepth))
	return []string{envGuardPID + "=" + strconv.Itoa(os.Getpid()), envGuardDepth + "=" + strconv.Itoa(d+1)}
}
