package kube

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// Labels and annotations on the Secrets that back ServiceAccount grants.
const (
	LabelManagedBy      = "app.kubernetes.io/managed-by"
	ManagedByValue      = "k9s-guard"
	LabelGrant          = "k9s-guard.io/grant"
	AnnotationContext   = "k9s-guard.io/context"
	AnnotationExpires   = "k9s-guard.io/expires"
	grantSecretPrefix   = "k9s-guard-grant-"
	minTokenExpiration  = 600 // seconds; the API server's minimum
	tokenExpirySlack    = 2 * time.Minute
	revocationTimeout   = 10 * time.Second
	tokenRenewalReserve = 30 * time.Second
)

// ElevatedConfig returns the rest.Config of a static elevation source
// (context or impersonate) for a context of the user's kubeconfig. The
// doctor uses it; the gateway uses the same code path. For serviceAccount
// sources it returns the configuration that mints the tokens (the user's
// own credentials).
func ElevatedConfig(rules *clientcmd.ClientConfigLoadingRules, context string, e profile.Elevation) (*rest.Config, error) {
	raw, err := loadRaw(rules)
	if err != nil {
		return nil, err
	}
	own, err := clientcmd.NewNonInteractiveClientConfig(*raw, context, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("context %q: %w", context, err)
	}
	return elevatedConfig(rules, own, e)
}

// elevatedConfig derives the elevated rest.Config from the context's own.
func elevatedConfig(rules *clientcmd.ClientConfigLoadingRules, own *rest.Config, e profile.Elevation) (*rest.Config, error) {
	switch e.Kind {
	case profile.ElevationImpersonate:
		if e.User == "" && len(e.Groups) == 0 {
			return nil, fmt.Errorf("impersonate: no user or groups")
		}
		rc := rest.CopyConfig(own)
		rc.Impersonate = rest.ImpersonationConfig{UserName: e.User, Groups: append([]string(nil), e.Groups...)}
		return rc, nil
	case profile.ElevationContext:
		r := rules
		if e.Kubeconfig != "" {
			r = &clientcmd.ClientConfigLoadingRules{ExplicitPath: expandHome(e.Kubeconfig)}
		}
		rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(r, &clientcmd.ConfigOverrides{CurrentContext: e.Context}).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("elevation context %q: %w", e.Context, err)
		}
		if !sameServer(rc.Host, own.Host) {
			// An elevation context for another cluster would send this
			// context's writes somewhere else entirely.
			return nil, fmt.Errorf("elevation context %q points at %s, not at this context's server %s", e.Context, rc.Host, own.Host)
		}
		return rc, nil
	case profile.ElevationServiceAccount:
		if e.Namespace == "" || e.Name == "" {
			return nil, fmt.Errorf("serviceAccount: namespace and name are required")
		}
		return rest.CopyConfig(own), nil
	case profile.ElevationBroker:
		// The broker grants the user's own identity: inside a window the
		// held request goes out with the context's own credentials, which
		// the API server then allows.
		return rest.CopyConfig(own), nil
	case "":
		return nil, fmt.Errorf("no elevation source is configured for this context")
	}
	return nil, fmt.Errorf("unknown elevation kind %q", e.Kind)
}

func sameServer(a, b string) bool { return normalServer(a) == normalServer(b) }

// normalServer is a server URL in one spelling: scheme and host in lower
// case, no trailing slash.
func normalServer(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimSuffix(u.Path, "/")
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[2:])
		}
	}
	return p
}

// elevatedUpstream returns the credentials a grant's requests go out with,
// and a non-secret identifier of them for the audit.
func (g *Gateway) elevatedUpstream(ctx context.Context, route *ctxRoute, e profile.Elevation, grant stepup.Grant) (*upstream, string, error) {
	if e.Kind == profile.ElevationServiceAccount {
		m, err := g.mintFor(ctx, route, e, grant)
		if err != nil {
			return nil, "", err
		}
		return m.up, m.credentialID(), nil
	}
	up, err := g.staticElevated(route, e)
	if err != nil {
		return nil, "", err
	}
	return up, e.String(), nil
}

