package e2e

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp/totp"
)

var updateDocs = flag.Bool("update-docs", false, "write the quickstart's screens to ../../docs/screens and into ../../docs/quickstart.md")

// quickstartScreens are the captures docs/quickstart.md shows, in order.
var quickstartScreens = []string{
	"version", "init", "init-profile", "enroll", "enroll-done", "otp-status", "doctor",
	"k9s-pods", "stepup-prompt", "k9s-delete-dialog", "elevated", "audit", "audit-verify",
}

// qsDoc collects the screens of one quickstart run, made readable: the
// test's temporary home, kubeconfig and tools folder are shown as a user's
// own (~, ~/.kube/config, /usr/local/bin).
type qsDoc struct {
	t       *testing.T
	home    string
	screens map[string]string
}

func (d *qsDoc) tidy(s string) string {
	s = strings.ReplaceAll(s, testCluster.Kubeconfig, "~/.kube/config")
	s = strings.ReplaceAll(s, d.home, "~")
	s = strings.ReplaceAll(s, toolsDir, "/usr/local/bin")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

func (d *qsDoc) save(name, text string) {
	d.screens[name] = d.tidy(text)
}

// run runs a k9s-guard command as the user would type it, and records
// "$ command" and what it printed.
func (d *qsDoc) run(name string, env []string, wantCode int, args ...string) string {
	d.t.Helper()
	cmd := exec.Command(guardBin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatalf("k9s-guard %s: %v", strings.Join(args, " "), err)
	}
	if code != wantCode {
		d.t.Fatalf("k9s-guard %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, out)
	}
	d.save(name, "$ k9s-guard "+strings.Join(args, " ")+"\n"+string(out))
	return string(out)
}

// TestQuickstart walks docs/quickstart.md as a newcomer would, against the
// local cluster: check the install, init, otp enroll (on a real terminal,
// reading the QR page), otp status, doctor, then k9s-guard itself: Ctrl-D
// on a pod in the protected prod context, the passcode, K9s's own delete
// dialog, the pod gone, the elevated indicator; then the audit trail.
// With -update-docs it saves every screen for the page.
func TestQuickstart(t *testing.T) {
	env := userEnv(t)
	home := envValue(env, "HOME")
	d := &qsDoc{t: t, home: home, screens: map[string]string{}}

	// 1. Installed.
	if out := d.run("version", env, 0, "version"); !strings.Contains(out, "k9s-guard ") || !strings.Contains(out, "v0.50.16") {
		t.Errorf("version does not name both programs:\n%s", out)
	}

	// 2. A profile from the kubeconfig's contexts: prod protected, elevated
	// through the admin context.
	out := d.run("init", env, 0, "init")
	if !strings.Contains(out, "protected: prod") {
		t.Errorf("init did not protect prod:\n%s", out)
	}
	prof, err := os.ReadFile(filepath.Join(home, ".config", "k9s-guard", "profile.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(prof), "contexts:\n")
	j := strings.Index(string(prof), "# Where audit records go")
	if i < 0 || j < i {
		t.Fatalf("unexpected profile layout:\n%s", prof)
	}
	contexts := string(prof[i:j])
	if !regexp.MustCompile(`(?s)prod:\n\s+protected: true.*elevation:\n\s+context: admin`).MatchString(contexts) {
		t.Errorf("prod is not protected with elevation to admin:\n%s", contexts)
	}
	d.save("init-profile", "# ~/.config/k9s-guard/profile.yaml (excerpt)\n"+contexts)

	// 3. Enrol on a real terminal: read the secret off the page as the
	// phone would, type the code it gives.
	term := startGuard(t, env, 140, 45, "otp", "enroll")
	secretRE := regexp.MustCompile(`secret=([A-Z2-7]{32})`)
	if err := term.WaitFor("the QR page", 30*time.Second, func(s string) bool { return secretRE.MatchString(s) }); err != nil {
		t.Fatal(err)
	}
	secret := secretRE.FindStringSubmatch(term.Screen())[1]
	// The page as shown, with this throwaway secret masked wherever it
	// appears: in the URI, and as the setup key in groups of four.
	shown := strings.ReplaceAll(term.Screen(), secret, strings.Repeat("X", len(secret)))
	shown = regexp.MustCompile(`(setup key \(time-based\): )[A-Z2-7 ]+`).ReplaceAllStringFunc(shown, func(m string) string {
		head, key, _ := strings.Cut(m, ": ")
		return head + ": " + regexp.MustCompile(`[A-Z2-7]`).ReplaceAllString(key, "X")
	})
	if strings.Contains(strings.ReplaceAll(shown, " ", ""), secret) {
		t.Fatal("the secret is still readable in the capture")
	}
	d.save("enroll", "$ k9s-guard otp enroll\n"+shown)
	// steps picks the 30 s step: the code that confirms enrolment counts as
	// used, so the step-up below takes the next one (within the verifier's
	// one step of skew), as a user who waits for a fresh code would.
	passcodeAt := func(steps int) string {
		c, err := totp.GenerateCode(secret, time.Now().Add(time.Duration(steps)*30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := term.Type(passcodeAt(0), "\r"); err != nil {
		t.Fatal(err)
	}
	if code, err := term.Wait(30 * time.Second); err != nil || code != 0 {
		t.Fatalf("enroll: exit %d, %v\n%s", code, err, term.Screen())
	}
	if err := term.WaitText("enrolled ", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(term.Screen(), secret) {
		t.Fatal("the secret is still on screen after enrolment")
	}
	d.save("enroll-done", "$ k9s-guard otp enroll\n"+strings.TrimLeft(term.Screen(), "\n"))

	d.run("otp-status", env, 0, "otp", "status")
	if out := d.run("doctor", env, 0, "doctor"); !strings.Contains(out, "prod") {
		t.Errorf("doctor did not check prod:\n%s", out)
	}

	// 4. Run it. The viewer's pod list in prod.
	k9s := startGuard(t, env, 100, 30, "--context", "prod", "-n", "shop")
	waitPods(t, k9s)
	pod := firstPod(t, k9s)
	d.save("k9s-pods", "$ k9s-guard --context prod -n shop\n"+k9s.Screen())
	adm := admin(t)

	// 5. A protected delete: Ctrl-D, the passcode, K9s's own dialog, OK.
	if err := k9s.Type("\x04"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, k9s)
	for _, want := range []string{"prod", "delete", pod} {
		if !strings.Contains(k9s.Screen(), want) {
			t.Errorf("the prompt does not show %q:\n%s", want, k9s.Screen())
		}
	}
	d.save("stepup-prompt", k9s.Screen())
	if err := k9s.Type(passcodeAt(1), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, k9s)
	if err := k9s.WaitText("Cancel", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	adm.waitPod("shop", pod, true) // nothing happened before K9s's own OK
	d.save("k9s-delete-dialog", k9s.Screen())
	pressOK(t, k9s)
	adm.waitPod("shop", pod, false)
	if err := k9s.WaitText("ELEVATED prod", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// K9s redraws the list on its next refresh (every 2 s): the pod is gone.
	if err := k9s.WaitFor("the pod list without the deleted pod", 20*time.Second, func(s string) bool {
		return !strings.Contains(s, "Cancel") && !strings.Contains(s, pod) && strings.Contains(s, "cart-")
	}); err != nil {
		t.Fatal(err)
	}
	d.save("elevated", k9s.Screen())
	if err := k9s.Type(":q\r"); err != nil {
		t.Fatal(err)
	}
	if code, err := k9s.Wait(20 * time.Second); err != nil || code != 0 {
		t.Fatalf("quit: exit %d, %v", code, err)
	}

	// 6. The audit trail has the prompt, the grant and the elevated delete.
	out = d.run("audit", env, 0, "audit")
	for _, want := range []string{"stepup.prompt", "stepup.granted", "delete"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %q:\n%s", want, out)
		}
	}
	if out := d.run("audit-verify", env, 0, "audit", "verify"); !strings.Contains(out, "chain holds") {
		t.Errorf("audit verify:\n%s", out)
	}

	page := filepath.Join("..", "..", "docs", "quickstart.md")
	if *updateDocs {
		qsWriteDocs(t, page, d.screens)
	}
	// The page shows every screen this test captures.
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range quickstartScreens {
		if _, ok := d.screens[name]; !ok {
			t.Errorf("no capture named %q", name)
		}
		if !strings.Contains(string(b), "<!-- screen: "+name+" -->") {
			t.Errorf("docs/quickstart.md does not show the %q screen", name)
		}
	}
}

// qsWriteDocs saves the screens to docs/screens/NAME.txt and replaces each
// marked block in the page with the fresh capture:
//
//	<!-- screen: NAME -->
//	```text
//	...
//	```
func qsWriteDocs(t *testing.T, page string, screens map[string]string) {
	t.Helper()
	dir := filepath.Join(filepath.Dir(page), "screens")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range screens {
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- screen: ([a-z-]+) -->\n```text\n.*?```\n")
	out := re.ReplaceAllStringFunc(string(b), func(m string) string {
		name := re.FindStringSubmatch(m)[1]
		text, ok := screens[name]
		if !ok {
			t.Errorf("quickstart.md shows an unknown screen %q", name)
			return m
		}
		return "<!-- screen: " + name + " -->\n```text\n" + text + "```\n"
	})
	if err := os.WriteFile(page, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buttonBg is the background colour of the dialog button labelled label
// (tview draws the focused button in other colours), -1 when not on screen.
func buttonBg(term *Term, label string) int {
	for y, l := range term.Lines() {
		for _, word := range []string{" " + label + " ", "<" + label + ">"} {
			if i := strings.Index(l, word); i >= 0 {
				_, bg := term.CellColors(utf8.RuneCountInString(l[:i])+1, y)
				return bg
			}
		}
	}
	return -1
}
