package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/k9s-guard/k9s-guard/testbed/cluster"
	"github.com/k9s-guard/k9s-guard/testbed/realuse"
)

// The real-use rows: K9s through k9s-guard against bare K9s on a local
// cluster, and the shadow screen alone on the output K9s drew.
var (
	ptyRows       = flag.Bool("pty", true, "measure the pty relay table")
	realUseDur    = flag.Duration("realuse", 45*time.Second, "measured interval of each real-use run (0 skips the real-use rows)")
	realUseRounds = flag.Int("realuse-rounds", 3, "interleaved real-use rounds")
	realUsePods   = flag.Int("realuse-pods", 500, "pods K9s lists in the real-use runs")
	realUsePprof  = flag.String("realuse-pprof", "", "directory for k9s-guard's CPU and heap profiles of each real-use run")
	guardEnv      = flag.String("realuse-guard-env", "", "space-separated NAME=VALUE pairs for k9s-guard in the real-use runs (GOGC=50, ...)")
	startRounds   = flag.Int("realuse-starts", 7, "interleaved start-up measurements, bare and guarded")
	rawOut        = flag.String("realuse-raw", "", "file to save the output bare K9s drew (for the emulator benchmark)")
)

// runRealUse prints the real-use table and the emulator-alone line.
func runRealUse(w io.Writer, guard string) error {
	if *realUseDur <= 0 {
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	k9s := filepath.Join(os.Getenv("K9S_GUARD_TOOLS"), "k9s")
	if _, err := os.Stat(k9s); err != nil {
		return fmt.Errorf("real use needs K9s in $K9S_GUARD_TOOLS: %w", err)
	}
	c, err := cluster.Start(ctx, cluster.Options{})
	if err != nil {
		return fmt.Errorf("start cluster: %w", err)
	}
	defer c.Stop()
	if err := realuse.Setup(ctx, c, *realUsePods); err != nil {
		return err
	}
	o := realuse.Options{Guard: guard, K9s: k9s, Pods: *realUsePods, Duration: *realUseDur, Rounds: *realUseRounds, Cols: 200, Rows: 60, PprofDir: *realUsePprof, GuardEnv: strings.Fields(*guardEnv), StartRounds: *startRounds}
	fmt.Fprintln(w)
	res, err := realuse.Run(ctx, w, c, o)
	if err != nil {
		return err
	}
	raw := res.Bare[len(res.Bare)-1].Raw
	if *rawOut != "" {
		if err := os.WriteFile(*rawOut, raw, 0o600); err != nil {
			return err
		}
	}
	mbs, err := realuse.Emulator(raw, o.Cols, o.Rows, 3*time.Second)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nshadow screen alone on %d KiB K9s drew in one run: %.1f MB per CPU-second (load average %.2f)\n", len(raw)>>10, mbs, loadNow())
	return nil
}

func loadNow() float64 {
	var l float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		_, _ = fmt.Sscan(string(b), &l)
	}
	return l
}
