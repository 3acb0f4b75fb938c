package guard

import (
	"fmt"
	"strings"
)

// K9s's kubeconfig override flags would change, inside K9s, what a
// context's requests carry: --user admin moved --context prod's requests
// onto another user entry's session token, which the gateway routes to
// another context (a delete went out with no prompt and no record);
// --cluster pointed them at another route (a 404 with a misleading
// message); --token replaced the session token (the gateway refused it and
// K9s showed "Context: n/a"); --certificate-authority and
// --insecure-skip-tls-verify and --client-certificate/--client-key are
// checked against, or sent to, the gateway rather than the cluster. None
// of them can mean what the user meant while K9s talks to the gateway, so
// k9s-guard refuses them at start, each with one line that says what to do
// instead, rather than letting any of them reroute a request in silence.
var overrideFlags = map[string]string{
	"--user":                     "choose a context whose user is the one you want (kubectl config set-context NAME --cluster C --user U), and protect it in the profile if it is on a protected server",
	"--cluster":                  "choose a context whose cluster is the one you want (kubectl config set-context NAME --cluster C --user U)",
	"--token":                    "put the token in a kubeconfig user entry and use a context with it",
	"--certificate-authority":    "set certificate-authority on the cluster entry in your kubeconfig",
	"--insecure-skip-tls-verify": "set insecure-skip-tls-verify on the cluster entry in your kubeconfig (and think twice)",
	"--client-certificate":       "set client-certificate on the user entry in your kubeconfig",
	"--client-key":               "set client-key on the user entry in your kubeconfig",
}

// refuseOverrides returns the one-line refusal of the first kubeconfig
// override flag on K9s's command line, or nil.
func refuseOverrides(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		name, _, _ := strings.Cut(a, "=")
		if hint, ok := overrideFlags[name]; ok {
			return fmt.Errorf("k9s-guard does not pass %s to K9s: K9s talks to the cluster through k9s-guard's gateway, where the flag would reroute or break the context's requests; %s", name, hint)
		}
	}
	return nil
}
