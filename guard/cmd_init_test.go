package guard

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k9s-guard/k9s-guard/profile"
)

const initTestKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: eu
  cluster: {server: "https://eu.example:6443"}
- name: dev
  cluster: {server: "https://dev.example:6443"}
- name: eks
  cluster: {server: "https://eks.example"}
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
  context: {cluster: dev, user: alice}
- name: "true"
  context: {cluster: dev, user: alice}
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
	h.env["KUBECONFIG"] = h.write(t, "kubeconfig", initTestKubeconfig)
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
		"kind-dev":         false,
		"delivery-staging": false, // "live" inside a word does not count
		"breakglass":       false,
		"weird*name":       false,
		"true":             false,
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
	h.env["KUBECONFIG"] = h.write(t, "kubeconfig", initTestKubeconfig)
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
