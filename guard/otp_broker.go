package guard

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/stepup/otp"
	"github.com/k9s-guard/k9s-guard/ui"
)

// otpEnrollBroker is `otp enroll --context NAME`: the same QR page, but
// the confirmed secret goes to the context's broker (with the user's own
// credentials and the admin's invite) and nothing is saved on this
// machine.
func (a *App) otpEnrollBroker(cmd *cobra.Command, o otpFlags) error {
	if !a.interactive() {
		return errors.New("otp enroll needs a terminal to show the QR code")
	}
	rules := kube.LoadingRules("", a.Getenv)
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.context}).ClientConfig()
	if err != nil {
		return fmt.Errorf("context %q: %w", o.context, err)
	}
	issuer := o.issuer
	if issuer == "" {
		issuer = "k9s-guard " + o.context
	}
	account := o.account
	if account == "" {
		account = o.context
	}
	key, err := otp.NewKey(issuer, account)
	if err != nil {
		return err
	}
	secret := key.Secret()
	var confirmed string
	m, err := ui.NewEnroll(ui.EnrollOptions{
		Issuer: issuer, Account: account, URI: key.URL(), Where: "broker of " + o.context,
		Check: func(code string) (bool, error) {
			ok, err := otp.CheckCode(secret, code, a.Now())
			if ok {
				confirmed = code
			}
			return ok, err
		},
		Save: func() error { return kube.EnrolWithBroker(cmd.Context(), rc, secret, confirmed, o.invite) },
	})
	if err != nil {
		return err
	}
	final, err := a.newProgram(cmd.Context(), m).Run()
	if err != nil {
		return fmt.Errorf("enrolment screen: %w", err)
	}
	done, _ := final.(ui.Enroll)
	switch {
	case done.Saved():
		fmt.Fprintf(a.Stdout, "enrolled with the broker of %s; the secret is only in the cluster and your app\n", o.context)
		return nil
	case done.Aborted():
		fmt.Fprintln(a.Stderr, "enrolment cancelled; nothing was sent")
		return &ExitError{Code: exitCancelled}
	default:
		return errors.New("enrolment ended before the broker accepted it")
	}
}
