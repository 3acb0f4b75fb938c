package keys

import (
	"testing"
	"time"
)

// fakeClock is a manual clock for the watcher's grace period.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestWatcher(ctx, view string) (*Watcher, *fakeClock) {
	clk := &fakeClock{t: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)}
	w := NewWatcher(Options{Context: ctx, Resource: view, Now: clk.now, Grace: time.Second})
	return w, clk
}

// typeKeys decodes s as terminal input and classifies every key, returning
// the verdicts in order.
func typeKeys(w *Watcher, s string) []Verdict {
	var d Decoder
	keys := append(d.Feed([]byte(s)), d.Flush()...)
	out := make([]Verdict, 0, len(keys))
	for _, k := range keys {
		out = append(out, w.Classify(k))
	}
	return out
}

func lastVerdict(w *Watcher, s string) Verdict {
	v := typeKeys(w, s)
	return v[len(v)-1]
}

// TestKeyTable covers every row of the table in k9s-notes.md ("Keys that
// change the cluster or expose secrets"), written out independently of
// actionTable so that a wrong row there fails here.
func TestKeyTable(t *testing.T) {
	const (
		ctrlD = "\x04"
		ctrlK = "\x0b"
		ctrlL = "\x0c"
	)
	tests := []struct {
		view, key  string
		action     string
		label      string // checked when set
		onResource string // checked when set
	}{
		// Ctrl-D | any resource with the delete verb; helm | delete / uninstall
		{"pods", ctrlD, ActDelete, "", "pods"},
		{"deploy", ctrlD, ActDelete, "", "deployments"},
		{"configmaps", ctrlD, ActDelete, "", ""},
		{"certificates.cert-manager.io", ctrlD, ActDelete, "", ""},
		{"helm", ctrlD, ActDelete, "uninstall", ""},
		// K9s v0.50.16 binds no delete in containers (their verbs are
		// empty), describe, yaml or logs (issue 12, item 4).
		{"containers", ctrlD, "", "", ""},
		{"describe", ctrlD, "", "", ""},
		{"yaml", ctrlD, "", "", ""},
		{"logs", ctrlD, "", "", ""},
		{"logs", "e", "", "", ""},
		{"describe", "e", ActEdit, "", ""},
		{"yaml", "e", ActEdit, "", ""},
		{"replicasets", "s", "", "", ""},
		{"history", ctrlD, "", "", ""},
		{"events", ctrlD, "", "", ""},
		{"events", "e", "", "", ""},
		{"portforwards", ctrlD, "", "", ""},
		// Ctrl-K | pods | kill
		{"pods", ctrlK, ActKill, "", "pods"},
		{"deployments", ctrlK, "", "", ""},
		// e | most resource views, yaml/describe | kubectl edit
		{"deployments", "e", ActEdit, "", ""},
		{"pods", "e", ActEdit, "", ""},
		{"configmaps", "e", ActEdit, "", ""},
		{"widgets.example.com", "e", ActEdit, "", ""},
		{"helm", "e", "", "", ""},
		// s | deploy, sts, scalable CRDs | scale
		{"deployments", "s", ActScale, "", ""},
		{"sts", "s", ActScale, "", "statefulsets"},
		{"widgets.example.com", "s", ActScale, "", ""},
		{"services", "s", "", "", ""},
		// s / a | pods, containers | shell / attach
		{"pods", "s", ActExec, "shell", ""},
		{"containers", "s", ActExec, "", ""},
		{"po", "a", ActAttach, "", "pods"},
		{"containers", "a", ActAttach, "", ""},
		{"deployments", "a", "", "", ""},
		// t | pods | transfer
		{"pods", "t", ActTransfer, "", ""},
		// z | pods | sanitize (a delete)
		{"pods", "z", ActDelete, "sanitize", ""},
		{"deployments", "z", "", "", ""},
		// r | deploy, sts, ds | restart
		{"deployments", "r", ActRestart, "", ""},
		{"statefulsets", "r", ActRestart, "", ""},
		{"ds", "r", ActRestart, "", "daemonsets"},
		{"pods", "r", "", "", ""},
		// i | pods, deploy, sts, ds | set image
		{"pods", "i", ActSetImage, "", ""},
		{"deployments", "i", ActSetImage, "", ""},
		{"statefulsets", "i", ActSetImage, "", ""},
		{"daemonsets", "i", ActSetImage, "", ""},
		{"services", "i", "", "", ""},
		// c / u / r | nodes | cordon / uncordon / drain
		{"nodes", "c", ActCordon, "", "nodes"},
		{"no", "u", ActUncordon, "", "nodes"},
		{"nodes", "r", ActDrain, "", ""},
		{"pods", "c", "", "", ""},
		// t / s | cronjobs | trigger / suspend-resume
		{"cronjobs", "t", ActTrigger, "", ""},
		{"cj", "s", ActSuspend, "", "cronjobs"},
		// Ctrl-L | replicasets | rollback
		{"replicasets", ctrlL, ActRollback, "", ""},
		{"pods", ctrlL, "", "", ""},
		// r | helm history | rollback
		{"history", "r", ActRollback, "", ""},
		// Shift-F | pods, containers, services, deploy/sts/ds | port-forward
		{"pods", "F", ActPortForward, "", ""},
		{"containers", "F", ActPortForward, "", ""},
		{"svc", "F", ActPortForward, "", "services"},
		{"deployments", "F", ActPortForward, "", ""},
		{"statefulsets", "F", ActPortForward, "", ""},
		{"daemonsets", "F", ActPortForward, "", ""},
		{"pods", "f", "", "", ""},
		// r / Ctrl-D | :ctx view | rename / delete a context
		{"ctx", "r", ActRenameContext, "", "contexts"},
		{"ctx", ctrlD, ActDeleteContext, "", "contexts"},
		{"ctx", "e", "", "", ""},
		// a / d / e | :dir view | apply / delete -f / edit
		{"dir", "a", ActApply, "", ""},
		{"dir", "d", ActDelete, "kubectl delete -f", ""},
		// e in :dir opens the local file; Ctrl-D and s are unbound there.
		{"dir", "e", "", "", ""},
		{"dir", ctrlD, "", "", ""},
		{"dir", "s", "", "", ""},
		{"dirs", "a", ActApply, "", "dir"},
		{"dirs", "d", ActDelete, "", "dir"},
		// The xray view's title names the resource it starts from.
		{"xray-pods", "s", ActExec, "shell", "xray"},
		{"xray-pods", "a", ActAttach, "", "xray"},
		{"xray-deployments", ctrlD, ActDelete, "", "xray"},
		{"xray-deployments", "e", ActEdit, "", "xray"},
		// e, Ctrl-D, s, a | :xray | edit / delete / shell / attach
		{"xray", "e", ActEdit, "", ""},
		{"xray", ctrlD, ActDelete, "", ""},
		{"xray", "s", ActExec, "", ""},
		{"xray", "a", ActAttach, "", ""},
		// x | secrets | decode
		{"secrets", "x", ActSecrets, "decode", ""},
		{"sec", "x", ActSecrets, "", "secrets"},
		{"configmaps", "x", "", "", ""},

		// Unknown view: only Ctrl-D, by design.
		{"", ctrlD, ActDelete, "", ""},
		{"", "e", "", "", ""},
		{"", "s", "", "", ""},
		// Views about K9s itself.
		{"help", ctrlD, "", "", ""},
		{"pulses", "e", "", "", ""},
		// Alt+letter is a different key for K9s; Alt+Ctrl-D is still Ctrl-D.
		{"deployments", "\x1be", "", "", ""},
		{"pods", "\x1b\x04", ActDelete, "", ""},
		// Ctrl-D spelled as CSI u and as xterm modifyOtherKeys.
		{"pods", "\x1b[100;5u", ActDelete, "", ""},
		{"pods", "\x1b[27;5;100~", ActDelete, "", ""},
		// Harmless keys in a dangerous view.
		{"pods", "j", "", "", ""},
		{"pods", " ", "", "", ""},
		{"pods", "\x1b[B", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.view+"/"+tt.key, func(t *testing.T) {
			w, _ := newTestWatcher("prod", tt.view)
			v := lastVerdict(w, tt.key)
			if v.Action != tt.action {
				t.Fatalf("action = %q, want %q", v.Action, tt.action)
			}
			if tt.label != "" && v.Label != tt.label {
				t.Errorf("label = %q, want %q", v.Label, tt.label)
			}
			if tt.onResource != "" && v.Resource != tt.onResource {
				t.Errorf("resource = %q, want %q", v.Resource, tt.onResource)
			}
			if v.Context != "prod" {
				t.Errorf("context = %q, want prod", v.Context)
			}
			if v.Dangerous() != (tt.action != "") {
				t.Errorf("Dangerous() = %v", v.Dangerous())
			}
		})
	}
}

