package broker

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
	"github.com/k9s-guard/k9s-guard/stepup/otp"
)

// codeAt is the code the user's phone shows at t.
func codeAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, otp.ValidateOpts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a well-formed code that is not the right one now, nor
// within the accepted skew.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	now := time.Now()
	right := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second, 60 * time.Second} {
		right[codeAt(t, secret, now.Add(d))] = true
	}
	for i := 0; ; i++ {
		c := fmt.Sprintf("%06d", (123456+i*7919)%1000000)
		if !right[c] {
			return c
		}
	}
}

func rule(verb, group, resource, ns string, names ...string) v1alpha1.ElevationRule {
	return v1alpha1.ElevationRule{Verbs: []string{verb}, APIGroup: group, Resource: resource, Namespace: ns, Names: names}
}

func newRequest(u *user, op, code string, d time.Duration, rules ...v1alpha1.ElevationRule) *v1alpha1.ElevationRequest {
	return &v1alpha1.ElevationRequest{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "ElevationRequest"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: "elev-"},
		Spec: v1alpha1.ElevationRequestSpec{
			User: u.name, Groups: u.groups, Operation: op, Rules: rules, Duration: metav1.Duration{Duration: d}, Code: code,
			Reason: "test",
		},
	}
}

// create submits a request with the user's own token.
func create(ctx context.Context, u *user, r *v1alpha1.ElevationRequest) (*v1alpha1.ElevationRequest, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(r)
	if err != nil {
		return nil, err
	}
	got, err := u.dyn.Resource(v1alpha1.ElevationRequests).Create(ctx, &unstructured.Unstructured{Object: m}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return decode(got)
}

func decode(u *unstructured.Unstructured) (*v1alpha1.ElevationRequest, error) {
	out := &v1alpha1.ElevationRequest{}
	return out, runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out)
}

// decided waits until the broker has written a verdict.
func decided(t *testing.T, u *user, name string) *v1alpha1.ElevationRequest {
	t.Helper()
	var req *v1alpha1.ElevationRequest
	err := poll(t.Context(), 30*time.Second, func() (bool, error) {
		got, err := u.dyn.Resource(v1alpha1.ElevationRequests).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if req, err = decode(got); err != nil {
			return false, err
		}
		return req.Status.Phase != "", nil
	})
	if err != nil {
		t.Fatalf("request %s never decided: %v", name, err)
	}
	return req
}

func mustCreate(t *testing.T, u *user, r *v1alpha1.ElevationRequest) *v1alpha1.ElevationRequest {
	t.Helper()
	got, err := create(t.Context(), u, r)
	if err != nil {
		t.Fatalf("create request as %s: %v", u.name, err)
	}
	return decided(t, u, got.Name)
}

func wantPhase(t *testing.T, req *v1alpha1.ElevationRequest, phase v1alpha1.Phase, reason string) {
	t.Helper()
	if req.Status.Phase != phase || (reason != "" && req.Status.Reason != reason) {
		t.Fatalf("request %s: got %s/%s (%s), want %s/%s", req.Name, req.Status.Phase, req.Status.Reason, req.Status.Message, phase, reason)
	}
}

// kubectl runs the real kubectl with the user's own token.
func kubectl(ctx context.Context, u *user, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, kubectlBin, append([]string{"--kubeconfig", u.kubeconfig}, args...)...).CombinedOutput()
	return string(out), err
}

// allowed asks the API server's authorizer (a SubjectAccessReview by the
// admin) whether the user may do verb on the object right now.
func allowed(ctx context.Context, t *testing.T, u *user, verb, group, resource, ns, name string) bool {
	t.Helper()
	res, sub, _ := strings.Cut(resource, "/")
	sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: u.name, ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: verb, Group: group, Resource: res, Subresource: sub, Namespace: ns, Name: name,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sar.Status.Allowed
}

func unstructuredString(obj map[string]any, fields ...string) (string, bool, error) {
	return unstructured.NestedString(obj, fields...)
}