// staticElevated builds (once) the upstream of a context or impersonate
// source. These credentials exist before any step-up; the gateway only
// uses them inside a window, and for SelfSubjectAccessReviews.
func (g *Gateway) staticElevated(route *ctxRoute, e profile.Elevation) (*upstream, error) {
	key := route.context + "\x00" + elevationKey(e)
	g.mu.Lock()
	l, ok := g.elevated[key]
	if !ok {
		l = &lazy[*upstream]{}
		g.elevated[key] = l
	}
	g.mu.Unlock()
	return l.get(func() (*upstream, error) {
		own, err := g.ownConfig(route.context)
		if err != nil {
			return nil, err
		}
		rc, err := elevatedConfig(g.rules, own, e)
		if err != nil {
			return nil, err
		}
		if e.Kind == profile.ElevationServiceAccount {
			return nil, fmt.Errorf("serviceAccount credentials exist only inside a window")
		}
		return g.newUpstream(rc, e.String())
	})
}

func (g *Gateway) newUpstream(rc *rest.Config, label string) (*upstream, error) {
	return newUpstream(rc, label)
}

// mintedGrant is the ServiceAccount token of one grant and the Secret it
// is bound to. Deleting the Secret invalidates the token on the server.
type mintedGrant struct {
	mu        sync.Mutex
	minter    *kubernetes.Clientset // the user's own credentials
	up        *upstream
	namespace string
	secret    string
	expiry    time.Time
	revoked   bool
}

func (m *mintedGrant) credentialID() string {
	return fmt.Sprintf("secret %s/%s", m.namespace, m.secret)
}

// mintFor returns the grant's token, minting it on first use (and again if
// the window was extended past the token's expiry).
func (g *Gateway) mintFor(ctx context.Context, route *ctxRoute, e profile.Elevation, grant stepup.Grant) (*mintedGrant, error) {
	if e.Namespace == "" || e.Name == "" {
		return nil, fmt.Errorf("serviceAccount: namespace and name are required")
	}
	g.mu.Lock()
	m := g.minted[grant.ID]
	if m == nil {
		m = &mintedGrant{}
		g.minted[grant.ID] = m
	}
	g.mu.Unlock()

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.revoked {
		return nil, fmt.Errorf("the window closed")
	}
	now := g.windows.Now()
	if m.up != nil && m.expiry.After(grant.Deadline.Add(tokenRenewalReserve)) {
		return m, nil
	}
	if m.minter == nil {
		own, err := g.ownConfig(route.context)
		if err != nil {
			return nil, err
		}
		if m.minter, err = kubernetes.NewForConfig(own); err != nil {
			return nil, fmt.Errorf("client for minting: %w", err)
		}
	}
	oldSecret := m.secret
	secret, token, expiry, err := mintToken(ctx, m.minter, route.context, e, grant, now)
	if err != nil {
		return nil, err
	}
	own, err := g.ownConfig(route.context)
	if err != nil {
		_ = deleteGrantSecret(m.minter, e.Namespace, secret)
		return nil, err
	}
	rc := rest.AnonymousClientConfig(own)
	rc.BearerToken = token
	up, err := g.newUpstream(rc, fmt.Sprintf("serviceaccount %s/%s", e.Namespace, e.Name))
	if err != nil {
		_ = deleteGrantSecret(m.minter, e.Namespace, secret)
		return nil, err
	}
	if m.up != nil {
		m.up.closeIdle()
	}
	m.up, m.namespace, m.secret, m.expiry = up, e.Namespace, secret, expiry
	if oldSecret != "" {
		// The window was extended past the old token; the new one replaces it.
		if err := deleteGrantSecret(m.minter, e.Namespace, oldSecret); err != nil {
			g.logf("gateway: %v", err)
		}
	}
	if _, open := g.windows.Lookup(grant.ID); !open {
		// The window closed while we were minting, and its close callback
		// may have found nothing to revoke yet.
		m.revoked = true
		_ = deleteGrantSecret(m.minter, m.namespace, m.secret)
		return nil, fmt.Errorf("the window closed")
	}
	g.logf("gateway: minted a token for serviceaccount %s/%s (context %s, bound to secret %s, expires %s)",
		e.Namespace, e.Name, route.context, secret, expiry.Format(time.RFC3339))
	return m, nil
}

