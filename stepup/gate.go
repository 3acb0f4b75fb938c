// Package stepup decides when a K9s action needs a second factor and what
// a right code grants: the gate holds a dangerous key in a protected
// context until a passcode is proved, scopes say which requests a grant
// covers, and windows keep the grants open for their time. How keys are
// read is in stepup/keys, how passcodes are checked in stepup/otp.
package stepup

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/screen"
	"github.com/k9s-guard/k9s-guard/stepup/keys"
)

// Screen is what the gate reads off the shadow screen; *screen.Shadow is
// one. The gate asks only when a key may be an action, so navigation keys
// never pay for a look.
type Screen interface {
	// Idle reports whether the emulator has applied all of K9s's output
	// so far; only then is the screen read on the keystroke path, which
	// must never wait for it.
	Idle() bool
	// Generation changes whenever the screen may have.
	Generation() uint64
	// StateNow reads K9s's state as the emulator has it, without waiting.
	StateNow() screen.State
	// State reads K9s's state once the emulator has caught up.
	State() screen.State
	// StateWithin reads K9s's state once the emulator has caught up with
	// the output written so far, waiting at most d; caught is false when
	// it had not (the state is then as the emulator has it).
	StateWithin(d time.Duration) (st screen.State, caught bool)
	// ActionRows are the marked rows, else the row under the cursor.
	ActionRows() screen.Rows
	// TableRows are all the rows of the table on screen.
	TableRows() screen.Rows
}

// GateOptions configures a Gate.
type GateOptions struct {
	// Context is the context K9s starts in; "" if unknown.
	Context string
	// Now is the clock; it drives the Esc rule and the watcher's grace.
	Now func() time.Time
	// Policy returns the profile's rules for a context.
	Policy func(context string) profile.Policy
	// Windows are the open elevation windows.
	Windows *Windows
	// Screen is the shadow screen.
	Screen Screen
	// Prompting reports whether the passcode overlay is up; its keys are
	// then the overlay's. Nil means never.
	Prompting func() bool
	// RelockKey is the byte that closes every window while one is open.
	RelockKey byte
	// ReadOnly is K9s started read-only (--readonly without --write): it
	// hides its write keys, so they are not actions. The header's lock,
	// when shown, overrides it.
	ReadOnly bool
	// Contexts lists the kubeconfig's context names, for reading a
	// Tab-completed ":ctx pro<Tab>"; nil when unknown.
	Contexts func() []string
	// Hotkeys returns the user's K9s hotkeys for a context; nil: none.
	Hotkeys func(context string) []keys.Hotkey
	// ReadFile reads the manifest under the cursor in :dir (a delete
	// names its objects); nil means os.ReadFile.
	ReadFile func(path string) ([]byte, error)
	// Overrides returns the user's K9s plugins that take over K9s's own
	// keys in a context (override: true); nil means none.
	Overrides func(context string) []keys.Override
}

// Gate decides, key by key, what of the user's input goes to K9s: in a
// protected context a dangerous key with no window covering it is held,
// with everything typed after it, until a passcode is proved. It owns no
// terminal and no timer: bytes and the screen come in, a Decision goes
// out, and the caller writes the bytes and arms the timer it asks for.
//
// A Gate is not safe for concurrent use: the caller serialises Input,
// Expire, Observe and Release with its writes to K9s, so that replayed
// keys and new ones reach K9s in the order they were typed.
type Gate struct {
	opts     GateOptions
	decoder  keys.Decoder
	watcher  *keys.Watcher
	held     []byte // the held key and what followed it in its read; nil when nothing is held
	holding  bool
	observed uint64 // screen generation last shown to the watcher
	// looked is set once the watcher has seen K9s's screen (a known state)
	// at all; Observe is also called by the session's screen watcher, so it
	// is atomic.
	looked atomic.Bool

	// After a lone ESC, K9s may yet read it with the next byte as one
	// Alt key (see EscAmbiguity). beforeEsc is the watcher as it was
	// before that ESC (nil when no reading is open), escAt when the ESC
	// arrived, escState what the screen showed then.
	beforeEsc *keys.Watcher
	escAt     time.Time
	escState  screen.State
	// escSeen is the screen when a lone ESC arrived, before K9s had it.
	escSeen screen.State
}

