package broker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
	"github.com/k9s-guard/k9s-guard/stepup/otp"
)

// The enrolled secret of a user is one Secret of the broker's namespace;
// its annotations hold the replay and lockout record, so that the record
// and the secret change together, under one resourceVersion.
const (
	secretTypeOTP      corev1.SecretType = "stepup.k9s-guard.io/otp"
	secretTypeInvite   corev1.SecretType = "stepup.k9s-guard.io/invite"
	keySecret                            = "secret"
	keyUser                              = "user"
	keyInvite                            = "token"
	annLastStep                          = "stepup.k9s-guard.io/last-step"
	annFailures                          = "stepup.k9s-guard.io/failures"
	annLockedUntil                       = "stepup.k9s-guard.io/locked-until"
	annInviteExpires                     = "stepup.k9s-guard.io/expires"
	maxCASAttempts                       = 200
	otpSecretPrefix                      = "otp-"
	inviteSecretPrefix                   = "invite-"
	labelManagedBy                       = "app.kubernetes.io/managed-by"
	managedBy                            = "k9s-guard-broker"
)

// userHash names a user in object names and label values, which allow
// neither every character of a user name nor its length.
func userHash(user string) string {
	sum := sha256.Sum256([]byte(user))
	return hex.EncodeToString(sum[:])[:40]
}

// OTPSecretName is the name of the Secret holding user's enrolled secret.
func OTPSecretName(user string) string { return otpSecretPrefix + userHash(user) }

// InviteSecretName is the name of the Secret holding user's invite.
func InviteSecretName(user string) string { return inviteSecretPrefix + userHash(user) }

// Verdict reasons, written to a denied request's status.
const (
	ReasonWrongCode   = "WrongCode"
	ReasonReplayed    = "Replayed"
	ReasonLockedOut   = "LockedOut"
	ReasonNotEnrolled = "NotEnrolled"
	ReasonNotAllowed  = "NotAllowed"
	ReasonInvalid     = "Invalid"
	ReasonGrantFailed = "GrantFailed"
	ReasonAbandoned   = "Abandoned"
)

// codeVerdict is the result of one verification; it never holds the code.
type codeVerdict struct {
	ok          bool
	reason      string
	message     string
	lockedUntil time.Time
}

type otpRecord struct {
	lastStep    uint64
	failures    int
	lockedUntil time.Time
}

func readRecord(s *corev1.Secret) otpRecord {
	var r otpRecord
	a := s.Annotations
	r.lastStep, _ = strconv.ParseUint(a[annLastStep], 10, 64)
	r.failures, _ = strconv.Atoi(a[annFailures])
	if t, err := time.Parse(time.RFC3339Nano, a[annLockedUntil]); err == nil {
		r.lockedUntil = t
	}
	return r
}

func writeRecord(s *corev1.Secret, r otpRecord) {
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[annLastStep] = strconv.FormatUint(r.lastStep, 10)
	s.Annotations[annFailures] = strconv.Itoa(r.failures)
	if r.lockedUntil.IsZero() {
		delete(s.Annotations, annLockedUntil)
	} else {
		s.Annotations[annLockedUntil] = r.lockedUntil.UTC().Format(time.RFC3339Nano)
	}
}

// verifyCode checks a user's code against the enrolled secret. Every
// change of the record is an Update carrying the resourceVersion that was
// read: when another replica (or another request) wrote in between, the
// API server refuses with a conflict and the check starts again from the
// new record, where the same step is then a replay. So one code is
// accepted once across any number of replicas and parallel requests.
func verifyCode(ctx context.Context, kube kubernetes.Interface, ns, user, code string, now func() time.Time) (codeVerdict, error) {
	secrets := kube.CoreV1().Secrets(ns)
	for range maxCASAttempts {
		s, err := secrets.Get(ctx, OTPSecretName(user), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return codeVerdict{reason: ReasonNotEnrolled, message: "no passcode is enrolled for " + user + " (k9s-guard otp enroll --context ...)"}, nil
		}
		if err != nil {
			return codeVerdict{}, fmt.Errorf("read enrolled secret: %w", err)
		}
		if s.Type != secretTypeOTP || s.Data[keyUser] == nil || string(s.Data[keyUser]) != user {
			// A Secret of the right name that is not ours fails closed.
			return codeVerdict{}, fmt.Errorf("secret %s/%s is not the enrolled secret of %s", ns, s.Name, user)
		}
		rec := readRecord(s)
		t := now()
		if !rec.lockedUntil.IsZero() && t.Before(rec.lockedUntil) {
			return codeVerdict{reason: ReasonLockedOut, message: "too many wrong codes; locked until " + rec.lockedUntil.UTC().Format(time.RFC3339), lockedUntil: rec.lockedUntil}, nil
		}
		step, ok, wellFormed, err := otp.MatchStep(string(s.Data[keySecret]), code, t)
		if err != nil {
			return codeVerdict{}, fmt.Errorf("enrolled secret of %s: %w", user, err)
		}
		var v codeVerdict
		switch {
		case !wellFormed:
			// Not six digits is no guess at the code: no attempt is spent.
			return codeVerdict{reason: ReasonWrongCode, message: "the code must be six digits"}, nil
		case !ok:
			rec.failures++
			if d := otp.LockoutFor(rec.failures); d > 0 {
				rec.lockedUntil = t.Add(d)
				v = codeVerdict{reason: ReasonLockedOut, message: "too many wrong codes; locked for " + d.String(), lockedUntil: rec.lockedUntil}
			} else {
				v = codeVerdict{reason: ReasonWrongCode, message: fmt.Sprintf("wrong code; %d attempts left before a lockout", otp.MaxFailures-rec.failures)}
			}
		case step <= rec.lastStep:
			return codeVerdict{reason: ReasonReplayed, message: "that code was already used; wait for the next one"}, nil
		default:
			rec.lastStep, rec.failures, rec.lockedUntil = step, 0, time.Time{}
			v = codeVerdict{ok: true}
		}
		writeRecord(s, rec)
		if _, err := secrets.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			if apierrors.IsConflict(err) {
				// Spread the retries of many parallel checks a little.
				time.Sleep(time.Duration(rand.IntN(5000)) * time.Microsecond)
				continue
			}
			return codeVerdict{}, fmt.Errorf("record verification: %w", err)
		}
		return v, nil
	}
	return codeVerdict{}, errors.New("record verification: too many concurrent writers")
}

// newOTPSecret is the Secret an enrolment creates.
func newOTPSecret(ns, user, secret string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: OTPSecretName(user), Namespace: ns,
			Labels: map[string]string{labelManagedBy: managedBy, v1alpha1.LabelUser: userHash(user)},
		},
		Type: secretTypeOTP,
		Data: map[string][]byte{keySecret: []byte(secret), keyUser: []byte(user)},
	}
}
