package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// The names docs/rbac.md uses.
const (
	docGroup     = "sre"
	docNamespace = "k9s-guard-system"
	docSA        = "break-glass"
	docUser      = "break-glass"
)

// yamlBlocks returns the ```yaml blocks of a Markdown file, with the line
// each starts on.
func yamlBlocks(t *testing.T, path string) (blocks []string, lines []int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cur *strings.Builder
	for i, l := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.TrimSpace(l) == "```yaml":
			cur = &strings.Builder{}
			lines = append(lines, i+2)
		case cur != nil && strings.TrimSpace(l) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(l + "\n")
		}
	}
	if cur != nil {
		t.Fatalf("%s: unterminated ```yaml block", path)
	}
	return blocks, lines
}

// isKubernetes reports whether every document of a block is an API object.
func isKubernetes(t *testing.T, block string) bool {
	t.Helper()
	for _, doc := range regexp.MustCompile(`(?m)^---$`).Split(block, -1) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil || head.APIVersion == "" || head.Kind == "" {
			return false
		}
	}
	return true
}

// TestRBACRecipes applies every Kubernetes block of docs/rbac.md to a real
// API server with kubectl, parses every profile block with the profile
// loader, and then checks, as the identities the page names, that each can
// do what its comments promise and nothing more.
func TestRBACRecipes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	doc := filepath.Join("..", "..", "docs", "rbac.md")
	blocks, starts := yamlBlocks(t, doc)
	var kube []string
	profiles := 0
	for i, b := range blocks {
		switch {
		case isKubernetes(t, b):
			kube = append(kube, b)
		case strings.HasPrefix(b, "version: 1\n"):
			profiles++
			if _, err := profile.Parse(fmt.Sprintf("rbac.md:%d", starts[i]), []byte(b)); err != nil {
				t.Errorf("profile block at rbac.md:%d does not load: %v", starts[i], err)
			}
		default:
			t.Errorf("rbac.md:%d: a yaml block that is neither Kubernetes objects nor a profile", starts[i])
		}
	}
	if len(kube) < 4 || profiles < 2 {
		t.Fatalf("found %d Kubernetes and %d profile blocks; the page has more", len(kube), profiles)
	}

	tools := toolsDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Options{BinDir: tools})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	adminCfg, err := c.RESTConfig(cluster.ContextAdmin)
	if err != nil {
		t.Fatal(err)
	}
	adm := kubernetes.NewForConfigOrDie(adminCfg)
	removeTestbedElevation(ctx, t, adm)

	for i, b := range kube {
		cmd := exec.CommandContext(ctx, filepath.Join(tools, "kubectl"), "--kubeconfig", c.Kubeconfig, "--context", cluster.ContextAdmin, "apply", "-f", "-")
		cmd.Stdin = strings.NewReader(b)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kubectl apply of block %d: %v\n%s", i+1, err, out)
		}
	}

	as := func(user string, groups ...string) *kubernetes.Clientset {
		rc := rest.CopyConfig(adminCfg)
		rc.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
		return kubernetes.NewForConfigOrDie(rc)
	}
	alice := as("alice", docGroup)
	pod := somePod(ctx, t, adm)

	t.Run("everyday identity reads but cannot change", func(t *testing.T) {
		// The aggregated view and edit roles are filled in by the controller
		// manager; wait until view has its rules.
		waitFor(t, "the view ClusterRole to be aggregated", func() error {
			_, err := alice.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
			return err
		})
		if _, err := alice.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("list nodes: %v", err)
		}
		forbidden(t, "delete a pod", alice.CoreV1().Pods("shop").Delete(ctx, pod, metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}))
		_, err := alice.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{})
		forbidden(t, "list Secrets", err)
		_, err = alice.CoreV1().Secrets(docNamespace).List(ctx, metav1.ListOptions{})
		forbidden(t, "list Secrets in "+docNamespace, err)
		for _, ra := range []authorizationv1.ResourceAttributes{
			{Namespace: "shop", Verb: "create", Resource: "pods", Subresource: "exec"},
			{Namespace: "shop", Verb: "create", Resource: "pods", Subresource: "portforward"},
			{Namespace: "shop", Verb: "patch", Group: "apps", Resource: "deployments"},
			{Verb: "impersonate", Resource: "users", Name: "admin"},
			{Verb: "impersonate", Resource: "groups", Name: "system:masters"},
			{Verb: "impersonate", Resource: "serviceaccounts", Namespace: docNamespace, Name: docSA},
			{Namespace: docNamespace, Verb: "create", Resource: "serviceaccounts", Subresource: "token", Name: "default"},
		} {
			if allowed(ctx, t, adm, "alice", ra) {
				t.Errorf("alice may %s %s/%s %s", ra.Verb, ra.Resource, ra.Subresource, ra.Name)
			}
		}
	})

	t.Run("serviceAccount source mints, uses and revokes a bound token", func(t *testing.T) {
		// What k9s-guard does when a window opens (kube/elevation.go).
		sec, err := alice.CoreV1().Secrets(docNamespace).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "k9s-guard-grant-", Labels: map[string]string{"app.kubernetes.io/managed-by": "k9s-guard"}},
			Type:       corev1.SecretTypeOpaque,
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create the grant Secret: %v", err)
		}
		exp := int64(600)
		tr, err := alice.CoreV1().ServiceAccounts(docNamespace).CreateToken(ctx, docSA, &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{
				ExpirationSeconds: &exp,
				BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Secret", APIVersion: "v1", Name: sec.Name, UID: sec.UID},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("mint a token: %v", err)
		}
		_, err = alice.CoreV1().ServiceAccounts(docNamespace).CreateToken(ctx, "default", &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp},
		}, metav1.CreateOptions{})
		forbidden(t, "mint a token for another ServiceAccount", err)
		// Reading the grant Secret back is not needed, and not allowed.
		_, err = alice.CoreV1().Secrets(docNamespace).Get(ctx, sec.Name, metav1.GetOptions{})
		forbidden(t, "get the grant Secret", err)

		rc := rest.AnonymousClientConfig(adminCfg)
		rc.BearerToken = tr.Status.Token
		elevated := kubernetes.NewForConfigOrDie(rc)
		waitFor(t, "the edit ClusterRole to be aggregated", func() error {
			return elevated.CoreV1().Pods("shop").Delete(ctx, pod, metav1.DeleteOptions{})
		})
		_, err = elevated.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Errorf("elevated: list Secrets: %v", err)
		}
		_, err = elevated.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "escalate"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: "alice"}},
		}, metav1.CreateOptions{})
		forbidden(t, "elevated: bind cluster-admin", err)

		// Revocation: the window ends, k9s-guard deletes the Secret, the
		// API server stops accepting the token.
		if err := alice.CoreV1().Secrets(docNamespace).Delete(ctx, sec.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatalf("delete the grant Secret: %v", err)
		}
		waitFor(t, "the token to be rejected", func() error {
			_, err := elevated.CoreV1().Namespaces().Get(ctx, "shop", metav1.GetOptions{})
			if apierrors.IsUnauthorized(err) {
				return nil
			}
			return fmt.Errorf("token still works (err %v)", err)
		})
	})

	// The attack the admission policy stops: a legacy, never-expiring token
	// Secret for the break-glass account, created with the "create secrets"
	// right the minting Role has to grant.
	t.Run("no legacy token Secret for break-glass", func(t *testing.T) {
		legacy := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "steal", Annotations: map[string]string{corev1.ServiceAccountNameKey: docSA}},
			Type:       corev1.SecretTypeServiceAccountToken,
		}
		var err error
		waitFor(t, "the admission policy to take effect", func() error {
			_, err = alice.CoreV1().Secrets(docNamespace).Create(ctx, legacy, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			if err == nil {
				return errors.New("a service-account-token Secret was accepted")
			}
			return nil
		})
		if !apierrors.IsInvalid(err) && !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "k9s-guard") {
			t.Errorf("refused for another reason than the policy: %v", err)
		}
		// Unlabelled Opaque Secrets are refused too; the grant shape is not.
		_, err = alice.CoreV1().Secrets(docNamespace).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil {
			t.Error("an unlabelled Secret was accepted in " + docNamespace)
		}
	})

	t.Run("impersonate source reaches break-glass and nothing else", func(t *testing.T) {
		if !allowed(ctx, t, adm, "alice", authorizationv1.ResourceAttributes{Verb: "impersonate", Resource: "users", Name: docUser}) {
			t.Error("alice may not impersonate " + docUser)
		}
		bg := as(docUser)
		pod := somePod(ctx, t, adm)
		if err := bg.CoreV1().Pods("shop").Delete(ctx, pod, metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Errorf("as %s: delete a pod: %v", docUser, err)
		}
		_, err := bg.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "escalate"}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		forbidden(t, "as "+docUser+": create a ClusterRole", err)
	})
}

