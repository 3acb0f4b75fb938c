package guard

import (
	"strings"
)

// launchArgs is the command line of a K9s session: k9s-guard's own few
// flags taken out, everything else kept verbatim for K9s.
type launchArgs struct {
	Profile string   // --profile FILE
	K9s     string   // --k9s PATH
	K9sArgs []string // passed to K9s unchanged (except --kubeconfig, see Kubeconfig)

	// Values of K9s flags k9s-guard must know about; they stay in K9sArgs.
	Context    string
	Kubeconfig string
	Namespace  string
}

func parseLaunchArgs(args []string) (launchArgs, error) {
	var la launchArgs
	own := map[string]*string{"--profile": &la.Profile, "--k9s": &la.K9s}
	peek := map[string]*string{"--context": &la.Context, "--kubeconfig": &la.Kubeconfig, "--namespace": &la.Namespace, "-n": &la.Namespace}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			la.K9sArgs = append(la.K9sArgs, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(a, "=")
		if dst, ok := own[name]; ok {
			if !hasValue {
				if i+1 >= len(args) {
					return la, usageError("flag %s needs a value", name)
				}
				i++
				value = args[i]
			}
			if value == "" {
				return la, usageError("flag %s needs a value", name)
			}
			*dst = value
			continue
		}
		la.K9sArgs = append(la.K9sArgs, a)
		if dst, ok := peek[name]; ok {
			if hasValue {
				*dst = value
			} else if i+1 < len(args) {
				*dst = args[i+1]
			}
		}
	}
	return la, nil
}
