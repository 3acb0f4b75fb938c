package profile

import "testing"

func TestSingular(t *testing.T) {
	for resource, want := range map[string]string{
		"pods": "pod", "deployments": "deployment", "networkpolicies": "networkpolicy",
		"ingresses": "ingress", "ingressclasses": "ingressclass", "storageclasses": "storageclass",
		"endpoints": "endpoint", "boxes": "box", "": "", "policy": "policy",
	} {
		if got := Singular(resource); got != want {
			t.Errorf("Singular(%q) = %q, want %q", resource, got, want)
		}
	}
}
