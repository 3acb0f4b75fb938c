package keys

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/k9s-guard/k9s-guard/internal/xdg"
)

// Hotkey is a key of the user's hotkeys.yaml: in any view it runs a K9s
// command (":pods @prod"), which may switch context with no ':' typed and,
// with the header hidden, nothing on screen to say so.
type Hotkey struct {
	key      keyBinding
	command  string
	override bool // taken even where the view binds the key
}

// ParseHotkeys reads one hotkeys.yaml as K9s v0.50.16 does
// (internal/config/hotkey.go: "hotKeys: {name: {shortCut, command}}").
func ParseHotkeys(path string, b []byte) ([]Hotkey, error) {
	var f struct {
		HotKeys map[string]struct {
			ShortCut string `yaml:"shortCut"`
			Override bool   `yaml:"override"`
			Command  string `yaml:"command"`
		} `yaml:"hotKeys"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Hotkey
	for _, h := range f.HotKeys {
		if kb, ok := parseShortCut(h.ShortCut); ok && strings.TrimSpace(h.Command) != "" {
			out = append(out, Hotkey{key: kb, command: h.Command, override: h.Override})
		}
	}
	return out, nil
}

// HotkeyFiles lists the hotkey files K9s reads for a context: the global
// hotkeys.yaml, then the context's own.
func HotkeyFiles(getenv func(string) string, cluster, context string) []string {
	cfg := getenv("K9S_CONFIG_DIR")
	if cfg == "" {
		cfg = filepath.Join(xdg.ConfigHome(getenv), "k9s")
	}
	files := []string{filepath.Join(cfg, "hotkeys.yaml")}
	if cluster != "" && context != "" {
		files = append(files, filepath.Join(xdg.DataHome(getenv), "k9s", "clusters",
			unsafePath.ReplaceAllString(cluster, "-"), unsafePath.ReplaceAllString(context, "-"), "hotkeys.yaml"))
	}
	return files
}

// LoadHotkeys reads every hotkey file that exists.
func LoadHotkeys(files []string) ([]Hotkey, error) {
	var out []Hotkey
	var errs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err == nil {
			var hh []Hotkey
			if hh, err = ParseHotkeys(f, b); err == nil {
				out = append(out, hh...)
				continue
			}
		}
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("read K9s hotkeys: %s", strings.Join(errs, "; "))
	}
	return out, nil
}
