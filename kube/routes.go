package kube

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/profile"
)

// Routes says how every context of the user's kubeconfig is protected in
// a session. The profile names the protected contexts, but the session
// kubeconfig holds every context, and any process in the session can use
// any of them. So a context that can reach a protected server by another
// road is protected too:
//
//   - the elevation source of a protected context (an admin context on the
//     same server) always carries that context's rule, whatever the profile
//     says about it: otherwise `kubectl --context admin delete ...` from a
//     plugin would do as admin, without a code, what the prompt guards;
//   - a context on the same server with the same CA as a protected one
//     carries its rule unless a rule of the profile matches it by name or
//     pattern (then the profile has said so explicitly).
type Routes struct {
	prof   *profile.Profile
	byName map[string]Protection

	mu      sync.RWMutex
	aliases map[string]string // a context renamed in K9s: new name -> old
}

// Alias gives a context K9s renamed in the session its old name's
// protection under the new name too.
func (r *Routes) Alias(newName, oldName string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.aliases == nil {
		r.aliases = map[string]string{}
	}
	if o, ok := r.aliases[oldName]; ok {
		oldName = o
	}
	r.aliases[newName] = oldName
}

// Protection is how one context is protected in the session, and why.
type Protection struct {
	Context string
	Policy  profile.Policy
	// From is the protected context whose rule this context carries; ""
	// when the context has its own (or none).
	From string
	// Why says why it carries From's rule: "the elevation source of prod"
	// or "on the same server and CA as prod".
	Why string
}

// Inherited reports whether the context carries another context's rule.
func (p Protection) Inherited() bool { return p.From != "" }

// PlanRoutes loads the user's kubeconfig and works out the protection of
// each of its contexts.
func PlanRoutes(rules *clientcmd.ClientConfigLoadingRules, prof *profile.Profile) (*Routes, error) {
	raw, err := loadRaw(rules)
	if err != nil {
		return nil, err
	}
	return planRoutes(raw, rules, prof), nil
}

// PlanRoutesFrom is PlanRoutes for a kubeconfig already loaded (init
// plans the profile it is about to write). rules may be nil: then an
// elevation's own kubeconfig file is never taken for the session's.
func PlanRoutesFrom(raw *clientcmdapi.Config, rules *clientcmd.ClientConfigLoadingRules, prof *profile.Profile) *Routes {
	if rules == nil {
		rules = &clientcmd.ClientConfigLoadingRules{}
	}
	return planRoutes(raw, rules, prof)
}

// SameCluster reports whether two contexts of a kubeconfig reach the same
// server with the same CA, the test of the same-server rule.
func SameCluster(raw *clientcmdapi.Config, a, b string) bool {
	ka := clusterIdentity(raw, a)
	return ka != "" && ka == clusterIdentity(raw, b)
}

func planRoutes(raw *clientcmdapi.Config, rules *clientcmd.ClientConfigLoadingRules, prof *profile.Profile) *Routes {
	rt := &Routes{prof: prof, byName: map[string]Protection{}}
	names := make([]string, 0, len(raw.Contexts))
	for n := range raw.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	var protected []string
	for _, n := range names {
		pol := prof.For(n)
		rt.byName[n] = Protection{Context: n, Policy: pol}
		if pol.Protected {
			protected = append(protected, n)
		}
	}
	inherit := func(c, from, why string) {
		pol := prof.For(from)
		pol.Context = c
		rt.byName[c] = Protection{Context: c, Policy: pol, From: from, Why: why}
	}
	// Elevation sources first: they win over the same-server rule and over
	// the profile's own word for them.
	for _, p := range protected {
		e := prof.For(p).Elevation
		if e.Kind != profile.ElevationContext || !sameKubeconfig(e.Kubeconfig, rules) {
			continue
		}
		src, ok := raw.Contexts[e.Context]
		if !ok || src == nil || e.Context == p {
			continue
		}
		if cur := rt.byName[e.Context]; cur.Policy.Protected && !cur.Inherited() {
			continue // protected by a rule of its own
		}
		if cur := rt.byName[e.Context]; cur.Inherited() {
			continue // the first protected context (by name) gives its rule
		}
		inherit(e.Context, p, "the elevation source of "+p)
	}
	for _, n := range names {
		cur := rt.byName[n]
		if cur.Policy.Protected || cur.Policy.Match != "" {
			continue
		}
		key := clusterIdentity(raw, n)
		if key == "" {
			continue
		}
		for _, p := range protected {
			if rt.byName[p].Inherited() || clusterIdentity(raw, p) != key {
				continue
			}
			inherit(n, p, "on the same server and CA as "+p)
			break
		}
	}
	return rt
}

// For is the policy of a context in the session; a context the
// kubeconfig does not have gets the profile's.
func (r *Routes) For(context string) profile.Policy {
	r.mu.RLock()
	old, aliased := r.aliases[context]
	r.mu.RUnlock()
	if aliased {
		pol := r.For(old)
		pol.Context = context
		return pol
	}
	if p, ok := r.byName[context]; ok {
		return p.Policy
	}
	return r.prof.For(context)
}

