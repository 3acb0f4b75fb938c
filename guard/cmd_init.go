package guard

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/profile"
)

func (a *App) initCommand() *cobra.Command {
	var target, kubeconfig string
	c := &cobra.Command{
		Use:   "init [--profile FILE] [--kubeconfig FILE]",
		Short: "Write a commented starter profile from your kubeconfig contexts",
		Long: `Reads the contexts of your kubeconfig (--kubeconfig, else $KUBECONFIG, else
~/.kube/config) and writes a starter profile that protects the ones whose names
look like production (prod, prd, live) and lists the others as unprotected.
Every key is commented; docs/profile.md is the full reference.

For each protected context, init looks for an elevation source among the
other contexts on the same API server. When the server answers, it asks it
(SelfSubjectAccessReview, with each context's own credentials) what each one
may do, and picks the most capable; a name that says "admin" breaks a tie.
When it cannot ask, it guesses from the names and says so. Credential plugins
that may prompt (a browser login) are never run.

The profile goes to --profile FILE, else $K9S_GUARD_PROFILE, else
$XDG_CONFIG_HOME/k9s-guard/profile.yaml. An existing file is never overwritten:
edit it, or move it away and run init again.`,
		Example: `  k9s-guard init
  k9s-guard init --kubeconfig ~/.kube/work.yaml --profile ~/work-profile.yaml`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runInit(cmd.Context(), target, kubeconfig) },
	}
	c.SetFlagErrorFunc(flagUsageError)
	c.Flags().StringVar(&target, "profile", "", "where to write the profile (default $XDG_CONFIG_HOME/k9s-guard/profile.yaml)")
	c.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig to read contexts from (default $KUBECONFIG, else ~/.kube/config)")
	return c
}

