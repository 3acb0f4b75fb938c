// Package ptybench measures what k9s-guard costs a terminal user: the
// keystroke-to-echo latency it adds, the output throughput it keeps, and its
// idle CPU and memory. The same child runs three ways in one run — in a
// bare pty, behind a minimal pty relay (the irreducible cost of one more pty
// hop), and behind k9s-guard with its shadow screen — and the runs are
// interleaved so machine noise hits all three alike.
package ptybench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	cpty "github.com/creack/pty"
	"golang.org/x/term"
)

// Env var that turns the benchmark binary into one of its helper roles.
const roleEnv = "K9S_GUARD_BENCH_ROLE"

// k9sVersion is what the helper says when asked for its version: the K9s
// k9s-guard is tested with, so that it prints no warning.
const k9sVersion = "v0.50.16"

// Role runs the helper role named in the environment, if any, and reports
// whether it did (then the caller exits).
func Role() bool {
	if os.Getenv(roleEnv) != "" && len(os.Args) > 1 && os.Args[1] == "version" {
		// k9s-guard asks the binary it runs as K9s for its version. Answered
		// by a flood role, that question made the guard read a second
		// 32 MiB flood into memory during the measured one.
		fmt.Println("Version: " + k9sVersion)
		return true
	}
	switch os.Getenv(roleEnv) {
	case "echo":
		echo()
	case "flood":
		flood("")
	case "flood-shell":
		// Like K9s handing the terminal to a shell: enter the alternate
		// screen, leave it, then the shell floods.
		flood("\x1b[?1049hK9S\x1b[?1049l")
	case "flood-alt":
		// Like K9s itself redrawing: the flood is on the alternate screen.
		flood("\x1b[?1049h")
	case "relay":
		relay(os.Args[len(os.Args)-1])
	default:
		return false
	}
	return true
}

