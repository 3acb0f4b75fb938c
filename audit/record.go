// Package audit keeps k9s-guard's audit trail: an append-only, hash-chained
// JSON Lines file that records every step-up event and every elevated or
// refused request. Each record carries the SHA-256 of the record before it,
// so a record that is changed, removed, reordered or inserted afterwards
// breaks the chain and Verify points at it. Records are fsynced before
// Append returns, because the guard lets an action proceed only once the
// record describing it is durable: if the audit cannot be written, the
// caller refuses elevation.
package audit

import (
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/k9s-guard/k9s-guard/internal/xdg"
)

// SchemaVersion is the version of the record format written by this
// package. It is stored in every record (field "v") and bumped on any
// change a reader must know about; docs/audit.md describes each version.
const SchemaVersion = 2

// MinSchemaVersion is the oldest record format this build still reads.
const MinSchemaVersion = 1

// Genesis is the prev hash of the first record of a chain. A first record
// that carries anything else means records before it were removed.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Event names what a record is about.
type Event string

// The events of schema version 1; docs/audit.md says when each is written.
const (
	EventSessionStart    Event = "session.start"
	EventSessionEnd      Event = "session.end"
	EventStepupPrompt    Event = "stepup.prompt"
	EventStepupGranted   Event = "stepup.granted"
	EventStepupDenied    Event = "stepup.denied"
	EventStepupLockout   Event = "stepup.lockout"
	EventWindowOpen      Event = "window.open"
	EventWindowClose     Event = "window.close"
	EventRequestElevated Event = "request.elevated"
	EventRequestDenied   Event = "request.denied"
	// EventAccessReview: a SelfSubjectAccessReview in a protected context
	// was answered by the gateway from the profile (schema version 2).
	EventAccessReview Event = "access.review"
	// EventContextEdit: K9s renamed or deleted a context (`:ctx` r or
	// Ctrl-D); Reason says whether it was written to the user's
	// kubeconfig or refused (schema version 2).
	EventContextEdit Event = "context.edit"
	// EventSinkError: a copy of the trail could not be delivered elsewhere
	// (a Kubernetes Event announcing a window); the local file has it.
	EventSinkError Event = "sink.error"
)

// Events lists every event of the current schema, in the order a session
// typically produces them; the viewer and the docs use it.
var Events = []Event{
	EventSessionStart, EventStepupPrompt, EventStepupGranted, EventStepupDenied,
	EventStepupLockout, EventWindowOpen, EventRequestElevated, EventRequestDenied, EventAccessReview, EventContextEdit,
	EventWindowClose, EventSinkError, EventSessionEnd,
}

// A window's close reason (Record.Reason on EventWindowClose) is the
// step-up package's CloseReason; it is not repeated here.

// Record is one line of the audit trail. The JSON field names are the
// schema (docs/audit.md); the Go names may change, the tags may not without
// a new SchemaVersion. Fields a given event does not need stay empty and are
// omitted. No field ever holds a code, secret, token or certificate: Append
// redacts anything that looks like one.
type Record struct {
	V       int       `json:"v"`
	Time    time.Time `json:"time"`
	Session string    `json:"session"`
	// Seq numbers a session's records from 1 (schema version 2). A number
	// is used up by every record the session tried to write, written or
	// not, so a record lost to a full disk leaves a hole Verify reports.
	Seq   int64  `json:"seq,omitempty"`
	Event Event  `json:"event"`
	User  string `json:"user"`
	Host  string `json:"host"`
	PID   int    `json:"pid"`

	Context          string `json:"context,omitempty"`
	Server           string `json:"server,omitempty"`
	BaseIdentity     string `json:"base_identity,omitempty"`
	ElevatedIdentity string `json:"elevated_identity,omitempty"`

	Action      string `json:"action,omitempty"`
	Verb        string `json:"verb,omitempty"`
	Group       string `json:"group,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	Status      int    `json:"status,omitempty"`
	// Command is the command of an exec (shell-quoted) and SubPath the path
	// and query of a proxy request past its object, so that what an
	// elevated exec ran or a proxy reached can be reconstructed (issue 13).
	// Optional fields, added within version 1: readers ignore them if they
	// do not know them.
	Command string `json:"command,omitempty"`
	SubPath string `json:"sub_path,omitempty"`

	Source       string     `json:"source,omitempty"`
	Deadline     *time.Time `json:"deadline,omitempty"`
	CredentialID string     `json:"credential_id,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Message      string     `json:"message,omitempty"`

	// GrantID is the grant a gateway request went out under. It ties the
	// record to its window inside the process (announcements, tests) and
	// is not written: schema version 1 has no grant id, and adding one is
	// a schema change (docs/audit.md).
	GrantID string `json:"-"`

	// Prev is the lowercase hex SHA-256 of the previous record's line
	// (without its newline), or Genesis for the first record.
	Prev string `json:"prev"`
}

// DefaultPath is where the audit trail lives unless the profile moves it:
// $XDG_STATE_HOME/k9s-guard/audit.jsonl, or ~/.local/state/... when
// XDG_STATE_HOME is unset. The XDG spec says a relative XDG_STATE_HOME is
// invalid and must be ignored, so it is. It returns "" when neither
// variable gives an absolute directory; Open then refuses with a clear
// message rather than writing somewhere surprising.
func DefaultPath(getenv func(string) string) string {
	if d := xdg.StateHome(getenv); d != "" {
		return filepath.Join(d, "k9s-guard", "audit.jsonl")
	}
	return ""
}

// Filter selects records for the viewer and for `k9s-guard audit --json`.
// Zero fields match everything.
type Filter struct {
	// Since drops records older than this instant.
	Since time.Time
	// Context matches the kube context exactly or as a glob ("prod-*").
	Context string
	// Event matches the event exactly, as a glob ("stepup.*"), or as a
	// family without a dot ("window" matches window.open and window.close).
	Event string
}

// Match reports whether r passes the filter.
func (f Filter) Match(r Record) bool {
	if !f.Since.IsZero() && r.Time.Before(f.Since) {
		return false
	}
	if f.Context != "" && !globMatch(f.Context, r.Context) {
		return false
	}
	if f.Event != "" {
		ev := string(r.Event)
		family, _, _ := strings.Cut(ev, ".")
		if !globMatch(f.Event, ev) && (strings.Contains(f.Event, ".") || f.Event != family) {
			return false
		}
	}
	return true
}

// globMatch treats a malformed pattern as a literal, so a context name that
// happens to contain '[' still matches itself.
func globMatch(pattern, s string) bool {
	if pattern == s {
		return true
	}
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// ParseSince turns a --since value into an instant: a duration back from
// now ("90m", "1h30m", "7d" — days are allowed because audits are read in
// days), an RFC 3339 time, or a date (midnight UTC).
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			d = -d
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("since %q: want a duration (1h, 30m, 7d), an RFC 3339 time or a date (2006-01-02)", s)
}
