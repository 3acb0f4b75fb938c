package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

func TestReadOnlyUserListsPodsThroughGateway(t *testing.T) {
	h := startHarness(t, harnessOpts{policies: map[string]profile.Policy{cluster.ContextProd: protected(srcSA)}})
	pods, err := h.client(t, cluster.ContextProd).CoreV1().Pods("shop").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) < 3 {
		t.Fatalf("listed %d pods in shop, want at least 3", len(pods.Items))
	}
	// A plain read never asks and never elevates.
	if _, ok := h.audit.last(audit.EventRequestElevated); ok {
		t.Fatal("a read was elevated")
	}
	// The read-only user really is read-only through the gateway too, in an
	// unprotected context: the API server refuses, not the guard.
	err = h.client(t, cluster.ContextDev).CoreV1().Pods("shop").Delete(context.Background(), aPod(t), metav1.DeleteOptions{})
	if !apierrors.IsForbidden(err) || strings.Contains(err.Error(), "k9s-guard") {
		t.Fatalf("viewer delete in unprotected dev: %v (want the API server's own 403)", err)
	}
}

// TestElevationSources runs the whole life of a window for each source:
// refused without a window, access reviews answered as after step-up,
// allowed inside the window as the elevated identity, refused again after
// the deadline.
func TestElevationSources(t *testing.T) {
	cases := []struct {
		name     string
		context  string
		source   profile.Elevation
		base     string
		elevated string
	}{
		{"impersonate", cluster.ContextImp, srcImpersonate, cluster.UserImpersonator, cluster.UserBreakGlass},
		{"context", cluster.ContextProd, srcContext, cluster.UserViewer, cluster.UserAdmin},
		{"serviceAccount", cluster.ContextProd, srcSA, cluster.UserViewer, "system:serviceaccount:" + cluster.BreakGlassNamespace + ":" + cluster.BreakGlassSA},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			h := startHarness(t, harnessOpts{policies: map[string]profile.Policy{tc.context: protected(tc.source)}})
			cs := h.client(t, tc.context)

			pod := aPod(t)
			err := cs.CoreV1().Pods("shop").Delete(ctx, pod, metav1.DeleteOptions{})
			if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "k9s-guard refused to delete pod shop/"+pod) {
				t.Fatalf("delete without a window: %v", err)
			}
			if !podExists(t, pod) {
				t.Fatal("the pod was deleted without a window")
			}

			// K9s asks before deleting; the answer must be "yes, after step-up".
			review, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: "shop", Verb: "delete", Resource: "pods", Name: pod,
				}},
			}, metav1.CreateOptions{})
			if err != nil || !review.Status.Allowed {
				t.Fatalf("access review for delete: %+v %v", review.Status, err)
			}
			if _, ok := h.windows.Active(tc.context); ok {
				t.Fatal("the access review opened a window")
			}

			grant, err := h.windows.Open(tc.context, 2*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if err := cs.CoreV1().Pods("shop").Delete(ctx, pod, metav1.DeleteOptions{}); err != nil {
				t.Fatalf("delete inside the window: %v", err)
			}
			poll(t, 30*time.Second, func() bool { return !podExists(t, pod) })
			ev, ok := h.audit.last(audit.EventRequestElevated)
			if !ok || ev.ElevatedIdentity != tc.elevated || ev.BaseIdentity != tc.base || ev.GrantID != grant.ID || ev.Name != pod {
				t.Fatalf("elevated audit %+v, want %s acting for %s", ev, tc.elevated, tc.base)
			}
			if tc.source.Kind == profile.ElevationServiceAccount {
				if !strings.HasPrefix(ev.CredentialID, "secret "+cluster.BreakGlassNamespace+"/") {
					t.Fatalf("credential id %q", ev.CredentialID)
				}
				if !hasGrantSecret(t, grant.ID) {
					t.Fatal("no Secret backs the grant's token")
				}
			}
			// Reads keep the base identity inside the window: secrets are
			// sensitive (elevated), pods are not.
			if _, err := cs.CoreV1().Secrets("shop").Get(ctx, "db-credentials", metav1.GetOptions{}); err != nil {
				t.Fatalf("read a secret inside the window: %v", err)
			}

			h.clock.Advance(2 * time.Minute)
			if _, ok := h.windows.Active(tc.context); ok {
				t.Fatal("window still open after its deadline")
			}
			pod2 := aPod(t)
			err = cs.CoreV1().Pods("shop").Delete(ctx, pod2, metav1.DeleteOptions{})
			if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "k9s-guard refused") {
				t.Fatalf("delete after the deadline: %v", err)
			}
			if !podExists(t, pod2) {
				t.Fatal("deleted after the deadline")
			}
			if tc.source.Kind == profile.ElevationServiceAccount {
				// The window's end deletes the Secret, which kills the token.
				poll(t, 30*time.Second, func() bool { return !hasGrantSecret(t, grant.ID) })
			}
		})
	}
}