// TestActionTableRowsAreReachable catches a row shadowed by an earlier one.
func TestActionTableRowsAreReachable(t *testing.T) {
	for i, row := range actionTable {
		for _, view := range row.views {
			if view[0] == '*' {
				continue
			}
			var d Decoder
			raw := string(row.key.r)
			if row.key.ctrl {
				raw = string(rune(row.key.r - 'a' + 1))
			}
			k := append(d.Feed([]byte(raw)), d.Flush()...)[0]
			if got := lookupAction(view, k, false); got != &actionTable[i] {
				t.Errorf("row %d (%s in %s) is shadowed", i, row.key, view)
			}
		}
	}
}

func TestPromptLettersAreText(t *testing.T) {
	w, _ := newTestWatcher("prod", "pods")
	for i, v := range typeKeys(w, ":deploy\x04\x0b") {
		if v.Dangerous() {
			t.Fatalf("key %d in the prompt classified as %q", i, v.Action)
		}
	}
	if w.Mode() != ModePrompt {
		t.Fatalf("mode = %v, want prompt", w.Mode())
	}
	v := lastVerdict(w, "\r")
	if !v.ViewChanged || v.NewResource != ResDeployments || v.ContextChanged {
		t.Errorf("Enter: %+v, want a view change to deployments", v)
	}
	if w.Mode() != ModeNormal || w.Resource() != ResDeployments {
		t.Fatalf("after Enter: mode %v view %q", w.Mode(), w.Resource())
	}
	if v := lastVerdict(w, "s"); v.Action != ActScale || v.Resource != ResDeployments {
		t.Errorf("s after :deploy = %+v, want scale deployments", v)
	}
}