func (a *App) runInit(ctx context.Context, target, kubeconfig string) error {
	if target == "" {
		target = profile.DefaultPath(a.Getenv)
	}
	cfg, sources, err := a.loadKubeconfig(kubeconfig)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	choices := chooseElevations(ctx, cfg, initAskTimeout)
	text, protected := starterProfile(cfg, sources, a.Now(), choices)
	// What init writes must load; a starter that fails on first use would
	// be worse than none.
	if _, err := profile.Parse(target, []byte(text)); err != nil {
		return fmt.Errorf("generated profile does not load (please report this): %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return fmt.Errorf("create profile dir: %w", err)
	}
	// O_EXCL makes "never overwrite" hold even if the file appears between
	// a check and the write.
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("%s already exists; init never overwrites a profile: edit it, or move it away and run init again", target)}
	}
	if err != nil {
		return fmt.Errorf("create profile: %w", err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("write profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}

	fmt.Fprintf(a.Stdout, "wrote %s\n", target)
	switch {
	case len(cfg.Contexts) == 0:
		fmt.Fprintln(a.Stderr, "no contexts found in the kubeconfig; the profile has a commented example to fill in")
		fmt.Fprintln(a.Stderr, "next: add the contexts to protect, each with an elevation source, then run: k9s-guard otp enroll")
		return nil
	case len(protected) == 0:
		fmt.Fprintf(a.Stderr, "%d contexts, none protected: no name looked like production\n", len(cfg.Contexts))
		fmt.Fprintln(a.Stderr, "next: set protected: true, with an elevation source, on the contexts to guard, then run: k9s-guard otp enroll")
		return nil
	}
	shown := make([]string, len(protected))
	for i, n := range protected {
		shown[i] = displayName(n)
	}
	fmt.Fprintf(a.Stderr, "%d contexts, protected: %s\n", len(cfg.Contexts), strings.Join(shown, ", "))
	var guessed []string
	for i, n := range protected {
		c := choices[n]
		fmt.Fprintf(a.Stderr, "  %s: %s\n", shown[i], c.Summary)
		if !c.Asked {
			guessed = append(guessed, shown[i])
		}
	}
	if prof, err := profile.Parse(target, []byte(text)); err == nil {
		printInherited(a.Stderr, kube.PlanRoutesFrom(cfg, nil, prof))
	}
	if len(guessed) > 0 {
		fmt.Fprintf(a.Stderr, "next: check the guessed elevation of %s (k9s-guard doctor tests it), then run: k9s-guard otp enroll\n", strings.Join(guessed, ", "))
		return nil
	}
	fmt.Fprintln(a.Stderr, "next: review the elevation of each protected context (k9s-guard doctor tests it), then run: k9s-guard otp enroll")
	return nil
}

// loadKubeconfig reads contexts the way kubectl and K9s do: an explicit
// file, else the KUBECONFIG list merged, else ~/.kube/config. KUBECONFIG
// and HOME come from a.Getenv rather than the process, so tests (and any
// wrapper) control what is read.
func (a *App) loadKubeconfig(explicit string) (*clientcmdapi.Config, []string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	// Never migrate ~/.kube/.kubeconfig into the user's home on our behalf.
	rules.MigrationRules = nil
	if list := a.Getenv("KUBECONFIG"); list != "" {
		rules.Precedence = filepath.SplitList(list)
	} else {
		home := a.Getenv("HOME")
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		rules.Precedence = []string{filepath.Join(home, ".kube", "config")}
	}
	rules.ExplicitPath = explicit
	cfg, err := rules.Load()
	if err != nil {
		return nil, nil, fmt.Errorf("read kubeconfig: %w", err)
	}
	sources := rules.Precedence
	if explicit != "" {
		sources = []string{explicit}
	}
	return cfg, sources, nil
}

// prodWordRE finds the words that mark a production context. Matching
// whole words (or their start and end) keeps "delivery" from counting as
// "live", while "production", "euprod" and "prd-1" still count.
var (
	prodWordRE  = regexp.MustCompile(`^(prod|prd|live)|(prod|prd)$`)
	nameWordsRE = regexp.MustCompile(`[^a-z0-9]+`)
)

// looksLikeProduction returns the word that made the name look like
// production, or "".
func looksLikeProduction(name string) string {
	for _, w := range nameWordsRE.Split(strings.ToLower(name), -1) {
		if m := prodWordRE.FindString(w); m != "" {
			return m
		}
	}
	return ""
}

// initAskTimeout bounds how long init waits for each API server: it is a
// setup command, and a cluster behind a VPN that is down must not hang it.
const initAskTimeout = 5 * time.Second

// elevationChoice is the elevation source init proposes for one protected
// context, and why.
type elevationChoice struct {
	// Context is the kubeconfig context to elevate to: another one on the
	// same API server, or the protected context itself.
	Context string
	// Asked is set when the API server said what each candidate may do;
	// otherwise the choice is a guess from the names.
	Asked bool
	// Broker is set when the API server serves the broker's API: the
	// cluster then checks the code and makes the grant (docs/broker.md),
	// which init prefers to any source on the laptop.
	Broker bool
	// Why are the profile comment lines (without "# ") explaining it.
	Why []string
	// Summary is the one line printed on stderr.
	Summary string
}

// serverKey identifies a context's API server, so that two cluster entries
// for the same server (kubeconfigs merged from several files often have
// them) count as one cluster. Contexts whose cluster has no server are
// told apart by the cluster entry's name.
func serverKey(cfg *clientcmdapi.Config, name string) string {
	c := cfg.Contexts[name]
	if c == nil {
		return ""
	}
	cl := cfg.Clusters[c.Cluster]
	if cl == nil || cl.Server == "" {
		return "cluster:" + c.Cluster
	}
	u, err := url.Parse(cl.Server)
	if err != nil || u.Host == "" {
		return "server:" + strings.TrimRight(cl.Server, "/")
	}
	host := strings.ToLower(u.Host)
	if strings.EqualFold(u.Scheme, "https") {
		host = strings.TrimSuffix(host, ":443")
	}
	return "server:" + strings.ToLower(u.Scheme) + "://" + host + strings.TrimRight(u.Path, "/")
}

// serverLabel is a context's API server as shown in the profile: scheme,
// host and path, never any user information or query in the URL.
func serverLabel(cfg *clientcmdapi.Config, name string) string {
	c := cfg.Contexts[name]
	if c == nil || cfg.Clusters[c.Cluster] == nil {
		return "its API server"
	}
	u, err := url.Parse(cfg.Clusters[c.Cluster].Server)
	if err != nil || u.Host == "" {
		return "its API server"
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.Path, "/")
}

// sameServer lists the other contexts on name's API server, sorted.
func sameServer(cfg *clientcmdapi.Config, name string) []string {
	key := serverKey(cfg, name)
	var out []string
	for other, c := range cfg.Contexts {
		if other != name && c != nil && key != "" && serverKey(cfg, other) == key {
			out = append(out, other)
		}
	}
	slices.Sort(out)
	return out
}

// nameHint scores how much a candidate's name looks like the admin context
// for the protected one, and says why: "admin" in the context's name counts
// most, then a word shared with the protected context (prod-admin for
// prod), then "admin" in its user's name. admin reports whether either name
// says "admin", which is what a guess needs.
func nameHint(cfg *clientcmdapi.Config, protected, candidate string) (score int, admin bool, why []string) {
	if strings.Contains(strings.ToLower(candidate), "admin") {
		score += 4
		admin = true
		why = append(why, `its name says "admin"`)
	}
	mine := nameWordsRE.Split(strings.ToLower(protected), -1)
	for _, w := range nameWordsRE.Split(strings.ToLower(candidate), -1) {
		if len(w) > 1 && w != "admin" && slices.Contains(mine, w) {
			score += 2
			why = append(why, fmt.Sprintf("its name shares %q with %s", w, displayName(protected)))
			break
		}
	}
	if c := cfg.Contexts[candidate]; c != nil && strings.Contains(strings.ToLower(c.AuthInfo), "admin") {
		score++
		admin = true
		why = append(why, fmt.Sprintf(`its user %s says "admin"`, displayName(c.AuthInfo)))
	}
	return score, admin, why
}

// chooseElevations proposes an elevation source for every context that
// looks like production, asking each API server once for all the contexts
// on it (grouped by the namespace the protected context works in).
func chooseElevations(ctx context.Context, cfg *clientcmdapi.Config, timeout time.Duration) map[string]elevationChoice {
	var protected []string
	ask := map[string][]string{} // namespace -> contexts to ask
	for name := range cfg.Contexts {
		if looksLikeProduction(name) == "" {
			continue
		}
		protected = append(protected, name)
		ns := initNamespace(cfg, name)
		for _, c := range append([]string{name}, sameServer(cfg, name)...) {
			if !slices.Contains(ask[ns], c) {
				ask[ns] = append(ask[ns], c)
			}
		}
	}
	answers := map[[2]string]kube.ContextAccess{} // {namespace, context}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for ns, names := range ask {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, a := range kube.AskAccess(ctx, cfg, names, ns, timeout) {
				mu.Lock()
				answers[[2]string{ns, a.Context}] = a
				mu.Unlock()
			}
		}()
	}
	// Each protected context's server is also asked whether it serves the
	// broker's API, at the same time as the access questions.
	brokered := map[string]bool{}
	for _, name := range protected {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := kube.BrokerServed(ctx, cfg, name, timeout)
			mu.Lock()
			brokered[name] = ok
			mu.Unlock()
		}()
	}
	wg.Wait()
	out := map[string]elevationChoice{}
	for _, name := range protected {
		if brokered[name] {
			out[name] = elevationChoice{
				Broker: true,
				Asked:  true,
				Why: []string{
					fmt.Sprintf("%s serves the broker's API (stepup.k9s-guard.io): the cluster checks", serverLabel(cfg, name)),
					"the code and grants your own identity exactly the operation, for the",
					"window; nothing on this laptop can elevate without it (docs/broker.md).",
				},
				Summary: "elevates through the broker in the cluster (its API is served there); enrol with: k9s-guard otp enroll --context " + displayName(name) + " --invite CODE",
			}
			continue
		}
		ns := initNamespace(cfg, name)
		var cands []kube.ContextAccess
		for _, c := range sameServer(cfg, name) {
			cands = append(cands, answers[[2]string{ns, c}])
		}
		out[name] = decideElevation(cfg, name, ns, answers[[2]string{ns, name}], cands)
	}
	return out
}

