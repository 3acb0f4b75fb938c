package kube

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// BrokerAsk is one step-up asked of the in-cluster broker (the broker:
// elevation source): the operation's rules, the window, and the code the
// user typed. The code goes to the broker only; nothing checks it here.
type BrokerAsk struct {
	Operation string
	Rules     []v1alpha1.ElevationRule
	Window    time.Duration
	Reason    string
	Code      string
}

// BrokerVerdict is the broker's answer. Request names the ElevationRequest,
// for the local audit record (so local and cluster records join) and for
// RevokeElevation when the window closes.
type BrokerVerdict struct {
	Request   string
	Phase     v1alpha1.Phase
	Reason    string // WrongCode, Replayed, LockedOut, NotEnrolled, NotAllowed...
	Message   string
	ExpiresAt time.Time
}

// Granted reports whether the grant is live.
func (v BrokerVerdict) Granted() bool { return v.Phase == v1alpha1.PhaseGranted }

// brokerDecisionTimeout bounds the wait for the broker: a broker that is
// not running must not hang the prompt.
const brokerDecisionTimeout = 15 * time.Second

// RequestElevation creates an ElevationRequest with the user's own (base)
// credentials rc and waits for the broker's verdict. When it returns a
// granted verdict, the API server already allows the rules to the user
// (the broker confirmed it with a SubjectAccessReview), so the held request
// can go out with the same base credentials.
func RequestElevation(ctx context.Context, rc *rest.Config, ask BrokerAsk) (BrokerVerdict, error) {
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return BrokerVerdict{}, fmt.Errorf("broker client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return BrokerVerdict{}, fmt.Errorf("broker client: %w", err)
	}
	// Admission requires the request to name its creator exactly, and lets
	// it list only the creator's own groups (the policy may match on them).
	who, err := kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return BrokerVerdict{}, fmt.Errorf("who am I: %w", err)
	}
	req := &v1alpha1.ElevationRequest{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "ElevationRequest"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: "k9s-guard-"},
		Spec: v1alpha1.ElevationRequestSpec{
			User: who.Status.UserInfo.Username, Groups: who.Status.UserInfo.Groups,
			Operation: ask.Operation, Rules: ask.Rules, Duration: metav1.Duration{Duration: ask.Window},
			Reason: ask.Reason, Code: ask.Code,
		},
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(req)
	if err != nil {
		return BrokerVerdict{}, fmt.Errorf("encode elevation request: %w", err)
	}
	res := dyn.Resource(v1alpha1.ElevationRequests)
	created, err := res.Create(ctx, &unstructured.Unstructured{Object: m}, metav1.CreateOptions{})
	if err != nil {
		return BrokerVerdict{}, fmt.Errorf("create elevation request: %w", err)
	}
	name := created.GetName()
	ctx, cancel := context.WithTimeout(ctx, brokerDecisionTimeout)
	defer cancel()
	v, err := waitVerdict(ctx, res, created)
	if err != nil {
		// Fail closed: a request left behind might still be granted later.
		_ = res.Delete(context.WithoutCancel(ctx), name, metav1.DeleteOptions{}) //nolint:errcheck // best effort; the broker expires it anyway
		return BrokerVerdict{Request: name}, fmt.Errorf("elevation request %s: %w", name, err)
	}
	return v, nil
}

func verdictOf(u *unstructured.Unstructured) (BrokerVerdict, error) {
	var r v1alpha1.ElevationRequest
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
		return BrokerVerdict{}, fmt.Errorf("decode elevation request: %w", err)
	}
	v := BrokerVerdict{Request: r.Name, Phase: r.Status.Phase, Reason: r.Status.Reason, Message: r.Status.Message}
	if r.Status.ExpiresAt != nil {
		v.ExpiresAt = r.Status.ExpiresAt.Time
	}
	return v, nil
}

// waitVerdict watches the one request from the version the create
// returned until the broker has written a phase.
func waitVerdict(ctx context.Context, res dynamic.NamespaceableResourceInterface, created *unstructured.Unstructured) (BrokerVerdict, error) {
	rv := created.GetResourceVersion()
	for {
		w, err := res.Watch(ctx, metav1.ListOptions{
			FieldSelector:   fields.OneTermEqualSelector("metadata.name", created.GetName()).String(),
			ResourceVersion: rv,
		})
		if err != nil {
			return BrokerVerdict{}, fmt.Errorf("watch: %w", err)
		}
		v, next, err := readVerdict(ctx, w)
		w.Stop()
		if err != nil || v.Phase != "" {
			return v, err
		}
		if next != "" {
			rv = next
		}
	}
}

