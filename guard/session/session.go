// Package session runs one K9s under the guard: K9s in a pseudo-terminal,
// the user's keys through the step-up gate, the passcode overlay drawn over
// K9s's screen, the elevation status line, and the credential gateway and
// audit trail behind them. The command line (package guard) resolves what
// a session needs and calls Run.
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/user"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/charmbracelet/x/ansi"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/internal/memtrim"
	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/kube/blast"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/pty"
	"github.com/k9s-guard/k9s-guard/screen"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/stepup/keys"
	"github.com/k9s-guard/k9s-guard/stepup/otp"
	"github.com/k9s-guard/k9s-guard/ui/overlay"
)

// Config is everything a session takes from the command line and the
// machine; the caller has checked the terminal and loaded the profile.
type Config struct {
	// Terminal is the user's terminal, Size its size at start.
	Terminal *pty.Terminal
	Size     pty.Size
	// Signals are caught by the caller before anything slow runs, so that
	// none is lost before K9s starts; the session forwards them to K9s.
	Signals <-chan os.Signal
	Stderr  io.Writer
	Getenv  func(string) string
	Now     func() time.Time
	// Version is k9s-guard's, for the audit trail.
	Version string

	// K9s is the K9s binary and K9sArgs its command line as the user gave
	// it; Context and Kubeconfig are the values of its flags.
	K9s                 string
	K9sArgs             []string
	Context, Kubeconfig string
	// K9sEnv is added to K9s's environment (and so to everything K9s
	// starts): who started it, so that a k9s-guard started in its place
	// can tell it is in a loop.
	K9sEnv []string
	// K9sWarning, when set, gives a line to print before K9s takes the
	// screen (an untested K9s version); "" for none.
	K9sWarning func() string

	Profile *profile.Profile
	OTP     OTP
}

// OTP is where the passcode secret and its replay state are kept.
type OTP struct {
	Store     otp.SecretStore
	Account   string
	StatePath string
	// Err, when set, is why no passcode can be checked (the profile's otp
	// settings); nothing can then be elevated.
	Err error
}

// Exit codes of k9s-guard's own making; a K9s session that ran passes
// K9s's own code through instead.
const (
	ExitFailure   = 1   // something went wrong
	ExitUsage     = 2   // the command line, the profile or the environment needs fixing
	ExitCancelled = 130 // a passcode prompt or an enrolment was cancelled
)

// session is one run of K9s under the guard.
type session struct {
	cfg    Config
	term   *pty.Terminal
	out    *pty.Output
	child  *pty.Child
	shadow *screen.Shadow
	prot   *protection
	prompt *prompter

	otpStatePath string

	// keyMu serialises the gate with the writes to K9s, so that replayed
	// keys and new ones reach K9s in the order they were typed.
	keyMu sync.Mutex
	gate  *stepup.Gate

	statusStale atomic.Bool  // a closed window's indicator is still to be wiped
	lastKey     atomic.Int64 // when the user last typed (Unix ns), for closeOn.idle
	statusMu    sync.Mutex   // one status paint or wipe at a time, each from the current windows
	notice      atomic.Pointer[notice]
	editBusy    atomic.Bool // a context edit of K9s's is being handled
	// statusRow is the screen row the indicator was last drawn on (under
	// statusMu); statusPainted says it is still there.
	statusRow     int
	statusPainted bool

	plugins *pluginCache // the user's K9s plugins that take over K9s's keys

	panics chan error
}

// goSafe starts a goroutine that turns a panic into an orderly exit: the
// session loop restores the terminal and the process exits non-zero.
func (s *session) goSafe(name string, f func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				err := fmt.Errorf("internal error in %s: %v", name, r)
				if s.cfg.Getenv("K9S_GUARD_DEBUG") != "" {
					err = fmt.Errorf("%w\n%s", err, debug.Stack())
				}
				if s.prot != nil {
					_ = s.prot.record(audit.Record{Event: audit.EventSessionEnd, Reason: "panic", Message: fmt.Sprint(r)})
				}
				select {
				case s.panics <- err:
				default:
				}
			}
		}()
		f()
	}()
}

