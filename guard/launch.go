package guard

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/k9s-guard/k9s-guard/guard/session"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/pty"
)

// launch resolves what a K9s session needs — the K9s binary, the terminal,
// the profile and the passcode store, each once — and runs the session.
// It returns K9s's exit code.
func (a *App) launch(ctx context.Context, la launchArgs) (int, error) {
	k9s, err := a.findK9s(la.K9s)
	if err != nil {
		return exitUsage, err
	}
	if err := checkNotNested(a.Getenv, k9s); err != nil {
		return exitUsage, &ExitError{Code: exitUsage, Err: err}
	}
	if err := refuseOverrides(la.K9sArgs); err != nil {
		return exitUsage, &ExitError{Code: exitUsage, Err: err}
	}
	k9sCheck := a.checkK9sVersion(ctx, k9s)
	term, err := pty.NewTerminal(a.Stdin, a.Stdout)
	if err != nil {
		return exitUsage, &ExitError{Code: exitUsage, Err: err}
	}
	size, err := term.Size()
	if err != nil {
		return exitUsage, &ExitError{Code: exitUsage, Err: err}
	}

	// Signals are caught before anything slow (the keyring probe) and
	// before K9s starts, so none is lost in between.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGWINCH)
	defer signal.Stop(sigs)

	prof, err := profile.Open(la.Profile, a.Getenv)
	if err != nil {
		return exitUsage, &ExitError{Code: exitUsage, Err: err}
	}
	cfg := session.Config{
		Terminal: term, Size: size, Signals: sigs,
		Stderr: a.Stderr, Getenv: a.Getenv, Now: a.Now, Version: Version(),
		K9s: k9s, K9sArgs: la.K9sArgs, Context: la.Context, Kubeconfig: la.Kubeconfig,
		K9sWarning: k9sCheck.warning, K9sEnv: nestedEnv(a.Getenv),
		Profile: prof,
	}
	// The profile is read once, above, and the OS keyring probed once, here.
	if t, err := a.otpTargetIn(prof, otpFlags{profile: la.Profile}); err != nil {
		cfg.OTP.Err = err
	} else {
		cfg.OTP = session.OTP{Store: t.store, Account: t.account, StatePath: t.statePath}
	}
	code, err := session.Run(ctx, cfg)
	if err != nil {
		return code, &ExitError{Code: code, Err: err}
	}
	return code, nil
}
