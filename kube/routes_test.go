package kube

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/profile"
)

// testbedLike is the shape of the test bed's kubeconfig: admin, dev and
// prod on one cluster entry, and "other" on another server.
func testbedLike(t *testing.T) (*clientcmd.ClientConfigLoadingRules, *clientcmdapi.Config) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["bed"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443", CertificateAuthorityData: []byte("CA1")}
	cfg.Clusters["bed-copy"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443/", CertificateAuthorityData: []byte("CA1")}
	cfg.Clusters["elsewhere"] = &clientcmdapi.Cluster{Server: "https://10.0.0.9:6443", CertificateAuthorityData: []byte("CA2")}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: "admin-token"}
	cfg.AuthInfos["viewer"] = &clientcmdapi.AuthInfo{Token: "viewer-token"}
	cfg.Contexts["admin"] = &clientcmdapi.Context{Cluster: "bed", AuthInfo: "admin"}
	cfg.Contexts["dev"] = &clientcmdapi.Context{Cluster: "bed", AuthInfo: "viewer"}
	cfg.Contexts["prod"] = &clientcmdapi.Context{Cluster: "bed", AuthInfo: "viewer"}
	cfg.Contexts["copy"] = &clientcmdapi.Context{Cluster: "bed-copy", AuthInfo: "admin"}
	cfg.Contexts["other"] = &clientcmdapi.Context{Cluster: "elsewhere", AuthInfo: "admin"}
	cfg.CurrentContext = "dev"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, cfg
}

func mustProfile(t *testing.T, text string) *profile.Profile {
	t.Helper()
	p, err := profile.Parse("profile.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestElevationSourceIsNeverUnprotected stops this attack: the session
// kubeconfig holds every context, so a plugin ran `kubectl --context
// admin delete pod ...` through the admin context that elevates prod, as
// admin and with no prompt, even though the profile said
// `admin: {protected: false}` (as init wrote it).
func TestElevationSourceIsNeverUnprotected(t *testing.T) {
	rules, _ := testbedLike(t)
	prof := mustProfile(t, `version: 1
contexts:
  admin:
    protected: false
  prod:
    elevation:
      context: admin
`)
	rt, err := PlanRoutes(rules, prof)
	if err != nil {
		t.Fatal(err)
	}
	p := rt.Protection("admin")
	if !p.Policy.Protected || p.From != "prod" || !strings.Contains(p.Why, "elevation source of prod") {
		t.Fatalf("admin: protected=%v from=%q why=%q; want protected with prod's rule as its elevation source", p.Policy.Protected, p.From, p.Why)
	}
	if !rt.For("admin").Requires("delete") {
		t.Error("a delete in admin needs no step-up")
	}
	if got := rt.For("admin").Context; got != "admin" {
		t.Errorf("inherited policy names context %q, want admin", got)
	}
}

// TestSameServerContextIsProtected stops this attack: an unprotected
// context on the same server as a protected one (the test bed's dev, or a
// copy of the cluster entry under another name) was a way around prod's
// prompt. Unless the profile names it, it carries prod's rule; a context
// the profile names keeps its own word, and another server is left alone.
func TestSameServerContextIsProtected(t *testing.T) {
	rules, _ := testbedLike(t)
	prof := mustProfile(t, `version: 1
contexts:
  prod:
    elevation:
      impersonate: {user: root}
`)
	rt, err := PlanRoutes(rules, prof)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"admin", "dev", "copy"} {
		p := rt.Protection(c)
		if !p.Policy.Protected || p.From != "prod" || !strings.Contains(p.Why, "same server and CA as prod") {
			t.Errorf("%s: protected=%v from=%q why=%q; want prod's rule (same server and CA)", c, p.Policy.Protected, p.From, p.Why)
		}
	}
	if rt.For("other").Protected {
		t.Error("a context on another server was protected")
	}

	explicit := mustProfile(t, `version: 1
contexts:
  dev:
    protected: false
  prod:
    elevation:
      impersonate: {user: root}
`)
	rt, err = PlanRoutes(rules, explicit)
	if err != nil {
		t.Fatal(err)
	}
	if rt.For("dev").Protected {
		t.Error("dev is protected although the profile says protected: false")
	}
	if !rt.For("admin").Protected {
		t.Error("admin (same server, not named) is not protected")
	}
	if got := len(rt.Inherited()); got != 2 { // admin and copy
		t.Errorf("Inherited() has %d entries, want 2: %+v", got, rt.Inherited())
	}
}

// TestMissingElevationSourceIsAStartError stops this failure: a protected
// context whose elevation context did not exist was accepted, the right
// code opened a window, and K9s then failed with "access denied" while the
// audit trail ended at window.open. It is now refused at start, located at
// the profile key that names the source.
func TestMissingElevationSourceIsAStartError(t *testing.T) {
	rules, _ := testbedLike(t)
	for _, tc := range []struct {
		name, profile, want string
	}{
		{"missing", "version: 1\ncontexts:\n  prod:\n    elevation:\n      context: admn\n",
			`profile.yaml:5:16: contexts.prod.elevation.context: elevation of "prod": context "admn" is not in the kubeconfig (contexts there: admin, copy, dev, other, prod)`},
		{"other server", "version: 1\ncontexts:\n  prod:\n    elevation:\n      context: other\n",
			`profile.yaml:5:16: contexts.prod.elevation.context: elevation of "prod": context "other" points at https://10.0.0.9:6443, not at "prod"'s server https://127.0.0.1:6443`},
		{"from defaults", "version: 1\ndefaults:\n  elevation:\n    context: nope\ncontexts:\n  prod: {}\n",
			`profile.yaml:4:14: defaults.elevation.context: elevation of "prod": context "nope" is not in the kubeconfig`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt, err := PlanRoutes(rules, mustProfile(t, tc.profile))
			if err != nil {
				t.Fatal(err)
			}
			err = rt.CheckElevationSources(rules)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant an error containing %s", err, tc.want)
			}
		})
	}
	rt, err := PlanRoutes(rules, mustProfile(t, "version: 1\ncontexts:\n  prod:\n    elevation:\n      context: copy\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.CheckElevationSources(rules); err != nil {
		t.Errorf("a source on the same server (spelt with a trailing slash) was refused: %v", err)
	}
}

// TestRenamedContextKeepsItsProtection: a context K9s renamed in the
// session keeps its rule under the new name, so the key watcher, which
// reads the new name off K9s's header, still guards it.
func TestRenamedContextKeepsItsProtection(t *testing.T) {
	rules, _ := testbedLike(t)
	rt, err := PlanRoutes(rules, mustProfile(t, "version: 1\ncontexts:\n  prod:\n    elevation:\n      context: admin\n"))
	if err != nil {
		t.Fatal(err)
	}
	rt.Alias("prod-2", "prod")
	rt.Alias("prod-3", "prod-2")
	for _, n := range []string{"prod-2", "prod-3"} {
		if pol := rt.For(n); !pol.Protected || pol.Context != n || pol.Elevation.Context != "admin" {
			t.Errorf("%s: %+v, want prod's rule", n, pol)
		}
	}
}
