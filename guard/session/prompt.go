package session

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/stepup/otp"
	"github.com/k9s-guard/k9s-guard/ui/overlay"
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
	// Renew: a covering window is open but used up (kube.StepUpRequest).
	Renew bool
	// AskedBy says who raised the question, for the overlay and the audit.
	AskedBy string
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
	// waited; unless that window is a one-shot grant already used, which
	// needs a new code (Renew).
	if g, ok := prot.windows.Active(req.Context); ok && !req.Renew && stepup.ScopeWithin(g.Scope, req.Scope) {
		return true
	}
	rec := func(ev audit.Event, reason string) error {
		return prot.record(audit.Record{Event: ev, Context: req.Context, Action: req.Action, Verb: req.Verb, Group: req.Group,
			Resource: req.Resource, Subresource: req.Subresource, Namespace: req.Namespace, Name: req.Name, Source: req.Source, Reason: reason})
	}
	why := "via " + req.Via
	if req.AskedBy != "" {
		why += "; asked by " + req.AskedBy
	}
	if req.Scope != nil {
		why += "; scope: " + stepup.ScopeString(req.Scope)
	}
	// A question that cannot be recorded is still shown, so that the user
	// sees why nothing can be elevated, but no code opens anything.
	promptErr := rec(audit.EventStepupPrompt, why)

	attempts, locked := 5, time.Time{}
	if path := p.s.otpStatePath; path != "" {
		if f, until, err := otp.LockStatus(path, p.s.cfg.Now()); err == nil {
			attempts, locked = 5-f, until
		}
	}
	granted := false
	verify := func(code string) overlay.Result {
		if promptErr != nil {
			return overlay.Result{Status: overlay.Failed, Message: "Nothing is elevated: this step-up could not be recorded: " + promptErr.Error()}
		}
		if prot.policy(req.Context).Elevation.Kind == profile.ElevationBroker {
			res, ok := p.verifyWithBroker(ctx, req, code, rec)
			granted = granted || ok
			return res
		}
		if prot.verifier == nil {
			return overlay.Result{Status: overlay.Failed, Message: prot.otpErr.Error()}
		}
		res, err := prot.verifier.Verify(code)
		if err != nil {
			return overlay.Result{Status: overlay.Failed, Message: "could not check the passcode: " + err.Error()}
		}
		switch res.Outcome {
		case otp.VerifyOK:
			// The grant is on the record before anything is elevated.
			if err := rec(audit.EventStepupGranted, ""); err != nil {
				return overlay.Result{Status: overlay.Failed, Message: err.Error()}
			}
			if _, err := prot.windows.OpenScoped(req.Context, req.Window, req.Scope, req.Source); err != nil {
				return overlay.Result{Status: overlay.Failed, Message: "open the window: " + err.Error()}
			}
			granted = true
			return overlay.Result{Status: overlay.OK}
		case otp.VerifyReused:
			_ = rec(audit.EventStepupDenied, "reused code")
			return overlay.Result{Status: overlay.Reused}
		case otp.VerifyLockedOut:
			_ = rec(audit.EventStepupLockout, "too many wrong codes")
			return overlay.Result{Status: overlay.Locked, LockedUntil: res.LockedUntil}
		default:
			_ = rec(audit.EventStepupDenied, "wrong code")
			return overlay.Result{Status: overlay.Wrong, AttemptsLeft: res.AttemptsLeft}
		}
	}
	outcome := p.run(ctx, overlay.Request{
		Context: req.Context, Action: actionLabel(req.Action), Target: req.Target, Source: req.Source, Window: req.Window,
		AttemptsLeft: attempts, LockedUntil: locked, ConfirmName: req.ConfirmName, AskedBy: req.AskedBy,
	}, verify, req.Blast)
	if outcome != overlay.Granted && !granted {
		_ = rec(audit.EventStepupDenied, "cancelled")
		return false
	}
	return granted
}

