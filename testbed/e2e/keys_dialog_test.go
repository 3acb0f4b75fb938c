package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// crowdedNamespace creates a namespace with n bare pods (they stay
// Pending: the test bed has no scheduler), enough rows for a dialog's top
// border to fall on a filled table row; it is deleted when the test ends.
func crowdedNamespace(t *testing.T, name string, n int) {
	t.Helper()
	cs := admin(t).cs
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	for i := range n {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crowd-%02d", i)},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}},
		}
		// The namespace's default ServiceAccount comes from the controller
		// manager a moment after the namespace: retry until it is there.
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := cs.CoreV1().Pods(name).Create(ctx, pod, metav1.CreateOptions{})
			if err == nil || apierrors.IsAlreadyExists(err) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("create pod %s/%s: %v", name, pod.Name, err)
			}
			time.Sleep(100 * time.Millisecond) // polling the API server with a deadline
		}
	}
}

// TestKeysTypedIntoASetImageFormOverAFullTableAreText: issue 12, item 2.
// At 45 rows K9s's set-image form is drawn over filled table rows; the
// letters typed into it (the s of busybox) are text for the form, not
// K9s's shell key, so no second prompt comes.
func TestKeysTypedIntoASetImageFormOverAFullTableAreText(t *testing.T) {
	crowdedNamespace(t, "keys-crowd", 30)
	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 45, "--context", "prod", "-n", "keys-crowd", "-c", "pods")
	if err := term.WaitFor("the crowded pod list", startTimeout, func(s string) bool {
		return strings.Contains(strings.ToLower(s), "pods(keys-crowd)[30]") && strings.Contains(s, "crowd-29")
	}); err != nil {
		t.Fatal(err)
	}
	waitWholeFrame(t, term)
	stepUp(t, term, "i", 0)
	granted := len(term.Raw())
	if err := term.WaitFor("the set-image form", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "<Set image>") && strings.Contains(s, "app:1")
	}); err != nil {
		t.Fatal(err)
	}
	// The form's top border sits on a filled row: the case being tested.
	for _, l := range term.Lines() {
		if strings.Contains(l, "<Set image>") && !strings.Contains(l, "crowd-") {
			t.Fatalf("the form's top border is not on a pod row at this size:\n%s", term.Screen())
		}
	}
	if err := term.Type("-busybox"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitText("app:1-busybox", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\x1b"); err != nil {
		t.Fatal(err)
	}
	if err := term.WaitFor("the form to close", 15*time.Second, func(s string) bool { return !strings.Contains(s, "<Set image>") }); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ansiStrip(term.Raw()[granted:]), "Step-up required") {
		t.Errorf("a letter typed into K9s's form raised a second step-up prompt")
	}
}
