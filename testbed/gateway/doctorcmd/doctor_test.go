// Package doctorcmd_test runs `k9s-guard doctor` against the test cluster.
// It lives apart from the gateway tests because it builds the whole
// orchestrator package.
package doctorcmd_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/k9s-guard/k9s-guard/guard"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

var testCluster *cluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Options{NoControllerManager: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start testbed cluster:", err)
		return 1
	}
	testCluster = c
	defer c.Stop()
	return m.Run()
}

func TestDoctorCommand(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "profile.yaml")
	// prod and imp are properly set up; admin is "protected" with
	// credentials that can already do everything: advisory.
	if err := os.WriteFile(prof, []byte(`version: 1
contexts:
  prod:
    elevation: {serviceAccount: {namespace: k9s-guard-system, name: break-glass}}
  imp:
    elevation: {impersonate: {user: break-glass, groups: ["k9s-guard:break-glass"]}}
  admin:
    elevation: {context: admin}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	app := &guard.App{Stdout: &out, Stderr: &out, Getenv: func(k string) string {
		if k == "HOME" {
			return dir
		}
		return ""
	}, Now: time.Now}
	code := app.Run(context.Background(), []string{"doctor", "--profile", prof, "--kubeconfig", testCluster.Kubeconfig})
	t.Logf("k9s-guard doctor (exit %d):\n%s", code, out.String())
	if code != 1 {
		t.Errorf("exit %d, want 1 (admin is advisory)", code)
	}
	text := out.String()
	for _, want := range []string{"ADVISORY", "Step-up is ADVISORY here", "system:masters"} {
		if !strings.Contains(text, want) {
			t.Errorf("doctor output lacks %q", want)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if (f[0] == "prod" || f[0] == "imp") && f[len(f)-1] != "ok" {
			t.Errorf("context %s not ok: %q", f[0], line)
		}
	}
}

// A read-only user who picked up a RoleBinding that allows deleting pods:
// doctor names the rule and the fix.
func TestDoctorNamesTheRBACToFix(t *testing.T) {
	ctx := context.Background()
	admin, err := testCluster.Clientset(cluster.ContextAdmin)
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "too-much", Namespace: "shop"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"delete"}}},
	}
	if _, err := admin.RbacV1().Roles("shop").Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "too-much", Namespace: "shop"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "too-much"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: cluster.UserViewer}},
	}
	if _, err := admin.RbacV1().RoleBindings("shop").Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.RbacV1().RoleBindings("shop").Delete(ctx, "too-much", metav1.DeleteOptions{})
		_ = admin.RbacV1().Roles("shop").Delete(ctx, "too-much", metav1.DeleteOptions{})
	})
	dir := t.TempDir()
	prof := filepath.Join(dir, "profile.yaml")
	if err := os.WriteFile(prof, []byte("version: 1\ncontexts:\n  prod:\n    elevation: {context: admin}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	app := &guard.App{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }, Now: time.Now}
	code := app.Run(ctx, []string{"doctor", "--profile", prof, "--kubeconfig", testCluster.Kubeconfig, "--context", "prod"})
	t.Logf("k9s-guard doctor (exit %d):\n%s", code, out.String())
	text := out.String()
	for _, want := range []string{"ADVISORY", "can already delete pods", "verbs=[delete]", "kubectl create clusterrolebinding viewer-view --clusterrole=view --user=viewer"} {
		if !strings.Contains(text, want) {
			t.Errorf("doctor output lacks %q", want)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
}
