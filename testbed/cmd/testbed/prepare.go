package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// demoAccount is the name the demo passcode has in the authenticator app.
const demoAccount = "demo@k9s-guard"

// demoProfile protects two of the testbed's contexts, each with another
// elevation source; dev stays unprotected for comparison.
func demoProfile(secretFile string) string {
	return fmt.Sprintf(`# k9s-guard demo profile (written by make demo)
version: 1
contexts:
  %[1]s:                       # read-only viewer; steps up to the admin context
    protected: true
    window: 5m
    elevation:
      context: %[2]s
  %[3]s:                        # impersonator; steps up by impersonating break-glass
    protected: true
    window: 2m
    elevation:
      impersonate: {user: %[4]s, groups: [%[5]q]}
otp:
  store: file
  file: %[6]s
  account: %[7]s
`, cluster.ContextProd, cluster.ContextAdmin, cluster.ContextImp, cluster.UserBreakGlass, cluster.GroupBreakGlass, secretFile, demoAccount)
}

// prepareDemo writes the demo profile and enrols a demo passcode secret:
// `k9s-guard otp enroll` shows its QR code for the user's authenticator app
// (and the otpauth URI, for oathtool users) and saves it once a code is typed.
// Enrolment takes the store, file and account from the profile (found
// through K9S_GUARD_PROFILE), exactly as the guard will when it checks a
// code, so the two cannot disagree on where the secret is.
func prepareDemo(ctx context.Context, home, guard, kubeconfig string, env []string) error {
	secret := filepath.Join(home, "otp-secret.json")
	if err := os.WriteFile(filepath.Join(home, "profile.yaml"), []byte(demoProfile(secret)), 0o600); err != nil {
		return fmt.Errorf("write demo profile: %w", err)
	}
	fmt.Fprintf(os.Stderr, `
k9s-guard demo: contexts %q and %q are protected, %q is not.
Next: scan the QR code with your authenticator app and type the code it shows.
Then, in K9s, press Ctrl-K on a pod: k9s-guard asks for a fresh code.
To watch from another terminal: KUBECONFIG=%s kubectl --context %s get pods -n shop -w
`, cluster.ContextProd, cluster.ContextImp, cluster.ContextDev, kubeconfig, cluster.ContextAdmin)
	cmd := exec.CommandContext(ctx, guard, "otp", "enroll")
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("enrol the demo passcode: %w", err)
	}
	return nil
}