func initNamespace(cfg *clientcmdapi.Config, name string) string {
	if c := cfg.Contexts[name]; c != nil && c.Namespace != "" {
		return c.Namespace
	}
	return "default"
}

// decideElevation picks the elevation source for one protected context
// from what its API server said about it (own) and about the other
// contexts on the same server (cands). The most capable candidate wins if
// it may do more than the protected context itself; among equally capable
// ones the name hint decides, then the name's order. When the server could
// not be asked, the candidate whose name or user says "admin" is guessed.
func decideElevation(cfg *clientcmdapi.Config, name, ns string, own kube.ContextAccess, cands []kube.ContextAccess) elevationChoice {
	q := displayName
	if len(cands) == 0 {
		return elevationChoice{
			Context: name,
			Asked:   true,
			Why:     []string{"No other context in the kubeconfig is on the same API server."},
			Summary: "elevates to its own context: no other context is on its API server; replace it with impersonate or serviceAccount",
		}
	}
	hint := func(c string) int { h, _, _ := nameHint(cfg, name, c); return h }
	var answered, unanswered []kube.ContextAccess
	for _, c := range cands {
		if c.Answered() {
			answered = append(answered, c)
		} else {
			unanswered = append(unanswered, c)
		}
	}
	// Most capable first, then the best name hint, then by name.
	slices.SortStableFunc(answered, func(a, b kube.ContextAccess) int {
		return cmp.Or(cmp.Compare(b.Score(), a.Score()), cmp.Compare(hint(b.Context), hint(a.Context)), strings.Compare(a.Context, b.Context))
	})
	ownScore := 0
	if own.Answered() {
		ownScore = own.Score()
	}
	table := func() []string {
		lines := []string{fmt.Sprintf("Asked %s what each context on it may do in namespace %s:", serverLabel(cfg, name), q(ns))}
		width := len(q(name)) + len(" (this one)")
		for _, c := range cands {
			width = max(width, len(q(c.Context)))
		}
		for _, c := range slices.Concat(answered, unanswered) {
			lines = append(lines, fmt.Sprintf("  %-*s  %s", width, q(c.Context), oneLine(c.Summary())))
		}
		return append(lines, fmt.Sprintf("  %-*s  %s", width, q(name)+" (this one)", oneLine(own.Summary())))
	}

	if len(answered) > 0 && answered[0].Score() > ownScore {
		best := answered[0]
		why := append(table(), fmt.Sprintf("%s may do the most.", q(best.Context)))
		var tied []string
		tiedHint := -1
		for _, c := range answered[1:] {
			if c.Score() == best.Score() {
				tied = append(tied, q(c.Context))
				tiedHint = max(tiedHint, hint(c.Context))
			}
		}
		if len(tied) > 0 {
			_, _, reasons := nameHint(cfg, name, best.Context)
			because := "its name sorts first"
			if hint(best.Context) > tiedHint {
				because = strings.Join(reasons, " and ")
			}
			why[len(why)-1] = fmt.Sprintf("%s may do as much as %s, and is chosen because %s.", q(best.Context), strings.Join(tied, ", "), because)
		}
		return elevationChoice{
			Context: best.Context,
			Asked:   true,
			Why:     why,
			Summary: fmt.Sprintf("elevates to %s, chosen by asking the API server: it may do %s; %s itself: %s", q(best.Context), oneLine(best.Summary()), q(name), oneLine(own.Summary())),
		}
	}

	// Nothing that answered may do more; a candidate that could not be
	// asked might, if its name says so.
	var guesses []string
	for _, c := range unanswered {
		if _, admin, _ := nameHint(cfg, name, c.Context); admin {
			guesses = append(guesses, c.Context)
		}
	}
	slices.SortStableFunc(guesses, func(a, b string) int { return cmp.Or(cmp.Compare(hint(b), hint(a)), strings.Compare(a, b)) })
	if len(guesses) > 0 {
		pick := guesses[0]
		var access kube.ContextAccess
		for _, c := range unanswered {
			if c.Context == pick {
				access = c
			}
		}
		_, _, reasons := nameHint(cfg, name, pick)
		because := whyUnknown(cfg, name, own, cands, access)
		lines := []string{
			fmt.Sprintf("Guessed (%s): %s is on the same API server and %s.", because, q(pick), strings.Join(reasons, " and ")),
			fmt.Sprintf("Check that it may do more than %s with: k9s-guard doctor", q(name)),
		}
		if len(answered) > 0 {
			lines = append(table(), lines...)
		}
		return elevationChoice{
			Context: pick,
			Why:     lines,
			Summary: fmt.Sprintf("elevates to %s, guessed (%s): same API server, %s", q(pick), because, strings.Join(reasons, ", ")),
		}
	}

	if len(answered) > 0 {
		why := append(table(), "None of them may do more than "+q(name)+" itself.")
		summary := "elevates to its own context: the API server says no other context on it may do more"
		if ownScore > 0 {
			// The passcode cannot stop what the everyday credentials may
			// already do; say so now rather than leave it to doctor.
			why = append(why, fmt.Sprintf("Its own credentials may already do %s, so the passcode is only advisory there until they are read-only (k9s-guard doctor names the RBAC).", allowedText(own)))
			summary += fmt.Sprintf("; its own credentials may already do %s: the passcode is only advisory there", allowedText(own))
		}
		return elevationChoice{Context: name, Asked: true, Why: why, Summary: summary}
	}
	because := whyUnknown(cfg, name, own, cands, kube.ContextAccess{})
	return elevationChoice{
		Context: name,
		Why:     []string{fmt.Sprintf(`Not known which other context may do more (%s), and none has "admin" in its name or its user's.`, because)},
		Summary: fmt.Sprintf("elevates to its own context: not known which other context may do more (%s) and no name says admin", because),
	}
}

