package guard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/profile"
)

func init() { extraCommands = append(extraCommands, (*App).initCommand) }

func (a *App) initCommand() *cobra.Command {
	var target, kubeconfig string
	c := &cobra.Command{
		Use:   "init [--profile FILE] [--kubeconfig FILE]",
		Short: "Write a commented starter profile from your kubeconfig contexts",
		Long: `Reads the contexts of your kubeconfig (--kubeconfig, else $KUBECONFIG, else
~/.kube/config) and writes a starter profile that protects the ones whose names
look like production (prod, prd, live) and lists the others as unprotected.
Every key is commented; docs/profile.md is the full reference.

The profile goes to --profile FILE, else $K9S_GUARD_PROFILE, else
$XDG_CONFIG_HOME/k9s-guard/profile.yaml. An existing file is never overwritten:
edit it, or move it away and run init again.`,
		Example: `  k9s-guard init
  k9s-guard init --kubeconfig ~/.kube/work.yaml --profile ~/work-profile.yaml`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error { return a.runInit(target, kubeconfig) },
	}
	c.SetFlagErrorFunc(flagUsageError)
	c.Flags().StringVar(&target, "profile", "", "where to write the profile (default $XDG_CONFIG_HOME/k9s-guard/profile.yaml)")
	c.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig to read contexts from (default $KUBECONFIG, else ~/.kube/config)")
	return c
}

func (a *App) runInit(target, kubeconfig string) error {
	if target == "" {
		target = profile.DefaultPath(a.Getenv)
	}
	cfg, sources, err := a.loadKubeconfig(kubeconfig)
	if err != nil {
		return err
	}
	text, protected := starterProfile(cfg, sources, a.Now())
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
		return &ExitError{Code: 1, Err: fmt.Errorf("%s already exists; init never overwrites a profile: edit it, or move it away and run init again", target)}
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
	case len(protected) == 0:
		fmt.Fprintf(a.Stderr, "%d contexts, none protected: no name looked like production; set protected: true where needed\n", len(cfg.Contexts))
	default:
		fmt.Fprintf(a.Stderr, "%d contexts, protected: %s\n", len(cfg.Contexts), strings.Join(protected, ", "))
	}
	fmt.Fprintln(a.Stderr, "next: review the elevation of each protected context, then run: k9s-guard otp enroll")
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

// adminContextFor picks another context on the same cluster whose name or
// user says admin: the likeliest elevation source when the kubeconfig
// already holds one.
func adminContextFor(cfg *clientcmdapi.Config, name string) string {
	me := cfg.Contexts[name]
	var found []string
	for other, c := range cfg.Contexts {
		if other == name || c == nil || me == nil || c.Cluster != me.Cluster {
			continue
		}
		if strings.Contains(strings.ToLower(other), "admin") || strings.Contains(strings.ToLower(c.AuthInfo), "admin") {
			found = append(found, other)
		}
	}
	if len(found) == 0 {
		return ""
	}
	slices.Sort(found)
	return found[0]
}

// starterProfile renders the commented profile and returns the names of
// the contexts it protects.
func starterProfile(cfg *clientcmdapi.Config, sources []string, now time.Time) (string, []string) {
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
	for _, n := range names {
		key := initYAMLScalar(profile.EscapeName(n))
		word := looksLikeProduction(n)
		if word == "" {
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
		if admin := adminContextFor(cfg, n); admin != "" {
			fmt.Fprintf(&b, "    # %s is an admin context on the same cluster.\n", initYAMLScalar(admin))
			fmt.Fprintf(&b, "    elevation:\n      context: %s\n\n", initYAMLScalar(admin))
			continue
		}
		b.WriteString("    # For now this elevates to the context's own credentials: a code is\n")
		b.WriteString("    # still required, but nothing extra is gained. Replace it with a\n")
		b.WriteString("    # higher-privileged source once your daily credentials are read-only.\n")
		fmt.Fprintf(&b, "    elevation:\n      context: %s\n\n", initYAMLScalar(n))
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
