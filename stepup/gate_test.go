package stepup

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/screen"
	"github.com/k9s-guard/k9s-guard/stepup/keys"
)

// gateScreen is a shadow screen made by hand.
type gateScreen struct {
	st   screen.State
	rows screen.Rows
	all  screen.Rows // every row of the table, when more than rows
	gen  uint64
	busy bool // the emulator has output it has not applied yet
	// pending, when busy, is what the screen shows once the emulator has
	// applied that output (StateWithin); nil: it does not catch up.
	pending *screen.State
	waited  int // StateWithin calls that waited
}

func (s *gateScreen) Idle() bool             { return !s.busy }
func (s *gateScreen) Generation() uint64     { return s.gen }
func (s *gateScreen) StateNow() screen.State { return s.st }
func (s *gateScreen) State() screen.State    { return s.st }
func (s *gateScreen) StateWithin(time.Duration) (screen.State, bool) {
	if !s.busy {
		return s.st, true
	}
	s.waited++
	if s.pending == nil {
		return s.st, false
	}
	s.st, s.pending, s.busy, s.gen = *s.pending, nil, false, s.gen+1
	return s.st, true
}
func (s *gateScreen) ActionRows() screen.Rows { return s.rows }
func (s *gateScreen) TableRows() screen.Rows {
	if s.all.Header != nil {
		return s.all
	}
	return s.rows
}

const relock = 0x1d // Ctrl-], as overlay.RelockKey

// gatePolicy protects "prod" (scope operation) and "prod-wide" (scope
// context); "dev" is not protected.
func gatePolicy(ctx string) profile.Policy {
	pol := profile.Policy{
		Context: ctx, Protected: true, Actions: []string{profile.ClassWrites, profile.ClassSensitive},
		Window: 5 * time.Minute, Elevation: profile.Elevation{Kind: profile.ElevationContext, Context: "prod-admin"},
		CloseOnContextSwitch: true, Scope: profile.ScopeOperation,
		ConfirmName: []string{"delete-namespace", "drain"},
	}
	switch ctx {
	case "prod":
	case "prod-wide":
		pol.Scope = profile.ScopeContext
	default:
		pol = profile.Policy{Context: ctx}
	}
	return pol
}

// viewOf is the view resource ("replicasets", "yaml") in prod, titled
// resource(title), with one row named web under the cursor.
func viewOf(resource, title string) *gateScreen {
	return &gateScreen{
		st:   screen.State{Known: true, Context: "prod", Resource: resource, Namespace: title, Mode: screen.ModeNormal, Count: 1},
		rows: screen.Rows{Header: []string{"NAME", "READY"}, Rows: [][]string{{"web", "1/1"}}},
		gen:  1,
	}
}

// dirView is :dir on /tmp/manifests in prod with the row name (K9s's
// icon and the file's name) under the cursor, split at spaces as the
// shadow screen splits it.
func dirView(name string) *gateScreen {
	s := viewOf("dirs", "/tmp/manifests")
	s.rows = screen.Rows{Header: []string{"NAME"}, Rows: [][]string{strings.Fields(name)}}
	return s
}

