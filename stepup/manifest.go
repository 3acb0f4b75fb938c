package stepup

// The objects of a manifest file, for :dir's `d` (kubectl delete -f): read
// from the file under the cursor so that the key's grant names exactly
// what kubectl will delete.

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/util/yaml"
)

// manifestObjects reads the objects a manifest holds and returns the
// resource they all are ("deployments", "configmaps") and each as a
// target. ok is false when the grant could not name them exactly: no
// object, an unreadable document, a List, objects of more than one kind,
// one without a name, a namespaced object without a namespace (kubectl
// would use the kubeconfig's, which the guard does not read here) or of a
// kind whose resource name cannot be told without discovery. The caller
// then leaves the requests to the gateway, which asks for each.
func manifestObjects(data []byte) (resource string, targets []Target, ok bool) {
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var obj struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, false
		}
		if obj.APIVersion == "" && obj.Kind == "" && obj.Metadata.Name == "" {
			continue // an empty document
		}
		res, known := kindResource(obj.APIVersion, obj.Kind)
		if !known || obj.Metadata.Name == "" || strings.HasSuffix(obj.Kind, "List") {
			return "", nil, false
		}
		if resource != "" && res != resource {
			return "", nil, false
		}
		resource = res
		cluster := isClusterScoped(res)
		if !cluster && obj.Metadata.Namespace == "" {
			return "", nil, false
		}
		t := Target{Name: obj.Metadata.Name}
		if !cluster {
			t.Namespace = obj.Metadata.Namespace
		}
		targets = append(targets, t)
	}
	return resource, targets, len(targets) > 0
}

// kindResource maps a manifest's apiVersion and kind to the resource K9s
// names it by ("apps/v1", "Deployment" → "deployments"). Only the
// kinds of the groups the guard knows are mapped (their plural is the
// lower-case kind with an s, or ies for a y); any other is unknown, for a
// wrong plural would make a grant that covers nothing and a second code.
func kindResource(apiVersion, kind string) (string, bool) {
	if kind == "" || apiVersion == "" {
		return "", false
	}
	group, _, hasGroup := strings.Cut(apiVersion, "/")
	if !hasGroup {
		group = "" // "v1": the core group
	}
	plural := strings.ToLower(kind)
	switch {
	case plural == "endpoints":
	case strings.HasSuffix(plural, "y"):
		plural = strings.TrimSuffix(plural, "y") + "ies"
	case strings.HasSuffix(plural, "s"):
		plural += "es"
	default:
		plural += "s"
	}
	if group == "" {
		if !coreResources[plural] {
			return "", false
		}
		return plural, true
	}
	if ResourceGroup(plural) != group {
		return "", false
	}
	return plural, true // KeyScope finds the group from the name
}

// coreResources are the core group's resources a manifest may hold.
var coreResources = map[string]bool{
	"pods": true, "services": true, "configmaps": true, "secrets": true, "serviceaccounts": true,
	"persistentvolumeclaims": true, "persistentvolumes": true, "namespaces": true, "nodes": true,
	"endpoints": true, "limitranges": true, "resourcequotas": true, "replicationcontrollers": true,
}

func isClusterScoped(resource string) bool {
	for _, r := range clusterScoped {
		if r == resource {
			return true
		}
	}
	return false
}
