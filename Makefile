# k9s-guard — run `make help` for the targets.

SHELL        := bash
TOOLS        := $(CURDIR)/.tools/bin
K9S_VERSION  := v0.50.16
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -s -w -X github.com/k9s-guard/k9s-guard/guard.version=$(VERSION)
GUARD        := $(CURDIR)/bin/k9s-guard
CLUSTER_BINS := $(TOOLS)/etcd $(TOOLS)/kube-apiserver $(TOOLS)/kube-controller-manager $(TOOLS)/kubectl
# Built from the module, the control plane would report v0.0.0-master.
KUBE_LDFLAGS := -X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 -X k8s.io/client-go/pkg/version.gitVersion=v1.37.2
export K9S_GUARD_TOOLS := $(TOOLS)
export PATH := $(TOOLS):$(PATH)

.PHONY: help build test unit e2e lint fmt bench snapshot demo tools clean generate image

help: ## show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build bin/k9s-guard
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(GUARD) .

image: ## build the broker's container image as dist/broker-image.tar (no Docker, no base image)
	mkdir -p dist
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags '$(LDFLAGS)' -o bin/k9s-guard-linux-amd64 .
	cd testbed && go run ./cmd/brokerimage -binary ../bin/k9s-guard-linux-amd64 -out ../dist/broker-image.tar -tag ghcr.io/k9s-guard/k9s-guard:$(VERSION)

generate: ## regenerate the broker API's deep copies and the CRDs in deploy/crds (controller-gen, pinned in go.mod)
	go tool controller-gen object paths=./broker/api/... crd:crdVersions=v1 output:crd:artifacts:config=deploy/crds

tools: $(TOOLS)/k9s $(CLUSTER_BINS) ## install the pinned K9s and build the local control plane (reused when present)

$(TOOLS)/k9s:
	GOBIN=$(TOOLS) go install -ldflags '-s -w -X github.com/derailed/k9s/cmd.version=$(K9S_VERSION)' github.com/derailed/k9s@$(K9S_VERSION)

$(TOOLS)/etcd:
	cd testbed && go build -o $@ go.etcd.io/etcd/server/v3
$(TOOLS)/kube-apiserver:
	cd testbed && go build -ldflags '$(KUBE_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kube-apiserver
$(TOOLS)/kube-controller-manager:
	cd testbed && go build -ldflags '$(KUBE_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kube-controller-manager
$(TOOLS)/kubectl:
	cd testbed && go build -ldflags '$(KUBE_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kubectl

test: tools build ## run every test: unit, integration (real API server) and end to end (real K9s, real pty)
	go vet ./...
	go test -race -count=1 ./...
	go test -count=1 -run TestVTForkUnchanged ./screen
	cd testbed && go vet ./... && go test -count=1 -timeout 30m ./...

unit: ## unit tests only (no cluster, no K9s)
	go test ./...

e2e: tools build ## end-to-end tests only
	cd testbed && go test -count=1 -timeout 20m ./e2e/...

lint: ## gofmt, go vet, go mod tidy check (both modules), golangci-lint (pinned in go.mod)
	@test -z "$$(gofmt -l . | tee /dev/stderr)"
	go vet ./...
	cd testbed && go vet ./...
	go mod tidy -diff
	cd testbed && go mod tidy -diff
	go tool golangci-lint run ./...

fmt: ## format the code
	gofmt -w .

bench: tools build ## print the benchmark tables (pty relay; real use: K9s bare vs through the guard; gateway vs client-go and kubectl proxy; broker vs context step-up)
	cd testbed && go run ./cmd/bench -guard $(GUARD)
	cd testbed && go run ./gateway/gwbench/cmd/gatewaybench
	cd testbed && go test ./broker -run '^$$' -bench StepUp -benchtime 1x

snapshot: ## build the release archives and cask locally with GoReleaser (dist/), then check them
	go run github.com/goreleaser/goreleaser/v2@v2.15.1 check
	go run github.com/goreleaser/goreleaser/v2@v2.15.1 release --snapshot --clean
	cd testbed && K9S_GUARD_RELEASE_TEST=1 go test -count=1 -run '^TestRelease' ./release/

demo: tools build ## start a local cluster and run k9s-guard against it
	cd testbed && go run ./cmd/testbed demo --guard $(GUARD) --k9s $(TOOLS)/k9s

clean: ## remove build output (keeps .tools)
	rm -rf bin dist
