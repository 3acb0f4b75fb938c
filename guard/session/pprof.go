package session

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	rpprof "runtime/pprof"
	"strconv"
	"time"
)

// Profiling a session, for finding out what the guard costs in real use:
//
//   - K9S_GUARD_PPROF=127.0.0.1:6060 serves the runtime profiles
//     (/debug/pprof/...) on that address while the session runs. Only a
//     loopback address is accepted: the profiles show the program's memory,
//     which must not be reachable from the network.
//   - K9S_GUARD_PPROF_DIR=DIR writes a CPU profile of the whole session to
//     DIR/cpu.pprof, and the heap as it stands at exit to DIR/heap.pprof.
//     K9S_GUARD_PPROF_HZ=1000 samples more often than the default 100 Hz:
//     the guard uses so little CPU that a minute at 100 Hz is a few dozen
//     samples. (The Go runtime then prints one warning on stderr.)
//
// Neither is set in ordinary use, and then nothing is started. Neither
// profile holds a secret a user typed: a CPU profile has only stacks and
// counts, and a heap profile only allocation sites and sizes.

// startProfiling starts what the environment asks for and returns the
// function that stops it (writing the files) at the end of the session.
// A profile that cannot be started is reported on stderr before K9s takes
// the screen; the session runs anyway.
func startProfiling(getenv func(string) string, stderr func(string)) (stop func()) {
	var stops []func()
	if addr := getenv("K9S_GUARD_PPROF"); addr != "" {
		if s, err := servePprof(addr); err != nil {
			stderr(fmt.Sprintf("K9S_GUARD_PPROF: %v", err))
		} else {
			stops = append(stops, s)
		}
	}
	if dir := getenv("K9S_GUARD_PPROF_DIR"); dir != "" {
		hz, _ := strconv.Atoi(getenv("K9S_GUARD_PPROF_HZ"))
		if s, err := profileToDir(dir, hz); err != nil {
			stderr(fmt.Sprintf("K9S_GUARD_PPROF_DIR: %v", err))
		} else {
			stops = append(stops, s)
		}
	}
	return func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
}

// servePprof serves the profiles on a loopback address. Its own mux, never
// http.DefaultServeMux, so no other handler can ever expose them.
func servePprof(addr string) (func(), error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w (try 127.0.0.1:6060)", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("address %q: only a loopback address is accepted (try 127.0.0.1:6060)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}

// profileToDir profiles the CPU from now on and writes cpu.pprof and
// heap.pprof into dir when stopped.
func profileToDir(dir string, hz int) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make profile directory: %w", err)
	}
	cpu, err := os.OpenFile(filepath.Join(dir, "cpu.pprof"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create cpu profile: %w", err)
	}
	if hz > 0 {
		// StartCPUProfile keeps a rate set before it (and warns).
		runtime.SetCPUProfileRate(hz)
	}
	if err := rpprof.StartCPUProfile(cpu); err != nil {
		_ = cpu.Close()
		return nil, fmt.Errorf("start cpu profile: %w", err)
	}
	return func() {
		rpprof.StopCPUProfile()
		_ = cpu.Close()
		runtime.GC() // the heap profile shows live objects as of the last GC
		heap, err := os.OpenFile(filepath.Join(dir, "heap.pprof"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return
		}
		// Best effort: a profile is a diagnostic, and the session is over.
		_ = rpprof.Lookup("heap").WriteTo(heap, 0)
		_ = heap.Close()
	}, nil
}
