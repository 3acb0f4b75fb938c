package guard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/profile"
)

type doctorFlags struct {
	profile    string
	kubeconfig string
	context    string
	timeout    time.Duration
}

func (a *App) doctorCommand() *cobra.Command {
	var o doctorFlags
	c := &cobra.Command{
		Use:   "doctor [--profile FILE] [--kubeconfig FILE] [--context NAME]",
		Short: "Check that step-up really protects each protected context",
		Long: `For every context the profile protects, doctor asks the API server
(SelfSubjectAccessReview) what your everyday credentials can already do. If
they can delete pods, patch deployments, read secrets or exec into pods, the
one-time passcode is only advisory there: the API server would let those
requests through without it. Doctor says so and shows the RBAC rules to remove.

It then checks the context's elevation source: that the elevated credentials
authenticate and can do what the everyday ones cannot. For a serviceAccount
source it mints a real short-lived token, uses it, deletes the Secret the
token is bound to, and checks that the API server then rejects the token.

Exit status 1 when any check fails.`,
		Example: `  k9s-guard doctor
  k9s-guard doctor --context prod --kubeconfig ~/.kube/work.yaml`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDoctor(cmd.Context(), o) },
	}
	c.SetFlagErrorFunc(flagUsageError)
	c.Flags().StringVar(&o.profile, "profile", "", "profile file (default $XDG_CONFIG_HOME/k9s-guard/profile.yaml, or $K9S_GUARD_PROFILE)")
	c.Flags().StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig (default $KUBECONFIG, else ~/.kube/config)")
	c.Flags().StringVar(&o.context, "context", "", "check only this context")
	c.Flags().DurationVar(&o.timeout, "timeout", time.Minute, "time allowed per context")
	return c
}

func (a *App) runDoctor(ctx context.Context, o doctorFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	prof, err := profile.Open(o.profile, a.Getenv)
	if err != nil {
		return err
	}
	rules := kube.LoadingRules(o.kubeconfig, a.Getenv)
	raw, err := rules.Load()
	if err != nil {
		return fmt.Errorf("load kubeconfig: %w", err)
	}
	var names []string
	for n := range raw.Contexts {
		if o.context != "" && n != o.context {
			continue
		}
		if prof.For(n).Protected {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if o.context != "" && len(names) == 0 {
		if _, ok := raw.Contexts[o.context]; !ok {
			return usageError("context %q is not in the kubeconfig", o.context)
		}
		fmt.Fprintf(a.Stdout, "context %s is not protected by the profile (%s); nothing to check\n", o.context, prof.Path)
		return nil
	}
	if len(names) == 0 {
		fmt.Fprintf(a.Stdout, "the profile (%s) protects none of the kubeconfig's contexts; nothing to check\n", prof.Path)
		return nil
	}

	var ds []kube.Diagnosis
	for _, n := range names {
		cctx, cancel := context.WithTimeout(ctx, o.timeout)
		ds = append(ds, kube.Diagnose(cctx, rules, n, prof.For(n).Elevation))
		cancel()
	}
	failed := printDoctor(a.Stdout, ds)
	// The session protects more than the profile names; say which, so a
	// prompt in "dev" is no surprise and an unguarded road is visible.
	rt := kube.PlanRoutesFrom(raw, rules, prof)
	printInherited(a.Stdout, rt)
	roads := a.checkOpenRoads(ctx, o, rules, raw, rt)
	if err := rt.CheckElevationSources(rules); err != nil {
		fmt.Fprintf(a.Stdout, "a session will not start until this is fixed:\n%s\n", err)
		if failed == 0 {
			return &ExitError{Code: exitFailure, Err: errors.New("an elevation source of the profile is missing or on another server")}
		}
	}
	if failed > 0 {
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("%d of %d protected contexts failed the checks", failed, len(ds))}
	}
	if roads > 0 {
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("%d unprotected %s can act on a protected server without a code", roads, plural(roads, "context"))}
	}
	return nil
}

// printDoctor prints the table and, below it, what to do about each
// failing context. It returns how many contexts failed.
func printDoctor(w io.Writer, ds []kube.Diagnosis) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"CONTEXT", "BASE IDENTITY"}
	for _, c := range kube.DangerousChecks("") {
		header = append(header, "BASE CAN "+strings.ToUpper(c.Label))
	}
	header = append(header, "ELEVATION", "ELEVATED IDENTITY", "RESULT")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, d := range ds {
		row := []string{d.Context, orDash(d.BaseIdentity)}
		checks := d.Base
		if len(checks) == 0 {
			checks = kube.DangerousChecks("")
			for i := range checks {
				checks[i].Err = d.BaseErr
			}
		}
		for _, c := range checks {
			switch {
			case c.Err != nil:
				row = append(row, "?")
			case c.Allowed:
				row = append(row, "YES")
			default:
				row = append(row, "no")
			}
		}
		row = append(row, d.Elevation.String(), orDash(d.ElevatedIdentity), doctorResult(d))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	_ = tw.Flush()

	failed := 0
	for _, d := range ds {
		notes := doctorNotes(d)
		if len(notes) == 0 {
			continue
		}
		failed++
		fmt.Fprintf(w, "\n%s:\n", d.Context)
		for _, n := range notes {
			fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(n, "\n", "\n  "))
		}
	}
	return failed
}

func doctorResult(d kube.Diagnosis) string {
	var bad []string
	if d.BaseErr != nil {
		bad = append(bad, "unreachable")
	}
	if d.Advisory() {
		bad = append(bad, "ADVISORY")
	}
	if d.BaseErr == nil && !d.ElevationOK() {
		bad = append(bad, "ELEVATION BROKEN")
	}
	if len(bad) == 0 {
		return "ok"
	}
	return strings.Join(bad, ", ")
}

