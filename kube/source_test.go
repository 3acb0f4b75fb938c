package kube

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// TestAuditSourceHasOneSpelling: the audit trail's source field once held
// two spellings of one elevation source, "(groups: sre)" from the profile
// in the step-up and window records and "(groups sre)" from the gateway in
// the request records, so a search of the trail for one missed the other.
// The gateway now describes the source with the profile's own type. The
// trail is written here as the session writes it (prompt and window
// records from what the gateway hands over, request records by the
// gateway itself) and read back: every source has the profile's words.
func TestAuditSourceHasOneSpelling(t *testing.T) {
	prof, err := profile.Parse("profile.yaml", []byte(`version: 1
contexts:
  prod:
    scope: context
    elevation:
      impersonate: {user: break-glass, groups: [k9s-guard:break-glass]}
`))
	if err != nil {
		t.Fatal(err)
	}
	const want = "impersonate break-glass (groups: k9s-guard:break-glass)" // as docs/profile.md spells it
	if got := prof.For("prod").Elevation.String(); got != want {
		t.Fatalf("profile spells the source %q, want %q", got, want)
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	trail, err := audit.Open(path, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		answer bool
	)
	tg := startTestGateway(t, func(c *Config) {
		c.Policies = prof.For
		c.Audit = trail.Append
		// The asker says yes without opening a window, so the gateway
		// opens it and names its source.
		c.Asker = AskerFunc(func(_ context.Context, req StepUpRequest) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			return answer, trail.Append(audit.Record{Event: audit.EventStepupPrompt, Context: req.Context, Source: req.Elevation})
		})
	})
	tg.Windows().OnOpen(func(g stepup.Grant) {
		_ = trail.Append(audit.Record{Event: audit.EventWindowOpen, Context: g.Context, Source: g.Source})
	})
	hc, host := tg.client(t, "prod")
	if code, _, body := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/p1", "", nil); code != 403 {
		t.Fatalf("declined delete: %d %s", code, body)
	}
	mu.Lock()
	answer = true
	mu.Unlock()
	if code, _, body := do(t, hc, "DELETE", host+"/api/v1/namespaces/shop/pods/p2", "", nil); code != 200 {
		t.Fatalf("elevated delete: %d %s", code, body)
	}
	if err := trail.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := audit.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[audit.Event]int{}
	for _, r := range recs {
		seen[r.Event]++
		if r.Source != want {
			t.Errorf("%s record: source %q, want %q", r.Event, r.Source, want)
		}
	}
	for _, ev := range []audit.Event{audit.EventStepupPrompt, audit.EventWindowOpen, audit.EventRequestDenied, audit.EventRequestElevated} {
		if seen[ev] == 0 {
			t.Errorf("no %s record in the trail: %v", ev, seen)
		}
	}
}
