package kube

import (
	"context"
	"fmt"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// triggerCheckTimeout bounds the read of the CronJob a trigger names.
const triggerCheckTimeout = 10 * time.Second

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
	ctx, cancel := context.WithTimeout(ctx, triggerCheckTimeout)
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
