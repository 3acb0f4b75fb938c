package broker

import (
	"archive/tar"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The broker's image, built offline from the empty image: its config's
// entrypoint, run from the filesystem unpacked from its layers, is the
// k9s-guard broker command, as a non-root user.
func TestBrokerImageRunsTheBroker(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "k9s-guard-linux")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	image := filepath.Join(dir, "broker-image.tar")
	if out, err := exec.Command("go", "run", "../cmd/brokerimage", "-binary", bin, "-out", image).CombinedOutput(); err != nil {
		t.Fatalf("brokerimage: %v\n%s", err, out)
	}
	img, err := tarball.ImageFromPath(image, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User == "" || strings.HasPrefix(cf.Config.User, "0") {
		t.Fatalf("image runs as %q, want a non-root user", cf.Config.User)
	}
	root := filepath.Join(dir, "rootfs")
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(root, filepath.Clean("/"+h.Name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, os.FileMode(h.Mode))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		rc.Close()
	}
	ep := cf.Config.Entrypoint
	if len(ep) < 2 || ep[1] != "broker" {
		t.Fatalf("entrypoint %v, want the k9s-guard broker command", ep)
	}
	out, err := exec.Command(filepath.Join(root, ep[0]), append(ep[1:], "--help")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "checks step-up codes in the cluster") {
		t.Fatalf("entrypoint --help: %v\n%s", err, out)
	}
}
