package audit

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// child starts the test binary again as a writer with the given role.
func child(t *testing.T, role, path string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role, "AUDIT_TEST_FILE="+path)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = &bytes.Buffer{}
	return cmd
}

// poll waits for cond with a deadline instead of sleeping for a guess.
func poll(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond) // a poll interval, not synchronisation
	}
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("\n"))
}

// A writer killed with SIGKILL in the middle of a burst (power loss, OOM
// killer, kill -9) leaves at most a torn last line; the next writer ends
// that line and chains on the last complete record.
func TestKilledWriterLeavesAtMostATornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	cmd := child(t, "burst", path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	poll(t, "the writer to append 200 records", time.Minute, func() bool { return countLines(path) >= 200 })
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("writer was not killed by SIGKILL: %v; stderr: %s", cmd.ProcessState, cmd.Stderr)
	}

	before := verifyFile(t, path)
	if !before.OK() {
		t.Fatalf("after the kill: %v", before.Problems)
	}
	size, _ := os.Stat(path)
	if len(before.Torn) > 1 || (len(before.Torn) == 1 && before.Torn[0] != before.Records+1) {
		t.Fatalf("after the kill: torn lines %v, want at most the last line (%d records, %d bytes)", before.Torn, before.Records, size.Size())
	}
	t.Logf("killed after %d records; torn tail: %v", before.Records, before.Torn)

	l, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Record{Event: EventSessionStart, Message: "after the crash"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	after := verifyFile(t, path)
	if !after.OK() || after.Records != before.Records+1 || fmt.Sprint(after.Torn) != fmt.Sprint(before.Torn) {
		t.Fatalf("after the next append: %+v (before: %d records, torn %v)", after, before.Records, before.Torn)
	}
	recs := readFile(t, path)
	if last := recs[len(recs)-1]; last.Message != "after the crash" || last.Prev != before.Last {
		t.Fatalf("new record %+v does not chain on the last complete record %s", last, before.Last)
	}
}

// Four processes appending at once must not interleave bytes within a
// line, lose a record, or fork the chain.
func TestFourProcessesShareOneChain(t *testing.T) {
	const procs, each = 4, 1000
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	var cmds []*exec.Cmd
	var guns []io.WriteCloser
	for i := range procs {
		cmd := child(t, "many", path, fmt.Sprintf("AUDIT_TEST_ID=%d", i), fmt.Sprintf("AUDIT_TEST_N=%d", each))
		gun, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, guns = append(cmds, cmd), append(guns, gun)
	}
	for _, g := range guns {
		g.Close()
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer %d: %v; stderr: %s", i, err, cmd.Stderr)
		}
	}

	rep := verifyFile(t, path)
	if !rep.OK() || len(rep.Torn) != 0 || rep.Records != procs*each {
		t.Fatalf("verify: %d records, problems %v, torn %v", rep.Records, rep.Problems, rep.Torn)
	}
	next := make([]int, procs) // each writer's records appear in its own order
	seen := map[string]bool{}
	switches := 0
	var prevSession string
	for _, r := range readFile(t, path) {
		var w, n int
		if _, err := fmt.Sscanf(r.Message, "w%d-%d", &w, &n); err != nil || w < 0 || w >= procs {
			t.Fatalf("unexpected record %+v", r)
		}
		if n != next[w] || seen[r.Message] || r.Session != fmt.Sprintf("writer-%d", w) {
			t.Fatalf("writer %d: record %q out of order or duplicated (want %d)", w, r.Message, next[w])
		}
		seen[r.Message] = true
		next[w]++
		if r.Session != prevSession {
			switches++
			prevSession = r.Session
		}
	}
	for w, n := range next {
		if n != each {
			t.Errorf("writer %d: %d records in the file, want %d", w, n, each)
		}
	}
	t.Logf("%d records, writer changed %d times along the chain", rep.Records, switches)
}