func newSessionID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Run runs K9s under the guard and returns K9s's exit code. An error
// comes with the exit code to leave with.
func Run(ctx context.Context, cfg Config) (code int, err error) {
	term := cfg.Terminal
	s := &session{cfg: cfg, term: term, out: pty.NewOutput(term.Out), panics: make(chan error, 1)}
	s.lastKey.Store(cfg.Now().UnixNano())

	sessionID := newSessionID()
	prot, asker, err := setUpProtection(ctx, cfg, sessionID)
	if err != nil {
		return ExitUsage, err
	}
	s.prot = prot
	defer prot.close()
	s.otpStatePath = cfg.OTP.StatePath
	// The start record is the first proof the trail takes writes; without
	// it a protected context is not entered (a session with nothing
	// protected still runs, and says why nothing can be elevated).
	if err := prot.record(audit.Record{Event: audit.EventSessionStart, Context: cfg.Context, Message: "k9s-guard " + cfg.Version}); err != nil && prot.routes.AnyProtected() {
		return ExitUsage, fmt.Errorf("write the session's start to the audit trail: %w", err)
	}
	defer func() {
		// Windows close (and are recorded) before the session's end record.
		prot.windows.CloseAll(stepup.CloseExit)
		if err := prot.record(audit.Record{Event: audit.EventSessionEnd, Message: fmt.Sprintf("exit %d", code)}); err != nil {
			// The terminal is K9s's no more (this runs after the restore):
			// say that the trail lacks this session's end; verify notes it too.
			fmt.Fprintf(cfg.Stderr, "warning: the end of this session is not in the audit trail: %v\n", err)
		}
	}()

	// K9s reads the session kubeconfig, whose every cluster is the gateway:
	// its own --kubeconfig (the real file) must not reach it.
	args := withoutFlag(cfg.K9sArgs, "--kubeconfig")
	env := append(withoutEnv(os.Environ(), "KUBECONFIG"), "KUBECONFIG="+prot.gw.KubeconfigPath())
	env = append(env, cfg.K9sEnv...)
	// Once, before K9s takes the screen; a slow answer is not waited for
	// (it is cached for the next launch).
	if cfg.K9sWarning != nil {
		if w := cfg.K9sWarning(); w != "" {
			fmt.Fprintf(cfg.Stderr, "warning: %s\n", w)
		}
	}
	size := cfg.Size
	s.child, err = pty.Start(cfg.K9s, args, env, size)
	if err != nil {
		return ExitUsage, err
	}
	defer s.child.Close()
	s.shadow = screen.New(size.Cols, size.Rows)
	defer s.shadow.Close()
	defer startProfiling(cfg.Getenv, func(m string) { fmt.Fprintf(cfg.Stderr, "warning: %s\n", m) })()
	s.prompt = newPrompter(s)
	s.plugins = &pluginCache{getenv: cfg.Getenv, now: cfg.Now}
	s.gate = stepup.NewGate(stepup.GateOptions{
		Context: cfg.Context, Now: cfg.Now, Policy: prot.policy, Windows: prot.windows, Screen: s.shadow,
		Prompting: s.prompt.active.Load, RelockKey: overlay.RelockKey, ReadOnly: readOnlyArgs(args),
		Overrides: s.plugins.get, Contexts: s.contextNames, Hotkeys: s.plugins.hotkeys,
	})
	asker.set(s.askFromGateway)
	prot.windows.OnOpen(func(g stepup.Grant) {
		d := g.Deadline.UTC()
		var scope string
		if g.Scope != nil {
			scope = "scope: " + stepup.ScopeString(g.Scope)
		}
		if err := prot.record(audit.Record{Event: audit.EventWindowOpen, Context: g.Context, Source: g.Source, Deadline: &d, Message: scope}); err != nil {
			// Fail closed: a window that is not on the record does not stay
			// open (its number is a gap verify reports).
			prot.windows.CloseGrant(g.ID, stepup.CloseRelocked)
			s.say("the elevation window was closed at once: the audit trail cannot be written: " + err.Error())
			return
		}
		s.paintStatus()
		msg := fmt.Sprintf("%s elevated in context %s with %s until %s", whoami(), g.Context, prot.policy(g.Context).Elevation, d.Format(time.RFC3339))
		if scope != "" {
			msg += " (" + scope + ")"
		}
		s.announce(g, "K9sGuardElevated", msg)
	})
	prot.windows.OnClose(func(g stepup.Grant, why stepup.CloseReason) {
		_ = prot.record(audit.Record{Event: audit.EventWindowClose, Context: g.Context, Source: g.Source, Reason: string(why)})
		s.clearStatus()
		s.announce(g, "K9sGuardElevationEnded", fmt.Sprintf("%s's elevation in context %s ended: %s", whoami(), g.Context, why))
	})

	if err := term.MakeRaw(); err != nil {
		s.child.Kill()
		return ExitFailure, err
	}
	// The restore hook undoes whatever K9s left switched on if it died
	// without cleaning up (SIGKILL, crash): alternate screen, hidden cursor,
	// mouse reporting, bracketed paste, application cursor keys.
	term.OnRestore(func() { _ = s.out.Resume(resetSequence(s.shadow)) })
	defer term.Restore()
	defer func() {
		if r := recover(); r != nil {
			term.Restore()
			code, err = ExitFailure, fmt.Errorf("internal error: %v", r)
		}
	}()

	outputDone := make(chan struct{})
	s.goSafe("output pump", func() {
		defer close(outputDone)
		_ = pty.PumpOutput(s.child, s.out, s.shadow)
	})
	// K9S_GUARD_FAULT=panic-input makes the input pump panic on the first
	// key: a fault injection for the end-to-end test that proves a panic in
	// any goroutine still restores the terminal.
	faultInput := cfg.Getenv("K9S_GUARD_FAULT") == "panic-input"
	s.goSafe("input pump", func() {
		_ = pty.PumpInput(term.In, func(p []byte) {
			if faultInput {
				panic("injected fault (K9S_GUARD_FAULT=panic-input)")
			}
			s.onInput(p)
		})
	})
	s.goSafe("screen watcher", func() { s.watchScreen(ctx) })

	var stopping <-chan time.Time
	for {
		select {
		case <-s.child.Done():
			// Let the last output (K9s's own screen restore) reach the terminal.
			select {
			case <-outputDone:
			case <-time.After(2 * time.Second):
			}
			return s.child.ExitCode(), nil
		case sig := <-cfg.Signals:
			switch sig {
			case syscall.SIGWINCH:
				if sz, err := term.Size(); err == nil {
					s.shadow.Resize(sz.Cols, sz.Rows)
					_ = s.child.Resize(sz)
					s.prompt.resized()
				}
			default:
				// K9s gets the signal and decides; if it does not exit, it is
				// killed after a grace period so the guard never hangs.
				_ = s.child.Signal(sig)
				if sig != syscall.SIGINT && stopping == nil {
					stopping = time.After(5 * time.Second)
				}
			}
		case <-stopping:
			s.child.Kill()
		case perr := <-s.panics:
			s.killAndReap()
			term.Restore()
			return ExitFailure, perr
		case <-s.shadow.Faulted():
			// Without its copy of K9s's screen the guard cannot read keys:
			// it stops K9s as for a panic of its own, terminal restored.
			ferr := s.shadow.Fault()
			if s.prot != nil {
				_ = s.prot.record(audit.Record{Event: audit.EventSessionEnd, Reason: "panic", Message: ferr.Error()})
			}
			s.killAndReap()
			term.Restore()
			return ExitFailure, fmt.Errorf("internal error: %w", ferr)
		case <-ctx.Done():
			_ = s.child.Signal(syscall.SIGTERM)
			if stopping == nil {
				stopping = time.After(5 * time.Second)
			}
			ctx = context.Background()
		}
	}
}

