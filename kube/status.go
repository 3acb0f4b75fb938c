package kube

import (
	"encoding/json"
	"errors"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The gateway answers in the API server's own language, a metav1.Status,
// so that K9s and kubectl show the message as they would any API error.

func statusError(code int32, reason metav1.StatusReason, msg string) *apierrors.StatusError {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: code, Reason: reason, Message: msg,
	}}
}

func unauthorized() *apierrors.StatusError {
	return statusError(http.StatusUnauthorized, metav1.StatusReasonUnauthorized,
		"k9s-guard: missing or wrong session token (this gateway only serves the session kubeconfig it wrote)")
}

func notFound(msg string) *apierrors.StatusError {
	return statusError(http.StatusNotFound, metav1.StatusReasonNotFound, msg)
}

func badRequest(msg string) *apierrors.StatusError {
	return statusError(http.StatusBadRequest, metav1.StatusReasonBadRequest, "k9s-guard: "+msg)
}

func unavailable(msg string) *apierrors.StatusError {
	return statusError(http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, msg)
}

// forbidden is the refusal of a request that needed a step-up, with the
// details K9s and kubectl show (group, kind, name).
func forbidden(op Operation, msg string) *apierrors.StatusError {
	st := statusError(http.StatusForbidden, metav1.StatusReasonForbidden, msg)
	if !op.NonResource {
		st.ErrStatus.Details = &metav1.StatusDetails{Name: op.Name, Group: op.Group, Kind: op.Resource}
	}
	return st
}

// writeStatus writes err as a JSON metav1.Status with its code.
func writeStatus(w http.ResponseWriter, err error) {
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		se = statusError(http.StatusInternalServerError, metav1.StatusReasonInternalError, "k9s-guard: "+err.Error())
	}
	st := se.ErrStatus
	st.Kind, st.APIVersion = "Status", "v1"
	b, _ := json.Marshal(st)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(int(st.Code))
	_, _ = w.Write(b)
}
