package session

import "time"

// How often the screen watcher looks. While anything is under way — a
// window open (its countdown, idle and context-switch closing), a status
// line to wipe, the prompt up, or keys typed a moment ago — it looks four
// times a second. Otherwise nothing it does is urgent: a dangerous key
// re-reads the screen itself before it is classified, so the watcher only
// keeps the view and context in step, and once a second is enough. Its
// wake-ups were the guard's floor in real use: an idle K9s session cost
// more in ticks than in anything K9s drew.
const (
	watchBusy   = 250 * time.Millisecond
	watchQuiet  = time.Second
	watchRecent = 2 * time.Second // keys this recent keep the busy pace
	// watchSettle bounds the watcher's wait for a shadow screen behind
	// K9s's output before it leaves the screen for its next look.
	watchSettle = 100 * time.Millisecond
)

// watchInterval is the pause before the screen watcher's next look.
func (s *session) watchInterval() time.Duration {
	switch {
	case s.statusStale.Load(),
		s.prompt != nil && s.prompt.active.Load(),
		s.cfg.Now().Sub(time.Unix(0, s.lastKey.Load())) < watchRecent,
		len(s.prot.windows.Grants()) > 0:
		return watchBusy
	}
	return watchQuiet
}