func TestPromptEditing(t *testing.T) {
	tests := []struct {
		name, keys string
		view       string
		mode       Mode
	}{
		{"backspace", ":podx\x7fs\r", ResPods, ModeNormal},
		{"ctrl-e submits", ":no\x05", ResNodes, ModeNormal},
		{"ctrl-u clears", ":deploy\x15sts\r", ResStatefulSets, ModeNormal},
		{"ctrl-w clears", ":deploy\x17cj\r", ResCronJobs, ModeNormal},
		{"esc cancels", ":deploy\x1b", "services", ModeNormal},
		{"alt letters are text", ":\x1bdp\r", ResDeployments, ModeNormal},
		{"empty prompt", ":\r", "services", ModeNormal},
		{"group/version", ":apps/v1/deployments\r", ResDeployments, ModeNormal},
		{"namespace argument", ":pods kube-system\r", ResPods, ModeNormal},
		{"xray", ":xray deploy\r", ResXray, ModeNormal},
		{"ctx view", ":ctx\r", ResContexts, ModeNormal},
		{"up arrow only shows a suggestion", ":po\x1b[A\r", ResPods, ModeNormal},
		{"still typing", ":dep", "services", ModePrompt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := newTestWatcher("prod", "services")
			for _, v := range typeKeys(w, tt.keys) {
				if v.Dangerous() {
					t.Fatalf("prompt key classified as %q", v.Action)
				}
			}
			if w.Resource() != tt.view || w.Mode() != tt.mode {
				t.Errorf("view %q mode %v, want %q %v", w.Resource(), w.Mode(), tt.view, tt.mode)
			}
		})
	}
}

