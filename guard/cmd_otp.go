package guard

import (
	"errors"
	"fmt"
	"io"
	"strings"

	otplib "github.com/pquerna/otp"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup/otp"
	"github.com/k9s-guard/k9s-guard/ui"
)

// otpFlags are shared by every otp subcommand.
type otpFlags struct {
	store   string
	file    string
	account string
	issuer  string
	profile string
	replace bool
	context string // enrol with this context's broker instead of locally
	invite  string
}

// maxSecretInput bounds what `otp import` reads; a secret or an otpauth
// URI is well under 1 KiB.
const maxSecretInput = 4096

func (a *App) otpCommand() *cobra.Command {
	var o otpFlags
	c := &cobra.Command{
		Use:   "otp",
		Short: "Enrol, import or check the one-time-passcode secret",
		Long: `Manages the TOTP secret behind k9s-guard's passcode prompt (RFC 6238: SHA-1,
6 digits, 30 seconds, as Google Authenticator and every other app expect).

The secret lives in the OS keyring (macOS Keychain, Secret Service on Linux);
where there is none it falls back to a file readable only by you. Settings come
from the flags, else the profile's otp: block, else the defaults below.

A secret is shown once, during enrolment, and never printed again: there is no
"otp show".`,
		Example: `  k9s-guard otp enroll                     # QR code for your phone, then confirm a code
  k9s-guard otp import < secret.txt        # an existing base32 secret or otpauth:// URI
  k9s-guard otp status                     # is a secret enrolled, and where`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	c.SetFlagErrorFunc(flagUsageError)
	pf := c.PersistentFlags()
	pf.StringVar(&o.store, "store", "", `where the secret is kept: "keyring" or "file" (default: profile otp.store, else keyring, falling back to file)`)
	pf.StringVar(&o.file, "file", "", "secret file for the file store (default: profile otp.file, else $XDG_DATA_HOME/k9s-guard/otp-secret.json); implies --store file")
	pf.StringVar(&o.account, "account", "", "account name shown in the authenticator app (default: profile otp.account, else user@host)")
	pf.StringVar(&o.issuer, "issuer", "", "issuer shown in the authenticator app (default: profile otp.issuer, else k9s-guard)")
	pf.StringVar(&o.profile, "profile", "", "profile whose otp: settings to use")

	enroll := &cobra.Command{
		Use:   "enroll",
		Short: "Create a secret, show it as a QR code, and save it once you type a code",
		Long: `Generates a new secret and shows it as a QR code and an otpauth:// URI on a
full-screen page. Scan it with an authenticator app, then type the code the app
shows: only a right code saves the secret, so a failed scan never locks you out.
The page uses the terminal's alternate screen, so the secret does not stay in
your scrollback.

Refuses to replace an enrolled secret unless --replace is given; replacing
makes the app's old entry useless.`,
		Example: `  k9s-guard otp enroll
  k9s-guard otp enroll --store file --account alice@laptop
  k9s-guard otp enroll --replace           # new phone`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.otpEnroll(cmd, o) },
	}
	enroll.Flags().BoolVar(&o.replace, "replace", false, "replace an already enrolled secret")
	enroll.Flags().StringVar(&o.context, "context", "", "enrol with this kubeconfig context's broker (broker mode): the secret goes to the cluster, not this machine")
	enroll.Flags().StringVar(&o.invite, "invite", "", "the invite an admin created (k9s-guard broker invite), for --context")

	imp := &cobra.Command{
		Use:   "import",
		Short: "Save an existing secret read from standard input",
		Long: `Reads a base32 secret (spaces, lower case and '=' padding are fine) or an
otpauth://totp/ URI from standard input and saves it. On a terminal it asks for
it without echo. It verifies no code: use it to share one secret between
machines, or to restore one from a password manager.

Only SHA-1, 6-digit, 30-second secrets are accepted, because those are the
codes k9s-guard checks.`,
		Example: `  k9s-guard otp import < secret.txt
  pass show k9s-guard | k9s-guard otp import --store file
  k9s-guard otp import                     # paste at the prompt`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.otpImport(o) },
	}
	imp.Flags().BoolVar(&o.replace, "replace", false, "replace an already enrolled secret")

	status := &cobra.Command{
		Use:   "status",
		Short: "Say whether a secret is enrolled, and where (never the secret)",
		Long: `Reports whether a secret is enrolled for the account and which store holds it,
and any lockout after wrong codes. It never prints the secret. Exits 1 when no
secret is enrolled, so scripts can run "otp status || otp enroll".`,
		Example: `  k9s-guard otp status
  k9s-guard otp status --account alice@laptop`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.otpStatus(o) },
	}
	c.AddCommand(enroll, imp, status)
	return c
}

