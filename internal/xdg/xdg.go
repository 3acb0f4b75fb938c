// Package xdg finds the XDG base directories k9s-guard keeps its files in.
//
// It is not github.com/adrg/xdg on purpose: that library reads the
// environment once into package variables, while every caller here passes
// getenv so that tests run against a made-up environment; and on macOS it
// answers ~/Library/Application Support, while k9s-guard uses ~/.config,
// ~/.local/state and ~/.local/share on every OS (the Homebrew cask's zap
// stanza and the release tests name those paths).
package xdg

import "path/filepath"

// ConfigHome is $XDG_CONFIG_HOME, else $HOME/.config.
func ConfigHome(getenv func(string) string) string {
	return base(getenv, "XDG_CONFIG_HOME", ".config")
}

// StateHome is $XDG_STATE_HOME, else $HOME/.local/state.
func StateHome(getenv func(string) string) string {
	return base(getenv, "XDG_STATE_HOME", filepath.Join(".local", "state"))
}

// DataHome is $XDG_DATA_HOME, else $HOME/.local/share.
func DataHome(getenv func(string) string) string {
	return base(getenv, "XDG_DATA_HOME", filepath.Join(".local", "share"))
}

// RuntimeDir is $XDG_RUNTIME_DIR, or "" when it is not set to an absolute
// path: the specification gives it no default, and callers choose a
// private fallback of their own.
func RuntimeDir(getenv func(string) string) string {
	if d := getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return d
	}
	return ""
}

// base returns the directory env names when it is absolute: the
// specification says a relative value is invalid and must be ignored. Else
// it is fallback under HOME, or "" when HOME is not absolute either, so
// that no caller ends up writing under whatever the working directory is.
func base(getenv func(string) string, env, fallback string) string {
	if d := getenv(env); filepath.IsAbs(d) {
		return d
	}
	if h := getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, fallback)
	}
	return ""
}
