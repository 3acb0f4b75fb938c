package guard

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// k9sCompleteTimeout bounds how long a shell waits for K9s's completions;
// K9s answers in milliseconds, and a hung one must not hang the shell.
const k9sCompleteTimeout = 5 * time.Second

// ownValueFlags are k9s-guard's own flags that take a value on a K9s
// command line; parseLaunchArgs takes them out before K9s sees the rest.
var ownValueFlags = []string{"--profile", "--k9s"}

// complete answers a shell's completion request, in cobra's protocol: the
// shell runs `k9s-guard __complete word... current` and reads candidate
// lines ("value" or "value\tdescription") and then ":<directive>".
//
// A command line that starts with one of k9s-guard's own subcommands is
// completed by the command tree. Anything else is a K9s command line: K9s
// (found as the launcher finds it) completes it, k9s-guard's own flags and,
// for the first word, its subcommands are added, and the guard's win where
// the two share a name, because those words reach the guard. Without K9s,
// the guard's own are still offered.
func (a *App) complete(ctx context.Context, root *cobra.Command, args []string) error {
	req, words := args[0], args[1:]
	if len(words) == 0 {
		words = []string{""}
	}
	prev, cur := words[:len(words)-1], words[len(words)-1]
	if len(prev) > 0 && a.isOwnCommand(root, prev[0]) {
		root.SetArgs(args)
		return root.ExecuteContext(ctx)
	}
	k9sWords, k9sFlag, pending := splitOwnFlags(prev)
	if pending != "" {
		// The value of --profile or --k9s: a file, as cobra completes it.
		root.SetArgs([]string{req, pending, cur})
		return root.ExecuteContext(ctx)
	}
	if name, _, ok := strings.Cut(cur, "="); ok && isOwnValueFlag(name) {
		root.SetArgs([]string{req, cur})
		return root.ExecuteContext(ctx)
	}

	noDesc := req == cobra.ShellCompNoDescRequestCmd
	own := ownCompletions(root, len(prev) == 0, prev, cur, noDesc)
	var theirs []string
	directive := cobra.ShellCompDirectiveNoFileComp
	if path, err := a.findK9s(k9sFlag); err == nil {
		if c, d, err := k9sCompletions(ctx, path, req, append(k9sWords, cur)); err == nil && d&cobra.ShellCompDirectiveError == 0 {
			theirs, directive = c, d
		}
	}
	for _, line := range mergeCompletions(own, theirs) {
		fmt.Fprintln(a.Stdout, line)
	}
	fmt.Fprintf(a.Stdout, ":%d\n", directive)
	return nil
}

func isOwnValueFlag(name string) bool { return slices.Contains(ownValueFlags, name) }

// splitOwnFlags takes k9s-guard's own flags and their values out of the
// words before the one being completed, as parseLaunchArgs does. It returns
// what K9s would get, the --k9s value, and the own flag whose value the
// word being completed is ("" if none).
func splitOwnFlags(prev []string) (k9sWords []string, k9sPath, pending string) {
	for i := 0; i < len(prev); i++ {
		w := prev[i]
		if w == "--" {
			return append(k9sWords, prev[i:]...), k9sPath, ""
		}
		name, value, hasValue := strings.Cut(w, "=")
		if !isOwnValueFlag(name) {
			k9sWords = append(k9sWords, w)
			continue
		}
		if !hasValue {
			if i+1 >= len(prev) {
				return k9sWords, k9sPath, name
			}
			i++
			value = prev[i]
		}
		if name == "--k9s" {
			k9sPath = value
		}
	}
	return k9sWords, k9sPath, ""
}

// ownCompletions are k9s-guard's own candidates for the word cur. Help,
// version and the subcommands count only as the first word (see
// isOwnCommand); --profile and --k9s anywhere, once.
func ownCompletions(root *cobra.Command, first bool, prev []string, cur string, noDesc bool) []string {
	entry := func(value, desc string) string {
		if noDesc || desc == "" {
			return value
		}
		return value + "\t" + strings.SplitN(desc, "\n", 2)[0]
	}
	var out []string
	if !strings.HasPrefix(cur, "-") {
		if !first {
			return nil
		}
		for _, c := range root.Commands() {
			if (c.IsAvailableCommand() || c.Name() == "help") && strings.HasPrefix(c.Name(), cur) {
				out = append(out, entry(c.Name(), c.Short))
			}
		}
		return out
	}
	used := map[string]bool{}
	for _, w := range prev {
		name, _, _ := strings.Cut(w, "=")
		used[name] = true
	}
	root.Flags().VisitAll(func(f *pflag.Flag) {
		long := "--" + f.Name
		if f.Hidden || used[long] || (!first && !isOwnValueFlag(long)) {
			return
		}
		if strings.HasPrefix(long, cur) {
			out = append(out, entry(long, f.Usage))
		}
		if short := "-" + f.Shorthand; f.Shorthand != "" && !strings.HasPrefix(cur, "--") && strings.HasPrefix(short, cur) {
			out = append(out, entry(short, f.Usage))
		}
	})
	return out
}

// k9sCompletions runs `k9s __complete words...` and returns its candidate
// lines and directive. K9s reads the same environment (KUBECONFIG) and
// flags (--kubeconfig) it would when launched.
func k9sCompletions(ctx context.Context, path, req string, words []string) ([]string, cobra.ShellCompDirective, error) {
	ctx, cancel := context.WithTimeout(ctx, k9sCompleteTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append([]string{req}, words...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, io.Discard
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("k9s %s: %w", req, err)
	}
	return parseCompletions(out.String())
}

// parseCompletions splits cobra's completion output into candidate lines
// and the final ":<directive>" line.
func parseCompletions(out string) ([]string, cobra.ShellCompDirective, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	last := lines[len(lines)-1]
	d, err := strconv.Atoi(strings.TrimPrefix(last, ":"))
	if !strings.HasPrefix(last, ":") || err != nil {
		return nil, 0, fmt.Errorf("no completion directive in %q", last)
	}
	var cands []string
	for _, l := range lines[:len(lines)-1] {
		if l != "" {
			cands = append(cands, l)
		}
	}
	return cands, cobra.ShellCompDirective(d), nil
}

// mergeCompletions puts k9s-guard's candidates first and drops K9s's that
// have the same value ("help", "--help", "version", "completion").
func mergeCompletions(own, theirs []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(own)+len(theirs))
	for _, list := range [][]string{own, theirs} {
		for _, l := range list {
			value, _, _ := strings.Cut(l, "\t")
			if seen[value] {
				continue
			}
			seen[value] = true
			out = append(out, l)
		}
	}
	return out
}
