package broker

import (
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
)

func TestPolicyAllowsOnlyWhatItCovers(t *testing.T) {
	policy := &v1alpha1.ElevationPolicySpec{
		Subjects:      []v1alpha1.PolicySubject{{Kind: "Group", Name: "team"}},
		Namespaces:    []string{"shop"},
		MaxDuration:   metav1.Duration{Duration: 10 * time.Minute},
		RequireReason: []string{"exec"},
	}
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"delete"}},
		{APIGroups: []string{""}, Resources: []string{"pods/*"}, Verbs: []string{"create"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"patch"}, ResourceNames: []string{"web"}},
	}
	base := func() v1alpha1.ElevationRequestSpec {
		return v1alpha1.ElevationRequestSpec{
			User: "alice", Groups: []string{"team"}, Operation: "delete", Duration: metav1.Duration{Duration: 5 * time.Minute},
			Rules: []v1alpha1.ElevationRule{{Verbs: []string{"delete"}, Resource: "pods", Namespace: "shop", Names: []string{"a"}}},
		}
	}
	cases := []struct {
		name   string
		edit   func(*v1alpha1.ElevationRequestSpec)
		reject string // "" when allowed
	}{
		{"delete one pod", func(*v1alpha1.ElevationRequestSpec) {}, ""},
		{"not a subject", func(s *v1alpha1.ElevationRequestSpec) { s.Groups = nil }, "not a subject"},
		{"too long", func(s *v1alpha1.ElevationRequestSpec) { s.Duration.Duration = time.Hour }, "maximum"},
		{"other namespace", func(s *v1alpha1.ElevationRequestSpec) { s.Rules[0].Namespace = "payments" }, "outside"},
		{"cluster-wide", func(s *v1alpha1.ElevationRequestSpec) { s.Rules[0].Namespace = "" }, "outside"},
		{"more verbs", func(s *v1alpha1.ElevationRequestSpec) { s.Rules[0].Verbs = []string{"delete", "update"} }, "more than"},
		{"subresource by pods/*", func(s *v1alpha1.ElevationRequestSpec) {
			s.Operation, s.Reason = "exec", "debug"
			s.Rules[0] = v1alpha1.ElevationRule{Verbs: []string{"create"}, Resource: "pods/exec", Namespace: "shop", Names: []string{"a"}}
		}, ""},
		{"exec needs a reason", func(s *v1alpha1.ElevationRequestSpec) {
			s.Operation = "exec"
			s.Rules[0] = v1alpha1.ElevationRule{Verbs: []string{"create"}, Resource: "pods/exec", Namespace: "shop", Names: []string{"a"}}
		}, "reason"},
		{"named deployment", func(s *v1alpha1.ElevationRequestSpec) {
			s.Rules[0] = v1alpha1.ElevationRule{Verbs: []string{"patch"}, APIGroup: "apps", Resource: "deployments", Namespace: "shop", Names: []string{"web"}}
		}, ""},
		{"other deployment", func(s *v1alpha1.ElevationRequestSpec) {
			s.Rules[0] = v1alpha1.ElevationRule{Verbs: []string{"patch"}, APIGroup: "apps", Resource: "deployments", Namespace: "shop", Names: []string{"cart"}}
		}, "more than"},
		{"every deployment", func(s *v1alpha1.ElevationRequestSpec) {
			s.Rules[0] = v1alpha1.ElevationRule{Verbs: []string{"patch"}, APIGroup: "apps", Resource: "deployments", Namespace: "shop"}
		}, "more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base()
			c.edit(&s)
			if err := validateRequest(&s); err != nil {
				t.Fatalf("validate: %v", err)
			}
			err := allowedBy(policy, rules, &s)
			switch {
			case c.reject == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.reject != "" && (err == nil || !strings.Contains(err.Error(), c.reject)):
				t.Fatalf("got %v, want a refusal saying %q", err, c.reject)
			}
		})
	}
}

func TestRequestsCannotAskForWildcardsOrRBAC(t *testing.T) {
	for _, r := range []v1alpha1.ElevationRule{
		{Verbs: []string{"*"}, Resource: "pods", Namespace: "shop"},
		{Verbs: []string{"get"}, Resource: "*", Namespace: "shop"},
		{Verbs: []string{"create"}, APIGroup: rbacv1.GroupName, Resource: "rolebindings", Namespace: "shop"},
		{Verbs: []string{"delete"}, Resource: "pods", Namespace: "shop", Names: []string{""}},
	} {
		s := &v1alpha1.ElevationRequestSpec{User: "alice", Duration: metav1.Duration{Duration: time.Minute}, Rules: []v1alpha1.ElevationRule{r}}
		if err := validateRequest(s); err == nil {
			t.Errorf("%+v: accepted, want refused", r)
		}
	}
}
