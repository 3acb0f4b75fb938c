package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAuditDiskFullMidSessionFailsClosedAndSaysWhy stops this loss: when
// the audit disk filled up during a session, records were dropped in
// silence, and the overlay cut the reason off at its edge. Here the trail
// starts on a normal disk, and after K9s has started its path is pointed
// at /dev/full, where every write fails with ENOSPC, as on a full disk (the
// log follows its path when the file is replaced, as after rotation). The
// kill the user steps up for does not happen, the overlay shows the whole
// cause (the file and "no space left on device"), and once the trail is
// back, `audit verify` reports the records that were lost.
func TestAuditDiskFullMidSessionFailsClosedAndSaysWhy(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	dir := t.TempDir()
	trail := filepath.Join(dir, "audit.jsonl")
	env := guardedEnv(t, protectedProfile+"audit:\n  file: "+trail+"\n")
	term := startGuard(t, env, 160, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	pod := firstPod(t, term)

	// The disk fills up.
	kept := trail + ".kept"
	if err := os.Rename(trail, kept); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/full", trail); err != nil {
		t.Fatal(err)
	}

	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the whole cause in the overlay", 15*time.Second, func(s string) bool {
		flat := overlayText(s)
		return strings.Contains(flat, "couldnotberecorded") && strings.Contains(flat, trail) &&
			strings.Contains(flat, "nospaceleftondevice")
	}); err != nil {
		t.Fatal(err)
	}
	admin(t).waitPod("shop", pod, true)
	if strings.Contains(term.Screen(), "ELEVATED") {
		t.Fatal("a window opened although nothing could be recorded")
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)

	// Space is back: the session's end lands after the hole.
	if err := os.Remove(trail); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(kept, trail); err != nil {
		t.Fatal(err)
	}
	if err := term.Type(":q\r"); err != nil {
		t.Fatal(err)
	}
	if _, err := term.Wait(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	verify := exec.Command(guardBin, "audit", "verify", trail)
	verify.Env = env
	out, err := verify.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "records missing") {
		t.Fatalf("audit verify after the lost records: %v\n%s", err, out)
	}
	t.Logf("audit verify:\n%s", out)
}

// overlayText is what the overlay's box says, as one run of text without
// spaces: the columns between its corners on every row, so that a message
// wrapped anywhere reads whole.
func overlayText(screen string) string {
	lines := strings.Split(screen, "\n")
	left, right := -1, -1
	for _, l := range lines {
		r := []rune(l)
		for i, c := range r {
			switch c {
			case '╭':
				left = i
			case '╮':
				right = i
			}
		}
		if left >= 0 && right > left {
			break
		}
	}
	if left < 0 || right <= left {
		return ""
	}
	var words []string
	for _, l := range lines {
		if r := []rune(l); len(r) > right {
			words = append(words, strings.Fields(string(r[left+1:right]))...)
		}
	}
	return strings.Join(words, "")
}