// removeTestbedElevation deletes the test bed's own break-glass grants, so
// that only what the page's YAML grants is in force.
func removeTestbedElevation(ctx context.Context, t *testing.T, cs *kubernetes.Clientset) {
	t.Helper()
	for _, name := range []string{"testbed:break-glass-sa", "testbed:break-glass-group", "testbed:impersonator"} {
		if err := cs.RbacV1().ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	if err := cs.RbacV1().RoleBindings(cluster.BreakGlassNamespace).Delete(ctx, "testbed:mint-break-glass", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}

func somePod(ctx context.Context, t *testing.T, cs *kubernetes.Clientset) string {
	t.Helper()
	var name string
	waitFor(t, "a pod in shop", func() error {
		pods, err := cs.CoreV1().Pods("shop").List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil {
				name = p.Name
				return nil
			}
		}
		return errors.New("no pod")
	})
	return name
}

func allowed(ctx context.Context, t *testing.T, cs *kubernetes.Clientset, user string, ra authorizationv1.ResourceAttributes) bool {
	t.Helper()
	r, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: []string{docGroup, "system:authenticated"}, ResourceAttributes: &ra},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Status.Allowed
}

func forbidden(t *testing.T, what string, err error) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: got %v, want Forbidden", what, err)
	}
}

// waitFor polls f until it returns nil or 30 s pass.
func waitFor(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond) // polling the API server with a deadline
	}
}

func toolsDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("K9S_GUARD_TOOLS")
	if d == "" {
		var err error
		if d, err = filepath.Abs(filepath.Join("..", "..", ".tools", "bin")); err != nil {
			t.Fatal(err)
		}
	}
	for _, bin := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kubectl"} {
		if _, err := os.Stat(filepath.Join(d, bin)); err != nil {
			t.Fatalf("%s missing in %s: run `make tools`", bin, d)
		}
	}
	return d
}