// EscAmbiguity is how long after a lone ESC the guard cannot be sure how
// K9s read it. tcell takes ESC and the next byte as one Alt key when it
// reads them together, which a busy machine can make happen even when the
// user left more than keys.EscDelay between them: then ":ctx dev" is
// Alt-: and table keys for K9s (the e of dev an edit). Until the screen
// shows K9s took the Esc on its own (the view or mode changed) or this
// long has passed, a key dangerous under either reading is held: the guard
// takes the reading that prompts.
const EscAmbiguity = 250 * time.Millisecond

// NewGate returns a gate in K9s's start-up state.
func NewGate(opts GateOptions) *Gate {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Gate{opts: opts, watcher: keys.NewWatcher(keys.Options{
		Context: opts.Context, Now: opts.Now, ReadOnly: opts.ReadOnly, Overrides: opts.Overrides, Contexts: opts.Contexts,
		Hotkeys: opts.Hotkeys,
	})}
}

// Decision is what to do with one read of input.
type Decision struct {
	// Overlay is input for the passcode overlay, which is up.
	Overlay []byte
	// Forward goes to K9s now. When Hold is set, it is what came before
	// the held key.
	Forward []byte
	// Hold is set when a key must wait for a step-up. Until Release,
	// input is dropped: nothing slips past the prompt to K9s.
	Hold *Hold
	// ExpireAfter, when positive, asks for a call to Expire after that
	// long: a lone ESC is pending, and only silence makes it a key.
	ExpireAfter time.Duration
}

// Hold is one step-up question raised by a key.
type Hold struct {
	Context  string
	Action   string
	Resource string
	Target   string // "pod shop/cart-7c9d" when the screen names it
	Source   string // the elevation source, for the overlay
	Window   time.Duration
	// Scope is what the grant will cover (nil: the whole context).
	Scope *GrantScope
	// Requests is the scope of what the key will send, whatever the
	// profile's scope kind; Mapped is false when it sends nothing the
	// gateway can foresee (a kubeconfig edit).
	Requests *GrantScope
	Mapped   bool
	// Namespace and Name are set when the key acts on one object.
	Namespace, Name string
	// ConfirmName, when set, must be typed as well as the code.
	ConfirmName string
}

