package audit

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// childEnv selects a writer role when the test binary re-executes itself:
// crash and multi-process tests need real separate processes (their own
// file descriptors, locks and deaths), and the test binary is the one
// program guaranteed to be at hand.
const childEnv = "AUDIT_TEST_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		if err := runChild(role); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild is the body of a re-executed writer.
func runChild(role string) error {
	path := os.Getenv("AUDIT_TEST_FILE")
	switch role {
	case "burst":
		// Append until killed.
		l, err := Open(path, Options{Session: "burst"})
		if err != nil {
			return err
		}
		for i := 0; ; i++ {
			if err := l.Append(sampleRecord(i)); err != nil {
				return err
			}
		}
	case "many":
		id := os.Getenv("AUDIT_TEST_ID")
		n, _ := strconv.Atoi(os.Getenv("AUDIT_TEST_N"))
		l, err := Open(path, Options{Session: "writer-" + id})
		if err != nil {
			return err
		}
		// Stdin closing is the start gun, so all writers contend at once.
		io.Copy(io.Discard, os.Stdin)
		for i := range n {
			r := sampleRecord(i)
			r.Message = fmt.Sprintf("w%s-%05d", id, i)
			if err := l.Append(r); err != nil {
				return err
			}
		}
		return l.Close()
	case "fsize":
		return runFsizeChild(path)
	}
	return fmt.Errorf("unknown role %q", role)
}

// sampleRecord is a plausible elevated request, i varying the name.
func sampleRecord(i int) Record {
	deadline := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	return Record{
		Event:            EventRequestElevated,
		Context:          "prod",
		Server:           "https://10.0.0.1:6443",
		BaseIdentity:     "alice@example.com",
		ElevatedIdentity: "system:serviceaccount:kube-system:break-glass",
		Action:           "delete",
		Verb:             "delete",
		Resource:         "pods",
		Namespace:        "default",
		Name:             fmt.Sprintf("web-%d", i),
		Status:           200,
		Source:           "serviceAccount",
		Deadline:         &deadline,
		CredentialID:     "JTI=2b3a9c4e-1111-4222-8333-444455556666",
	}
}

// fakeClock ticks one millisecond per reading, so records have distinct,
// predictable times.
func fakeClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}
