package kube

import (
	"bytes"
	"fmt"
	"os"
	"sort"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// K9s's `:ctx` view renames (r) and deletes (Ctrl-D) contexts by rewriting
// the kubeconfig it was given, which in a session is the session
// kubeconfig: the edit was lost at exit, while K9s said it was done. The
// gateway notices the rewrite, tells the session what K9s did, and either
// writes it through to the user's own kubeconfig or puts the session
// kubeconfig back.

// ContextEdit is one change K9s made to the session kubeconfig's contexts.
type ContextEdit struct {
	Kind string // "rename" or "delete"
	Old  string // the context renamed or deleted
	New  string // the new name, for a rename
}

func (e ContextEdit) String() string {
	if e.Kind == "rename" {
		return fmt.Sprintf("rename context %s to %s", e.Old, e.New)
	}
	return "delete context " + e.Old
}

// Action is the profile action name of the edit.
func (e ContextEdit) Action() string { return e.Kind + "-context" }

// ContextEdits reports what K9s changed in the session kubeconfig since it
// was written (or since the last Accept/Revert): nil when nothing, or
// while a change is not yet seen twice (call it on a poll); an error when
// the file changed in a way that is not one rename or one delete (it is
// then best put back with Revert).
func (g *Gateway) ContextEdits() ([]ContextEdit, error) {
	g.editMu.Lock()
	defer g.editMu.Unlock()
	data, err := os.ReadFile(g.kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("read session kubeconfig: %w", err)
	}
	if bytes.Equal(data, g.written) {
		g.pending = nil
		return nil, nil
	}
	// K9s rewrites the file in place: a read can catch it half written,
	// which may even parse (with contexts missing). An edit counts only
	// once the same new content is seen twice, a poll apart.
	if !bytes.Equal(data, g.pending) {
		g.pending = data
		return nil, nil
	}
	g.pending = nil
	now, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("session kubeconfig was rewritten unreadably: %w", err)
	}
	was := g.layout.session
	var gone, added []string
	for n := range was.Contexts {
		if _, ok := now.Contexts[n]; !ok {
			gone = append(gone, n)
		}
	}
	for n := range now.Contexts {
		if _, ok := was.Contexts[n]; !ok {
			added = append(added, n)
		}
	}
	sort.Strings(gone)
	sort.Strings(added)
	switch {
	case len(gone) == 0 && len(added) == 0:
		// Rewritten with the same contexts (K9s rewrites what it read):
		// nothing to carry over.
		g.written = data
		return nil, nil
	case len(gone) == 1 && len(added) == 1 && sameEntries(was.Contexts[gone[0]], now.Contexts[added[0]]):
		return []ContextEdit{{Kind: "rename", Old: gone[0], New: added[0]}}, nil
	case len(gone) == 1 && len(added) == 0:
		// K9s deletes one context at a time.
		return []ContextEdit{{Kind: "delete", Old: gone[0]}}, nil
	}
	return nil, fmt.Errorf("session kubeconfig changed beyond a rename or delete (contexts gone: %v, added: %v)", gone, added)
}

func sameEntries(a, b *clientcmdapi.Context) bool {
	return a != nil && b != nil && a.Cluster == b.Cluster && a.AuthInfo == b.AuthInfo
}

// AcceptContextEdit writes an edit through to the user's kubeconfig (the
// file that holds the context, as kubectl config would) and keeps it in
// the session: a renamed context keeps its route, under both names.
func (g *Gateway) AcceptContextEdit(e ContextEdit) error {
	g.editMu.Lock()
	defer g.editMu.Unlock()
	cfg, err := g.rules.GetStartingConfig()
	if err != nil {
		return fmt.Errorf("%s: read your kubeconfig: %w", e, err)
	}
	c, ok := cfg.Contexts[e.Old]
	if !ok {
		return fmt.Errorf("%s: context %q is not in your kubeconfig", e, e.Old)
	}
	switch e.Kind {
	case "rename":
		if _, clash := cfg.Contexts[e.New]; clash {
			return fmt.Errorf("%s: your kubeconfig already has a context %q", e, e.New)
		}
		cfg.Contexts[e.New] = c
		delete(cfg.Contexts, e.Old)
		if cfg.CurrentContext == e.Old {
			cfg.CurrentContext = e.New
		}
	case "delete":
		delete(cfg.Contexts, e.Old)
	default:
		return fmt.Errorf("unknown context edit %q", e.Kind)
	}
	if err := clientcmd.ModifyConfig(g.rules, *cfg, false); err != nil {
		return fmt.Errorf("%s: write your kubeconfig: %w", e, err)
	}
	// The session follows: the session kubeconfig stays as K9s now has
	// it. A renamed context keeps its route (its token), so its requests
	// still go out, are protected and are recorded under its old name
	// until the next session; the session's policy carries the rule over
	// to the new name (Routes.Alias).
	sess := g.layout.session
	switch e.Kind {
	case "rename":
		sess.Contexts[e.New] = sess.Contexts[e.Old]
		delete(sess.Contexts, e.Old)
	case "delete":
		delete(sess.Contexts, e.Old)
	}
	return g.rewriteLocked()
}

// RevertContextEdits puts the session kubeconfig back as the gateway last
// wrote it, undoing what K9s changed.
func (g *Gateway) RevertContextEdits() error {
	g.editMu.Lock()
	defer g.editMu.Unlock()
	return g.rewriteLocked()
}

func (g *Gateway) rewriteLocked() error {
	if err := writeSessionKubeconfig(g.kubeconfig, g.layout.session); err != nil {
		return err
	}
	data, err := os.ReadFile(g.kubeconfig)
	if err != nil {
		return fmt.Errorf("read session kubeconfig: %w", err)
	}
	g.written, g.pending = data, nil
	return nil
}