// Protection is how a context is protected, and why.
func (r *Routes) Protection(context string) Protection {
	if p, ok := r.byName[context]; ok {
		return p
	}
	return Protection{Context: context, Policy: r.prof.For(context)}
}

// Inherited lists the contexts that carry another context's rule, by name.
func (r *Routes) Inherited() []Protection {
	var out []Protection
	for _, p := range r.byName {
		if p.Inherited() {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Context < out[j].Context })
	return out
}

// Contexts lists the kubeconfig's contexts, by name.
func (r *Routes) Contexts() []string {
	out := make([]string, 0, len(r.byName))
	for n := range r.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// AnyProtected reports whether some context of the kubeconfig is protected.
func (r *Routes) AnyProtected() bool {
	for _, p := range r.byName {
		if p.Policy.Protected {
			return true
		}
	}
	return false
}

// CheckElevationSources checks, before anything starts, that every
// protected context of the kubeconfig can elevate the way the profile
// says: a context source exists (in its own kubeconfig file, when one is
// named) and points at the same server as the context it elevates. Found
// only after the code, a missing source opens a window that elevates
// nothing and K9s says "access denied" with no reason. Whether the source
// answers is the doctor's job. Every problem is reported, each located at
// the profile key that names the source.
func (r *Routes) CheckElevationSources(rules *clientcmd.ClientConfigLoadingRules) error {
	raw, err := loadRaw(rules)
	if err != nil {
		return err
	}
	var errs []error
	checked := map[string]bool{}
	for _, n := range r.Contexts() {
		p := r.byName[n]
		if !p.Policy.Protected || p.Inherited() {
			continue
		}
		e := p.Policy.Elevation
		if e.Kind != profile.ElevationContext {
			continue
		}
		at := r.prof.ElevationPath(p.Policy) + ".context"
		if checked[at+"\x00"+n] {
			continue
		}
		checked[at+"\x00"+n] = true
		src, where := raw, "the kubeconfig"
		if !sameKubeconfig(e.Kubeconfig, rules) {
			path := expandHome(e.Kubeconfig)
			where = path
			if src, err = clientcmd.LoadFromFile(path); err != nil {
				errs = append(errs, r.prof.ErrorAt(at, "elevation of %q: cannot read kubeconfig %s: %v", n, path, err))
				continue
			}
		}
		sc, ok := src.Contexts[e.Context]
		if !ok || sc == nil {
			errs = append(errs, r.prof.ErrorAt(at, "elevation of %q: context %q is not in %s (contexts there: %s)", n, e.Context, where, strings.Join(contextNames(src), ", ")))
			continue
		}
		scl, ok := src.Clusters[sc.Cluster]
		if !ok || scl == nil {
			errs = append(errs, r.prof.ErrorAt(at, "elevation of %q: context %q names cluster %q, which is not in %s", n, e.Context, sc.Cluster, where))
			continue
		}
		own := serverOf(raw, n)
		if !sameServer(scl.Server, own) {
			errs = append(errs, r.prof.ErrorAt(at, "elevation of %q: context %q points at %s, not at %q's server %s; an elevation source must be the same cluster", n, e.Context, scl.Server, n, own))
		}
	}
	return errors.Join(errs...)
}

func contextNames(c *clientcmdapi.Config) []string {
	out := make([]string, 0, len(c.Contexts))
	for n := range c.Contexts {
		out = append(out, n)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

// sameKubeconfig reports whether an elevation's kubeconfig file is (one
// of) the session's: then its contexts are in the session kubeconfig too.
func sameKubeconfig(file string, rules *clientcmd.ClientConfigLoadingRules) bool {
	if file == "" {
		return true
	}
	want, err := filepath.Abs(expandHome(file))
	if err != nil {
		return false
	}
	files := rules.GetLoadingPrecedence()
	if rules.ExplicitPath != "" {
		files = []string{rules.ExplicitPath}
	}
	return slices.ContainsFunc(files, func(f string) bool {
		abs, err := filepath.Abs(f)
		return err == nil && abs == want
	})
}

func serverOf(raw *clientcmdapi.Config, context string) string {
	c, ok := raw.Contexts[context]
	if !ok || c == nil {
		return ""
	}
	if cl, ok := raw.Clusters[c.Cluster]; ok && cl != nil {
		return cl.Server
	}
	return ""
}

// clusterIdentity is what makes two contexts the same cluster for the
// same-server rule: the server URL (normalised) and the CA that checks it.
// "" when the context has no server.
func clusterIdentity(raw *clientcmdapi.Config, context string) string {
	c, ok := raw.Contexts[context]
	if !ok || c == nil {
		return ""
	}
	cl, ok := raw.Clusters[c.Cluster]
	if !ok || cl == nil || cl.Server == "" {
		return ""
	}
	ca := string(cl.CertificateAuthorityData)
	if ca == "" && cl.CertificateAuthority != "" {
		if b, err := os.ReadFile(cl.CertificateAuthority); err == nil {
			ca = string(b)
		} else {
			ca = "file:" + cl.CertificateAuthority
		}
	}
	return fmt.Sprintf("%s\x00%s\x00%t", normalServer(cl.Server), strings.TrimSpace(ca), cl.InsecureSkipTLSVerify)
}