// Input routes one read of the user's keystrokes.
func (g *Gate) Input(p []byte) Decision {
	if g.opts.Prompting != nil && g.opts.Prompting() {
		return Decision{Overlay: p}
	}
	if g.holding {
		return Decision{} // the overlay is about to open
	}
	if mayBeAction(p) {
		switch {
		case g.opts.Screen.Idle():
			g.observeNow()
		default:
			// The emulator is behind what K9s drew, which the user may
			// have seen (a dialog closed, a view left): the key waits a
			// moment for it rather than be read in a screen that is gone.
			// (Under load a cronjob's s passed unprompted, read as text in
			// a confirm dialog K9s had closed.) K9s's ordinary output is
			// digested a moment after it is drawn, so only a flood makes
			// this wait its bound; then the watcher goes by the keys and
			// its last look.
			gen := g.opts.Screen.Generation()
			st, caught := g.opts.Screen.StateWithin(screenSettle)
			if !caught && !g.looked.Load() {
				// The watcher has not seen K9s's screen yet (K9s has just
				// drawn its first view): going by the keys alone, a key
				// would be read in no view and let through. This once, the
				// key waits for the emulator: the reading that may prompt,
				// never the one that lets it pass.
				st, caught = g.opts.Screen.State(), true
			}
			if caught {
				g.observed = max(gen, g.opts.Screen.Generation())
				g.Observe(st)
			}
		}
	}
	// A lone ESC that has waited keys.EscDelay is a key of its own, read
	// before p; its byte went to K9s when it arrived.
	g.Expire()
	if h, ok := g.altReading(p); ok {
		return h
	}
	carried := len(g.decoder.Pending())
	_, ks := g.decoder.FeedAt(p, g.opts.Now())
	// Each key's bytes in p: keys are contiguous, and the first may have
	// begun in an earlier read (already forwarded).
	var fwd []byte
	offset := -carried
	for _, k := range ks {
		start, end := max(offset, 0), max(offset+len(k.Raw), 0)
		offset += len(k.Raw)
		if len(k.Raw) == 1 && k.Raw[0] == g.opts.RelockKey && len(g.opts.Windows.Grants()) > 0 {
			// The re-lock key is k9s-guard's own while a window is open:
			// it closes every window at once and never reaches K9s.
			g.opts.Windows.CloseAll(CloseRelocked)
			continue
		}
		v := g.watcher.Classify(k)
		if v.ContextChanged {
			g.ContextSwitched(v.NewContext)
		}
		if v.Dangerous() {
			if h, ok := g.needsStepUp(v); ok {
				g.holding = true
				g.held = append([]byte(nil), p[start:]...)
				return Decision{Forward: fwd, Hold: &h}
			}
		}
		fwd = append(fwd, p[start:end]...)
	}
	// Bytes of a key not complete yet (a lone ESC, half a sequence) go to
	// K9s now: the guard never delays typing.
	d := Decision{Forward: append(fwd, p[max(offset, 0):]...)}
	if pend := g.decoder.Pending(); len(pend) > 0 {
		d.ExpireAfter = keys.EscDelay
		if len(pend) == 1 && pend[0] == 0x1b {
			g.escSeen = g.settledState(screenSettle)
		}
	}
	return d
}

// Expire tells the watcher about a lone ESC once the silence after it
// makes it a key (see keys.EscDelay); its byte went to K9s already.
func (g *Gate) Expire() {
	at := g.decoder.Since()
	for _, k := range g.decoder.Expire(g.opts.Now()) {
		if k.Code == keys.Escape && len(k.Raw) == 1 {
			g.beforeEsc, g.escAt, g.escState = g.watcher.Clone(), at, g.escSeen
		}
		g.watcher.Classify(k)
	}
}

// altReading classifies p as K9s reads it if it takes the last lone ESC
// and p's first byte as one Alt key (see EscAmbiguity). When a key is
// dangerous under that reading it returns the hold for it; the keys before
// it go to K9s, and the main reading follows them so that it stays in step
// with K9s either way.
func (g *Gate) altReading(p []byte) (Decision, bool) {
	before := g.beforeEsc
	g.beforeEsc = nil
	if before == nil || len(g.decoder.Pending()) > 0 || g.opts.Now().Sub(g.escAt) >= EscAmbiguity {
		return Decision{}, false
	}
	if g.escTaken(g.opts.Screen.StateNow()) {
		return Decision{}, false // K9s has shown that it took the Esc on its own
	}
	var d keys.Decoder
	ks := append(d.Feed(append([]byte{0x1b}, p...)), d.Flush()...)
	offset := -1 // the ESC is not in p
	for _, k := range ks {
		start := max(offset, 0)
		offset += len(k.Raw)
		v := before.Classify(k)
		if !v.Dangerous() {
			continue
		}
		h, ok := g.needsStepUp(v)
		if !ok {
			continue
		}
		if !g.opts.Screen.Idle() && g.escTaken(g.settledState(screenSettle)) {
			// The screen was behind: K9s's answer to the Esc was on its
			// way (the user may have seen it already), and it shows that
			// K9s took the Esc on its own.
			return Decision{}, false
		}
		// The keys before the held one reach K9s, and the main reading
		// takes them in; the held key and the rest wait.
		fwd := p[:start]
		g.feedMain(fwd)
		g.holding = true
		g.held = append([]byte(nil), p[start:]...)
		return Decision{Forward: fwd, Hold: &h}, true
	}
	return Decision{}, false
}