// whyUnknown says why what the candidates may do is not known: the API
// server did not answer, and/or the context init would pick was not asked
// or was refused.
func whyUnknown(cfg *clientcmdapi.Config, name string, own kube.ContextAccess, cands []kube.ContextAccess, pick kube.ContextAccess) string {
	var parts []string
	for _, a := range append([]kube.ContextAccess{own}, cands...) {
		if a.Unreachable {
			parts = append(parts, fmt.Sprintf("no answer from %s: %s", serverLabel(cfg, name), oneLine(a.Err.Error())))
			break
		}
	}
	switch {
	case pick.Context == "":
		for _, a := range cands {
			if !a.Unreachable && !a.Answered() {
				parts = append(parts, fmt.Sprintf("%s: %s", displayName(a.Context), oneLine(notAnswered(a))))
			}
		}
	case pick.NotAsked != "":
		parts = append(parts, fmt.Sprintf("%s was not asked: %s", displayName(pick.Context), oneLine(pick.NotAsked)))
	case pick.Err != nil && !pick.Unreachable:
		parts = append(parts, fmt.Sprintf("%s: %s", displayName(pick.Context), oneLine(pick.Err.Error())))
	}
	if len(parts) == 0 {
		return "not asked"
	}
	return strings.Join(parts, "; ")
}

