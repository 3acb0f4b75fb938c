package broker

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// `k9s-guard doctor` with the broker source proves the base identity
// cannot elevate by itself: an everyday user passes; the test bed's viewer
// fails, because it may mint tokens of the break-glass ServiceAccount (a
// right limited to one named object, which an access review without a
// name would miss) and is not allowed to ask the broker.
func TestDoctorProvesTheBaseIdentityCannotElevate(t *testing.T) {
	u, _ := newUser(t)
	dir := t.TempDir()
	kc := prodAndOther(t, dir, u.token, "viewer", tc.ViewerToken)
	prof := filepath.Join(dir, "profile.yaml")
	if err := os.WriteFile(prof, []byte("version: 1\ncontexts:\n  \"*\":\n    protected: true\n    elevation:\n      broker: {namespace: "+brokerNS+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doctor := func(context string) (string, error) {
		cmd := exec.CommandContext(t.Context(), guardBin, "doctor", "--kubeconfig", kc, "--profile", prof, "--context", context)
		cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := doctor("prod"); err != nil {
		t.Fatalf("doctor for an everyday user: %v\n%s", err, out)
	}
	out, err := doctor("viewer")
	if err == nil {
		t.Fatalf("doctor passed the viewer, who can mint break-glass tokens:\n%s", out)
	}
	for _, want := range []string{"ElevationRequests", "mint ServiceAccount tokens (break-glass, in k9s-guard-system)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("doctor does not say %q for the viewer:\n%s", want, out)
		}
	}
	_ = cluster.UserViewer
}
