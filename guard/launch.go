package guard

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/pty"
	"github.com/k9s-guard/k9s-guard/screen"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/ui"
)

// session is one run of K9s under the guard.
type session struct {
	app    *App
	term   *pty.Terminal
	out    *pty.Output
	child  *pty.Child
	shadow *screen.Shadow
	prot   *protection
	prompt *prompter

	otpStatePath string

	keyMu   sync.Mutex // guards decoder and held
	decoder stepup.KeyDecoder
	watcher *stepup.KeyWatcher
	held    bool // a dangerous key is waiting for a step-up; input is dropped meanwhile

	observedGen  uint64    // shadow generation last shown to the watcher
	pendingSince time.Time // when the decoder's pending bytes (a lone ESC) arrived

	statusStale atomic.Bool  // a closed window's indicator is still to be wiped
	lastKey     atomic.Int64 // when the user last typed (Unix ns), for closeOn.idle
	statusMu    sync.Mutex   // one status paint or wipe at a time, each from the current windows

	panics chan error
}

// goSafe starts a goroutine that turns a panic into an orderly exit: the
// session loop restores the terminal and the process exits non-zero.
func (s *session) goSafe(name string, f func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				err := fmt.Errorf("internal error in %s: %v", name, r)
				if s.app.Getenv("K9S_GUARD_DEBUG") != "" {
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

// launch runs K9s under the guard and returns K9s's exit code.
func (a *App) launch(ctx context.Context, la launchArgs) (code int, err error) {
	k9s, err := a.findK9s(la.K9s)
	if err != nil {
		return 2, err
	}
	k9sCheck := a.checkK9sVersion(ctx, k9s)
	term, err := pty.NewTerminal(a.Stdin, a.Stdout)
	if err != nil {
		return 2, &ExitError{Code: 2, Err: err}
	}
	size, err := term.Size()
	if err != nil {
		return 2, &ExitError{Code: 2, Err: err}
	}
	s := &session{app: a, term: term, out: pty.NewOutput(a.Stdout), panics: make(chan error, 1)}
	s.lastKey.Store(a.Now().UnixNano())

	// Signals are caught before K9s starts so none is lost in between.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGWINCH)
	defer signal.Stop(sigs)

	sessionID := newSessionID()
	prot, asker, err := a.setUpProtection(ctx, la, sessionID)
	if err != nil {
		return 2, err
	}
	s.prot = prot
	defer prot.close()
	if t, err := a.otpTarget(otpFlags{profile: la.Profile}); err == nil {
		s.otpStatePath = t.statePath
	}
	_ = prot.record(audit.Record{Event: audit.EventSessionStart, Context: la.Context, Message: "k9s-guard " + Version()})
	defer func() {
		// Windows close (and are recorded) before the session's end record.
		prot.windows.CloseAll(stepup.CloseExit)
		_ = prot.record(audit.Record{Event: audit.EventSessionEnd, Message: fmt.Sprintf("exit %d", code)})
	}()

	// K9s reads the session kubeconfig, whose every cluster is the gateway:
	// its own --kubeconfig (the real file) must not reach it.
	args := withoutFlag(la.K9sArgs, "--kubeconfig")
	env := append(withoutEnv(os.Environ(), "KUBECONFIG"), "KUBECONFIG="+prot.gw.KubeconfigPath())
	// Once, before K9s takes the screen; a slow answer is not waited for
	// (it is cached for the next launch).
	if w := k9sCheck.warning(); w != "" {
		fmt.Fprintf(a.Stderr, "warning: %s\n", w)
	}
	s.child, err = pty.Start(k9s, args, env, size)
	if err != nil {
		return 2, &ExitError{Code: 2, Err: err}
	}
	defer s.child.Close()
	s.shadow = screen.New(size.Cols, size.Rows)
	defer s.shadow.Close()
	s.watcher = stepup.NewKeyWatcher(stepup.WatchOptions{Context: la.Context, Now: a.Now})
	s.prompt = newPrompter(s)
	asker.set(s.askFromGateway)
	prot.windows.OnOpen(func(g stepup.Grant) {
		d := g.Deadline.UTC()
		var scope string
		if g.Scope != nil {
			scope = "scope: " + kube.ScopeString(g.Scope)
		}
		_ = prot.record(audit.Record{Event: audit.EventWindowOpen, Context: g.Context, Source: g.Source, Deadline: &d, Message: scope})
		s.paintStatus()
		msg := fmt.Sprintf("%s elevated in context %s with %s until %s", whoami(), g.Context, prot.prof.For(g.Context).Elevation, d.Format(time.RFC3339))
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
		return 1, err
	}
	// The restore hook undoes whatever K9s left switched on if it died
	// without cleaning up (SIGKILL, crash): alternate screen, hidden cursor,
	// mouse reporting, bracketed paste, application cursor keys.
	term.OnRestore(func() { _ = s.out.Resume(resetSequence(s.shadow)) })
	defer term.Restore()
	defer func() {
		if r := recover(); r != nil {
			term.Restore()
			code, err = 1, fmt.Errorf("internal error: %v", r)
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
	faultInput := a.Getenv("K9S_GUARD_FAULT") == "panic-input"
	s.goSafe("input pump", func() {
		_ = pty.PumpInput(a.Stdin, func(p []byte) {
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
		case sig := <-sigs:
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
			return 1, perr
		case <-ctx.Done():
			_ = s.child.Signal(syscall.SIGTERM)
			if stopping == nil {
				stopping = time.After(5 * time.Second)
			}
			ctx = context.Background()
		}
	}
}

// onInput routes the user's keystrokes: to the overlay while it is up, else
// to K9s — except a dangerous key in a protected context with no open
// window, which is held while the overlay asks for a passcode.
func (s *session) onInput(p []byte) {
	s.lastKey.Store(s.app.Now().UnixNano())
	if s.prompt.active.Load() {
		s.prompt.feed(p)
		return
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.held {
		return // the overlay is about to open; nothing slips past it to K9s
	}
	if mayBeAction(p) && s.shadow.Idle() {
		// Only when the emulator is idle: the keystroke path never waits for
		// it. Otherwise the watcher goes by the keys and its last look.
		s.observeNow()
	}
	// K9s (tcell) takes an ESC followed by nothing for 50 ms as Esc on its
	// own; bytes that arrive later start a new key. The decoder must read
	// the stream the same way, or an Esc then ":ctx dev" would look like
	// Alt-: followed by letters (and "e" like edit).
	if len(s.decoder.Pending()) > 0 && s.app.Now().Sub(s.pendingSince) >= escTimeout {
		for _, k := range s.decoder.Flush() {
			s.watcher.Classify(k)
		}
	}
	carried := len(s.decoder.Pending())
	keys := s.decoder.Feed(p)
	// Each key's bytes in p: keys are contiguous, and the first may have
	// begun in an earlier chunk (already forwarded).
	var fwd []byte
	offset := -carried
	for _, k := range keys {
		start, end := max(offset, 0), max(offset+len(k.Raw), 0)
		offset += len(k.Raw)
		if len(k.Raw) == 1 && k.Raw[0] == ui.RelockKey && len(s.prot.windows.Grants()) > 0 {
			// The re-lock key is k9s-guard's own while a window is open: it
			// closes every window at once and never reaches K9s.
			s.prot.windows.CloseAll(stepup.CloseRelocked)
			continue
		}
		v := s.watcher.Classify(k)
		if v.ContextChanged {
			s.contextSwitched(v.NewContext)
		}
		if v.Dangerous() {
			if req, ok := s.needsStepUp(v); ok {
				_, _ = s.child.Write(fwd)
				s.held = true
				heldKeys := append([]byte(nil), p[start:]...)
				s.goSafe("step-up", func() { s.stepUpForKey(req, heldKeys) })
				return
			}
		}
		fwd = append(fwd, p[start:end]...)
	}
	// Bytes of a key not complete yet (a lone ESC, half a sequence) go to
	// K9s now: the guard never delays typing.
	fwd = append(fwd, p[max(offset, 0):]...)
	_, _ = s.child.Write(fwd)
	if len(s.decoder.Pending()) > 0 {
		// A lone ESC is a key only after a moment of silence (as in tcell).
		s.pendingSince = s.app.Now()
		time.AfterFunc(escTimeout, func() {
			s.keyMu.Lock()
			defer s.keyMu.Unlock()
			if len(s.decoder.Pending()) > 0 && s.app.Now().Sub(s.pendingSince) >= escTimeout {
				for _, k := range s.decoder.Flush() {
					s.watcher.Classify(k)
				}
			}
		})
	}
}

// escTimeout is how long tcell waits after an ESC before taking it as Esc.
const escTimeout = 50 * time.Millisecond

// mayBeAction reports whether p holds a key that is an action in some K9s
// view; only then is the screen re-read before classifying, so navigation
// keys never pay for it.
func mayBeAction(p []byte) bool {
	return bytes.ContainsAny(p, "\x04\x0b\x0ceEsSaAtTzZrRiIcCuUFxXdD\r:/\x1b")
}

// observeNow brings the key watcher up to date with what K9s has drawn, if
// anything was drawn since the last look (a dialog that just closed).
func (s *session) observeNow() {
	gen := s.shadow.Generation()
	if gen == s.observedGen {
		return
	}
	s.observedGen = gen
	if st := s.shadow.StateNow(); st.Known {
		s.watcher.Observe(screenState(st))
	}
}

// needsStepUp decides whether a dangerous key must wait for a passcode.
// Under scope "operation" an open window lets the key through only when
// its grant covers what the key will do (the objects under the cursor, or
// every marked row); anything else prompts again.
func (s *session) needsStepUp(v stepup.KeyVerdict) (askRequest, bool) {
	ctxName := v.Context
	if ctxName == "" {
		ctxName = s.watcher.Context()
	}
	if ctxName == "" {
		// Unknown context: the gateway, which always knows, enforces.
		return askRequest{}, false
	}
	pol := s.prot.prof.For(ctxName)
	if !pol.Protected || !pol.Requires(v.Action) {
		return askRequest{}, false
	}
	targets := s.keyTargets()
	keyScope, mapped := kube.KeyScope(v.Action, v.Resource, targets)
	if !mapped {
		// Nothing the gateway will see (a kubeconfig edit): the grant
		// covers no request at all.
		keyScope = &stepup.GrantScope{Action: v.Action}
	}
	var scope *stepup.GrantScope
	if pol.Scope == profile.ScopeOperation {
		scope = keyScope
	}
	if g, open := s.prot.windows.Active(ctxName); open && kube.ScopeWithin(g.Scope, scope) {
		return askRequest{}, false
	}
	req := askRequest{
		Context: ctxName, Action: v.Action, Target: s.target(v, targets), Source: pol.Elevation.String(),
		Window: pol.Window, Via: "key", Resource: v.Resource, Scope: scope,
	}
	if len(targets) == 1 {
		req.Namespace, req.Name = targets[0].Namespace, targets[0].Name
	}
	if names := keyScope.Names; len(names) > 0 && needsConfirmName(pol, v.Action, v.Resource) {
		req.ConfirmName = strings.Join(names, " ")
	}
	if mapped && s.prot.gw != nil {
		gw := s.prot.gw
		req.Blast = func(ctx context.Context) string { return gw.BlastRadius(ctx, ctxName, keyScope) }
	}
	return req, true
}

// needsConfirmName reports whether the profile wants the object's name
// typed for this action on this resource.
func needsConfirmName(pol profile.Policy, action, resource string) bool {
	names := []string{action}
	if action == "delete" || action == "kill" {
		names = append(names, profile.DeleteAction(resource))
	}
	for _, n := range names {
		if pol.NeedsConfirmName(n) {
			return true
		}
	}
	return false
}

// keyTargets reads the objects a key press acts on off the shadow screen:
// every marked row if any, else the row under the cursor; the namespace
// from the view title, or the row's NAMESPACE column in an all-namespaces
// view. A name that cannot be read leaves it out (the scope is then too
// narrow, never too wide).
func (s *session) keyTargets() []kube.Target {
	st := s.shadow.State()
	switch st.Resource {
	case "describe", "yaml", "logs":
		// One object, named in the title: "describe(shop/web)", "yaml(node-1)".
		if st.Namespace == "" {
			return nil
		}
		if ns, name, ok := strings.Cut(st.Namespace, "/"); ok {
			return []kube.Target{{Namespace: ns, Name: name}}
		}
		return []kube.Target{{Name: st.Namespace}}
	}
	rows := s.shadow.ActionRows()
	ns := st.Namespace
	var out []kube.Target
	for i := range rows.Rows {
		name := rows.Column(i, "NAME")
		if name == "" {
			return nil
		}
		if st.Resource == "namespaces" {
			// K9s marks favourite namespaces "+" and the current one "(*)".
			name = strings.TrimSuffix(strings.TrimSuffix(name, "(*)"), "+")
		}
		t := kube.Target{Name: name, Namespace: ns}
		switch ns {
		case "all", "-", "":
			t.Namespace = rows.Column(i, "NAMESPACE")
		}
		out = append(out, t)
	}
	return out
}

// target names the objects the key acts on, as the screen shows them.
func (s *session) target(v stepup.KeyVerdict, targets []kube.Target) string {
	if len(targets) == 0 {
		return v.Resource
	}
	var names []string
	for _, t := range targets {
		n := t.Name
		if t.Namespace != "" && v.Resource != "namespaces" {
			n = t.Namespace + "/" + n
		}
		names = append(names, n)
	}
	what := strings.TrimSuffix(v.Resource, "s")
	if len(names) > 1 {
		what = v.Resource
	}
	return what + " " + strings.Join(names, ", ")
}

func (s *session) stepUpForKey(req askRequest, heldKeys []byte) {
	ok := s.prompt.ask(context.Background(), req)
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	s.held = false
	if ok {
		// K9s carries on exactly as if the guard had not been there: its
		// own dialog, the editor, the shell.
		_, _ = s.child.Write(heldKeys)
	}
}

// askFromGateway is the gateway's asker: a request the key watcher did not
// foresee (a plugin, a hotkey, :dir apply, kubectl from a K9s shell), or
// one outside the scope of the grant a key opened.
func (s *session) askFromGateway(ctx context.Context, req kube.StepUpRequest) (bool, error) {
	target := req.Operation.String()
	ar := askRequest{
		Context: req.Context, Action: req.Action, Target: target, Source: req.Elevation, Window: req.Window, Via: "gateway",
		Verb: req.Verb, Group: req.Group, Resource: req.Resource, Subresource: req.Subresource, Namespace: req.Namespace, Name: req.Name,
		Scope: req.Scope,
	}
	pol := s.prot.prof.For(req.Context)
	if req.Name != "" {
		for _, a := range req.Operation.Candidates() {
			if pol.NeedsConfirmName(a) {
				ar.ConfirmName = req.Name
			}
		}
	}
	if gw := s.prot.gw; gw != nil && !req.NonResource {
		scope := kube.OperationScope(req.Operation)
		ar.Blast = func(ctx context.Context) string { return gw.BlastRadius(ctx, req.Context, scope) }
	}
	ok := s.prompt.ask(ctx, ar)
	return ok, nil
}

// contextSwitched closes windows the profile closes on a context switch.
func (s *session) contextSwitched(to string) {
	for _, g := range s.prot.windows.Grants() {
		if g.Context != to && s.prot.prof.For(g.Context).CloseOnContextSwitch {
			s.prot.windows.Close(g.Context, stepup.CloseContextSwitch)
		}
	}
}

// watchScreen keeps the key watcher in step with the screen and keeps the
// elevation status line drawn and counting down.
func (s *session) watchScreen(ctx context.Context) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.child.Done():
			return
		case <-tick.C:
		}
		st := s.shadow.State()
		if st.Known {
			if st.Context != "" && st.Context != last {
				if last != "" {
					s.contextSwitched(st.Context)
				}
				last = st.Context
			}
			s.keyMu.Lock()
			s.watcher.Observe(screenState(st))
			s.keyMu.Unlock()
		}
		s.closeIdleWindows()
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
	idle := s.app.Now().Sub(time.Unix(0, s.lastKey.Load()))
	for _, g := range s.prot.windows.Grants() {
		if limit := s.prot.prof.For(g.Context).Idle; limit > 0 && idle >= limit && g.Opened.Before(s.app.Now().Add(-limit)) {
			s.prot.windows.Close(g.Context, stepup.CloseIdle)
		}
	}
}

func screenState(st screen.State) stepup.ScreenState {
	out := stepup.ScreenState{Context: st.Context, Resource: stepup.CanonicalResource(st.Resource), Known: st.Known}
	switch {
	case st.Suspended:
		out.Mode = stepup.WatchSuspended
	case st.Mode == screen.ModeDialog:
		out.Mode = stepup.WatchDialog
	case st.Mode == screen.ModePrompt:
		out.Mode = stepup.WatchPrompt
	case st.Mode == screen.ModeFilter:
		out.Mode = stepup.WatchFilter
	case st.Mode == screen.ModeNormal:
		out.Mode = stepup.WatchNormal
	}
	return out
}

// statusLine describes the open windows for the indicator.
func (s *session) statusLine() ui.StatusLine {
	var sl ui.StatusLine
	for _, g := range s.prot.windows.Grants() {
		sl.Windows = append(sl.Windows, ui.StatusWindow{Context: g.Context, Until: g.Deadline})
	}
	return sl
}

// paintStatus draws the elevation indicator over K9s's logo corner.
func (s *session) paintStatus() {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	s.paintStatusLocked()
}

func (s *session) paintStatusLocked() {
	if s.prompt == nil || s.prompt.active.Load() {
		return
	}
	if !s.shadow.Modes().AltScreen {
		// K9s has handed the terminal to a shell or an editor: their screen
		// is not K9s's, and the guard does not draw on it.
		return
	}
	cols, _ := s.shadow.Size()
	if p := s.statusLine().Paint(s.app.Now(), cols); p != "" {
		_, _ = s.out.DrawBetweenFrames(s.ownColors(p))
	}
}

// clearStatus repaints the indicator's row from the shadow screen.
// If K9s is mid-sequence it cannot be drawn now; the screen watcher tries
// again on its next tick, so a closed window never leaves its indicator.
func (s *session) clearStatus() {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	s.statusStale.Store(true)
	if s.prompt == nil || s.prompt.active.Load() {
		return // the repaint after the overlay redraws the row anyway
	}
	rows := strings.Split(s.shadow.Render(), "\n")
	if len(rows) == 0 {
		return
	}
	if drawn, _ := s.out.DrawBetweenFrames([]byte("\x1b7\x1b[1;1H\x1b[0m" + rows[0] + "\x1b[0m\x1b8")); drawn {
		s.statusStale.Store(false)
	}
	s.paintStatusLocked()
}

// ownColors prepares what k9s-guard itself draws (the overlay, the status
// line) for the terminal: with NO_COLOR set, colours are stripped and only
// attributes such as bold and reverse remain. K9s's own screen, repainted
// from the shadow copy, keeps whatever K9s chose.
func (s *session) ownColors(text string) []byte {
	if s.app.Getenv("NO_COLOR") == "" {
		return []byte(text)
	}
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.Ascii}
	_, _ = w.Write([]byte(text))
	return b.Bytes()
}

// repaint redraws the whole K9s screen from the shadow copy (after the
// overlay), then the status line, and puts the cursor back.
func (s *session) repaint() []byte {
	var b strings.Builder
	b.WriteString(frame(s.shadow.Render()))
	col, row, hidden := s.shadow.Cursor()
	fmt.Fprintf(&b, "\x1b[%d;%dH", row+1, col+1)
	if hidden {
		b.WriteString("\x1b[?25l")
	} else {
		b.WriteString("\x1b[?25h")
	}
	cols, _ := s.shadow.Size()
	b.WriteString(s.statusLine().Paint(s.app.Now(), cols))
	return []byte(b.String())
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
		b = append(b, "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l"...)
	}
	if m.Paste {
		b = append(b, "\x1b[?2004l"...)
	}
	if m.AppCursor {
		b = append(b, "\x1b[?1l\x1b>"...)
	}
	if m.AltScreen {
		b = append(b, "\x1b[0m\x1b[?1049l"...)
	}
	if m.CursorHidden {
		b = append(b, "\x1b[?25h"...)
	}
	return b
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
