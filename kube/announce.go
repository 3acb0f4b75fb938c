package kube

import (
	"context"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// Announce records a Kubernetes Event about an elevation window in the
// cluster of the grant's context, so that `kubectl get events` shows the
// whole team who is elevated where. It uses the grant's elevated
// credentials: the everyday ones are typically read-only. The Event is
// attached to the context's namespace (default when it has none).
func (g *Gateway) Announce(ctx context.Context, grant stepup.Grant, reason, message string) error {
	route, ok := g.layout.contexts[grant.Context]
	if !ok {
		return fmt.Errorf("announce: unknown context %q", grant.Context)
	}
	pol := g.policy(grant.Context)
	if !pol.Protected {
		return fmt.Errorf("announce: context %q is not protected", grant.Context)
	}
	if _, open := g.windows.Lookup(grant.ID); !open && pol.Elevation.Kind == profile.ElevationServiceAccount {
		// A closed ServiceAccount grant's token is revoked; minting another
		// just to say so would create the very credential that just died.
		return fmt.Errorf("announce: the grant's ServiceAccount token is revoked")
	}
	up, _, err := g.elevatedUpstream(ctx, route, pol.Elevation, grant)
	if err != nil {
		return fmt.Errorf("announce: elevated credentials: %w", err)
	}
	cs, err := kubernetes.NewForConfig(up.cfg)
	if err != nil {
		return fmt.Errorf("announce: %w", err)
	}
	ns := "default"
	if c := g.layout.session.Contexts[grant.Context]; c != nil && c.Namespace != "" {
		ns = c.Namespace
	}
	host, _ := os.Hostname()
	now := metav1.NewTime(time.Now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "k9s-guard-", Namespace: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "k9s-guard"}},
		// The API server wants the involved object's namespace to be the
		// Event's own, even for a Namespace.
		InvolvedObject:      corev1.ObjectReference{APIVersion: "v1", Kind: "Namespace", Name: ns, Namespace: ns},
		Reason:              reason,
		Message:             message,
		Type:                corev1.EventTypeNormal,
		Source:              corev1.EventSource{Component: "k9s-guard", Host: host},
		ReportingController: "k9s-guard",
		ReportingInstance:   host,
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cs.CoreV1().Events(ns).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("announce: create event in %s: %w", ns, err)
	}
	return nil
}
