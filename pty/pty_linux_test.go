package pty

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The pty master is read with blocking reads, so it must not stay
// registered with Go's network poller: there, edge-triggered, every chunk
// K9s wrote woke a runtime thread blocked in epoll (the gateway's listener
// keeps one waiting) for nothing, a sixth of the guard's CPU in a flood.
// Read through /proc: which descriptors the process's epoll instances
// watch.
func TestPtyMasterIsNotInThePoller(t *testing.T) {
	// A listener, as the gateway has, so that the poller exists and waits.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	c, err := Start("/bin/cat", nil, os.Environ(), Size{Cols: 80, Rows: 24})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		c.Kill()
		<-c.Done()
		c.Close()
	}()
	master := int(c.tty.Fd())
	watched := epollTargets(t)
	if len(watched) == 0 {
		t.Fatal("found no descriptor watched by the poller: the test cannot tell")
	}
	for _, fd := range watched {
		if fd == master {
			t.Fatalf("the pty master (fd %d) is watched by the poller (watched: %v)", master, watched)
		}
	}
	// And it still carries the child's output.
	if _, err := c.Write([]byte("ping\r")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	var got string
	for !strings.Contains(got, "ping") {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read %q, then %v", got, err)
		}
		got += string(buf[:n])
	}
}

// epollTargets lists the descriptors this process's epoll instances watch.
func epollTargets(t *testing.T) []int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []int
	for _, e := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || link != "anon_inode:[eventpoll]" {
			continue
		}
		info, err := os.ReadFile(filepath.Join("/proc/self/fdinfo", e.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "tfd:" {
				if n, err := strconv.Atoi(f[1]); err == nil {
					out = append(out, n)
				}
			}
		}
	}
	return out
}