// allowedText lists what a context's credentials may do.
func allowedText(a kube.ContextAccess) string {
	var yes []string
	for _, c := range a.Checks {
		if c.Allowed && c.Label == kube.EverythingLabel {
			return c.Label
		}
		if c.Allowed {
			yes = append(yes, c.Label)
		}
	}
	return strings.Join(yes, ", ")
}

// notAnswered says why a context's access is unknown.
func notAnswered(a kube.ContextAccess) string {
	switch {
	case a.NotAsked != "":
		return a.NotAsked
	case a.Err != nil:
		return a.Err.Error()
	}
	return "not asked"
}

// oneLine keeps a message on one line, for a YAML comment.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// displayName shows a context or user name in a comment or on stderr: as
// it is, or Go-quoted when it holds a space or a control character (a
// newline in a name must not end a YAML comment).
func displayName(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '"' }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// writeComment writes comment lines at an indent: a line starting with a
// space is kept as it is (a table row), any other is a paragraph wrapped
// to fit 80 columns.
func writeComment(b *strings.Builder, indent string, lines []string) {
	width := 80 - len(indent) - 2
	for _, l := range lines {
		if strings.HasPrefix(l, " ") {
			fmt.Fprintf(b, "%s# %s\n", indent, l)
			continue
		}
		cur := ""
		for _, w := range strings.Fields(l) {
			if cur != "" && len(cur)+1+len(w) > width {
				fmt.Fprintf(b, "%s# %s\n", indent, cur)
				cur = ""
			}
			if cur == "" {
				cur = w
			} else {
				cur += " " + w
			}
		}
		fmt.Fprintf(b, "%s# %s\n", indent, cur)
	}
}

