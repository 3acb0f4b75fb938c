// Package broker tests `k9s-guard broker` against the real kube-apiserver,
// etcd and kube-controller-manager of the test bed, with the manifests of
// deploy/ applied as they are. There is no kubelet here, so the broker's
// Deployment cannot run its pods: the tests run the real binary as
// processes holding a token of the broker's ServiceAccount — exactly the
// identity the Deployment's pods would have.
package broker
