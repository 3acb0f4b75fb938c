// Command bench prints k9s-guard's benchmark tables: the pty relay (added
// keystroke latency, throughput, idle cost) against a bare pty and a minimal
// relay, measured in one interleaved run.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/k9s-guard/k9s-guard/testbed/ptybench"
)

func main() {
	if ptybench.Role() {
		return
	}
	guard := flag.String("guard", "../bin/k9s-guard", "k9s-guard binary")
	rounds := flag.Int("rounds", 5, "interleaved rounds")
	keys := flag.Int("keys", 500, "keystrokes per round")
	flag.Parse()
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	g, _ := filepath.Abs(*guard)
	if *ptyRows {
		if _, err := ptybench.Run(os.Stdout, self, g, *rounds, *keys); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
	}
	if err := runRealUse(os.Stdout, g); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
