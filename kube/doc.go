// Package kube is k9s-guard's credential gateway: the part of the guard that
// cannot be slipped past from inside K9s.
//
// At start it loads the user's kubeconfig exactly as K9s would and writes a
// session kubeconfig with the same context, cluster and user names whose
// clusters all point at a loopback HTTPS reverse proxy. K9s, and every
// kubectl it spawns, talk to the real clusters only through that proxy.
// For each request the gateway knows the context (from the URL and the
// session token), derives what the API server will do with it (verb,
// resource, namespace, name) the way the API server itself does, and sends
// it with the user's own credentials, with elevated credentials inside an
// open step-up window, or not at all: a write or sensitive request in a
// protected context without a window is held while the step-up prompt asks
// for a code, and refused with a Kubernetes Status 403 if none comes.
//
// Elevated credentials (another context, impersonation, or a short-lived
// ServiceAccount token bound to a per-grant Secret) live only in this
// process; they never reach K9s, kubectl or the disk.
//
// See docs/gateway.md for the routing scheme, the classification table and
// the threat model of this layer.
package kube
