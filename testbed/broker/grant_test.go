package broker

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/k9s-guard/k9s-guard/broker"
	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
)

// pendingPod makes a pod the admin owns (no kubelet: it stays Pending, and
// deleting it takes effect at once).
func pendingPod(t testing.TB, ns, name string) {
	t.Helper()
	_, err := admin.CoreV1().Pods(ns).Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.invalid/c:1"}}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// A wrong code is denied; a right one grants exactly the named object:
// plain kubectl with the everyday token deletes pod A, and is refused pod B
// and a pod of the same name in another namespace.
func TestRightCodeGrantsExactlyTheNamedObject(t *testing.T) {
	defer dumpLogs(t)
	ctx := t.Context()
	u, secret := newUser(t)
	for _, p := range []struct{ ns, name string }{{"shop", "pod-a"}, {"shop", "pod-b"}, {"payments", "pod-a"}} {
		pendingPod(t, p.ns, p.name)
	}
	if out, err := kubectl(ctx, u, "delete", "pod", "pod-a", "-n", "shop"); err == nil || !strings.Contains(out, "Forbidden") {
		t.Fatalf("before any grant kubectl delete: %v\n%s", err, out)
	}
	wantPhase(t, mustCreate(t, u, newRequest(u, "delete", wrongCode(t, secret), time.Minute, rule("delete", "", "pods", "shop", "pod-a"))), v1alpha1.PhaseDenied, broker.ReasonWrongCode)
	if allowed(ctx, t, u, "delete", "", "pods", "shop", "pod-a") {
		t.Fatal("a wrong code granted the delete")
	}
	req := mustCreate(t, u, newRequest(u, "delete", codeAt(t, secret, time.Now()), time.Minute, rule("delete", "", "pods", "shop", "pod-a")))
	wantPhase(t, req, v1alpha1.PhaseGranted, "")
	if req.Status.ExpiresAt == nil || req.Status.ExpiresAt.Sub(req.Status.GrantedAt.Time) != time.Minute {
		t.Fatalf("expiry %v, granted %v: want a one-minute window", req.Status.ExpiresAt, req.Status.GrantedAt)
	}
	role, err := admin.RbacV1().Roles("shop").Get(ctx, req.Status.Role, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(role.OwnerReferences) != 1 || role.OwnerReferences[0].UID != req.UID {
		t.Fatalf("role %s is not owned by its request: %+v", role.Name, role.OwnerReferences)
	}
	if out, err := kubectl(ctx, u, "delete", "pod", "pod-b", "-n", "shop"); err == nil || !strings.Contains(out, "Forbidden") {
		t.Fatalf("pod B: %v\n%s", err, out)
	}
	if out, err := kubectl(ctx, u, "delete", "pod", "pod-a", "-n", "payments"); err == nil || !strings.Contains(out, "Forbidden") {
		t.Fatalf("pod A in payments: %v\n%s", err, out)
	}
	if out, err := kubectl(ctx, u, "delete", "pod", "pod-a", "-n", "shop"); err != nil {
		t.Fatalf("pod A with the grant: %v\n%s", err, out)
	}
	// Done: the client deletes its request and the grant goes with it.
	if err := u.dyn.Resource(v1alpha1.ElevationRequests).Delete(ctx, req.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, 5*time.Second, func() (bool, error) { return !allowed(ctx, t, u, "delete", "", "pods", "shop", "pod-a"), nil }); err != nil {
		t.Fatal("the grant outlived its deleted request")
	}
}

// A restart grant on deployment web lets `kubectl rollout restart` through
// and, at the API server, refuses a patch of web's image made with the same
// grant: RBAC alone would allow any patch of web.
func TestRestartGrantIsNarrowedAtAdmission(t *testing.T) {
	defer dumpLogs(t)
	ctx := t.Context()
	u, secret := newUser(t)
	req := mustCreate(t, u, newRequest(u, v1alpha1.OperationRestart, codeAt(t, secret, time.Now()), time.Minute, rule("patch", "apps", "deployments", "shop", "web")))
	wantPhase(t, req, v1alpha1.PhaseGranted, "")
	defer u.dyn.Resource(v1alpha1.ElevationRequests).Delete(ctx, req.Name, metav1.DeleteOptions{}) //nolint:errcheck
	// The narrowing policy reads its parameters from an informer of the
	// API server: retry the restart until that has seen the grant.
	var out string
	err := poll(ctx, 10*time.Second, func() (bool, error) {
		var err error
		out, err = kubectl(ctx, u, "rollout", "restart", "deployment/web", "-n", "shop")
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("restart with the grant: %s", out)
	}
	out, err = kubectl(ctx, u, "set", "image", "deployment/web", "web=registry.invalid/evil:6.6.6", "-n", "shop")
	if err == nil || !strings.Contains(out, "allows only a restart") {
		t.Fatalf("image patch with a restart grant: %v\n%s", err, out)
	}
	d, err := admin.AppsV1().Deployments("shop").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; strings.Contains(img, "evil") {
		t.Fatalf("image changed to %s", img)
	}
}

// A cordon grant on node-1 lets `kubectl cordon` through and refuses, at
// the API server, a label added to node-1 with the same grant.
func TestCordonGrantIsNarrowedAtAdmission(t *testing.T) {
	defer dumpLogs(t)
	ctx := t.Context()
	u, secret := newUser(t)
	req := mustCreate(t, u, newRequest(u, v1alpha1.OperationCordon, codeAt(t, secret, time.Now()), time.Minute,
		v1alpha1.ElevationRule{Verbs: []string{"get", "patch"}, Resource: "nodes", Names: []string{"node-1"}}))
	wantPhase(t, req, v1alpha1.PhaseGranted, "")
	defer u.dyn.Resource(v1alpha1.ElevationRequests).Delete(ctx, req.Name, metav1.DeleteOptions{})                                            //nolint:errcheck
	defer admin.CoreV1().Nodes().Patch(ctx, "node-1", types.MergePatchType, []byte(`{"spec":{"unschedulable":null}}`), metav1.PatchOptions{}) //nolint:errcheck
	var out string
	if err := poll(ctx, 10*time.Second, func() (bool, error) {
		var err error
		out, err = kubectl(ctx, u, "cordon", "node-1")
		return err == nil, nil
	}); err != nil {
		t.Fatalf("cordon with the grant: %s", out)
	}
	out, err := kubectl(ctx, u, "label", "node", "node-1", "evil=yes")
	if err == nil || !strings.Contains(out, "allows only a cordon") {
		t.Fatalf("label with a cordon grant: %v\n%q", err, out)
	}
}

// Replay across two replicas: 50 parallel requests carrying one code give
// exactly one grant, whichever replica checks each.
func TestOneCodeFiftyRequestsOneGrant(t *testing.T) {
	defer dumpLogs(t)
	ensureTwo(t)
	ctx := t.Context()
	u, secret := newUser(t)
	code := codeAt(t, secret, time.Now())
	const n = 50
	names := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			r, err := create(ctx, u, newRequest(u, "delete", code, time.Minute, rule("delete", "", "pods", "shop", fmt.Sprintf("p%d", i))))
			if err != nil {
				errs <- err
				return
			}
			names[i] = r.Name
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	granted, by := 0, map[string]int{}
	for _, name := range names {
		r := decided(t, u, name)
		by[r.Annotations[v1alpha1.AnnotationClaimedBy]]++
		switch r.Status.Phase {
		case v1alpha1.PhaseGranted:
			granted++
		case v1alpha1.PhaseDenied:
			if r.Status.Reason != broker.ReasonReplayed {
				t.Errorf("request %s: denied %s, want Replayed", name, r.Status.Reason)
			}
		}
		_ = u.dyn.Resource(v1alpha1.ElevationRequests).Delete(ctx, name, metav1.DeleteOptions{})
	}
	t.Logf("claims per replica: %v", by)
	if granted != 1 {
		t.Fatalf("%d grants for one code, want exactly 1", granted)
	}
}

// Five wrong codes lock the user out, and the lockout holds on both
// replicas: each one, checking alone (the other stopped with SIGSTOP),
// refuses the right code.
func TestLockoutHoldsOnBothReplicas(t *testing.T) {
	defer dumpLogs(t)
	ensureTwo(t)
	u, secret := newUser(t)
	for i := range 5 {
		r := mustCreate(t, u, newRequest(u, "delete", wrongCode(t, secret), time.Minute, rule("delete", "", "pods", "shop", "x")))
		want := broker.ReasonWrongCode
		if i == 4 {
			want = broker.ReasonLockedOut
		}
		wantPhase(t, r, v1alpha1.PhaseDenied, want)
	}
	live := replicas.live()
	if len(live) != 2 {
		t.Fatalf("%d live replicas, want 2", len(live))
	}
	for i, r := range live {
		other := live[1-i]
		stop(t, other)
		req := mustCreate(t, u, newRequest(u, "delete", codeAt(t, secret, time.Now()), time.Minute, rule("delete", "", "pods", "shop", "x")))
		_ = other.cmd.Process.Signal(syscall.SIGCONT)
		if by := req.Annotations[v1alpha1.AnnotationClaimedBy]; by != r.id {
			t.Fatalf("request checked by %s, want %s", by, r.id)
		}
		wantPhase(t, req, v1alpha1.PhaseDenied, broker.ReasonLockedOut)
	}
}

// Expiry with the client gone during the window (a SIGKILLed client never
// deletes its request): the grant is gone within 1 s of the deadline.
func TestGrantGoneWithinASecondOfExpiry(t *testing.T) {
	defer dumpLogs(t)
	ensureTwo(t)
	ctx := t.Context()
	u, secret := newUser(t)
	req := mustCreate(t, u, newRequest(u, "delete", codeAt(t, secret, time.Now()), 3*time.Second, rule("delete", "", "pods", "shop", "web-x")))
	wantPhase(t, req, v1alpha1.PhaseGranted, "")
	if !allowed(ctx, t, u, "delete", "", "pods", "shop", "web-x") {
		t.Fatal("granted but not allowed")
	}
	deadline := req.Status.ExpiresAt.Time
	if err := poll(ctx, time.Until(deadline)+5*time.Second, func() (bool, error) { return !allowed(ctx, t, u, "delete", "", "pods", "shop", "web-x"), nil }); err != nil {
		t.Fatal("grant never went")
	}
	if late := time.Since(deadline); late > time.Second {
		t.Fatalf("grant went %s after its deadline, want within 1s", late)
	}
	if err := poll(ctx, 5*time.Second, func() (bool, error) {
		_, err := admin.RbacV1().Roles("shop").Get(ctx, req.Status.Role, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	}); err != nil {
		t.Fatal("role still there")
	}
}

// The leader SIGKILLed during a window: the other replica takes the Lease
// and the grant still goes within the lease duration plus 1 s of its
// deadline.
func TestLeaderKilledGrantStillExpires(t *testing.T) {
	defer dumpLogs(t)
	ensureTwo(t)
	defer ensureTwo(t)
	ctx := t.Context()
	u, secret := newUser(t)
	req := mustCreate(t, u, newRequest(u, "delete", codeAt(t, secret, time.Now()), 2*time.Second, rule("delete", "", "pods", "shop", "web-y")))
	wantPhase(t, req, v1alpha1.PhaseGranted, "")
	lease, err := admin.CoordinationV1().Leases(brokerNS).Get(ctx, leaseName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	leader := replicas.byID(*lease.Spec.HolderIdentity)
	if leader == nil {
		t.Fatalf("lease held by %s, not a live replica", *lease.Spec.HolderIdentity)
	}
	leader.kill()
	deadline := req.Status.ExpiresAt.Time
	if err := poll(ctx, time.Until(deadline)+leaseDur+10*time.Second, func() (bool, error) { return !allowed(ctx, t, u, "delete", "", "pods", "shop", "web-y"), nil }); err != nil {
		t.Fatal("grant never went after the leader died")
	}
	if late := time.Since(deadline); late > leaseDur+time.Second {
		t.Fatalf("grant went %s after its deadline, want within %s", late, leaseDur+time.Second)
	}
	lease, err = admin.CoordinationV1().Leases(brokerNS).Get(ctx, leaseName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *lease.Spec.HolderIdentity == leader.id {
		t.Fatal("the dead leader still holds the lease")
	}
}

// /healthz answers and /metrics counts grants and denials.
func TestHealthzAndMetrics(t *testing.T) {
	ensureTwo(t)
	r := replicas.live()[0]
	for path, want := range map[string]string{"/healthz": "ok", "/metrics": "k9s_guard_broker_denials_total"} {
		resp, err := http.Get("http://" + r.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Fatalf("%s: %d, want 200 with %q\n%s", path, resp.StatusCode, want, body)
		}
	}
}

// A first enrolment needs an admin's invite; once used it cannot enrol
// again; an admin reset plus a new invite enrols a new phone.
func TestEnrolmentNeedsAnInvite(t *testing.T) {
	defer dumpLogs(t)
	ctx := t.Context()
	u, _ := newUser(t)
	// Attack: with the everyday token alone, enrol a phone after the
	// user's was reset (no invite).
	if err := broker.ResetUser(ctx, admin, brokerNS, u.name); err != nil {
		t.Fatal(err)
	}
	name, err := createEnrolment(ctx, u, newSecret(), "")
	if err != nil {
		t.Fatal(err)
	}
	if phase, msg, _ := waitEnrolment(ctx, u, name); phase != "Denied" || !strings.Contains(msg, "invite") {
		t.Fatalf("enrolment without invite: %s (%s)", phase, msg)
	}
	if _, err := enrol(ctx, u); err != nil {
		t.Fatalf("enrolment with an invite after a reset: %v", err)
	}
	got, err := u.dyn.Resource(v1alpha1.OTPEnrollments).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s, _, _ := unstructuredString(got.Object, "spec", "secret"); s != "" {
		t.Fatal("the enrolment still holds the secret")
	}
}

// Reconcile on start: every replica is down through a deadline (a crash, a
// drain); the first replica to start removes the stale grant within 1 s of
// taking the Lease.
func TestStartRemovesGrantsPastTheirExpiry(t *testing.T) {
	defer dumpLogs(t)
	ensureTwo(t)
	defer ensureTwo(t)
	ctx := t.Context()
	u, secret := newUser(t)
	req := mustCreate(t, u, newRequest(u, "delete", codeAt(t, secret, time.Now()), time.Second, rule("delete", "", "pods", "shop", "web-z")))
	wantPhase(t, req, v1alpha1.PhaseGranted, "")
	for _, r := range replicas.live() {
		r.kill()
	}
	deadline := req.Status.ExpiresAt.Time
	if err := poll(ctx, 10*time.Second, func() (bool, error) { return time.Now().After(deadline.Add(500 * time.Millisecond)), nil }); err != nil {
		t.Fatal(err)
	}
	if !allowed(ctx, t, u, "delete", "", "pods", "shop", "web-z") {
		t.Fatal("the grant went with no broker running; this test proves nothing")
	}
	r, err := replicas.start(leaseName)
	if err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, leaseDur+10*time.Second, func() (bool, error) { return !allowed(ctx, t, u, "delete", "", "pods", "shop", "web-z"), nil }); err != nil {
		t.Fatal("the restarted broker never removed the expired grant")
	}
	gone := time.Now()
	lease, err := admin.CoordinationV1().Leases(brokerNS).Get(ctx, leaseName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *lease.Spec.HolderIdentity != r.id || lease.Spec.AcquireTime == nil {
		t.Fatalf("lease held by %v, want %s", *lease.Spec.HolderIdentity, r.id)
	}
	if d := gone.Sub(lease.Spec.AcquireTime.Time); d > time.Second {
		t.Fatalf("expired grant removed %s after the new leader took the lease, want within 1s", d)
	}
}

// stop freezes a replica with SIGSTOP and waits until the kernel reports
// it stopped, so that it cannot claim the next request.
func stop(t *testing.T, r *replica) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stat := fmt.Sprintf("/proc/%d/stat", r.cmd.Process.Pid)
	if err := poll(t.Context(), 5*time.Second, func() (bool, error) {
		b, err := os.ReadFile(stat)
		if err != nil {
			return false, err
		}
		// The state follows the command name in parentheses.
		_, rest, _ := strings.Cut(string(b), ") ")
		return strings.HasPrefix(rest, "T"), nil
	}); err != nil {
		t.Fatalf("replica %s never stopped: %v", r.id, err)
	}
}
