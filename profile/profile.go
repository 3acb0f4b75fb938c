// Package profile loads and validates the k9s-guard profile: the YAML file
// that says which Kubernetes contexts are protected, which actions need a
// one-time passcode there, how long an elevation window lasts and where the
// elevated credentials come from.
//
// A security tool's configuration must fail loudly and precisely: every
// error names the file, line, column and key path, unknown keys are errors,
// and a protected context without an elevation source is refused at load
// time rather than discovered mid-incident. So the file's shape is declared
// as tagged structs whose leaf types read and check their own values
// (file.go), and a small binder fills them from the YAML syntax tree
// (decode.go). It is not the YAML library's own strict decoder, because
// that stops at the first error in struct-field order rather than reporting
// every error in file order, picks which unknown key to report by map
// order, bounds alias nesting but not the work aliases and merge keys can
// cause, and reads group names such as system:masters in a flow mapping as
// mappings.
package profile

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Built-in values used when neither a context rule nor defaults set a key.
const (
	DefaultWindow = 5 * time.Minute
	MinWindow     = 30 * time.Second
	MaxWindow     = 12 * time.Hour
	MinIdle       = 10 * time.Second

	ScopeOperation = "operation"
	ScopeContext   = "context"

	// Version is the only profile format this build reads.
	Version = 1
)

// Elevation kinds.
const (
	ElevationContext        = "context"
	ElevationImpersonate    = "impersonate"
	ElevationServiceAccount = "serviceAccount"
	// ElevationBroker: the in-cluster broker (docs/broker.md) checks the
	// code and grants the user's own identity a scoped, expiring Role.
	ElevationBroker = "broker"
	// DefaultBrokerNamespace is where deploy/ installs the broker.
	DefaultBrokerNamespace = "k9s-guard-broker"
)

// Profile is a loaded, validated profile. The zero Profile (and a nil
// *Profile) protects nothing.
type Profile struct {
	// Path is the file the profile was read from ("" when built in code).
	Path    string
	Version int
	// Contexts maps a context name or a glob pattern to its rule.
	Contexts map[string]Rule
	// Defaults fills in whatever a matching context rule leaves unset.
	Defaults Rule
	Audit    AuditConfig
	OTP      OTPConfig
	// Locations maps key paths ("contexts.prod.elevation.context") to
	// where they are in the file, for errors found after loading.
	Locations map[string]Location
}

// Rule is one entry under contexts (or the defaults block). Pointer and nil
// slice fields mean "not set here", so that defaults and built-in values can
// be layered underneath.
type Rule struct {
	Protected            *bool
	Actions              []string // canonical names; nil when unset
	Window               *time.Duration
	Elevation            *Elevation
	CloseOnContextSwitch *bool
	Idle                 *time.Duration
	Scope                string // "" when unset
	OneShot              *bool
	ConfirmName          []string // canonical names; nil when unset, empty when set to []
}

// Elevation says where the elevated credentials for a window come from.
type Elevation struct {
	Kind string // ElevationContext, ElevationImpersonate, ElevationServiceAccount or ""

	// Kind context: another kubeconfig context, optionally from another file.
	Context    string
	Kubeconfig string

	// Kind impersonate: Impersonate-User and Impersonate-Group headers on top
	// of the user's own credentials.
	User   string
	Groups []string

	// Kind serviceAccount: a short-lived token from the TokenRequest API.
	Namespace string
	Name      string
}

// String describes the source for humans (status line, audit, errors).
func (e Elevation) String() string {
	switch e.Kind {
	case ElevationContext:
		if e.Kubeconfig != "" {
			return fmt.Sprintf("context %s (kubeconfig %s)", e.Context, e.Kubeconfig)
		}
		return "context " + e.Context
	case ElevationImpersonate:
		if len(e.Groups) > 0 {
			return fmt.Sprintf("impersonate %s (groups: %s)", e.User, strings.Join(e.Groups, ", "))
		}
		return "impersonate " + e.User
	case ElevationServiceAccount:
		return fmt.Sprintf("serviceaccount %s/%s", e.Namespace, e.Name)
	case ElevationBroker:
		return "broker in " + e.Namespace
	default:
		return "none"
	}
}

// AuditConfig says where audit records go besides the default file.
type AuditConfig struct {
	File   string        // "" means the audit package's default location
	Syslog *SyslogConfig // nil when not configured
	Events bool          // also record Kubernetes Events in the cluster
}

// SyslogConfig is a remote syslog destination.
type SyslogConfig struct {
	Network string // "udp" or "tcp"
	Address string // host:port
}

// OTPConfig says where the TOTP secret lives and how it is labelled in an
// authenticator app.
type OTPConfig struct {
	Store   string // "keyring" (default) or "file"
	File    string // secret file for store "file" (and the keyring fallback); "" for the default
	Issuer  string // default "k9s-guard"
	Account string // "" means user@host, chosen by the caller
}

