package v1alpha1

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Phase is where an ElevationRequest stands.
// +kubebuilder:validation:Enum="";Pending;Granted;Denied;Expired;Revoked
type Phase string

// Phases of an ElevationRequest. A request is created without a phase;
// the broker moves it to Pending when it claims it, then to Granted or
// Denied. Expired and Revoked are written (with an Event) just before the
// request and its grant are deleted.
const (
	PhasePending Phase = "Pending"
	PhaseGranted Phase = "Granted"
	PhaseDenied  Phase = "Denied"
	PhaseExpired Phase = "Expired"
	PhaseRevoked Phase = "Revoked"
)

// Operations the admission narrowing knows. Any other operation is granted
// as RBAC expresses it; these are the ones RBAC is coarser than.
const (
	OperationRestart = "restart" // a patch of spec.template.metadata.annotations only
	OperationCordon  = "cordon"  // a patch of a node's spec.unschedulable only
	OperationScale   = "scale"   // the scale subresource, which touches replicas only
)

// Labels and annotations the broker sets.
const (
	// LabelNarrow marks a request whose grant the narrowing admission
	// policy takes as a parameter.
	LabelNarrow = "stepup.k9s-guard.io/narrow"
	// LabelRequest names, on a Role or binding, the request that owns it.
	LabelRequest = "stepup.k9s-guard.io/request"
	// LabelUser is the hashed user name on a request, secret or invite,
	// so that a list by user needs no full scan.
	LabelUser = "stepup.k9s-guard.io/user"
	// AnnotationClaimedBy names the broker replica that verifies a request.
	AnnotationClaimedBy = "stepup.k9s-guard.io/claimed-by"
)

// ElevationRule is one operation the request asks for: RBAC verbs on one
// resource of one API group, in one namespace (empty for a cluster-scoped
// resource), optionally on named objects only.
type ElevationRule struct {
	// +kubebuilder:validation:MinItems=1
	Verbs []string `json:"verbs"`
	// APIGroup is "" for the core group.
	// +optional
	APIGroup string `json:"apiGroup,omitempty"`
	// Resource, with a subresource after a slash (pods/exec, deployments/scale).
	// +kubebuilder:validation:MinLength=1
	Resource string `json:"resource"`
	// Namespace of the objects; empty for cluster-scoped resources.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Names restricts the rule to these objects (RBAC resourceNames).
	// +optional
	Names []string `json:"names,omitempty"`
}

// ElevationRequestSpec is what a user asks for. Admission makes User the
// creator's own name and refuses any change after creation.
type ElevationRequestSpec struct {
	// User is the requesting user; admission requires request.userInfo.username.
	// +kubebuilder:validation:MinLength=1
	User string `json:"user"`
	// Groups are groups of the requesting user the policy may match on;
	// admission requires each to be one of request.userInfo.groups.
	// +optional
	Groups []string `json:"groups,omitempty"`
	// Operation names the action (delete, restart, scale, cordon, exec...).
	// +optional
	Operation string `json:"operation,omitempty"`
	// Rules are what the grant will allow; one operation by default.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	Rules []ElevationRule `json:"rules"`
	// Duration of the window.
	Duration metav1.Duration `json:"duration"`
	// Reason is shown in Events and required where the policy says so.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Reason string `json:"reason,omitempty"`
	// Code is the six-digit TOTP code; the broker blanks it when it claims
	// the request.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Code string `json:"code,omitempty"`
}

// ElevationRequestStatus is written by the broker only.
type ElevationRequestStatus struct {
	// +optional
	Phase Phase `json:"phase,omitempty"`
	// Reason is a one-word cause for Denied (WrongCode, Replayed, LockedOut,
	// NotEnrolled, NotAllowed, Invalid, GrantFailed).
	// +optional
	Reason string `json:"reason,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	GrantedAt *metav1.Time `json:"grantedAt,omitempty"`
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`
	// Role is the name of the Role or ClusterRole (and its binding) granted.
	// +optional
	Role string `json:"role,omitempty"`
}