// screenSettle bounds how long the keystroke path waits for the emulator
// when it is behind K9s's output: only for a key that may be an action (or
// whose reading after an ESC depends on the screen). K9s's ordinary output
// is digested a moment after it reaches the terminal (see
// screen.Shadow.Digest), so the wait is that moment; a flood may outlast
// it, and then the gate goes by what it knows (after an ESC: the reading
// that prompts).
const screenSettle = 150 * time.Millisecond

// settledState is the screen as of K9s's output so far, waiting at most d
// for the emulator; a state it could not catch up with is not Known.
func (g *Gate) settledState(d time.Duration) screen.State {
	if g.opts.Screen.Idle() {
		return g.opts.Screen.StateNow()
	}
	st, caught := g.opts.Screen.StateWithin(d)
	if !caught {
		return screen.State{}
	}
	return st
}

// escTaken reports whether st shows that K9s took the last lone ESC on its
// own: the view, the mode or the owner of the terminal changed since. Not
// knowing either screen is not proof.
func (g *Gate) escTaken(st screen.State) bool {
	if !st.Known || !g.escState.Known {
		return false
	}
	return st.Resource != g.escState.Resource || st.Mode != g.escState.Mode || st.Suspended != g.escState.Suspended
}

// feedMain advances the main reading over bytes that go to K9s unheld.
func (g *Gate) feedMain(p []byte) {
	_, ks := g.decoder.FeedAt(p, g.opts.Now())
	for _, k := range ks {
		if v := g.watcher.Classify(k); v.ContextChanged {
			g.ContextSwitched(v.NewContext)
		}
	}
}

// Release ends a hold and returns the keys to replay: the held ones when
// the step-up was granted (K9s then carries on as if the guard had not
// been there), nothing when it was not.
func (g *Gate) Release(granted bool) []byte {
	held := g.held
	g.held, g.holding = nil, false
	if !granted {
		return nil
	}
	return held
}

// Observe brings the watcher in step with the screen.
func (g *Gate) Observe(st screen.State) {
	if st.Known {
		g.watcher.Observe(watcherState(st))
		if !st.Suspended {
			g.looked.Store(true)
		}
	}
}

// ContextSwitched closes the windows the profile closes when K9s leaves
// their context, whether the keys or the screen said so. It touches only
// the windows, which are safe for concurrent use.
func (g *Gate) ContextSwitched(to string) {
	for _, gr := range g.opts.Windows.Grants() {
		if gr.Context != to && g.opts.Policy(gr.Context).CloseOnContextSwitch {
			g.opts.Windows.Close(gr.Context, CloseContextSwitch)
		}
	}
}

// Viewing reports the resource the user's current K9s view acts on ("" if
// unknown) and whether a child K9s started owns the terminal. It reads
// only the watcher, which is safe for concurrent use, so the gateway's
// asker may call it from any goroutine.
func (g *Gate) Viewing() (resource string, suspended bool) {
	return g.watcher.ActionResource(), g.watcher.Mode() == keys.ModeSuspended
}

// mayBeAction reports whether p holds a key that is an action in some K9s
// view; only then is the screen re-read before classifying.
func mayBeAction(p []byte) bool {
	return bytes.ContainsAny(p, "\x04\x0b\x0ceEsSaAtTzZrRiIcCuUFxXdD\r:/\x1b")
}

// observeNow shows the watcher what K9s has drawn, if anything was drawn
// since the last look (a dialog that just closed).
func (g *Gate) observeNow() {
	gen := g.opts.Screen.Generation()
	if gen == g.observed {
		return
	}
	g.observed = gen
	g.Observe(g.opts.Screen.StateNow())
}