// onInput routes the user's keystrokes through the gate: to the overlay
// while it is up, else to K9s — except a dangerous key in a protected
// context with no window covering it, which is held while the overlay asks
// for a passcode.
func (s *session) onInput(p []byte) {
	s.lastKey.Store(s.cfg.Now().UnixNano())
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	d := s.gate.Input(p)
	if d.Overlay != nil {
		s.prompt.feed(d.Overlay)
		return
	}
	_, _ = s.child.Write(d.Forward)
	if d.Hold != nil {
		req := s.keyRequest(*d.Hold)
		s.goSafe("step-up", func() { s.stepUpForKey(req) })
		return
	}
	if d.ExpireAfter > 0 {
		time.AfterFunc(d.ExpireAfter, func() {
			s.keyMu.Lock()
			defer s.keyMu.Unlock()
			s.gate.Expire()
		})
	}
}

// keyRequest is the question a held key asks, with the blast radius the
// gateway can work out for what the key will send.
func (s *session) keyRequest(h stepup.Hold) askRequest {
	req := askRequest{
		Context: h.Context, Action: h.Action, Target: h.Target, Source: h.Source, Window: h.Window, Via: "key",
		Resource: h.Resource, Namespace: h.Namespace, Name: h.Name, Scope: h.Scope, ConfirmName: h.ConfirmName,
		AskedBy: "you, with a key in K9s",
	}
	if h.Mapped && s.prot.gw != nil {
		req.Blast = blastRadius(s.prot.gw, h.Context, h.Requests)
	}
	return req
}

