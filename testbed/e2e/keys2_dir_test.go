package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
)

// TestDirDeleteNamesTheManifestsObjects: issue 12. d in :dir runs kubectl
// delete -f on the file under the cursor. The key reads the file and asks
// once, naming its objects; kubectl's deletes ride that grant, with no
// second prompt at the gateway.
func TestDirDeleteNamesTheManifestsObjects(t *testing.T) {
	cs := admin(t).cs
	ctx := context.Background()
	names := []string{"k2d-" + rand.String(5), "k2d-" + rand.String(5)} // short: the prompt names both on one line
	var manifest strings.Builder
	for _, n := range names {
		if _, err := cs.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cs.CoreV1().ConfigMaps("shop").Delete(context.Background(), n, metav1.DeleteOptions{}) })
		manifest.WriteString("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + n + "\n  namespace: shop\n")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cms.yaml"), []byte(manifest.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	env := guardedEnv(t, protectedProfile)
	term := startGuard(t, env, 120, 40, "--context", "prod", "-n", "shop", "-c", "pods")
	waitPods(t, term)
	waitWholeFrame(t, term)
	step(t, term, "the dir view", ":dir "+dir+"\r", has("cms.yaml"))
	waitWholeFrame(t, term)
	if err := term.Type("d"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if sc := term.Screen(); !strings.Contains(sc, "delete configmaps shop/"+names[0]+", shop/"+names[1]) {
		t.Fatalf("the prompt does not name the manifest's objects:\n%s", sc)
	}
	if err := term.Type(code(t, 0), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	granted := len(term.Raw())
	pressOK(t, term)
	further := func() bool { return strings.Contains(ansiStrip(term.Raw()[granted:]), "Step-up required") }
	deadline := time.Now().Add(30 * time.Second)
	for {
		if further() {
			t.Fatalf("a further prompt came after the delete was granted:\n%s", term.Screen())
		}
		gone := 0
		for _, n := range names {
			if _, err := cs.CoreV1().ConfigMaps("shop").Get(ctx, n, metav1.GetOptions{}); apierrors.IsNotFound(err) {
				gone++
			}
		}
		if gone == len(names) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d ConfigMaps deleted; screen:\n%s", gone, len(names), term.Screen())
		}
		time.Sleep(200 * time.Millisecond) // polling the API server with a deadline
	}
	if further() {
		t.Errorf("a further prompt came after the delete was granted:\n%s", term.Screen())
	}
}
