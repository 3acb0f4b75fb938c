package keys

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// Mode is what K9s does with the next key the user types.
type Mode uint8

const (
	// ModeUnknown is only used in ScreenState: the screen does not clearly
	// show a mode. A Watcher itself is never in this mode.
	ModeUnknown Mode = iota
	// ModeNormal: keys are K9s commands for the current view.
	ModeNormal
	// ModePrompt: the ':' command prompt is open; keys are text.
	ModePrompt
	// ModeFilter: the '/' filter prompt is open; keys are text.
	ModeFilter
	// ModeDialog: a K9s confirm dialog or form is open; keys answer it.
	ModeDialog
	// ModeSuspended: K9s left the alternate screen for a shell, editor or
	// kubectl child; keys belong to the child (Ctrl-D is EOF there).
	ModeSuspended
)

var modeNames = [...]string{"unknown", "normal", "prompt", "filter", "dialog", "suspended"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// ScreenState is what the shadow screen shows about K9s. The orchestrator
// fills it from the vt emulator after K9s's output has been applied.
type ScreenState struct {
	// Context is the name after "Context:" in the header; "" when the
	// header is hidden or unreadable.
	Context string
	// Resource is the current view in any spelling K9s uses ("pods",
	// "Deployments", "v1/pods", "describe"); "" when it cannot be read.
	Resource string
	// Mode is the mode the screen shows; ModeUnknown when it is unclear.
	// Normal means "K9s is on screen and shows no prompt or dialog".
	Mode Mode
	// Known is false while the screen is not recognisably K9s (start-up,
	// mid-redraw); the whole state is then ignored.
	Known bool
	// ReadOnlyKnown is set when the header shows whether K9s runs
	// read-only; ReadOnly is then its answer.
	ReadOnlyKnown, ReadOnly bool
}

// Verdict says what a key will make K9s do.
type Verdict struct {
	// Action is one of the Act* names when the key changes the cluster or
	// exposes secrets, "" when it is harmless.
	Action string
	// Label is K9s's own name for the action when it differs from Action
	// ("uninstall", "sanitize", "shell"), for the step-up prompt.
	Label string
	// Resource is the canonical resource the action applies to; for a
	// describe/yaml/logs view it is the resource beneath. "" = unknown.
	Resource string
	// Context is the K9s context the key acts in; "" means unknown, and a
	// policy should then treat the context as protected (fail closed).
	Context string
	// ContextChanged is set when the key submits a context switch
	// (":ctx NAME", a command with "@NAME", Enter in the contexts view).
	// NewContext is the context switched to, "" when it cannot be known
	// (Enter on a row, a Tab-completed name).
	ContextChanged bool
	NewContext     string
	// ViewChanged is set when the key is expected to open another view;
	// NewResource is its canonical name, "" when unknown.
	ViewChanged bool
	NewResource string
}

// Dangerous reports whether the key must be held until step-up succeeds
// (when the context is protected and no window is open).
func (v Verdict) Dangerous() bool { return v.Action != "" }

// DefaultGrace is how long a key-based prediction outranks a screen
// that still shows the old state. K9s redraws within a few milliseconds of
// a key; the margin covers a loaded machine.
const DefaultGrace = 500 * time.Millisecond

// Options configures a Watcher.
type Options struct {
	// Context is the context K9s starts in (--context or the kubeconfig's
	// current-context); "" if unknown.
	Context string
	// Resource is the first view (from -c/--command), "" if unknown.
	Resource string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Grace overrides DefaultGrace when positive.
	Grace time.Duration
	// ReadOnly is K9s started read-only (--readonly without --write), as
	// far as its command line tells; the header's lock corrects it.
	ReadOnly bool
	// Contexts lists the kubeconfig's context names K9s completes from
	// (":ctx pro<Tab>"); nil when unknown.
	Contexts func() []string
	// Hotkeys returns the user's K9s hotkeys for a context (see
	// LoadHotkeys); nil means none. Called on the keystroke path.
	Hotkeys func(context string) []Hotkey
	// Overrides returns the user's plugins that take over K9s's own keys
	// in a context (see LoadOverrides); nil means none. It is called on
	// the keystroke path, so it must answer from a cache.
	Overrides func(context string) []Override
}

// Watcher follows what K9s is doing — mode, view and context — from the
// keys the user types and from the shadow screen, and classifies each key.
//
// Keys are ahead of the screen (K9s has not drawn the effect of a key that
// is still on its way), the screen is the truth about everything keys
// cannot see (dialogs, suspension, a hotkey, a mistyped command). So each
// key-based change is recorded as a prediction; until the screen confirms it
// or Grace passes, a screen still showing the old state is treated as lag.
// Dialog and Suspended come only from the screen.
//
// When the view is unknown (a Tab-completed command, Enter on a row the
// guard cannot predict) only Ctrl-D counts as dangerous: delete is bound in
// almost every K9s view, while guessing for the other letters would ask for
// passcodes as the user types. The credential gateway still refuses any
// mutation that slips through, and the screen names the view within a
// redraw.
//
// A Watcher is safe for concurrent use: Classify runs on the input pump,
// Observe on the output pump. Create it with NewWatcher; the zero value
// is not usable.
type Watcher struct {
	mu    sync.Mutex
	now   func() time.Time
	grace time.Duration

	mode      Mode
	context   string
	readOnly  bool // K9s hides its write keys
	overrides func(context string) []Override
	contexts  func() []string
	hotkeys   func(context string) []Hotkey
	// candidates are the contexts a Tab-completed switch may have gone
	// to, when it cannot be told which; nil otherwise.
	candidates []string
	stack      []string // view stack, current view last; "" = unknown view
	// filtered is set while a submitted filter narrows the current view:
	// K9s's Esc then clears the filter instead of going back.
	filtered bool

	// The text typed into the open prompt, and the tokens of it that a
	// suggestion (Tab, Right, Ctrl-F) may have completed: their text on
	// K9s's side is unknown.
	buf       []rune
	completed map[int]bool
	// bufLost is set when the prompt opened without the guard seeing ':'.
	bufLost bool

	modePred prediction[Mode]
	viewPred prediction[string]
	ctxPred  prediction[string]
}

// maxViewStack bounds the view stack; K9s's own history is shallow too.
const maxViewStack = 32

// NewWatcher returns a watcher in normal mode.
func NewWatcher(opts Options) *Watcher {
	w := &Watcher{
		now:       opts.Now,
		grace:     opts.Grace,
		mode:      ModeNormal,
		context:   opts.Context,
		readOnly:  opts.ReadOnly,
		overrides: opts.Overrides,
		contexts:  opts.Contexts,
		hotkeys:   opts.Hotkeys,
		stack:     []string{CanonicalResource(opts.Resource)},
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.grace <= 0 {
		w.grace = DefaultGrace
	}
	return w
}

// Clone returns an independent copy of the watcher in its current state,
// for following another reading of the same keys.
func (w *Watcher) Clone() *Watcher {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := &Watcher{
		now: w.now, grace: w.grace, mode: w.mode, context: w.context, readOnly: w.readOnly, overrides: w.overrides, contexts: w.contexts, hotkeys: w.hotkeys,
		candidates: append([]string(nil), w.candidates...),
		stack:      append([]string(nil), w.stack...), filtered: w.filtered,
		buf: append([]rune(nil), w.buf...), bufLost: w.bufLost,
		modePred: w.modePred, viewPred: w.viewPred, ctxPred: w.ctxPred,
	}
	if w.completed != nil {
		c.completed = make(map[int]bool, len(w.completed))
		for k, v := range w.completed {
			c.completed[k] = v
		}
	}
	return c
}

// Mode returns the mode the watcher believes K9s is in.
func (w *Watcher) Mode() Mode {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mode
}

// Resource returns the canonical name of the current view, "" if unknown.
func (w *Watcher) Resource() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.top()
}

// ActionResource returns the resource the current view acts on: the view
// itself, or for describe/yaml/logs the view beneath; "" if unknown.
func (w *Watcher) ActionResource() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.actionResource()
}

