package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTemp(t *testing.T, opts Options) *Log {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fakeClock()
	}
	l, err := Open(filepath.Join(t.TempDir(), "state", "k9s-guard", "audit.jsonl"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func verifyFile(t testing.TB, path string) Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Verify(f)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func readFile(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestDefaultPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"xdg", map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/a"}, "/x/state/k9s-guard/audit.jsonl"},
		{"home", map[string]string{"HOME": "/home/a"}, "/home/a/.local/state/k9s-guard/audit.jsonl"},
		{"relative xdg ignored", map[string]string{"XDG_STATE_HOME": "state", "HOME": "/home/a"}, "/home/a/.local/state/k9s-guard/audit.jsonl"},
		{"nothing", map[string]string{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultPath(env(tc.env)); got != tc.want {
				t.Errorf("DefaultPath = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOpenWithoutPathFails(t *testing.T) {
	if _, err := Open("", Options{}); err == nil || !strings.Contains(err.Error(), "no path") {
		t.Fatalf("Open(\"\") = %v, want a no-path error", err)
	}
}

// Attack: another local user reading the trail to learn which contexts,
// namespaces and objects are sensitive and who holds break-glass rights.
func TestFileAndDirectoryArePrivate(t *testing.T) {
	l := openTemp(t, Options{})
	if err := l.Append(Record{Event: EventSessionStart}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		l.Path():                       0o600,
		l.Path() + ".lock":             0o600,
		filepath.Dir(l.Path()):         0o700,
		filepath.Dir(l.Path()) + "/..": 0o700,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
}

// Attack: a trail created world-readable (by an older build, or by hand)
// staying readable to other users.
func TestOpenTightensLooseFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644) // the umask may have narrowed it
	l, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o after Open, want 600", fi.Mode().Perm())
	}
}

func TestAppendFillsFieldsAndChains(t *testing.T) {
	l := openTemp(t, Options{Session: "s-1"})
	for i := range 3 {
		if err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(l.Path())
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3", len(lines))
	}
	recs := readFile(t, l.Path())
	host, _ := os.Hostname()
	for i, r := range recs {
		if r.V != SchemaVersion || r.Session != "s-1" || r.User == "" || r.Host != host || r.PID != os.Getpid() {
			t.Errorf("record %d: stamp fields not filled: %+v", i+1, r)
		}
		if r.Time.Location() != time.UTC || r.Time.Nanosecond() == 0 {
			t.Errorf("record %d: time %v, want UTC with nanoseconds", i+1, r.Time)
		}
		if r.Deadline == nil || r.Deadline.Location() != time.UTC {
			t.Errorf("record %d: deadline %v, want UTC", i+1, r.Deadline)
		}
		want := Genesis
		if i > 0 {
			want = Hash(lines[i-1])
		}
		if r.Prev != want {
			t.Errorf("record %d: prev %s, want %s", i+1, r.Prev, want)
		}
	}
	// The wire names are the schema: check a few literally.
	for _, key := range []string{`"v":2`, `"seq":1`, `"time":"2026-03-01T11:00:00.124456789Z"`, `"session":"s-1"`,
		`"event":"request.elevated"`, `"base_identity":"alice@example.com"`, `"credential_id":"JTI=`, `"deadline":"2030-01-02T03:04:05.000000006Z"`, `"prev":"` + Genesis + `"`} {
		if !bytes.Contains(lines[0], []byte(key)) {
			t.Errorf("first line lacks %s:\n%s", key, lines[0])
		}
	}
	if rep := verifyFile(t, l.Path()); !rep.OK() || rep.Records != 3 || len(rep.Torn) != 0 || rep.Last != Hash(lines[2]) {
		t.Fatalf("verify: %+v", rep)
	}
}

func TestAppendAfterCloseFails(t *testing.T) {
	l := openTemp(t, Options{})
	l.Close()
	if err := l.Append(Record{Event: EventSessionEnd}); err == nil {
		t.Fatal("Append after Close succeeded")
	}
}

func TestConcurrentGoroutinesFormOneChain(t *testing.T) {
	l := openTemp(t, Options{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if err := l.Append(sampleRecord(g*1000 + i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if rep := verifyFile(t, l.Path()); !rep.OK() || rep.Records != 400 || len(rep.Torn) != 0 {
		t.Fatalf("verify: records %d, problems %v, torn %v", rep.Records, rep.Problems, rep.Torn)
	}
}

func TestTwoLogsOnOneFileFormOneChain(t *testing.T) {
	a := openTemp(t, Options{Session: "a"})
	b, err := Open(a.Path(), Options{Session: "b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 10 {
		l := a
		if i%3 == 0 {
			l = b
		}
		if err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	if rep := verifyFile(t, a.Path()); !rep.OK() || rep.Records != 10 {
		t.Fatalf("verify: %+v", rep)
	}
}

// Attack: log forging — a resource name or message carrying a newline and
// a fake JSON record, hoping to add a line of its own to the trail.
func TestNewlineInFieldCannotForgeALine(t *testing.T) {
	l := openTemp(t, Options{})
	forged := "x\n{\"v\":1,\"event\":\"stepup.granted\",\"prev\":\"" + Genesis + "\"}\n"
	if err := l.Append(Record{Event: EventRequestDenied, Name: forged, Message: forged}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(l.Path())
	if n := bytes.Count(raw, []byte("\n")); n != 1 {
		t.Fatalf("file has %d lines, want 1:\n%s", n, raw)
	}
	recs := readFile(t, l.Path())
	if len(recs) != 1 || recs[0].Name != forged {
		t.Fatalf("records %+v", recs)
	}
}

// Attack: a credential leaking through the audit trail (backed up, shipped
// to syslog, read by people who must not hold it) because a caller put a
// token, a certificate or a password into a free-form field.
func TestSecretsAreRedacted(t *testing.T) {
	l := openTemp(t, Options{})
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLWJ5dGVz"
	pem := "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----"
	r := Record{
		Event:            EventRequestElevated,
		Message:          "upstream said: Authorization: Bearer s3cr3t-t0ken-value and " + jwt,
		ElevatedIdentity: pem,
		Server:           "https://admin:hunter2@10.0.0.1:6443",
	}
	if err := l.Append(r); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(l.Path())
	for _, secret := range []string{"s3cr3t-t0ken-value", jwt, "MIIBszCCAVmgAwIBAgIU", "hunter2"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("audit line contains %q:\n%s", secret, raw)
		}
	}
	if !bytes.Contains(raw, []byte("[redacted]")) {
		t.Errorf("no redaction marker:\n%s", raw)
	}
}

// A writer that finds the file ending in a torn record ends that line and
// chains on the last complete record; verify then reports the torn line
// and that the chain holds across it.
func TestAppendAfterTornTail(t *testing.T) {
	l := openTemp(t, Options{})
	for i := range 3 {
		if err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(l.Path())
	lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
	// A crash half-way through a fourth record, written by someone else.
	f, _ := os.OpenFile(l.Path(), os.O_WRONLY|os.O_APPEND, 0)
	f.Write(lines[2][:len(lines[2])/2])
	f.Close()

	if err := l.Append(sampleRecord(4)); err != nil {
		t.Fatal(err)
	}
	rep := verifyFile(t, l.Path())
	if !rep.OK() || rep.Records != 4 || len(rep.Torn) != 1 || rep.Torn[0] != 4 {
		t.Fatalf("verify: %+v", rep)
	}
	recs := readFile(t, l.Path())
	if recs[3].Prev != Hash(lines[2]) {
		t.Fatalf("record after the torn line chains on %s, want the last complete record %s", recs[3].Prev, Hash(lines[2]))
	}
}

// Attack: deleting the whole trail while a session runs, hoping the next
// records start a fresh, clean-looking chain.
func TestRemovedFileIsRecreatedAndGapIsEvident(t *testing.T) {
	l := openTemp(t, Options{})
	for i := range 2 {
		if err := l.Append(sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(l.Path()); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(sampleRecord(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Path()); err != nil {
		t.Fatalf("the record went to the unlinked file: %v", err)
	}
	rep := verifyFile(t, l.Path())
	if rep.OK() || rep.Problems[0].Line != 1 || !strings.Contains(rep.Problems[0].Msg, "records before it were removed") {
		t.Fatalf("verify: %+v", rep)
	}
}

func TestReadIsTolerantOfTornLines(t *testing.T) {
	in := "{\"v\":1,\"event\":\"session.start\",\"prev\":\"" + Genesis + "\"}\n{\"v\":1,\"ev\n" +
		"not json\n{\"v\":1,\"event\":\"session.end\",\"prev\":\"x\"}"
	recs, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Event != EventSessionStart || recs[1].Event != EventSessionEnd {
		t.Fatalf("Read = %+v", recs)
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	r := sampleRecord(7)
	r.V, r.Time, r.Prev = 1, time.Date(2026, 1, 1, 0, 0, 0, 5, time.UTC), Genesis
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := parseLine(b)
	if !ok || !got.Time.Equal(r.Time) || got.Name != r.Name || !got.Deadline.Equal(*r.Deadline) {
		t.Fatalf("round trip: %+v", got)
	}
	// Optional fields stay out of records that do not need them.
	b, _ = json.Marshal(Record{V: 1, Event: EventSessionStart})
	for _, k := range []string{"context", "status", "deadline", "credential_id"} {
		if bytes.Contains(b, []byte(`"`+k+`"`)) {
			t.Errorf("empty %s serialised: %s", k, b)
		}
	}
}

func TestFilter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := Record{Time: now.Add(-30 * time.Minute), Context: "prod-eu", Event: EventWindowOpen}
	for _, tc := range []struct {
		f    Filter
		want bool
	}{
		{Filter{}, true},
		{Filter{Since: now.Add(-time.Hour)}, true},
		{Filter{Since: now.Add(-10 * time.Minute)}, false},
		{Filter{Context: "prod-eu"}, true},
		{Filter{Context: "prod-*"}, true},
		{Filter{Context: "prod"}, false},
		{Filter{Event: "window.open"}, true},
		{Filter{Event: "window"}, true},
		{Filter{Event: "window.*"}, true},
		{Filter{Event: "win"}, false},
		{Filter{Event: "window.close"}, false},
	} {
		if got := tc.f.Match(rec); got != tc.want {
			t.Errorf("%+v.Match = %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"1h":                   now.Add(-time.Hour),
		"90m":                  now.Add(-90 * time.Minute),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"2026-03-01":           time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		"2026-03-01T10:00:00Z": time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		"":                     {},
	} {
		got, err := ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseSince("yesterday", now); err == nil || !strings.Contains(err.Error(), "want a duration") {
		t.Errorf("ParseSince(yesterday) = %v", err)
	}
}
