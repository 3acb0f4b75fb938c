package keys

import (
	"os"
	"path/filepath"
	"testing"
)

// A plugin with override: true takes s on deployments from K9s's scale
// (issue 12, item 6): the key is no longer K9s's action. Without override
// K9s keeps its own key, so the guard does too.
func TestPluginOverrideTakesTheKey(t *testing.T) {
	dir := t.TempDir()
	global := filepath.Join(dir, "plugins.yaml")
	if err := os.WriteFile(global, []byte(`plugins:
  get-deploy:
    shortCut: s
    override: true
    scopes: [deploy]
    command: kubectl
    args: [get, deploy]
  not-over:
    shortCut: Ctrl-K
    scopes: [pods]
    command: echo
  everywhere:
    shortCut: Shift-F
    override: true
    scopes: [all]
    command: echo
`), 0o600); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(dir, "edit-cm.yaml")
	if err := os.WriteFile(single, []byte("shortCut: e\noverride: true\nscopes: [cm]\ncommand: echo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("plugins: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	oo, err := LoadOverrides([]string{global, single, filepath.Join(dir, "missing.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if len(oo) != 3 {
		t.Fatalf("overrides %+v, want get-deploy, everywhere and edit-cm", oo)
	}
	if _, err := LoadOverrides([]string{bad}); err == nil {
		t.Error("a broken plugins file was not reported")
	}
	for _, tc := range []struct {
		view, key, want string
	}{
		{"deploy", "s", ""},                // the plugin's
		{"statefulsets", "s", ActScale},    // out of the plugin's scope
		{"pods", "\x0b", ActKill},          // no override: K9s's kill
		{"pods", "F", ""},                  // scope all
		{"configmaps", "e", ""},            // a single-plugin file
		{"deployments", "\x04", ActDelete}, // keys no plugin takes
	} {
		w := NewWatcher(Options{Context: "prod", Resource: tc.view, Overrides: func(string) []Override { return oo }})
		if v := lastVerdict(w, tc.key); v.Action != tc.want {
			t.Errorf("%s in %s: action %q, want %q", tc.key, tc.view, v.Action, tc.want)
		}
	}
}

func TestPluginFilesFollowK9s(t *testing.T) {
	env := map[string]string{"HOME": "/h", "XDG_DATA_DIRS": "/none"}
	files := PluginFiles(func(k string) string { return env[k] }, "test:bed", "prod/eu")
	if files[0] != "/h/.config/k9s/plugins.yaml" || files[1] != "/h/.local/share/k9s/clusters/test-bed/prod-eu/plugins.yaml" {
		t.Errorf("files %q", files)
	}
	env["K9S_CONFIG_DIR"] = "/k"
	if files := PluginFiles(func(k string) string { return env[k] }, "", ""); files[0] != "/k/plugins.yaml" {
		t.Errorf("with K9S_CONFIG_DIR: %q", files)
	}
}
