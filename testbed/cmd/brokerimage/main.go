// Command brokerimage builds the broker's container image without Docker
// and without pulling a base image (no registry is needed): a static
// k9s-guard binary is all the image holds, so it starts from the empty
// image, adds one layer with the binary at /k9s-guard, and sets the
// entrypoint to `k9s-guard broker`, running as a non-root user. It writes
// the image as a tarball that `docker load`, `crane push` or `ko`-style
// tooling takes.
//
//	CGO_ENABLED=0 GOOS=linux go build -o bin/k9s-guard-linux . &&
//	go run ./cmd/brokerimage -binary ../bin/k9s-guard-linux -out ../dist/broker-image.tar
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	bin := flag.String("binary", "", "static linux k9s-guard binary")
	out := flag.String("out", "broker-image.tar", "image tarball to write")
	ref := flag.String("tag", "ghcr.io/k9s-guard/k9s-guard:dev", "image reference recorded in the tarball")
	flag.Parse()
	if err := build(*bin, *out, *ref); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func build(binPath, out, ref string) error {
	if binPath == "" {
		return errors.New("-binary is required")
	}
	data, err := os.ReadFile(binPath)
	if err != nil {
		return fmt.Errorf("read binary: %w", err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar(data))), nil })
	if err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	img, err = mutate.Config(img, v1.Config{
		Entrypoint: []string{"/k9s-guard", "broker"},
		User:       "65532:65532",
		Env:        []string{"PATH=/"},
		Labels:     map[string]string{"org.opencontainers.image.source": "https://github.com/k9s-guard/k9s-guard"},
	})
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("tag: %w", err)
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// layerTar is a tar holding the binary at /k9s-guard, with a fixed time
// and owner so that one binary always gives one image digest.
func layerTar(bin []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "k9s-guard", Mode: 0o755, Size: int64(len(bin)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg})
	_, _ = tw.Write(bin)
	_ = tw.Close()
	return buf.Bytes()
}