// ContextCandidates returns the contexts K9s may have switched to when
// Context is "" after a Tab-completed switch; nil otherwise.
func (w *Watcher) ContextCandidates() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.context != "" {
		return nil
	}
	return append([]string(nil), w.candidates...)
}

// Context returns the current context, "" if unknown.
func (w *Watcher) Context() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.context
}

// Observe resynchronises the watcher with the shadow screen. Call it after
// each batch of K9s output has been applied to the emulator.
func (w *Watcher) Observe(s ScreenState) {
	if !s.Known {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()

	if c := strings.TrimSpace(s.Context); c != "" && w.ctxPred.accept(c, now) {
		w.context = c
		w.candidates = nil
	}
	if s.ReadOnlyKnown {
		w.readOnly = s.ReadOnly
	}
	if r := CanonicalResource(s.Resource); r != "" && w.viewPred.accept(r, now) {
		w.adoptView(r)
	}
	w.observeMode(s.Mode, now)
}

func (w *Watcher) observeMode(m Mode, now time.Time) {
	switch {
	case m == ModeUnknown || m > ModeSuspended || m == w.mode && !w.modePred.active:
		return
	case m == ModeSuspended || m == ModeDialog || w.mode == ModeSuspended || w.mode == ModeDialog:
		// Only the screen knows about these, so it always wins.
		w.modePred = prediction[Mode]{}
	case !w.modePred.accept(m, now):
		return
	}
	if m == w.mode {
		return
	}
	if m == ModePrompt || m == ModeFilter {
		// A prompt the guard did not see open (a hotkey, or keys typed
		// while the screen lagged): its text is unknown.
		w.buf, w.completed, w.bufLost = nil, nil, w.mode != m
	} else {
		w.buf, w.completed, w.bufLost = nil, nil, false
	}
	w.mode = m
}

// adoptView makes the screen's view current, keeping the stack sensible:
// a sub-view goes on top of its resource, going back pops.
func (w *Watcher) adoptView(r string) {
	if w.top() == r {
		return
	}
	if isSubView(r) {
		if isSubView(w.top()) {
			w.stack[len(w.stack)-1] = r
		} else {
			w.push(r)
		}
		return
	}
	for len(w.stack) > 1 && isSubView(w.top()) {
		w.stack = w.stack[:len(w.stack)-1]
	}
	switch {
	case w.top() == r:
	case len(w.stack) > 1 && w.stack[len(w.stack)-2] == r:
		w.stack = w.stack[:len(w.stack)-1]
	default:
		w.stack[len(w.stack)-1] = r
	}
	w.filtered = false
}

// Classify says what k will make K9s do and advances the watcher's state as
// K9s will when it receives k. Call it exactly once per key, in input order,
// before forwarding (or holding) the key.
func (w *Watcher) Classify(k Key) Verdict {
	w.mu.Lock()
	defer w.mu.Unlock()
	if k.Code == Paste {
		return w.classifyPaste(k)
	}
	return w.classify(k)
}

func (w *Watcher) classify(k Key) Verdict {
	switch w.mode {
	case ModeSuspended, ModeDialog:
		return Verdict{Context: w.context}
	case ModePrompt, ModeFilter:
		return w.promptKey(k)
	}
	return w.normalKey(k)
}

// classifyPaste handles a bracketed paste. K9s never asks for bracketed
// paste, but tcell still delivers the pasted characters as key presses, so
// each one is classified in turn; the paste is dangerous if any of its keys
// is, and it is held and replayed as one unit.
func (w *Watcher) classifyPaste(k Key) Verdict {
	var d Decoder
	keys := append(d.Feed([]byte(k.Text)), d.Flush()...)
	out := Verdict{Context: w.context, Resource: w.actionResource()}
	for _, sub := range keys {
		var v Verdict
		if sub.Code == Paste {
			v = w.classifyPaste(sub)
		} else {
			v = w.classify(sub)
		}
		if v.ContextChanged {
			out.ContextChanged, out.NewContext = true, v.NewContext
		}
		if v.ViewChanged {
			out.ViewChanged, out.NewResource = true, v.NewResource
		}
		if out.Action == "" && v.Action != "" {
			out.Action, out.Label, out.Resource, out.Context = v.Action, v.Label, v.Resource, v.Context
		}
	}
	return out
}

func (w *Watcher) normalKey(k Key) Verdict {
	v := Verdict{Context: w.context, Resource: w.actionResource()}
	top := w.top()
	if w.overrides != nil && top != "" {
		for _, o := range w.overrides(w.context) {
			if o.covers(top, k) {
				// The key runs the user's plugin, not K9s's action: what
				// the plugin sends, the gateway judges.
				return v
			}
		}
	}
	row := lookupAction(top, k, w.readOnly)
	if w.hotkeys != nil {
		for _, h := range w.hotkeys(w.context) {
			if h.key.matches(k) && (row == nil || h.override) {
				// K9s runs the hotkey's command as if typed at ':'.
				if cmd, ok := parsePromptCommand(h.command, nil, false); ok {
					w.applyCommand(cmd, &v)
				}
				return v
			}
		}
	}
	if row != nil {
		v.Action, v.Label = row.action, row.label
		return v
	}
	switch {
	case k.IsRune(':'):
		w.setMode(ModePrompt)
	case k.IsRune('/'):
		w.setMode(ModeFilter)
	case k.Code == Enter:
		w.enter(&v)
	case k.Code == Escape:
		switch {
		case w.filtered:
			w.filtered = false
		case len(w.stack) > 1:
			w.goTo(w.stack[:len(w.stack)-1], &v)
		}
	case k.IsRune('?'):
		w.goTo(append(w.stack, ResHelp), &v)
	case k.IsCtrl('a'):
		w.goTo(append(w.stack, "aliases"), &v)
	case k.Code == Rune:
		if sub := w.subViewFor(top, k); sub != "" {
			w.goTo(append(w.stack, sub), &v)
		}
	}
	return v
}

// subViewFor returns the sub-view k opens on a row of view, or "".
func (w *Watcher) subViewFor(view string, k Key) string {
	for r, sub := range subViewKeys {
		if !k.IsRune(r) {
			continue
		}
		if sub == ResLogs {
			if logViews[view] {
				return sub
			}
			return ""
		}
		for _, c := range viewClasses(view) {
			if c == viewGeneric || c == viewCRD || noEditViews[c] {
				return sub
			}
		}
		return ""
	}
	if k.IsRune('p') && (view == ResPods || view == ResContainers) {
		return ResLogs // previous logs
	}
	return ""
}

// enter predicts where Enter on the selected row leads.
func (w *Watcher) enter(v *Verdict) {
	top := w.top()
	switch {
	case top == ResContexts:
		// K9s switches to the selected context and opens its default
		// view; the screen will name both.
		w.switchContext("", v)
		w.goTo([]string{""}, v)
	case drillDown[top] != "":
		w.goTo(append(w.stack, drillDown[top]), v)
	case top == "" || isSubView(top) || localViews[top]:
		// Nothing predictable; the screen will tell.
	default:
		w.goTo(append(w.stack, ""), v)
	}
}

func (w *Watcher) promptKey(k Key) Verdict {
	v := Verdict{Context: w.context, Resource: w.actionResource()}
	switch {
	// K9s's prompt switches on the tcell key alone, so modifiers do not
	// matter except Shift+Tab, which tcell reports as a different key.
	case k.Code == Enter || k.IsCtrl('e') || k.IsCtrl('j'):
		// K9s submits on Enter and Ctrl-E. Ctrl-J (a bare line feed) is
		// taken as a submit too: if K9s ignores it, the guard errs towards
		// classifying the next letters as commands, the safe side.
		w.submit(&v)
	case k.Code == Escape:
		if w.mode == ModeFilter {
			w.filtered = false
		}
		w.setMode(ModeNormal)
	case k.Code == Backspace || k.Code == Delete:
		if len(w.buf) > 0 {
			w.buf = w.buf[:len(w.buf)-1]
		}
	case k.IsCtrl('w') || k.IsCtrl('u'):
		w.buf, w.completed, w.bufLost = nil, nil, false
	case k.Code == Tab && k.Mod&ModShift == 0 || k.Code == Right || k.IsCtrl('f'):
		if w.completed == nil {
			w.completed = map[int]bool{}
		}
		i, blind := tokenAtEnd(string(w.buf))
		w.completed[i] = w.completed[i] || blind
	case k.IsText():
		w.buf = append(w.buf, k.Rune)
	}
	return v
}

// tokenAtEnd is the index of the whitespace-separated token a suggestion
// would complete: the last one, or a new, still empty ("blind") one after a
// trailing space.
func tokenAtEnd(s string) (i int, blind bool) {
	n := len(strings.Fields(s))
	if n > 0 && !strings.HasSuffix(s, " ") {
		return n - 1, false
	}
	return n, true
}

// submit applies Enter in a prompt.
func (w *Watcher) submit(v *Verdict) {
	text, completed, lost := string(w.buf), w.completed, w.bufLost
	wasFilter := w.mode == ModeFilter
	w.setMode(ModeNormal)
	if wasFilter {
		w.filtered = strings.TrimSpace(text) != "" || len(completed) > 0 || lost
		return
	}
	cmd, ok := parsePromptCommand(text, completed, lost)
	if !ok {
		return
	}
	w.applyCommand(cmd, v)
}

// applyCommand moves the watcher as K9s moves on a submitted command.
func (w *Watcher) applyCommand(cmd promptCommand, v *Verdict) {
	if cmd.switchContext {
		if cmd.context == "" && cmd.ctxPrefix != "" && w.contexts != nil {
			var cands []string
			for _, c := range w.contexts() {
				if strings.HasPrefix(c, cmd.ctxPrefix) {
					cands = append(cands, c)
				}
			}
			if len(cands) == 1 {
				cmd.context = cands[0]
			} else {
				w.candidates = cands
			}
		}
		w.switchContext(cmd.context, v)
	}
	w.goTo([]string{cmd.resource}, v)
	v.Context = w.context
}

// setMode changes mode on the strength of a key, as a prediction the screen
// has yet to confirm.
func (w *Watcher) setMode(m Mode) {
	if m == w.mode {
		return
	}
	w.modePred = newPrediction(w.mode, m, true, w.now().Add(w.grace))
	w.mode = m
	w.buf, w.completed, w.bufLost = nil, nil, false
}

// goTo replaces the view stack on the strength of a key.
func (w *Watcher) goTo(stack []string, v *Verdict) {
	from := w.top()
	if len(stack) > maxViewStack {
		stack = stack[len(stack)-maxViewStack:]
	}
	w.stack = append([]string(nil), stack...)
	to := w.top()
	w.viewPred = newPrediction(from, to, to != "", w.now().Add(w.grace))
	w.filtered = false
	v.ViewChanged, v.NewResource = true, to
}

func (w *Watcher) switchContext(to string, v *Verdict) {
	if to != "" && to == w.context {
		return
	}
	w.ctxPred = newPrediction(w.context, to, to != "", w.now().Add(w.grace))
	if to != "" {
		w.candidates = nil
	}
	w.context = to
	v.ContextChanged, v.NewContext = true, to
}

func (w *Watcher) push(r string) {
	w.stack = append(w.stack, r)
	if len(w.stack) > maxViewStack {
		w.stack = w.stack[1:]
	}
}

func (w *Watcher) top() string { return w.stack[len(w.stack)-1] }

// actionResource is the resource an action in the current view applies to:
// the view itself, or for a sub-view the resource view beneath it.
func (w *Watcher) actionResource() string {
	for i := len(w.stack) - 1; i >= 0; i-- {
		if !isSubView(w.stack[i]) {
			return w.stack[i]
		}
	}
	return ""
}

// prediction is a key-based state change the screen has not shown yet.
type prediction[T comparable] struct {
	active   bool
	from, to T
	toKnown  bool // false: any screen value other than from confirms
	deadline time.Time
}

func newPrediction[T comparable](from, to T, toKnown bool, deadline time.Time) prediction[T] {
	return prediction[T]{active: true, from: from, to: to, toKnown: toKnown, deadline: deadline}
}

// accept decides whether a value read from the screen should be adopted.
// While the prediction is pending, a screen still showing the old value is
// lag and is ignored; anything else settles the prediction.
func (p *prediction[T]) accept(screen T, now time.Time) bool {
	if !p.active {
		return true
	}
	if screen == p.from && (!p.toKnown || screen != p.to) && now.Before(p.deadline) {
		return false
	}
	p.active = false
	return true
}
