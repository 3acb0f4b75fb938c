package otp

import "time"

// Lockout policy. Five free attempts cover typos and a phone whose clock
// is off; after that every further wrong code locks verification for twice
// as long as the last lockout, so brute-forcing a million codes would take
// years while a user who mistypes a few times waits at most seconds.
const (
	otpMaxFailures  = 5
	otpFirstLockout = 30 * time.Second
	otpMaxLockout   = 15 * time.Minute
)

// otpLockoutFor is the lockout that the failures-th consecutive wrong code
// starts: none before the fifth, then 30 s, 60 s, 120 s ... up to 15 min.
func otpLockoutFor(failures int) time.Duration {
	if failures < otpMaxFailures {
		return 0
	}
	d := otpFirstLockout
	for i := otpMaxFailures; i < failures; i++ {
		d *= 2
		if d >= otpMaxLockout {
			return otpMaxLockout
		}
	}
	return d
}

// lockedAt reports whether verification is refused at now.
func (s *otpState) lockedAt(now time.Time) bool {
	return !s.LockedUntil.IsZero() && now.Before(s.LockedUntil)
}

// recordFailure counts one wrong code and starts a lockout when due.
func (s *otpState) recordFailure(now time.Time) {
	s.Failures++
	if d := otpLockoutFor(s.Failures); d > 0 {
		s.LockedUntil = now.Add(d)
	}
}

// recordSuccess clears the failure count: only consecutive failures lock.
func (s *otpState) recordSuccess() {
	s.Failures = 0
	s.LockedUntil = time.Time{}
}

// attemptsLeft is how many wrong codes may follow before a lockout. Past
// the threshold each wrong code locks again, so there is exactly one.
func (s *otpState) attemptsLeft() int {
	if s.Failures >= otpMaxFailures {
		return 1
	}
	return otpMaxFailures - s.Failures
}