func hasGrantSecret(t testing.TB, grantID string) bool {
	for _, s := range grantSecrets(t) {
		if s.Labels[kube.LabelGrant] == grantID {
			return true
		}
	}
	return false
}

// A yes from the asker holds the request and then sends it elevated.
func TestAskerYesSendsHeldRequest(t *testing.T) {
	asker := &countingAsker{answer: true}
	h := startHarness(t, harnessOpts{policies: map[string]profile.Policy{cluster.ContextProd: protected(srcContext)}, asker: asker})
	pod := aPod(t)
	if err := h.client(t, cluster.ContextProd).CoreV1().Pods("shop").Delete(context.Background(), pod, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatalf("held delete: %v", err)
	}
	poll(t, 30*time.Second, func() bool { return !podExists(t, pod) })
	if asker.n.Load() != 1 || asker.seen[0].Action != "kill" || asker.seen[0].String() != "kill pod shop/"+pod {
		t.Fatalf("asked %d times: %+v", asker.n.Load(), asker.seen)
	}
	if _, ok := h.windows.Active(cluster.ContextProd); !ok {
		t.Fatal("a yes opened no window")
	}

	// And a no refuses it.
	h2 := startHarness(t, harnessOpts{policies: map[string]profile.Policy{cluster.ContextProd: protected(srcContext)}, asker: &countingAsker{answer: false}})
	pod = aPod(t)
	err := h2.client(t, cluster.ContextProd).CoreV1().Pods("shop").Delete(context.Background(), pod, metav1.DeleteOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "declined") {
		t.Fatalf("declined delete: %v", err)
	}
	if !podExists(t, pod) {
		t.Fatal("a declined delete went through")
	}
}

// The serviceAccount source's token dies on the server when its Secret is
// deleted, well before it expires. The gateway never lets a token out, so
// this uses the doctor's path, which mints, uses and revokes one the same way.
func TestServiceAccountTokenRejectedAfterSecretDeleted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: testCluster.Kubeconfig}
	d := kube.Diagnose(ctx, rules, cluster.ContextProd, srcSA)
	if d.BaseErr != nil || d.ElevatedErr != nil {
		t.Fatalf("diagnose: base %v, elevated %v", d.BaseErr, d.ElevatedErr)
	}
	if !d.Revoked || d.Revocation != nil {
		t.Fatalf("token not rejected after its Secret was deleted: %v", d.Revocation)
	}
	if d.Advisory() {
		t.Fatalf("viewer can already do dangerous things: %+v", d.Base)
	}
	if !d.ElevationOK() || d.ElevatedIdentity != "system:serviceaccount:k9s-guard-system:break-glass" {
		t.Fatalf("elevation: %s %+v", d.ElevatedIdentity, d.Elevated)
	}
}

// Windows are per context: prod's window does not open dev's or imp's.
func TestWindowIsPerContext(t *testing.T) {
	pols := map[string]profile.Policy{cluster.ContextProd: protected(srcSA), cluster.ContextImp: protected(srcImpersonate)}
	h := startHarness(t, harnessOpts{policies: pols})
	if _, err := h.windows.Open(cluster.ContextProd, time.Minute); err != nil {
		t.Fatal(err)
	}
	pod := aPod(t)
	err := h.client(t, cluster.ContextImp).CoreV1().Pods("shop").Delete(context.Background(), pod, metav1.DeleteOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `"imp"`) {
		t.Fatalf("imp delete during prod's window: %v", err)
	}
	h.windows.Close(cluster.ContextProd, stepup.CloseRelocked)
}

var _ kubernetes.Interface = (*kubernetes.Clientset)(nil)