// twoDeployments is a manifest of two Deployments in shop.
const twoDeployments = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
`

// suspended is what the shadow screen reads while a child K9s started
// owns the terminal: nothing but that.
var suspended = screen.State{Known: true, Suspended: true, Count: -1}

func podsView(ctx, ns string, rows ...[]string) *gateScreen {
	return &gateScreen{
		st:   screen.State{Known: true, Context: ctx, Resource: "pods", Namespace: ns, Mode: screen.ModeNormal, Count: len(rows)},
		rows: screen.Rows{Header: []string{"NAME", "READY", "STATUS"}, Rows: rows},
		gen:  1,
	}
}

var (
	podsState     = screen.State{Known: true, Context: "prod", Resource: "pods", Namespace: "shop", Mode: screen.ModeNormal, Count: 1}
	dialogState   = screen.State{Known: true, Context: "prod", Resource: "pods", Namespace: "shop", Mode: screen.ModeDialog, Count: 1}
	describeState = screen.State{Known: true, Context: "prod", Resource: "describe", Namespace: "shop/cart-1", Mode: screen.ModeNormal}
)

// gateStep is one thing that happens to the gate, after the clock moved
// by after: a read of input, the Esc timer firing, the end of a hold, or
// the screen changing.
type gateStep struct {
	after   time.Duration
	in      string
	expire  bool
	release string // "granted" or "denied"
	screen  *screen.State
	busy    bool // with screen: the emulator is still applying it
	// behind: K9s drew this, and the emulator has it queued; the screen
	// shows it once waited for (StateWithin).
	behind *screen.State
}

func in(s string) gateStep                       { return gateStep{in: s} }
func inAfter(d time.Duration, s string) gateStep { return gateStep{after: d, in: s} }

func TestGate(t *testing.T) {
	cart := []string{"cart-1", "1/1", "Running"}
	cases := []struct {
		name      string
		ctx       string      // the context K9s started in
		screen    *gateScreen // nil: pods in prod/shop with cart-1 under the cursor
		window    string      // "": none; "context": a whole-context grant; "kill cart-1": a grant for that
		prompting bool
		readOnly  bool              // K9s started with --readonly
		plugins   string            // the user's plugins.yaml
		hotkeys   string            // the user's hotkeys.yaml
		files     map[string]string // the files the gate may read, by path
		holdCtx   string            // the hold's context when not the start context
		steps     []gateStep
		// What K9s received, in order (forwarded and replayed), what the
		// overlay received, the hold raised ("action target"), and the
		// contexts with a window open at the end.
		wantK9s     string
		wantOverlay string
		wantHold    string
		wantConfirm string
		wantScope   string
		wantWindows string
	}{
		{name: "Ctrl-K on a pod in a protected context is held",
			steps: []gateStep{in("\x0b")}, wantHold: "kill pod shop/cart-1", wantScope: "delete pods shop/cart-1"},
		{name: "navigation passes", steps: []gateStep{in("jjk\x1b[A")}, wantK9s: "jjk\x1b[A"},
		{name: "an unprotected context passes", ctx: "dev", screen: podsView("dev", "shop", cart),
			steps: []gateStep{in("\x0b")}, wantK9s: "\x0b"},
		{name: "an unknown context is left to the gateway", ctx: "-", screen: podsView("", "shop", cart),
			steps: []gateStep{in("\x0b")}, wantK9s: "\x0b"},
		{name: "keys before the held key go to K9s, the rest waits with it",
			steps: []gateStep{in("jj\x0bkk")}, wantK9s: "jj", wantHold: "kill pod shop/cart-1", wantScope: "delete pods shop/cart-1"},
		{name: "input while held is dropped, and the held keys are replayed after a grant",
			steps:   []gateStep{in("j\x0bk"), in("zzz"), {release: "granted"}, in("j")},
			wantK9s: "j" + "\x0bk" + "j", wantHold: "kill pod shop/cart-1", wantScope: "delete pods shop/cart-1"},
		{name: "a denied step-up replays nothing",
			steps:   []gateStep{in("\x0bk"), {release: "denied"}, in("j")},
			wantK9s: "j", wantHold: "kill pod shop/cart-1", wantScope: "delete pods shop/cart-1"},
		{name: "keys during a prompt go to the overlay, never to K9s", prompting: true,
			steps: []gateStep{in("12\x0b3456\r")}, wantOverlay: "12\x0b3456\r"},

		// Esc timing: tcell takes ESC as Alt only when the next byte comes
		// within 50 ms (bee7542).
		{name: "Esc then :ctx dev typed later is not Alt", window: "context",
			steps:   []gateStep{in("\x1b"), inAfter(60*time.Millisecond, ":ctx dev\r"), in("\x0b")},
			wantK9s: "\x1b:ctx dev\r\x0b", wantWindows: ""},
		{name: "Esc resolved by the timer, then :ctx dev", window: "context",
			steps:   []gateStep{in("\x1b"), {after: 50 * time.Millisecond, expire: true}, inAfter(time.Millisecond, ":ctx dev\r")},
			wantK9s: "\x1b:ctx dev\r", wantWindows: ""},
		{name: "the timer does not resolve an ESC before 50 ms of silence",
			steps:   []gateStep{in("\x1b"), {after: 40 * time.Millisecond, expire: true}, inAfter(5*time.Millisecond, ":ctx dev\r")},
			wantK9s: "\x1b:c", wantHold: "transfer pod shop/cart-1", wantScope: "connect pods/exec shop/cart-1"},
		{name: "Esc and : within 50 ms are Alt-:, so the letters are commands",
			steps:   []gateStep{in("\x1b"), inAfter(10*time.Millisecond, ":ctx dev\r")},
			wantK9s: "\x1b:c", wantHold: "transfer pod shop/cart-1", wantScope: "connect pods/exec shop/cart-1"},

		// Issue 13: after a lone ESC the guard cannot know whether K9s read
		// it with the next byte (a busy machine): until the screen shows K9s
		// took the Esc, or EscAmbiguity passes, a key dangerous as K9s
		// would read Alt-: and table keys is held.
		{name: "Esc then :ctx dev 60 ms later, screen unchanged: the Alt reading prompts",
			steps:   []gateStep{in("\x1b"), inAfter(60*time.Millisecond, ":ctx dev\r")},
			wantK9s: "\x1b:c", wantHold: "transfer pod shop/cart-1", wantScope: "connect pods/exec shop/cart-1"},
		{name: "Esc, the timer, then :ctx dev before the screen changed: the Alt reading prompts",
			steps:   []gateStep{in("\x1b"), {after: 50 * time.Millisecond, expire: true}, inAfter(20*time.Millisecond, ":ctx dev\r")},
			wantK9s: "\x1b:c", wantHold: "transfer pod shop/cart-1", wantScope: "connect pods/exec shop/cart-1"},
		{name: "Esc, K9s shows it took it, then :ctx dev: a command",
			steps: []gateStep{in("\x1b"), {after: 50 * time.Millisecond, expire: true},
				{screen: &screen.State{Known: true, Context: "prod", Resource: "deployments", Namespace: "shop", Mode: screen.ModeNormal}},
				inAfter(20*time.Millisecond, ":ctx dev\r")},
			wantK9s: "\x1b:ctx dev\r"},
		// The shadow screen lags K9s on a busy machine: what the user saw
		// may not be emulated yet when the next key comes. (Found under
		// load: ":ctx dev" typed once K9s had visibly left describe
		// prompted "edit" — the e of dev read after Alt-:.)
		{name: "Esc, K9s's answer still in the emulator's queue, then :ctx dev: the gate waits for it and reads a command",
			steps: []gateStep{in("d"), {screen: &describeState}, in("\x1b"), {after: 50 * time.Millisecond, expire: true},
				{behind: &podsState}, inAfter(20*time.Millisecond, ":ctx dev\r")},
			wantK9s: "d\x1b:ctx dev\r"},
		{name: "Esc, then :ctx dev while the emulator cannot catch up: the Alt reading prompts",
			steps: []gateStep{in("d"), {screen: &describeState}, in("\x1b"), {after: 50 * time.Millisecond, expire: true},
				{screen: &describeState, busy: true}, inAfter(20*time.Millisecond, ":ctx dev\r")},
			wantK9s: "d\x1b:ctx d", wantHold: "edit pod shop/cart-1", wantScope: "update pods shop/cart-1"},
		{name: "Esc typed while the emulator is behind: the screen it answers is waited for, then :ctx dev is a command",
			steps: []gateStep{in("d"), {behind: &describeState}, in("\x1b"), {after: 50 * time.Millisecond, expire: true},
				{behind: &podsState}, inAfter(20*time.Millisecond, ":ctx dev\r")},
			wantK9s: "d\x1b:ctx dev\r"},
		{name: "Esc typed while the emulator cannot catch up: not knowing the screen then is no proof, the Alt reading prompts",
			steps: []gateStep{in("d"), {screen: &describeState, busy: true}, in("\x1b"), {after: 50 * time.Millisecond, expire: true},
				{screen: &podsState}, inAfter(20*time.Millisecond, ":ctx dev\r")},
			wantK9s: "d\x1b:ctx d", wantHold: "edit pod shop/cart-1", wantScope: "update pods shop/cart-1"},
		// Any key that may be an action waits a moment for a lagging
		// screen. (Found under load: a cronjob's s passed unprompted, read
		// as text in the confirm dialog K9s had already closed.)
		{name: "a dialog closed on screen but not yet emulated: Ctrl-K waits for the screen and is held",
			steps:   []gateStep{{screen: &dialogState}, in("j"), {behind: &podsState}, in("\x0b")},
			wantK9s: "j", wantHold: "kill pod shop/cart-1", wantScope: "delete pods shop/cart-1"},
		{name: "a dialog still open on screen: Ctrl-K is the dialog's",
			steps: []gateStep{{screen: &dialogState}, in("j"), {behind: &dialogState}, in("\x0b")}, wantK9s: "j\x0b"},
		{name: "Esc then :ctx dev after the ambiguity: a command",
			steps: []gateStep{in("\x1b"), inAfter(EscAmbiguity, ":ctx dev\r")}, wantK9s: "\x1b:ctx dev\r"},

		// Escape sequences split across reads.
		{name: "a split arrow key passes whole",
			steps: []gateStep{in("\x1b["), in("A")}, wantK9s: "\x1b[A"},
		{name: "a split sequence, then a dangerous key in the same read",
			steps: []gateStep{in("\x1b["), in("A\x0bj")}, wantK9s: "\x1b[A", wantHold: "kill pod shop/cart-1", wantScope: "delete pods shop/cart-1"},
		{name: "a key with a modifier split after ESC [ 1 ;",
			steps: []gateStep{in("\x1b[1;"), in("5A")}, wantK9s: "\x1b[1;5A"},

		// Paste: the keys in it are classified; the paste is held as a unit.
		{name: "a bracketed paste holding an edit key is held whole",
			steps:   []gateStep{in("\x1b[200~hello\x1b[201~"), {release: "granted"}},
			wantK9s: "\x1b[200~hello\x1b[201~", wantHold: "edit pod shop/cart-1", wantScope: "update pods shop/cart-1"},
		{name: "a paste into the command prompt is text", window: "context",
			steps:   []gateStep{in(":"), in("\x1b[200~ctx dev\x1b[201~"), in("\r")},
			wantK9s: ":\x1b[200~ctx dev\x1b[201~\r", wantWindows: ""},

		// Re-lock.
		{name: "Ctrl-] closes the windows and never reaches K9s", window: "context",
			steps: []gateStep{in("j\x1dk")}, wantK9s: "jk", wantWindows: ""},
		{name: "Ctrl-] with no window open is K9s's", steps: []gateStep{in("\x1d")}, wantK9s: "\x1d"},

		// Windows and scopes.
		{name: "a grant for exactly this kill lets it through", window: "kill cart-1",
			steps: []gateStep{in("\x0b")}, wantK9s: "\x0b", wantWindows: "prod"},
		{name: "a grant for another pod prompts again", window: "kill cart-1",
			screen: podsView("prod", "shop", []string{"cart-2", "1/1", "Running"}),
			steps:  []gateStep{in("\x0b")}, wantHold: "kill pod shop/cart-2", wantScope: "delete pods shop/cart-2", wantWindows: "prod"},
		{name: "a grant for a kill does not cover an edit", window: "kill cart-1",
			steps: []gateStep{in("e")}, wantHold: "edit pod shop/cart-1", wantScope: "update pods shop/cart-1", wantWindows: "prod"},
		{name: "under scope context any window covers everything", ctx: "prod-wide", window: "context",
			screen: podsView("prod-wide", "shop", cart),
			steps:  []gateStep{in("\x0be")}, wantK9s: "\x0be", wantWindows: "prod-wide"},
		{name: "under scope context the hold has no scope", ctx: "prod-wide",
			screen: podsView("prod-wide", "shop", cart),
			steps:  []gateStep{in("\x0b")}, wantHold: "kill pod shop/cart-1", wantScope: "every write and sensitive request"},

		// What the key acts on: marked rows, else the cursor row.
		{name: "marked rows are the targets",
			screen: func() *gateScreen {
				s := podsView("prod", "shop", []string{"a", "1/1"}, []string{"b", "1/1"})
				s.rows.Marked = true
				return s
			}(),
			steps: []gateStep{in("\x04")}, wantHold: "delete pods shop/a, shop/b", wantScope: "delete pods shop/a, shop/b"},
		{name: "all namespaces: the NAMESPACE column",
			screen: &gateScreen{gen: 1,
				st:   screen.State{Known: true, Context: "prod", Resource: "pods", Namespace: "all", Mode: screen.ModeNormal},
				rows: screen.Rows{Header: []string{"NAMESPACE", "NAME"}, Rows: [][]string{{"pay", "api-1"}}}},
			steps: []gateStep{in("\x0b")}, wantHold: "kill pod pay/api-1", wantScope: "delete pods pay/api-1"},
		{name: "a row without a readable name names nothing (too narrow, never too wide)",
			screen: &gateScreen{gen: 1,
				st:   screen.State{Known: true, Context: "prod", Resource: "pods", Namespace: "shop", Mode: screen.ModeNormal},
				rows: screen.Rows{Header: []string{"READY"}, Rows: [][]string{{"1/1"}}}},
			steps: []gateStep{in("\x0b")}, wantHold: "kill pods", wantScope: "delete pods"},
		{name: "deleting the current namespace asks for its name",
			screen: &gateScreen{gen: 1,
				st:   screen.State{Known: true, Context: "prod", Resource: "namespaces", Mode: screen.ModeNormal},
				rows: screen.Rows{Header: []string{"NAME", "STATUS"}, Rows: [][]string{{"shop(*)", "Active"}}}},
			steps: []gateStep{in("\x04")}, wantHold: "delete namespace shop", wantConfirm: "shop", wantScope: "delete namespaces shop"},
		{name: "a drain asks once, for the node's name, and its grant is the node's cordon and evictions",
			screen: &gateScreen{gen: 1,
				st:   screen.State{Known: true, Context: "prod", Resource: "nodes", Mode: screen.ModeNormal},
				rows: screen.Rows{Header: []string{"NAME", "STATUS"}, Rows: [][]string{{"node-1", "Ready"}}}},
			steps: []gateStep{in("r")}, wantHold: "drain node node-1", wantConfirm: "node-1",
			wantScope: "update nodes node-1 and evict the pods on it"},
		{name: "a drain of two marked nodes names both, once",
			screen: &gateScreen{gen: 1,
				st: screen.State{Known: true, Context: "prod", Resource: "nodes", Mode: screen.ModeNormal},
				rows: screen.Rows{Header: []string{"NAME", "STATUS"}, Marked: true,
					Rows: [][]string{{"node-1", "Ready"}, {"node-2", "Ready"}}}},
			steps: []gateStep{in("r")}, wantHold: "drain nodes node-1, node-2", wantConfirm: "node-1 node-2",
			wantScope: "update nodes node-1, node-2 and evict the pods on them"},
		{name: "a plural resource's one object is named singular",
			screen: &gateScreen{gen: 1,
				st:   screen.State{Known: true, Context: "prod", Resource: "ingresses", Namespace: "shop", Mode: screen.ModeNormal},
				rows: screen.Rows{Header: []string{"NAME"}, Rows: [][]string{{"web"}}}},
			steps: []gateStep{in("\x04")}, wantHold: "delete ingress shop/web", wantScope: "delete ingresses.networking.k8s.io shop/web"},

		// The screen: dialogs, and not waiting for the emulator.
		{name: "in a K9s dialog keys answer it",
			screen: func() *gateScreen {
				s := podsView("prod", "shop", cart)
				s.st.Mode = screen.ModeDialog
				return s
			}(),
			steps: []gateStep{in("\x04")}, wantK9s: "\x04"},
		// TestScopedTriggerCarriesNoForgedJob on a loaded machine: K9s drew
		// its first view, the emulator had not applied it when t came, and
		// t, read in no view, reached K9s unprompted.
		{name: "before the first look a busy emulator is waited for: t on K9s's first view is held",
			screen: func() *gateScreen { s := viewOf("cronjobs", "shop"); s.busy = true; return s }(),
			steps:  []gateStep{in("t")}, wantHold: "trigger cronjob shop/web", wantScope: "create jobs.batch in namespace shop (trigger: cronjob/web)"},
		{name: "a busy emulator is not waited for: the last look stands",
			steps:   []gateStep{in("c"), {screen: &screen.State{Known: true, Context: "prod", Resource: "pods", Namespace: "shop", Mode: screen.ModeDialog}, busy: true}, in("\x04")},
			wantK9s: "c", wantHold: "delete pod shop/cart-1", wantScope: "delete pods shop/cart-1"},
		{name: "a dialog drawn since the last look is seen before the key",
			steps:   []gateStep{in("c"), {screen: &screen.State{Known: true, Context: "prod", Resource: "pods", Namespace: "shop", Mode: screen.ModeDialog}}, in("\x04")},
			wantK9s: "c\x04"},
		{name: "a K9s shell owns the keys: Ctrl-D is EOF there",
			screen: func() *gateScreen {
				s := podsView("prod", "shop", cart)
				s.st.Suspended = true
				return s
			}(),
			steps: []gateStep{in("\x04")}, wantK9s: "\x04"},

		// Context switches seen from the keys.
		{name: ":ctx dev closes prod's window and the next kill is dev's", window: "context",
			steps: []gateStep{in(":ctx dev\r"), in("\x0b")}, wantK9s: ":ctx dev\r\x0b", wantWindows: ""},
		{name: "a command for another context closes the window", window: "context",
			steps: []gateStep{in(":pods @dev\r")}, wantK9s: ":pods @dev\r", wantWindows: ""},
		// Reaching the protected context another way: a Tab-completed
		// ":ctx pro<Tab>" the screen has not named yet.
		{name: ":ctx pro Tab Enter then Ctrl-K at once: a protected candidate is assumed",
			steps:   []gateStep{in(":ctx pro\t\r"), in("\x0b")},
			wantK9s: ":ctx pro\t\r", wantHold: "kill pod shop/cart-1", wantScope: "delete pods shop/cart-1"},
		{name: ":ctx de Tab Enter completes to dev only: Ctrl-K is dev's", window: "context",
			steps:   []gateStep{in(":ctx de\t\r"), in("\x0b")},
			wantK9s: ":ctx de\t\r\x0b", wantWindows: ""},
		{name: "a hotkey running pods @prod (header hidden): Ctrl-K after it is prod's", ctx: "dev",
			screen:  podsView("dev", "shop", cart),
			hotkeys: "hotKeys:\n  prod:\n    shortCut: Shift-P\n    command: pods @prod\n",
			steps:   []gateStep{in("P"), in("\x0b")},
			wantK9s: "P", wantHold: "kill pod shop/cart-1", wantScope: "delete pods shop/cart-1", holdCtx: "prod"},
		{name: "typing in the filter is text", steps: []gateStep{in("/kill\r")}, wantK9s: "/kill\r"},

		// Issue 12, item 1: a program K9s handed the terminal to owns the
		// keys (vi's i, bash's e and Ctrl-D); back in K9s they are K9s's.
		{name: "in a plugin's bash, e and Ctrl-D are the shell's",
			steps:   []gateStep{{screen: &suspended}, in("echo e\r"), in("\x04")},
			wantK9s: "echo e\r\x04"},
		{name: "in vi (kubectl edit), i is vi's", screen: viewOf("deployments", "shop"),
			steps: []gateStep{{screen: &suspended}, in("i")}, wantK9s: "i"},
		{name: "back from the shell, Ctrl-K prompts again",
			steps:   []gateStep{{screen: &suspended}, in("ls\r"), {screen: &podsView("prod", "shop").st}, in("\x0b")},
			wantK9s: "ls\r", wantHold: "kill pod shop/cart-1", wantScope: "delete pods shop/cart-1"},

		// Item 2: letters typed into K9s's own dialog or form are text.
		{name: "set image's form: busybox is text, not a shell",
			steps:   []gateStep{{screen: &screen.State{Known: true, Context: "prod", Resource: "pods", Namespace: "shop", Mode: screen.ModeDialog}}, in("busybox")},
			wantK9s: "busybox"},
		{name: "sanitize's typed confirmation: Yes Please! is text",
			steps:   []gateStep{{screen: &screen.State{Known: true, Context: "prod", Resource: "pods", Namespace: "shop", Mode: screen.ModeDialog}}, in("Yes Please!\r")},
			wantK9s: "Yes Please!\r"},

		// Item 4: keys K9s does not bind in that view.
		{name: "s on replicasets does nothing", screen: viewOf("replicasets", "shop"),
			steps: []gateStep{in("s")}, wantK9s: "s"},
		{name: "Ctrl-D on containers does nothing", screen: viewOf("containers", "shop/web"),
			steps: []gateStep{in("\x04")}, wantK9s: "\x04"},
		{name: "Ctrl-D in the YAML view does nothing", screen: viewOf("yaml", "shop/web"),
			steps: []gateStep{in("\x04")}, wantK9s: "\x04"},
		{name: "Ctrl-D in Describe does nothing", screen: viewOf("describe", "shop/web"),
			steps: []gateStep{in("\x04")}, wantK9s: "\x04"},
		{name: "Ctrl-D and e in Logs do nothing", screen: viewOf("logs", "shop/web"),
			steps: []gateStep{in("\x04e")}, wantK9s: "\x04e"},
		{name: "e in Describe still edits the object beneath", wantK9s: "d",
			steps: []gateStep{in("d"), {screen: &viewOf("describe", "shop/web").st}, in("e")}, wantHold: "edit pod shop/web", wantScope: "update pods shop/web"},
		{name: "Ctrl-D, s and e in :dir do nothing", screen: viewOf("dirs", "/tmp/manifests"),
			steps: []gateStep{in("\x04se")}, wantK9s: "\x04se"},
		{name: "a in :dir under scope operation is left to the gateway, which names each request", screen: viewOf("dirs", "/tmp/manifests"),
			steps: []gateStep{in("a")}, wantK9s: "a"},
		{name: "a in :dir under scope context applies (the title dirs(...) is :dir)", ctx: "prod-wide",
			screen: func() *gateScreen { s := viewOf("dirs", "/tmp/manifests"); s.st.Context = "prod-wide"; return s }(),
			steps:  []gateStep{in("a")}, wantHold: "apply dir /tmp/manifests/web", wantScope: "every write and sensitive request"},

		// :dir d runs kubectl delete -f on the file under the cursor: the
		// grant names the objects in it, or the gateway alone asks.
		{name: "d in :dir names the manifest's objects", screen: dirView("🦄 web.yaml"),
			files: map[string]string{"/tmp/manifests/web.yaml": twoDeployments},
			steps: []gateStep{in("d")}, wantHold: "delete deployments shop/web, shop/api",
			wantScope: "delete deployments.apps shop/web, shop/api"},
		{name: "d in :dir on a namespace's manifest asks for its name", screen: dirView("🦄 ns.yaml"),
			files: map[string]string{"/tmp/manifests/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"},
			steps: []gateStep{in("d")}, wantHold: "delete namespace shop", wantConfirm: "shop", wantScope: "delete namespaces shop"},
		{name: "d in :dir on a manifest of two kinds is left to the gateway", screen: dirView("🦄 web.yaml"),
			files: map[string]string{"/tmp/manifests/web.yaml": twoDeployments + "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"},
			steps: []gateStep{in("d")}, wantK9s: "d"},
		{name: "d in :dir on an object without a namespace is left to the gateway", screen: dirView("🦄 cm.yaml"),
			files: map[string]string{"/tmp/manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"},
			steps: []gateStep{in("d")}, wantK9s: "d"},
		{name: "d in :dir on a kind the guard cannot name is left to the gateway", screen: dirView("🦄 cert.yaml"),
			files: map[string]string{"/tmp/manifests/cert.yaml": "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: tls, namespace: shop}\n"},
			steps: []gateStep{in("d")}, wantK9s: "d"},
		{name: "d in :dir on a directory (kubectl -R) is left to the gateway", screen: dirView("📁 web.yaml"),
			files: map[string]string{"/tmp/manifests/web.yaml": twoDeployments},
			steps: []gateStep{in("d")}, wantK9s: "d"},
		{name: "d in :dir on a file it cannot read is left to the gateway", screen: dirView("🦄 gone.yaml"),
			steps: []gateStep{in("d")}, wantK9s: "d"},
		{name: "d in :dir under scope context names the objects too", ctx: "prod-wide",
			screen: func() *gateScreen { s := dirView("🦄 web.yaml"); s.st.Context = "prod-wide"; return s }(),
			files:  map[string]string{"/tmp/manifests/web.yaml": twoDeployments},
			steps:  []gateStep{in("d")}, wantHold: "delete deployments shop/web, shop/api", wantScope: "every write and sensitive request"},

		// Right action, right target: sanitize deletes every Pending,
		// Completed or failed pod of the namespace, not the cursor pod.
		{name: "sanitize names every pod K9s will delete", screen: func() *gateScreen {
			s := podsView("prod", "shop", []string{"a", "0/1", "Pending"})
			s.all = screen.Rows{Header: []string{"NAME", "READY", "STATUS"}, Rows: [][]string{
				{"a", "0/1", "Pending"}, {"b", "1/1", "Running"}, {"c", "0/1", "Completed"}, {"d", "0/1", "Error"}}}
			s.st.Count = 4
			return s
		}(), steps: []gateStep{in("z")}, wantHold: "delete pods shop/a, shop/c, shop/d", wantScope: "delete pods shop/a, shop/c, shop/d"},
		{name: "sanitize with the table scrolled names the cursor pod only", screen: func() *gateScreen {
			s := podsView("prod", "shop", []string{"a", "0/1", "Pending"})
			s.st.Count = 40
			return s
		}(), steps: []gateStep{in("z")}, wantHold: "delete pod shop/a", wantScope: "delete pods shop/a"},

		// The workloads view: the KIND column names what a row is.
		{name: "Ctrl-D in workloads names the row's kind, not \"workload\"", screen: &gateScreen{gen: 1,
			st:   screen.State{Known: true, Context: "prod", Resource: "workloads", Namespace: "shop", Mode: screen.ModeNormal},
			rows: screen.Rows{Header: []string{"KIND", "NAMESPACE", "NAME"}, Rows: [][]string{{"apps/v1/deployments", "shop", "web"}}}},
			steps: []gateStep{in("\x04")}, wantHold: "delete deployment shop/web", wantScope: "delete deployments.apps shop/web"},

		// Replicaset rollback patches the owning Deployment.
		{name: "Ctrl-L on a replicaset names the Deployment K9s rolls back", screen: func() *gateScreen {
			s := viewOf("replicasets", "shop")
			s.rows.Rows = [][]string{{"web-5cbbf99d94", "3"}}
			return s
		}(), steps: []gateStep{in("\x0c")}, wantHold: "rollback deployment shop/web", wantScope: "update deployments.apps shop/web"},

		// Right action, right target: the xray title names its root.
		{name: "s in xray under scope context is a shell, not a scale", ctx: "prod-wide",
			screen: func() *gateScreen { s := viewOf("xray-pods", "shop"); s.st.Context = "prod-wide"; return s }(),
			steps:  []gateStep{in("s")}, wantHold: "exec xray shop/web", wantScope: "every write and sensitive request"},
		// An empty table: K9s has no row to act on.
		{name: "Ctrl-K, Ctrl-D, e, s, a, t and i in an empty pods table do nothing", screen: podsView("prod", "shop"),
			steps: []gateStep{in("\x0b\x04esati")}, wantK9s: "\x0b\x04esati"},
		{name: "t, s and F in an empty cronjobs table do nothing", screen: func() *gateScreen {
			s := viewOf("cronjobs", "shop")
			s.st.Count, s.rows.Rows = 0, nil
			return s
		}(), steps: []gateStep{in("tsF")}, wantK9s: "tsF"},
		{name: "sanitize in an empty (filtered) pods table still asks: it deletes from the namespace", screen: podsView("prod", "shop"),
			steps: []gateStep{in("z")}, wantHold: "delete pods", wantScope: "delete pods"},
		{name: "Ctrl-K after :pods typed in an empty deployments table the screen still shows asks", screen: func() *gateScreen {
			s := viewOf("deployments", "shop")
			s.st.Count, s.rows.Rows = 0, nil
			return s
		}(), steps: []gateStep{in(":pods\r\x0b")}, wantK9s: ":pods\r", wantHold: "kill pods", wantScope: "delete pods"},
		// :ctx edits the kubeconfig: the session asks for the edit, under
		// the rule of the context edited, once.
		{name: "Ctrl-D and r in :ctx are left to the context edit", screen: func() *gateScreen {
			s := viewOf("contexts", "all")
			s.rows = screen.Rows{Header: []string{"NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"}, Rows: [][]string{{"scratch", "testbed", "viewer", "default"}}}
			return s
		}(), steps: []gateStep{in("\x04r")}, wantK9s: "\x04r"},
		{name: "Ctrl-D in :ctx under scope context is left to the context edit too", ctx: "prod-wide",
			screen: func() *gateScreen { s := viewOf("contexts", "all"); s.st.Context = "prod-wide"; return s }(),
			steps:  []gateStep{in("\x04")}, wantK9s: "\x04"},
		// Under scope operation a grant from an xray key would name no
		// object (the tree's node is no row): the gateway alone asks,
		// naming the request, once.
		{name: "Ctrl-D in xray under scope operation is left to the gateway", screen: viewOf("xray-pods", "shop"),
			steps: []gateStep{in("\x04")}, wantK9s: "\x04"},
		{name: "e, s and a in xray under scope operation are left to the gateway", screen: viewOf("xray-deployments", "shop"),
			steps: []gateStep{in("esa")}, wantK9s: "esa"},

		// Item 6: a plugin that overrides a key takes it from K9s.
		{name: "a plugin overriding s on deployments: s is the plugin's", screen: viewOf("deployments", "shop"),
			plugins: "plugins:\n  get:\n    shortCut: s\n    override: true\n    scopes: [deploy]\n    command: kubectl\n",
			steps:   []gateStep{in("s")}, wantK9s: "s"},
		{name: "a plugin on s without override leaves K9s its scale", screen: viewOf("deployments", "shop"),
			plugins: "plugins:\n  get:\n    shortCut: s\n    scopes: [deploy]\n    command: kubectl\n",
			steps:   []gateStep{in("s")}, wantHold: "scale deployment shop/web", wantScope: "update deployments.apps/scale shop/web"},

		// Item 5: K9s run read-only hides its write keys.
		{name: "--readonly: Ctrl-K, Ctrl-D, e, s, a, t, z and i do nothing", readOnly: true,
			steps: []gateStep{in("\x0b\x04esatzi")}, wantK9s: "\x0b\x04esatzi"},
		{name: "--readonly keeps port-forward", readOnly: true,
			steps: []gateStep{in("F")}, wantHold: "port-forward pod shop/cart-1", wantScope: "connect pods/portforward shop/cart-1"},
		{name: "the header's [R] says read-only though the flag did not",
			steps:   []gateStep{{screen: &screen.State{Known: true, Context: "prod", Resource: "pods", Namespace: "shop", Mode: screen.ModeNormal, ReadOnlyKnown: true, ReadOnly: true}}, in("\x0b")},
			wantK9s: "\x0b"},
		{name: "the header's [RW] (--write) wins over --readonly", readOnly: true,
			steps:    []gateStep{{screen: &screen.State{Known: true, Context: "prod", Resource: "pods", Namespace: "shop", Mode: screen.ModeNormal, ReadOnlyKnown: true}}, in("\x0b")},
			wantHold: "kill pod shop/cart-1", wantScope: "delete pods shop/cart-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newWindowTestClock()
			windows := NewWindows(clock)
			sc := tc.screen
			if sc == nil {
				sc = podsView("prod", "shop", cart)
			}
			ctx := tc.ctx
			switch ctx {
			case "":
				ctx = "prod"
			case "-":
				ctx = ""
			}
			gate := NewGate(GateOptions{
				Context: ctx, Now: clock.Now, Policy: gatePolicy, Windows: windows, Screen: sc,
				Prompting: func() bool { return tc.prompting }, RelockKey: relock, ReadOnly: tc.readOnly,
				ReadFile: func(path string) ([]byte, error) {
					if f, ok := tc.files[path]; ok {
						return []byte(f), nil
					}
					return nil, os.ErrNotExist
				},
				Contexts: func() []string { return []string{"dev", "prod", "prod-wide"} },
				Hotkeys: func(string) []keys.Hotkey {
					hh, err := keys.ParseHotkeys("hotkeys.yaml", []byte(tc.hotkeys))
					if err != nil {
						t.Fatal(err)
					}
					return hh
				},
				Overrides: func(string) []keys.Override {
					oo, err := keys.ParsePlugins("plugins.yaml", []byte(tc.plugins))
					if err != nil {
						t.Fatal(err)
					}
					return oo
				},
			})
			switch {
			case tc.window == "context":
				if _, err := windows.Open(ctx, time.Minute); err != nil {
					t.Fatal(err)
				}
			case tc.window != "":
				s, _ := KeyScope("kill", "pods", []Target{{Namespace: "shop", Name: strings.Fields(tc.window)[1]}})
				if _, err := windows.OpenScoped(ctx, time.Minute, s, "test"); err != nil {
					t.Fatal(err)
				}
			}
			var k9s, overlay strings.Builder
			var hold *Hold
			for _, st := range tc.steps {
				clock.Advance(st.after)
				switch {
				case st.screen != nil:
					sc.st, sc.gen, sc.busy = *st.screen, sc.gen+1, st.busy
				case st.behind != nil:
					sc.pending, sc.busy = st.behind, true
				case st.expire:
					gate.Expire()
				case st.release != "":
					k9s.Write(gate.Release(st.release == "granted"))
				default:
					d := gate.Input([]byte(st.in))
					k9s.Write(d.Forward)
					overlay.Write(d.Overlay)
					if d.Hold != nil {
						if hold != nil {
							t.Fatalf("a second hold while one is pending: %+v", d.Hold)
						}
						hold = d.Hold
					}
					if want := len(gate.decoder.Pending()) > 0; (d.ExpireAfter > 0) != want {
						t.Errorf("ExpireAfter = %v with pending %q", d.ExpireAfter, gate.decoder.Pending())
					}
				}
			}
			if got := k9s.String(); got != tc.wantK9s {
				t.Errorf("K9s got %q, want %q", got, tc.wantK9s)
			}
			if got := overlay.String(); got != tc.wantOverlay {
				t.Errorf("overlay got %q, want %q", got, tc.wantOverlay)
			}
			var gotHold, gotConfirm, gotScope string
			if hold != nil {
				gotHold, gotConfirm, gotScope = hold.Action+" "+hold.Target, hold.ConfirmName, ScopeString(hold.Scope)
				wantCtx := ctx
				if tc.holdCtx != "" {
					wantCtx = tc.holdCtx
				}
				if hold.Context != wantCtx || hold.Window != 5*time.Minute || hold.Source != "context prod-admin" {
					t.Errorf("hold for %q, %s, source %q", hold.Context, hold.Window, hold.Source)
				}
			}
			if gotHold != tc.wantHold {
				t.Errorf("hold = %q, want %q", gotHold, tc.wantHold)
			}
			if gotConfirm != tc.wantConfirm {
				t.Errorf("confirm name = %q, want %q", gotConfirm, tc.wantConfirm)
			}
			if tc.wantHold != "" && gotScope != tc.wantScope {
				t.Errorf("scope = %q, want %q", gotScope, tc.wantScope)
			}
			var open []string
			for _, g := range windows.Grants() {
				open = append(open, g.Context)
			}
			if got := strings.Join(open, " "); got != tc.wantWindows {
				t.Errorf("open windows = %q, want %q", got, tc.wantWindows)
			}
		})
	}
}

// The held keys are the gate's copy: the input buffer the pty pump reuses
// for its next read must not change what is replayed.
func TestGateHoldOwnsItsKeys(t *testing.T) {
	clock := newWindowTestClock()
	gate := NewGate(GateOptions{Context: "prod", Now: clock.Now, Policy: gatePolicy, Windows: NewWindows(clock),
		Screen: podsView("prod", "shop", []string{"cart-1"}), RelockKey: relock})
	buf := []byte("\x0bjk")
	if d := gate.Input(buf); d.Hold == nil {
		t.Fatal("Ctrl-K not held")
	}
	copy(buf, "xxx")
	if got := string(gate.Release(true)); got != "\x0bjk" {
		t.Errorf("replayed %q, want the keys as typed", got)
	}
	if got := gate.Release(true); got != nil {
		t.Errorf("a second release replayed %q", got)
	}
}

// A context switch seen on the screen (a hotkey, the :ctx view) closes
// windows just as one seen from the keys.
func TestGateContextSwitchedClosesOnlyOtherContexts(t *testing.T) {
	clock := newWindowTestClock()
	windows := NewWindows(clock)
	gate := NewGate(GateOptions{Now: clock.Now, Policy: gatePolicy, Windows: windows, Screen: podsView("prod", "shop")})
	for _, c := range []string{"prod", "prod-wide"} {
		if _, err := windows.Open(c, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	gate.ContextSwitched("prod")
	if g := windows.Grants(); len(g) != 1 || g[0].Context != "prod" {
		t.Errorf("open after switching to prod: %+v", g)
	}
}
