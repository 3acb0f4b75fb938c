package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/stepup"
)

var auditNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type auditEnv struct {
	app            *App
	stdout, stderr *bytes.Buffer
	path           string
}

// newAuditEnv is an App with a private HOME and state dir, and a trail of
// five records at the default path, spread over the last three hours.
func newAuditEnv(t *testing.T) *auditEnv {
	t.Helper()
	home := t.TempDir()
	env := map[string]string{"HOME": home, "XDG_STATE_HOME": filepath.Join(home, "state"), "XDG_CONFIG_HOME": filepath.Join(home, "config")}
	e := &auditEnv{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	e.app = &App{
		Stdout: e.stdout, Stderr: e.stderr,
		Getenv: func(k string) string { return env[k] },
		Now:    func() time.Time { return auditNow },
	}
	e.path = audit.DefaultPath(e.app.Getenv)
	times := []time.Duration{3 * time.Hour, 2 * time.Hour, 50 * time.Minute, 30 * time.Minute, 10 * time.Minute}
	i := 0
	l, err := audit.Open(e.path, audit.Options{Now: func() time.Time { i++; return auditNow.Add(-times[i-1]) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []audit.Record{
		{Event: audit.EventSessionStart, Context: "staging"},
		{Event: audit.EventStepupGranted, Context: "prod"},
		{Event: audit.EventRequestElevated, Context: "prod", Verb: "delete", Resource: "pods", Namespace: "shop", Name: "web-1", Status: 200},
		{Event: audit.EventRequestDenied, Context: "prod", Verb: "patch", Resource: "deployments", Name: "api", Status: 403},
		{Event: audit.EventWindowClose, Context: "prod-eu", Reason: string(stepup.CloseExpired)},
	} {
		if err := l.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	return e
}

// run runs `k9s-guard audit ARGS` through the real entry point and
// returns the exit code.
func (e *auditEnv) run(args ...string) int {
	e.stdout.Reset()
	e.stderr.Reset()
	return e.app.Run(context.Background(), append([]string{"audit"}, args...))
}

func (e *auditEnv) lines(t *testing.T) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
}

func TestAuditVerifyHolds(t *testing.T) {
	e := newAuditEnv(t)
	if code := e.run("verify"); code != 0 {
		t.Fatalf("exit %d; stdout %s; stderr %s", code, e.stdout, e.stderr)
	}
	last := audit.Hash(e.lines(t)[4])
	rep, _ := audit.Verify(bytes.NewReader(append(bytes.Join(e.lines(t), []byte("\n")), '\n')))
	// The fixture's session has no end record, which verify notes.
	want := e.path + ": chain holds: 5 records, last hash " + last + "\nnote: " + rep.Unfinished[0].String() + "\n"
	if e.stdout.String() != want {
		t.Fatalf("stdout %q, want %q", e.stdout, want)
	}
}

// Attack: hiding an elevated request by deleting its line from the trail.
func TestAuditVerifyReportsBrokenChain(t *testing.T) {
	e := newAuditEnv(t)
	l := e.lines(t)
	tampered := append(bytes.Join(append(l[:2:2], l[3:]...), []byte("\n")), '\n')
	if err := os.WriteFile(e.path, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	code := e.run("verify", e.path)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(e.stdout.String(), "chain broken at line 3 (record 3): does not chain to record 2") {
		t.Errorf("stdout: %s", e.stdout)
	}
	if want := "error: audit chain broken at line 3 of " + e.path + "\n"; e.stderr.String() != want {
		t.Errorf("stderr %q, want %q", e.stderr, want)
	}
}

func TestAuditVerifyTornLine(t *testing.T) {
	e := newAuditEnv(t)
	f, _ := os.OpenFile(e.path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"v":1,"time":"2026-`)
	f.Close()
	if code := e.run("verify"); code != 0 {
		t.Fatalf("exit %d: %s %s", code, e.stdout, e.stderr)
	}
	out := e.stdout.String()
	if !strings.Contains(out, "warning: "+e.path+": line 6 is torn") || !strings.Contains(out, "chain holds across 1 torn line(s): 5 records") {
		t.Errorf("stdout: %s", out)
	}
	if code := e.run("verify", "--strict"); code != 1 || !strings.Contains(e.stderr.String(), "1 torn line in") {
		t.Errorf("--strict: exit %d, stderr %s", code, e.stderr)
	}
}

func TestAuditVerifyMissingFile(t *testing.T) {
	e := newAuditEnv(t)
	missing := filepath.Join(t.TempDir(), "none.jsonl")
	if code := e.run("verify", missing); code != 1 || !strings.Contains(e.stderr.String(), "no audit trail at "+missing) {
		t.Fatalf("exit %d, stderr %s", code, e.stderr)
	}
}

func TestAuditJSONFilters(t *testing.T) {
	e := newAuditEnv(t)
	if code := e.run("--json", "--since", "1h", "--context", "prod", "--event", "request"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.stderr)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(e.stdout.String()), "\n") {
		var r audit.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		got = append(got, string(r.Event)+" "+r.Name)
	}
	if strings.Join(got, ",") != "request.elevated web-1,request.denied api" {
		t.Fatalf("records %q", got)
	}
	// JSON lines for scripts are the records exactly as stored.
	if first := strings.SplitN(e.stdout.String(), "\n", 2)[0]; first != string(e.lines(t)[2]) {
		t.Errorf("JSON output differs from the stored line:\n got %s\nwant %s", first, e.lines(t)[2])
	}

	if code := e.run("--json", "--context", "prod-*"); code != 0 || strings.Count(e.stdout.String(), "\n") != 1 {
		t.Errorf("glob context: exit %d, %s", code, e.stdout)
	}
}

func TestAuditPipedPrintsTextTable(t *testing.T) {
	e := newAuditEnv(t)
	if code := e.run("--since", "2h"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(e.stdout.String(), "\n"), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "TIME (UTC)") || !strings.Contains(lines[1], "stepup.granted") ||
		!strings.Contains(lines[2], "delete pods/web-1 -n shop") || !strings.Contains(lines[4], "expired") {
		t.Fatalf("table:\n%s", e.stdout)
	}
	if code := e.run("--context", "nope"); code != 0 || !strings.Contains(e.stderr.String(), "no records match (5 in ") {
		t.Errorf("no match: exit %d, stderr %s", code, e.stderr)
	}
}

func TestAuditUsageErrors(t *testing.T) {
	e := newAuditEnv(t)
	for _, args := range [][]string{{"--since", "yesterday"}, {"stray"}, {"--bogus"}, {"verify", "a", "b"}} {
		if code := e.run(args...); code != 2 || !strings.HasPrefix(e.stderr.String(), "error: ") {
			t.Errorf("audit %q: exit %d, stderr %q; want exit 2", args, code, e.stderr)
		}
	}
}

// TestAuditVerifyReportsLostRecords stops this loss: a record that could
// not be written (a full disk) or that was cut out with the chain mended
// left a trail that `audit verify` called whole. The session's numbers
// show the hole, and verify fails.
func TestAuditVerifyReportsLostRecords(t *testing.T) {
	e := newAuditEnv(t)
	l := e.lines(t)
	// Cut record 3 and mend the chain, as someone rewriting the file could.
	var out [][]byte
	prev := audit.Genesis
	for i, line := range l {
		if i == 2 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		m["prev"] = prev
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
		prev = audit.Hash(b)
	}
	if err := os.WriteFile(e.path, append(bytes.Join(out, []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := e.run("verify"); code != 1 {
		t.Fatalf("exit %d, want 1; stdout %s", code, e.stdout)
	}
	if !strings.Contains(e.stdout.String(), "records missing: line 3: session ") || !strings.Contains(e.stdout.String(), "record 3 is missing") {
		t.Errorf("stdout: %s", e.stdout)
	}
}

func TestAuditFileFromProfile(t *testing.T) {
	e := newAuditEnv(t)
	moved := filepath.Join(t.TempDir(), "moved.jsonl")
	if err := os.Rename(e.path, moved); err != nil {
		t.Fatal(err)
	}
	prof := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(prof, []byte("version: 1\naudit:\n  file: "+moved+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := e.run("verify", "--profile", prof); code != 0 || !strings.HasPrefix(e.stdout.String(), moved+": chain holds: 5 records") {
		t.Fatalf("exit %d: %s %s", code, e.stdout, e.stderr)
	}
}

func TestAuditVerifyStdin(t *testing.T) {
	e := newAuditEnv(t)
	f, err := os.Open(e.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e.app.Stdin = f
	if code := e.run("verify", "-"); code != 0 || !strings.HasPrefix(e.stdout.String(), "-: chain holds: 5 records") {
		t.Fatalf("exit %d: %s %s", code, e.stdout, e.stderr)
	}
}

// On a terminal, `k9s-guard audit` runs the interactive viewer: drive it
// through a real pseudo-terminal, read the screen, press q.
func TestAuditInteractiveOnATerminal(t *testing.T) {
	e := newAuditEnv(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	pty.Setsize(ptmx, &pty.Winsize{Rows: 30, Cols: 180})
	e.app.Stdin, e.app.Stdout = tty, tty

	var mu sync.Mutex
	var screen bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	done := make(chan int, 1)
	go func() { done <- e.app.Run(context.Background(), []string{"audit", "--context", "prod"}) }()

	seen := func(s string) bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(ansi.Strip(screen.String()), s)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !seen("3 of 5 records") {
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("viewer never showed the records; screen: %q", ansi.Strip(screen.String()))
		}
		time.Sleep(10 * time.Millisecond) // poll interval
	}
	ptmx.Write([]byte("q"))
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, e.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("viewer did not quit on q")
	}
}
