package kube

import (
	"context"
	"fmt"
	"net/http"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Some actions can only be told apart from the live object: a trigger is a
// Job built from a CronJob's template, and K9s suspends a CronJob by PUTting
// the whole object back with spec.suspend flipped. The checks here read
// that object with the user's own credentials; whatever they cannot
// confirm stays the wider action (create, edit), which a narrow grant does
// not cover: fail closed.

// liveCheckTimeout bounds the read of the live object.
const liveCheckTimeout = 10 * time.Second

// checkTrigger makes sure a Job classified as a trigger is one: owned by the
// CronJob it names (same UID) and built from that CronJob's job template
// (same spec), read with the user's own credentials. Otherwise anyone could
// write "owned by CronJob nightly" on a Job with any image and any volume
// and ride a grant for triggering nightly (issue 13). A Job that fails the
// check, or whose CronJob cannot be read, is a plain create.
func (g *Gateway) checkTrigger(ctx context.Context, route *ctxRoute, op *Operation) {
	if why := g.triggerMismatch(ctx, route, op); why != "" {
		g.logf("gateway: %s: not a trigger: %s", op, why)
		op.Action, op.Content, op.job = "create", "", nil
	}
}

func (g *Gateway) triggerMismatch(ctx context.Context, route *ctxRoute, op *Operation) string {
	if op.job == nil {
		return "no Job in the body"
	}
	owner := cronJobOwner(op.job.ObjectMeta)
	if owner == nil {
		return "no controlling CronJob"
	}
	cs, err := g.BaseClient(route.context)
	if err != nil {
		return fmt.Sprintf("read CronJob %s: %v", owner.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, liveCheckTimeout)
	defer cancel()
	cj, err := cs.BatchV1().CronJobs(op.Namespace).Get(ctx, owner.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Sprintf("read CronJob %s/%s: %v", op.Namespace, owner.Name, err)
	}
	if owner.UID == "" || owner.UID != cj.UID {
		return fmt.Sprintf("owner UID %q is not CronJob %s/%s's", owner.UID, op.Namespace, owner.Name)
	}
	if !apiequality.Semantic.DeepEqual(op.job.Spec, cj.Spec.JobTemplate.Spec) {
		return fmt.Sprintf("the Job's spec is not CronJob %s/%s's job template", op.Namespace, owner.Name)
	}
	return ""
}

// checkSuspendUpdate names a PUT of a CronJob "suspend" when it is what K9s's
// suspend/resume sends: the live object with only spec.suspend changed. Any
// other change (an image, a command, a label) keeps it an edit.
func (g *Gateway) checkSuspendUpdate(ctx context.Context, route *ctxRoute, req *http.Request, op *Operation, body []byte) {
	if op.Verb != "update" || op.Group != "batch" || op.Resource != "cronjobs" || op.Subresource != "" || op.Action != "edit" || len(body) == 0 {
		return
	}
	var sent batchv1.CronJob
	if !decodeBody(req, body, &sent) || sent.Name != op.Name {
		return
	}
	cs, err := g.BaseClient(route.context)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, liveCheckTimeout)
	defer cancel()
	live, err := cs.BatchV1().CronJobs(op.Namespace).Get(ctx, op.Name, metav1.GetOptions{})
	if err != nil {
		g.logf("gateway: %s: cannot read the CronJob to tell a suspend from an edit: %v", op, err)
		return
	}
	if sent.Spec.Suspend == nil || apiequality.Semantic.DeepEqual(sent.Spec.Suspend, live.Spec.Suspend) {
		return // nothing suspended or resumed
	}
	rest := sent.Spec
	rest.Suspend = live.Spec.Suspend
	// The status of a PUT to the object itself is ignored by the API
	// server; everything else must be what is there now.
	if apiequality.Semantic.DeepEqual(rest, live.Spec) && apiequality.Semantic.DeepEqual(sent.ObjectMeta, live.ObjectMeta) {
		op.Action = "suspend"
	}
}

// isEviction reports whether op is the creation of a pod's eviction, as
// kubectl's drain helper (which K9s's node drain runs) sends for each pod.
func isEviction(op Operation) bool {
	return op.Verb == "create" && op.Group == "" && op.Resource == "pods" && op.Subresource == subresourceEvicton &&
		op.Action == "drain" && op.Namespace != "" && op.Name != ""
}

// checkEviction records the node of the pod an eviction evicts, read with
// the user's own credentials, so that a grant for draining that node covers
// it and a grant for draining another does not (issue 12: one code for the
// drain, not one per pod). A pod that cannot be read, or is bound to no
// node, leaves evictNode empty: no drain covers it, and the gateway asks.
func (g *Gateway) checkEviction(ctx context.Context, route *ctxRoute, op *Operation) {
	op.evictNode = ""
	cs, err := g.BaseClient(route.context)
	if err != nil {
		g.logf("gateway: %s: cannot read the pod to tell its node: %v", op, err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, liveCheckTimeout)
	defer cancel()
	pod, err := cs.CoreV1().Pods(op.Namespace).Get(ctx, op.Name, metav1.GetOptions{})
	if err != nil {
		g.logf("gateway: %s: cannot read the pod to tell its node: %v", op, err)
		return
	}
	op.evictNode = pod.Spec.NodeName
}
