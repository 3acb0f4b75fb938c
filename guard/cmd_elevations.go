package guard

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
)

func (a *App) elevationsCommand() *cobra.Command {
	var kubeconfig, kctx string
	var all bool
	c := &cobra.Command{
		Use:   "elevations",
		Short: "List who is elevated where right now (broker mode)",
		Long: `Lists the broker's live grants in a cluster: who, what, and until when.
It reads the ElevationRequests with your own (everyday) credentials; --all
adds requests that were denied and are not tidied away yet.`,
		Example: `  k9s-guard elevations --context prod
  k9s-guard elevations --context prod --all`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			rules := clientcmd.NewDefaultClientConfigLoadingRules()
			if kubeconfig != "" {
				rules.ExplicitPath = kubeconfig
			}
			rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kctx}).ClientConfig()
			if err != nil {
				return fmt.Errorf("context %q: %w", kctx, err)
			}
			dyn, err := dynamic.NewForConfig(rc)
			if err != nil {
				return fmt.Errorf("client: %w", err)
			}
			list, err := dyn.Resource(v1alpha1.ElevationRequests).List(cmd.Context(), metav1.ListOptions{})
			if err != nil {
				return fmt.Errorf("list elevation requests: %w", err)
			}
			now := a.Now()
			tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tOPERATION\tWHAT\tPHASE\tLEFT\tREQUEST")
			n := 0
			for i := range list.Items {
				var r v1alpha1.ElevationRequest
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(list.Items[i].Object, &r); err != nil {
					return fmt.Errorf("request %s: %w", list.Items[i].GetName(), err)
				}
				if r.Status.Phase != v1alpha1.PhaseGranted && !all {
					continue
				}
				left := "-"
				if r.Status.ExpiresAt != nil {
					left = max(r.Status.ExpiresAt.Sub(now), 0).Round(time.Second).String()
				}
				phase := string(r.Status.Phase)
				if phase == "" {
					phase = "Pending"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Spec.User, r.Spec.Operation, what(r.Spec.Rules), phase, left, r.Name)
				n++
			}
			if n == 0 {
				fmt.Fprintln(a.Stdout, "nobody is elevated right now")
				return nil
			}
			return tw.Flush()
		},
	}
	c.SetFlagErrorFunc(flagUsageError)
	c.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig (default $KUBECONFIG, else ~/.kube/config)")
	c.Flags().StringVar(&kctx, "context", "", "kubeconfig context (default: the current one)")
	c.Flags().BoolVar(&all, "all", false, "include pending and denied requests")
	return c
}

// what is a request's rules in kubectl's words: verbs resource/name -n ns.
func what(rules []v1alpha1.ElevationRule) string {
	parts := make([]string, 0, len(rules))
	for _, r := range rules {
		res := r.Resource
		if r.APIGroup != "" {
			res += "." + r.APIGroup
		}
		if len(r.Names) > 0 {
			res += "/" + strings.Join(r.Names, ",")
		}
		s := strings.Join(r.Verbs, ",") + " " + res
		if r.Namespace != "" {
			s += " -n " + r.Namespace
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
