package guard

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// version is stamped at build time with -ldflags "-X ...guard.version=v1.2.3".
var version = ""

// Version reports k9s-guard's version: the stamped one, else the module
// version from the build info, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Run is the whole program: main calls it and exits with its result.
func (a *App) Run(ctx context.Context, args []string) int {
	err := a.run(ctx, args)
	if err != nil {
		if ee, ok := err.(*ExitError); !ok || ee.Err != nil {
			fmt.Fprintf(a.Stderr, "error: %v\n", err)
		}
	}
	return exitCode(err)
}

func (a *App) run(ctx context.Context, args []string) error {
	root := a.rootCommand()
	// A shell asking for completions gets k9s-guard's own merged with
	// K9s's, since a K9s command line is what k9s-guard mostly takes.
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		return a.complete(ctx, root, args)
	}
	// k9s-guard's own subcommands and help go to the command tree; anything
	// else is a K9s command line, passed through verbatim.
	if len(args) > 0 && a.isOwnCommand(root, args[0]) {
		root.SetArgs(args)
		return root.ExecuteContext(ctx)
	}
	la, err := parseLaunchArgs(args)
	if err != nil {
		return err
	}
	ta, closeTTY, err := a.withTerminalOutput()
	if err != nil {
		return err
	}
	defer closeTTY()
	code, err := ta.launch(ctx, la)
	if err != nil {
		return err
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// ownFlagWords are the words that, first on the command line, are
// k9s-guard's rather than K9s's: help and version, as the help advertises
// them (K9s has no -v of its own).
var ownFlagWords = []string{"-h", "--help", "-v", "--version"}

func (a *App) isOwnCommand(root *cobra.Command, word string) bool {
	if slices.Contains(ownFlagWords, word) {
		return true
	}
	for _, c := range root.Commands() {
		if c.Name() == word || slices.Contains(c.Aliases, word) {
			return true
		}
	}
	return false
}

func (a *App) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "k9s-guard [--profile FILE] [--k9s PATH] [k9s flags...]",
		Short: "Run K9s with step-up authentication for dangerous actions",
		Long: `k9s-guard runs K9s unchanged, and asks for a one-time passcode before a
destructive or sensitive action (delete, kill, edit, scale, exec, port-forward,
reading secrets...) in a context your profile marks as protected. A right code
opens a short window with elevated credentials; then privileges fall back.

Every flag k9s-guard does not know is passed to K9s verbatim.`,
		Example: `  k9s-guard                          # K9s, guarded, on the current context
  k9s-guard --context prod -n shop   # any K9s flags
  k9s-guard --profile ./profile.yaml # another profile
  k9s-guard version                  # k9s-guard and K9s versions`,
		Version: Version(),
		// The launcher never goes through the command tree (see run); this
		// Run only makes the help show the launcher's usage line.
		Run:               func(cmd *cobra.Command, _ []string) { _ = cmd.Help() },
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
	}
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	root.SetIn(a.Stdin)
	root.SetVersionTemplate("k9s-guard {{.Version}}\n")
	root.Flags().String("profile", "", "profile file (default $XDG_CONFIG_HOME/k9s-guard/profile.yaml, or $K9S_GUARD_PROFILE)")
	root.Flags().String("k9s", "", "K9s binary (default $K9S_GUARD_K9S, else k9s on PATH)")
	// Every subcommand, in one list: a new one is added here.
	root.AddCommand(
		a.versionCommand(),
		a.auditCommand(),
		a.doctorCommand(),
		a.initCommand(),
		a.manCommand(),
		a.otpCommand(),
		a.brokerCommand(),
		a.elevationsCommand(),
	)
	// Cobra adds these while a command line runs; added now, the help
	// text, the completion and the checks below all see the same tree.
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.Args = cobra.NoArgs
	root.SetFlagErrorFunc(flagUsageError)
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Args = func(cmd *cobra.Command, args []string) error {
				if found, rest, err := cmd.Root().Find(args); err != nil || found == nil || len(rest) > 0 {
					return fmt.Errorf("unknown help topic %q", strings.Join(args, " "))
				}
				return nil
			}
		case "completion":
			// Without a Run, cobra shows the help for any argument and
			// exits 0; a shell it does not know is a usage error.
			c.Args = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return fmt.Errorf("unknown shell %q (want bash, zsh, fish or powershell)", args[0])
				}
				return nil
			}
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
	}
	usageArgsEverywhere(root)
	return root
}

// usageArgsEverywhere makes every wrong number or kind of arguments a usage
// error (exit code 2), in commands cobra made as well as ours.
func usageArgsEverywhere(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			err := check(cmd, args)
			var ee *ExitError
			if err == nil || errors.As(err, &ee) {
				return err
			}
			return usageError("%s: %v", cmd.CommandPath(), err)
		}
	}
	for _, sub := range c.Commands() {
		usageArgsEverywhere(sub)
	}
}

func (a *App) versionCommand() *cobra.Command {
	var k9sPath string
	c := &cobra.Command{
		Use:   "version",
		Short: "Print k9s-guard's version and the K9s it would run",
		Example: `  k9s-guard version
  k9s-guard version --k9s /opt/k9s/bin/k9s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.Stdout, "k9s-guard %s\n", Version())
			path, err := a.findK9s(k9sPath)
			if err != nil {
				fmt.Fprintf(a.Stdout, "k9s       not found (%v)\n", err)
				return nil
			}
			v, err := k9sVersion(cmd.Context(), path)
			if err != nil {
				fmt.Fprintf(a.Stdout, "k9s       %s (version unknown: %v)\n", path, err)
				return nil
			}
			fmt.Fprintf(a.Stdout, "k9s       %s (%s)\n", v, path)
			if !inTestedRange(v) {
				fmt.Fprintf(a.Stdout, "          untested: k9s-guard is tested with K9s %s\n", testedRange())
			}
			return nil
		},
	}
	c.Flags().StringVar(&k9sPath, "k9s", "", "K9s binary")
	return c
}
