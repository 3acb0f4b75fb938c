package kube

import (
	"fmt"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// BaseClient is a client for a context with the user's own (base)
// credentials and K9s's --as/--as-group, the identity K9s itself reads
// with; blast.Radius asks it what an operation would touch.
func (g *Gateway) BaseClient(contextName string) (kubernetes.Interface, error) {
	over := &clientcmd.ConfigOverrides{}
	if g.cfg.As != "" || len(g.cfg.AsGroups) > 0 {
		over.AuthInfo.Impersonate = g.cfg.As
		over.AuthInfo.ImpersonateGroups = g.cfg.AsGroups
	}
	rc, err := clientcmd.NewNonInteractiveClientConfig(*g.raw, contextName, over, g.rules).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("context %q: %w", contextName, err)
	}
	return kubernetes.NewForConfig(rc)
}