// needsStepUp decides whether a dangerous key must wait for a passcode.
// Under scope "operation" an open window lets the key through only when
// its grant covers what the key will do (the objects under the cursor, or
// every marked row); anything else prompts again.
func (g *Gate) needsStepUp(v keys.Verdict) (Hold, bool) {
	if v.Resource == keys.ResContexts {
		// A rename or delete in :ctx edits the kubeconfig, not the cluster:
		// the session sees the edit K9s writes and asks under the rule of
		// the context edited, naming it (session.handleContextEdit). The
		// key would ask under the rule of the context K9s is in, naming the
		// row's NAMESPACE column, and the edit would then ask again.
		return Hold{}, false
	}
	if st := g.opts.Screen.State(); st.Count == 0 && v.Label != "sanitize" && keys.CanonicalResource(st.Resource) == v.Resource &&
		len(g.opts.Screen.ActionRows().Rows) == 0 {
		// An empty table (its title says "[0]" and no row is read), the
		// view the key is read in (not one left behind by a command the
		// screen has not drawn yet): K9s acts on the row under the cursor
		// or the marked rows, there are none, and the key does nothing.
		// Were K9s to act anyway, the gateway asks. Sanitize is the
		// exception: it deletes from the namespace, not the table, which a
		// filter may empty.
		return Hold{}, false
	}
	ctxName := v.Context
	if ctxName == "" {
		ctxName = g.watcher.Context()
	}
	if ctxName == "" {
		// A Tab-completed switch the screen has not named yet: of the
		// contexts it may have reached, a protected one is assumed (the
		// reading that prompts).
		for _, c := range g.watcher.ContextCandidates() {
			if g.opts.Policy(c).Protected {
				ctxName = c
				break
			}
		}
	}
	if ctxName == "" {
		// Unknown context: the gateway, which always knows, enforces.
		return Hold{}, false
	}
	pol := g.opts.Policy(ctxName)
	if !pol.Protected || !pol.Requires(v.Action) {
		return Hold{}, false
	}
	if v.Resource == keys.ResXray && pol.Scope == profile.ScopeOperation {
		// The xray view is a tree: the node under the cursor (a namespace,
		// a Deployment, a pod, a container) is no table row, and a grant
		// from the key would name no object. It would cover none of K9s's
		// requests, and the gateway would ask again. K9s's own dialog names
		// the object ("Delete pod shop/web-1?"); the gateway alone asks,
		// naming the request that goes out. A key on a node where K9s does
		// nothing (s on a namespace) no longer prompts for nothing.
		return Hold{}, false
	}
	if v.Resource == "workloads" {
		// The workloads view mixes kinds; its KIND column says what each
		// row is, and that is what K9s edits or deletes.
		v.Resource = workloadKind(g.opts.Screen.ActionRows(), v.Resource)
	}
	targets := g.keyTargets(v)
	if v.Action == keys.ActRollback && v.Resource == keys.ResReplicaSets {
		// K9s rolls back the Deployment that owns the replicaset
		// (internal/dao/rs.go): that is what the grant must cover.
		if owners, ok := rsOwners(targets); ok {
			v.Resource, targets = keys.ResDeployments, owners
		}
	}
	if v.Resource == keys.ResDir && v.Action == keys.ActDelete {
		// kubectl delete -f deletes exactly the objects in the file under
		// the cursor: read them, and the grant names them.
		if res, objs, ok := g.manifestTargets(g.opts.Screen.State().Namespace, g.opts.Screen.ActionRows()); ok {
			v.Resource, targets = res, objs
		}
	}
	keyScope, mapped := KeyScope(v.Action, v.Resource, targets)
	if v.Resource == keys.ResDir && pol.Scope == profile.ScopeOperation {
		// :dir's apply (and a delete of a manifest the guard could not
		// read exactly) runs kubectl on objects a grant from the key cannot
		// name: it would cover none of kubectl's requests, and the gateway
		// would ask again. It alone asks, naming each. (An apply's creates
		// name their object only in the body, which a scope cannot match.)
		return Hold{}, false
	}
	if !mapped {
		// Nothing the gateway will see: the grant covers no request.
		keyScope = &GrantScope{Action: v.Action}
	}
	var scope *GrantScope
	if pol.Scope == profile.ScopeOperation {
		scope = keyScope
	}
	if gr, open := g.opts.Windows.Active(ctxName); open && ScopeWithin(gr.Scope, scope) {
		return Hold{}, false
	}
	h := Hold{
		Context: ctxName, Action: v.Action, Resource: v.Resource, Target: describeTargets(v.Resource, targets),
		Source: pol.Elevation.String(), Window: pol.Window, Scope: scope, Requests: keyScope, Mapped: mapped,
	}
	if len(targets) == 1 {
		h.Namespace, h.Name = targets[0].Namespace, targets[0].Name
	}
	if names := keyScope.Names; len(names) > 0 && needsConfirmName(pol, v.Action, v.Resource) {
		h.ConfirmName = strings.Join(names, " ")
	}
	return h, true
}