func TestFilterText(t *testing.T) {
	w, _ := newTestWatcher("prod", "deployments")
	for _, v := range typeKeys(w, "/restart-es") {
		if v.Dangerous() {
			t.Fatalf("filter text classified as %q", v.Action)
		}
	}
	if w.Mode() != ModeFilter {
		t.Fatalf("mode = %v, want filter", w.Mode())
	}
	typeKeys(w, "\r")
	if v := lastVerdict(w, "r"); v.Action != ActRestart {
		t.Errorf("r after the filter = %+v, want restart", v)
	}
	// Esc clears the filter first and stays in the view.
	typeKeys(w, "\x1b")
	if w.Resource() != ResDeployments {
		t.Errorf("Esc with a filter left view %q", w.Resource())
	}
}

func TestContextSwitchCommands(t *testing.T) {
	// After ":ctx NAME" K9s opens the context's last view, pods unless the
	// user left it elsewhere: pods is predicted until the screen says.
	tests := []struct {
		name, keys  string
		switched    bool
		newContext  string
		newResource string
	}{
		{"ctx NAME", ":ctx staging\r", true, "staging", ResPods},
		{"context NAME", ":context staging\r", true, "staging", ResPods},
		{"resource @ctx", ":pods @staging\r", true, "staging", ResPods},
		{"resource ns @ctx", ":deploy shop @staging\r", true, "staging", ResDeployments},
		{"same context", ":pods @prod\r", false, "", ResPods},
		{"completed ctx name", ":ctx sta\t\r", true, "", ResPods},
		{"completed @ctx", ":pods @sta\t\r", true, "", ResPods},
		{"completed command word", ":de\t\r", false, "", ""},
		{"completed word with argument", ":co\t staging\r", true, "", ""},
		{"blind completion", ":pods \t\r", true, "", ResPods},
		{"history completion", ":\t\r", true, "", ""},
		{"right arrow accepts", ":ctx sta\x1b[C\r", true, "", ResPods},
		{"ctrl-f accepts", ":ctx sta\x06\r", true, "", ResPods},
		{"no switch", ":pods\r", false, "", ResPods},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, _ := newTestWatcher("prod", "services")
			v := lastVerdict(w, tt.keys)
			if v.ContextChanged != tt.switched || v.NewContext != tt.newContext {
				t.Errorf("switch %v to %q, want %v to %q", v.ContextChanged, v.NewContext, tt.switched, tt.newContext)
			}
			if !v.ViewChanged || v.NewResource != tt.newResource {
				t.Errorf("view change %v to %q, want %q", v.ViewChanged, v.NewResource, tt.newResource)
			}
			wantCtx := "prod"
			if tt.switched {
				wantCtx = tt.newContext
			}
			if w.Context() != wantCtx || v.Context != wantCtx {
				t.Errorf("context now %q (verdict %q), want %q", w.Context(), v.Context, wantCtx)
			}
		})
	}
}

func TestUnknownViewAfterCompletion(t *testing.T) {
	w, _ := newTestWatcher("prod", "pods")
	typeKeys(w, ":de\t\r")
	if w.Resource() != "" {
		t.Fatalf("view = %q, want unknown", w.Resource())
	}
	if v := lastVerdict(w, "e"); v.Dangerous() {
		t.Errorf("e in an unknown view = %q, want harmless", v.Action)
	}
	if v := lastVerdict(w, "\x04"); v.Action != ActDelete || v.Resource != "" {
		t.Errorf("Ctrl-D in an unknown view = %+v, want delete", v)
	}
	// The screen names the view.
	w.Observe(ScreenState{Resource: "Deployments", Context: "prod", Mode: ModeNormal, Known: true})
	if v := lastVerdict(w, "s"); v.Action != ActScale {
		t.Errorf("s after the screen showed deployments = %+v", v)
	}
}

