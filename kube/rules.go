package kube

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
)

// EverythingLabel is the label of the check that asks for every verb on
// every resource in every namespace: cluster-admin, or system:masters.
const EverythingLabel = "everything (* on *)"

// AccessChecks are what `k9s-guard init` asks of each candidate elevation
// context: everything first, then DangerousChecks in the namespace the
// protected context works in.
func AccessChecks(namespace string) []AccessCheck {
	return append([]AccessCheck{{Label: EverythingLabel, Verb: "*", Group: "*", Resource: "*"}}, DangerousChecks(namespace)...)
}

// ContextAccess is what one kubeconfig context's own credentials may do, as
// its API server answers SelfSubjectAccessReviews.
type ContextAccess struct {
	Context string
	// Checks are AccessChecks, answered; nil when the server was not asked.
	Checks []AccessCheck
	// NotAsked says why the credentials were not used at all (for instance
	// a credential plugin that may open a browser); "" when they were.
	NotAsked string
	// Err is set when the server could not be asked or refused the
	// credentials. It never carries a credential.
	Err error
	// Unreachable is set when Err is a failure to reach the server, as
	// opposed to the server rejecting the credentials.
	Unreachable bool
}

// Answered reports whether the API server answered every check.
func (a ContextAccess) Answered() bool { return a.NotAsked == "" && a.Err == nil && len(a.Checks) > 0 }

// Score is how many checks were allowed; more is more capable.
func (a ContextAccess) Score() int {
	n := 0
	for _, c := range a.Checks {
		if c.Allowed {
			n++
		}
	}
	return n
}

// Summary says in a few words what the credentials may do.
func (a ContextAccess) Summary() string {
	switch {
	case a.NotAsked != "":
		return "not asked: " + a.NotAsked
	case a.Err != nil:
		return "not answered: " + a.Err.Error()
	}
	var yes, no []string
	for _, c := range a.Checks {
		switch {
		case c.Label == EverythingLabel && c.Allowed:
			return EverythingLabel
		case c.Label == EverythingLabel:
		case c.Allowed:
			yes = append(yes, c.Label)
		default:
			no = append(no, c.Label)
		}
	}
	switch {
	case len(yes) == 0:
		return "none of: " + strings.Join(no, ", ")
	case len(no) == 0:
		return strings.Join(yes, ", ")
	}
	return strings.Join(yes, ", ") + "; not " + strings.Join(no, ", ")
}

// AskAccess asks the API server of each named context, with that context's
// own credentials, what they may do in namespace (AccessChecks). The
// contexts are asked at once, each within timeout. Credentials from an
// auth-provider or a credential plugin that may interact with the user are
// not used, so that a setup command never opens a browser login.
func AskAccess(ctx context.Context, cfg *clientcmdapi.Config, contexts []string, namespace string, timeout time.Duration) []ContextAccess {
	out := make([]ContextAccess, len(contexts))
	var wg sync.WaitGroup
	for i, name := range contexts {
		out[i].Context = name
		if why := whyNotAsk(cfg, name); why != "" {
			out[i].NotAsked = why
			continue
		}
		wg.Add(1)
		go func(a *ContextAccess) {
			defer wg.Done()
			askAccess(ctx, cfg, a, namespace, timeout)
		}(&out[i])
	}
	wg.Wait()
	return out
}

func whyNotAsk(cfg *clientcmdapi.Config, name string) string {
	c := cfg.Contexts[name]
	if c == nil {
		return "no such context"
	}
	u := cfg.AuthInfos[c.AuthInfo]
	switch {
	case u == nil:
		return ""
	case u.AuthProvider != nil:
		return fmt.Sprintf("its credentials come from the %q auth provider", u.AuthProvider.Name)
	case u.Exec != nil && u.Exec.InteractiveMode != clientcmdapi.NeverExecInteractiveMode:
		return fmt.Sprintf("its credentials come from the plugin %s, which may prompt for a login", filepath.Base(u.Exec.Command))
	}
	return ""
}

func askAccess(ctx context.Context, cfg *clientcmdapi.Config, a *ContextAccess, namespace string, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rc, err := clientcmd.NewNonInteractiveClientConfig(*cfg, a.Context, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		a.Err = fmt.Errorf("context %q: %w", a.Context, err)
		return
	}
	rc.Timeout = timeout
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		a.Err = fmt.Errorf("client: %w", err)
		return
	}
	checks := AccessChecks(namespace)
	for i := range checks {
		c := &checks[i]
		r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: c.Namespace, Verb: c.Verb, Group: c.Group, Resource: c.Resource, Subresource: c.Subresource,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			// One failure is enough: the next check would wait for the
			// same unreachable server or be refused the same way.
			a.fail(err)
			return
		}
		c.Allowed = r.Status.Allowed
	}
	a.Checks = checks
}

// fail records a failed review, shortened to what the user can act on. A
// transport error's URL (which names the review endpoint, never a
// credential) is dropped.
func (a *ContextAccess) fail(err error) {
	a.Unreachable = true
	var ue *url.Error
	var se apierrors.APIStatus
	switch {
	case apierrors.IsUnauthorized(err):
		a.Err, a.Unreachable = errors.New("the server rejected the credentials (401)"), false
	case apierrors.IsForbidden(err):
		a.Err, a.Unreachable = errors.New("the credentials may not even ask what they may do (403)"), false
	case apierrors.IsTimeout(err), errors.Is(err, context.DeadlineExceeded):
		a.Err = errors.New("no answer in time")
	case errors.As(err, &ue) && ue.Timeout():
		a.Err = errors.New("no answer in time")
	case ue != nil:
		a.Err = ue.Err
	case errors.As(err, &se):
		a.Err, a.Unreachable = fmt.Errorf("the server answered %d", se.Status().Code), false
	default:
		a.Err = err
	}
}

// BrokerServed reports whether the context's API server serves the
// broker's API (the stepup.k9s-guard.io CRDs from deploy/), asked with the
// context's own credentials through discovery. Any failure reads as "not
// served": init then proposes a local source, as it did before the broker.
func BrokerServed(ctx context.Context, cfg *clientcmdapi.Config, name string, timeout time.Duration) bool {
	if whyNotAsk(cfg, name) != "" {
		return false
	}
	rc, err := clientcmd.NewNonInteractiveClientConfig(*cfg, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return false
	}
	rc.Timeout = timeout
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return false
	}
	// The timeout bounds the discovery call; it takes no context.
	list, err := dc.ServerResourcesForGroupVersion(v1alpha1.SchemeGroupVersion.String())
	if err != nil || ctx.Err() != nil {
		return false
	}
	return slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool {
		return r.Name == v1alpha1.ElevationRequests.Resource
	})
}
