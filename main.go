// Command k9s-guard runs K9s with step-up authentication: see README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/k9s-guard/k9s-guard/guard"
)

func main() {
	// Only SIGTERM cancels the context; the launcher forwards signals to K9s
	// itself, so a K9s session ignores this context until K9s exits.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	app := &guard.App{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now}
	code := app.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
