// Package pty runs K9s in a pseudo-terminal and owns the user's real
// terminal: it is the one place that switches the terminal to raw mode, and
// it puts everything back — line mode, echo, the main screen, a visible
// cursor — on every way out.
package pty

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	cpty "github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Size is a terminal size in cells.
type Size struct {
	Cols, Rows int
}

// Child is a program running on the far side of a pseudo-terminal.
type Child struct {
	cmd  *exec.Cmd
	tty  *os.File // the master side: read the child's output, write its input
	done chan struct{}
	err  error
}

// Start runs path with args and env in a new pseudo-terminal of the given
// size. The child gets its own session, so the pty is its controlling
// terminal and job control works as under a real terminal.
func Start(path string, args, env []string, size Size) (*Child, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	master, err := cpty.StartWithSize(cmd, &cpty.Winsize{Cols: uint16(size.Cols), Rows: uint16(size.Rows)})
	if err != nil {
		return nil, fmt.Errorf("start %s in a pty: %w", path, err)
	}
	tty, err := outOfThePoller(master)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("start %s in a pty: %w", path, err)
	}
	c := &Child{cmd: cmd, tty: tty, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// outOfThePoller returns the pty master as a file of blocking reads that
// Go's network poller does not watch, and closes master.
//
// The master is read with blocking reads (the pty package's size ioctl
// takes the descriptor, which puts it in blocking mode) but stayed
// registered, edge-triggered, with the poller, on which the gateway's
// listener keeps the runtime waiting: every chunk K9s wrote woke a thread
// from epoll for nothing. In a flood that was a sixth of the guard's CPU,
// on the way to the terminal.
func outOfThePoller(master *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(master.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		_ = master.Close()
		return nil, fmt.Errorf("duplicate the pty: %w", err)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		_ = unix.Close(fd)
		_ = master.Close()
		return nil, fmt.Errorf("pty in blocking mode: %w", err)
	}
	name := master.Name()
	_ = master.Close()
	// A blocking descriptor: os.NewFile leaves it out of the poller.
	return os.NewFile(uintptr(fd), name), nil
}

// Read reads the child's output.
func (c *Child) Read(p []byte) (int, error) { return c.tty.Read(p) }

// Write sends input to the child.
func (c *Child) Write(p []byte) (int, error) { return c.tty.Write(p) }

// Resize tells the child its terminal changed size (it gets SIGWINCH).
func (c *Child) Resize(s Size) error {
	return cpty.Setsize(c.tty, &cpty.Winsize{Cols: uint16(s.Cols), Rows: uint16(s.Rows)})
}

// Signal forwards a signal to the child.
func (c *Child) Signal(sig os.Signal) error {
	select {
	case <-c.done:
		return nil
	default:
	}
	return c.cmd.Process.Signal(sig)
}

// Kill ends the child at once.
func (c *Child) Kill() { _ = c.Signal(syscall.SIGKILL) }

// Pid is the child's process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Done is closed when the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// ExitCode reports the child's exit status the way a shell would: its own
// code, or 128+signal when a signal killed it. Valid after Done.
func (c *Child) ExitCode() int {
	<-c.done
	if c.err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

// Close releases the pty master. Reads in progress return an error.
func (c *Child) Close() error { return c.tty.Close() }
