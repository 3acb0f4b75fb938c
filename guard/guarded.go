package guard

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
)

// protection is everything a K9s session needs for step-up: the profile,
// the audit trail, the passcode verifier, the windows and the gateway.
type protection struct {
	prof     *profile.Profile
	log      *audit.Log // nil when the audit trail cannot be written: then no elevation
	logErr   error
	verifier *stepup.Verifier // nil when no passcode is enrolled
	otpErr   error
	windows  *stepup.Windows
	gw       *kube.Gateway
	asker    kube.Asker
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

// setUpProtection loads the profile and starts the gateway. A bad profile
// stops everything (exit 2); a broken audit trail or a missing passcode
// only means nothing can be elevated (fail closed), so K9s still runs for
// reading.
func (a *App) setUpProtection(ctx context.Context, la launchArgs, session string) (*protection, *askerProxy, error) {
	prof, err := profile.Open(la.Profile, a.Getenv)
	if err != nil {
		return nil, nil, &ExitError{Code: 2, Err: err}
	}
	p := &protection{prof: prof}
	logPath := prof.Audit.File
	if logPath == "" {
		logPath = audit.DefaultPath(a.Getenv)
	}
	opts := audit.Options{Now: a.Now, Session: session, OnSinkError: func(error) {}}
	if s := prof.Audit.Syslog; s != nil {
		opts.Sinks = append(opts.Sinks, &audit.SyslogSink{Network: s.Network, Addr: s.Address})
	}
	if p.log, err = audit.Open(logPath, opts); err != nil {
		p.logErr = fmt.Errorf("audit trail %s: %w", logPath, err)
	}
	if t, err := a.otpTarget(otpFlags{profile: la.Profile}); err != nil {
		p.otpErr = err
	} else if secret, err := t.store.Load(t.account); err != nil {
		if errors.Is(err, stepup.ErrNoSecret) {
			p.otpErr = errors.New("no passcode enrolled: run `k9s-guard otp enroll`")
		} else {
			p.otpErr = fmt.Errorf("read the passcode secret: %w", err)
		}
	} else {
		p.verifier = stepup.NewVerifier(secret, t.statePath, a.Now)
	}

	p.windows = stepup.NewWindows(stepup.SystemWindowClock())
	proxy := &askerProxy{}
	var as string
	var asGroups []string
	for i, arg := range la.K9sArgs {
		if v, ok := flagValue(la.K9sArgs, i, arg, "--as"); ok {
			as = v
		}
		if v, ok := flagValue(la.K9sArgs, i, arg, "--as-group"); ok {
			asGroups = append(asGroups, v)
		}
	}
	// The Kubernetes libraries log to stderr, which would draw over K9s.
	kube.RedirectKlog(func(string, ...any) {})
	p.gw, err = kube.Start(ctx, kube.Config{
		LoadingRules: kube.LoadingRules(la.Kubeconfig, a.Getenv),
		Context:      la.Context,
		As:           as,
		AsGroups:     asGroups,
		Policies:     p.policyFor,
		Asker:        proxy,
		Windows:      p.windows,
		Audit:        p.auditGateway,
	})
	if err != nil {
		p.close()
		return nil, nil, &ExitError{Code: 2, Err: fmt.Errorf("start the credential gateway: %w", err)}
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

// policyFor turns the profile's rules for a context into the gateway's.
func (p *protection) policyFor(ctxName string) kube.ContextPolicy {
	return KubePolicy(p.prof.For(ctxName))
}

// record appends to the audit trail; without one it reports why.
func (p *protection) record(r audit.Record) error {
	if p.log == nil {
		return fmt.Errorf("the audit trail cannot be written (%v): elevation is refused", p.logErr)
	}
	return p.log.Append(r)
}

func (p *protection) auditGateway(ev kube.AuditEvent) error {
	r := audit.Record{
		Event: audit.Event(ev.Event), Context: ev.Context, Server: ev.Server, Action: ev.Action, Verb: ev.Verb,
		Group: ev.Group, Resource: ev.Resource, Subresource: ev.Subresource, Namespace: ev.Namespace, Name: ev.Name,
		Status: ev.Status, Source: ev.Source, CredentialID: ev.CredentialID, Reason: ev.Reason, Message: ev.Message,
		BaseIdentity: ev.BaseIdentity, ElevatedIdentity: ev.ElevatedIdentity,
	}
	if !ev.Deadline.IsZero() {
		d := ev.Deadline.UTC()
		r.Deadline = &d
	}
	return p.record(r)
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