// manifestTargets reads the objects of the manifest file under the cursor
// in :dir on dir (the view's title): K9s deletes that file, whose row is
// K9s's file icon and the file's name (the screen splits it at spaces, so
// the fields are joined again; a name with runs of spaces is then not
// found, and the gateway asks). ok is false for a directory (kubectl -R),
// marked rows, a file that cannot be read or objects a scope cannot name
// (manifestObjects).
func (g *Gate) manifestTargets(dir string, rows screen.Rows) (string, []Target, bool) {
	if dir == "" || rows.Marked || len(rows.Rows) != 1 {
		return "", nil, false
	}
	name, isFile := strings.CutPrefix(strings.Join(rows.Rows[0], " "), fileIcon)
	name = strings.TrimSpace(name)
	if !isFile || name == "" || strings.ContainsRune(name, '/') {
		return "", nil, false
	}
	read := g.opts.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	data, err := read(filepath.Join(dir, name))
	if err != nil || len(data) > maxManifest {
		return "", nil, false
	}
	return manifestObjects(data)
}

// fileIcon is what K9s's :dir view puts before a file's name (a
// directory's is a folder).
const fileIcon = "🦄"

// maxManifest bounds the manifest the gate reads; a larger one is left to
// the gateway.
const maxManifest = 1 << 20

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

// keyTargets reads the objects a key press acts on off the screen: every
// marked row if any, else the row under the cursor; the namespace from the
// view title, or the row's NAMESPACE column in an all-namespaces view. A
// name that cannot be read leaves it out (the scope is then too narrow,
// never too wide).
func (g *Gate) keyTargets(v keys.Verdict) []Target {
	st := g.opts.Screen.State()
	if v.Label == "sanitize" {
		if t := sanitizeTargets(st, g.opts.Screen.TableRows()); t != nil {
			return t
		}
	}
	switch st.Resource {
	case "describe", "yaml", "logs":
		// One object, named in the title: "describe(shop/web)", "yaml(node-1)".
		if st.Namespace == "" {
			return nil
		}
		if ns, name, ok := strings.Cut(st.Namespace, "/"); ok {
			return []Target{{Namespace: ns, Name: name}}
		}
		return []Target{{Name: st.Namespace}}
	}
	rows := g.opts.Screen.ActionRows()
	ns := st.Namespace
	var out []Target
	for i := range rows.Rows {
		name := rows.Column(i, "NAME")
		if name == "" {
			return nil
		}
		if st.Resource == "namespaces" {
			// K9s marks favourite namespaces "+" and the current one "(*)".
			name = strings.TrimSuffix(strings.TrimSuffix(name, "(*)"), "+")
		}
		t := Target{Name: name, Namespace: ns}
		switch ns {
		case "all", "-", "":
			t.Namespace = rows.Column(i, "NAMESPACE")
		}
		out = append(out, t)
	}
	return out
}

