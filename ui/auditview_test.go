package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/stepup"
)

var viewNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func viewRecords() []audit.Record {
	at := func(ago time.Duration) time.Time { return viewNow.Add(-ago) }
	deadline := viewNow.Add(-90 * time.Minute)
	return []audit.Record{
		{V: 1, Time: at(3 * time.Hour), Event: audit.EventSessionStart, User: "alice", Context: "staging"},
		{V: 1, Time: at(2 * time.Hour), Event: audit.EventStepupGranted, User: "alice", Context: "prod", Action: "delete", Deadline: &deadline},
		{V: 1, Time: at(110 * time.Minute), Event: audit.EventRequestElevated, User: "alice", Context: "prod", Verb: "delete",
			Resource: "pods", Namespace: "shop", Name: "web-1", Status: 200, Source: "serviceAccount", CredentialID: "JTI=abc-123"},
		{V: 1, Time: at(30 * time.Minute), Event: audit.EventRequestDenied, User: "bob", Context: "prod", Verb: "patch",
			Group: "apps", Resource: "deployments", Namespace: "shop", Name: "api", Status: 403},
		{V: 1, Time: at(10 * time.Minute), Event: audit.EventWindowClose, User: "alice", Context: "prod", Reason: string(stepup.CloseExpired)},
	}
}

func press(m tea.Model, keys ...string) tea.Model {
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "down":
			msg = tea.KeyPressMsg{Code: tea.KeyDown}
		default:
			for _, r := range k {
				m, _ = m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
			}
			continue
		}
		m, _ = m.Update(msg)
	}
	return m
}

func screen(m tea.Model) string { return ansi.Strip(m.View().Content) }

func newView(o AuditViewOptions) tea.Model {
	o.Records, o.Now, o.Path = viewRecords(), func() time.Time { return viewNow }, "/s/audit.jsonl"
	var m tea.Model = NewAuditView(o)
	m, _ = m.Update(tea.WindowSizeMsg{Width: 180, Height: 20})
	return m
}

func TestAuditViewListsNewestFirst(t *testing.T) {
	s := screen(newView(AuditViewOptions{}))
	for _, want := range []string{"k9s-guard audit — /s/audit.jsonl", "5 of 5 records", "context: any", "TIME (UTC)",
		"delete pods/web-1 -n shop", "patch deployments.apps/api -n shop", "403", "expired", "q quit"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Index(s, "window.close") > strings.Index(s, "session.start") {
		t.Errorf("oldest record listed first:\n%s", s)
	}
}

func TestAuditViewFilters(t *testing.T) {
	m := newView(AuditViewOptions{})
	m = press(m, "c", "prod", "enter")
	s := screen(m)
	if !strings.Contains(s, "4 of 5 records") || strings.Contains(s, "session.start") || !strings.Contains(s, "context: prod") {
		t.Fatalf("after context filter:\n%s", s)
	}
	m = press(m, "e", "request", "enter")
	s = screen(m)
	if !strings.Contains(s, "2 of 5 records") || strings.Contains(s, "stepup.granted") || !strings.Contains(s, "request.denied") {
		t.Fatalf("after event filter:\n%s", s)
	}
	m = press(m, "t", "1h", "enter")
	s = screen(m)
	if !strings.Contains(s, "1 of 5 records") || strings.Contains(s, "request.elevated") || !strings.Contains(s, "since: 1h") {
		t.Fatalf("after since filter:\n%s", s)
	}
	m = press(m, "x")
	if s = screen(m); !strings.Contains(s, "5 of 5 records") {
		t.Fatalf("after clear:\n%s", s)
	}
}

func TestAuditViewEditingShowsInputAndCancels(t *testing.T) {
	m := newView(AuditViewOptions{Context: "prod"})
	m = press(m, "e", "step")
	s := screen(m)
	if !strings.Contains(s, "event: [step") || !strings.Contains(s, "enter apply · esc cancel") {
		t.Fatalf("while editing:\n%s", s)
	}
	// "q" typed into the field is text, not quit.
	if _, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"}); cmd != nil {
		if _, quit := cmd().(tea.QuitMsg); quit {
			t.Fatal("q quit while typing a filter")
		}
	}
	m = press(m, "esc")
	if s = screen(m); !strings.Contains(s, "event: any") || !strings.Contains(s, "4 of 5 records") {
		t.Fatalf("after cancel:\n%s", s)
	}
}