func (s *session) stepUpForKey(req askRequest) {
	ok := s.prompt.ask(context.Background(), req)
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	_, _ = s.child.Write(s.gate.Release(ok))
}

// blastRadius describes what scope would touch, read with the context's
// base credentials, for the overlay to show beside the prompt.
func blastRadius(gw *kube.Gateway, contextName string, scope *stepup.GrantScope) func(context.Context) string {
	return func(ctx context.Context) string {
		if scope == nil || scope.Resource == "" {
			return ""
		}
		cs, err := gw.BaseClient(contextName)
		if err != nil {
			return "unknown (" + err.Error() + ")"
		}
		return blast.Radius(ctx, cs, scope)
	}
}

// askFromGateway is the gateway's asker: a request the key watcher did not
// foresee (a plugin, a hotkey, :dir apply, kubectl from a K9s shell), or
// one outside the scope of the grant a key opened.
func (s *session) askFromGateway(ctx context.Context, req kube.StepUpRequest) (bool, error) {
	if !s.userAsked(req) {
		return false, fmt.Errorf("%w: K9s sent it in the background, outside the view that reads it (open that view to be asked)", kube.ErrNotAsked)
	}
	target := gatewayTarget(req.Action, req.Operation.String())
	ar := askRequest{
		Context: req.Context, Action: req.Action, Target: target, Source: req.Elevation, Window: req.Window, Via: "gateway",
		Verb: req.Verb, Group: req.Group, Resource: req.Resource, Subresource: req.Subresource, Namespace: req.Namespace, Name: req.Name,
		Scope: req.Scope, Renew: req.Renew, AskedBy: askedBy(req.Client, s.child.Pid()),
	}
	pol := s.prot.policy(req.Context)
	if req.Name != "" {
		for _, a := range req.Candidates() {
			if pol.NeedsConfirmName(a) {
				ar.ConfirmName = req.Name
			}
		}
	}
	if gw := s.prot.gw; gw != nil && !req.NonResource {
		ar.Blast = blastRadius(gw, req.Context, kube.OperationScope(req.Operation))
	}
	ok := s.prompt.ask(ctx, ar)
	return ok, nil
}

// askedBy names the client of a held request for the prompt. K9s's own
// requests are named as K9s's by its pid, not by its command name, which
// any program can take.
func askedBy(c kube.Peer, k9sPID int) string {
	if c.PID != 0 && c.PID == k9sPID {
		return fmt.Sprintf("K9s itself (pid %d), through the gateway", c.PID)
	}
	if c.PID != 0 && c.Command == "k9s" {
		return fmt.Sprintf("another program named k9s (pid %d, not this session's K9s), through the gateway", c.PID)
	}
	return c.String() + ", through the gateway"
}

// contextNames lists the contexts of the session kubeconfig, the names
// K9s completes ":ctx pro<Tab>" from. It is read when a completed switch
// is submitted (rarely), so a context K9s renamed is seen.
func (s *session) contextNames() []string {
	if s.prot == nil || s.prot.gw == nil {
		return nil
	}
	cfg, err := clientcmd.LoadFromFile(s.prot.gw.KubeconfigPath())
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(cfg.Contexts))
	for n := range cfg.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// pluginCache holds the user's K9s plugins that override K9s's own keys,
