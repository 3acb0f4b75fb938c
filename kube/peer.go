package kube

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// Who asked. Any process of the user that holds the session token can
// make the gateway raise a prompt, so the prompt must say whether it comes
// from the user's own key in K9s or from a request — and from which
// program: a plugin's delete must not pass for the user's Ctrl-K. On Linux
// the owner of a loopback connection's other end can be found in /proc
// (peer_linux.go); elsewhere the prompt names the client's port.

// Peer is the process at the other end of a gateway connection.
type Peer struct {
	PID     int    // 0 when not found
	Command string // the process's command name (never its arguments: they can hold tokens)
	Port    int    // the client's local port
}

// String is e.g. "kubectl (pid 4242)", or "a client on port 51234" when
// the process is not known.
func (p Peer) String() string {
	switch {
	case p.PID > 0 && p.Command != "":
		return fmt.Sprintf("%s (pid %d)", p.Command, p.PID)
	case p.PID > 0:
		return fmt.Sprintf("pid %d", p.PID)
	case p.Port > 0:
		return fmt.Sprintf("a client on port %d (process not found)", p.Port)
	}
	return "an unknown client"
}

type connKey struct{}

// peerConn is a connection and, once looked up, its peer.
type peerConn struct {
	conn net.Conn
	once sync.Once
	peer Peer
}

// withConn is the server's ConnContext: it keeps the connection with each
// of its requests, so that the peer is looked up only for the few
// requests that need it (a prompt, an access review), once per connection.
func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, &peerConn{conn: c})
}

// clientOf names the process that sent the request ctx belongs to.
func clientOf(ctx context.Context) Peer {
	pc, ok := ctx.Value(connKey{}).(*peerConn)
	if !ok || pc == nil {
		return Peer{}
	}
	pc.once.Do(func() {
		local, lok := pc.conn.LocalAddr().(*net.TCPAddr)
		remote, rok := pc.conn.RemoteAddr().(*net.TCPAddr)
		if !lok || !rok {
			if tl, ok := pc.conn.(interface{ NetConn() net.Conn }); ok {
				local, lok = tl.NetConn().LocalAddr().(*net.TCPAddr)
				remote, rok = tl.NetConn().RemoteAddr().(*net.TCPAddr)
			}
		}
		if !lok || !rok {
			return
		}
		pc.peer = lookupPeer(remote, local)
	})
	return pc.peer
}