func readVerdict(ctx context.Context, w watch.Interface) (BrokerVerdict, string, error) {
	rv := ""
	for {
		select {
		case <-ctx.Done():
			return BrokerVerdict{}, rv, fmt.Errorf("no answer from the broker (is it running?): %w", ctx.Err())
		case ev, ok := <-w.ResultChan():
			if !ok {
				return BrokerVerdict{}, rv, nil // the watch ended; start another
			}
			switch ev.Type {
			case watch.Deleted:
				return BrokerVerdict{}, rv, errors.New("deleted before the broker answered")
			case watch.Error:
				return BrokerVerdict{}, "", fmt.Errorf("watch: %v", ev.Object)
			case watch.Added, watch.Modified:
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					continue
				}
				rv = u.GetResourceVersion()
				v, err := verdictOf(u)
				if err != nil || v.Phase != "" {
					return v, rv, err
				}
			}
		}
	}
}

// RevokeElevation ends a grant early: the broker (and garbage collection)
// remove the Role and binding with the request. Closing a window — time,
// Ctrl-], scope done, exit — calls it.
func RevokeElevation(ctx context.Context, rc *rest.Config, request string) error {
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("broker client: %w", err)
	}
	err = dyn.Resource(v1alpha1.ElevationRequests).Delete(ctx, request, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("revoke elevation request %s: %w", request, err)
	}
	return nil
}

// brokerGrants ties a local window to the ElevationRequest behind it, so
// that closing the window deletes the request.
type brokerGrants struct {
	once sync.Once
	mu   sync.Mutex
	reqs map[string]brokeredGrant // by grant ID
}

type brokeredGrant struct {
	context, request string
}

// brokerRevokeTimeout bounds the delete when a window closes; the broker
// expires the grant on its own at its deadline in any case.
const brokerRevokeTimeout = 5 * time.Second

// BrokerStepUp asks the broker of a context for a grant, with the
// context's own credentials.
func (g *Gateway) BrokerStepUp(ctx context.Context, contextName string, ask BrokerAsk) (BrokerVerdict, error) {
	own, err := g.ownConfig(contextName)
	if err != nil {
		return BrokerVerdict{}, err
	}
	return RequestElevation(ctx, own, ask)
}

// BindBrokerGrant makes the window grantID end the broker's grant request
// when it closes, for any reason (time, Ctrl-], scope done, exit).
func (g *Gateway) BindBrokerGrant(grantID, contextName, request string) {
	b := &g.brokered
	b.once.Do(func() { g.windows.OnClose(g.revokeBrokered) })
	b.mu.Lock()
	if b.reqs == nil {
		b.reqs = map[string]brokeredGrant{}
	}
	b.reqs[grantID] = brokeredGrant{context: contextName, request: request}
	b.mu.Unlock()
	if _, open := g.windows.Lookup(grantID); !open {
		// Closed before it was bound: the callback may have missed it.
		g.revokeBrokered(stepup.Grant{ID: grantID}, stepup.CloseExit)
	}
}

func (g *Gateway) revokeBrokered(grant stepup.Grant, _ stepup.CloseReason) {
	b := &g.brokered
	b.mu.Lock()
	bg, ok := b.reqs[grant.ID]
	delete(b.reqs, grant.ID)
	b.mu.Unlock()
	if !ok {
		return
	}
	if err := g.BrokerRevoke(bg.context, bg.request); err != nil {
		g.logf("gateway: %v", err)
	}
}

// BrokerRevoke deletes a broker grant request with the context's own
// credentials.
func (g *Gateway) BrokerRevoke(contextName, request string) error {
	own, err := g.ownConfig(contextName)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), brokerRevokeTimeout)
	defer cancel()
	return RevokeElevation(ctx, own, request)
}

// EnrolWithBroker hands a new TOTP secret to the broker once, with the
// user's own credentials rc: an OTPEnrollment carrying the secret, a code
// from the app (proof the phone holds it) and the admin's invite. The
// broker moves the secret into its namespace and blanks it in the
// enrolment; this deletes the enrolment once answered, so the secret stays
// nowhere but the broker's Secret and the phone.
func EnrolWithBroker(ctx context.Context, rc *rest.Config, secret, code, invite string) error {
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("broker client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("broker client: %w", err)
	}
	who, err := kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("who am I: %w", err)
	}
	res := dyn.Resource(v1alpha1.OTPEnrollments)
	created, err := res.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.SchemeGroupVersion.String(), "kind": "OTPEnrollment",
		"metadata": map[string]any{"generateName": "k9s-guard-"},
		"spec":     map[string]any{"user": who.Status.UserInfo.Username, "secret": secret, "code": code, "invite": invite},
	}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create enrolment: %w", err)
	}
	name := created.GetName()
	defer res.Delete(context.WithoutCancel(ctx), name, metav1.DeleteOptions{}) //nolint:errcheck // the broker tidies answered enrolments too
	ctx, cancel := context.WithTimeout(ctx, brokerDecisionTimeout)
	defer cancel()
	for {
		got, err := res.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("enrolment %s: %w", name, err)
		}
		phase, _, _ := unstructured.NestedString(got.Object, "status", "phase")
		msg, _, _ := unstructured.NestedString(got.Object, "status", "message")
		switch phase {
		case "Enrolled":
			return nil
		case "":
		default:
			return fmt.Errorf("the broker refused the enrolment: %s", msg)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no answer from the broker (is it running?): %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
