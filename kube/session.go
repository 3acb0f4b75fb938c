package kube

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/k9s-guard/k9s-guard/internal/xdg"
)

const (
	sessionPrefix  = "session-"
	pidFile        = "pid"
	kubeconfigFile = "kubeconfig"
)

// DefaultSessionBase is the private directory that holds session
// directories: $XDG_RUNTIME_DIR/k9s-guard (a per-user tmpfs on Linux), else
// $TMPDIR/k9s-guard-<uid>.
func DefaultSessionBase(getenv func(string) string) string {
	if d := xdg.RuntimeDir(getenv); d != "" {
		return filepath.Join(d, "k9s-guard")
	}
	return filepath.Join(os.TempDir(), "k9s-guard-"+strconv.Itoa(os.Getuid()))
}

// prepareBase creates the base directory 0700, or checks that an existing
// one is a real directory owned by this user and closed to others. In a
// shared /tmp, another user could have created it first; then we refuse
// rather than write a token where they can read it.
func prepareBase(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create session base %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check session base: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("session base %s is not a directory", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("session base %s belongs to uid %d, not to you", dir, st.Uid)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("restrict session base %s: %w", dir, err)
		}
	}
	return nil
}

// sweepStale removes session directories left by runs that crashed: their
// pid file names a process that no longer exists. A directory without a
// readable pid file is left alone unless it is older than a day (a run that
// died between creating the directory and writing the file).
func sweepStale(base string, logf func(string, ...any)) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), sessionPrefix) {
			continue
		}
		dir := filepath.Join(base, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, pidFile))
		if err != nil {
			if fi, serr := e.Info(); serr == nil && time.Since(fi.ModTime()) > 24*time.Hour {
				_ = os.RemoveAll(dir)
			}
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil && pid > 0 && processAlive(pid) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			logf("gateway: remove stale session %s: %v", dir, err)
		} else {
			logf("gateway: removed stale session %s (pid %d gone)", dir, pid)
		}
	}
}

// processAlive reports whether pid exists. EPERM means it exists but is
// someone else's, which cannot be one of ours, yet we keep its directory:
// a reused pid makes us keep a stale directory, never delete a live one.
func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// newSessionDir creates this run's private directory and its pid file.
func newSessionDir(base string) (string, error) {
	dir, err := os.MkdirTemp(base, sessionPrefix)
	if err != nil {
		return "", fmt.Errorf("create session dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("restrict session dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("write pid file: %w", err)
	}
	return dir, nil
}

// stablePort derives a per-user port in [20000, 30000) from the uid, so
// that successive runs of the same user land on the same port and K9s's
// discovery cache stays warm.
func stablePort() int {
	uid := uint32(os.Getuid())
	h := uid*2654435761 + 12345
	return 20000 + int(h%10000)
}

// listenLoopback listens on 127.0.0.1 only: the gateway must not be
// reachable from the network, whatever the token.
func listenLoopback(port int) (net.Listener, error) {
	if port == 0 {
		if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(stablePort()))); err == nil {
			return l, nil
		}
	}
	if port < 0 {
		port = 0
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	return l, nil
}

// selfSignedCert makes the gateway's certificate: an ECDSA key that lives
// only in memory, an IP SAN for 127.0.0.1, and CA rights so that the same
// certificate can be the session kubeconfig's certificate-authority-data.
func selfSignedCert(now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generate gateway key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "k9s-guard gateway", Organization: []string{"k9s-guard"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(400 * 24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("create gateway certificate: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("parse gateway certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, certPEM, nil
}

// newToken returns 32 random bytes, base64url: a session bearer token.
func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// removeSession deletes a session directory; a missing one is fine.
func removeSession(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove session dir: %w", err)
	}
	return nil
}
