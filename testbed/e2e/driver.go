// Package e2e drives the real k9s-guard binary the way a person would: in a
// real pseudo-terminal, with the screen read back through a terminal
// emulator, keys typed one at a time, and every wait a poll with a deadline.
package e2e

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	cpty "github.com/creack/pty"
	"golang.org/x/term"
)

// Term is a program running in a real pty, watched through an emulator.
type Term struct {
	Cmd *exec.Cmd

	master, slave *os.File
	em            *vt.SafeEmulator
	done          chan struct{}
	readDone      chan struct{}
	exitErr       error

	mu  sync.Mutex
	raw []byte // everything the program wrote, for debugging
}

// Options for Start.
type Options struct {
	Cols, Rows int
	Env        []string // full environment
	Dir        string
}

// Start runs bin with args in a new pty of the given size. The test keeps
// the slave side open too, so it can read the terminal's mode after the
// program exits (was raw mode undone?).
func Start(bin string, args []string, o Options) (*Term, error) {
	if o.Cols == 0 {
		o.Cols, o.Rows = 120, 40
	}
	master, slave, err := cpty.Open()
	if err != nil {
		return nil, fmt.Errorf("open pty: %w", err)
	}
	if err := cpty.Setsize(master, &cpty.Winsize{Cols: uint16(o.Cols), Rows: uint16(o.Rows)}); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = o.Env, o.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		master.Close()
		slave.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	t := &Term{Cmd: cmd, master: master, slave: slave, em: vt.NewSafeEmulator(o.Cols, o.Rows), done: make(chan struct{}), readDone: make(chan struct{})}
	go func() {
		t.exitErr = cmd.Wait()
		close(t.done)
	}()
	go func() {
		defer close(t.readDone)
		buf := make([]byte, 32*1024)
		for {
			n, err := master.Read(buf)
			if n > 0 {
				t.mu.Lock()
				t.raw = append(t.raw, buf[:n]...)
				t.mu.Unlock()
				_, _ = t.em.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	// Like a real terminal, answer the program's queries (cursor position,
	// device attributes) on its input.
	go func() { _, _ = io.Copy(master, t.em) }()
	return t, nil
}

// Screen is the emulated screen as plain text, trailing spaces trimmed.
func (t *Term) Screen() string {
	lines := strings.Split(ansi.Strip(t.em.Render()), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// Lines is Screen split into rows.
func (t *Term) Lines() []string { return strings.Split(t.Screen(), "\n") }

// Raw returns every byte the program has written so far.
func (t *Term) Raw() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.raw...)
}

// AltScreen reports whether the emulator is on the alternate screen.
func (t *Term) AltScreen() bool { return t.em.IsAltScreen() }

// CursorHidden reports whether the program hid the cursor.
func (t *Term) CursorHidden() bool { return t.em.CursorHidden() }

// Type sends keys as the terminal would. Each string is written separately.
func (t *Term) Type(keys ...string) error {
	for _, k := range keys {
		if _, err := t.master.Write([]byte(k)); err != nil {
			return err
		}
	}
	return nil
}

// WaitFor polls the screen until cond holds or the timeout passes; the
// error shows the last screen.
func (t *Term) WaitFor(what string, timeout time.Duration, cond func(screen string) bool) error {
	deadline := time.Now().Add(timeout)
	for {
		s := t.Screen()
		if cond(s) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s; screen:\n%s", timeout, what, s)
		}
		select {
		case <-t.done:
			// One last look: the program may have drawn it just before exiting.
			<-t.readDoneOrTimeout()
			if s := t.Screen(); cond(s) {
				return nil
			}
			return fmt.Errorf("program exited (%v) while waiting for %s; screen:\n%s", t.exitErr, what, t.Screen())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// WaitText waits until the screen contains text.
func (t *Term) WaitText(text string, timeout time.Duration) error {
	return t.WaitFor(fmt.Sprintf("%q", text), timeout, func(s string) bool { return strings.Contains(s, text) })
}

func (t *Term) readDoneOrTimeout() <-chan struct{} {
	c := make(chan struct{})
	go func() {
		select {
		case <-t.readDone:
		case <-time.After(time.Second):
		}
		close(c)
	}()
	return c
}

// Resize changes the pty size (the program gets SIGWINCH) and the emulator's.
func (t *Term) Resize(cols, rows int) error {
	t.em.Resize(cols, rows)
	return cpty.Setsize(t.master, &cpty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
}

// Signal sends sig to the program.
func (t *Term) Signal(sig os.Signal) error { return t.Cmd.Process.Signal(sig) }

// Wait waits for the program to exit and returns its exit code (128+signal
// when killed by a signal).
func (t *Term) Wait(timeout time.Duration) (int, error) {
	select {
	case <-t.done:
	case <-time.After(timeout):
		return -1, fmt.Errorf("program still running after %s; screen:\n%s", timeout, t.Screen())
	}
	<-t.readDoneOrTimeout()
	if t.exitErr == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(t.exitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return -1, t.exitErr
}

// Done is closed when the program has exited.
func (t *Term) Done() <-chan struct{} { return t.done }

// TerminalMode reports whether the terminal is back in line mode with echo
// (what a shell expects), read from the slave side after the program exits.
func (t *Term) TerminalMode() (canonical, echo bool, err error) {
	st, err := termiosOf(t.slave)
	if err != nil {
		return false, false, err
	}
	return st.canonical, st.echo, nil
}

// IsTerminal reports whether the slave side is still a terminal.
func (t *Term) IsTerminal() bool { return term.IsTerminal(int(t.slave.Fd())) }

// Close ends the program if still running and releases the pty.
func (t *Term) Close() {
	select {
	case <-t.done:
	default:
		_ = t.Cmd.Process.Kill()
		<-t.done
	}
	t.master.Close()
	t.slave.Close()
}

// CellStyle describes the cell at column x, row y (colours and attributes),
// for telling apart screens whose text is the same.
func (t *Term) CellStyle(x, y int) string {
	c := t.em.CellAt(x, y)
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%q fg=%v bg=%v attrs=%v", c.Content, c.Style.Fg, c.Style.Bg, c.Style.Attrs)
}

// CellColors returns the foreground and background colours of the cell at
// column x, row y as 0xRRGGBB, or -1 for the terminal's default colour.
func (t *Term) CellColors(x, y int) (fg, bg int) {
	c := t.em.CellAt(x, y)
	if c == nil {
		return -1, -1
	}
	rgb := func(col color.Color) int {
		if col == nil {
			return -1
		}
		r, g, b, _ := col.RGBA()
		return int(r>>8)<<16 | int(g>>8)<<8 | int(b>>8)
	}
	return rgb(c.Style.Fg), rgb(c.Style.Bg)
}

// EverShown reports whether text was ever written to the terminal (escape
// sequences removed): a prompt that came and went still counts.
func (t *Term) EverShown(text string) bool {
	return strings.Contains(ansi.Strip(string(t.Raw())), text)
}

// ansiStrip is b as text, escape sequences removed.
func ansiStrip(b []byte) string { return ansi.Strip(string(b)) }

// CloseTree ends the program and every process below it (K9s, a shell,
// kubectl) and waits until they are gone. K9s outlives a killed guard for
// a moment (it exits on the pty's hang-up) and saves its config into HOME
// on the way out, while a test's TempDir cleanup is removing it ("directory
// not empty"). The error names a process still running 20 s after.
func (t *Term) CloseTree() error {
	var tree []proc
	select {
	case <-t.done:
	default:
		tree = descendants(t.Cmd.Process.Pid)
	}
	t.Close()
	for _, p := range tree {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
	return waitGone(tree, 20*time.Second)
}

// waitGone waits until none of procs runs; the error names the first
// still running when within has passed.
func waitGone(procs []proc, within time.Duration) error {
	deadline := time.Now().Add(within)
	for _, p := range procs {
		for alive(p.pid) {
			if time.Now().After(deadline) {
				return fmt.Errorf("process %d (%s) still runs after %s", p.pid, p.name, within)
			}
			time.Sleep(10 * time.Millisecond) // polling /proc with a deadline
		}
	}
	return nil
}

type proc struct {
	pid  int
	name string
}

// descendants lists every process below pid, from /proc.
func descendants(pid int) []proc {
	var out []proc
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(b)) {
			child, err := strconv.Atoi(field)
			if err != nil {
				continue
			}
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", child))
			out = append(out, proc{child, strings.TrimSpace(string(comm))})
			out = append(out, descendants(child)...)
		}
	}
	return out
}

// alive reports whether pid is a running process (a zombie has ended).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