func TestSuspendedKeysBelongToTheChild(t *testing.T) {
	w, _ := newTestWatcher("prod", "pods")
	w.Observe(ScreenState{Mode: ModeSuspended, Known: true})
	for _, v := range typeKeys(w, "\x04\x0bexit\r:q\r") {
		if v.Dangerous() || v.ViewChanged || v.ContextChanged {
			t.Fatalf("key in a suspended K9s classified %+v", v)
		}
	}
	w.Observe(ScreenState{Resource: "pods", Mode: ModeNormal, Known: true})
	if v := lastVerdict(w, "\x04"); v.Action != ActDelete {
		t.Errorf("Ctrl-D after K9s came back = %+v, want delete", v)
	}
}

func TestDialogKeysAreHarmless(t *testing.T) {
	w, _ := newTestWatcher("prod", "deployments")
	w.Observe(ScreenState{Resource: "deployments", Mode: ModeDialog, Known: true})
	for _, v := range typeKeys(w, "\t\r3es\x04") {
		if v.Dangerous() || v.ViewChanged {
			t.Fatalf("dialog key classified %+v", v)
		}
	}
	if w.Mode() != ModeDialog {
		t.Fatalf("mode = %v, want dialog until the screen says otherwise", w.Mode())
	}
	w.Observe(ScreenState{Resource: "deployments", Mode: ModeNormal, Known: true})
	if v := lastVerdict(w, "s"); v.Action != ActScale {
		t.Errorf("s after the dialog closed = %+v", v)
	}
}

// TestScreenLag: the screen has not drawn the prompt yet when the next keys
// arrive; a stale "normal" screen must not turn prompt text into commands.
func TestScreenLag(t *testing.T) {
	w, clk := newTestWatcher("prod", "pods")
	typeKeys(w, ":")
	w.Observe(ScreenState{Context: "prod", Resource: "pods", Mode: ModeNormal, Known: true})
	if v := lastVerdict(w, "e"); v.Dangerous() {
		t.Fatalf("prompt text after a lagging screen classified %q", v.Action)
	}
	w.Observe(ScreenState{Context: "prod", Resource: "pods", Mode: ModePrompt, Known: true})
	typeKeys(w, "\r") // "e" is not a command K9s knows: it stays in pods
	w.Observe(ScreenState{Context: "prod", Resource: "pods", Mode: ModeNormal, Known: true})
	if w.Resource() != "e" {
		t.Fatalf("view = %q: within the grace period the prediction holds", w.Resource())
	}
	clk.advance(2 * time.Second)
	w.Observe(ScreenState{Context: "prod", Resource: "pods", Mode: ModeNormal, Known: true})
	if w.Resource() != ResPods {
		t.Fatalf("view = %q, want the screen's pods after the grace period", w.Resource())
	}
}

func TestScreenConfirmsThenWins(t *testing.T) {
	w, _ := newTestWatcher("prod", "pods")
	typeKeys(w, ":ctx staging\r")
	// Lag: the header still shows prod.
	w.Observe(ScreenState{Context: "prod", Resource: "pods", Mode: ModeNormal, Known: true})
	if w.Context() != "staging" {
		t.Fatalf("context = %q, want the predicted staging", w.Context())
	}
	w.Observe(ScreenState{Context: "staging", Resource: "pods", Mode: ModeNormal, Known: true})
	// Confirmed; from now on the screen wins at once.
	w.Observe(ScreenState{Context: "dev", Resource: "pods", Mode: ModeNormal, Known: true})
	if w.Context() != "dev" {
		t.Errorf("context = %q, want the screen's dev", w.Context())
	}
}

