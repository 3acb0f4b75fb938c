package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/stepup"
)

// Elevation source kinds; the same words the profile uses.
const (
	ElevationContext        = "context"
	ElevationImpersonate    = "impersonate"
	ElevationServiceAccount = "serviceAccount"
)

// Elevation says where a context's elevated credentials come from. It
// mirrors the profile's elevation block so that this package does not
// depend on the profile package; the orchestrator copies one into the other.
type Elevation struct {
	Kind string // ElevationContext, ElevationImpersonate or ElevationServiceAccount

	// Kind context: another kubeconfig context, from Kubeconfig when set,
	// else from the user's own kubeconfig (the same loading rules as K9s).
	Context    string
	Kubeconfig string

	// Kind impersonate: the user's own credentials plus Impersonate-User
	// and Impersonate-Group.
	User   string
	Groups []string

	// Kind serviceAccount: a TokenRequest token for Namespace/Name, bound
	// to a Secret created for the grant.
	Namespace string
	Name      string
}

// String describes the source for humans; it never contains a credential.
func (e Elevation) String() string {
	switch e.Kind {
	case ElevationContext:
		if e.Kubeconfig != "" {
			return fmt.Sprintf("context %s (kubeconfig %s)", e.Context, e.Kubeconfig)
		}
		return "context " + e.Context
	case ElevationImpersonate:
		if len(e.Groups) > 0 {
			return fmt.Sprintf("impersonate %s (groups %s)", e.User, strings.Join(e.Groups, ", "))
		}
		return "impersonate " + e.User
	case ElevationServiceAccount:
		return fmt.Sprintf("serviceaccount %s/%s", e.Namespace, e.Name)
	}
	return "none"
}

// key identifies the source for caching transports.
func (e Elevation) key() string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", e.Kind, e.Context, e.Kubeconfig, e.User,
		strings.Join(e.Groups, "\x01"), e.Namespace, e.Name)
}

// ContextPolicy is what the gateway needs to know about one context. The
// orchestrator builds it from profile.Policy.
type ContextPolicy struct {
	// Protected contexts need a step-up for the actions Requires names.
	Protected bool
	// Requires reports whether a named action (see docs/gateway.md) needs a
	// step-up. Nil means every write and sensitive action does. It is only
	// asked about writes and sensitive requests; reads never step up.
	Requires func(action string) bool
	// Window is how long a window the gateway opens itself lasts, when the
	// asker says yes without opening one.
	Window time.Duration
	// Elevation is the source of the elevated credentials.
	Elevation Elevation
	// Scope is ScopeOperation (a grant covers only the operation that
	// asked for it) or ScopeContext. The orchestrator always sets it from
	// the profile, whose default is ScopeOperation; "" means ScopeContext.
	Scope string
	// OneShot closes an operation-scoped grant as soon as its operation
	// has completed (success or failure).
	OneShot bool
}

// scoped reports whether grants are limited to one operation.
func (p ContextPolicy) scoped() bool { return p.Scope == ScopeOperation }

// requires reports whether op needs a step-up under p.
func (p ContextPolicy) requires(op Operation) bool {
	if !p.Protected || op.Class == ClassRead {
		return false
	}
	if p.Requires == nil {
		return true
	}
	for _, a := range op.Candidates() {
		if p.Requires(a) {
			return true
		}
	}
	return false
}

// StepUpRequest is what the gateway hands the asker: a request it is
// holding until the user steps up or declines.
type StepUpRequest struct {
	Context string
	Operation
	// Window is the duration the gateway will open if the asker says yes
	// without opening a window itself.
	Window time.Duration
	// Elevation describes the elevated identity, for the prompt.
	Elevation string
	// Scope is what the grant must cover: OperationScope of the request
	// under ScopeOperation, nil (the whole context) under ScopeContext. An
	// asker that opens the window itself opens it with this scope.
	Scope *stepup.GrantScope
	// OneShot says the grant ends when its operation completes.
	OneShot bool
}

// String is e.g. "delete pod shop/cart-7c9d".
func (r StepUpRequest) String() string { return r.Operation.String() }

// Asker asks the user to step up for a held request. It returns true once
// the user has proven a second factor (it may open the window itself with
// Windows.Open; if it does not, the gateway opens one of the policy's
// length). It returns false when the user declines. The gateway cancels ctx
// at its ask timeout; concurrent requests for the same context share one
// question.
type Asker interface {
	Ask(ctx context.Context, req StepUpRequest) (bool, error)
}

// AskerFunc adapts a function to Asker.
type AskerFunc func(ctx context.Context, req StepUpRequest) (bool, error)

// Ask calls f.
func (f AskerFunc) Ask(ctx context.Context, req StepUpRequest) (bool, error) { return f(ctx, req) }

// Audit events the gateway emits. The names match the audit package's.
const (
	EventRequestElevated = "request.elevated"
	EventRequestDenied   = "request.denied"
)

// AuditEvent is one gateway event for the audit trail; its fields follow
// audit.Record. It never carries a token.
type AuditEvent struct {
	Event            string
	Time             time.Time
	Context          string
	Server           string
	Action           string
	Verb             string
	Group            string
	Resource         string
	Subresource      string
	Namespace        string
	Name             string
	Status           int    // HTTP status the gateway answered with, 0 when forwarded
	Source           string // the elevation source, e.g. "impersonate break-glass"
	GrantID          string
	Deadline         time.Time // of the window the request went out under
	CredentialID     string    // e.g. "secret k9s-guard-system/k9s-guard-grant-x7k2p"; never the credential
	Reason           string
	Message          string
	BaseIdentity     string
	ElevatedIdentity string
}

// Config configures the gateway.
type Config struct {
	// LoadingRules find the user's kubeconfig; build them with
	// LoadingRules(flag, getenv) to match K9s. Nil means LoadingRules("", os.Getenv).
	LoadingRules *clientcmd.ClientConfigLoadingRules
	// Context is K9s's --context, if given: the session kubeconfig's
	// current-context.
	Context string
	// As and AsGroups are K9s's --as and --as-group. K9s then sends them as
	// Impersonate-User/Group headers; the gateway accepts exactly these
	// (and refuses any other Impersonate-* header), and applies them itself
	// to requests that go out with the user's own credentials.
	As       string
	AsGroups []string

	// Policies returns the policy of a context; nil protects nothing.
	Policies func(context string) ContextPolicy
	// Asker is asked to step up; nil refuses every request that needs one.
	Asker Asker
	// AskTimeout bounds how long a request is held; default DefaultAskTimeout.
	AskTimeout time.Duration
	// Windows holds the elevation windows; nil creates a private set.
	Windows *stepup.Windows
	// Audit records elevated and refused requests. When it fails for an
	// elevated request, the request is refused (fail closed).
	Audit func(AuditEvent) error
	// Logf receives operational messages (never tokens); nil discards them.
	Logf func(format string, args ...any)

	// SessionDir is the private base directory for session directories;
	// empty means DefaultSessionBase(os.Getenv).
	SessionDir string
	// Port is the loopback port: 0 tries a stable port derived from the
	// uid (so that K9s's discovery cache, keyed by host:port, stays warm
	// across runs) and falls back to a random one; a negative value always
	// takes a random port.
	Port int
}

// DefaultAskTimeout is how long a request is held for a step-up by default.
const DefaultAskTimeout = 90 * time.Second
