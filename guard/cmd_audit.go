package guard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/ui"
)

// auditFlags are shared by `audit` and `audit verify`.
type auditFlags struct {
	file    string
	profile string
	json    bool
	since   string
	context string
	event   string
	strict  bool
}

func (a *App) auditCommand() *cobra.Command {
	var o auditFlags
	c := &cobra.Command{
		Use:   "audit [--json] [--since DUR] [--context CTX] [--event EVENT] [--file FILE]",
		Short: "Browse the audit trail, or print it for scripts",
		Long: `Shows the audit trail: every step-up prompt, grant, denial and lockout, every
elevation window, and every request sent with elevated credentials or refused.

On a terminal it opens an interactive table (c, e, t set the context, event and
time filters; enter shows a record in full). Piped, it prints a text table.
With --json it prints the matching records as JSON lines, one per record.

The file is --file, else the profile's audit.file, else
$XDG_STATE_HOME/k9s-guard/audit.jsonl. The schema is in docs/audit.md.`,
		Example: `  k9s-guard audit
  k9s-guard audit --json --since 1h --context prod
  k9s-guard audit --json --event stepup --since 7d | jq .user
  k9s-guard audit verify
  k9s-guard audit verify /backup/audit.jsonl`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.auditShow(cmd, o) },
	}
	c.SetFlagErrorFunc(flagUsageError)
	pf := c.PersistentFlags()
	pf.StringVar(&o.file, "file", "", "audit file (default: the profile's audit.file, else $XDG_STATE_HOME/k9s-guard/audit.jsonl)")
	pf.StringVar(&o.profile, "profile", "", "profile whose audit.file to read")
	f := c.Flags()
	f.BoolVar(&o.json, "json", false, "print matching records as JSON lines")
	f.StringVar(&o.since, "since", "", "only records newer than this: a duration (1h, 7d), an RFC 3339 time or a date")
	f.StringVar(&o.context, "context", "", "only this kube context (glob allowed: prod-*)")
	f.StringVar(&o.event, "event", "", "only this event (request.denied), family (stepup) or glob (window.*)")

	verify := &cobra.Command{
		Use:   "verify [FILE]",
		Short: "Check the audit trail's hash chain",
		Long: `Walks the hash chain of the audit trail and reports the first record that does
not fit: changed, removed, reordered or inserted after it was written (exit 1).
Otherwise it says the chain holds (exit 0) and prints the hash of the last
record; keep that elsewhere to detect removal of the newest records later.

A line torn by a crash or a full disk is reported as a warning and skipped; the
chain is checked across it. --strict makes torn lines fail too. FILE "-" reads
standard input.`,
		Example: `  k9s-guard audit verify
  k9s-guard audit verify --strict ~/.local/state/k9s-guard/audit.jsonl
  ssh host cat .local/state/k9s-guard/audit.jsonl | k9s-guard audit verify -`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.file = args[0]
			}
			return a.auditVerify(o)
		},
	}
	verify.SetFlagErrorFunc(flagUsageError)
	verify.Flags().BoolVar(&o.strict, "strict", false, "fail on torn lines as well")
	c.AddCommand(verify)
	return c
}

func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError("%s: %v", cmd.CommandPath(), err)
		}
		return nil
	}
}

func flagUsageError(cmd *cobra.Command, err error) error {
	return usageError("%s: %v", cmd.CommandPath(), err)
}

// auditPath picks the file: the flag, else the profile's audit.file, else
// the XDG default. A profile that does not load is an error, because
// quietly reading the default file instead would show the wrong trail.
func (a *App) auditPath(o auditFlags) (string, error) {
	if o.file != "" {
		return o.file, nil
	}
	p, err := profile.Open(o.profile, a.Getenv)
	if err != nil {
		return "", fmt.Errorf("find audit file (or pass --file): %w", err)
	}
	if p != nil && p.Audit.File != "" {
		return p.Audit.File, nil
	}
	if path := audit.DefaultPath(a.Getenv); path != "" {
		return path, nil
	}
	return "", errors.New("find audit file: neither XDG_STATE_HOME nor HOME is set; pass --file")
}

