package keys

import "strings"

// promptCommand is what a submitted ':' command does to the view and the
// context, as far as the guard can tell from the keys.
type promptCommand struct {
	resource      string // canonical view; "" when unknown
	switchContext bool
	context       string // the new context; "" when unknown
	// ctxPrefix is what was typed of a context name a suggestion then
	// completed: the context is one of those it begins.
	ctxPrefix string
}

// contextCommands open the contexts view, or switch with an argument.
var contextCommands = map[string]bool{"ctx": true, "context": true, "contexts": true}

// parsePromptCommand interprets the text of a submitted ':' prompt
// ("deploy", "pods kube-system @prod", "ctx prod", "xray deploy").
//
// completed holds the indexes of tokens a suggestion (Tab, Right, Ctrl-F)
// may have completed: K9s appends the suggestion, so such a token's real
// text is unknown but starts with what the guard saw. The value is true
// when the token was still empty at that moment ("blind"): then even its
// first character is unknown and it may be "@context". lost means none of
// the text is known. It returns false when the command changes nothing (an
// empty prompt).
//
// Unknown words are kept as the resource: they are CRDs or user aliases.
// A mistyped command leaves K9s where it was; the screen corrects that.
func parsePromptCommand(text string, completed map[int]bool, lost bool) (promptCommand, bool) {
	fields := strings.Fields(text)
	_, firstCompleted := completed[0]
	switch {
	case lost || completed[0]:
		// The whole command is unknown (a recalled history entry may be
		// "ctx prod"), so both view and context are unknown.
		return promptCommand{switchContext: true}, true
	case len(fields) == 0:
		return promptCommand{}, false
	}
	var cmd promptCommand
	switch word := strings.ToLower(fields[0]); {
	case firstCompleted:
		// A completed command word may have become "ctx": with an
		// argument the context may change too.
		cmd.switchContext = len(fields) > 1
	case contextCommands[word]:
		if len(fields) == 1 {
			cmd.resource = ResContexts
			return cmd, true
		}
		// K9s opens the new context's last view, pods unless the user left
		// it elsewhere; the screen names it within a redraw. Pods is
		// predicted meanwhile: its keys are the ones a user presses right
		// after a switch (Ctrl-K), and the reading that prompts.
		cmd.resource = ResPods
		cmd.switchContext = true
		if blind, ok := completed[1]; !ok {
			cmd.context = fields[1]
		} else if !blind {
			cmd.ctxPrefix = fields[1]
		}
		return cmd, true
	default:
		cmd.resource = CanonicalResource(word)
	}
	for i := 1; i < len(fields); i++ {
		if f := fields[i]; strings.HasPrefix(f, "@") {
			cmd.switchContext = true
			cmd.context = f[1:]
			if blind, ok := completed[i]; ok {
				cmd.context = ""
				if !blind {
					cmd.ctxPrefix = f[1:]
				}
			}
		}
	}
	for i, blind := range completed {
		if blind && i > 0 {
			cmd.switchContext, cmd.context = true, ""
		}
	}
	return cmd, true
}
