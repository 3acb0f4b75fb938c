// Package broker is the controller behind `k9s-guard broker`: it runs in
// the cluster under its own ServiceAccount, checks the TOTP code of each
// ElevationRequest against a secret only it can read, and grants exactly
// the requested rules to the requesting user's own identity with a Role
// and binding owned by the request, for a bounded time.
//
// All state lives in the cluster: the secrets, with their replay and
// lockout record, in Secrets of the broker's namespace, written with
// resourceVersion compare-and-swap so that two replicas can never accept
// one code twice; the grants as RBAC objects; leadership (for expiry and
// reconciliation) in a coordination.k8s.io Lease.
package broker
