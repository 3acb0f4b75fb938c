package guard

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/k9s-guard/k9s-guard/internal/atomicfile"
	"github.com/k9s-guard/k9s-guard/internal/xdg"
)

// testedK9s is the range of K9s versions (inclusive) that k9s-guard's
// screen reader is tested with: the end-to-end tests run the pinned one.
var testedK9s = [2]string{"v0.50.16", "v0.50.16"}

// k9sModule is K9s's main module, as its build info names it.
const k9sModule = "github.com/derailed/k9s"

// versionCheck finds out, without holding up the launch, which K9s version
// is about to run.
type versionCheck struct {
	path string
	done chan struct{}
	ver  string
	err  error
}

// checkK9sVersion starts finding out K9s's version, cheapest first: the
// module version in the binary's build info (a read of a few KiB; `go
// install` and release builds have it), then a cache in the state folder
// keyed by the binary's path, size and modification time, and only then
// `k9s version`, in the background, since K9s takes a while to start. That
// answer is cached for the next launch.
func (a *App) checkK9sVersion(ctx context.Context, path string) *versionCheck {
	c := &versionCheck{path: path, done: make(chan struct{})}
	if v, ok := buildInfoVersion(path); ok {
		c.ver = v
		close(c.done)
		return c
	}
	st, statErr := os.Stat(path)
	cache := versionCachePath(a.Getenv)
	if statErr == nil && cache != "" {
		if v, ok := readVersionCache(cache, path, st); ok {
			c.ver = v
			close(c.done)
			return c
		}
	}
	go func() {
		defer close(c.done)
		c.ver, c.err = k9sVersion(ctx, path)
		if c.err == nil && statErr == nil && cache != "" {
			writeVersionCache(cache, path, st, c.ver)
		}
	}()
	return c
}

// wait blocks until the version is known (for tests and `version`).
func (c *versionCheck) wait() (string, error) {
	<-c.done
	return c.ver, c.err
}

// warning is the one line to print before K9s starts, or "" when the
// version is in the tested range or not known yet.
func (c *versionCheck) warning() string {
	select {
	case <-c.done:
	default:
		return ""
	}
	tested := testedRange()
	if c.err != nil {
		return fmt.Sprintf("cannot tell the version of K9s at %s (%v); k9s-guard is tested with K9s %s", c.path, c.err, tested)
	}
	if inTestedRange(c.ver) {
		return ""
	}
	return fmt.Sprintf("k9s-guard is tested with K9s %s, not %s (%s): it may misread K9s's screen; the gateway still guards every request", tested, c.ver, c.path)
}

// testedRange says which K9s versions are tested, for messages.
func testedRange() string {
	if testedK9s[1] == testedK9s[0] {
		return testedK9s[0]
	}
	return testedK9s[0] + " to " + testedK9s[1]
}

// buildInfoVersion reads the module version a Go binary was built from,
// if it is K9s and knows it.
func buildInfoVersion(path string) (string, bool) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil || bi.Main.Path != k9sModule || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return "", false
	}
	return bi.Main.Version, true
}

// inTestedRange reports whether v ("v0.50.16") is a release within
// testedK9s. Pre-releases, pseudo-versions and dirty builds are not.
func inTestedRange(v string) bool {
	got, ok := parseRelease(v)
	lo, _ := parseRelease(testedK9s[0])
	hi, _ := parseRelease(testedK9s[1])
	return ok && compareRelease(got, lo) >= 0 && compareRelease(got, hi) <= 0
}

func parseRelease(v string) ([3]int, bool) {
	var out [3]int
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

func compareRelease(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			return a[i] - b[i]
		}
	}
	return 0
}

// versionCache is the last K9s binary whose version had to be asked.
type versionCache struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"modTime"` // Unix nanoseconds
	Version string `json:"version"`
}

// versionCachePath is $XDG_STATE_HOME/k9s-guard/k9s-version.json (else
// under ~/.local/state), or "" when there is no home to put it in.
func versionCachePath(getenv func(string) string) string {
	dir := xdg.StateHome(getenv)
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "k9s-guard", "k9s-version.json")
}

func readVersionCache(file, path string, st os.FileInfo) (string, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", false
	}
	var vc versionCache
	if json.Unmarshal(b, &vc) != nil {
		return "", false
	}
	if vc.Path != path || vc.Size != st.Size() || vc.ModTime != st.ModTime().UnixNano() || vc.Version == "" {
		return "", false
	}
	return vc.Version, true
}

// writeVersionCache saves the answer; a cache that cannot be written only
// means asking K9s again next time.
func writeVersionCache(file, path string, st os.FileInfo, version string) {
	b, err := json.Marshal(versionCache{Path: path, Size: st.Size(), ModTime: st.ModTime().UnixNano(), Version: version})
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return
	}
	_ = atomicfile.WritePrivate(file, b)
}
