package broker

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/k9s-guard/k9s-guard/profile"
)

// init on a cluster that serves the broker's API proposes the broker as
// the protected context's elevation source, in place of a local one (the
// admin context on the same server, which the laptop could use without a
// code). The profile it writes loads, and says broker.
func TestInitProposesTheBrokerWhereItIsServed(t *testing.T) {
	u, _ := newUser(t)
	dir := t.TempDir()
	kc := prodAndOther(t, dir, u.token, "admin", tc.AdminToken)
	prof := filepath.Join(dir, "profile.yaml")
	cmd := exec.CommandContext(t.Context(), guardBin, "init", "--kubeconfig", kc, "--profile", prof)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "prod: elevates through the broker in the cluster") {
		t.Fatalf("init does not say it chose the broker for prod:\n%s", out)
	}
	p, err := profile.Load(prof)
	if err != nil {
		t.Fatalf("the profile init wrote does not load: %v", err)
	}
	pol := p.For("prod")
	if !pol.Protected || pol.Elevation.Kind != profile.ElevationBroker || pol.Elevation.Namespace != brokerNS {
		b, _ := os.ReadFile(prof)
		t.Fatalf("prod's policy is %+v, want protected with the broker in %s:\n%s", pol, brokerNS, b)
	}
}