// Policy is the fully resolved rule for one context: the matching context
// rule, then defaults, then built-in values.
type Policy struct {
	Context              string
	Match                string // the contexts key that matched; "" when none did
	Protected            bool
	Actions              []string // canonical names and classes
	Window               time.Duration
	Elevation            Elevation
	CloseOnContextSwitch bool
	Idle                 time.Duration // 0 means no idle timeout
	Scope                string        // ScopeOperation or ScopeContext
	OneShot              bool
	ConfirmName          []string
}

// For resolves the policy for a context name. A context that matches no
// rule is not protected; defaults apply only underneath a matching rule, so
// adding a defaults block never protects a context by itself.
//
// Matching: an exact key beats every glob. Among globs that match, the most
// specific wins: the longer literal prefix (the text before the first
// wildcard), then more literal characters, then fewer *, then more ? and
// [...] terms, then the key that sorts first, so the choice never depends
// on map order.
func (p *Profile) For(context string) Policy {
	if p == nil {
		return builtinPolicy(context)
	}
	key, ok := bestMatch(p.Contexts, context)
	if !ok {
		return builtinPolicy(context)
	}
	return p.resolve(key, context)
}

// builtinPolicy is the policy of a context no rule matches.
func builtinPolicy(context string) Policy {
	return Policy{
		Context:              context,
		Actions:              slices.Clone(defaultActions),
		Window:               DefaultWindow,
		CloseOnContextSwitch: true,
		Scope:                ScopeOperation,
		ConfirmName:          slices.Clone(defaultConfirmName),
	}
}

// resolve layers the rule under key, then defaults, then built-in values.
func (p *Profile) resolve(key, context string) Policy {
	pol := builtinPolicy(context)
	pol.Match = key
	r := p.Contexts[key]
	d := p.Defaults

	// A context listed in the profile is protected unless it says otherwise:
	// forgetting "protected: true" must not silently leave production open.
	pol.Protected = pick(r.Protected, d.Protected, true)
	if a := pickSlice(r.Actions, d.Actions); a != nil {
		pol.Actions = slices.Clone(a)
	}
	pol.Window = pick(r.Window, d.Window, DefaultWindow)
	if e := pickPtr(r.Elevation, d.Elevation); e != nil {
		pol.Elevation = *e
		pol.Elevation.Groups = slices.Clone(e.Groups)
	}
	pol.CloseOnContextSwitch = pick(r.CloseOnContextSwitch, d.CloseOnContextSwitch, true)
	pol.Idle = pick(r.Idle, d.Idle, 0)
	switch {
	case r.Scope != "":
		pol.Scope = r.Scope
	case d.Scope != "":
		pol.Scope = d.Scope
	}
	pol.OneShot = pick(r.OneShot, d.OneShot, false)
	if c := pickSlice(r.ConfirmName, d.ConfirmName); c != nil {
		pol.ConfirmName = slices.Clone(c)
	}
	return pol
}

// Requires reports whether the action needs a step-up in this context: the
// context is protected and the action is listed by name or covered by a
// class. Read actions (get, list, watch, logs, describe, view) never do. An
// action name the guard does not know counts as covered, so that a new or
// misspelt caller fails closed instead of slipping past the prompt. Nil
// Actions (a Policy built in code rather than by For) means the default,
// writes and sensitive actions, for the same reason.
func (p Policy) Requires(action string) bool {
	if !p.Protected {
		return false
	}
	a, _ := canonicalAction(action)
	if slices.Contains(readActions, a) {
		return false
	}
	if !isKnownAction(a) {
		return true
	}
	actions := p.Actions
	if actions == nil {
		actions = defaultActions
	}
	for _, x := range actions {
		switch {
		case x == ClassAll:
			return true
		case x == ClassWrites && isWrite(a):
			return true
		case x == ClassSensitive && isSensitive(a):
			return true
		case x == a:
			return true
		case x == "delete" && strings.HasPrefix(a, "delete-"):
			// Deleting a namespace is still deleting.
			return true
		}
	}
	return false
}

// NeedsConfirmName reports whether the action, once authorised, must also
// be confirmed by typing the target's name.
func (p Policy) NeedsConfirmName(action string) bool {
	a, _ := canonicalAction(action)
	return slices.Contains(p.ConfirmName, a)
}

func pick[T any](rule, def *T, builtin T) T {
	if rule != nil {
		return *rule
	}
	if def != nil {
		return *def
	}
	return builtin
}

func pickPtr[T any](rule, def *T) *T {
	if rule != nil {
		return rule
	}
	return def
}

func pickSlice[T any](rule, def []T) []T {
	if rule != nil {
		return rule
	}
	return def
}

// fmtDuration prints a duration the way people write it in a profile:
// "12h" and "5m" rather than time.Duration's "12h0m0s" and "5m0s".
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
