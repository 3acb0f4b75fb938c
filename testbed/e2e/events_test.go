package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestWindowsAreAnnouncedAsEvents: with audit.events, opening and closing
// a window shows up in `kubectl get events` for the whole team.
func TestWindowsAreAnnouncedAsEvents(t *testing.T) {
	env := guardedEnv(t, protectedProfile+"audit:\n  events: true\n")
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "deploy")
	if err := term.WaitText("deployments(shop)", startTimeout); err != nil {
		t.Fatal(err)
	}
	stepUp(t, term, "\x04", 0)
	dismissK9sDialog(t, term)
	cs := admin(t).cs
	find := func(reason string) *corev1.Event {
		deadline := time.Now().Add(15 * time.Second)
		for {
			evs, err := cs.CoreV1().Events("shop").List(context.Background(), metav1.ListOptions{FieldSelector: "reason=" + reason})
			if err == nil {
				for i := range evs.Items {
					if strings.Contains(evs.Items[i].Message, "context prod") && evs.Items[i].CreationTimestamp.After(time.Now().Add(-time.Minute)) {
						return &evs.Items[i]
					}
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s event in shop (last error %v)", reason, err)
			}
			time.Sleep(100 * time.Millisecond) // polling the API server with a deadline
		}
	}
	ev := find("K9sGuardElevated")
	if !strings.Contains(ev.Message, "with context admin") || ev.ReportingController != "k9s-guard" {
		t.Errorf("event: %+v", ev)
	}
	if err := term.Type("\x1d"); err != nil { // re-lock
		t.Fatal(err)
	}
	if ev := find("K9sGuardElevationEnded"); !strings.Contains(ev.Message, "re-locked") {
		t.Errorf("end event: %q", ev.Message)
	}
}
