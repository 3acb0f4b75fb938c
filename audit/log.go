package audit

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// Options configures a Log. The zero value is usable.
type Options struct {
	// Now is the clock; time.Now when nil. Tests pass a fake one.
	Now func() time.Time
	// Session identifies this run of k9s-guard in every record; a random
	// 128-bit id is generated when empty.
	Session string
	// Sinks receive a copy of every record after it is durable locally.
	Sinks []Sink
	// OnSinkError is told about every record a sink failed to deliver. It
	// is called from the sink's own goroutine. Nil discards the errors.
	OnSinkError func(error)
}

// Log appends records to one audit file. It is safe for concurrent use by
// several goroutines, and several processes may hold a Log on the same file:
// a lock file next to it serialises appends so they form a single chain.
type Log struct {
	path    string
	now     func() time.Time
	session string
	user    string
	host    string
	pid     int
	lock    *flock.Flock

	mu   sync.Mutex
	f    *os.File         // nil once closed
	last string           // hash of the last record seen at the tail
	seq  map[string]int64 // the last sequence number used, by session

	sinks []*sinkWorker
}

// Open opens (creating if needed) the audit file at path with mode 0600 in
// a 0700 directory. It fails rather than fall back to another place: a
// guard that cannot audit must not elevate.
func Open(path string, opts Options) (*Log, error) {
	if path == "" {
		return nil, errors.New("open audit log: no path (set XDG_STATE_HOME or HOME, or the profile's audit file)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	l := &Log{
		path:    path,
		now:     opts.Now,
		session: opts.Session,
		pid:     os.Getpid(),
		f:       f,
		// Locking a sibling file rather than the log itself keeps the lock
		// working when the log is replaced underneath us.
		lock: flock.New(path+".lock", flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600)),
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.session == "" {
		l.session = newSessionID()
	}
	l.user = currentUser()
	if l.host, err = os.Hostname(); err != nil {
		l.host = "unknown"
	}
	// Take the lock once now so a lock file that cannot be created fails
	// Open, and remember the chain head in case the file is later removed.
	if err := l.lock.Lock(); err != nil {
		f.Close()
		return nil, fmt.Errorf("open audit log: lock %s: %w", l.lock.Path(), err)
	}
	last, _, err := tailHash(f)
	_ = l.lock.Unlock() // closing the lock file releases it too
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	l.last = last
	for _, s := range opts.Sinks {
		l.sinks = append(l.sinks, startSink(s, opts.OnSinkError))
	}
	return l, nil
}

// openFile opens the log for appending and reading its tail, and makes
// sure nobody else can read it: it names the contexts, the resources and
// the people who touched them.
func openFile(path string) (*os.File, error) {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	switch {
	case fi.IsDir():
		f.Close()
		return nil, fmt.Errorf("open audit log: %s is a directory", path)
	case fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0:
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, fmt.Errorf("open audit log: %s has mode %o and cannot be made private: %w", path, fi.Mode().Perm(), err)
		}
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		// Make the new directory entry durable too, or a crash could lose
		// the file together with the records fsynced into it.
		if d, err := os.Open(filepath.Dir(path)); err == nil {
			_ = d.Sync() // best effort: the file itself is fsynced on every record
			d.Close()
		}
	}
	return f, nil
}

// Path is the file the log writes to.
func (l *Log) Path() string { return l.path }

// Session is the session id stamped on records that carry none.
func (l *Log) Session() string { return l.session }

// Append writes r as the next record of the chain. It fills V, Time (UTC,
// from the clock), Session (when empty), User, Host, PID and Prev, and
// returns only once the record is fsynced, so the caller may then let the
// action it describes proceed. An error means the record is not in the
// file; the caller must fail closed.
func (l *Log) Append(r Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("append audit record: log is closed")
	}
	// The number is taken before anything can fail, and never given back:
	// a record that is not written is a hole in its session's sequence.
	if r.Session == "" {
		r.Session = l.session
	}
	if l.seq == nil {
		l.seq = map[string]int64{}
	}
	l.seq[r.Session]++
	r.Seq = l.seq[r.Session]
	if err := l.lock.Lock(); err != nil {
		return fmt.Errorf("append audit record: lock %s: %w", l.lock.Path(), err)
	}
	line, err := l.appendLocked(&r)
	if uerr := l.lock.Unlock(); uerr != nil && err == nil {
		// The record is durable, but other writers may now hang; say so
		// rather than pretend all is well.
		err = fmt.Errorf("append audit record: unlock %s: %w", l.lock.Path(), uerr)
	}
	if err != nil {
		return err
	}
	for _, s := range l.sinks {
		s.enqueue(line, r)
	}
	return nil
}

