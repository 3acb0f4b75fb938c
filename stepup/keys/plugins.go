package keys

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/k9s-guard/k9s-guard/internal/xdg"
)

// Override is a K9s plugin that takes over a key K9s binds itself
// (override: true): in its scopes the key runs the plugin's command, which
// the credential gateway judges, not K9s's action.
type Override struct {
	Name   string
	key    keyBinding
	scopes []string // canonical view names; "all" for every view
}

func (o Override) covers(view string, k Key) bool {
	if !o.key.matches(k) {
		return false
	}
	for _, s := range o.scopes {
		if s == "all" || s == view {
			return true
		}
	}
	return false
}

// pluginSpec is one plugin as K9s v0.50.16 reads it (internal/config/plugin.go);
// only the fields the guard needs are kept, the rest are ignored.
type pluginSpec struct {
	ShortCut  string   `yaml:"shortCut"`
	Override  bool     `yaml:"override"`
	Scopes    []string `yaml:"scopes"`
	Dangerous bool     `yaml:"dangerous"`
}

// ParseShortCut turns a K9s shortCut ("s", "Shift-S", "Ctrl-D") into the
// key it binds; ok is false for keys the table has no row for.
func parseShortCut(s string) (keyBinding, bool) {
	switch {
	case len(s) == 1 && s[0] >= 'a' && s[0] <= 'z':
		return keyBinding{false, rune(s[0])}, true
	case len(s) == 7 && strings.HasPrefix(s, "Shift-") && s[6] >= 'A' && s[6] <= 'Z':
		return keyBinding{false, rune(s[6])}, true
	case len(s) == 6 && strings.HasPrefix(s, "Ctrl-") && s[5] >= 'A' && s[5] <= 'Z':
		return keyBinding{true, rune(s[5] - 'A' + 'a')}, true
	case len(s) == 1 && s[0] >= '0' && s[0] <= '9':
		return keyBinding{false, rune(s[0])}, true
	case len(s) == 7 && strings.HasPrefix(s, "Shift-") && s[6] >= '0' && s[6] <= '9':
		// K9s's Shift-digit keys are the US layout's symbols (internal/ui/key.go).
		return keyBinding{false, rune(")!@#$%^&*("[s[6]-'0'])}, true
	}
	return keyBinding{}, false
}

// ParsePlugins reads one plugins file in any of the three shapes K9s
// accepts: "plugins: {name: plugin}", a bare map of plugins, or a single
// plugin named after its file. It returns the overriding plugins.
func ParsePlugins(path string, b []byte) ([]Override, error) {
	var wrapped struct {
		Plugins map[string]pluginSpec `yaml:"plugins"`
	}
	specs := map[string]pluginSpec{}
	if err := yaml.Unmarshal(b, &wrapped); err == nil && wrapped.Plugins != nil {
		specs = wrapped.Plugins
	} else {
		var single pluginSpec
		if err := yaml.Unmarshal(b, &single); err == nil && single.ShortCut != "" {
			specs[strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))] = single
		} else if err := yaml.Unmarshal(b, &specs); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	var out []Override
	for name, p := range specs {
		if !p.Override {
			continue // K9s keeps its own key and ignores the plugin's
		}
		kb, ok := parseShortCut(p.ShortCut)
		if !ok {
			continue
		}
		o := Override{Name: name, key: kb}
		for _, s := range p.Scopes {
			if strings.EqualFold(s, "all") {
				o.scopes = append(o.scopes, "all")
				continue
			}
			o.scopes = append(o.scopes, CanonicalResource(s))
		}
		out = append(out, o)
	}
	return out, nil
}

var unsafePath = regexp.MustCompile(`[:/]+`)

// PluginFiles lists the plugin files K9s v0.50.16 reads for a context, in
// its order: the global plugins.yaml ($K9S_CONFIG_DIR, else
// $XDG_CONFIG_HOME/k9s), the context's own
// ($XDG_DATA_HOME/k9s/clusters/<cluster>/<context>/plugins.yaml), then
// every YAML file under k9s/plugins in the XDG data and config folders.
func PluginFiles(getenv func(string) string, cluster, context string) []string {
	cfg := getenv("K9S_CONFIG_DIR")
	if cfg == "" {
		cfg = filepath.Join(xdg.ConfigHome(getenv), "k9s")
	}
	files := []string{filepath.Join(cfg, "plugins.yaml")}
	data := xdg.DataHome(getenv)
	if cluster != "" && context != "" {
		files = append(files, filepath.Join(data, "k9s", "clusters",
			unsafePath.ReplaceAllString(cluster, "-"), unsafePath.ReplaceAllString(context, "-"), "plugins.yaml"))
	}
	dirs := filepath.SplitList(getenv("XDG_DATA_DIRS"))
	if len(dirs) == 0 {
		dirs = []string{"/usr/local/share", "/usr/share"}
	}
	for _, d := range append(dirs, data, xdg.ConfigHome(getenv)) {
		matches, _ := filepath.Glob(filepath.Join(d, "k9s", "plugins", "*.y*ml"))
		files = append(files, matches...)
	}
	return files
}

// LoadOverrides reads the overriding plugins of every file in files; a
// file that does not exist is skipped, one that cannot be read or parsed
// is reported (K9s skips it too, so its keys stay K9s's).
func LoadOverrides(files []string) ([]Override, error) {
	var out []Override
	var errs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		oo, err := ParsePlugins(f, b)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out = append(out, oo...)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("read K9s plugins: %s", strings.Join(errs, "; "))
	}
	return out, nil
}
