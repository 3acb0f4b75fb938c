package guard

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// manCommand writes k9s-guard(1). It is hidden because only packagers need
// it: the release build runs it once and ships the page in every archive
// and in the Homebrew cask.
func (a *App) manCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "man",
		Short: "Write the k9s-guard(1) manual page (roff) to standard output",
		Long: `Writes the k9s-guard(1) manual page, generated from the command tree so it
says exactly what --help says: every command with its flags and examples, plus
the environment variables, files and exit codes.

The page's date is $SOURCE_DATE_EPOCH when set (reproducible builds), else
today.`,
		Example: `  k9s-guard man > k9s-guard.1 && man ./k9s-guard.1
  k9s-guard man | gzip -9n > /usr/local/share/man/man1/k9s-guard.1.gz`,
		Hidden: true,
		Args:   usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			date, err := a.manDate()
			if err != nil {
				return err
			}
			if _, err := a.Stdout.Write(ManPage(cmd.Root(), date)); err != nil {
				return fmt.Errorf("write man page: %w", err)
			}
			return nil
		},
	}
	c.SetFlagErrorFunc(flagUsageError)
	return c
}

// manDate honours SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/)
// so that two release builds of one commit ship byte-identical pages.
func (a *App) manDate() (time.Time, error) {
	s := a.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return a.Now(), nil
	}
	secs, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, usageError("SOURCE_DATE_EPOCH=%q: expected seconds since 1970", s)
	}
	return time.Unix(secs, 0), nil
}

// ManPage renders the manual page for root and every visible command under
// it, as roff.
func ManPage(root *cobra.Command, date time.Time) []byte {
	// The completion and help commands are added by cobra when a command
	// line runs; add them here too so the page is the same however it is
	// produced.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()

	var b strings.Builder
	name := root.Name()
	fmt.Fprintf(&b, "%% %q %q %q %q %q\n", strings.ToUpper(name), "1", date.UTC().Format("2006-01-02"),
		name+" "+Version(), "User Commands")

	fmt.Fprintf(&b, "# NAME\n%s \\- %s\n\n", name, mdEscape(root.Short))

	b.WriteString("# SYNOPSIS\n")
	fmt.Fprintf(&b, "**%s** [**--profile** *FILE*] [**--k9s** *PATH*] [*k9s flags*...]\n\n", name)
	fmt.Fprintf(&b, "**%s** *command* [*flags*]\n\n", name)

	b.WriteString("# DESCRIPTION\n")
	b.WriteString(mdParagraphs(root.Long))
	b.WriteString("# OPTIONS\n")
	writeManFlags(&b, root.NonInheritedFlags())

	b.WriteString("# COMMANDS\n")
	for _, c := range manCommands(root) {
		writeManCommand(&b, c)
	}
	if root.Example != "" {
		b.WriteString("# EXAMPLES\n")
		writeManExample(&b, root.Example)
	}
	b.WriteString(manTrailer)
	return md2man.Render([]byte(b.String()))
}

// manCommands lists the commands the page documents, depth first, in the
// order --help shows them.
func manCommands(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() || sub.Name() == "help" {
			continue
		}
		out = append(out, sub)
		out = append(out, manCommands(sub)...)
	}
	return out
}

func writeManCommand(b *strings.Builder, c *cobra.Command) {
	fmt.Fprintf(b, "## %s\n", c.CommandPath())
	use := c.UseLine()
	if c.HasAvailableSubCommands() && !c.Runnable() {
		use = c.CommandPath() + " COMMAND"
	}
	fmt.Fprintf(b, "**%s**\n\n", mdEscape(use))
	if c.Long != "" {
		b.WriteString(mdParagraphs(c.Long))
	} else {
		b.WriteString(mdParagraphs(c.Short))
	}
	if c.HasAvailableLocalFlags() {
		b.WriteString("Options:\n\n")
		writeManFlags(b, c.LocalFlags())
	}
	if c.Example != "" {
		b.WriteString("Examples:\n\n")
		writeManExample(b, c.Example)
	}
}

