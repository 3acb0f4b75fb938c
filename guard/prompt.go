package guard

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/ui"
)

// askRequest is one step-up question, from the key gate or the gateway.
type askRequest struct {
	Context                                             string
	Action                                              string
	Target                                              string // "pod shop/cart-7c9d" when known
	Source                                              string // elevation source, for the overlay
	Window                                              time.Duration
	Via                                                 string // "key" or "gateway", for the audit trail
	Verb, Group, Resource, Subresource, Namespace, Name string
	// Scope is what the grant will cover (nil: the whole context).
	Scope *stepup.GrantScope
	// ConfirmName, when set, must be typed as well as the code.
	ConfirmName string
	// Blast computes what the action will touch, with the base
	// credentials; nil when nothing can be said.
	Blast func(context.Context) string
}

// blastBudget bounds how long the overlay waits for the blast radius; it
// never delays the prompt itself.
const blastBudget = 2 * time.Second

// prompter shows the passcode overlay over K9s, one question at a time.
// While it is up it owns the keyboard and the screen: K9s keeps running and
// drawing into the shadow screen, and is repainted from it afterwards.
type prompter struct {
	s      *session
	mu     sync.Mutex // one overlay at a time
	active atomic.Bool
	input  chan []byte
	resize chan struct{}
}

func newPrompter(s *session) *prompter {
	return &prompter{s: s, input: make(chan []byte, 64), resize: make(chan struct{}, 1)}
}

// feed hands keyboard input to the overlay; it never blocks the input pump.
func (p *prompter) feed(b []byte) {
	select {
	case p.input <- append([]byte(nil), b...):
	default: // a flood of input while a prompt is up is dropped, never queued for K9s
	}
}

func (p *prompter) resized() {
	select {
	case p.resize <- struct{}{}:
	default:
	}
}

// ask shows the overlay and reports whether the user proved a passcode. On
// success the window for req.Context is open when it returns.
func (p *prompter) ask(ctx context.Context, req askRequest) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	prot := p.s.prot
	// Another question may have opened a window covering this one while it
	// waited.
	if g, ok := prot.windows.Active(req.Context); ok && kube.ScopeWithin(g.Scope, req.Scope) {
		return true
	}
	rec := func(ev audit.Event, reason string) error {
		return prot.record(audit.Record{Event: ev, Context: req.Context, Action: req.Action, Verb: req.Verb, Group: req.Group,
			Resource: req.Resource, Subresource: req.Subresource, Namespace: req.Namespace, Name: req.Name, Source: req.Source, Reason: reason})
	}
	why := "via " + req.Via
	if req.Scope != nil {
		why += "; scope: " + kube.ScopeString(req.Scope)
	}
	_ = rec(audit.EventStepupPrompt, why)

	attempts, locked := 5, time.Time{}
	if path := p.s.otpStatePath; path != "" {
		if f, until, err := stepup.OTPLockStatus(path, p.s.app.Now()); err == nil {
			attempts, locked = 5-f, until
		}
	}
	granted := false
	verify := func(code string) ui.OverlayResult {
		if prot.verifier == nil {
			return ui.OverlayResult{Status: ui.OverlayFailed, Message: prot.otpErr.Error()}
		}
		res, err := prot.verifier.Verify(code)
		if err != nil {
			return ui.OverlayResult{Status: ui.OverlayFailed, Message: "could not check the passcode: " + err.Error()}
		}
		switch res.Outcome {
		case stepup.VerifyOK:
			// The grant is on the record before anything is elevated.
			if err := rec(audit.EventStepupGranted, ""); err != nil {
				return ui.OverlayResult{Status: ui.OverlayFailed, Message: err.Error()}
			}
			if _, err := prot.windows.OpenScoped(req.Context, req.Window, req.Scope, req.Source); err != nil {
				return ui.OverlayResult{Status: ui.OverlayFailed, Message: "open the window: " + err.Error()}
			}
			granted = true
			return ui.OverlayResult{Status: ui.OverlayOK}
		case stepup.VerifyReused:
			_ = rec(audit.EventStepupDenied, "reused code")
			return ui.OverlayResult{Status: ui.OverlayReused}
		case stepup.VerifyLockedOut:
			_ = rec(audit.EventStepupLockout, "too many wrong codes")
			return ui.OverlayResult{Status: ui.OverlayLocked, LockedUntil: res.LockedUntil}
		default:
			_ = rec(audit.EventStepupDenied, "wrong code")
			return ui.OverlayResult{Status: ui.OverlayWrong, AttemptsLeft: res.AttemptsLeft}
		}
	}
	outcome := p.run(ctx, ui.OverlayRequest{
		Context: req.Context, Action: req.Action, Target: req.Target, Source: req.Source, Window: req.Window,
		AttemptsLeft: attempts, LockedUntil: locked, ConfirmName: req.ConfirmName,
	}, verify, req.Blast)
	if outcome != ui.OverlayGranted && !granted {
		_ = rec(audit.EventStepupDenied, "cancelled")
		return false
	}
	return granted
}

