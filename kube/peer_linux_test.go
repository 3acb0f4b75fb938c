package kube

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// peerHelperEnv makes the test binary a client that connects and waits.
const peerHelperEnv = "K9S_GUARD_PEER_HELPER_ADDR"

func init() {
	// The test binary doubles as the other process: a client that opens a
	// connection and holds it until its stdin closes.
	if addr := os.Getenv(peerHelperEnv); addr != "" {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			os.Exit(3)
		}
		_, _ = c.Write([]byte("x"))
		b := make([]byte, 1)
		_, _ = os.Stdin.Read(b)
		os.Exit(0)
	}
}

// TestPeerNamesTheClientProcess stops this deception: any process in the
// session can raise a prompt, and the prompt did not say which, so a
// plugin's delete passed for the user's own Ctrl-K. The gateway finds the
// process at the other end of a loopback connection: here another process
// (the test binary re-run as a client), named by pid and command.
func TestPeerNamesTheClientProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), peerHelperEnv+"="+ln.Addr().String())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b := make([]byte, 1)
	if _, err := conn.Read(b); err != nil {
		t.Fatal(err)
	}
	p := clientOf(withConn(context.Background(), conn))
	comm, _ := os.ReadFile("/proc/" + itoa(cmd.Process.Pid) + "/comm")
	if p.PID != cmd.Process.Pid || p.Command != strings.TrimSpace(string(comm)) || p.Command == "" {
		t.Fatalf("peer = %+v, want pid %d command %q", p, cmd.Process.Pid, strings.TrimSpace(string(comm)))
	}
	if got := p.String(); !strings.Contains(got, "(pid "+itoa(cmd.Process.Pid)+")") {
		t.Errorf("String() = %q", got)
	}
}

// TestGatewayPromptSaysWhoAsked: a request held for a step-up carries the
// client process to the asker, which puts it in the prompt.
func TestGatewayPromptSaysWhoAsked(t *testing.T) {
	var (
		mu  sync.Mutex
		got []Peer
	)
	tg := startTestGateway(t, func(c *Config) {
		c.Asker = AskerFunc(func(_ context.Context, req StepUpRequest) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, req.Client)
			return false, nil
		})
		c.AskTimeout = 30 * time.Second
	})
	hc, base := tg.client(t, "prod")
	code, _, _ := do(t, hc, http.MethodDelete, base+"/api/v1/namespaces/shop/pods/cart", "", nil)
	if code != http.StatusForbidden {
		t.Fatalf("declined delete: %d, want 403", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].PID != os.Getpid() {
		t.Fatalf("asker saw clients %+v, want this test process (pid %d)", got, os.Getpid())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