// echo is the child for latency: raw mode, every byte written straight back.
func echo() {
	if st, err := term.MakeRaw(0); err == nil {
		defer term.Restore(0, st)
	}
	buf := make([]byte, 256)
	for {
		n, err := os.Stdin.Read(buf)
		if n > 0 {
			if bytes.IndexByte(buf[:n], 'q') >= 0 {
				return
			}
			os.Stdout.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// floodBytes is how much screen output the throughput child writes.
const floodBytes = 32 << 20

// frame is one K9s-like screen: cursor home, then 40 rows of coloured
// table cells, as a full-screen TUI redraw looks on the wire.
func frame(n int) []byte {
	var b bytes.Buffer
	b.WriteString("\x1b[H")
	for row := range 40 {
		fmt.Fprintf(&b, "\x1b[%d;1H\x1b[38;5;%dm%-30s\x1b[38;5;250m%-12s\x1b[1;32m%-10s\x1b[0m%8d", row+1, 30+row%200, fmt.Sprintf("web-7c9d%05d-%d", n, row), "Running", "1/1", n*row)
	}
	return b.Bytes()
}

func flood(prefix string) {
	if st, err := term.MakeRaw(0); err == nil {
		defer term.Restore(0, st)
	}
	// Wait for the go signal so the measurement starts after set-up.
	one := make([]byte, 1)
	_, _ = os.Stdin.Read(one)
	os.Stdout.Write([]byte(prefix))
	written := 0
	for i := 0; written < floodBytes; i++ {
		f := frame(i)
		os.Stdout.Write(f)
		written += len(f)
	}
	os.Stdout.Write([]byte("\x1b[0mDONE-FLOOD"))
	// Stay alive until told, so exit does not race the last bytes.
	_, _ = os.Stdin.Read(one)
}

// relay is the minimal pty relay: one more pty hop and nothing else.
func relay(child string) {
	st, err := term.MakeRaw(0)
	if err == nil {
		defer term.Restore(0, st)
	}
	cmd := exec.Command(child)
	cmd.Env = append(os.Environ(), roleEnv+"="+os.Getenv("K9S_GUARD_BENCH_CHILD"))
	p, err := cpty.StartWithSize(cmd, &cpty.Winsize{Cols: 120, Rows: 40})
	if err != nil {
		os.Exit(1)
	}
	go func() { _, _ = io.Copy(p, os.Stdin) }()
	_, _ = io.Copy(os.Stdout, p)
	_ = cmd.Wait()
}

// Setup names the ways the child can be run.
type Setup struct {
	Name string
	Cmd  func(role string) *exec.Cmd
}

// Setups returns the three setups: self is this benchmark binary (the
// child and the relay), guard the k9s-guard binary.
func Setups(self, guard, kubeconfig string) []Setup {
	env := func(role string) []string {
		dir := filepath.Dir(kubeconfig)
		return append(os.Environ(), roleEnv+"="+role, "K9S_GUARD_PROFILE="+filepath.Join(dir, "profile.yaml"),
			"XDG_STATE_HOME="+dir, "XDG_DATA_HOME="+dir, "KUBECONFIG="+kubeconfig)
	}
	return []Setup{
		{"bare pty", func(role string) *exec.Cmd {
			c := exec.Command(self)
			c.Env = env(role)
			return c
		}},
		{"minimal relay", func(role string) *exec.Cmd {
			c := exec.Command(self, "relay", self)
			// The relay itself runs as "relay"; its child inherits the role via
			// K9S_GUARD_BENCH_CHILD and switches to it.
			c.Env = append(env("relay"), "K9S_GUARD_BENCH_CHILD="+role)
			return c
		}},
		{"k9s-guard", func(role string) *exec.Cmd {
			c := exec.Command(guard, "--k9s", self)
			c.Env = env(role)
			return c
		}},
	}
}

// Result is one setup's numbers.
type Result struct {
	Name           string
	P50, P99       time.Duration // keystroke-to-echo
	Throughput     float64       // MB/s, a shell's output while K9s is away
	ThroughputAlt  float64       // MB/s, full-screen redraws on the alternate screen
	IdleCPU        float64       // percent of one core while idle (k9s-guard only)
	RSSMB          float64       // resident memory after the flood (k9s-guard only)
	latencySamples []time.Duration
	tputSamples    []float64
	altSamples     []float64
}

// conn is the top of a setup's pty: a goroutine reads it into a channel,
// because a pty master from creack/pty does not honour read deadlines.
type conn struct {
	cmd  *exec.Cmd
	p    *os.File
	data chan []byte
}

func start(s Setup, role string) (*conn, error) {
	cmd := s.Cmd(role)
	p, err := cpty.StartWithSize(cmd, &cpty.Winsize{Cols: 120, Rows: 40})
	if err != nil {
		return nil, err
	}
	c := &conn{cmd: cmd, p: p, data: make(chan []byte, 1024)}
	go func() {
		defer close(c.data)
		for {
			buf := make([]byte, 64*1024)
			n, err := p.Read(buf)
			if n > 0 {
				c.data <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	return c, nil
}

func (c *conn) close() {
	_, _ = c.p.Write([]byte("q"))
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
	for range c.data {
	}
	c.p.Close()
}

// read returns the next chunk, or nil after timeout.
func (c *conn) read(timeout time.Duration) ([]byte, error) {
	select {
	case b, ok := <-c.data:
		if !ok {
			return nil, io.EOF
		}
		return b, nil
	case <-time.After(timeout):
		return nil, nil
	}
}

// latency sends n single keystrokes one at a time and times each echo.
func latency(s Setup, n int) ([]time.Duration, error) {
	c, err := start(s, "echo")
	if err != nil {
		return nil, err
	}
	defer c.close()
	if err := c.waitEcho(10 * time.Second); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	out := make([]time.Duration, 0, n)
	for i := range n {
		k := byte('a' + i%10) // never 'q', which ends the echo child
		t0 := time.Now()
		if _, err := c.p.Write([]byte{k}); err != nil {
			return nil, err
		}
		for {
			b, err := c.read(5 * time.Second)
			if err != nil || b == nil {
				return nil, fmt.Errorf("%s: no echo of keystroke %d", s.Name, i)
			}
			if bytes.IndexByte(b, k) >= 0 {
				break
			}
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}

// waitEcho sends a warm-up key until the child echoes it (it has started and
// is in raw mode), then drains the extra echoes.
func (c *conn) waitEcho(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		_, _ = c.p.Write([]byte{'w'})
		b, err := c.read(200 * time.Millisecond)
		if err != nil {
			return err
		}
		if bytes.IndexByte(b, 'w') >= 0 {
			for {
				b, err := c.read(150 * time.Millisecond)
				if err != nil {
					return err
				}
				if b == nil {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("child never echoed")
}

// throughput measures MB/s of the flood child's output as read at the top.
func throughput(s Setup, role string) (float64, error) {
	c, err := start(s, role)
	if err != nil {
		return 0, err
	}
	defer c.close()
	marker := []byte("DONE-FLOOD")
	var total int
	var tail []byte
	var t0 time.Time
	deadline := time.Now().Add(10 * time.Second)
	for t0.IsZero() {
		// Keep sending the go byte until output appears (the chain may still
		// be starting); the child reads only the first one.
		_, _ = c.p.Write([]byte("g"))
		b, err := c.read(100 * time.Millisecond)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", s.Name, err)
		}
		if len(b) > 0 {
			t0 = time.Now()
			total += len(b)
			tail = b
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s: flood never started", s.Name)
		}
	}
	for !bytes.Contains(tail, marker) {
		b, err := c.read(60 * time.Second)
		if err != nil || b == nil {
			return 0, fmt.Errorf("%s: flood stopped early after %d bytes", s.Name, total)
		}
		total += len(b)
		tail = append(tail[max(0, len(tail)-16):], b...)
	}
	return float64(total) / time.Since(t0).Seconds() / 1e6, nil
}

// idle measures the CPU a running, idle k9s-guard uses over d, and its RSS.
func idle(s Setup, d time.Duration) (cpuPct, rssMB float64, err error) {
	c, err := start(s, "echo")
	if err != nil {
		return 0, 0, err
	}
	defer c.close()
	if err := c.waitEcho(10 * time.Second); err != nil {
		return 0, 0, err
	}
	pid := c.cmd.Process.Pid
	c0, err := cpuTicks(pid)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	time.Sleep(d) // measuring idle time is the point, not synchronisation
	c1, _ := cpuTicks(pid)
	el := time.Since(t0)
	rss, _ := rssKB(pid)
	return float64(c1-c0) / 100 / el.Seconds() * 100, float64(rss) / 1024, nil
}

func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k, nil
}

func rssKB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}

// Run measures every setup, interleaving rounds, and writes the table.
func Run(w io.Writer, self, guard string, rounds, keys int) ([]Result, error) {
	// k9s-guard starts its credential gateway from a kubeconfig; the echo
	// child never calls it, so one context pointing nowhere is enough.
	dir, err := os.MkdirTemp("", "ptybench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	kc := dir + "/kubeconfig"
	const cfg = "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: bench}}]\ncontexts: [{name: bench, context: {cluster: c, user: u}}]\ncurrent-context: bench\n"
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(dir+"/profile.yaml", []byte("version: 1\n"), 0o600); err != nil {
		return nil, err
	}
	load0 := loadavg()
	setups := Setups(self, guard, kc)
	res := make([]Result, len(setups))
	for i, s := range setups {
		res[i].Name = s.Name
	}
	for r := 0; r < rounds; r++ {
		for i, s := range setups {
			lat, err := latency(s, keys)
			if err != nil {
				return nil, err
			}
			res[i].latencySamples = append(res[i].latencySamples, lat...)
			tp, err := throughput(s, "flood-shell")
			if err != nil {
				return nil, err
			}
			res[i].tputSamples = append(res[i].tputSamples, tp)
			ta, err := throughput(s, "flood-alt")
			if err != nil {
				return nil, err
			}
			res[i].altSamples = append(res[i].altSamples, ta)
		}
	}
	for i := range res {
		sort.Slice(res[i].latencySamples, func(a, b int) bool { return res[i].latencySamples[a] < res[i].latencySamples[b] })
		res[i].P50 = pct(res[i].latencySamples, 0.50)
		res[i].P99 = pct(res[i].latencySamples, 0.99)
		sort.Float64s(res[i].tputSamples)
		res[i].Throughput = res[i].tputSamples[len(res[i].tputSamples)/2]
		sort.Float64s(res[i].altSamples)
		res[i].ThroughputAlt = res[i].altSamples[len(res[i].altSamples)/2]
	}
	g := &res[len(res)-1]
	if g.IdleCPU, g.RSSMB, err = idle(setups[len(setups)-1], 3*time.Second); err != nil {
		return nil, err
	}
	bare, relayR := res[0], res[1]
	fmt.Fprintf(w, "pty relay: %d rounds x %d keystrokes; %d MiB of output per flood; medians; setups interleaved; load average %.2f → %.2f\n\n", rounds, keys, floodBytes>>20, load0, loadavg())
	fmt.Fprintf(w, "| setup | echo p50 | echo p99 | added p50 | added p99 | shell flood MB/s | vs relay | K9s-screen flood MB/s | vs relay |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range res {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %.0f | %.2f | %.0f | %.2f |\n", r.Name, us(r.P50), us(r.P99), us(r.P50-bare.P50), us(r.P99-bare.P99),
			r.Throughput, r.Throughput/relayR.Throughput, r.ThroughputAlt, r.ThroughputAlt/relayR.ThroughputAlt)
	}
	fmt.Fprintf(w, "\nshell flood: K9s has handed the terminal to a shell (exec, edit) that prints a lot; the shadow screen only scans it for K9s's return.\nK9s-screen flood: full-screen redraws on the alternate screen, every byte emulated (K9s itself never draws this fast).\n")
	fmt.Fprintf(w, "\nk9s-guard idle: %.2f%% CPU, %.1f MiB RSS\n", g.IdleCPU, g.RSSMB)
	return res, nil
}

// loadavg is the 1-minute load average, printed with the numbers: on a
// shared machine they mean little without it.
func loadavg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func pct(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[int(float64(len(s)-1)*p)]
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/1e3) }