func doctorNotes(d kube.Diagnosis) []string {
	var notes []string
	ns := d.Namespace
	if ns == "" {
		ns = "default"
	}
	if d.BaseErr != nil {
		notes = append(notes, fmt.Sprintf("cannot check the base credentials: %v", d.BaseErr))
		return notes
	}
	if d.Advisory() {
		notes = append(notes, advisoryNote(d, ns))
	}
	if !d.ElevationOK() {
		switch {
		case d.ElevatedErr != nil:
			notes = append(notes, fmt.Sprintf("The elevation source (%s) does not work: %v", d.Elevation, d.ElevatedErr))
		default:
			var cannot []string
			for _, c := range d.Elevated {
				if c.Err != nil {
					cannot = append(cannot, fmt.Sprintf("%s (%v)", c.Label, c.Err))
				} else if !c.Allowed {
					cannot = append(cannot, c.Label)
				}
			}
			if len(cannot) == len(d.Elevated) {
				notes = append(notes, fmt.Sprintf("The elevated credentials (%s, as %s) cannot %s in namespace %s: a step-up would gain nothing.",
					d.Elevation, orDash(d.ElevatedIdentity), strings.Join(cannot, ", "), ns))
			}
			if d.Elevation.Kind == profile.ElevationServiceAccount && !d.Revoked {
				notes = append(notes, fmt.Sprintf("Revoking a token by deleting its Secret did not work: %v", d.Revocation))
			}
		}
	}
	return notes
}

// advisoryNote says plainly that the guard cannot stop what the base
// credentials may already do, and what to change in RBAC.
func advisoryNote(d kube.Diagnosis, ns string) string {
	var can []string
	for _, c := range d.Base {
		if c.Allowed {
			can = append(can, c.Label)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Step-up is ADVISORY here: your everyday credentials (%s) can already %s in namespace %s,\n", d.BaseIdentity, strings.Join(can, ", "), ns)
	b.WriteString("so the API server accepts those requests without a one-time code.")
	if len(d.Rules) > 0 {
		b.WriteString("\nThese RBAC rules of yours allow it:")
		for _, r := range d.Rules {
			fmt.Fprintf(&b, "\n  verbs=%v apiGroups=%v resources=%v", r.Verbs, quoteGroups(r.APIGroups), r.Resources)
			if len(r.ResourceNames) > 0 {
				fmt.Fprintf(&b, " resourceNames=%v", r.ResourceNames)
			}
		}
	}
	if slices.Contains(d.BaseGroups, "system:masters") {
		b.WriteString("\nThis identity is in the group system:masters, which bypasses RBAC: no binding can restrict it.")
		b.WriteString("\nFix: use an everyday credential outside system:masters for this context, and make the admin one its elevation source.")
		return b.String()
	}
	b.WriteString("\nFix: bind this identity to the read-only \"view\" ClusterRole only, and remove the bindings that grant the rules above:")
	fmt.Fprintf(&b, "\n  kubectl get clusterrolebindings,rolebindings -A -o wide | grep -w %q", d.BaseIdentity)
	fmt.Fprintf(&b, "\n  kubectl create clusterrolebinding %s-view --clusterrole=view %s", bindingName(d.BaseIdentity), subjectFlag(d.BaseIdentity))
	return b.String()
}

func quoteGroups(groups []string) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		if g == "" {
			g = `""`
		}
		out[i] = g
	}
	return out
}

// subjectFlag is the kubectl flag naming an identity as a binding subject.
func subjectFlag(identity string) string {
	if rest, ok := strings.CutPrefix(identity, "system:serviceaccount:"); ok {
		return "--serviceaccount=" + rest
	}
	return "--user=" + identity
}

func bindingName(identity string) string {
	r := strings.NewReplacer(":", "-", "@", "-", "/", "-")
	return r.Replace(identity)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// checkOpenRoads looks at the contexts the profile leaves unprotected on
// purpose although they are on a protected context's server and CA: if
// their own credentials can already do something dangerous there, they are
// a road around that context's prompt (a plugin could `kubectl --context
// dev delete ...`). It prints each and returns how many there are.
func (a *App) checkOpenRoads(ctx context.Context, o doctorFlags, rules *clientcmd.ClientConfigLoadingRules, raw *clientcmdapi.Config, rt *kube.Routes) int {
	var protected []string
	for _, n := range rt.Contexts() {
		// The contexts the profile itself protects: the one to name.
		if p := rt.Protection(n); p.Policy.Protected && !p.Inherited() {
			protected = append(protected, n)
		}
	}
	open := 0
	for _, n := range rt.Contexts() {
		p := rt.Protection(n)
		if p.Policy.Protected || p.Policy.Match == "" {
			continue
		}
		for _, q := range protected {
			if !kube.SameCluster(raw, n, q) {
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, o.timeout)
			d := kube.Diagnose(cctx, rules, n, profile.Elevation{})
			cancel()
			if d.Advisory() {
				var can []string
				for _, c := range d.Base {
					if c.Allowed {
						can = append(can, c.Label)
					}
				}
				fmt.Fprintf(a.Stdout, "open road: %s is on the same server and CA as %s, the profile leaves it unprotected, and its own credentials can %s: a way around %s's prompt; protect it (remove protected: false) or make its credentials read-only\n",
					n, q, strings.Join(can, ", "), q)
				open++
			}
			break
		}
	}
	return open
}