// for the key watcher, which asks on every key. K9s re-reads its plugin
// files on each table refresh; the cache re-reads them as often, at most
// every pluginTTL, so an edit of plugins.yaml is seen within a refresh.
type pluginCache struct {
	getenv func(string) string
	now    func() time.Time

	mu      sync.Mutex
	cluster string // from K9s's header: per-context plugins live under it
	key     string
	at      time.Time
	oo      []keys.Override
	hk      []keys.Hotkey
}

const pluginTTL = 2 * time.Second

func (c *pluginCache) setCluster(name string) {
	c.mu.Lock()
	c.cluster = name
	c.mu.Unlock()
}

// get returns the overriding plugins for a context; a file K9s cannot
// read either is skipped, as K9s skips it.
func (c *pluginCache) get(context string) []keys.Override {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load(context)
	return c.oo
}

// hotkeys returns the user's K9s hotkeys for a context.
func (c *pluginCache) hotkeys(context string) []keys.Hotkey {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load(context)
	return c.hk
}

func (c *pluginCache) load(context string) {
	key := c.cluster + "\x00" + context
	if key == c.key && c.now().Sub(c.at) < pluginTTL {
		return
	}
	c.oo, _ = keys.LoadOverrides(keys.PluginFiles(c.getenv, c.cluster, context))
	c.hk, _ = keys.LoadHotkeys(keys.HotkeyFiles(c.getenv, c.cluster, context))
	c.key, c.at = key, c.now()
}

// gatewayTarget is what the prompt shows after the action for a request
// the gateway holds. The operation's own text starts with the action, and
// the prompt puts the action first already ("kill kill pod shop/web"); a
// resource named like its action ("secrets secrets in namespace shop") is
// said once too.
func gatewayTarget(action, op string) string {
	t := strings.TrimPrefix(op, action+" ")
	if action == "secrets" {
		// Said as "read" (actionLabel): the resource stays.
		return t
	}
	if rest, ok := strings.CutPrefix(t, action+" "); ok {
		t = rest
	}
	return t
}

// userAsked reports whether the user, not K9s on its own, is behind a
// request the gateway wants to ask about. K9s keeps retrying the watches of
// views left long ago (after one visit to :secrets, a "read secrets" every
// few seconds): a read of a resource is the user's only while its view is
// on screen, or while a child K9s started (a shell's kubectl) owns the
// terminal. Writes always ask: K9s sends none by itself, and a plugin's or
// hotkey's write is the user's.
func (s *session) userAsked(req kube.StepUpRequest) bool {
	switch req.Verb {
	case "get", "list", "watch":
	default:
		return true
	}
	if s.gate == nil {
		return true
	}
	view, suspended := s.gate.Viewing()
	if suspended || view == "" {
		// The view is unknown: the guard cannot tell, so it asks.
		return true
	}
	return keys.CanonicalResource(req.Resource) == view
}

// watchScreen keeps the key watcher in step with the screen and keeps the
// elevation status line drawn and counting down.
// trimAfter is how long after K9s's first view the binary's start-up pages
// are dropped (see memtrim): K9s's first requests through the gateway are
// done by then.
const trimAfter = 5 * time.Second

func (s *session) watchScreen(ctx context.Context) {
	tick := time.NewTimer(watchBusy)
	defer tick.Stop()
	last := ""
	var trim <-chan time.Time // armed once K9s shows its first view
	trimmed := s.cfg.Getenv("K9S_GUARD_KEEP_PAGES") != ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.child.Done():
			return
		case <-tick.C:
			tick.Reset(s.watchInterval())
		case <-trim:
			// Start-up is over (K9s has loaded its first view through the
			// gateway): the binary's pages only initialisation read go
			// back, about two thirds of what the guard holds resident.
			trim, trimmed = nil, true
			_, _ = memtrim.DropBinaryPages()
			continue
		}
		if !s.shadow.CaughtUpWithin(watchSettle) {
			// A flood of output the emulator has not caught up with: the
			// watcher does not hurry it (that would run it beside the flood,
			// slowing the terminal) and looks again on the next tick. What
			// is not about the screen is done now.
			s.closeIdleWindows()
			s.checkContextEdits()
			continue
		}
		st := s.shadow.State()
		if st.Cluster != "" {
			s.plugins.setCluster(st.Cluster)
		}
		if st.Known {
			if !trimmed && trim == nil {
				trim = time.After(trimAfter)
			}
			if st.Context != "" && st.Context != last {
				if last != "" {
					s.gate.ContextSwitched(st.Context)
				}
				last = st.Context
			}
			s.keyMu.Lock()
			s.gate.Observe(st)
			s.keyMu.Unlock()
		}
		s.closeIdleWindows()
		s.checkContextEdits()
		if s.statusStale.Load() {
			s.clearStatus()
		}
		s.paintStatus()
	}
}