// mintToken creates the grant's Secret and a TokenRequest token bound to
// it. The token lives at least 600 s (the API server's minimum) and covers
// the window; deleting the Secret revokes it earlier.
func mintToken(ctx context.Context, cs kubernetes.Interface, context string, e profile.Elevation, grant stepup.Grant, now time.Time) (string, string, time.Time, error) {
	exp := int64(grant.Remaining(now)/time.Second) + int64(tokenExpirySlack/time.Second)
	if exp < minTokenExpiration {
		exp = minTokenExpiration
	}
	sec, err := cs.CoreV1().Secrets(e.Namespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: grantSecretPrefix,
			Labels:       map[string]string{LabelManagedBy: ManagedByValue, LabelGrant: grant.ID},
			Annotations: map[string]string{
				AnnotationContext: context,
				AnnotationExpires: now.Add(time.Duration(exp) * time.Second).UTC().Format(time.RFC3339),
			},
		},
		Type: corev1.SecretTypeOpaque,
	}, metav1.CreateOptions{})
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("create grant secret in %s: %w", e.Namespace, err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(e.Namespace).CreateToken(ctx, e.Name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{
			ExpirationSeconds: &exp,
			BoundObjectRef: &authenticationv1.BoundObjectReference{
				Kind: "Secret", APIVersion: "v1", Name: sec.Name, UID: sec.UID,
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		_ = deleteGrantSecret(cs, e.Namespace, sec.Name)
		return "", "", time.Time{}, fmt.Errorf("request token for serviceaccount %s/%s: %w", e.Namespace, e.Name, err)
	}
	expiry := tr.Status.ExpirationTimestamp.Time
	if expiry.IsZero() {
		expiry = now.Add(time.Duration(exp) * time.Second)
	}
	return sec.Name, tr.Status.Token, expiry, nil
}

func deleteGrantSecret(cs kubernetes.Interface, namespace, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), revocationTimeout)
	defer cancel()
	err := cs.CoreV1().Secrets(namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil {
		return fmt.Errorf("delete grant secret %s/%s: %w", namespace, name, err)
	}
	return nil
}

// onWindowClose revokes a ServiceAccount grant's token when its window ends.
func (g *Gateway) onWindowClose(grant stepup.Grant, reason stepup.CloseReason) {
	g.forgetOneShot(grant.ID)
	g.mu.Lock()
	_, ok := g.minted[grant.ID]
	if ok {
		g.bg.Add(1)
	}
	g.mu.Unlock()
	if !ok {
		return
	}
	go func() {
		defer g.bg.Done()
		g.revokeGrant(grant.ID, string(reason))
	}()
}

// revokeGrant deletes the Secret a grant's token is bound to.
func (g *Gateway) revokeGrant(id, reason string) {
	g.mu.Lock()
	m := g.minted[id]
	delete(g.minted, id)
	g.mu.Unlock()
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.revoked {
		return
	}
	m.revoked = true
	if m.up != nil {
		m.up.closeIdle()
	}
	if m.secret == "" {
		return
	}
	if err := deleteGrantSecret(m.minter, m.namespace, m.secret); err != nil {
		g.logf("gateway: REVOCATION FAILED (%s): %v; the token stays valid until %s", reason, err, m.expiry.Format(time.RFC3339))
		return
	}
	g.logf("gateway: revoked the token bound to secret %s/%s (%s)", m.namespace, m.secret, reason)
}