func TestScreenShowsUnexpectedState(t *testing.T) {
	w, _ := newTestWatcher("prod", "pods")
	typeKeys(w, ":dp\r")
	// A user alias "dp" that K9s resolved to something else.
	w.Observe(ScreenState{Context: "prod", Resource: "DaemonSets", Mode: ModeNormal, Known: true})
	if w.Resource() != ResDaemonSets {
		t.Errorf("view = %q, want the screen's daemonsets", w.Resource())
	}
	// A prompt opened by a hotkey: its text is unknown.
	w.Observe(ScreenState{Context: "prod", Resource: "daemonsets", Mode: ModePrompt, Known: true})
	if v := lastVerdict(w, "pods\r"); !v.ContextChanged || v.NewContext != "" || v.NewResource != "" {
		t.Errorf("submitting an unseen prompt = %+v, want unknown view and context", v)
	}
}

func TestObserveIgnoresUnknownScreen(t *testing.T) {
	w, _ := newTestWatcher("prod", "pods")
	w.Observe(ScreenState{Context: "dev", Resource: "nodes", Mode: ModeSuspended})
	if w.Context() != "prod" || w.Resource() != ResPods || w.Mode() != ModeNormal {
		t.Errorf("an unrecognised screen changed the state: %q %q %v", w.Context(), w.Resource(), w.Mode())
	}
}

func TestNavigation(t *testing.T) {
	w, _ := newTestWatcher("prod", "deployments")
	if v := lastVerdict(w, "\r"); v.NewResource != ResPods {
		t.Fatalf("Enter on a deployment opened %q, want pods", v.NewResource)
	}
	if v := lastVerdict(w, "s"); v.Action != ActExec {
		t.Errorf("s in the drilled-down pods = %+v, want exec", v)
	}
	typeKeys(w, "\r")
	if w.Resource() != ResContainers {
		t.Fatalf("Enter on a pod opened %q, want containers", w.Resource())
	}
	typeKeys(w, "\x1b\x1b")
	if w.Resource() != ResDeployments {
		t.Fatalf("two Esc went back to %q, want deployments", w.Resource())
	}

	// Sub-views act on the resource beneath.
	typeKeys(w, "y")
	if w.Resource() != ResYAML {
		t.Fatalf("y opened %q, want yaml", w.Resource())
	}
	if v := lastVerdict(w, "e"); v.Action != ActEdit || v.Resource != ResDeployments {
		t.Errorf("e in yaml = %+v, want edit deployments", v)
	}
	if v := lastVerdict(w, "s"); v.Dangerous() {
		t.Errorf("s in yaml = %q, want harmless", v.Action)
	}
	// Esc arrives on its own (after the ESC timeout): ESC+l would be Alt+l.
	typeKeys(w, "\x1b")
	typeKeys(w, "l")
	if w.Resource() != ResLogs {
		t.Fatalf("l opened %q, want logs", w.Resource())
	}
	if v := lastVerdict(w, "r"); v.Dangerous() {
		t.Errorf("r in logs = %q, want harmless", v.Action)
	}
	typeKeys(w, "\x1b")
	typeKeys(w, "?")
	if v := lastVerdict(w, "\x04"); v.Dangerous() {
		t.Errorf("Ctrl-D in help = %q, want harmless", v.Action)
	}
}

func TestContextsViewEnterSwitches(t *testing.T) {
	w, _ := newTestWatcher("prod", "ctx")
	v := lastVerdict(w, "\r")
	if !v.ContextChanged || v.NewContext != "" {
		t.Fatalf("Enter in contexts = %+v, want a switch to an unknown context", v)
	}
	if v := lastVerdict(w, "\x04"); v.Action != ActDelete || v.Context != "" {
		t.Errorf("Ctrl-D after the switch = %+v, want delete in an unknown context", v)
	}
	w.Observe(ScreenState{Context: "staging", Resource: "pods", Mode: ModeNormal, Known: true})
	if w.Context() != "staging" || w.Resource() != ResPods {
		t.Errorf("after the screen: %q %q", w.Context(), w.Resource())
	}
}

