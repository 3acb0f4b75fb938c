package audit

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// freePort asks the kernel for an unused loopback port.
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func rsyslogd(t *testing.T) string {
	if p, err := exec.LookPath("rsyslogd"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/rsyslogd", "/sbin/rsyslogd"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("rsyslogd not found: install the rsyslog package (apt-get install -y rsyslog) to test the syslog sink against a real daemon")
	return ""
}

// startRsyslog runs a private rsyslogd listening on loopback TCP and UDP
// and writing what it parsed from each message to a file.
func startRsyslog(t *testing.T) (tcpAddr, udpAddr, out string) {
	bin := rsyslogd(t)
	dir := t.TempDir()
	out = filepath.Join(dir, "received.log")
	tcpPort, udpPort := freePort(t, "tcp"), freePort(t, "udp")
	conf := filepath.Join(dir, "rsyslog.conf")
	// The template prints the fields rsyslog's RFC 5424 parser extracted,
	// so the test checks the framing and header, not just the payload.
	err := os.WriteFile(conf, fmt.Appendf(nil, `global(workDirectory=%q)
module(load="imtcp")
module(load="imudp")
input(type="imtcp" address="127.0.0.1" port="%d")
input(type="imudp" address="127.0.0.1" port="%d")
template(name="fields" type="string" string="%%inputname%% %%protocol-version%% %%app-name%% %%procid%% %%msgid%% %%syslogfacility-text%% %%syslogseverity-text%% %%msg%%\n")
*.* action(type="omfile" file=%q template="fields")
`, dir, tcpPort, udpPort, out), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	tcpAddr = fmt.Sprintf("127.0.0.1:%d", tcpPort)
	udpAddr = fmt.Sprintf("127.0.0.1:%d", udpPort)
	poll(t, "rsyslogd to accept TCP", 30*time.Second, func() bool {
		select {
		case <-exited:
			t.Fatalf("rsyslogd exited: %s", &stderr)
		default:
		}
		c, err := net.Dial("tcp", tcpAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	// UDP has no handshake: send probes until one is written out.
	probe, err := net.Dial("udp", udpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	poll(t, "rsyslogd to receive UDP", 30*time.Second, func() bool {
		probe.Write([]byte("<14>1 2026-01-01T00:00:00Z h probe - - - ready"))
		b, _ := os.ReadFile(out)
		return bytes.Contains(b, []byte(" probe "))
	})
	return tcpAddr, udpAddr, out
}

// The team sink against a real rsyslogd over both transports: every
// record arrives, is parsed as RFC 5424 with our app name, event as MSGID
// and the authpriv facility, and carries the very bytes of the local line,
// so the collector's copy can anchor the local chain.
func TestSyslogSinkDeliversToRsyslog(t *testing.T) {
	tcpAddr, udpAddr, out := startRsyslog(t)
	var mu sync.Mutex
	var sinkErrs []error
	l := openTemp(t, Options{
		Sinks: []Sink{
			&SyslogSink{Network: "tcp", Addr: tcpAddr, AppName: "k9s-guard-test"},
			&SyslogSink{Network: "udp", Addr: udpAddr, AppName: "k9s-guard-test"},
		},
		OnSinkError: func(err error) { mu.Lock(); sinkErrs = append(sinkErrs, err); mu.Unlock() },
	})
	events := []Event{EventSessionStart, EventStepupGranted, EventRequestDenied}
	for _, ev := range events {
		r := sampleRecord(1)
		r.Event = ev
		if err := l.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil { // drains the sinks
		t.Fatal(err)
	}
	mu.Lock()
	if len(sinkErrs) > 0 {
		t.Fatalf("sink errors: %v", sinkErrs)
	}
	mu.Unlock()

	local, _ := os.ReadFile(l.Path())
	localLines := strings.Split(strings.TrimSuffix(string(local), "\n"), "\n")
	var got []string
	poll(t, "six records at rsyslogd", 30*time.Second, func() bool {
		b, _ := os.ReadFile(out)
		got = nil
		// rsyslogd may be half way through writing a line: only lines
		// that end in a newline are complete.
		whole := string(b[:bytes.LastIndexByte(b, '\n')+1])
		for _, line := range strings.Split(whole, "\n") {
			if strings.HasPrefix(line, "im") && !strings.Contains(line, " probe ") {
				got = append(got, line)
			}
		}
		return len(got) >= 2*len(events)
	})
	severity := map[Event]string{EventSessionStart: "info", EventStepupGranted: "notice", EventRequestDenied: "warning"}
	for _, input := range []string{"imtcp", "imudp"} {
		n := 0
		for _, line := range got {
			f := strings.SplitN(line, " ", 8)
			if len(f) != 8 || f[0] != input {
				continue
			}
			ev := events[n]
			want := []string{input, "1", "k9s-guard-test", fmt.Sprint(os.Getpid()), string(ev), "authpriv", severity[ev]}
			if strings.Join(f[:7], " ") != strings.Join(want, " ") {
				t.Errorf("%s record %d header %q, want %q", input, n+1, f[:7], want)
			}
			if msg := strings.TrimSpace(f[7]); msg != localLines[n] {
				t.Errorf("%s record %d payload differs from the local line:\n got %s\nwant %s", input, n+1, msg, localLines[n])
			}
			n++
		}
		if n != len(events) {
			t.Errorf("%s: %d records arrived, want %d:\n%s", input, n, len(events), strings.Join(got, "\n"))
		}
	}
}

// A dead collector must not block or fail the local write; the failure
// goes to the error callback instead.
func TestSinkFailureDoesNotFailAppend(t *testing.T) {
	errs := make(chan error, 10)
	l := openTemp(t, Options{
		Sinks:       []Sink{&SyslogSink{Network: "tcp", Addr: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp"))}},
		OnSinkError: func(err error) { errs <- err },
	})
	if err := l.Append(Record{Event: EventStepupGranted}); err != nil {
		t.Fatalf("Append failed because of the sink: %v", err)
	}
	if rep := verifyFile(t, l.Path()); rep.Records != 1 {
		t.Fatalf("local record missing: %+v", rep)
	}
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "syslog tcp://127.0.0.1:") || !strings.Contains(err.Error(), "stepup.granted record not delivered") {
			t.Fatalf("sink error %q", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no sink error reported")
	}
}

// stuckSink blocks every Send until released.
type stuckSink struct{ release chan struct{} }

func (s stuckSink) Send([]byte, Record) error { <-s.release; return errors.New("gave up") }
func (s stuckSink) Close() error              { return nil }
func (s stuckSink) String() string            { return "stuck" }

// A collector that hangs must not hold up Append (and so the user's
// action); once its queue is full, further records are reported dropped
// for that sink, never silently.
func TestStuckSinkDoesNotBlockAppend(t *testing.T) {
	release := make(chan struct{})
	dropped := make(chan error, 1)
	l := openTemp(t, Options{
		Sinks: []Sink{stuckSink{release}},
		OnSinkError: func(err error) {
			if strings.Contains(err.Error(), "queue full") {
				select {
				case dropped <- err:
				default:
				}
			}
		},
	})
	done := make(chan error)
	go func() {
		for i := 0; i < sinkQueue+10; i++ {
			if err := l.Append(Record{Event: EventRequestElevated}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("Append blocked behind a stuck sink")
	}
	select {
	case err := <-dropped:
		t.Logf("reported: %v", err)
	default:
		t.Fatal("overflow of the sink queue was not reported")
	}
	close(release)
}
