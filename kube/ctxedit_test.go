package kube

import (
	"os"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// k9sEdit edits the session kubeconfig the way K9s's :ctx view does: the
// raw config it loaded, changed, saved with clientcmd.ModifyConfig through
// the KUBECONFIG it was given.
func k9sEdit(t *testing.T, tg *testGateway, edit func(contexts map[string]bool) (string, string)) {
	t.Helper()
	acc := &clientcmd.ClientConfigLoadingRules{Precedence: []string{tg.KubeconfigPath()}}
	cfg, err := acc.Load()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for n := range cfg.Contexts {
		names[n] = true
	}
	old, renamed := edit(names)
	c := cfg.Contexts[old]
	delete(cfg.Contexts, old)
	if renamed != "" {
		cfg.Contexts[renamed] = c
	}
	if err := clientcmd.ModifyConfig(acc, *cfg, true); err != nil {
		t.Fatal(err)
	}
	// The first look at a change only notes it (K9s may be mid-write).
	if edits, err := tg.ContextEdits(); err != nil || edits != nil {
		t.Fatalf("first look at the change: %v, %v; want nothing yet", edits, err)
	}
}

// TestContextEditsAreWrittenThrough stops this loss: K9s's context rename
// and delete (`:ctx`, r / Ctrl-D) rewrote the session kubeconfig, so the
// edit vanished at exit while K9s said it was done. The gateway sees the
// edit; accepted, it is written to the user's kubeconfig; refused, the
// session kubeconfig is put back.
func TestContextEditsAreWrittenThrough(t *testing.T) {
	tg := startTestGateway(t, nil)
	user := tg.rules.ExplicitPath
	userContexts := func() map[string]bool {
		cfg, err := clientcmd.LoadFromFile(user)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for n := range cfg.Contexts {
			out[n] = true
		}
		return out
	}
	if edits, err := tg.ContextEdits(); err != nil || edits != nil {
		t.Fatalf("before any edit: %v, %v", edits, err)
	}

	k9sEdit(t, tg, func(map[string]bool) (string, string) { return "dev", "dev-renamed" })
	edits, err := tg.ContextEdits()
	if err != nil || len(edits) != 1 || edits[0] != (ContextEdit{Kind: "rename", Old: "dev", New: "dev-renamed"}) {
		t.Fatalf("rename seen as %v, %v", edits, err)
	}
	if err := tg.AcceptContextEdit(edits[0]); err != nil {
		t.Fatal(err)
	}
	if u := userContexts(); u["dev"] || !u["dev-renamed"] || !u["prod"] {
		t.Fatalf("user's kubeconfig after the rename: %v", u)
	}
	if edits, err := tg.ContextEdits(); err != nil || edits != nil {
		t.Fatalf("after the accepted rename: %v, %v", edits, err)
	}
	// Requests of the renamed context still reach the API through its route.
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: tg.KubeconfigPath()},
		&clientcmd.ConfigOverrides{CurrentContext: "dev-renamed"}).ClientConfig()
	if err != nil {
		t.Fatalf("the session kubeconfig lost the renamed context: %v", err)
	}
	if rc.BearerToken == "" {
		t.Fatal("the renamed context has no session token")
	}

	// A refused delete is put back in the session and never reaches the
	// user's kubeconfig.
	k9sEdit(t, tg, func(map[string]bool) (string, string) { return "prod", "" })
	edits, err = tg.ContextEdits()
	if err != nil || len(edits) != 1 || edits[0] != (ContextEdit{Kind: "delete", Old: "prod"}) {
		t.Fatalf("delete seen as %v, %v", edits, err)
	}
	if err := tg.RevertContextEdits(); err != nil {
		t.Fatal(err)
	}
	if edits, err := tg.ContextEdits(); err != nil || edits != nil {
		t.Fatalf("after the revert: %v, %v", edits, err)
	}
	if !userContexts()["prod"] {
		t.Fatal("a refused delete reached the user's kubeconfig")
	}
	sess, err := clientcmd.LoadFromFile(tg.KubeconfigPath())
	if err != nil || sess.Contexts["prod"] == nil {
		t.Fatalf("the session kubeconfig did not get prod back: %v", err)
	}

	// An accepted delete is written through.
	k9sEdit(t, tg, func(map[string]bool) (string, string) { return "team/prod", "" })
	edits, _ = tg.ContextEdits()
	if len(edits) != 1 {
		t.Fatalf("delete of team/prod seen as %v", edits)
	}
	if err := tg.AcceptContextEdit(edits[0]); err != nil {
		t.Fatal(err)
	}
	if userContexts()["team/prod"] {
		t.Fatal("the accepted delete did not reach the user's kubeconfig")
	}
}

// TestHalfWrittenSessionKubeconfigIsNotAnEdit: K9s rewrites the file in
// place, so a poll can read it half written, missing contexts. That must
// never be taken for a delete and written through to the user's
// kubeconfig: a change counts only when seen twice.
func TestHalfWrittenSessionKubeconfigIsNotAnEdit(t *testing.T) {
	tg := startTestGateway(t, nil)
	full, err := os.ReadFile(tg.KubeconfigPath())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(full)
	if err != nil {
		t.Fatal(err)
	}
	delete(cfg.Contexts, "dev") // what a torn read could look like
	if err := clientcmd.WriteToFile(*cfg, tg.KubeconfigPath()); err != nil {
		t.Fatal(err)
	}
	if edits, err := tg.ContextEdits(); err != nil || edits != nil {
		t.Fatalf("a change seen once: %v, %v", edits, err)
	}
	if err := os.WriteFile(tg.KubeconfigPath(), full, 0o600); err != nil { // the write completes
		t.Fatal(err)
	}
	if edits, err := tg.ContextEdits(); err != nil || edits != nil {
		t.Fatalf("after the write completed: %v, %v", edits, err)
	}
	user, err := clientcmd.LoadFromFile(tg.rules.ExplicitPath)
	if err != nil || user.Contexts["dev"] == nil {
		t.Fatalf("the user's kubeconfig lost dev: %v", err)
	}
}