// starterProfile renders the commented profile and returns the names of
// the contexts it protects.
func starterProfile(cfg *clientcmdapi.Config, sources []string, now time.Time, choices map[string]elevationChoice) (string, []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "# k9s-guard profile, written by `k9s-guard init` on %s\n", now.Format("2006-01-02"))
	fmt.Fprintf(&b, "# from %s.\n", strings.Join(sources, ", "))
	b.WriteString(`# Every key is explained in docs/profile.md.
#
# A context listed under contexts: is protected unless it says
# protected: false. In a protected context the actions listed (default:
# writes and sensitive) need a one-time passcode, which opens a window with
# elevated credentials. Contexts not listed at all are never guarded.
version: 1

# Applied underneath every context below; a context's own keys win.
defaults:
  # How long an elevation lasts after a right code (30s to 12h).
  window: 5m
  # What needs a code. writes: delete, kill, edit, scale, restart, drain,
  # cordon, rollback, trigger, set-image, apply, ... sensitive: exec,
  # attach, port-forward, proxy, secrets, transfer. Or name single actions.
  actions: [writes, sensitive]
  closeOn:
    contextSwitch: true   # switching K9s to another context ends the window
    idle: 0               # e.g. 2m to end the window after two idle minutes
  scope: operation        # "context": one code covers every action until the window ends
  oneShot: false          # true: one code, one action
  # Actions that also need the target's name typed after the code.
  confirmName: [delete-namespace, delete-node, delete-pv, delete-pvc, drain]

`)
	names := make([]string, 0, len(cfg.Contexts))
	for n := range cfg.Contexts {
		names = append(names, n)
	}
	slices.Sort(names)

	var protected []string
	if len(names) == 0 {
		b.WriteString(`contexts: {}
# No contexts were found in the kubeconfig. An example:
# contexts:
#   prod:
#     protected: true
#     elevation:
#       context: admin@prod
#   "*prod*":              # a glob: * also matches "/" in EKS ARNs
#     elevation:
#       impersonate: {user: break-glass, groups: [sre]}
`)
	} else {
		b.WriteString("contexts:\n")
	}
	// Which protected context each other context would carry the rule of
	// in a session (kube.Routes): init must not write down as unprotected
	// a context that reaches a protected server by another road.
	var prod []string
	for _, n := range names {
		if looksLikeProduction(n) != "" {
			prod = append(prod, n)
		}
	}
	for _, n := range names {
		key := initYAMLScalar(profile.EscapeName(n))
		word := looksLikeProduction(n)
		if word == "" {
			if p, ok := elevatesFor(n, prod, choices); ok {
				fmt.Fprintf(&b, "  # %s is the elevation source of %s: in a k9s-guard session it always\n", displayName(n), displayName(p))
				fmt.Fprintf(&b, "  # carries %s's rule (a code for what needs one), whatever this file says.\n\n", displayName(p))
				continue
			}
			if p, ok := sharesServer(cfg, n, prod); ok {
				fmt.Fprintf(&b, "  # %s is on the same server and CA as %s, so in a k9s-guard session it\n", displayName(n), displayName(p))
				fmt.Fprintf(&b, "  # carries %s's rule. To leave it unguarded, say so here:\n", displayName(p))
				fmt.Fprintf(&b, "  # %s:\n  #   protected: false\n\n", key)
				continue
			}
			fmt.Fprintf(&b, "  %s:\n    protected: false\n\n", key)
			continue
		}
		protected = append(protected, n)
		fmt.Fprintf(&b, "  # Looks like production: the name contains %q.\n", word)
		fmt.Fprintf(&b, "  %s:\n    protected: true\n", key)
		b.WriteString("    # Where the elevated credentials come from; exactly one of:\n")
		b.WriteString("    #   context: NAME                 another kubeconfig context (+ kubeconfig: FILE)\n")
		b.WriteString("    #   impersonate: {user: break-glass, groups: [sre]}\n")
		b.WriteString("    #   serviceAccount: {namespace: kube-system, name: break-glass}\n")
		b.WriteString("    #   broker: {namespace: k9s-guard-broker}   the in-cluster broker (docs/broker.md)\n")
		c, ok := choices[n]
		if !ok {
			c = elevationChoice{Context: n}
		}
		writeComment(&b, "    ", c.Why)
		if c.Broker {
			fmt.Fprintf(&b, "    elevation:\n      broker: {namespace: %s}\n\n", profile.DefaultBrokerNamespace)
			continue
		}
		if c.Context == n {
			b.WriteString("    # For now this elevates to the context's own credentials: a code is\n")
			b.WriteString("    # still required, but nothing extra is gained. Replace it with a\n")
			b.WriteString("    # higher-privileged source once your daily credentials are read-only.\n")
		}
		fmt.Fprintf(&b, "    elevation:\n      context: %s\n\n", initYAMLScalar(c.Context))
	}
	b.WriteString(`# Where audit records go (default: $XDG_STATE_HOME/k9s-guard/audit.jsonl).
# audit:
#   file: ~/.local/state/k9s-guard/audit.jsonl
#   syslog: {network: udp, address: "logs.example.com:514"}

# Where the passcode secret lives; set it up with: k9s-guard otp enroll
# otp:
#   store: keyring        # or file (a 0600 file), used anyway when no keyring exists
#   issuer: k9s-guard
`)
	return b.String(), protected
}

