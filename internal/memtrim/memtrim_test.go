package memtrim

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// rssFileKiB is the resident file-backed memory of this process.
func rssFileKiB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc:", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "RssFile:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Skip("no RssFile in /proc/self/status")
	return 0
}

// The binary's pages leave the resident set, and the program goes on
// running the code and reading the data they held (they come back from
// the page cache on use).
func TestDropBinaryPages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("madvise is Linux's")
	}
	before := rssFileKiB(t)
	n, err := DropBinaryPages()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no mapping of the binary was found")
	}
	after := rssFileKiB(t)
	if after >= before {
		t.Fatalf("file-backed RSS %d KiB before, %d KiB after", before, after)
	}
	// Code and constant data still work: a map of strings, formatting,
	// a stack trace (which reads the binary's tables).
	m := map[string]int{}
	for i := range 1000 {
		m[strconv.Itoa(i)] = i
	}
	if m["999"] != 999 || len(string(debugStack())) == 0 {
		t.Fatal("the program misbehaves after the drop")
	}
	t.Logf("file-backed RSS %d KiB -> %d KiB (%d KiB advised)", before, after, n>>10)
}

func debugStack() []byte {
	buf := make([]byte, 4096)
	return buf[:runtime.Stack(buf, false)]
}
