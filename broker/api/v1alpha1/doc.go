// Package v1alpha1 is the stepup.k9s-guard.io/v1alpha1 API of the broker:
// the ElevationRequest a user creates with their own credentials, the
// cluster-wide ElevationPolicy that says who may elevate to what, and the
// OTPEnrollment that carries a new phone's secret to the broker once.
// The CRDs in deploy/crds are generated from these types by controller-gen
// (make generate); a test checks that the checked-in files match.
//
// +kubebuilder:object:generate=true
// +groupName=stepup.k9s-guard.io
package v1alpha1
