package broker

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
	"github.com/k9s-guard/k9s-guard/stepup/otp"
)

// Enrolment outcomes, in an OTPEnrollment's status.
const (
	EnrolmentEnrolled = "Enrolled"
	EnrolmentDenied   = "Denied"
)

// handleEnrolment moves a new secret into the broker's namespace. The
// claim blanks the secret and the code in the stored enrolment (an Update
// with the informer's resourceVersion, so one replica does it); a first
// enrolment needs the user's invite, or a policy with open enrolment (then
// an Event announces it). An enrolled user cannot enrol again — a stolen
// token cannot enrol its own phone — until an admin resets them.
func (b *Broker) handleEnrolment(ctx context.Context, name string) error {
	o, ok, err := b.enrols.GetStore().GetByKey(name)
	if err != nil || !ok {
		return err
	}
	u, _ := o.(*unstructured.Unstructured)
	if u == nil {
		return nil
	}
	e, err := fromUnstructured[v1alpha1.OTPEnrollment](u)
	if err != nil {
		return err
	}
	if e.Status.Phase != "" || e.Annotations[v1alpha1.AnnotationClaimedBy] != "" {
		return nil
	}
	spec := e.Spec
	claim := e.DeepCopy()
	if claim.Annotations == nil {
		claim.Annotations = map[string]string{}
	}
	claim.Annotations[v1alpha1.AnnotationClaimedBy] = b.cfg.Identity
	claim.Spec.Secret, claim.Spec.Code, claim.Spec.Invite = "", "", ""
	cu, err := toUnstructured("OTPEnrollment", claim)
	if err != nil {
		return err
	}
	res := b.dyn.Resource(v1alpha1.OTPEnrollments)
	upd, err := res.Update(ctx, cu, metav1.UpdateOptions{})
	switch {
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("claim enrolment %s: %w", name, err)
	}
	phase, msg, err := b.enrol(ctx, &spec, claim)
	if err != nil {
		phase, msg = EnrolmentDenied, "enrolment failed: "+err.Error()
	}
	upd.Object["status"] = map[string]any{"phase": phase, "message": msg}
	if _, err := res.UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("write enrolment status: %w", err)
	}
	b.metrics.enrolments.WithLabelValues(phase).Inc()
	b.cfg.Logf("broker %s: enrolment %s of %s: %s", b.cfg.Identity, name, spec.User, phase)
	return nil
}

func (b *Broker) enrol(ctx context.Context, spec *v1alpha1.OTPEnrollmentSpec, e *v1alpha1.OTPEnrollment) (phase, msg string, err error) {
	secret, err := otp.NormaliseSecret(spec.Secret)
	if err != nil || len(secret) < 16 {
		return EnrolmentDenied, "the secret is not a base32 TOTP secret of at least 80 bits", nil
	}
	if ok, err := otp.CheckCode(secret, spec.Code, b.cfg.Now()); err != nil || !ok {
		return EnrolmentDenied, "the code does not match the secret; scan the QR code again", nil
	}
	secrets := b.kube.CoreV1().Secrets(b.cfg.Namespace)
	if _, err := secrets.Get(ctx, OTPSecretName(spec.User), metav1.GetOptions{}); err == nil {
		return EnrolmentDenied, spec.User + " is already enrolled; an admin must reset the enrolment first (k9s-guard broker reset)", nil
	} else if !apierrors.IsNotFound(err) {
		return "", "", fmt.Errorf("look up enrolment: %w", err)
	}
	open := b.openEnrolment(spec.User)
	invite, err := secrets.Get(ctx, InviteSecretName(spec.User), metav1.GetOptions{})
	switch {
	case err == nil && validInvite(invite, spec.User, spec.Invite, b.cfg.Now()):
	case open:
		b.recorder.Eventf(e, corev1.EventTypeWarning, "OpenEnrollment", "%s enrolled a phone without an invite (open enrolment)", spec.User)
	case err != nil && !apierrors.IsNotFound(err):
		return "", "", fmt.Errorf("look up invite: %w", err)
	default:
		return EnrolmentDenied, "a first enrolment needs a valid invite from an admin (k9s-guard broker invite)", nil
	}
	// Create fails if another enrolment won a race: one phone per user.
	if _, err := secrets.Create(ctx, newOTPSecret(b.cfg.Namespace, spec.User, secret), metav1.CreateOptions{}); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return EnrolmentDenied, spec.User + " is already enrolled", nil
		}
		return "", "", fmt.Errorf("store secret: %w", err)
	}
	if invite != nil && invite.Name != "" {
		uid := invite.UID
		_ = secrets.Delete(ctx, invite.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}) //nolint:errcheck // a used invite cannot enrol twice anyway
	}
	b.recorder.Eventf(e, corev1.EventTypeNormal, "Enrolled", "%s enrolled a passcode", spec.User)
	return EnrolmentEnrolled, "enrolled; the secret is now only in the broker's namespace and your app", nil
}

func (b *Broker) openEnrolment(user string) bool {
	for _, o := range b.policies.GetStore().List() {
		u, _ := o.(*unstructured.Unstructured)
		if u == nil {
			continue
		}
		p, err := fromUnstructured[v1alpha1.ElevationPolicy](u)
		if err == nil && p.Spec.OpenEnrollment && subjectMatches(p.Spec.Subjects, user, nil) {
			return true
		}
	}
	return false
}

func validInvite(s *corev1.Secret, user, token string, now time.Time) bool {
	if s.Type != secretTypeInvite || string(s.Data[keyUser]) != user || token == "" {
		return false
	}
	if exp, err := time.Parse(time.RFC3339, s.Annotations[annInviteExpires]); err != nil || !now.Before(exp) {
		return false
	}
	return subtle.ConstantTimeCompare(s.Data[keyInvite], []byte(token)) == 1
}

// CreateInvite lets user enrol a first phone within ttl; it returns the
// one-time token to hand to the user. The caller needs the rights of an
// admin of the broker's namespace.
func CreateInvite(ctx context.Context, kube kubernetes.Interface, ns, user string, ttl time.Duration, now time.Time) (string, error) {
	if user == "" {
		return "", errors.New("invite: no user")
	}
	raw := make([]byte, 20)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("invite: %w", err)
	}
	token := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: InviteSecretName(user), Namespace: ns,
			Labels:      map[string]string{labelManagedBy: managedBy, v1alpha1.LabelUser: userHash(user)},
			Annotations: map[string]string{annInviteExpires: now.Add(ttl).UTC().Format(time.RFC3339)},
		},
		Type: secretTypeInvite,
		Data: map[string][]byte{keyUser: []byte(user), keyInvite: []byte(token)},
	}
	secrets := kube.CoreV1().Secrets(ns)
	if _, err := secrets.Create(ctx, s, metav1.CreateOptions{}); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("create invite for %s: %w", user, err)
		}
		// A new invite replaces an unused one.
		if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			return "", fmt.Errorf("replace invite for %s: %w", user, err)
		}
	}
	return token, nil
}

// ResetUser removes user's enrolled secret (with its replay and lockout
// record), so that a new invite can enrol a new phone.
func ResetUser(ctx context.Context, kube kubernetes.Interface, ns, user string) error {
	err := kube.CoreV1().Secrets(ns).Delete(ctx, OTPSecretName(user), metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reset %s: %w", user, err)
	}
	return nil
}