// initPlainRE is what may stay unquoted in YAML without being read as
// something else; everything else is written JSON-quoted, which YAML reads
// as a double-quoted string.
var initPlainRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.@/-]*$`)

func initYAMLScalar(s string) string {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "y", "n":
		return initJSONString(s)
	}
	if initPlainRE.MatchString(s) {
		return s
	}
	return initJSONString(s)
}

func initJSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// elevatesFor reports the protected context n is the elevation source of.
func elevatesFor(n string, protected []string, choices map[string]elevationChoice) (string, bool) {
	for _, p := range protected {
		if c, ok := choices[p]; ok && c.Context == n && n != p {
			return p, true
		}
	}
	return "", false
}

// sharesServer reports a protected context on n's server and CA.
func sharesServer(cfg *clientcmdapi.Config, n string, protected []string) (string, bool) {
	for _, p := range protected {
		if kube.SameCluster(cfg, n, p) {
			return p, true
		}
	}
	return "", false
}

// printInherited says which contexts a session protects although the
// profile does not name them as protected, and why; init and doctor both
// say it, so that nobody is surprised by a prompt in "dev".
func printInherited(w io.Writer, rt *kube.Routes) {
	inh := rt.Inherited()
	if len(inh) == 0 {
		return
	}
	fmt.Fprintln(w, "also protected in a session, with the rule of the context named:")
	for _, p := range inh {
		fmt.Fprintf(w, "  %s: %s\n", displayName(p.Context), p.Why)
	}
}
