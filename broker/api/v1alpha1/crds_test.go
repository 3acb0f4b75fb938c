package v1alpha1_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCheckedInCRDsMatchTheTypes regenerates the CRDs from the Go types
// with the pinned controller-gen and compares them with deploy/crds, so a
// change of a type without `make generate` fails here rather than in a
// cluster.
func TestCheckedInCRDsMatchTheTypes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs controller-gen")
	}
	out := t.TempDir()
	root := filepath.Join("..", "..", "..")
	cmd := exec.Command("go", "tool", "controller-gen", "paths=./broker/api/...", "crd:crdVersions=v1", "output:crd:artifacts:config="+out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen: %v\n%s", err, b)
	}
	gen, _ := filepath.Glob(filepath.Join(out, "*.yaml"))
	have, _ := filepath.Glob(filepath.Join(root, "deploy", "crds", "*.yaml"))
	if len(gen) == 0 || len(gen) != len(have) {
		t.Fatalf("controller-gen made %d CRDs, deploy/crds has %d: run make generate", len(gen), len(have))
	}
	for _, g := range gen {
		want, _ := os.ReadFile(g)
		got, err := os.ReadFile(filepath.Join(root, "deploy", "crds", filepath.Base(g)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("deploy/crds/%s differs from the Go types: run make generate", filepath.Base(g))
		}
	}
}
