// Package otp is the second factor: it verifies time-based one-time
// passcodes (with replay protection and lockout shared by every k9s-guard
// process of the user) and keeps the TOTP secret in the OS keyring or a
// private file.
package otp

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	otplib "github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters. They are the RFC 6238 defaults that Google
// Authenticator and every other app assume when a QR code says nothing
// else; changing any of them would break existing enrolments.
const (
	Period       = 30 * time.Second
	Digits       = 6
	otpSkewSteps = 1 // accept one 30 s step either side for clock drift
)

var otpHOTPOpts = hotp.ValidateOpts{Digits: otplib.DigitsSix, Algorithm: otplib.AlgorithmSHA1}

// ValidateOpts are the options to pass to totp.GenerateCodeCustom to
// produce a code this package accepts (tests and tools use it).
var ValidateOpts = totp.ValidateOpts{Period: uint(Period / time.Second), Digits: otplib.DigitsSix, Algorithm: otplib.AlgorithmSHA1}

// VerifyOutcome is what became of one submitted code.
type VerifyOutcome int

// Outcomes of Verifier.Verify.
const (
	VerifyOK        VerifyOutcome = iota + 1 // the code is right and was not used before
	VerifyWrong                              // the code is wrong (or not six digits)
	VerifyReused                             // the code is right but was already accepted once
	VerifyLockedOut                          // too many wrong codes; not checked at all
)

func (o VerifyOutcome) String() string {
	switch o {
	case VerifyOK:
		return "ok"
	case VerifyWrong:
		return "wrong"
	case VerifyReused:
		return "reused"
	case VerifyLockedOut:
		return "locked out"
	default:
		return "unknown"
	}
}

// VerifyResult is the answer to one Verify call. It never contains the
// code or the secret, so it is safe to log and to audit.
type VerifyResult struct {
	Outcome VerifyOutcome
	// AttemptsLeft is how many more wrong codes are allowed before the
	// next lockout.
	AttemptsLeft int
	// LockedUntil is set when Outcome is VerifyLockedOut.
	LockedUntil time.Time
}

// OK reports whether the code was accepted.
func (r VerifyResult) OK() bool { return r.Outcome == VerifyOK }

// Message is the sentence the passcode prompt shows for this result.
func (r VerifyResult) Message(now time.Time) string {
	switch r.Outcome {
	case VerifyOK:
		return "code accepted"
	case VerifyWrong:
		if r.AttemptsLeft == 1 {
			return "wrong code; 1 attempt left before a lockout"
		}
		return fmt.Sprintf("wrong code; %d attempts left before a lockout", r.AttemptsLeft)
	case VerifyReused:
		return "that code was already used; wait for the next one"
	case VerifyLockedOut:
		wait := r.LockedUntil.Sub(now).Round(time.Second)
		if wait < time.Second {
			wait = time.Second
		}
		return fmt.Sprintf("too many wrong codes; try again in %s", wait)
	default:
		return "code not checked"
	}
}

// Verifier checks codes against one secret. The replay and lockout state
// lives in a file shared by every k9s-guard process of the user, so a code
// seen by one process (or a shoulder-surfer) cannot be replayed in another,
// and guessing cannot be spread across processes to dodge the lockout.
type Verifier struct {
	secret string
	now    func() time.Time
	state  *otpStateFile
	mu     sync.Mutex // serialises Verify calls within the process
}

// NewVerifier returns a Verifier for a base32 secret. statePath is the
// shared state file (see DefaultStatePath); "" keeps the state in
// memory only, which protects just this one process. now is the clock,
// nil for time.Now.
func NewVerifier(secret string, statePath string, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{secret: normaliseSecret(secret), now: now, state: newOTPStateFile(statePath)}
}

// Verify checks one code. Errors are about the secret or the state file,
// never about the code, and never contain either.
func (v *Verifier) Verify(code string) (VerifyResult, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	var res VerifyResult
	err := v.state.update(func(st *otpState) (bool, error) {
		// A locked-out Verify does not even compute the code, so that
		// hammering during a lockout learns nothing and costs nothing.
		if st.lockedAt(now) {
			res = VerifyResult{Outcome: VerifyLockedOut, LockedUntil: st.LockedUntil}
			return false, nil
		}
		matched, wellFormed, err := matchingCounters(v.secret, code, now)
		if err != nil {
			return false, err
		}
		if !wellFormed {
			// Not six digits cannot be a guess at the code (an empty Enter,
			// a stray paste), so it costs no attempt.
			res = VerifyResult{Outcome: VerifyWrong, AttemptsLeft: st.attemptsLeft()}
			return false, nil
		}
		if len(matched) == 0 {
			st.recordFailure(now)
			if st.lockedAt(now) {
				res = VerifyResult{Outcome: VerifyLockedOut, LockedUntil: st.LockedUntil}
			} else {
				res = VerifyResult{Outcome: VerifyWrong, AttemptsLeft: st.attemptsLeft()}
			}
			return true, nil
		}
		// Take the newest matching step that is still unused; any step at
		// or before the last accepted one is a replay.
		best := matched[len(matched)-1]
		if best <= st.LastCounter {
			res = VerifyResult{Outcome: VerifyReused, AttemptsLeft: st.attemptsLeft()}
			return false, nil
		}
		st.LastCounter = best
		st.recordSuccess()
		res = VerifyResult{Outcome: VerifyOK, AttemptsLeft: otpMaxFailures}
		return true, nil
	})
	if err != nil {
		return VerifyResult{}, err
	}
	return res, nil
}

// CheckCode reports whether code is right for the secret at now, with
// the same skew and constant-time comparison as Verify but no replay or
// lockout state. Enrolment uses it: the secret is not saved yet, and wrong
// codes while setting up a phone must not count against the real lockout.
func CheckCode(secret, code string, now time.Time) (bool, error) {
	matched, _, err := matchingCounters(normaliseSecret(secret), code, now)
	return len(matched) > 0, err
}

// ErrBadSecret is returned when a secret cannot be used to compute
// codes. It deliberately says nothing about the secret's content.
var ErrBadSecret = errors.New("otp secret is not valid base32")

// otpConstantTimeEq is subtle.ConstantTimeCompare, behind a variable only
// so the timing test can count the comparisons.
var otpConstantTimeEq = subtle.ConstantTimeCompare

// matchingCounters returns, in increasing order, the time steps within the
// skew whose code equals the submitted one. Every candidate is computed
// and compared in constant time, and the loop never exits early, so the
// response time does not reveal which step (or how many digits) matched.
func matchingCounters(secret, code string, now time.Time) (matched []uint64, wellFormed bool, err error) {
	code = strings.Join(strings.Fields(code), "")
	wellFormed = len(code) == Digits && strings.Trim(code, "0123456789") == ""
	if !wellFormed {
		// Still compute the candidates, so a malformed code takes as long
		// as a well-formed one.
		code = strings.Repeat("x", Digits)
	}
	unix := now.Unix()
	if unix < 0 {
		unix = 0
	}
	current := uint64(unix) / uint64(Period/time.Second)
	for step := -otpSkewSteps; step <= otpSkewSteps; step++ {
		if step < 0 && current < uint64(-step) {
			continue
		}
		counter := uint64(int64(current) + int64(step))
		want, genErr := hotp.GenerateCodeCustom(secret, counter, otpHOTPOpts)
		if genErr != nil {
			return nil, wellFormed, ErrBadSecret
		}
		if otpConstantTimeEq([]byte(want), []byte(code)) == 1 {
			matched = append(matched, counter)
		}
	}
	if !wellFormed {
		return nil, false, nil
	}
	return matched, true, nil
}
