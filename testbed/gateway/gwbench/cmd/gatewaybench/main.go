// Command gatewaybench prints the credential gateway's benchmark table: GET
// latency added (p50, p99) and the throughput of a 5,000-object LIST,
// against client-go straight to the API server and against kubectl proxy,
// as medians of interleaved rounds on a throw-away test cluster.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/k9s-guard/k9s-guard/testbed/cluster"
	"github.com/k9s-guard/k9s-guard/testbed/gateway/gwbench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx)
	stop()
	os.Exit(code)
}

func run(ctx context.Context) int {
	rounds := flag.Int("rounds", 7, "interleaved rounds")
	gets := flag.Int("gets", 500, "GETs per target per round")
	lists := flag.Int("lists", 5, "LISTs per target per round")
	objects := flag.Int("objects", 5000, "ConfigMaps to LIST")
	flag.Parse()
	// The controller manager fills the aggregated "view" role the viewer uses.
	c, err := cluster.Start(ctx, cluster.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	defer c.Stop()
	env, err := gwbench.Setup(ctx, c, *objects)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	defer env.Close()
	if _, err := gwbench.Run(os.Stdout, env, gwbench.Options{Rounds: *rounds, Gets: *gets, Lists: *lists}); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}
