package kube

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/k9s-guard/k9s-guard/internal/atomicfile"
)

// LoadingRules finds the kubeconfig the way K9s does: the --kubeconfig file
// alone when given, else the merged $KUBECONFIG list, else ~/.kube/config.
// getenv is injected so that tests and the orchestrator control HOME and
// KUBECONFIG.
func LoadingRules(kubeconfigFlag string, getenv func(string) string) *clientcmd.ClientConfigLoadingRules {
	if kubeconfigFlag != "" {
		return &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfigFlag}
	}
	if env := getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		var list []string
		for _, p := range filepath.SplitList(env) {
			if p != "" && !slices.Contains(list, p) {
				list = append(list, p)
			}
		}
		return &clientcmd.ClientConfigLoadingRules{Precedence: list}
	}
	home := getenv("HOME")
	if home == "" {
		return &clientcmd.ClientConfigLoadingRules{Precedence: []string{clientcmd.RecommendedHomeFile}}
	}
	return &clientcmd.ClientConfigLoadingRules{Precedence: []string{filepath.Join(home, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}}
}

// Routing. Every context of the user's kubeconfig is reachable at
// /ctx/<segment>, where segment is the context name when it is URL-safe and
// "~" + base64url(name) otherwise (EKS names contain "/", which client-go
// would not keep escaped inside a server URL's path).
//
// The session kubeconfig must keep the user's context, cluster and user
// names, because K9s shows the cluster and user in its header and keys its
// per-context settings by cluster and context. But one cluster entry can
// serve several contexts, and a server URL belongs to the cluster entry,
// not to the context. So:
//
//   - a cluster entry used by a single context points at /ctx/<context>;
//   - a cluster entry shared by several contexts points at
//     /cluster/<segment>, and the gateway tells the contexts apart by the
//     bearer token, which belongs to the user entry (one token per session
//     user entry);
//   - when two contexts share both the cluster and the user entry (as
//     "dev" and "prod" often do), nothing in their requests differs, so the
//     later one (by name) gets its own user entry, named "<user>@<context>":
//     its K9s header shows that user name. Renaming the user rather than
//     the cluster keeps K9s's per-cluster config directories in place.
type layout struct {
	session  *clientcmdapi.Config
	contexts map[string]*ctxRoute            // by context name
	direct   map[string]*ctxRoute            // by /ctx/ segment
	shared   map[string]map[string]*ctxRoute // by /cluster/ segment, then token
	tokens   map[string]string               // session user entry -> token
}

// ctxRoute is what the gateway knows about one context of the user's kubeconfig.
type ctxRoute struct {
	context     string
	segment     string
	cluster     string // the cluster entry name (same in both kubeconfigs)
	user        string // the user entry name in the user's kubeconfig
	sessionUser string // the user entry name in the session kubeconfig
	token       string
	server      string // the real server URL, for the audit
}

var safeSegment = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]*$`)

// segmentFor maps a name to a URL path segment that survives client-go.
func segmentFor(name string) string {
	if safeSegment.MatchString(name) {
		return name
	}
	return "~" + base64.RawURLEncoding.EncodeToString([]byte(name))
}

// buildLayout derives the session kubeconfig and the routing tables from
// the user's kubeconfig. baseURL is https://127.0.0.1:PORT; caPEM is the
// gateway's certificate.
func buildLayout(raw *clientcmdapi.Config, currentContext, baseURL string, caPEM []byte) (*layout, error) {
	l := &layout{
		session:  clientcmdapi.NewConfig(),
		contexts: map[string]*ctxRoute{},
		direct:   map[string]*ctxRoute{},
		shared:   map[string]map[string]*ctxRoute{},
		tokens:   map[string]string{},
	}
	names := make([]string, 0, len(raw.Contexts))
	for n := range raw.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)

	usersOfCluster := map[string]int{}
	for _, n := range names {
		usersOfCluster[raw.Contexts[n].Cluster]++
	}
	takenUsers := map[string]bool{}
	for u := range raw.AuthInfos {
		takenUsers[u] = true
	}
	pairOwner := map[[2]string]string{} // (cluster, session user) -> first context

	for _, n := range names {
		c := raw.Contexts[n]
		r := &ctxRoute{context: n, segment: segmentFor(n), cluster: c.Cluster, user: c.AuthInfo, sessionUser: c.AuthInfo}
		if cl, ok := raw.Clusters[c.Cluster]; ok {
			r.server = cl.Server
		}
		if r.sessionUser == "" {
			// No user entry: client-go would send no credentials, but the
			// gateway needs a token, so the context gets a user of its own.
			r.sessionUser = uniqueName("k9s-guard@"+n, takenUsers)
		}
		pair := [2]string{c.Cluster, r.sessionUser}
		if _, clash := pairOwner[pair]; clash && usersOfCluster[c.Cluster] > 1 {
			r.sessionUser = uniqueName(r.sessionUser+"@"+n, takenUsers)
			pair = [2]string{c.Cluster, r.sessionUser}
		}
		pairOwner[pair] = n
		if _, ok := l.tokens[r.sessionUser]; !ok {
			tok, err := newToken()
			if err != nil {
				return nil, err
			}
			l.tokens[r.sessionUser] = tok
			l.session.AuthInfos[r.sessionUser] = &clientcmdapi.AuthInfo{Token: tok}
		}
		r.token = l.tokens[r.sessionUser]
		l.contexts[n] = r
		if _, dup := l.direct[r.segment]; dup {
			return nil, fmt.Errorf("contexts %q and %q map to the same gateway path", l.direct[r.segment].context, n)
		}
		l.direct[r.segment] = r

		l.session.Contexts[n] = &clientcmdapi.Context{Cluster: c.Cluster, AuthInfo: r.sessionUser, Namespace: c.Namespace}
		if _, ok := raw.Clusters[c.Cluster]; !ok {
			// K9s would fail on this context; let it fail the same way.
			continue
		}
		if usersOfCluster[c.Cluster] == 1 {
			l.session.Clusters[c.Cluster] = &clientcmdapi.Cluster{Server: baseURL + "/ctx/" + r.segment, CertificateAuthorityData: caPEM}
			continue
		}
		seg := segmentFor(c.Cluster)
		l.session.Clusters[c.Cluster] = &clientcmdapi.Cluster{Server: baseURL + "/cluster/" + seg, CertificateAuthorityData: caPEM}
		if l.shared[seg] == nil {
			l.shared[seg] = map[string]*ctxRoute{}
		}
		l.shared[seg][r.token] = r
	}
	l.session.CurrentContext = raw.CurrentContext
	if currentContext != "" {
		l.session.CurrentContext = currentContext
	}
	return l, nil
}

func uniqueName(want string, taken map[string]bool) string {
	name := want
	for i := 2; taken[name]; i++ {
		name = fmt.Sprintf("%s-%d", want, i)
	}
	taken[name] = true
	return name
}

// writeSessionKubeconfig writes the session kubeconfig 0600.
func writeSessionKubeconfig(path string, cfg *clientcmdapi.Config) error {
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("encode session kubeconfig: %w", err)
	}
	if err := atomicfile.WritePrivate(path, data); err != nil {
		return fmt.Errorf("write session kubeconfig: %w", err)
	}
	return nil
}

// loadRaw loads and merges the user's kubeconfig.
func loadRaw(rules *clientcmd.ClientConfigLoadingRules) (*clientcmdapi.Config, error) {
	raw, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	return raw, nil
}

// getenvOS is os.Getenv, named for injection sites.
var getenvOS = os.Getenv
