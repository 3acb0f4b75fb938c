package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group and Version of this API.
const (
	Group   = "stepup.k9s-guard.io"
	Version = "v1alpha1"
)

// SchemeGroupVersion is the group and version the types are registered under.
var SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}

// Resources of this API, as the dynamic client names them.
var (
	ElevationRequests = SchemeGroupVersion.WithResource("elevationrequests")
	ElevationPolicies = SchemeGroupVersion.WithResource("elevationpolicies")
	OTPEnrollments    = SchemeGroupVersion.WithResource("otpenrollments")
)

// AddToScheme registers the types with a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion,
		&ElevationRequest{}, &ElevationRequestList{},
		&ElevationPolicy{}, &ElevationPolicyList{},
		&OTPEnrollment{}, &OTPEnrollmentList{},
	)
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}
