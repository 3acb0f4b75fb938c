// Package initcmd_test runs `k9s-guard init` against the test cluster: with
// the API server reachable, init asks it (SelfSubjectAccessReview, with each
// context's own credentials) which context on the same server may do the
// most, rather than trusting names. It lives apart from the gateway tests
// because it builds the whole orchestrator package.
package initcmd_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/guard"
	"github.com/k9s-guard/k9s-guard/profile"
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

// kubeconfig writes a copy of the test cluster's kubeconfig changed by
// edit, so each test shapes its own contexts without touching the shared
// one.
func kubeconfig(t *testing.T, edit func(cfg *clientcmdapi.Config)) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(testCluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// addProdAdmin adds a prod-admin context whose static token is in
// system:masters, next to the testbed's own contexts.
func addProdAdmin(cfg *clientcmdapi.Config) {
	cfg.AuthInfos["prod-admin"] = &clientcmdapi.AuthInfo{Token: testCluster.AdminToken}
	cfg.Contexts["prod-admin"] = &clientcmdapi.Context{Cluster: cluster.ClusterName, AuthInfo: "prod-admin", Namespace: "shop"}
}

type initRun struct {
	code    int
	stderr  string
	text    string // the profile written
	profile *profile.Profile
}

func runInit(t *testing.T, kc string) initRun {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "profile.yaml")
	var stdout, stderr bytes.Buffer
	app := &guard.App{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string {
		if k == "HOME" {
			return dir
		}
		return ""
	}, Now: time.Now}
	r := initRun{code: app.Run(context.Background(), []string{"init", "--kubeconfig", kc, "--profile", out})}
	r.stderr = stderr.String()
	t.Logf("k9s-guard init (exit %d):\n%s", r.code, r.stderr)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r.text = string(b)
	if r.profile, err = profile.Load(out); err != nil {
		t.Fatalf("the profile init wrote does not load: %v", err)
	}
	// Asking the API server uses every context's credentials; none of them
	// may end up in what init writes or prints.
	for _, secret := range []string{testCluster.AdminToken, testCluster.ViewerToken, testCluster.ImpersonatorToken} {
		if strings.Contains(r.text, secret) || strings.Contains(r.stderr, secret) {
			t.Error("init wrote or printed a token")
		}
	}
	return r
}

// comment returns the profile's comment lines above and inside a context's
// rule, joined into one line so that wrapped sentences can be looked for.
func (r initRun) comment(name string) string {
	lines := strings.Split(r.text, "\n")
	for i, l := range lines {
		if l != "  "+name+":" {
			continue
		}
		start, end := i, i+1
		for start > 0 && strings.HasPrefix(lines[start-1], "  #") {
			start--
		}
		for end < len(lines) && lines[end] != "" {
			end++
		}
		return strings.Join(strings.Fields(strings.ReplaceAll(strings.Join(lines[start:end], "\n"), "#", "")), " ")
	}
	return ""
}

func elevationOf(t *testing.T, r initRun, name string) string {
	t.Helper()
	pol := r.profile.For(name)
	if !pol.Protected || pol.Elevation.Kind != profile.ElevationContext {
		t.Fatalf("%s: protected %v, elevation %v", name, pol.Protected, pol.Elevation)
	}
	return pol.Elevation.Context
}

// The kubeconfig: dev's user is called dev-admin but is the
// read-only viewer, and dev sorts before prod-admin, the real admin. A
// choice by name took dev; the API server says prod-admin.
func TestInitAsksTheServerWhichContextMayDoMore(t *testing.T) {
	kc := kubeconfig(t, func(cfg *clientcmdapi.Config) {
		delete(cfg.Contexts, cluster.ContextAdmin)
		cfg.AuthInfos["dev-admin"] = &clientcmdapi.AuthInfo{Token: testCluster.ViewerToken}
		cfg.Contexts[cluster.ContextDev].AuthInfo = "dev-admin"
		addProdAdmin(cfg)
	})
	r := runInit(t, kc)
	if got := elevationOf(t, r, cluster.ContextProd); got != "prod-admin" {
		t.Errorf("prod elevates to %s, want prod-admin", got)
	}
	why := r.comment(cluster.ContextProd)
	for _, want := range []string{
		"Asked " + testCluster.Server + " what each context on it may do in namespace shop:",
		"prod-admin everything (* on *)",
		"dev none of: delete pods, patch deployments, read secrets, exec into pods",
		"imp none of:",
		"prod (this one) none of:",
		"prod-admin may do the most.",
	} {
		if !strings.Contains(why, want) {
			t.Errorf("prod's comment lacks %q:\n%s", want, why)
		}
	}
	if !strings.Contains(r.stderr, "prod: elevates to prod-admin, chosen by asking the API server: it may do everything (* on *); prod itself: none of:") {
		t.Errorf("stderr does not say why prod-admin")
	}
	// prod-admin looks like production too; nothing on the server may do
	// more than it already does.
	if got := elevationOf(t, r, "prod-admin"); got != "prod-admin" {
		t.Errorf("prod-admin elevates to %s, want itself", got)
	}
	if c := r.comment("prod-admin"); !strings.Contains(c, "None of them may do more than prod-admin itself.") ||
		!strings.Contains(c, "Its own credentials may already do everything (* on *), so the passcode is only advisory there") {
		t.Errorf("prod-admin's comment:\n%s", c)
	}
	if strings.Contains(r.stderr, "guessed") || !strings.Contains(r.stderr, "next: review the elevation of each protected context") {
		t.Errorf("every choice was asked, yet stderr says otherwise")
	}
}

// The testbed as the quickstart uses it: prod elevates to admin, the one
// context the API server says may do everything.
func TestInitOnTheTestbedKubeconfig(t *testing.T) {
	r := runInit(t, testCluster.Kubeconfig)
	if got := elevationOf(t, r, cluster.ContextProd); got != cluster.ContextAdmin {
		t.Errorf("prod elevates to %s, want admin", got)
	}
	for _, n := range []string{cluster.ContextAdmin, cluster.ContextDev, cluster.ContextImp} {
		if r.profile.For(n).Protected {
			t.Errorf("%s is protected", n)
		}
	}
	if why := r.comment(cluster.ContextProd); !strings.Contains(why, "admin may do the most.") || !strings.Contains(why, "admin everything (* on *)") {
		t.Errorf("prod's comment:\n%s", why)
	}
}

// Two contexts may do everything: the name breaks the tie, and the profile
// says so.
func TestInitBreaksATieByName(t *testing.T) {
	r := runInit(t, kubeconfig(t, addProdAdmin))
	if got := elevationOf(t, r, cluster.ContextProd); got != "prod-admin" {
		t.Errorf("prod elevates to %s, want prod-admin", got)
	}
	want := `prod-admin may do as much as admin, and is chosen because its name says "admin" and its name shares "prod" with prod and its user prod-admin says "admin".`
	if why := r.comment(cluster.ContextProd); !strings.Contains(why, want) {
		t.Errorf("prod's comment lacks %q:\n%s", want, why)
	}
}
