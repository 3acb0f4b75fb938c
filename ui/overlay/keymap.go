package overlay

import "charm.land/bubbles/v2/key"

// RelockKey is the byte that closes every open elevation window at once
// (Ctrl-], 0x1d). K9s has no built-in binding for it (k9s-notes.md lists
// the control keys K9s uses: Ctrl-D, Ctrl-K, Ctrl-L and the navigation
// ones), tcell reports it as its own key, and it is telnet's traditional
// "escape to the supervisor" key, so users rarely need it inside K9s. A
// plugins.yaml or hotkeys.yaml shortcut "Ctrl-]" would be shadowed; that is
// documented rather than detected. In a shell that K9s spawned it is bash's
// rarely used character search; the guard takes it there too, so re-locking
// works everywhere.
const RelockKey byte = 0x1d

// RelockKeyName is RelockKey as shown to the user.
const RelockKeyName = "Ctrl-]"

// Keys is the overlay's key map. Digits, Backspace and the typed
// name are not bindings: they are text entry.
type Keys struct {
	Submit    key.Binding
	Cancel    key.Binding
	NextField key.Binding
	Erase     key.Binding
	Clear     key.Binding
}

// DefaultKeys returns the overlay's default keys.
func DefaultKeys() Keys {
	return Keys{
		Submit:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "verify")),
		Cancel:    key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "cancel")),
		NextField: key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "next field")),
		Erase:     key.NewBinding(key.WithKeys("backspace", "ctrl+h"), key.WithHelp("⌫", "erase")),
		Clear:     key.NewBinding(key.WithKeys("ctrl+u", "ctrl+w"), key.WithHelp("ctrl+u", "clear")),
	}
}