// openAudit opens the trail for reading, with a plain message when there
// is none yet rather than a bare ENOENT.
func (a *App) openAudit(path string) (io.ReadCloser, error) {
	if path == "-" {
		return io.NopCloser(a.Stdin), nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no audit trail at %s yet: nothing has been recorded there", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	return f, nil
}

func (a *App) auditShow(cmd *cobra.Command, o auditFlags) error {
	path, err := a.auditPath(o)
	if err != nil {
		return err
	}
	since, err := audit.ParseSince(o.since, a.Now())
	if err != nil {
		return usageError("--%w", err)
	}
	rc, err := a.openAudit(path)
	if err != nil {
		return err
	}
	recs, err := audit.Read(rc)
	rc.Close()
	if err != nil {
		return err
	}

	if !o.json && a.interactive() {
		m := ui.NewAuditView(ui.AuditViewOptions{
			Path: path, Records: recs, Context: o.context, Event: o.event, Since: o.since, Now: a.Now,
		})
		_, err := a.newProgram(cmd.Context(), m).Run()
		if err != nil {
			return fmt.Errorf("audit viewer: %w", err)
		}
		return nil
	}

	filter := audit.Filter{Since: since, Context: o.context, Event: o.event}
	var match []audit.Record
	for _, r := range recs {
		if filter.Match(r) {
			match = append(match, r)
		}
	}
	if o.json {
		enc := json.NewEncoder(a.Stdout)
		enc.SetEscapeHTML(false)
		for _, r := range match {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("write records: %w", err)
			}
		}
		return nil
	}
	if len(match) == 0 {
		fmt.Fprintf(a.Stderr, "no records match (%d in %s)\n", len(recs), path)
		return nil
	}
	return ui.WriteAuditTable(a.Stdout, match)
}

// interactive reports whether both ends are a terminal; otherwise the
// viewer would draw escape codes into a pipe or wait on a closed stdin.
func (a *App) interactive() bool {
	out, ok := a.Stdout.(*os.File)
	return ok && a.Stdin != nil && term.IsTerminal(int(out.Fd())) && term.IsTerminal(int(a.Stdin.Fd()))
}

func (a *App) auditVerify(o auditFlags) error {
	path, err := a.auditPath(o)
	if err != nil {
		return err
	}
	rc, err := a.openAudit(path)
	if err != nil {
		return err
	}
	rep, err := audit.Verify(rc)
	rc.Close()
	if err != nil {
		return err
	}
	for _, line := range rep.Torn {
		fmt.Fprintf(a.Stdout, "warning: %s: line %d is torn (a write cut short by a crash or a full disk); skipped, the chain is checked across it\n", path, line)
	}
	notes := func() {
		for _, u := range rep.Unfinished {
			fmt.Fprintf(a.Stdout, "note: %s\n", u)
		}
	}
	if len(rep.Problems) == 0 && len(rep.Gaps) > 0 {
		// The chain holds, but records a session numbered are not there:
		// lost to a full disk, or cut out and the chain mended.
		g := rep.Gaps[0]
		fmt.Fprintf(a.Stdout, "%s: records missing: %s\n", path, g)
		for _, g := range rep.Gaps[1:] {
			fmt.Fprintf(a.Stdout, "  also %s\n", g)
		}
		notes()
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("audit trail %s has %d %s of missing records", path, len(rep.Gaps), plural(len(rep.Gaps), "gap"))}
	}
	if !rep.OK() {
		first := rep.Problems[0]
		fmt.Fprintf(a.Stdout, "%s: chain broken at line %d (record %d): %s\n", path, first.Line, first.Record, first.Msg)
		for _, p := range rep.Problems[1:] {
			fmt.Fprintf(a.Stdout, "  also %s\n", p)
		}
		for _, g := range rep.Gaps {
			fmt.Fprintf(a.Stdout, "  also %s\n", g)
		}
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("audit chain broken at line %d of %s", first.Line, path)}
	}
	last := rep.Last
	if last == "" {
		last = "none"
	}
	across := ""
	if len(rep.Torn) > 0 {
		across = fmt.Sprintf(" across %d torn line(s)", len(rep.Torn))
	}
	fmt.Fprintf(a.Stdout, "%s: chain holds%s: %d %s, last hash %s\n", path, across, rep.Records, plural(rep.Records, "record"), last)
	notes()
	if o.strict && len(rep.Torn) > 0 {
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("%d torn %s in %s (--strict)", len(rep.Torn), plural(len(rep.Torn), "line"), path)}
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
