package blast

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/k9s-guard/k9s-guard/stepup"
)

// Radius is given a client, so it runs here against an in-memory one; the
// deletes (which also ask for a server-side dry run) are covered against a
// real API server in testbed/gateway/blast_test.go.
func TestRadiusWithAClient(t *testing.T) {
	three := int32(3)
	cs := fake.NewClientset(
		&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}, Spec: appsv1.DeploymentSpec{Replicas: &three}},
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "shop/web:1.2"}}}},
	)
	scope := func(action, resource string, targets ...stepup.Target) *stepup.GrantScope {
		s, ok := stepup.KeyScope(action, resource, targets)
		if !ok {
			t.Fatalf("no scope for %s %s", action, resource)
		}
		return s
	}
	for _, tc := range []struct {
		scope *stepup.GrantScope
		want  string
	}{
		{scope("scale", "deployments", stepup.Target{Namespace: "shop", Name: "web"}), "deployment shop/web: replicas 3 → ?"},
		{scope("scale", "deployments", stepup.Target{Namespace: "shop", Name: "gone"}), "deployment shop/gone: replicas not found"},
		{scope("exec", "pods", stepup.Target{Namespace: "shop", Name: "web-1"}), "pod shop/web-1: container app (image shop/web:1.2)"},
		{nil, ""},
	} {
		if got := Radius(context.Background(), cs, tc.scope); got != tc.want {
			t.Errorf("Radius(%+v) = %q, want %q", tc.scope, got, tc.want)
		}
	}
}
