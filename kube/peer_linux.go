package kube

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// lookupPeer finds the process that owns the client end of a loopback
// connection: the socket whose local address is the client's and whose
// remote address is the gateway's, in /proc/net/tcp (or tcp6), then the
// process holding that socket's inode among its file descriptors. Only
// the user's own processes can be seen, which is all a session has.
func lookupPeer(client, server *net.TCPAddr) Peer {
	p := Peer{Port: client.Port}
	inode := ""
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if inode = socketInode(table, client, server); inode != "" {
			break
		}
	}
	if inode == "" {
		return p
	}
	want := "socket:[" + inode + "]"
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return p
	}
	for _, d := range procs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join("/proc", d.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && link == want {
				p.PID = pid
				if b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "comm")); err == nil {
					p.Command = strings.TrimSpace(string(b))
				}
				return p
			}
		}
	}
	return p
}

// socketInode finds the inode of the socket from client to server in one
// of the kernel's TCP tables.
func socketInode(table string, client, server *net.TCPAddr) string {
	f, err := os.Open(table)
	if err != nil {
		return ""
	}
	defer f.Close()
	wantLocal := fmt.Sprintf(":%04X", client.Port)
	wantRemote := fmt.Sprintf(":%04X", server.Port)
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		if strings.HasSuffix(f[1], wantLocal) && strings.HasSuffix(f[2], wantRemote) && isLoopbackHex(f[1]) {
			return f[9]
		}
	}
	return ""
}

// isLoopbackHex reports whether a /proc/net/tcp address is on loopback
// (127.x.x.x, little-endian hex, or ::1 / ::ffff:127.x.x.x in tcp6).
func isLoopbackHex(addr string) bool {
	host, _, _ := strings.Cut(addr, ":")
	switch len(host) {
	case 8:
		return strings.HasSuffix(host, "7F")
	case 32:
		return host == "00000000000000000000000001000000" || (strings.HasPrefix(host, "0000000000000000FFFF0000") && strings.HasSuffix(host, "7F"))
	}
	return false
}