// run drives the overlay model by hand: keys from the input pump become
// tea key messages, commands run on goroutines and their messages come back
// here, and every change is drawn over the paused K9s output.
func (p *prompter) run(ctx context.Context, req ui.OverlayRequest, verify func(string) ui.OverlayResult, blast func(context.Context) string) ui.OverlayOutcome {
	s := p.s
	s.out.Pause()
	p.active.Store(true)
	// When K9s has handed the terminal to a shell or an editor (a request
	// from kubectl in a K9s shell), the screen is theirs and the shadow does
	// not follow it: the overlay then goes on the alternate screen, and
	// leaving it gives the terminal's own copy of their screen back.
	away := !s.shadow.Modes().AltScreen
	var background []string
	if away {
		_ = s.out.Draw([]byte("\x1b[?1049h\x1b[H\x1b[2J"))
	} else {
		background = strings.Split(s.shadow.Render(), "\n")
	}
	defer func() {
		p.active.Store(false)
		if away {
			_ = s.out.Resume([]byte("\x1b[0m\x1b[?1049l\x1b[?25h"))
			return
		}
		_ = s.out.Resume(s.repaint())
	}()
	// Input that arrived before the overlay is stale.
	for len(p.input) > 0 {
		<-p.input
	}
	cols, rows := s.shadow.Size()
	if blast != nil {
		req.BlastRadius = "checking…"
	}
	model := ui.NewOverlay(ui.OverlayOptions{
		Background: background,
		Width:      cols, Height: rows, Request: req, Verify: verify, Now: s.app.Now,
	})
	msgs := make(chan tea.Msg, 16)
	var runCmd func(tea.Cmd)
	runCmd = func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() {
			switch m := c().(type) {
			case nil:
			case tea.BatchMsg:
				for _, sub := range m {
					runCmd(sub)
				}
			default:
				select {
				case msgs <- m:
				case <-time.After(time.Minute):
				}
			}
		}()
	}
	var m tea.Model = model
	update := func(msg tea.Msg) {
		var c tea.Cmd
		m, c = m.Update(msg)
		runCmd(c)
	}
	draw := func() {
		_ = s.out.Draw(s.ownColors("\x1b[?25l" + frame(m.(ui.OverlayModel).Render())))
	}
	runCmd(m.Init())
	if blast != nil {
		// The blast radius arrives when it is known, within its budget; the
		// code can be typed meanwhile.
		bctx, cancel := context.WithTimeout(ctx, blastBudget)
		defer cancel()
		go func() {
			res := make(chan string, 1)
			go func() { res <- blast(bctx) }()
			var text string
			select {
			case text = <-res:
			case <-bctx.Done():
				text = fmt.Sprintf("unknown (no answer within %s)", blastBudget)
			}
			if text == "" {
				text = "unknown"
			}
			select {
			case msgs <- ui.OverlayBlastRadiusMsg{Text: text}:
			case <-time.After(time.Minute):
			}
		}()
	}
	draw()
	var dec stepup.KeyDecoder
	var escTimer <-chan time.Time
	for m.(ui.OverlayModel).Outcome() == ui.OverlayPending {
		select {
		case b := <-p.input:
			for _, k := range dec.Feed(b) {
				if msg, ok := teaKey(k); ok {
					update(msg)
				}
			}
			escTimer = nil
			if len(dec.Pending()) > 0 {
				escTimer = time.After(50 * time.Millisecond)
			}
		case <-escTimer:
			for _, k := range dec.Flush() {
				if msg, ok := teaKey(k); ok {
					update(msg)
				}
			}
		case msg := <-msgs:
			if _, quit := msg.(tea.QuitMsg); quit {
				continue
			}
			update(msg)
		case <-p.resize:
			cols, rows := s.shadow.Size()
			if !away {
				update(ui.OverlayBackgroundMsg{Lines: strings.Split(s.shadow.Render(), "\n")})
			}
			update(tea.WindowSizeMsg{Width: cols, Height: rows})
		case <-ctx.Done():
			return ui.OverlayCancelled
		}
		draw()
	}
	return m.(ui.OverlayModel).Outcome()
}

// frame turns a full-screen rendering into bytes that draw it row by row.
// Each row is cleared before it is drawn, not after: after a full-width row
// the cursor sits on the last column, and erasing there would eat it.
func frame(screen string) string {
	var b strings.Builder
	for i, line := range strings.Split(screen, "\n") {
		fmt.Fprintf(&b, "\x1b[%d;1H\x1b[0m\x1b[2K%s\x1b[0m", i+1, line)
	}
	return b.String()
}

// teaKey converts a decoded key into what the overlay model understands.
func teaKey(k stepup.Key) (tea.Msg, bool) {
	switch {
	case k.Code == stepup.KeyPaste:
		return tea.PasteMsg{Content: k.Text}, true
	case k.Code == stepup.KeyEnter:
		return tea.KeyPressMsg{Code: tea.KeyEnter}, true
	case k.Code == stepup.KeyEscape:
		return tea.KeyPressMsg{Code: tea.KeyEscape}, true
	case k.Code == stepup.KeyBackspace:
		return tea.KeyPressMsg{Code: tea.KeyBackspace}, true
	case k.Code == stepup.KeyTab:
		return tea.KeyPressMsg{Code: tea.KeyTab}, true
	case k.Code == stepup.KeyRune && k.Mod&stepup.ModCtrl != 0:
		return tea.KeyPressMsg{Code: k.Rune, Mod: tea.ModCtrl}, true
	case k.Code == stepup.KeyRune:
		return tea.KeyPressMsg{Code: k.Rune, Text: string(k.Rune)}, true
	}
	return nil, false
}
