package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/stepup/otp"
)

// protection is everything a K9s session needs for step-up: the profile,
// the audit trail, the passcode verifier, the windows and the gateway.
type protection struct {
	prof     *profile.Profile
	log      *audit.Log // nil when the audit trail cannot be written: then no elevation
	logErr   error
	verifier *otp.Verifier // nil when no passcode is enrolled
	otpErr   error
	windows  *stepup.Windows
	gw       *kube.Gateway
	// routes is how each context of the kubeconfig is protected in the
	// session: the profile's rules, carried over to the contexts that
	// reach a protected server by another road (kube.Routes).
	routes *kube.Routes
}

// policy is the session's policy of a context.
func (p *protection) policy(context string) profile.Policy {
	if p.routes == nil {
		return p.prof.For(context)
	}
	return p.routes.For(context)
}

// askerProxy lets the gateway start before the prompter exists. The
// gateway's goroutines call Ask while the launcher sets the prompter, so
// the function is held atomically.
type askerProxy struct {
	f atomic.Pointer[askFunc]
}

type askFunc = func(ctx context.Context, req kube.StepUpRequest) (bool, error)

// set installs the function Ask calls from now on.
func (p *askerProxy) set(f askFunc) { p.f.Store(&f) }

func (p *askerProxy) Ask(ctx context.Context, req kube.StepUpRequest) (bool, error) {
	f := p.f.Load()
	if f == nil {
		return false, errors.New("k9s-guard is not ready to ask for a passcode")
	}
	return (*f)(ctx, req)
}

// setUpProtection opens the audit trail and the passcode verifier and
// starts the gateway. A gateway that does not start stops everything
// (exit 2); a broken audit trail or a missing passcode only means nothing
// can be elevated (fail closed), so K9s still runs for reading.
func setUpProtection(ctx context.Context, cfg Config, session string) (*protection, *askerProxy, error) {
	p := &protection{prof: cfg.Profile}
	prof := cfg.Profile
	var err error
	logPath := prof.Audit.File
	if logPath == "" {
		logPath = audit.DefaultPath(cfg.Getenv)
	}
	opts := audit.Options{Now: cfg.Now, Session: session, OnSinkError: func(error) {}}
	if s := prof.Audit.Syslog; s != nil {
		opts.Sinks = append(opts.Sinks, &audit.SyslogSink{Network: s.Network, Addr: s.Address})
	}
	rules := kube.LoadingRules(cfg.Kubeconfig, cfg.Getenv)
	if p.routes, err = kube.PlanRoutes(rules, prof); err != nil {
		return nil, nil, fmt.Errorf("start the credential gateway: %w", err)
	}
	// A protected context whose elevation source is missing or on another
	// server would take a right code and then elevate nothing; say so now.
	if err := p.routes.CheckElevationSources(rules); err != nil {
		return nil, nil, err
	}
	if p.log, err = audit.Open(logPath, opts); err != nil {
		p.logErr = fmt.Errorf("audit trail %s: %w", logPath, err)
	} else if err = p.log.CheckWritable(); err != nil {
		_ = p.log.Close()
		p.log, p.logErr = nil, fmt.Errorf("audit trail %s: %w", logPath, err)
	}
	if p.logErr != nil && p.routes.AnyProtected() {
		// Fail closed before K9s starts: a session whose records would be
		// lost must not reach a protected context at all.
		p.close()
		return nil, nil, fmt.Errorf("%w; k9s-guard does not start while protected contexts cannot be audited (free space or fix the path, or move the trail with the profile's audit.file)", p.logErr)
	}
	if t := cfg.OTP; t.Err != nil {
		p.otpErr = t.Err
	} else if secret, err := t.Store.Load(t.Account); err != nil {
		if errors.Is(err, otp.ErrNoSecret) {
			p.otpErr = errors.New("no passcode enrolled: run `k9s-guard otp enroll`")
		} else {
			p.otpErr = fmt.Errorf("read the passcode secret: %w", err)
		}
	} else {
		p.verifier = otp.NewVerifier(secret, t.StatePath, cfg.Now)
	}

	p.windows = stepup.NewWindows(stepup.SystemWindowClock())
	proxy := &askerProxy{}
	var as string
	var asGroups []string
	for i, arg := range cfg.K9sArgs {
		if v, ok := flagValue(cfg.K9sArgs, i, arg, "--as"); ok {
			as = v
		}
		if v, ok := flagValue(cfg.K9sArgs, i, arg, "--as-group"); ok {
			asGroups = append(asGroups, v)
		}
	}
	// The Kubernetes libraries log to stderr, which would draw over K9s.
	kube.RedirectKlog(func(string, ...any) {})
	p.gw, err = kube.Start(ctx, kube.Config{
		LoadingRules: rules,
		Context:      cfg.Context,
		As:           as,
		AsGroups:     asGroups,
		Policies:     p.policy,
		Asker:        proxy,
		Windows:      p.windows,
		Audit:        p.record,
	})
	if err != nil {
		p.close()
		return nil, nil, fmt.Errorf("start the credential gateway: %w", err)
	}
	return p, proxy, nil
}

func flagValue(args []string, i int, arg, name string) (string, bool) {
	if v, ok := strings.CutPrefix(arg, name+"="); ok {
		return v, true
	}
	if arg == name && i+1 < len(args) {
		return args[i+1], true
	}
	return "", false
}

// record appends to the audit trail; without one it reports why.
func (p *protection) record(r audit.Record) error {
	if p.log == nil {
		return fmt.Errorf("the audit trail cannot be written (%v): elevation is refused", p.logErr)
	}
	return p.log.Append(r)
}

func (p *protection) close() {
	if p.windows != nil {
		p.windows.CloseAll(stepup.CloseExit)
	}
	if p.gw != nil {
		_ = p.gw.Close()
	}
	if p.log != nil {
		_ = p.log.Close()
	}
}
