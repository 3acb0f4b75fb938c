package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// elevationKey identifies an elevation source for caching transports.
func elevationKey(e profile.Elevation) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", e.Kind, e.Context, e.Kubeconfig, e.User,
		strings.Join(e.Groups, "\x01"), e.Namespace, e.Name)
}

// scoped reports whether grants are limited to one operation. The profile
// always sets the scope (its default is operation); "" means the context.
func scoped(p profile.Policy) bool { return p.Scope == profile.ScopeOperation }

// requires reports whether op needs a step-up under p. Reads never do.
func requires(p profile.Policy, op Operation) bool {
	if !p.Protected || op.Class == ClassRead {
		return false
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
	// Renew says an open one-shot window already covers Scope but its
	// request has been sent: a yes must mean a new code, never "a window
	// covering this is open".
	Renew bool
	// Client is the process whose request raised the question (on Linux
	// found through /proc), for the prompt and the audit trail.
	Client Peer
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

	// Policies returns the policy of a context (profile.Profile.For); nil
	// protects nothing.
	Policies func(context string) profile.Policy
	// Asker is asked to step up; nil refuses every request that needs one.
	Asker Asker
	// AskTimeout bounds how long a request is held; default DefaultAskTimeout.
	AskTimeout time.Duration
	// Windows holds the elevation windows; nil creates a private set.
	Windows *stepup.Windows
	// Audit records elevated and refused requests. When it fails for an
	// elevated request, the request is refused (fail closed).
	Audit func(audit.Record) error
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
