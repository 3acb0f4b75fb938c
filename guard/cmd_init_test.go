package guard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/profile"
)

// initTestKubeconfig is a kubeconfig whose API servers are loopback ports
// nobody listens on: init finds every cluster unreachable, and guesses.
// (testbed/gateway/initcmd runs init against a real API server.)
func initTestKubeconfig(t *testing.T) string {
	t.Helper()
	ports := closedPorts(t, 4)
	return fmt.Sprintf(initTestKubeconfigFormat, ports[0], ports[1], ports[2], ports[3])
}

// closedPorts returns loopback ports that were free a moment ago, so a
// connection to them is refused at once.
func closedPorts(t *testing.T, n int) []int {
	t.Helper()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l.Addr().(*net.TCPAddr).Port)
		defer l.Close()
	}
	return out
}

const initTestKubeconfigFormat = `apiVersion: v1
kind: Config
clusters:
- name: eu
  cluster: {server: "https://127.0.0.1:%d"}
- name: dev
  cluster: {server: "https://127.0.0.1:%d"}
- name: eks
  cluster: {server: "https://127.0.0.1:%d/eks"}
- name: lab
  cluster: {server: "https://127.0.0.1:%d"}
users:
- name: alice
  user: {token: t}
- name: eu-admin
  user: {token: t}
contexts:
- name: prod-eu
  context: {cluster: eu, user: alice}
- name: breakglass
  context: {cluster: eu, user: eu-admin}
- name: kind-dev
  context: {cluster: dev, user: alice}
- name: delivery-staging
  context: {cluster: dev, user: alice}
- name: gke_acme_europe-west1_live-shop
  context: {cluster: dev, user: alice}
- name: "arn:aws:eks:eu-west-1:123456789012:cluster/prd"
  context: {cluster: eks, user: alice}
- name: "weird*name"
  context: {cluster: lab, user: alice}
- name: "true"
  context: {cluster: lab, user: alice}
current-context: kind-dev
`

type initHarness struct {
	app    *App
	env    map[string]string
	stdout bytes.Buffer
	stderr bytes.Buffer
	dir    string
}

func newInitHarness(t *testing.T) *initHarness {
	t.Helper()
	h := &initHarness{dir: t.TempDir()}
	h.env = map[string]string{
		"HOME":            h.dir,
		"XDG_CONFIG_HOME": filepath.Join(h.dir, "config"),
	}
	h.app = &App{
		Stdout: &h.stdout,
		Stderr: &h.stderr,
		Getenv: func(k string) string { return h.env[k] },
		Now:    func() time.Time { return time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC) },
	}
	return h
}

