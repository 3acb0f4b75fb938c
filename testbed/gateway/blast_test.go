package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/k9s-guard/k9s-guard/kube/blast"
	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

// radiusOf computes the blast radius of a key action in prod (the read-only
// viewer) through a real gateway.
func radiusOf(t *testing.T, h *harness, action, res string, targets ...stepup.Target) string {
	t.Helper()
	s, ok := stepup.KeyScope(action, res, targets)
	if !ok {
		t.Fatalf("no scope for %s %s", action, res)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	cs, err := h.gw.BaseClient(cluster.ContextProd)
	if err != nil {
		t.Fatal(err)
	}
	out := blast.Radius(ctx, cs, s)
	t.Logf("%s %s %v: %q (%s)", action, res, targets, out, time.Since(start).Round(time.Millisecond))
	return out
}

func blastHarness(t *testing.T) *harness {
	return startHarness(t, harnessOpts{policies: map[string]profile.Policy{
		cluster.ContextProd: {Protected: true, Window: time.Minute, Scope: profile.ScopeOperation,
			Elevation: profile.Elevation{Kind: profile.ElevationContext, Context: cluster.ContextAdmin}},
	}})
}

func TestBlastRadiusDeleteDeployment(t *testing.T) {
	h := blastHarness(t)
	poll(t, 30*time.Second, func() bool {
		return radiusOf(t, h, "delete", "deployments", stepup.Target{Namespace: "shop", Name: "web"}) == "deployment shop/web → 1 ReplicaSet, 3 Pods"
	})
	if got := radiusOf(t, h, "delete", "deployments", stepup.Target{Namespace: "shop", Name: "no-such"}); !strings.Contains(got, "not found") {
		t.Errorf("missing deployment: %q", got)
	}
}

func TestBlastRadiusDeletePodAndNamespace(t *testing.T) {
	h := blastHarness(t)
	if got := radiusOf(t, h, "kill", "pods", stepup.Target{Namespace: "shop", Name: webPod(t)}); !strings.Contains(got, "owned by ReplicaSet web-") || !strings.Contains(got, "will be replaced") {
		t.Errorf("pod: %q", got)
	}
	if got := radiusOf(t, h, "kill", "pods", stepup.Target{Namespace: "shop", Name: aPod(t)}); !strings.Contains(got, "no controller: it will not come back") {
		t.Errorf("bare pod: %q", got)
	}
	got := radiusOf(t, h, "delete", "namespaces", stepup.Target{Name: "shop"})
	for _, want := range []string{"namespace shop → ", "objects", "Pods", "2 Deployments"} {
		if !strings.Contains(got, want) {
			t.Errorf("namespace: %q lacks %q", got, want)
		}
	}
}

func TestBlastRadiusScaleAndExec(t *testing.T) {
	h := blastHarness(t)
	if got := radiusOf(t, h, "scale", "deployments", stepup.Target{Namespace: "shop", Name: "web"}); got != "deployment shop/web: replicas 3 → ?" {
		t.Errorf("scale: %q", got)
	}
	pod := webPod(t)
	got := radiusOf(t, h, "exec", "pods", stepup.Target{Namespace: "shop", Name: pod})
	if !strings.Contains(got, "container web (image registry.invalid/web:1.0)") {
		t.Errorf("exec: %q", got)
	}
}

func TestBlastRadiusPersistentVolumeClaim(t *testing.T) {
	h := blastHarness(t)
	cs := adminClient(t)
	ctx := context.Background()
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "blast-pv"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/tmp/blast"}},
			// Pre-bound to the claim: otherwise the controller manager binds
			// it a moment later and the test would race it.
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: "shop", Name: "blast-data"},
		},
	}
	if _, err := cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().PersistentVolumes().Delete(context.Background(), pv.Name, metav1.DeleteOptions{})
	})
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "blast-data", Namespace: "shop"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			VolumeName:  pv.Name,
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	if _, err := cs.CoreV1().PersistentVolumeClaims("shop").Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().PersistentVolumeClaims("shop").Delete(context.Background(), pvc.Name, metav1.DeleteOptions{})
	})
	// The viewer sees the claim but not the cluster-scoped volume: its
	// reclaim policy is unknown to the base credentials, and says so.
	got := radiusOf(t, h, "delete", "persistentvolumeclaims", stepup.Target{Namespace: "shop", Name: "blast-data"})
	if got != "PVC shop/blast-data → PV blast-pv, reclaim policy unknown (the base credentials cannot see it)" {
		t.Errorf("pvc as viewer: %q", got)
	}
	// Base credentials that can read volumes get the policy.
	s, _ := stepup.KeyScope("delete", "persistentvolumeclaims", []stepup.Target{{Namespace: "shop", Name: "blast-data"}})
	if got := blast.Radius(ctx, cs, s); !strings.HasPrefix(got, "PVC shop/blast-data → PV blast-pv (reclaim Delete: the data is deleted with it)") {
		t.Errorf("pvc: %q", got)
	}
	s, _ = stepup.KeyScope("delete", "persistentvolumes", []stepup.Target{{Name: "blast-pv"}})
	if got := blast.Radius(ctx, cs, s); !strings.HasPrefix(got, "PV blast-pv → reclaim Delete: the data is deleted with it, claimed by shop/blast-data") {
		t.Errorf("pv: %q", got)
	}
}

// TestBlastRadiusUnknownWithoutRights: what the base credentials cannot
// see is marked unknown, not guessed.
func TestBlastRadiusUnknownWithoutRights(t *testing.T) {
	rc, err := testCluster.RESTConfig(cluster.ContextProd)
	if err != nil {
		t.Fatal(err)
	}
	anon := rest.AnonymousClientConfig(rc)
	anon.BearerToken = "not-a-valid-token"
	cs, err := kubernetes.NewForConfig(anon)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := stepup.KeyScope("delete", "deployments", []stepup.Target{{Namespace: "shop", Name: "web"}})
	got := blast.Radius(context.Background(), cs, s)
	if got != "deployment shop/web → unknown (the base credentials cannot see it)" {
		t.Errorf("got %q", got)
	}
}

// webPod is one of deployment web's pods.
func webPod(t *testing.T) string {
	t.Helper()
	pods, err := adminClient(t).CoreV1().Pods("shop").List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("no web pod: %v", err)
	}
	return pods.Items[0].Name
}
