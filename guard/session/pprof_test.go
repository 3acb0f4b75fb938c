package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Attack: the runtime profiles show the guard's memory (a heap profile
// names what is allocated where, a goroutine dump what each part is
// doing); served on a network address, anyone who can reach the machine
// could read them. Only loopback addresses are accepted.
func TestPprofOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0", "6060"} {
		stop, err := servePprof(addr)
		if err == nil {
			stop()
			t.Errorf("servePprof(%q) accepted a non-loopback address", addr)
			continue
		}
		if !strings.Contains(err.Error(), addr) {
			t.Errorf("servePprof(%q): error %q does not name the address", addr, err)
		}
	}
	stop, err := servePprof("127.0.0.1:0")
	if err != nil {
		t.Fatalf("servePprof(127.0.0.1:0): %v", err)
	}
	stop()
}

// TestProfileToDir: the CPU and heap profiles land in the directory,
// readable by the user only.
func TestProfileToDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "prof")
	stop, err := profileToDir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	for _, f := range []string{"cpu.pprof", "heap.pprof"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 || fi.Size() == 0 {
			t.Errorf("%s: mode %v, %d bytes; want 0600 and a profile", f, fi.Mode().Perm(), fi.Size())
		}
	}
	if _, err := profileToDir(filepath.Join(dir, "cpu.pprof", "x"), 0); err == nil {
		t.Error("profileToDir under a file: no error")
	}
}
