package otp

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	otplib "github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/zalando/go-keyring"

	"github.com/k9s-guard/k9s-guard/internal/xdg"
)

// KeyringService is the service name under which secrets are kept in
// the OS keyring.
const KeyringService = "k9s-guard"

// Store kinds accepted by OpenStore and the profile's otp.store.
const (
	StoreKeyring = "keyring"
	StoreFile    = "file"
)

// ErrNoSecret means no secret is enrolled for the account in the store.
var ErrNoSecret = errors.New("no otp secret enrolled")

// SecretStore keeps TOTP secrets by account name.
type SecretStore interface {
	// Load returns the secret, or an error wrapping ErrNoSecret.
	Load(account string) (string, error)
	Save(account, secret string) error
	// Delete removes the secret; deleting a missing one is not an error.
	Delete(account string) error
}

// keyringAPI is the part of go-keyring the store uses, so tests can swap
// in a fake without touching go-keyring's process-wide provider.
type keyringAPI interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

type osKeyring struct{}

func (osKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (osKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (osKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

type keyringStore struct {
	service string
	api     keyringAPI
}

// NewKeyringStore keeps secrets in the OS keyring (macOS Keychain, the
// freedesktop Secret Service on Linux) under the given service name.
func NewKeyringStore(service string) SecretStore {
	return &keyringStore{service: service, api: osKeyring{}}
}

func (k *keyringStore) String() string { return fmt.Sprintf("OS keyring (service %q)", k.service) }

func (k *keyringStore) Load(account string) (string, error) {
	s, err := k.api.Get(k.service, account)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("%w for %s in the %s", ErrNoSecret, account, k)
	}
	if err != nil {
		return "", fmt.Errorf("read keyring: %w", err)
	}
	return s, nil
}

func (k *keyringStore) Save(account, secret string) error {
	if err := k.api.Set(k.service, account, secret); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	return nil
}

func (k *keyringStore) Delete(account string) error {
	if err := k.api.Delete(k.service, account); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("delete from keyring: %w", err)
	}
	return nil
}

// fileStore keeps secrets in a JSON file readable only by its owner.
type fileStore struct {
	path string
}

type secretFile struct {
	Version int               `json:"version"`
	Secrets map[string]string `json:"secrets"`
}

// NewFileStore keeps secrets in a 0600 file inside a 0700 directory, and
// refuses to read the file if group or others have any permission on it:
// a secret others could read is no longer a second factor.
func NewFileStore(path string) SecretStore { return &fileStore{path: path} }

func (f *fileStore) String() string { return "file " + f.path }

func (f *fileStore) Load(account string) (string, error) {
	sf, err := f.read()
	if err != nil {
		return "", err
	}
	s, ok := sf.Secrets[account]
	if !ok {
		return "", fmt.Errorf("%w for %s in %s", ErrNoSecret, account, f)
	}
	return s, nil
}

func (f *fileStore) Save(account, secret string) error {
	return f.modify(func(sf *secretFile) { sf.Secrets[account] = secret })
}

func (f *fileStore) Delete(account string) error {
	return f.modify(func(sf *secretFile) { delete(sf.Secrets, account) })
}

// modify is a read-modify-write under a lock, so two enrolments at once
// cannot lose each other's account.
func (f *fileStore) modify(fn func(*secretFile)) error {
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create secret dir: %w", err)
	}
	if info, err := os.Stat(dir); err == nil && info.Mode().Perm()&0o022 != 0 {
		// Whoever can write the directory can swap the file for their own.
		return fmt.Errorf("secret dir %s is writable by group or others (mode %04o); run chmod 700 %s", dir, info.Mode().Perm(), dir)
	}
	lock := flock.New(f.path+".lock", flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(context.Background(), otpStateLockWait)
	defer cancel()
	if ok, err := lock.TryLockContext(ctx, 20*time.Millisecond); err != nil || !ok {
		return fmt.Errorf("lock secret file %s: %w", f.path, errors.Join(err, ctx.Err()))
	}
	defer func() { _ = lock.Unlock() }() // closing the file releases it anyway
	sf, err := f.read()
	if err != nil {
		return err
	}
	fn(sf)
	data, err := json.MarshalIndent(sf, "", "  ")
	if err != nil {
		return fmt.Errorf("encode secret file: %w", err)
	}
	return writePrivate(f.path, append(data, '\n'))
}

// read loads the file; a missing file is an empty store.
func (f *fileStore) read() (*secretFile, error) {
	sf := &secretFile{Version: 1, Secrets: map[string]string{}}
	fh, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return sf, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open secret file: %w", err)
	}
	defer fh.Close()
	// Check the open file, not the path, so the file cannot be swapped
	// between the check and the read.
	info, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat secret file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("secret file %s is not a regular file", f.path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("refusing to read secret file %s: mode %04o gives group or others access; run chmod 600 %s", f.path, perm, f.path)
	}
	if err := otpCheckOwner(info); err != nil {
		return nil, fmt.Errorf("refusing to read secret file %s: %w", f.path, err)
	}
	// The decoder's errors quote positions, never content, so a corrupt
	// file does not leak a secret into the message.
	if err := json.NewDecoder(fh).Decode(sf); err != nil {
		return nil, fmt.Errorf("secret file %s is corrupt: %w", f.path, errors.New("not valid JSON"))
	}
	if sf.Secrets == nil {
		sf.Secrets = map[string]string{}
	}
	return sf, nil
}

