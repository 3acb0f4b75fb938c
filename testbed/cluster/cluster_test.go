package cluster

import (
	"context"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestTestbed checks that the control plane the other tests rely on really
// enforces RBAC: the viewer can read but not delete, the admin can.
func TestTestbed(t *testing.T) {
	ctx := context.Background()
	c, err := Start(ctx, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()

	viewer, err := c.Clientset(ContextDev)
	if err != nil {
		t.Fatal(err)
	}
	pods, err := viewer.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("viewer lists pods: %v", err)
	}
	if len(pods.Items) < 4 {
		t.Fatalf("want at least 4 pods in shop (web x3, cart), got %d", len(pods.Items))
	}
	if err := viewer.CoreV1().Pods("shop").Delete(ctx, pods.Items[0].Name, metav1.DeleteOptions{}); err == nil {
		t.Fatal("viewer deleted a pod: RBAC is not enforced")
	}
	for _, tc := range []struct {
		ctx  string
		verb string
		want bool
	}{{ContextAdmin, "delete", true}, {ContextProd, "delete", false}, {ContextImp, "delete", false}, {ContextProd, "list", true}} {
		cs, err := c.Clientset(tc.ctx)
		if err != nil {
			t.Fatal(err)
		}
		r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "shop", Verb: tc.verb, Resource: "pods"}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status.Allowed != tc.want {
			t.Errorf("context %s %s pods: allowed=%v, want %v", tc.ctx, tc.verb, r.Status.Allowed, tc.want)
		}
	}
}