// run shows the overlay over the paused K9s output and runs its model in
// a Bubble Tea program until the user is granted or gives up.
//
// The program is Bubble Tea's own event loop (keys decoded by its reader,
// commands and their messages), with three options that fit it to a
// screen it does not own: its input is a pipe the session's input pump
// feeds while the overlay is up (the terminal is already raw, and K9s must
// not see these keys); its renderer is off, because the overlay is drawn
// as whole frames over a copy of K9s's screen between K9s's own output,
// which Bubble Tea's cell renderer would neither know nor preserve; and
// its signal handling is off, because the session forwards signals to K9s.
func (p *prompter) run(ctx context.Context, req overlay.Request, verify func(string) overlay.Result, blast func(context.Context) string) overlay.Outcome {
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
		_ = s.out.Draw([]byte(ansi.SetModeAltScreenSaveCursor + ansi.CursorHomePosition + ansi.EraseEntireScreen))
	} else {
		background = strings.Split(s.shadow.Render(), "\n")
	}
	defer func() {
		p.active.Store(false)
		if away {
			_ = s.out.Resume([]byte(ansi.ResetStyle + ansi.ResetModeAltScreenSaveCursor + ansi.ShowCursor))
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
	// An os.Pipe rather than an io.Pipe: Bubble Tea can cancel a read on a
	// file descriptor when the program ends, and would otherwise wait for
	// the next key.
	in, feed, err := os.Pipe()
	if err != nil {
		return overlay.Cancelled
	}
	defer in.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer feed.Close()
		for {
			select {
			case b := <-p.input:
				if _, err := feed.Write(b); err != nil {
					return
				}
			case <-done:
				return
			}
		}
	}()
	m := drawnOverlay{
		Model: overlay.New(overlay.Options{
			Background: background,
			Width:      cols, Height: rows, Request: req, Verify: verify, Now: s.cfg.Now,
		}),
		draw: func(m overlay.Model) {
			cols, _ := s.shadow.Size()
			_ = s.out.Draw(s.ownColors(ansi.HideCursor + frame(m.Render(), cols)))
		},
	}
	m.draw(m.Model)
	prog := overlayProgram(ctx, m, in, cols, rows)
	go func() {
		for {
			select {
			case <-p.resize:
				cols, rows := s.shadow.Size()
				if !away {
					prog.Send(overlay.BackgroundMsg{Lines: strings.Split(s.shadow.Render(), "\n")})
				}
				prog.Send(tea.WindowSizeMsg{Width: cols, Height: rows})
			case <-done:
				return
			}
		}
	}()
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
			prog.Send(overlay.BlastRadiusMsg{Text: text})
		}()
	}
	final, err := prog.Run()
	if fm, ok := final.(drawnOverlay); ok && err == nil {
		return fm.Outcome()
	}
	return overlay.Cancelled
}

// overlayProgram is the Bubble Tea program that runs the overlay: input
// from in, nothing written by Bubble Tea itself (drawnOverlay draws), no
// signal handling, and a panic left to the session's own handler.
func overlayProgram(ctx context.Context, m drawnOverlay, in *os.File, cols, rows int) *tea.Program {
	return tea.NewProgram(m,
		tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(io.Discard),
		tea.WithoutRenderer(), tea.WithoutSignalHandler(), tea.WithoutCatchPanics(),
		tea.WithWindowSize(cols, rows))
}

// drawnOverlay draws the overlay over K9s after every message, since the
// program's own renderer is off (see run).
type drawnOverlay struct {
	overlay.Model
	draw func(overlay.Model)
}

func (d drawnOverlay) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := d.Model.Update(msg)
	d.Model = m.(overlay.Model)
	d.draw(d.Model)
	return d, cmd
}

// actionLabel is how the prompt says an action: the sensitive-read class
// is named "secrets" in the profile, a noun; the prompt says what is done
// ("read secrets in namespace shop", "read secret shop/db"), and a
// context edit by its verb.
func actionLabel(action string) string {
	if action == "secrets" {
		return "read"
	}
	if verb, ok := strings.CutSuffix(action, "-context"); ok {
		// The profile's delete-context and rename-context, said as what
		// is done: "delete context prod".
		return verb
	}
	return action
}