// ElevationRequest asks the broker for a scoped, expiring grant to the
// requesting user's own identity. It is cluster-scoped so that the Roles it
// grants in any namespace can name it as their owner: Kubernetes garbage
// collection does not follow owner references across namespaces.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=elev
// +kubebuilder:printcolumn:name="User",type=string,JSONPath=`.spec.user`
// +kubebuilder:printcolumn:name="Operation",type=string,JSONPath=`.spec.operation`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Expires",type=date,JSONPath=`.status.expiresAt`
type ElevationRequest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ElevationRequestSpec `json:"spec"`
	// +optional
	Status ElevationRequestStatus `json:"status,omitempty"`
}

// ElevationRequestList is a list of ElevationRequests.
//
// +kubebuilder:object:root=true
type ElevationRequestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ElevationRequest `json:"items"`
}

// PolicySubject is a user or a group the policy applies to.
type PolicySubject struct {
	// +kubebuilder:validation:Enum=User;Group
	Kind string `json:"kind"`
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// ElevationPolicySpec is the team's floor: who may elevate to what, where,
// for how long at most. A local profile can only tighten it.
type ElevationPolicySpec struct {
	// +kubebuilder:validation:MinItems=1
	Subjects []PolicySubject `json:"subjects"`
	// Rules a request may ask for (any subset of them).
	// +optional
	Rules []rbacv1.PolicyRule `json:"rules,omitempty"`
	// ClusterRole whose rules a request may ask for, such as edit.
	// +optional
	ClusterRole string `json:"clusterRole,omitempty"`
	// Namespaces a request may touch; "*" for all; empty allows only
	// cluster-scoped rules.
	// +optional
	Namespaces []string `json:"namespaces,omitempty"`
	// MaxDuration bounds a window.
	MaxDuration metav1.Duration `json:"maxDuration"`
	// RequireReason lists operations that need a reason ("*" for all).
	// +optional
	RequireReason []string `json:"requireReason,omitempty"`
	// RequireConfirmation lists operations whose prompt needs a typed
	// confirmation; the client enforces it, the broker records it.
	// +optional
	RequireConfirmation []string `json:"requireConfirmation,omitempty"`
	// OpenEnrollment lets a user enrol a first phone without an invite;
	// the broker announces each such enrolment with an Event.
	// +optional
	OpenEnrollment bool `json:"openEnrollment,omitempty"`
}

// ElevationPolicy says who may elevate to what.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
type ElevationPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ElevationPolicySpec `json:"spec"`
}

// ElevationPolicyList is a list of ElevationPolicies.
//
// +kubebuilder:object:root=true
type ElevationPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ElevationPolicy `json:"items"`
}

// OTPEnrollmentSpec carries a new secret to the broker once. The broker
// moves the secret into a Secret of its namespace and deletes the
// enrolment, so it stays nowhere else.
type OTPEnrollmentSpec struct {
	// User is the enrolling user; admission requires request.userInfo.username.
	// +kubebuilder:validation:MinLength=1
	User string `json:"user"`
	// Secret is the base32 TOTP secret the client generated and showed as a
	// QR code; the broker blanks it once it has moved it into a Secret.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Secret string `json:"secret,omitempty"`
	// Code is a code from the app, proving the phone holds the secret.
	// +optional
	// +kubebuilder:validation:MaxLength=16
	Code string `json:"code,omitempty"`
	// Invite is the one-time invite token an admin created.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Invite string `json:"invite,omitempty"`
}

// OTPEnrollmentStatus is written by the broker only.
type OTPEnrollmentStatus struct {
	// +kubebuilder:validation:Enum="";Enrolled;Denied
	// +optional
	Phase string `json:"phase,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
}

// OTPEnrollment enrols a user's authenticator app with the broker.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:subresource:status
type OTPEnrollment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec OTPEnrollmentSpec `json:"spec"`
	// +optional
	Status OTPEnrollmentStatus `json:"status,omitempty"`
}

// OTPEnrollmentList is a list of OTPEnrollments.
//
// +kubebuilder:object:root=true
type OTPEnrollmentList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []OTPEnrollment `json:"items"`
}
