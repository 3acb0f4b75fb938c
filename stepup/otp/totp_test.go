package otp

import (
	"crypto/subtle"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// otpTestSecret is a fixed 160-bit secret; tests generate codes from it
// for the fake time.
const otpTestSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// otpClock is a settable fake clock.
type otpClock struct {
	mu sync.Mutex
	t  time.Time
}

func newOTPClock() *otpClock {
	// Mid-step, so ±30 s lands in the neighbouring steps.
	return &otpClock{t: time.Date(2026, 3, 4, 10, 0, 15, 0, time.UTC)}
}

func (c *otpClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *otpClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func otpCodeAt(t *testing.T, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(otpTestSecret, at, ValidateOpts)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// otpWrongCode returns a six-digit code that is not valid at any step in
// the skew around at.
func otpWrongCode(t *testing.T, at time.Time) string {
	t.Helper()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-Period, 0, Period} {
		valid[otpCodeAt(t, at.Add(d))] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !valid[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

func otpStatePath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "state", "otp-state.json")
}

func mustVerify(t *testing.T, v *Verifier, code string, want VerifyOutcome) VerifyResult {
	t.Helper()
	res, err := v.Verify(code)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if res.Outcome != want {
		t.Fatalf("Verify = %v (%+v), want %v", res.Outcome, res, want)
	}
	return res
}

// The RFC 6238 appendix B vector (SHA-1, T = 59 s, "94287082" truncated to
// six digits) proves interoperability with every authenticator app
// independently of the library that generates our test codes.
func TestVerifyRFC6238Vector(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32("12345678901234567890")
	v := NewVerifier(secret, "", func() time.Time { return time.Unix(59, 0) })
	mustVerify(t, v, "287082", VerifyOK)
}

func TestVerifyAcceptsOneStepOfSkew(t *testing.T) {
	clock := newOTPClock()
	for _, d := range []time.Duration{-Period, 0, Period} {
		v := NewVerifier(otpTestSecret, "", clock.now)
		mustVerify(t, v, otpCodeAt(t, clock.now().Add(d)), VerifyOK)
	}
	for _, d := range []time.Duration{-2 * Period, 2 * Period} {
		v := NewVerifier(otpTestSecret, "", clock.now)
		code := otpCodeAt(t, clock.now().Add(d))
		if ok, _ := CheckCode(otpTestSecret, code, clock.now()); ok {
			continue // the two-steps-away code happens to equal a near one
		}
		mustVerify(t, v, code, VerifyWrong)
	}
}

func TestVerifyToleratesSpacesAndLowerCaseSecret(t *testing.T) {
	clock := newOTPClock()
	code := otpCodeAt(t, clock.now())
	v := NewVerifier(strings.ToLower("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"), "", clock.now)
	mustVerify(t, v, code[:3]+" "+code[3:], VerifyOK)
}

// Attack: replaying a code seen over the user's shoulder (or in a
// screen recording) within its 30 s validity.
func TestReplaySameProcessIsRefused(t *testing.T) {
	clock := newOTPClock()
	v := NewVerifier(otpTestSecret, otpStatePath(t), clock.now)
	code := otpCodeAt(t, clock.now())
	mustVerify(t, v, code, VerifyOK)
	clock.advance(10 * time.Second)
	res := mustVerify(t, v, code, VerifyReused)
	if res.AttemptsLeft != otpMaxFailures {
		t.Errorf("a replay cost an attempt: %+v", res)
	}
}

// Attack: replaying a code in a second k9s-guard process (another
// terminal) that has its own memory. Two Verifiers on one state file
// stand in for two processes: each update opens the files anew, and flock
// locks belong to the open file, so they exclude each other exactly as
// separate processes would.
func TestReplayAcrossProcessesIsRefused(t *testing.T) {
	clock := newOTPClock()
	path := otpStatePath(t)
	first := NewVerifier(otpTestSecret, path, clock.now)
	second := NewVerifier(otpTestSecret, path, clock.now)
	code := otpCodeAt(t, clock.now())
	mustVerify(t, first, code, VerifyOK)
	mustVerify(t, second, code, VerifyReused)
}

// Attack: racing the legitimate user with the same code from many
// processes at once; exactly one may win.
func TestReplayRaceAcceptsExactlyOnce(t *testing.T) {
	clock := newOTPClock()
	path := otpStatePath(t)
	code := otpCodeAt(t, clock.now())
	const n = 8
	results := make(chan VerifyOutcome, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := NewVerifier(otpTestSecret, path, clock.now).Verify(code)
			if err != nil {
				t.Error(err)
			}
			results <- res.Outcome
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for r := range results {
		if r == VerifyOK {
			ok++
		} else if r != VerifyReused {
			t.Errorf("outcome %v", r)
		}
	}
	if ok != 1 {
		t.Errorf("%d verifiers accepted the same code, want exactly 1", ok)
	}
}

// Attack: replaying the previous step's code (still inside the skew)
// after a newer code was accepted.
func TestOlderStepAfterNewerIsRefused(t *testing.T) {
	clock := newOTPClock()
	v := NewVerifier(otpTestSecret, otpStatePath(t), clock.now)
	older := otpCodeAt(t, clock.now().Add(-Period))
	mustVerify(t, v, otpCodeAt(t, clock.now()), VerifyOK)
	if older == otpCodeAt(t, clock.now()) {
		t.Skip("codes of neighbouring steps collide for this secret and time")
	}
	mustVerify(t, v, older, VerifyReused)
}

func TestNextStepIsAcceptedAfterReplayRefused(t *testing.T) {
	clock := newOTPClock()
	v := NewVerifier(otpTestSecret, otpStatePath(t), clock.now)
	mustVerify(t, v, otpCodeAt(t, clock.now()), VerifyOK)
	clock.advance(Period)
	mustVerify(t, v, otpCodeAt(t, clock.now()), VerifyOK)
}

// Attack: timing side channel. Every candidate step is compared with
// crypto/subtle and the loop never stops early, so a right, a wrong and a
// malformed code all cost the same comparisons.
func TestCodeComparisonIsConstantTime(t *testing.T) {
	if reflect.ValueOf(otpConstantTimeEq).Pointer() != reflect.ValueOf(subtle.ConstantTimeCompare).Pointer() {
		t.Fatal("codes are not compared with crypto/subtle.ConstantTimeCompare")
	}
	clock := newOTPClock()
	var calls int
	orig := otpConstantTimeEq
	otpConstantTimeEq = func(a, b []byte) int {
		calls++
		if len(a) != len(b) {
			t.Errorf("compared %d bytes with %d: ConstantTimeCompare returns early on a length mismatch", len(a), len(b))
		}
		return orig(a, b)
	}
	defer func() { otpConstantTimeEq = orig }()

	for _, code := range []string{
		otpCodeAt(t, clock.now().Add(-Period)), // matches the first candidate
		otpCodeAt(t, clock.now().Add(Period)),  // matches the last
		otpWrongCode(t, clock.now()),
		"12345", // malformed
		"",
	} {
		calls = 0
		if _, _, err := matchingCounters(otpTestSecret, code, clock.now()); err != nil {
			t.Fatal(err)
		}
		if calls != 2*otpSkewSteps+1 {
			t.Errorf("code %q: %d comparisons, want %d", code, calls, 2*otpSkewSteps+1)
		}
	}
}

// Attack: brute force. Five wrong codes lock verification; during the
// lockout even the right code is not checked.
func TestBruteForceLocksOut(t *testing.T) {
	clock := newOTPClock()
	v := NewVerifier(otpTestSecret, otpStatePath(t), clock.now)
	wrong := otpWrongCode(t, clock.now())
	for i := 1; i < otpMaxFailures; i++ {
		res := mustVerify(t, v, wrong, VerifyWrong)
		if res.AttemptsLeft != otpMaxFailures-i {
			t.Errorf("after %d failures AttemptsLeft = %d", i, res.AttemptsLeft)
		}
	}
	res := mustVerify(t, v, wrong, VerifyLockedOut)
	if want := clock.now().Add(otpFirstLockout); !res.LockedUntil.Equal(want) {
		t.Errorf("LockedUntil = %v, want %v", res.LockedUntil, want)
	}
	clock.advance(otpFirstLockout - time.Second)
	mustVerify(t, v, otpCodeAt(t, clock.now()), VerifyLockedOut)

	clock.advance(time.Second)
	mustVerify(t, v, otpCodeAt(t, clock.now()), VerifyOK)
	// Success resets the count: five fresh attempts.
	clock.advance(Period)
	res = mustVerify(t, v, otpWrongCode(t, clock.now()), VerifyWrong)
	if res.AttemptsLeft != otpMaxFailures-1 {
		t.Errorf("after success and one failure AttemptsLeft = %d", res.AttemptsLeft)
	}
}

// Attack: brute force with patience. Each wrong code after a lockout
// doubles the next one, up to 15 minutes.
func TestLockoutBackOffGrows(t *testing.T) {
	clock := newOTPClock()
	v := NewVerifier(otpTestSecret, otpStatePath(t), clock.now)
	for range otpMaxFailures - 1 {
		mustVerify(t, v, otpWrongCode(t, clock.now()), VerifyWrong)
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute}
	for _, d := range want {
		res := mustVerify(t, v, otpWrongCode(t, clock.now()), VerifyLockedOut)
		if got := res.LockedUntil.Sub(clock.now()); got != d {
			t.Errorf("lockout = %v, want %v", got, d)
		}
		clock.advance(d)
	}
}

// Attack: spreading guesses across several k9s-guard processes to dodge
// the per-process count. The failure count and the lockout live in the
// shared state file.
func TestLockoutIsSharedAcrossProcesses(t *testing.T) {
	clock := newOTPClock()
	path := otpStatePath(t)
	a := NewVerifier(otpTestSecret, path, clock.now)
	b := NewVerifier(otpTestSecret, path, clock.now)
	wrong := otpWrongCode(t, clock.now())
	for i := range otpMaxFailures - 1 {
		mustVerify(t, []*Verifier{a, b}[i%2], wrong, VerifyWrong)
	}
	mustVerify(t, b, wrong, VerifyLockedOut)
	c := NewVerifier(otpTestSecret, path, clock.now)
	mustVerify(t, c, otpCodeAt(t, clock.now()), VerifyLockedOut)
}

func TestMalformedCodesCostNoAttempt(t *testing.T) {
	clock := newOTPClock()
	v := NewVerifier(otpTestSecret, otpStatePath(t), clock.now)
	for _, code := range []string{"", "12345", "1234567", "abcdef", "12 34 5x"} {
		res := mustVerify(t, v, code, VerifyWrong)
		if res.AttemptsLeft != otpMaxFailures {
			t.Errorf("%q cost an attempt: %+v", code, res)
		}
	}
}

// Attack (information leak): a code or secret in an error would end up
// in logs, the audit trail or a bug report.
func TestErrorsNeverContainCodeOrSecret(t *testing.T) {
	clock := newOTPClock()
	secret := "NOT-BASE32-!!SECRETVALUE"
	v := NewVerifier(secret, otpStatePath(t), clock.now)
	_, err := v.Verify("123456")
	if err == nil {
		t.Fatal("a bad secret verified")
	}
	for _, s := range []string{"123456", "SECRETVALUE", strings.ToUpper(secret)} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains %q", err, s)
		}
	}
}

// Attack: lifting a lockout by corrupting or loosening the state file.
func TestStateFileIsFailClosed(t *testing.T) {
	clock := newOTPClock()
	path := otpStatePath(t)
	v := NewVerifier(otpTestSecret, path, clock.now)
	mustVerify(t, v, otpWrongCode(t, clock.now()), VerifyWrong)

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %04o, want 0600", info.Mode().Perm())
	}
	if dir, _ := os.Stat(filepath.Dir(path)); dir.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %04o, want 0700", dir.Mode().Perm())
	}

	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(otpCodeAt(t, clock.now())); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("world-writable state: err = %v", err)
	}

	if err := os.WriteFile(path, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(otpCodeAt(t, clock.now())); err == nil {
		t.Error("a corrupt state file was treated as a fresh one")
	}
}