func (h *initHarness) write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(h.dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (h *initHarness) run(args ...string) int {
	h.stdout.Reset()
	h.stderr.Reset()
	return h.app.Run(context.Background(), args)
}

func TestInitWritesAProfileThatLoads(t *testing.T) {
	h := newInitHarness(t)
	h.env["KUBECONFIG"] = h.write(t, "kubeconfig", initTestKubeconfig(t))
	if code := h.run("init"); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	path := filepath.Join(h.dir, "config", "k9s-guard", "profile.yaml")
	if !strings.Contains(h.stdout.String(), path) {
		t.Errorf("stdout does not name the file: %q", h.stdout.String())
	}
	p, err := profile.Load(path)
	if err != nil {
		t.Fatalf("generated profile does not load: %v", err)
	}

	protected := map[string]bool{
		"prod-eu":                         true,
		"gke_acme_europe-west1_live-shop": true,
		"arn:aws:eks:eu-west-1:123456789012:cluster/prd": true,
		"weird*name": false,
		"true":       false,
	}
	for name, want := range protected {
		pol := p.For(name)
		if pol.Protected != want {
			t.Errorf("%s: protected = %v, want %v", name, pol.Protected, want)
		}
		if pol.Match == "" {
			t.Errorf("%s: not listed in the profile", name)
		}
	}
	// Contexts that reach a protected server by another road are not
	// written down as unprotected: the session protects them, and init
	// says so. "live" inside delivery-staging does not make it production,
	// but its server does.
	raw, err := clientcmd.LoadFromFile(h.env["KUBECONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	rt := kube.PlanRoutesFrom(raw, nil, p)
	for name, why := range map[string]string{
		"breakglass":       "the elevation source of prod-eu",
		"kind-dev":         "on the same server and CA as gke_acme_europe-west1_live-shop",
		"delivery-staging": "on the same server and CA as gke_acme_europe-west1_live-shop",
	} {
		if p.For(name).Match != "" {
			t.Errorf("%s is listed in the profile, which would override the session's protection", name)
		}
		if pr := rt.Protection(name); !pr.Policy.Protected || pr.Why != why {
			t.Errorf("%s in a session: protected=%v why=%q, want %q", name, pr.Policy.Protected, pr.Why, why)
		}
		if !strings.Contains(h.stderr.String(), "  "+name+": "+why+"\n") {
			t.Errorf("init does not say %s is protected (%s):\n%s", name, why, h.stderr.String())
		}
	}
	// The admin context on the same cluster is the guessed elevation.
	if e := p.For("prod-eu").Elevation; e.Kind != profile.ElevationContext || e.Context != "breakglass" {
		t.Errorf("prod-eu elevation = %v", e)
	}
	// A context name with glob characters is escaped to match only itself.
	if m := p.For("weirdXname").Match; m != "" {
		t.Errorf("weirdXname matched %q", m)
	}
	if !strings.Contains(h.stderr.String(), "protected: arn:aws") || !strings.Contains(h.stderr.String(), "otp enroll") {
		t.Errorf("summary: %s", h.stderr.String())
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("profile mode %04o", info.Mode().Perm())
	}
}

func TestInitNeverOverwrites(t *testing.T) {
	h := newInitHarness(t)
	h.env["KUBECONFIG"] = h.write(t, "kubeconfig", initTestKubeconfig(t))
	target := h.write(t, "mine.yaml", "version: 1\n# my edits\n")
	if code := h.run("init", "--profile", target); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(h.stderr.String(), "already exists") {
		t.Errorf("stderr: %s", h.stderr.String())
	}
	if b, _ := os.ReadFile(target); string(b) != "version: 1\n# my edits\n" {
		t.Errorf("file changed: %q", b)
	}
}

func TestInitMergesKubeconfigListAndHonoursFlag(t *testing.T) {
	h := newInitHarness(t)
	a := h.write(t, "a", "apiVersion: v1\nkind: Config\ncontexts:\n- name: prod-a\n  context: {cluster: c}\n")
	b := h.write(t, "b", "apiVersion: v1\nkind: Config\ncontexts:\n- name: dev-b\n  context: {cluster: c}\n")
	h.env["KUBECONFIG"] = a + string(os.PathListSeparator) + b
	out := filepath.Join(h.dir, "out.yaml")
	if code := h.run("init", "--profile", out); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	p, err := profile.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if !p.For("prod-a").Protected || p.For("dev-b").Match != "dev-b" {
		t.Errorf("KUBECONFIG list not merged: %+v", p.Contexts)
	}

	// --kubeconfig wins over KUBECONFIG.
	out2 := filepath.Join(h.dir, "out2.yaml")
	if code := h.run("init", "--profile", out2, "--kubeconfig", b); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	p, err = profile.Load(out2)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Contexts["prod-a"]; ok {
		t.Error("--kubeconfig did not replace KUBECONFIG")
	}
}

func TestInitWithoutContexts(t *testing.T) {
	h := newInitHarness(t) // HOME has no .kube/config
	out := filepath.Join(h.dir, "p.yaml")
	if code := h.run("init", "--profile", out); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	if _, err := profile.Load(out); err != nil {
		t.Fatalf("empty starter does not load: %v", err)
	}
	if !strings.Contains(h.stderr.String(), "no contexts") {
		t.Errorf("stderr: %s", h.stderr.String())
	}
	// Nothing is protected, so there is no elevation to review.
	if strings.Contains(h.stderr.String(), "review the elevation") || !strings.Contains(h.stderr.String(), "next: add the contexts to protect") {
		t.Errorf("next step after an empty kubeconfig: %s", h.stderr.String())
	}
}

func TestInitWithNothingProtected(t *testing.T) {
	h := newInitHarness(t)
	ports := closedPorts(t, 1)
	h.env["KUBECONFIG"] = h.write(t, "kubeconfig", fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- {name: c, cluster: {server: "https://127.0.0.1:%d"}}
users:
- {name: u, user: {token: t}}
contexts:
- {name: dev, context: {cluster: c, user: u}}
- {name: staging, context: {cluster: c, user: u}}
`, ports[0]))
	if code := h.run("init", "--profile", filepath.Join(h.dir, "p.yaml")); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	if msg := h.stderr.String(); !strings.Contains(msg, "2 contexts, none protected") || strings.Contains(msg, "review the elevation") || !strings.Contains(msg, "next: set protected: true") {
		t.Errorf("stderr: %s", msg)
	}
}

// With every API server unreachable, init guesses from the names, and says
// so in the profile and on stderr.
func TestInitSaysItGuessedWhenUnreachable(t *testing.T) {
	h := newInitHarness(t)
	h.env["KUBECONFIG"] = h.write(t, "kubeconfig", initTestKubeconfig(t))
	out := filepath.Join(h.dir, "p.yaml")
	if code := h.run("init", "--profile", out); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	block := contextBlock(string(text), "prod-eu")
	for _, want := range []string{"Guessed (no answer from https://127.0.0.1:", "connection refused", `breakglass is on the same API server and its user eu-admin says "admin"`, "k9s-guard doctor"} {
		if !strings.Contains(unwrap(block), want) {
			t.Errorf("prod-eu's comment lacks %q:\n%s", want, block)
		}
	}
	if msg := h.stderr.String(); !strings.Contains(msg, "prod-eu: elevates to breakglass, guessed (no answer from https://127.0.0.1:") ||
		!strings.Contains(msg, "next: check the guessed elevation of") {
		t.Errorf("stderr: %s", msg)
	}
	// The ARN's cluster has no admin-looking context: it elevates to itself
	// and says why.
	arn := contextBlock(string(text), `"arn:aws:eks:eu-west-1:123456789012:cluster/prd"`)
	if !strings.Contains(arn, "context: \"arn:aws") || !strings.Contains(arn, "No other context in the kubeconfig is on the same API server") {
		t.Errorf("ARN block:\n%s", arn)
	}
}

// unwrap joins wrapped comment lines, so a test can look for a sentence.
func unwrap(block string) string { return oneLine(strings.ReplaceAll(block, "#", "")) }

// contextBlock returns the lines of the generated profile from the comment
// before a context's key to its elevation.
func contextBlock(text, key string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l != "  "+key+":" {
			continue
		}
		start := i
		for start > 0 && strings.HasPrefix(lines[start-1], "  #") {
			start--
		}
		end := i + 1
		for end < len(lines) && lines[end] != "" {
			end++
		}
		return strings.Join(lines[start:end], "\n")
	}
	return ""
}

// Attack (surprise side effect): init must not run a credential plugin that
// may prompt (kubelogin opens a browser for an OIDC login) just to ask what
// a context may do. A plugin declared interactiveMode: Never is run.
func TestInitRunsOnlyNonInteractivePlugins(t *testing.T) {
	h := newInitHarness(t)
	ports := closedPorts(t, 1)
	plugin := func(name string) string {
		return h.write(t, name, "#!/bin/sh\ntouch \"$0.ran\"\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"x\"}}'\n")
	}
	prompting, quiet := plugin("login-plugin"), plugin("quiet-plugin")
	for _, p := range []string{prompting, quiet} {
		if err := os.Chmod(p, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	h.env["KUBECONFIG"] = h.write(t, "kubeconfig", fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- {name: c, cluster: {server: "https://127.0.0.1:%d"}}
users:
- {name: me, user: {token: t}}
- name: oidc-admin
  user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: %q, interactiveMode: IfAvailable}}
- name: robot
  user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: %q, interactiveMode: Never}}
contexts:
- {name: prod, context: {cluster: c, user: me}}
- {name: prod-admin, context: {cluster: c, user: oidc-admin}}
- {name: robot, context: {cluster: c, user: robot}}
`, ports[0], prompting, quiet))
	out := filepath.Join(h.dir, "p.yaml")
	if code := h.run("init", "--profile", out); code != 0 {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	if _, err := os.Stat(prompting + ".ran"); err == nil {
		t.Error("init ran a credential plugin that may prompt")
	}
	if _, err := os.Stat(quiet + ".ran"); err != nil {
		t.Errorf("init did not ask with the interactiveMode: Never plugin: %v", err)
	}
	text, _ := os.ReadFile(out)
	block := unwrap(contextBlock(string(text), "prod"))
	if !strings.Contains(block, "prod-admin was not asked: its credentials come from the plugin login-plugin, which may prompt") || !strings.Contains(block, "context: prod-admin") {
		t.Errorf("prod block: %s", block)
	}
}

func TestInitMissingExplicitKubeconfig(t *testing.T) {
	h := newInitHarness(t)
	if code := h.run("init", "--kubeconfig", filepath.Join(h.dir, "nope")); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if code := h.run("init", "extra-arg"); code != 2 {
		t.Errorf("stray argument: exit %d, want 2", code)
	}
}

func TestLooksLikeProduction(t *testing.T) {
	cases := map[string]string{
		"prod": "prod", "production": "prod", "eu-prd-1": "prd", "myprod": "prod", "live-shop": "live",
		"PROD-EU": "prod", "delivery": "", "dev": "", "olive": "", "staging": "",
	}
	for name, want := range cases {
		if got := looksLikeProduction(name); got != want {
			t.Errorf("looksLikeProduction(%q) = %q, want %q", name, got, want)
		}
	}
}

// access builds what an API server would answer for a context: the labels
// of the AccessChecks it allows.
func access(name string, allowed ...string) kube.ContextAccess {
	a := kube.ContextAccess{Context: name, Checks: kube.AccessChecks("shop")}
	for i := range a.Checks {
		a.Checks[i].Allowed = slices.Contains(allowed, a.Checks[i].Label) || slices.Contains(allowed, "all")
	}
	return a
}

func TestDecideElevation(t *testing.T) {
	cfg := clientcmdapi.NewConfig()
	for ctx, user := range map[string]string{"prod": "viewer", "dev": "dev-admin", "prod-admin": "root", "admin": "admin", "ops": "ops", "sre": "sre", "breakglass": "bg-admin"} {
		cfg.Contexts[ctx] = &clientcmdapi.Context{Cluster: "c", AuthInfo: user, Namespace: "shop"}
	}
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443"}
	refused := kube.ContextAccess{Err: errors.New("dial tcp 127.0.0.1:6443: connect: connection refused"), Unreachable: true}
	down := func(name string) kube.ContextAccess { a := refused; a.Context = name; return a }
	viewer := access("prod")
	cases := []struct {
		name   string
		own    kube.ContextAccess
		cands  []kube.ContextAccess
		want   string
		asked  bool
		reason string
	}{
		// The issue: dev's user says "admin" and dev sorts first, but the
		// API server says only prod-admin may do anything.
		{"most capable wins over the name", viewer, []kube.ContextAccess{access("dev"), access("prod-admin", "all")}, "prod-admin", true, "prod-admin may do the most"},
		{"more checks win", viewer, []kube.ContextAccess{access("admin", "delete pods"), access("ops", "delete pods", "read secrets")}, "ops", true, "ops may do the most"},
		{"a tie goes to the name", viewer, []kube.ContextAccess{access("admin", "all"), access("prod-admin", "all")}, "prod-admin", true, `prod-admin may do as much as admin, and is chosen because its name says "admin" and its name shares "prod" with prod`},
		{"a tie goes to the better hint", viewer, []kube.ContextAccess{access("ops", "all"), access("dev", "all")}, "dev", true, `dev may do as much as ops, and is chosen because its user dev-admin says "admin".`},
		{"a tie of equal hints goes to the first name", viewer, []kube.ContextAccess{access("sre", "all"), access("ops", "all"), access("dev")}, "ops", true, "ops may do as much as sre, and is chosen because its name sorts first."},
		{"nobody may do more", access("prod", "delete pods"), []kube.ContextAccess{access("dev", "delete pods"), access("ops")}, "prod", true, "None of them may do more than prod itself.\nIts own credentials may already do delete pods, so the passcode is only advisory there"},
		{"nobody may do anything", viewer, []kube.ContextAccess{access("dev"), access("ops")}, "prod", true, "None of them may do more than prod itself."},
		{"own credentials rejected", kube.ContextAccess{Context: "prod", Err: errors.New("the server rejected the credentials (401)")}, []kube.ContextAccess{access("ops", "delete pods")}, "ops", true, "ops may do the most"},
		{"unreachable: guess from the names", down("prod"), []kube.ContextAccess{down("dev"), down("ops"), down("prod-admin")}, "prod-admin", false, `Guessed (no answer from https://127.0.0.1:6443: dial tcp 127.0.0.1:6443: connect: connection refused): prod-admin is on the same API server and its name says "admin" and its name shares "prod" with prod.`},
		{"unreachable, no admin names", down("prod"), []kube.ContextAccess{down("ops")}, "prod", false, "Not known which other context may do more (no answer from https://127.0.0.1:6443"},
		{"an unasked admin beats weaker answers", viewer, []kube.ContextAccess{access("ops"), {Context: "breakglass", NotAsked: "its credentials come from the plugin x, which may prompt for a login"}}, "breakglass", false, `Guessed (breakglass was not asked: its credentials come from the plugin x, which may prompt for a login): breakglass is on the same API server and its user bg-admin says "admin".`},
		{"no other context", viewer, nil, "prod", true, "No other context in the kubeconfig is on the same API server."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := decideElevation(cfg, "prod", "shop", c.own, c.cands)
			why := strings.Join(got.Why, "\n")
			if got.Context != c.want || got.Asked != c.asked || !strings.Contains(why, c.reason) {
				t.Errorf("chose %s (asked %v), want %s (asked %v) because %q; why:\n%s", got.Context, got.Asked, c.want, c.asked, c.reason, why)
			}
			if got.Asked && len(c.cands) > 0 && !strings.Contains(why, "Asked https://127.0.0.1:6443 what each context on it may do in namespace shop:") {
				t.Errorf("an asked choice does not show what the server said:\n%s", why)
			}
			if !strings.Contains(got.Summary, c.want) && c.want != "prod" {
				t.Errorf("summary does not name the choice: %s", got.Summary)
			}
		})
	}
}

func TestSameServer(t *testing.T) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["a"] = &clientcmdapi.Cluster{Server: "https://API.example:443/"}
	cfg.Clusters["a2"] = &clientcmdapi.Cluster{Server: "https://api.example"}
	cfg.Clusters["b"] = &clientcmdapi.Cluster{Server: "https://api.example/other"}
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://api.example:6443"}
	cfg.Clusters["none"] = &clientcmdapi.Cluster{}
	for ctx, cl := range map[string]string{"prod": "a", "admin": "a2", "path": "b", "port": "c", "x": "none", "y": "none", "z": "missing"} {
		cfg.Contexts[ctx] = &clientcmdapi.Context{Cluster: cl}
	}
	if got := sameServer(cfg, "prod"); !slices.Equal(got, []string{"admin"}) {
		t.Errorf("sameServer(prod) = %v, want [admin]", got)
	}
	if got := sameServer(cfg, "x"); !slices.Equal(got, []string{"y"}) {
		t.Errorf("sameServer(x) = %v, want [y] (same cluster entry, no server)", got)
	}
	cfg.Clusters["a"].Server = "https://alice:secret@api.example/"
	if got := serverLabel(cfg, "prod"); got != "https://api.example" {
		t.Errorf("serverLabel = %q: user information must not reach the profile", got)
	}
}
