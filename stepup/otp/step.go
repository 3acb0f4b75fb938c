package otp

import "time"

// MaxFailures is how many consecutive wrong codes are free before a
// lockout starts (see LockoutFor).
const MaxFailures = otpMaxFailures

// MatchStep checks code against secret at now, with the same skew and
// constant-time comparisons as Verify, and returns the newest RFC 6238
// time step it matches. It keeps no state: the broker keeps the replay
// and lockout record in the cluster instead of the local state file, and
// needs the step to compare with the last accepted one. wellFormed is
// false when code is not six digits, which is no guess at the code.
func MatchStep(secret, code string, now time.Time) (step uint64, ok, wellFormed bool, err error) {
	matched, wellFormed, err := matchingCounters(normaliseSecret(secret), code, now)
	if err != nil || len(matched) == 0 {
		return 0, false, wellFormed, err
	}
	return matched[len(matched)-1], true, wellFormed, nil
}

// LockoutFor is the lockout the failures-th consecutive wrong code starts:
// none before MaxFailures, then doubling from 30 s up to 15 min.
func LockoutFor(failures int) time.Duration { return otpLockoutFor(failures) }
