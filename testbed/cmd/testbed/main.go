// Command testbed starts the local control plane k9s-guard is tested
// against, for people: `testbed up` keeps it running until Ctrl-C and prints
// how to point kubectl or K9s at it; `testbed demo` runs k9s-guard against
// it in this terminal and tears it down when K9s quits.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: testbed up | testbed demo --guard BIN --k9s BIN")
		return 2
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	guard := fs.String("guard", "k9s-guard", "k9s-guard binary")
	k9s := fs.String("k9s", "", "K9s binary")
	dir := fs.String("dir", "", "state directory (default: a temporary one)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	fmt.Fprintln(os.Stderr, "testbed: starting etcd, kube-apiserver and kube-controller-manager on 127.0.0.1...")
	c, err := cluster.Start(ctx, cluster.Options{Dir: *dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	defer c.Stop()
	switch args[0] {
	case "up":
		fmt.Printf("export KUBECONFIG=%s\n# contexts: admin (cluster-admin), dev and prod (read-only viewer), imp (impersonator)\n# Ctrl-C stops the cluster\n", c.Kubeconfig)
		<-ctx.Done()
		return 0
	case "demo":
		return demo(ctx, c, *guard, *k9s)
	default:
		fmt.Fprintf(os.Stderr, "error: unknown command %q\n", args[0])
		return 2
	}
}

func demo(ctx context.Context, c *cluster.Cluster, guard, k9s string) int {
	home := filepath.Join(c.Dir, "demo")
	if err := os.MkdirAll(home, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	env := append(os.Environ(),
		"KUBECONFIG="+c.Kubeconfig,
		"K9S_GUARD_PROFILE="+filepath.Join(home, "profile.yaml"),
		"XDG_STATE_HOME="+filepath.Join(home, "state"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
	)
	if k9s != "" {
		env = append(env, "K9S_GUARD_K9S="+k9s)
	}
	if err := prepareDemo(ctx, home, guard, c.Kubeconfig, env); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	cmd := exec.Command(guard, "--context", cluster.ContextProd)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// k9s-guard handles the terminal's signals itself; this process only
	// waits for it and then stops the cluster.
	signal.Ignore(os.Interrupt)
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}
