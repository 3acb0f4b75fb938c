package audit

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sink receives a copy of each record once it is durable in the local
// file. The local file is the record of truth; a sink gives a team a copy
// the user of the machine cannot rewrite, which is what makes removing or
// rewriting the local tail detectable.
type Sink interface {
	// Send delivers one record. line is its exact JSON, the bytes the
	// local file holds (without the newline), so a remote copy can be
	// checked against the chain with Hash.
	Send(line []byte, r Record) error
	// Close releases the sink's resources.
	Close() error
}

// sinkQueue is how many records may wait for a slow sink before further
// ones are dropped (and reported): Append never waits for a sink.
const sinkQueue = 1024

// sinkDrain bounds how long Close waits for a sink to deliver its queue,
// so an unreachable collector cannot hang k9s-guard's exit.
const sinkDrain = 5 * time.Second

type sinkItem struct {
	line []byte
	rec  Record
}

// sinkWorker feeds one sink from its own goroutine, so a slow or dead
// collector neither blocks nor fails the local write.
type sinkWorker struct {
	sink  Sink
	onErr func(error)
	ch    chan sinkItem
	done  chan struct{}

	mu      sync.Mutex
	stopped bool
}

func startSink(s Sink, onErr func(error)) *sinkWorker {
	if onErr == nil {
		onErr = func(error) {}
	}
	w := &sinkWorker{sink: s, onErr: onErr, ch: make(chan sinkItem, sinkQueue), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *sinkWorker) run() {
	defer close(w.done)
	defer func() {
		if err := w.sink.Close(); err != nil {
			w.onErr(fmt.Errorf("audit sink %v: close: %w", w.sink, err))
		}
	}()
	for it := range w.ch {
		if err := w.sink.Send(it.line, it.rec); err != nil {
			w.onErr(fmt.Errorf("audit sink %v: %s record not delivered (the local file has it): %w", w.sink, it.rec.Event, err))
		}
	}
}

func (w *sinkWorker) enqueue(line []byte, r Record) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	select {
	case w.ch <- sinkItem{line: line, rec: r}:
	default:
		w.onErr(fmt.Errorf("audit sink %v: queue full, %s record dropped for this sink (the local file has it)", w.sink, r.Event))
	}
}

func (w *sinkWorker) stop() {
	w.mu.Lock()
	if !w.stopped {
		w.stopped = true
		close(w.ch)
	}
	w.mu.Unlock()
	t := time.NewTimer(sinkDrain)
	defer t.Stop()
	select {
	case <-w.done:
	case <-t.C:
		w.onErr(fmt.Errorf("audit sink %v: %d record(s) not delivered before exit (the local file has them)", w.sink, len(w.ch)))
	}
}

// SyslogSink sends each record as an RFC 5424 message to a syslog daemon
// (rsyslog, syslog-ng, a SIEM collector). Over TCP messages are framed by
// octet counting (RFC 6587); over UDP each is one datagram. The message is
// the record's JSON line, so the collector's copy carries the hash chain.
// Use it as a pointer; it is safe for concurrent use.
type SyslogSink struct {
	// Network is "udp" (the default) or "tcp".
	Network string
	// Addr is the collector's host:port.
	Addr string
	// AppName is the RFC 5424 APP-NAME; "k9s-guard" when empty.
	AppName string
	// Facility is the syslog facility number; 0 means authpriv (10),
	// since the records are security data (and kern, 0, is not for user
	// processes).
	Facility int

	mu   sync.Mutex
	conn net.Conn
	host string
}

// syslogTimeout bounds each dial and write, so a stalled collector costs
// the sink goroutine at most this long per record.
const syslogTimeout = 5 * time.Second

func (s *SyslogSink) String() string {
	return "syslog " + s.network() + "://" + s.Addr
}

func (s *SyslogSink) network() string {
	if s.Network == "" {
		return "udp"
	}
	return s.Network
}

// Send implements Sink.
func (s *SyslogSink) Send(line []byte, r Record) error {
	switch s.network() {
	case "udp", "udp4", "udp6", "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("network %q: want udp or tcp", s.Network)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.host == "" {
		s.host = r.Host
		if s.host == "" {
			s.host, _ = os.Hostname()
		}
	}
	msg := s.format(line, r)
	if strings.HasPrefix(s.network(), "tcp") {
		msg = append([]byte(strconv.Itoa(len(msg))+" "), msg...)
	}
	// A TCP connection may have been closed by the collector since the
	// last record; one redial covers a restarted daemon.
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if s.conn == nil {
			if s.conn, err = net.DialTimeout(s.network(), s.Addr, syslogTimeout); err != nil {
				s.conn = nil
				return fmt.Errorf("dial: %w", err)
			}
		}
		_ = s.conn.SetWriteDeadline(time.Now().Add(syslogTimeout)) // a failed write reports it
		if _, err = s.conn.Write(msg); err == nil {
			return nil
		}
		s.conn.Close()
		s.conn = nil
	}
	return fmt.Errorf("write: %w", err)
}

// Close implements Sink.
func (s *SyslogSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// format builds "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG".
func (s *SyslogSink) format(line []byte, r Record) []byte {
	fac := s.Facility
	if fac <= 0 || fac > 23 {
		fac = 10 // authpriv
	}
	app := s.AppName
	if app == "" {
		app = "k9s-guard"
	}
	var b []byte
	b = fmt.Appendf(b, "<%d>1 %s %s %s %d %s - ",
		fac*8+severity(r.Event),
		r.Time.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), // RFC 5424 allows at most 6 fraction digits
		header(s.host, 255), header(app, 48), r.PID, header(string(r.Event), 32))
	return append(b, line...)
}

// severity makes refusals stand out in the collector: warning for denied
// and locked-out, notice for elevation, info for the rest.
func severity(e Event) int {
	switch e {
	case EventStepupDenied, EventStepupLockout, EventRequestDenied:
		return 4
	case EventStepupGranted, EventWindowOpen, EventRequestElevated:
		return 5
	}
	return 6
}

// header makes s a valid RFC 5424 header field: printable US-ASCII without
// spaces, at most limit characters, "-" when empty.
func header(s string, limit int) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(out) < limit; i++ {
		if c := s[i]; c > 32 && c < 127 {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return string(out)
}
