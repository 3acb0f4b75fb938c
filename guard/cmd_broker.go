package guard

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/k9s-guard/k9s-guard/broker"
)

// brokerFlags are the flags of `k9s-guard broker` and its admin commands.
type brokerFlags struct {
	kubeconfig    string
	context       string
	namespace     string
	listen        string
	identity      string
	leaseDuration time.Duration
	renewDeadline time.Duration
	retryPeriod   time.Duration
	user          string
	ttl           time.Duration
}

func (a *App) brokerCommand() *cobra.Command {
	var f brokerFlags
	c := &cobra.Command{
		Use:   "broker",
		Short: "Run the in-cluster step-up broker (and invite or reset users)",
		Long: `Runs the controller that checks step-up codes in the cluster and grants a
scoped, expiring Role to the requesting user's own identity. It is meant to
run as the Deployment in deploy/ under its own ServiceAccount (in-cluster
credentials); --kubeconfig runs it elsewhere. See docs/broker.md.

The invite and reset subcommands are for admins of the broker's namespace.`,
		Example: `  k9s-guard broker                                  # in the cluster
  k9s-guard broker invite --user alice@example.com  # prints a one-time invite
  k9s-guard broker reset --user alice@example.com   # forget alice's phone`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			rc, err := brokerConfig(f)
			if err != nil {
				return err
			}
			id := f.identity
			if id == "" {
				id = a.Getenv("POD_NAME")
			}
			if id == "" {
				host, _ := os.Hostname()
				id = fmt.Sprintf("%s-%d", host, os.Getpid())
			}
			b, err := broker.New(rc, broker.Config{
				Namespace: f.namespace, Identity: id, Listen: f.listen,
				LeaseDuration: f.leaseDuration, RenewDeadline: f.renewDeadline, RetryPeriod: f.retryPeriod,
				Now: a.Now,
				Logf: func(format string, args ...any) {
					fmt.Fprintf(a.Stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format(time.RFC3339Nano)}, args...)...)
				},
			})
			if err != nil {
				return err
			}
			return b.Run(cmd.Context())
		},
	}
	c.SetFlagErrorFunc(flagUsageError)
	pf := c.PersistentFlags()
	pf.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig to use instead of the in-cluster ServiceAccount")
	pf.StringVar(&f.context, "context", "", "context of --kubeconfig")
	pf.StringVar(&f.namespace, "namespace", "k9s-guard-broker", "the broker's namespace (secrets, invites, Lease)")
	fl := c.Flags()
	fl.StringVar(&f.listen, "listen", ":8080", `address of /healthz and /metrics ("" for none)`)
	fl.StringVar(&f.identity, "id", "", "this replica's name in the Lease (default $POD_NAME, else host-pid)")
	fl.DurationVar(&f.leaseDuration, "lease-duration", 15*time.Second, "leader-election lease duration")
	fl.DurationVar(&f.renewDeadline, "renew-deadline", 10*time.Second, "leader-election renew deadline")
	fl.DurationVar(&f.retryPeriod, "retry-period", 2*time.Second, "leader-election retry period")

	invite := &cobra.Command{
		Use:   "invite --user NAME",
		Short: "Let a user enrol a first phone: prints a one-time invite",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.user == "" {
				return usageError("broker invite: --user is required")
			}
			kube, err := brokerClient(f)
			if err != nil {
				return err
			}
			token, err := broker.CreateInvite(cmd.Context(), kube, f.namespace, f.user, f.ttl, a.Now())
			if err != nil {
				return err
			}
			// The invite is for the admin to hand over; it is useless once
			// used or after --ttl.
			fmt.Fprintf(a.Stdout, "invite for %s (valid %s): %s\nthe user runs: k9s-guard otp enroll --context CONTEXT --invite %s\n", f.user, f.ttl, token, token)
			return nil
		},
	}
	invite.Flags().StringVar(&f.user, "user", "", "the user name as the API server sees it")
	invite.Flags().DurationVar(&f.ttl, "ttl", 24*time.Hour, "how long the invite is valid")
	reset := &cobra.Command{
		Use:   "reset --user NAME",
		Short: "Forget a user's enrolled phone, so that a new invite can enrol another",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.user == "" {
				return usageError("broker reset: --user is required")
			}
			kube, err := brokerClient(f)
			if err != nil {
				return err
			}
			if err := broker.ResetUser(cmd.Context(), kube, f.namespace, f.user); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "reset %s: no phone is enrolled now; create an invite to enrol a new one\n", f.user)
			return nil
		},
	}
	reset.Flags().StringVar(&f.user, "user", "", "the user name as the API server sees it")
	c.AddCommand(invite, reset)
	return c
}

func brokerConfig(f brokerFlags) (*rest.Config, error) {
	if f.kubeconfig == "" && f.context == "" {
		if rc, err := rest.InClusterConfig(); err == nil {
			return rc, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if f.kubeconfig != "" {
		rules.ExplicitPath = f.kubeconfig
	}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("broker credentials: %w", err)
	}
	return rc, nil
}

func brokerClient(f brokerFlags) (kubernetes.Interface, error) {
	rc, err := brokerConfig(f)
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return kube, nil
}