// appendLocked does the work of Append while the file lock is held. It
// returns the record's line without the newline.
func (l *Log) appendLocked(r *Record) ([]byte, error) {
	if err := l.reopenIfReplaced(); err != nil {
		return nil, err
	}
	fi, err := l.f.Stat()
	if err != nil {
		return nil, fmt.Errorf("append audit record: %w", err)
	}
	size := fi.Size()
	// Another process may have appended since our last record: re-read
	// the tail under the lock so all writers form one chain.
	prev, torn, err := tailHash(l.f)
	if err != nil {
		return nil, fmt.Errorf("append audit record: %w", err)
	}
	if prev == "" {
		// An empty file is a new chain, unless we have written to this
		// path before: then the file was emptied or removed, and chaining
		// on what we last saw makes verify report the missing records.
		prev = l.last
		if prev == "" {
			prev = Genesis
		}
	}

	r.V = SchemaVersion
	r.Time = l.now().UTC()
	if r.Session == "" {
		r.Session = l.session
	}
	r.User, r.Host, r.PID = l.user, l.host, l.pid
	if r.Deadline != nil {
		d := r.Deadline.UTC()
		r.Deadline = &d
	}
	r.Prev = prev
	redact(r)

	var buf bytes.Buffer
	if torn {
		// The file ends in a record torn by a crash or a full disk. End
		// that line so it stays on its own and ours starts cleanly; verify
		// reports it, and we chain on the last complete record.
		buf.WriteByte('\n')
	}
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("append audit record: encode: %w", err)
	}
	out := buf.Bytes()
	if _, err := l.f.Write(out); err != nil {
		return nil, fmt.Errorf("append audit record to %s: %w%s", l.path, err, l.rollback(fi, size))
	}
	if err := l.f.Sync(); err != nil {
		return nil, fmt.Errorf("append audit record to %s: fsync: %w%s", l.path, err, l.rollback(fi, size))
	}
	line := bytes.TrimSuffix(bytes.TrimPrefix(out, []byte{'\n'}), []byte{'\n'})
	l.last = Hash(line)
	return line, nil
}

// rollback cuts a failed write back off the file, so that a full disk
// leaves no half record behind. It returns a note for the error message.
func (l *Log) rollback(fi fs.FileInfo, size int64) string {
	if !fi.Mode().IsRegular() {
		return ""
	}
	if err := l.f.Truncate(size); err != nil {
		return fmt.Sprintf(" (removing the partial record failed: %v; verify will report it as torn)", err)
	}
	_ = l.f.Sync() // best effort: the truncation is already done
	return " (nothing was recorded)"
}

// reopenIfReplaced follows the path when the file was removed or replaced
// (by hand, or by rotation), so records are never written to an unlinked
// file where nobody would find them.
func (l *Log) reopenIfReplaced() error {
	cur, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("append audit record: %w", err)
	}
	st, err := os.Stat(l.path)
	if err == nil && os.SameFile(st, cur) {
		return nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("append audit record: %w", err)
	}
	f, err := openFile(l.path)
	if err != nil {
		return err
	}
	l.f.Close()
	l.f = f
	return nil
}

// Close stops the sinks (giving them a moment to deliver what is queued)
// and closes the file. Records appended after Close fail.
func (l *Log) Close() error {
	l.mu.Lock()
	f := l.f
	l.f = nil
	sinks := l.sinks
	l.sinks = nil
	l.mu.Unlock()
	if f == nil {
		return nil
	}
	for _, s := range sinks {
		s.stop()
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close audit log: %w", err)
	}
	return nil
}

// Hash is the chain hash of one record line (without its newline): the
// lowercase hex SHA-256 of exactly those bytes. The bytes on disk are the
// canonical form; nothing is re-encoded before hashing, so any edit to a
// line, even whitespace, changes its hash.
func Hash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// tailChunk is how much of the file end is read at first to find the last
// record; a record is a few hundred bytes.
const tailChunk = 4096

// tailHash finds the last complete record of f and returns its hash ("" if
// there is none), and whether f does not end with a newline (a torn tail).
func tailHash(f *os.File) (last string, torn bool, err error) {
	fi, err := f.Stat()
	if err != nil {
		return "", false, err
	}
	size := fi.Size()
	if size == 0 || !fi.Mode().IsRegular() {
		return "", false, nil
	}
	for chunk := int64(tailChunk); ; chunk *= 2 {
		start := max(size-chunk, 0)
		buf := make([]byte, size-start)
		if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("read audit log tail: %w", err)
		}
		torn = buf[len(buf)-1] != '\n'
		lines := bytes.Split(bytes.TrimSuffix(buf, []byte{'\n'}), []byte{'\n'})
		first := 0
		if start > 0 {
			first = 1 // may be the end of a line that began before start
		}
		for i := len(lines) - 1; i >= first; i-- {
			if _, ok := parseLine(lines[i]); ok {
				return Hash(lines[i]), torn, nil
			}
		}
		if start == 0 {
			return "", torn, nil
		}
	}
}

// parseLine decides whether a line is a record. Writer and verifier use
// this one definition, so they agree on which line the chain continues
// from after a torn one.
func parseLine(b []byte) (Record, bool) {
	var r Record
	if len(b) == 0 || b[0] != '{' {
		return r, false
	}
	if err := json.Unmarshal(b, &r); err != nil || r.V < 1 {
		return r, false
	}
	return r, true
}

func newSessionID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails on supported platforms (Go 1.24+)
	return hex.EncodeToString(b[:])
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid:" + strconv.Itoa(os.Getuid())
}

// secretLike matches things that must never reach the audit trail even if
// a caller passes them by mistake: PEM blocks (certificates, keys), JWTs
// (service account and OIDC tokens), bearer headers and passwords in URLs.
var secretLike = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)` +
	`|eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*` +
	`|(?i:bearer)\s+[A-Za-z0-9._~+/-]{8,}=*` +
	`|//[^/@\s]+:[^/@\s]*@`)

// redact replaces secret-looking text in every free-form field.
func redact(r *Record) {
	for _, p := range []*string{
		&r.Context, &r.Server, &r.BaseIdentity, &r.ElevatedIdentity, &r.Action,
		&r.Verb, &r.Group, &r.Resource, &r.Subresource, &r.Namespace, &r.Name, &r.Command, &r.SubPath,
		&r.Source, &r.CredentialID, &r.Reason, &r.Message,
	} {
		if secretLike.MatchString(*p) {
			*p = secretLike.ReplaceAllString(*p, "[redacted]")
		}
	}
}