func TestAuditViewBadSinceIsShown(t *testing.T) {
	m := newView(AuditViewOptions{})
	m = press(m, "t", "yesterday", "enter")
	s := screen(m)
	if !strings.Contains(s, `since "yesterday"`) || !strings.Contains(s, "5 of 5 records") {
		t.Fatalf("bad since:\n%s", s)
	}
}

func TestAuditViewDetail(t *testing.T) {
	m := newView(AuditViewOptions{Event: "request.elevated"})
	m = press(m, "enter")
	s := screen(m)
	for _, want := range []string{"credential_id", "JTI=abc-123", "namespace", "shop", "source", "serviceAccount", "esc back"} {
		if !strings.Contains(s, want) {
			t.Errorf("detail lacks %q:\n%s", want, s)
		}
	}
	m = press(m, "esc")
	if s = screen(m); !strings.Contains(s, "TIME (UTC)") {
		t.Fatalf("esc did not return to the table:\n%s", s)
	}
}

func TestAuditViewMovesAndQuits(t *testing.T) {
	m := newView(AuditViewOptions{})
	m = press(m, "down", "enter")
	if s := screen(m); !strings.Contains(s, "request.denied") || !strings.Contains(s, "bob") {
		t.Fatalf("second-newest record not selected:\n%s", s)
	}
	m = press(m, "esc")
	_, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"})
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q did not quit")
	}
}

func TestAuditViewNoMatches(t *testing.T) {
	m := newView(AuditViewOptions{Context: "nope"})
	if s := screen(m); !strings.Contains(s, "no records match") || !strings.Contains(s, "0 of 5 records") {
		t.Fatalf("no matches:\n%s", s)
	}
	_ = press(m, "enter") // nothing to show; must not panic
}

// Attack: terminal escape injection — an object name or API server message
// carrying escape sequences that, printed raw, would rewrite the auditor's
// screen (hide rows, fake a "chain holds").
func TestAuditOutputEscapesControlCharacters(t *testing.T) {
	evil := "web\x1b[2J\x1b]0;pwned\x07\nforged"
	recs := []audit.Record{{V: 1, Time: viewNow, Event: audit.EventRequestDenied, Name: evil, Message: evil}}
	var buf bytes.Buffer
	if err := WriteAuditTable(&buf, recs); err != nil {
		t.Fatal(err)
	}
	m := NewAuditView(AuditViewOptions{Records: recs, Now: func() time.Time { return viewNow }})
	m2 := press(m, "enter")
	for name, out := range map[string]string{"table": buf.String(), "detail": m2.View().Content} {
		if strings.Contains(out, "\x1b[2J") || strings.Contains(out, "\x07") || strings.Contains(out, "pwned\x07") {
			t.Errorf("%s output carries the raw escape: %q", name, out)
		}
		if !strings.Contains(out, `\x1b[2J`) {
			t.Errorf("%s output does not show the escape visibly: %q", name, out)
		}
	}
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Errorf("text table has %d lines, want header + 1:\n%s", n, buf.String())
	}
}

func TestWriteAuditTable(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteAuditTable(&buf, viewRecords()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "TIME (UTC)") || !strings.HasPrefix(lines[1], "2026-03-01 09:00:00") {
		t.Fatalf("table:\n%s", buf.String())
	}
	if !strings.Contains(lines[3], "delete pods/web-1 -n shop") || !strings.Contains(lines[3], "serviceAccount") {
		t.Errorf("row 3: %q", lines[3])
	}
}