// workloadKind is the one resource the rows of the workloads view are
// ("apps/v1/deployments" in their KIND column), or fallback when they mix
// kinds or none can be read.
func workloadKind(rows screen.Rows, fallback string) string {
	kind := ""
	for i := range rows.Rows {
		k := keys.CanonicalResource(rows.Column(i, "KIND"))
		if k == "" || kind != "" && k != kind {
			return fallback
		}
		kind = k
	}
	if kind == "" {
		return fallback
	}
	return kind
}

// podTemplateHash is the suffix a Deployment gives its replicasets' names
// (a pod-template-hash, in the alphabet of apimachinery's SafeEncodeString).
var podTemplateHash = regexp.MustCompile(`^(.+)-[bcdfghjklmnpqrstvwxz2456789]{5,10}$`)

// rsOwners names the Deployments owning replicasets, from their names;
// ok is false when a name does not have a Deployment's shape (the
// replicaset is then named, too narrow: the gateway asks for the patch).
func rsOwners(rs []Target) ([]Target, bool) {
	if len(rs) == 0 {
		return nil, false
	}
	out := make([]Target, 0, len(rs))
	for _, t := range rs {
		m := podTemplateHash.FindStringSubmatch(t.Name)
		if m == nil {
			return nil, false
		}
		out = append(out, Target{Namespace: t.Namespace, Name: m[1]})
	}
	return out, true
}

// sanitizePhases are the pod states K9s v0.50.16's sanitize deletes
// (internal/dao/pod.go toastPhases), as its STATUS column shows them.
var sanitizePhases = map[string]bool{
	"Completed": true, "Pending": true, "CrashLoopBackOff": true, "Error": true, "ImagePullBackOff": true,
	"ContainerStatusUnknown": true, "Evicted": true, "OOMKilled": true,
}

// sanitizeTargets are the pods sanitize (z) deletes: every pod of the
// namespace in one of sanitizePhases, not the one under the cursor. They
// can be named only when the whole table is on screen; otherwise nil, and
// the cursor pod is named (too narrow: the gateway asks for the rest).
func sanitizeTargets(st screen.State, rows screen.Rows) []Target {
	if st.Count < 0 || len(rows.Rows) != st.Count {
		return nil
	}
	var out []Target
	for i := range rows.Rows {
		name, status := rows.Column(i, "NAME"), rows.Column(i, "STATUS")
		if name == "" || status == "" {
			return nil
		}
		if !sanitizePhases[status] {
			continue
		}
		t := Target{Name: name, Namespace: st.Namespace}
		switch st.Namespace {
		case "all", "-", "":
			t.Namespace = rows.Column(i, "NAMESPACE")
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// describeTargets names the objects a key acts on, as the screen shows
// them: "pod shop/web-1", "pods shop/a, shop/b".
func describeTargets(resource string, targets []Target) string {
	if len(targets) == 0 {
		return resource
	}
	var names []string
	for _, t := range targets {
		n := t.Name
		if t.Namespace != "" && resource != "namespaces" {
			n = t.Namespace + "/" + n
		}
		names = append(names, n)
	}
	what := profile.Singular(resource)
	if len(names) > 1 {
		what = resource
	}
	return what + " " + strings.Join(names, ", ")
}

// watcherState is the watcher's reading of what the shadow screen shows.
func watcherState(st screen.State) keys.ScreenState {
	out := keys.ScreenState{
		Context: st.Context, Resource: keys.CanonicalResource(st.Resource), Known: st.Known,
		ReadOnlyKnown: st.ReadOnlyKnown, ReadOnly: st.ReadOnly,
	}
	switch {
	case st.Suspended:
		out.Mode = keys.ModeSuspended
	case st.Mode == screen.ModeDialog:
		out.Mode = keys.ModeDialog
	case st.Mode == screen.ModePrompt:
		out.Mode = keys.ModePrompt
	case st.Mode == screen.ModeFilter:
		out.Mode = keys.ModeFilter
	case st.Mode == screen.ModeNormal:
		out.Mode = keys.ModeNormal
	}
	return out
}
