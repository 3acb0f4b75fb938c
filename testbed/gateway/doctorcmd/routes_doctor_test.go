package doctorcmd_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/k9s-guard/k9s-guard/guard"
)

// doctor runs `k9s-guard doctor` on the test bed with a profile.
func doctor(t *testing.T, profileText string) (int, string) {
	t.Helper()
	dir := t.TempDir()
	prof := filepath.Join(dir, "profile.yaml")
	if err := os.WriteFile(prof, []byte(profileText), 0o600); err != nil {
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
	return code, out.String()
}

// TestDoctorSaysWhichContextsTheSessionProtects stops this surprise and
// this gap: the admin context that elevates prod, and dev on prod's
// server and CA, were usable without a code, and nothing said so. Doctor
// now lists them with the reason the session protects them, and fails on
// an elevation source that does not exist, as the session would.
func TestDoctorSaysWhichContextsTheSessionProtects(t *testing.T) {
	_, text := doctor(t, "version: 1\ncontexts:\n  prod:\n    elevation: {context: admin}\n  dev:\n    protected: false\n")
	for _, want := range []string{
		"also protected in a session, with the rule of the context named:",
		"  admin: the elevation source of prod\n",
		"  imp: on the same server and CA as prod\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("doctor output lacks %q", want)
		}
	}
	if strings.Contains(text, "  dev: ") {
		t.Error("doctor says dev is protected, although the profile says protected: false")
	}

	code, text := doctor(t, "version: 1\ncontexts:\n  prod:\n    elevation: {context: admn}\n")
	if code != 1 || !strings.Contains(text, `contexts.prod.elevation.context: elevation of "prod": context "admn" is not in the kubeconfig`) {
		t.Errorf("missing elevation source: exit %d\n%s", code, text)
	}
}

// TestDoctorFindsAnOpenRoad stops this attack: a context with admin
// credentials on prod's server, which the profile leaves unprotected on
// purpose, let a plugin run `kubectl --context admin delete pod ...` with
// no prompt. Doctor asks the API server what such a context's own
// credentials can do, names it as a way around prod's prompt, and fails;
// a read-only one (dev) passes.
func TestDoctorFindsAnOpenRoad(t *testing.T) {
	code, text := doctor(t, `version: 1
contexts:
  prod:
    elevation: {serviceAccount: {namespace: k9s-guard-system, name: break-glass}}
  admin:
    protected: false
  dev:
    protected: false
`)
	if code != 1 || !strings.Contains(text, "open road: admin is on the same server and CA as prod, the profile leaves it unprotected, and its own credentials can delete pods") {
		t.Errorf("exit %d; doctor does not name admin as an open road:\n%s", code, text)
	}
	if strings.Contains(text, "open road: dev") {
		t.Error("the read-only dev context is called an open road")
	}
}
