package stepup

import (
	"slices"
	"testing"
)

func TestManifestObjects(t *testing.T) {
	cases := []struct {
		name, manifest string
		resource       string
		targets        []Target // nil: not ok
	}{
		{"two deployments", twoDeployments, "deployments", []Target{{"shop", "web"}, {"shop", "api"}}},
		{"empty documents between", "---\n" + twoDeployments + "---\n", "deployments", []Target{{"shop", "web"}, {"shop", "api"}}},
		{"JSON", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg","namespace":"shop"}}`, "configmaps", []Target{{"shop", "cfg"}}},
		{"a cluster-scoped object has no namespace", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\n", "clusterroles", []Target{{"", "reader"}}},
		{"a y plural", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\n", "networkpolicies", []Target{{"shop", "deny"}}},
		{"an s plural", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\n", "ingresses", []Target{{"shop", "web"}}},
		{"a kind in the wrong group", "apiVersion: evil.example.com/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n", "", nil},
		{"a List", "apiVersion: v1\nkind: List\nitems: []\n", "", nil},
		{"an object without a name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: shop}\n", "", nil},
		{"generateName", "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: cfg-, namespace: shop}\n", "", nil},
		{"not YAML", "kind: [", "", nil},
		{"nothing", "", "", nil},
	}
	for _, c := range cases {
		res, targets, ok := manifestObjects([]byte(c.manifest))
		if ok != (c.targets != nil) || res != c.resource || !slices.Equal(targets, c.targets) {
			t.Errorf("%s: got %q %v %v, want %q %v", c.name, res, targets, ok, c.resource, c.targets)
		}
	}
}