func TestPaste(t *testing.T) {
	w, _ := newTestWatcher("prod", "pods")
	if v := lastVerdict(w, "\x1b[200~ok\x1b[201~"); v.Dangerous() {
		t.Errorf("pasting ok in pods = %q, want harmless", v.Action)
	}
	if v := lastVerdict(w, "\x1b[200~test\x1b[201~"); v.Action != ActTransfer {
		t.Errorf("pasting test in pods = %+v, want transfer (t)", v)
	}
	v := lastVerdict(w, "\x1b[200~:ctx staging\r\x04\x1b[201~")
	if v.Action != ActDelete || v.Context != "staging" || !v.ContextChanged {
		t.Errorf("pasted context switch + Ctrl-D = %+v", v)
	}
	typeKeys(w, ":")
	if v := lastVerdict(w, "\x1b[200~deploy\x1b[201~\r"); v.NewResource != ResDeployments {
		t.Errorf("pasting into the prompt = %+v, want deployments", v)
	}
}

func TestSplitSequencesReachTheWatcher(t *testing.T) {
	w, _ := newTestWatcher("prod", "pods")
	var d Decoder
	var verdicts []Verdict
	for _, part := range []string{"\x1b", "[1", "00;5", "u"} {
		for _, k := range d.Feed([]byte(part)) {
			verdicts = append(verdicts, w.Classify(k))
		}
	}
	if len(verdicts) != 1 || verdicts[0].Action != ActDelete {
		t.Fatalf("split CSI u Ctrl-D = %+v, want one delete", verdicts)
	}
	// A lone ESC is only a key after Flush; then it leaves the prompt.
	typeKeys(w, ":")
	if keys := d.Feed([]byte("\x1b")); len(keys) != 0 {
		t.Fatalf("lone ESC decoded before Flush: %v", keys)
	}
	for _, k := range d.Flush() {
		w.Classify(k)
	}
	if w.Mode() != ModeNormal {
		t.Errorf("mode after a flushed ESC = %v, want normal", w.Mode())
	}
}

func TestCanonicalResource(t *testing.T) {
	tests := map[string]string{
		"po": "pods", "Pods": "pods", " deploy ": "deployments", "dp": "deployments",
		"apps/v1/deployments": "deployments", "deployments.apps": "deployments",
		"sts": "statefulsets", "ds": "daemonsets", "rs": "replicasets", "cj": "cronjobs",
		"no": "nodes", "sec": "secrets", "svc": "services", "ctx": "contexts",
		"Widgets.Example.Com": "widgets.example.com", "": "",
	}
	for in, want := range tests {
		if got := CanonicalResource(in); got != want {
			t.Errorf("CanonicalResource(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzKeyWatcher feeds arbitrary input and screen states: the watcher must
// never panic, never call a key dangerous while K9s is suspended or in a
// prompt, and always keep a current view.
func FuzzKeyWatcher(f *testing.F) {
	f.Add([]byte(":ctx prod\r\x04"), uint8(3), "pods")
	f.Add([]byte("\x1b[200~:dp\rs\x1b[201~"), uint8(0), "")
	f.Add([]byte("d\x1be\x1b\x1b?\r\r"), uint8(5), "deploy")
	f.Fuzz(func(t *testing.T, in []byte, mode uint8, view string) {
		w, clk := newTestWatcher("prod", view)
		var d Decoder
		keys := append(d.Feed(in), d.Flush()...)
		for i, k := range keys {
			if i%4 == 3 {
				clk.advance(300 * time.Millisecond)
				w.Observe(ScreenState{Context: view, Resource: view, Mode: Mode(mode % 7), Known: mode%2 == 0})
			}
			before := w.Mode()
			v := w.Classify(k)
			if k.Code != Paste && (before == ModeSuspended || before == ModePrompt || before == ModeFilter || before == ModeDialog) && v.Dangerous() {
				t.Fatalf("key %v in mode %v classified %q", k, before, v.Action)
			}
			if m := w.Mode(); m == ModeUnknown || m > ModeSuspended {
				t.Fatalf("watcher entered mode %v", m)
			}
		}
	})
}
