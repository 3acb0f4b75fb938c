package broker

import (
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/k9s-guard/k9s-guard/broker"
	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

func wantForbidden(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: allowed with the everyday token, want forbidden", what)
	}
	if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) {
		t.Fatalf("%s: got %v, want forbidden", what, err)
	}
}

// TestStolenEverydayTokenCannotElevate: an attacker holds a copy of alice's
// everyday token (from a stolen kubeconfig, or running kubectl on her
// laptop) and tries every way around the broker's second factor.
func TestStolenEverydayTokenCannotElevate(t *testing.T) {
	defer dumpLogs(t)
	ctx := t.Context()
	alice := userOf(tc.AliceToken, cluster.UserAlice)

	// Attack: bind herself to cluster-admin directly.
	t.Run("create a binding", func(t *testing.T) {
		_, err := alice.kube.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "stolen"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: cluster.UserAlice}},
		}, metav1.CreateOptions{})
		wantForbidden(t, "create clusterrolebinding", err)
		_, err = alice.kube.RbacV1().RoleBindings("shop").Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "stolen"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: cluster.UserAlice}},
		}, metav1.CreateOptions{})
		wantForbidden(t, "create rolebinding", err)
	})
	// Attack: impersonate the broker (or an admin) with her own token.
	t.Run("impersonate", func(t *testing.T) {
		for _, as := range []string{"system:serviceaccount:" + brokerNS + ":" + brokerSA, cluster.UserAdmin} {
			rc := &rest.Config{Host: tc.Server, BearerToken: tc.AliceToken, TLSClientConfig: rest.TLSClientConfig{CAData: tc.CAData},
				Impersonate: rest.ImpersonationConfig{UserName: as}}
			_, err := kubernetes.NewForConfigOrDie(rc).CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
			wantForbidden(t, "impersonate "+as, err)
		}
	})
	// Attack: mint a token of the broker's ServiceAccount.
	t.Run("mint a token", func(t *testing.T) {
		_, err := alice.kube.CoreV1().ServiceAccounts(brokerNS).CreateToken(ctx, brokerSA, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		wantForbidden(t, "create serviceaccounts/token", err)
	})
	// Attack: read the enrolled TOTP secrets (her own or anyone's) to
	// compute codes without the phone.
	t.Run("read the enrolled secrets", func(t *testing.T) {
		_, err := alice.kube.CoreV1().Secrets(brokerNS).Get(ctx, broker.OTPSecretName(cluster.UserAlice), metav1.GetOptions{})
		wantForbidden(t, "get her enrolled secret", err)
		_, err = alice.kube.CoreV1().Secrets(brokerNS).List(ctx, metav1.ListOptions{})
		wantForbidden(t, "list the broker's secrets", err)
	})
	// Attack: a request naming another user, so that the grant (and the
	// code check) land on someone else's identity.
	t.Run("request for another user", func(t *testing.T) {
		r := newRequest(alice, "delete", "000000", time.Minute, rule("delete", "", "pods", "shop"))
		r.Spec.User = cluster.UserBob
		_, err := create(ctx, alice, r)
		wantForbidden(t, "create a request for bob", err)
		if err != nil && !strings.Contains(err.Error(), "your own user name") {
			t.Fatalf("refusal does not say why: %v", err)
		}
		r.Spec.User = cluster.UserAlice
		r.Spec.Groups = []string{"system:masters"}
		_, err = create(ctx, alice, r)
		wantForbidden(t, "create a request claiming system:masters", err)
	})
	// Attack: write a Granted status on her own request, or change a
	// request after creation (swap the rules once the code is checked).
	t.Run("write status or change a request", func(t *testing.T) {
		req := mustCreate(t, alice, newRequest(alice, "delete", wrongCode(t, aliceSecret), time.Minute, rule("delete", "", "pods", "shop", "web")))
		patch := []byte(`{"status":{"phase":"Granted"}}`)
		_, err := alice.dyn.Resource(v1alpha1.ElevationRequests).Patch(ctx, req.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
		wantForbidden(t, "patch status", err)
		_, err = alice.dyn.Resource(v1alpha1.ElevationRequests).Patch(ctx, req.Name, types.MergePatchType, []byte(`{"spec":{"rules":[{"verbs":["delete"],"resource":"pods","namespace":"payments"}]}}`), metav1.PatchOptions{})
		wantForbidden(t, "patch spec", err)
	})
	// Attack: widen the team policy so that a grant covers more.
	t.Run("edit the policy", func(t *testing.T) {
		_, err := alice.dyn.Resource(v1alpha1.ElevationPolicies).Patch(ctx, policyName, types.MergePatchType, []byte(`{"spec":{"clusterRole":"cluster-admin"}}`), metav1.PatchOptions{})
		wantForbidden(t, "patch the policy", err)
		_, err = alice.dyn.Resource(v1alpha1.ElevationPolicies).Create(ctx, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": v1alpha1.SchemeGroupVersion.String(), "kind": "ElevationPolicy", "metadata": map[string]any{"name": "mine"},
			"spec": map[string]any{"subjects": []any{map[string]any{"kind": "User", "name": cluster.UserAlice}}, "clusterRole": "cluster-admin", "namespaces": []any{"*"}, "maxDuration": "1h"},
		}}, metav1.CreateOptions{})
		wantForbidden(t, "create a policy", err)
	})
	// Attack: enrol the attacker's own phone for alice, who is enrolled.
	t.Run("enrol a second phone", func(t *testing.T) {
		name, err := createEnrolment(ctx, alice, newSecret(), "")
		if err != nil {
			t.Fatal(err)
		}
		phase, msg, err := waitEnrolment(ctx, alice, name)
		if err != nil {
			t.Fatal(err)
		}
		if phase != "Denied" || !strings.Contains(msg, "already enrolled") {
			t.Fatalf("second enrolment: %s (%s), want Denied: already enrolled", phase, msg)
		}
	})
	// Attack: guess a code, then replay a code seen over the shoulder of
	// the token's owner. (A fresh user, whose phone the test holds: alice's
	// accepted codes cannot be used again when the test runs twice in one
	// 30 s step.)
	t.Run("wrong or replayed code", func(t *testing.T) {
		u, secret := newUser(t)
		wantPhase(t, mustCreate(t, u, newRequest(u, "delete", wrongCode(t, secret), time.Minute, rule("delete", "", "pods", "shop", "web"))), v1alpha1.PhaseDenied, broker.ReasonWrongCode)
		code := codeAt(t, secret, time.Now())
		first := mustCreate(t, u, newRequest(u, "delete", code, time.Minute, rule("delete", "", "pods", "shop", "nothing-here")))
		wantPhase(t, first, v1alpha1.PhaseGranted, "")
		replay := mustCreate(t, u, newRequest(u, "delete", code, time.Minute, rule("delete", "", "pods", "shop", "web")))
		wantPhase(t, replay, v1alpha1.PhaseDenied, broker.ReasonReplayed)
		if replay.Spec.Code != "" || first.Spec.Code != "" {
			t.Fatal("a used code is still stored in its request")
		}
		_ = u.dyn.Resource(v1alpha1.ElevationRequests).Delete(ctx, first.Name, metav1.DeleteOptions{})
	})
}
