package initcmd_test

import (
	"strings"
	"testing"

	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// TestInitDoesNotLeaveTheElevationSourceOpen stops this misconfiguration:
// init wired the test bed's admin context up as prod's elevation source
// and wrote it down as `protected: false`, and dev (same server, same CA)
// too, so a plugin could act as admin, or around prod's prompt, without a
// code. Init now leaves them out of the profile with a comment saying why,
// and says on its output which contexts a session protects and why.
func TestInitDoesNotLeaveTheElevationSourceOpen(t *testing.T) {
	r := runInit(t, testCluster.Kubeconfig)
	for name, why := range map[string]string{
		cluster.ContextAdmin: "the elevation source of prod",
		cluster.ContextDev:   "on the same server and CA as prod",
		cluster.ContextImp:   "on the same server and CA as prod",
	} {
		if strings.Contains(r.text, "\n  "+name+":\n    protected: false") {
			t.Errorf("init wrote %s down as unprotected:\n%s", name, r.text)
		}
		if !strings.Contains(r.stderr, "  "+name+": "+why+"\n") {
			t.Errorf("init does not say that %s is protected in a session (%s)", name, why)
		}
	}
	if !strings.Contains(r.text, "  # admin is the elevation source of prod: in a k9s-guard session it always") {
		t.Errorf("the profile does not explain admin:\n%s", r.text)
	}
}
