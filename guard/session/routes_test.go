package session

import (
	"strings"
	"testing"

	"github.com/k9s-guard/k9s-guard/kube"
)

// TestAskedByCannotBeBorrowed stops this deception: any program can call
// itself "k9s" (its command name is its own choice), so the prompt names
// K9s only by the pid this session started it with.
func TestAskedByCannotBeBorrowed(t *testing.T) {
	for _, tc := range []struct {
		peer kube.Peer
		want string
	}{
		{kube.Peer{PID: 100, Command: "k9s"}, "K9s itself (pid 100), through the gateway"},
		{kube.Peer{PID: 200, Command: "k9s"}, "another program named k9s (pid 200, not this session's K9s)"},
		{kube.Peer{PID: 300, Command: "kubectl"}, "kubectl (pid 300), through the gateway"},
		{kube.Peer{Port: 51234}, "a client on port 51234 (process not found), through the gateway"},
	} {
		if got := askedBy(tc.peer, 100); !strings.HasPrefix(got, tc.want) {
			t.Errorf("askedBy(%+v) = %q, want %q", tc.peer, got, tc.want)
		}
	}
}
