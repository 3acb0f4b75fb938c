package otp

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	otplib "github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/zalando/go-keyring"
)

// fakeKeyring is an in-memory keyringAPI. go-keyring's own MockInit swaps
// a process-wide provider, which would leak into the test that probes the
// real keyring.
type fakeKeyring struct {
	mu      sync.Mutex
	items   map[string]string
	err     error         // every call fails with this, when set
	blockCh chan struct{} // every call blocks on this, when set
}

func (f *fakeKeyring) Get(s, u string) (string, error) {
	if f.blockCh != nil {
		<-f.blockCh
	}
	if f.err != nil {
		return "", f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[s+"/"+u]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Set(s, u, p string) error {
	if f.err != nil {
		return f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.items == nil {
		f.items = map[string]string{}
	}
	f.items[s+"/"+u] = p
	return nil
}

func (f *fakeKeyring) Delete(s, u string) error {
	if f.err != nil {
		return f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[s+"/"+u]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, s+"/"+u)
	return nil
}

func secretPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "k9s-guard", "otp-secret.json")
}

func TestFileStoreRoundTrip(t *testing.T) {
	path := secretPath(t)
	s := NewFileStore(path)
	if _, err := s.Load("alice@host"); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("Load before Save: err = %v, want ErrNoSecret", err)
	}
	if err := s.Save("alice@host", otpTestSecret); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("bob@host", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load("alice@host"); err != nil || got != otpTestSecret {
		t.Fatalf("Load = %q, %v", got, err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %04o, want 0600", info.Mode().Perm())
	}
	dir, _ := os.Stat(filepath.Dir(path))
	if dir.Mode().Perm() != 0o700 {
		t.Errorf("secret dir mode %04o, want 0700", dir.Mode().Perm())
	}

	if err := s.Delete("alice@host"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("alice@host"); !errors.Is(err, ErrNoSecret) {
		t.Errorf("Load after Delete: %v", err)
	}
	if got, _ := s.Load("bob@host"); got == "" {
		t.Error("Delete removed another account")
	}
	if err := s.Delete("nobody"); err != nil {
		t.Errorf("deleting a missing account: %v", err)
	}
}

// Attack: reading a secret that other local users can read too (a copied
// file, a too-open umask) would pretend to be a second factor.
func TestFileStoreRefusesLooseFile(t *testing.T) {
	path := secretPath(t)
	s := NewFileStore(path)
	if err := s.Save("a", otpTestSecret); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := s.Load("a")
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: err = %v", mode, err)
		}
		if err != nil && strings.Contains(err.Error(), otpTestSecret) {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

// Attack: a directory others can write lets them replace the secret file
// with one holding a secret they know.
func TestFileStoreRefusesWritableDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil { // beat the umask
		t.Fatal(err)
	}
	err := NewFileStore(filepath.Join(dir, "s.json")).Save("a", otpTestSecret)
	if err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("err = %v", err)
	}
}

func TestFileStoreCorruptFileDoesNotLeak(t *testing.T) {
	path := secretPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{"secrets": {"a": "`+otpTestSecret+`"`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewFileStore(path).Load("a")
	if err == nil || strings.Contains(err.Error(), otpTestSecret) {
		t.Errorf("err = %v", err)
	}
}

// This machine has no D-Bus Secret Service (no session bus at all in the
// test environment), so "keyring" must fall back to the file store; that
// fallback is then exercised for real. On a desktop with a keyring the
// fallback part is skipped, since writing to the user's real keyring from
// a unit test would be rude.
func TestOpenStoreKeyringFallsBackToFile(t *testing.T) {
	path := secretPath(t)
	if keyringAvailable(osKeyring{}) {
		t.Skip("an OS keyring is available here; the fallback is covered by TestOpenStoreWithFakeKeyring")
	}
	s, err := OpenStore("keyring", path)
	if err != nil {
		t.Fatal(err)
	}
	if desc := fmt.Sprint(s); !strings.Contains(desc, "no OS keyring available") || !strings.Contains(desc, path) {
		t.Errorf("store = %q", desc)
	}
	if err := s.Save("a", otpTestSecret); err != nil {
		t.Fatal(err)
	}
	if got, err := NewFileStore(path).Load("a"); err != nil || got != otpTestSecret {
		t.Errorf("secret not in the file: %q, %v", got, err)
	}
	if _, err := OpenStore("keyring", ""); err == nil {
		t.Error("no keyring and no file: want an error")
	}
}

func TestOpenStoreWithFakeKeyring(t *testing.T) {
	fake := &fakeKeyring{}
	s, err := openStore("keyring", secretPath(t), fake)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fmt.Sprint(s), "OS keyring") {
		t.Fatalf("store = %v, want the keyring", s)
	}
	if _, err := s.Load("a"); !errors.Is(err, ErrNoSecret) {
		t.Errorf("Load missing: %v", err)
	}
	if err := s.Save("a", otpTestSecret); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Load("a"); err != nil || got != otpTestSecret {
		t.Errorf("Load = %q, %v", got, err)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("a"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}

	broken := &fakeKeyring{err: errors.New("org.freedesktop.secrets was not provided")}
	s, err = openStore("", secretPath(t), broken)
	if err != nil || !strings.Contains(fmt.Sprint(s), "no OS keyring available") {
		t.Errorf("broken keyring: %v, %v", s, err)
	}
}

func TestKeyringProbeDoesNotHang(t *testing.T) {
	orig := keyringProbeTimeout
	keyringProbeTimeout = 20 * time.Millisecond
	defer func() { keyringProbeTimeout = orig }()
	hung := &fakeKeyring{blockCh: make(chan struct{})}
	defer close(hung.blockCh)
	s, err := openStore("keyring", secretPath(t), hung)
	if err != nil || !strings.Contains(fmt.Sprint(s), "no OS keyring available") {
		t.Errorf("hung keyring: %v, %v", s, err)
	}
}

func TestOpenStoreKinds(t *testing.T) {
	if s, err := OpenStore("file", "/x/s.json"); err != nil || fmt.Sprint(s) != "file /x/s.json" {
		t.Errorf("file: %v, %v", s, err)
	}
	if _, err := OpenStore("file", ""); err == nil {
		t.Error("file store without a path: want an error")
	}
	if _, err := OpenStore("vault", "/x"); err == nil || !strings.Contains(err.Error(), "unknown store") {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestNormaliseOTPSecret(t *testing.T) {
	good := map[string]string{
		"jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp": otpTestSecret,
		otpTestSecret + "====":                    otpTestSecret,
		"GEZDGNBVGY3TQOJQGEZDGNBVGY":              "GEZDGNBVGY3TQOJQGEZDGNBVGY", // 128 bits, the minimum
	}
	for in, want := range good {
		if got, err := NormaliseSecret(in); err != nil || got != want {
			t.Errorf("NormaliseSecret(%q) = %q, %v", in, got, err)
		}
	}
	bad := map[string]string{
		"":                                    "empty",
		"JBSWY3DPEHPK3PX1JBSWY3DPEHPK3PXP":    "not valid base32",
		"JBSWY3DPEHPK3PXP":                    "80 bits",
		"GEZDGNBVGY3TQOJQGEZDGNBV":            "120 bits",
		strings.Repeat("JBSWY3DPEHPK3PXP", 8): "at most 512",
	}
	for in, want := range bad {
		_, err := NormaliseSecret(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NormaliseSecret(%q): err = %v, want %q", in, err, want)
		}
		if err != nil && in != "" && strings.Contains(err.Error(), in) {
			t.Errorf("error repeats the input: %v", err)
		}
	}
}

func TestNewOTPKeyIsAuthenticatorCompatible(t *testing.T) {
	key, err := NewKey("k9s-guard", "alice@laptop")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(key.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("issuer") != "k9s-guard" || u.Path != "/k9s-guard:alice@laptop" {
		t.Errorf("URI %s", key.URL())
	}
	// The parameters are the Key URI format's defaults, left out so the URI
	// fits on one line of a 100-column terminal; an app reads them back as
	// SHA-1, 6 digits, 30 s.
	if key.Algorithm() != otplib.AlgorithmSHA1 || key.Digits() != otplib.DigitsSix || key.Period() != 30 {
		t.Errorf("URI %s reads back as %v, %v digits, %d s", key.URL(), key.Algorithm(), key.Digits(), key.Period())
	}
	if n := len(key.URL()); n > 100 {
		t.Errorf("URI is %d characters, want at most 100 for a short account", n)
	}
	if got, err := totp.GenerateCodeCustom(key.Secret(), time.Unix(1e9, 0), ValidateOpts); err != nil || len(got) != 6 {
		t.Errorf("code from the URI's secret: %q, %v", got, err)
	}
	if _, err := NormaliseSecret(key.Secret()); err != nil || len(key.Secret()) != 32 {
		t.Errorf("secret %d chars: %v", len(key.Secret()), err)
	}
	if other, _ := NewKey("k9s-guard", "alice@laptop"); other.Secret() == key.Secret() {
		t.Error("two enrolments produced the same secret")
	}
}

func TestDefaultOTPPaths(t *testing.T) {
	env := map[string]string{"HOME": "/h"}
	getenv := func(k string) string { return env[k] }
	if got := DefaultSecretFile(getenv); got != "/h/.local/share/k9s-guard/otp-secret.json" {
		t.Errorf("DefaultSecretFile = %q", got)
	}
	if got := DefaultStatePath(getenv); got != "/h/.local/state/k9s-guard/otp-state.json" {
		t.Errorf("DefaultStatePath = %q", got)
	}
	env["XDG_DATA_HOME"], env["XDG_STATE_HOME"] = "/data", "relative/ignored"
	if got := DefaultSecretFile(getenv); got != "/data/k9s-guard/otp-secret.json" {
		t.Errorf("DefaultSecretFile with XDG = %q", got)
	}
	if got := DefaultStatePath(getenv); got != "/h/.local/state/k9s-guard/otp-state.json" {
		t.Errorf("relative XDG_STATE_HOME not ignored: %q", got)
	}
	if a := DefaultAccount(getenv); a == "" || strings.Contains(a, ":") {
		t.Errorf("DefaultAccount = %q", a)
	}
}