// otpTarget is the resolved store and labels for one otp command.
type otpTarget struct {
	store     otp.SecretStore
	where     string
	account   string
	issuer    string
	statePath string
}

// otpTarget resolves flags, then the profile, then defaults. A profile
// that does not load is an error: silently using the defaults instead
// could save the secret somewhere the guard will not look.
func (a *App) otpTarget(o otpFlags) (otpTarget, error) {
	p, err := profile.Open(o.profile, a.Getenv)
	if err != nil {
		return otpTarget{}, fmt.Errorf("load profile: %w", err)
	}
	return a.otpTargetIn(p, o)
}

// otpTargetIn is otpTarget for a profile already loaded.
func (a *App) otpTargetIn(p *profile.Profile, o otpFlags) (otpTarget, error) {
	var err error
	kind := o.store
	if kind == "" && o.file != "" {
		kind = otp.StoreFile // --file alone means "use this file"
	}
	kind = otpFirstSet(kind, p.OTP.Store, otp.StoreKeyring)
	if kind != otp.StoreKeyring && kind != otp.StoreFile {
		return otpTarget{}, usageError("--store %q: expected keyring or file", kind)
	}
	t := otpTarget{
		account:   otpFirstSet(o.account, p.OTP.Account, otp.DefaultAccount(a.Getenv)),
		issuer:    otpFirstSet(o.issuer, p.OTP.Issuer, "k9s-guard"),
		statePath: otp.DefaultStatePath(a.Getenv),
	}
	// The otpauth label is "issuer:account"; a colon would split it wrongly.
	if strings.Contains(t.account, ":") || strings.Contains(t.issuer, ":") {
		return otpTarget{}, usageError("--account and --issuer must not contain ':'")
	}
	file := otpFirstSet(o.file, p.OTP.File, otp.DefaultSecretFile(a.Getenv))
	t.store, err = otp.OpenStore(kind, file)
	if err != nil {
		return otpTarget{}, err
	}
	t.where = fmt.Sprint(t.store)
	return t, nil
}

// refuseOverwrite stops enroll and import from silently replacing a
// working secret, which would lock the user out of every protected
// context until their phone is re-enrolled.
func (t otpTarget) refuseOverwrite(replace bool) error {
	_, err := t.store.Load(t.account)
	switch {
	case errors.Is(err, otp.ErrNoSecret):
		return nil
	case err != nil:
		return err
	case replace:
		return nil
	default:
		return fmt.Errorf("a secret is already enrolled for %s in the %s; pass --replace to replace it (the authenticator app's old entry then stops working)", t.account, t.where)
	}
}