// announce posts a window's opening or closing as a Kubernetes Event when
// the profile asks for it (audit.events). It never holds anything up; a
// failure is written to the audit trail, the record of truth.
func (s *session) announce(g stepup.Grant, reason, message string) {
	if !s.prot.prof.Audit.Events {
		return
	}
	s.goSafe("announce", func() {
		if err := s.prot.gw.Announce(context.Background(), g, reason, message); err != nil {
			_ = s.prot.record(audit.Record{Event: audit.EventSinkError, Context: g.Context, Reason: "kubernetes event not created", Message: err.Error()})
		}
	})
}

// whoami names the user for an Event: OS user at host.
func whoami() string {
	host, _ := os.Hostname()
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return name + "@" + host
}

// closeIdleWindows ends the windows of contexts whose profile closes them
// after a spell without keys (closeOn.idle), even before their deadline.
func (s *session) closeIdleWindows() {
	idle := s.cfg.Now().Sub(time.Unix(0, s.lastKey.Load()))
	for _, g := range s.prot.windows.Grants() {
		if limit := s.prot.policy(g.Context).Idle; limit > 0 && idle >= limit && g.Opened.Before(s.cfg.Now().Add(-limit)) {
			s.prot.windows.Close(g.Context, stepup.CloseIdle)
		}
	}
}

// killAndReap ends K9s and waits (briefly) until it is gone, so nothing of
// it outlives the guard.
func (s *session) killAndReap() {
	s.child.Kill()
	select {
	case <-s.child.Done():
	case <-time.After(3 * time.Second):
	}
}

// resetSequence returns the escape sequences that switch off every mode the
// shadow screen says K9s left on. Modes K9s already switched off (a normal
// quit) produce nothing, so a clean exit writes no extra bytes.
func resetSequence(sh *screen.Shadow) []byte {
	sh.Sync()
	m := sh.Modes()
	var b []byte
	if m.Mouse {
		b = append(b, ansi.ResetModeMouseNormal+ansi.ResetModeMouseButtonEvent+ansi.ResetModeMouseAnyEvent+ansi.ResetModeMouseExtSgr...)
	}
	if m.Paste {
		b = append(b, ansi.ResetModeBracketedPaste...)
	}
	if m.AppCursor {
		b = append(b, ansi.ResetModeCursorKeys+ansi.KeypadNumericMode...)
	}
	if m.AltScreen {
		b = append(b, ansi.ResetStyle+ansi.ResetModeAltScreenSaveCursor...)
	}
	if m.CursorHidden {
		b = append(b, ansi.ShowCursor...)
	}
	return b
}

// readOnlyArgs reports whether K9s's command line makes it read-only:
// --readonly, unless --write (which K9s lets win) is given too.
func readOnlyArgs(args []string) bool {
	ro, write := false, false
	for _, a := range args {
		if a == "--" {
			break
		}
		switch a {
		case "--readonly", "--readonly=true":
			ro = true
		case "--readonly=false":
			ro = false
		case "--write", "--write=true":
			write = true
		case "--write=false":
			write = false
		}
	}
	return ro && !write
}

// withoutFlag removes a flag and its value from a command line.
func withoutFlag(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			return append(out, args[i:]...)
		}
		if args[i] == name {
			i++
			continue
		}
		if strings.HasPrefix(args[i], name+"=") {
			continue
		}
		out = append(out, args[i])
	}
	return out
}

func withoutEnv(env []string, name string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}