// DefaultSecretFile is $XDG_DATA_HOME/k9s-guard/otp-secret.json, else
// ~/.local/share/k9s-guard/otp-secret.json. Data rather than config
// directory, because ~/.config is what people commit to dotfile repos.
func DefaultSecretFile(getenv func(string) string) string {
	return filepath.Join(baseDir(xdg.DataHome(getenv), getenv, ".local/share"), "k9s-guard", "otp-secret.json")
}

// keyringProbeTimeout bounds the availability check. On a Linux box with
// a session bus but no Secret Service, D-Bus activation can take 25 s to
// fail; the file fallback is better than a frozen start.
var keyringProbeTimeout = 3 * time.Second

// keyringAvailable reports whether the OS keyring answers at all. A
// lookup of an account that does not exist succeeds with ErrNotFound on
// a working keyring and fails with another error when there is none.
func keyringAvailable(api keyringAPI) bool {
	done := make(chan error, 1)
	go func() {
		_, err := api.Get(KeyringService, "k9s-guard availability probe")
		done <- err
	}()
	select {
	case err := <-done:
		return err == nil || errors.Is(err, keyring.ErrNotFound)
	case <-time.After(keyringProbeTimeout):
		return false
	}
}

// fallbackStore is the file store used because no keyring was there; it
// only differs in how it describes itself.
type fallbackStore struct{ *fileStore }

func (f fallbackStore) String() string { return f.fileStore.String() + " (no OS keyring available)" }

// OpenStore returns the store for a kind ("keyring", "file", or "" for
// keyring). "keyring" falls back to the file store when the machine has no
// usable keyring (a server or container without a Secret Service), which
// is why a file path should always be passed.
func OpenStore(kind, file string) (SecretStore, error) {
	return openStore(kind, file, osKeyring{})
}

func openStore(kind, file string, api keyringAPI) (SecretStore, error) {
	switch kind {
	case "", StoreKeyring:
		if keyringAvailable(api) {
			return &keyringStore{service: KeyringService, api: api}, nil
		}
		if file == "" {
			return nil, errors.New("open otp store: no OS keyring is available and no secret file is configured")
		}
		return fallbackStore{&fileStore{path: file}}, nil
	case StoreFile:
		if file == "" {
			return nil, errors.New("open otp store: store \"file\" needs a file path")
		}
		return &fileStore{path: file}, nil
	default:
		return nil, fmt.Errorf("open otp store: unknown store %q (expected keyring or file)", kind)
	}
}

// Secret size bounds, in bytes of decoded key. RFC 4226 requires at least
// 128 bits and recommends 160 (what enrolment generates); anything over
// 512 bits is not a TOTP secret but a paste mistake.
const (
	minSecretBytes = 16
	maxSecretBytes = 64
)

// NormaliseSecret validates a base32 secret as typed or pasted
// (spaces, lower case and '=' padding are fine) and returns it in the
// canonical form: upper case, no spaces, no padding. Errors never repeat
// the input.
func NormaliseSecret(secret string) (string, error) {
	s := normaliseSecret(secret)
	if s == "" {
		return "", errors.New("secret is empty")
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return "", errors.New("secret is not valid base32 (letters A-Z and digits 2-7)")
	}
	switch {
	case len(raw) < minSecretBytes:
		return "", fmt.Errorf("secret is %d bits; at least %d are needed", len(raw)*8, minSecretBytes*8)
	case len(raw) > maxSecretBytes:
		return "", fmt.Errorf("secret is %d bits; at most %d are accepted", len(raw)*8, maxSecretBytes*8)
	}
	return s, nil
}

func normaliseSecret(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	return strings.TrimRight(s, "=")
}

// NewKey generates a fresh 160-bit secret and its otpauth:// URI with
// the parameters every authenticator app assumes (SHA-1, 6 digits, 30 s).
// The URI leaves those three out: they are the Key URI format's defaults,
// and without them the URI is short enough (about 100 characters for a
// typical account) to be copied off an ordinary terminal on one line.
func NewKey(issuer, account string) (*otplib.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      issuer,
		AccountName: account,
		Period:      uint(Period / time.Second),
		SecretSize:  20,
		Digits:      otplib.DigitsSix,
		Algorithm:   otplib.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("generate otp secret: %w", err)
	}
	u := url.URL{
		Scheme:   "otpauth",
		Host:     "totp",
		Path:     "/" + issuer + ":" + account,
		RawQuery: url.Values{"secret": {key.Secret()}, "issuer": {issuer}}.Encode(),
	}
	short, err := otplib.NewKeyFromURL(u.String())
	if err != nil {
		return nil, errors.New("generate otp secret: cannot build its otpauth URI")
	}
	return short, nil
}

// DefaultAccount is the account name shown in authenticator apps when
// none is configured: user@host, so one phone can hold several machines.
func DefaultAccount(getenv func(string) string) string {
	name := getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "user"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return name
	}
	return name + "@" + strings.SplitN(host, ".", 2)[0]
}