func TestStateLockTimeout(t *testing.T) {
	clock := newOTPClock()
	path := otpStatePath(t)
	v := NewVerifier(otpTestSecret, path, clock.now)
	mustVerify(t, v, otpWrongCode(t, clock.now()), VerifyWrong) // creates the dir

	holder := newOTPStateFile(path)
	orig := otpStateLockWait
	otpStateLockWait = 50 * time.Millisecond
	defer func() { otpStateLockWait = orig }()
	err := holder.update(func(*otpState) (bool, error) {
		// While this process holds the lock, another Verify must give up
		// with a clear error instead of waiting forever.
		_, err := v.Verify(otpCodeAt(t, clock.now()))
		if err == nil || !strings.Contains(err.Error(), "another k9s-guard holds it") {
			t.Errorf("Verify under a held lock: err = %v", err)
		}
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, v, otpCodeAt(t, clock.now()), VerifyOK)
}

func TestCheckOTPCodeIsStateless(t *testing.T) {
	clock := newOTPClock()
	code := otpCodeAt(t, clock.now())
	for range 2 {
		if ok, err := CheckCode(otpTestSecret, code, clock.now()); !ok || err != nil {
			t.Fatalf("CheckCode = %v, %v", ok, err)
		}
	}
	if ok, _ := CheckCode(otpTestSecret, otpWrongCode(t, clock.now()), clock.now()); ok {
		t.Error("wrong code accepted")
	}
}

func TestVerifyResultMessage(t *testing.T) {
	now := time.Unix(1000, 0)
	cases := map[string]VerifyResult{
		"code accepted": {Outcome: VerifyOK},
		"wrong code; 3 attempts left before a lockout":      {Outcome: VerifyWrong, AttemptsLeft: 3},
		"wrong code; 1 attempt left before a lockout":       {Outcome: VerifyWrong, AttemptsLeft: 1},
		"that code was already used; wait for the next one": {Outcome: VerifyReused},
		"too many wrong codes; try again in 1m30s":          {Outcome: VerifyLockedOut, LockedUntil: now.Add(90 * time.Second)},
	}
	for want, r := range cases {
		if got := r.Message(now); got != want {
			t.Errorf("Message() = %q, want %q", got, want)
		}
	}
}

func TestOTPLockoutFor(t *testing.T) {
	want := map[int]time.Duration{0: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 9: 8 * time.Minute, 10: 15 * time.Minute, 1000: 15 * time.Minute}
	for n, d := range want {
		if got := otpLockoutFor(n); got != d {
			t.Errorf("otpLockoutFor(%d) = %v, want %v", n, got, d)
		}
	}
}

func TestOTPLockStatus(t *testing.T) {
	clock := newOTPClock()
	path := otpStatePath(t)
	if n, until, err := LockStatus(path, clock.now()); err != nil || n != 0 || !until.IsZero() {
		t.Fatalf("fresh state: %d %v %v", n, until, err)
	}
	v := NewVerifier(otpTestSecret, path, clock.now)
	for range otpMaxFailures {
		if _, err := v.Verify(otpWrongCode(t, clock.now())); err != nil {
			t.Fatal(err)
		}
	}
	n, until, err := LockStatus(path, clock.now())
	if err != nil || n != otpMaxFailures || !until.Equal(clock.now().Add(otpFirstLockout)) {
		t.Errorf("after lockout: %d %v %v", n, until, err)
	}
	clock.advance(otpFirstLockout)
	if _, until, _ := LockStatus(path, clock.now()); !until.IsZero() {
		t.Errorf("expired lockout still reported: %v", until)
	}
}