// writeManFlags lists flags the way cobra/doc does: the flag in bold, its
// help indented below. The built-in --help flag is left out: every command
// has it.
func writeManFlags(b *strings.Builder, fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		head := "**--" + f.Name + "**"
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			head = "**-" + f.Shorthand + "**, " + head
		}
		if f.Value.Type() != "bool" {
			varName, usage := pflag.UnquoteUsage(f)
			if varName == "" {
				varName = f.Value.Type()
			}
			head += " *" + varName + "*"
			fmt.Fprintf(b, "%s\n: %s\n\n", head, mdEscape(usage))
			return
		}
		fmt.Fprintf(b, "%s\n: %s\n\n", head, mdEscape(f.Usage))
	})
}

func writeManExample(b *strings.Builder, example string) {
	b.WriteString("```\n")
	for _, l := range strings.Split(strings.TrimRight(example, "\n"), "\n") {
		b.WriteString(strings.TrimPrefix(l, "  ") + "\n")
	}
	b.WriteString("```\n\n")
}

// mdParagraphs turns help text into Markdown paragraphs, keeping indented
// lines (lists, commands) as preformatted blocks.
func mdParagraphs(s string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
		lines := strings.Split(para, "\n")
		if strings.HasPrefix(lines[0], "  ") || strings.HasPrefix(lines[0], "\t") {
			b.WriteString("```\n" + para + "\n```\n\n")
			continue
		}
		// cobra's completion help uses "#### Linux:" as a heading.
		text := strings.TrimLeft(strings.Join(lines, " "), "# ")
		b.WriteString(mdEscape(text) + "\n\n")
	}
	return b.String()
}

// mdEscape keeps help text literal: Markdown would read these characters
// as emphasis, links or code.
func mdEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`)
	return r.Replace(s)
}

// manTrailer is what the command tree cannot say. Keep it in step with the
// code it describes: profile.DefaultPath, audit.DefaultPath,
// otp.DefaultSecretFile, otp.DefaultStatePath and exitCode.
const manTrailer = `# ENVIRONMENT
**K9S_GUARD_PROFILE**
: The profile file, when **--profile** is not given.

**K9S_GUARD_K9S**
: The K9s binary, when **--k9s** is not given; else **k9s** on **PATH**.

**K9S_GUARD_DEBUG**
: When set, internal errors are printed with a stack trace.

**KUBECONFIG**
: The kubeconfig files, as for kubectl and K9s; else *~/.kube/config*.

**XDG_CONFIG_HOME**, **XDG_STATE_HOME**, **XDG_DATA_HOME**
: Where the profile, the audit trail and the passcode file go (see FILES).

**NO_COLOR**
: When set to any non-empty value, nothing k9s-guard draws has colour: the passcode prompt, the status line and the full-screen pages (otp enroll, audit).

**SOURCE_DATE_EPOCH**
: The date printed on this page by **k9s-guard man**.

# FILES
*$XDG_CONFIG_HOME/k9s-guard/profile.yaml* (default *~/.config/k9s-guard/profile.yaml*)
: The profile: which contexts are protected, which actions need a passcode, how long a window lasts, and where elevated credentials come from.

*$XDG_STATE_HOME/k9s-guard/audit.jsonl* (default *~/.local/state/k9s-guard/audit.jsonl*)
: The audit trail: hash-chained JSON Lines, one record per step-up event and per elevated or refused request.

*$XDG_STATE_HOME/k9s-guard/otp-state.json*
: Used passcodes and wrong-code counts, for replay protection and lockout.

*$XDG_DATA_HOME/k9s-guard/otp-secret.json* (default *~/.local/share/k9s-guard/otp-secret.json*)
: The passcode secret, mode 0600, when the OS keyring is not used.

# EXIT STATUS
Running K9s, k9s-guard exits with K9s's own exit status. Otherwise: **0** success; **1** an error (a failed check, a missing secret); **2** a usage error; **130** a passcode prompt or enrolment was cancelled.

# SEE ALSO
**k9s**(1), **kubectl**(1). The profile reference, audit schema and threat model are in the docs folder of https://github.com/k9s-guard/k9s-guard.
`