func (a *App) otpEnroll(cmd *cobra.Command, o otpFlags) error {
	if o.context != "" {
		return a.otpEnrollBroker(cmd, o)
	}
	t, err := a.otpTarget(o)
	if err != nil {
		return err
	}
	if err := t.refuseOverwrite(o.replace); err != nil {
		return err
	}
	if !a.interactive() {
		return errors.New("otp enroll needs a terminal to show the QR code; to load an existing secret without one, use: k9s-guard otp import")
	}
	key, err := otp.NewKey(t.issuer, t.account)
	if err != nil {
		return err
	}
	secret := key.Secret()
	var confirmed string
	m, err := ui.NewEnroll(ui.EnrollOptions{
		Issuer:  t.issuer,
		Account: t.account,
		URI:     key.URL(),
		Where:   t.where,
		Check: func(code string) (bool, error) {
			ok, err := otp.CheckCode(secret, code, a.Now())
			if ok {
				confirmed = code
			}
			return ok, err
		},
		Save: func() error {
			if err := t.store.Save(t.account, secret); err != nil {
				return err
			}
			// The code that confirmed enrolment counts as used: it must not
			// also open a window within the same 30 seconds.
			_, _ = otp.NewVerifier(secret, t.statePath, a.Now).Verify(confirmed)
			return nil
		},
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
		fmt.Fprintf(a.Stdout, "enrolled %s (issuer %s); the secret is in the %s and will not be shown again\n", t.account, t.issuer, t.where)
		return nil
	case done.Aborted():
		fmt.Fprintln(a.Stderr, "enrolment cancelled; nothing was saved")
		return &ExitError{Code: exitCancelled}
	default:
		return errors.New("enrolment ended before a code was confirmed; nothing was saved")
	}
}

func (a *App) otpImport(o otpFlags) error {
	t, err := a.otpTarget(o)
	if err != nil {
		return err
	}
	if err := t.refuseOverwrite(o.replace); err != nil {
		return err
	}
	input, err := a.readSecretInput()
	if err != nil {
		return err
	}
	secret, err := secretFromInput(input)
	if err != nil {
		return fmt.Errorf("import secret: %w", err)
	}
	if err := t.store.Save(t.account, secret); err != nil {
		return fmt.Errorf("import secret: %w", err)
	}
	fmt.Fprintf(a.Stdout, "imported the secret for %s into the %s\n", t.account, t.where)
	return nil
}

// readSecretInput reads the secret without echoing it when stdin is a
// terminal, and up to maxSecretInput bytes from a pipe or file otherwise.
func (a *App) readSecretInput() (string, error) {
	if a.Stdin == nil {
		return "", errors.New("import secret: no standard input")
	}
	if fd := int(a.Stdin.Fd()); term.IsTerminal(fd) {
		fmt.Fprint(a.Stderr, "paste the base32 secret or otpauth:// URI, then press Enter (input is hidden): ")
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(a.Stderr)
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err)
		}
		return string(b), nil
	}
	b, err := io.ReadAll(io.LimitReader(a.Stdin, maxSecretInput+1))
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	if len(b) > maxSecretInput {
		return "", errors.New("import secret: input is larger than 4 KiB; expected one secret")
	}
	return string(b), nil
}

// secretFromInput accepts a bare base32 secret or an otpauth:// URI and
// returns the canonical secret. Errors never quote the input.
func secretFromInput(input string) (string, error) {
	input = strings.TrimSpace(input)
	if !strings.HasPrefix(strings.ToLower(input), "otpauth://") {
		return otp.NormaliseSecret(input)
	}
	key, err := otplib.NewKeyFromURL(input)
	if err != nil {
		// url.Parse errors quote the URL, secret included.
		return "", errors.New("not a valid otpauth:// URI")
	}
	switch {
	case key.Type() != "totp":
		return "", fmt.Errorf("the URI is for %q codes; k9s-guard uses time-based (totp) codes", key.Type())
	case key.Period() != uint64(otp.Period.Seconds()):
		return "", fmt.Errorf("the URI asks for %d-second codes; k9s-guard checks 30-second codes", key.Period())
	case key.Digits().Length() != otp.Digits:
		return "", fmt.Errorf("the URI asks for %d-digit codes; k9s-guard checks 6-digit codes", key.Digits().Length())
	case key.Algorithm() != otplib.AlgorithmSHA1:
		return "", fmt.Errorf("the URI asks for %s; k9s-guard checks SHA1 codes, as authenticator apps do by default", key.Algorithm())
	}
	return otp.NormaliseSecret(key.Secret())
}

func (a *App) otpStatus(o otpFlags) error {
	t, err := a.otpTarget(o)
	if err != nil {
		return err
	}
	_, err = t.store.Load(t.account)
	if errors.Is(err, otp.ErrNoSecret) {
		fmt.Fprintf(a.Stdout, "no secret enrolled for %s (looked in the %s)\nrun: k9s-guard otp enroll\n", t.account, t.where)
		return &ExitError{Code: exitFailure}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "a secret is enrolled for %s in the %s\n", t.account, t.where)
	failures, until, err := otp.LockStatus(t.statePath, a.Now())
	switch {
	case err != nil:
		fmt.Fprintf(a.Stdout, "lockout state unreadable: %v\n", err)
	case !until.IsZero():
		fmt.Fprintf(a.Stdout, "locked after %d wrong codes until %s\n", failures, until.Local().Format("15:04:05"))
	case failures > 0:
		fmt.Fprintf(a.Stdout, "%d wrong code(s) since the last right one\n", failures)
	}
	return nil
}

func otpFirstSet(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
