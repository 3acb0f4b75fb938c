// Package blast works out an operation's blast radius for the step-up
// prompt: what a delete, a scale or an exec is about to touch, read with
// the context's base (read-only) credentials. It is given a client and a
// grant scope and knows nothing of the gateway, so the prompt, doctor and
// tests can all ask it.
package blast

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/k9s-guard/k9s-guard/profile"
	"github.com/k9s-guard/k9s-guard/stepup"
)

// maxBlastObjects bounds how many named objects the blast radius looks at.
const maxBlastObjects = 5

// Radius says, for the overlay, what the operation a scope describes will
// touch, found out with cs, the context's base (read) credentials: for a
// delete the objects that go with it (a Deployment's ReplicaSets and Pods, a
// StatefulSet's Pods and claims, a namespace's contents, a claim's volume and
// its reclaim policy, the Pods on a node) and what a server-side dry run
// says; for a scale the replicas now; for exec and attach the container and
// its image. What the base credentials cannot see is reported as unknown.
// ctx bounds it; the caller gives it a short budget.
func Radius(ctx context.Context, cs kubernetes.Interface, s *stepup.GrantScope) string {
	if s == nil || s.Resource == "" {
		return ""
	}
	names := s.Names
	more := 0
	if len(names) > maxBlastObjects {
		names, more = names[:maxBlastObjects], len(names)-maxBlastObjects
	}
	verb := ""
	if len(s.Verbs) == 1 {
		verb = s.Verbs[0]
	}
	var parts []string
	for _, name := range names {
		var text string
		switch {
		case verb == stepup.VerbDelete:
			text = blastDelete(ctx, cs, s.Resource, s.Namespace, name)
		case verb == stepup.VerbUpdate && s.Subresource == "scale":
			text = blastScale(ctx, cs, s.Resource, s.Namespace, name)
		case verb == stepup.VerbConnect && s.Resource == "pods" && (s.Subresource == "exec" || s.Subresource == "attach"):
			text = blastContainers(ctx, cs, s.Namespace, name)
		default:
			text = objectName(s.Resource, s.Namespace, name)
		}
		parts = append(parts, text)
	}
	if len(names) == 0 {
		if verb == stepup.VerbDelete {
			return fmt.Sprintf("every %s the request selects in %s", s.Resource, nsOrCluster(s.Namespace))
		}
		return ""
	}
	out := strings.Join(parts, "; ")
	if more > 0 {
		out += fmt.Sprintf("; and %d more", more)
	}
	return out
}

func nsOrCluster(ns string) string {
	if ns == "" {
		return "the cluster"
	}
	return "namespace " + ns
}

// shortKinds are the overlay's names for kinds whose singular is too long
// for it; every other kind is profile.Singular of its resource.
var shortKinds = map[string]string{"persistentvolumeclaims": "PVC", "persistentvolumes": "PV"}

func objectName(resource, ns, name string) string {
	kind := shortKinds[resource]
	if kind == "" {
		kind = profile.Singular(resource)
	}
	if ns != "" && resource != "namespaces" {
		return kind + " " + ns + "/" + name
	}
	return kind + " " + name
}

// unknownWhy turns a read error into the overlay's wording.
func unknownWhy(err error) string {
	switch {
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return "unknown (the base credentials cannot see it)"
	case apierrors.IsNotFound(err):
		return "not found"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "unknown (no answer in time)"
	}
	return "unknown (" + err.Error() + ")"
}

// count renders "3 Pods", "1 ReplicaSet".
func count(n int, kind string) string {
	if n == 1 {
		return "1 " + kind
	}
	return fmt.Sprintf("%d %ss", n, kind)
}

// dryRunDelete asks the API server what a delete would do, with the base
// credentials. A read-only user is not allowed even the dry run; that says
// nothing about the object, so only other answers are reported.
func dryRunDelete(ctx context.Context, cs kubernetes.Interface, resource, ns, name string) string {
	rc := cs.CoreV1().RESTClient()
	req := rc.Delete().AbsPath("/api", "v1")
	if group := stepup.ResourceGroup(resource); group != "" {
		req = rc.Delete().AbsPath("/apis", group, "v1")
	}
	if ns != "" && resource != "namespaces" {
		req = req.Namespace(ns)
	}
	err := req.Resource(resource).Name(name).Param("dryRun", "All").Do(ctx).Error()
	switch {
	case err == nil:
		return "dry run: would be deleted"
	case apierrors.IsNotFound(err):
		return "dry run: not found"
	case apierrors.IsConflict(err), apierrors.IsInvalid(err):
		return "dry run: " + err.Error()
	}
	return ""
}

func blastDelete(ctx context.Context, cs kubernetes.Interface, resource, ns, name string) string {
	head := objectName(resource, ns, name)
	var detail string
	var err error
	switch resource {
	case "deployments":
		detail, err = blastDeployment(ctx, cs, ns, name)
	case "replicasets", "daemonsets", "jobs":
		detail, err = blastOwnerOfPods(ctx, cs, resource, ns, name)
	case "statefulsets":
		detail, err = blastStatefulSet(ctx, cs, ns, name)
	case "cronjobs":
		detail, err = blastCronJob(ctx, cs, ns, name)
	case "pods":
		detail, err = blastPod(ctx, cs, ns, name)
	case "namespaces":
		detail, err = blastNamespace(ctx, cs, name)
	case "persistentvolumeclaims":
		detail, err = blastPVC(ctx, cs, ns, name)
	case "persistentvolumes":
		detail, err = blastPV(ctx, cs, name)
	case "nodes":
		detail, err = blastNode(ctx, cs, name)
	}
	if err != nil {
		detail = unknownWhy(err)
	}
	if dr := dryRunDelete(ctx, cs, resource, ns, name); dr != "" && !strings.Contains(detail, "not found") {
		if detail != "" {
			detail += "; "
		}
		detail += dr
	}
	if detail == "" {
		return head
	}
	return head + " → " + detail
}

func ownedBy(refs []metav1.OwnerReference, uids []types.UID) bool {
	for _, r := range refs {
		if slices.Contains(uids, r.UID) {
			return true
		}
	}
	return false
}

func podsOwnedBy(ctx context.Context, cs kubernetes.Interface, ns string, uids []types.UID) ([]corev1.Pod, error) {
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range pods.Items {
		if ownedBy(p.OwnerReferences, uids) {
			out = append(out, p)
		}
	}
	return out, nil
}

func blastDeployment(ctx context.Context, cs kubernetes.Interface, ns, name string) (string, error) {
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	rss, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	var uids []types.UID
	for _, rs := range rss.Items {
		if ownedBy(rs.OwnerReferences, []types.UID{d.UID}) {
			uids = append(uids, rs.UID)
		}
	}
	pods, err := podsOwnedBy(ctx, cs, ns, uids)
	if err != nil {
		return count(len(uids), "ReplicaSet") + ", Pods " + unknownWhy(err), nil
	}
	return count(len(uids), "ReplicaSet") + ", " + count(len(pods), "Pod"), nil
}

func blastOwnerOfPods(ctx context.Context, cs kubernetes.Interface, resource, ns, name string) (string, error) {
	var uid types.UID
	switch resource {
	case "replicasets":
		o, err := cs.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		uid = o.UID
	case "daemonsets":
		o, err := cs.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		uid = o.UID
	case "jobs":
		o, err := cs.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		uid = o.UID
	}
	pods, err := podsOwnedBy(ctx, cs, ns, []types.UID{uid})
	if err != nil {
		return "", err
	}
	return count(len(pods), "Pod"), nil
}

func blastStatefulSet(ctx context.Context, cs kubernetes.Interface, ns, name string) (string, error) {
	st, err := cs.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	pods, err := podsOwnedBy(ctx, cs, ns, []types.UID{st.UID})
	if err != nil {
		return "", err
	}
	out := count(len(pods), "Pod")
	if len(st.Spec.VolumeClaimTemplates) == 0 {
		return out, nil
	}
	pvcs, err := cs.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return out + ", PVCs " + unknownWhy(err), nil
	}
	n := 0
	for _, c := range pvcs.Items {
		for _, t := range st.Spec.VolumeClaimTemplates {
			if strings.HasPrefix(c.Name, t.Name+"-"+name+"-") {
				n++
			}
		}
	}
	policy := "kept"
	if p := st.Spec.PersistentVolumeClaimRetentionPolicy; p != nil && p.WhenDeleted == "Delete" {
		policy = "deleted"
	}
	return fmt.Sprintf("%s, %s (%s)", out, count(n, "PVC"), policy), nil
}

func blastCronJob(ctx context.Context, cs kubernetes.Interface, ns, name string) (string, error) {
	cj, err := cs.BatchV1().CronJobs(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	jobs, err := cs.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	var uids []types.UID
	for _, j := range jobs.Items {
		if ownedBy(j.OwnerReferences, []types.UID{cj.UID}) {
			uids = append(uids, j.UID)
		}
	}
	pods, err := podsOwnedBy(ctx, cs, ns, uids)
	if err != nil {
		return count(len(uids), "Job"), nil
	}
	return count(len(uids), "Job") + ", " + count(len(pods), "Pod"), nil
}

func blastPod(ctx context.Context, cs kubernetes.Interface, ns, name string) (string, error) {
	p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	var parts []string
	for _, o := range p.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			parts = append(parts, fmt.Sprintf("owned by %s %s (it will be replaced)", o.Kind, o.Name))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no controller: it will not come back")
	}
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			parts = append(parts, "uses PVC "+v.PersistentVolumeClaim.ClaimName)
		}
	}
	return strings.Join(parts, ", "), nil
}

func blastNamespace(ctx context.Context, cs kubernetes.Interface, name string) (string, error) {
	if _, err := cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{}); err != nil {
		return "", err
	}
	type lister struct {
		kind string
		list func() (int, error)
	}
	lo := metav1.ListOptions{}
	listers := []lister{
		{"Deployment", func() (int, error) {
			l, err := cs.AppsV1().Deployments(name).List(ctx, lo)
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
		{"StatefulSet", func() (int, error) {
			l, err := cs.AppsV1().StatefulSets(name).List(ctx, lo)
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
		{"DaemonSet", func() (int, error) {
			l, err := cs.AppsV1().DaemonSets(name).List(ctx, lo)
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
		{"ReplicaSet", func() (int, error) {
			l, err := cs.AppsV1().ReplicaSets(name).List(ctx, lo)
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
		{"Pod", func() (int, error) {
			l, err := cs.CoreV1().Pods(name).List(ctx, lo)
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
		{"Job", func() (int, error) {
			l, err := cs.BatchV1().Jobs(name).List(ctx, lo)
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
		{"CronJob", func() (int, error) {
			l, err := cs.BatchV1().CronJobs(name).List(ctx, lo)
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
		{"Service", func() (int, error) {
			l, err := cs.CoreV1().Services(name).List(ctx, lo)
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
		{"ConfigMap", func() (int, error) {
			l, err := cs.CoreV1().ConfigMaps(name).List(ctx, lo)
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
		{"Secret", func() (int, error) {
			l, err := cs.CoreV1().Secrets(name).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
		{"PVC", func() (int, error) {
			l, err := cs.CoreV1().PersistentVolumeClaims(name).List(ctx, lo)
			return lenOr(l, err, func() int { return len(l.Items) })
		}},
	}
	total := 0
	var parts, hidden []string
	for _, l := range listers {
		n, err := l.list()
		if err != nil {
			hidden = append(hidden, l.kind+"s")
			continue
		}
		total += n
		if n > 0 {
			parts = append(parts, count(n, l.kind))
		}
	}
	out := fmt.Sprintf("%d objects", total)
	if total == 1 {
		out = "1 object"
	}
	if len(parts) > 0 {
		out += ": " + strings.Join(parts, ", ")
	}
	if len(hidden) > 0 {
		out += "; " + strings.Join(hidden, ", ") + " unknown (the base credentials cannot see them)"
	}
	return out, nil
}

func lenOr[T any](l *T, err error, n func() int) (int, error) {
	if err != nil {
		return 0, err
	}
	return n(), nil
}

func blastPVC(ctx context.Context, cs kubernetes.Interface, ns, name string) (string, error) {
	c, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if c.Spec.VolumeName == "" {
		return "not bound to a volume", nil
	}
	pv, err := cs.CoreV1().PersistentVolumes().Get(ctx, c.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		return "PV " + c.Spec.VolumeName + ", reclaim policy " + unknownWhy(err), nil
	}
	return fmt.Sprintf("PV %s (reclaim %s%s)", pv.Name, pv.Spec.PersistentVolumeReclaimPolicy, reclaimNote(pv.Spec.PersistentVolumeReclaimPolicy)), nil
}

func reclaimNote(p corev1.PersistentVolumeReclaimPolicy) string {
	if p == corev1.PersistentVolumeReclaimDelete {
		return ": the data is deleted with it"
	}
	return ""
}

func blastPV(ctx context.Context, cs kubernetes.Interface, name string) (string, error) {
	pv, err := cs.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	out := fmt.Sprintf("reclaim %s%s", pv.Spec.PersistentVolumeReclaimPolicy, reclaimNote(pv.Spec.PersistentVolumeReclaimPolicy))
	if c := pv.Spec.ClaimRef; c != nil {
		out += fmt.Sprintf(", claimed by %s/%s", c.Namespace, c.Name)
	}
	return out, nil
}

func blastNode(ctx context.Context, cs kubernetes.Interface, name string) (string, error) {
	if _, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); err != nil {
		return "", err
	}
	pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + name})
	if err != nil {
		return "", err
	}
	return count(len(pods.Items), "Pod") + " run there", nil
}

func blastScale(ctx context.Context, cs kubernetes.Interface, resource, ns, name string) string {
	head := objectName(resource, ns, name)
	var replicas int32
	var err error
	switch resource {
	case "deployments":
		dep, e := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		err = e
		if err == nil && dep.Spec.Replicas != nil {
			replicas = *dep.Spec.Replicas
		}
	case "statefulsets":
		st, e := cs.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
		err = e
		if err == nil && st.Spec.Replicas != nil {
			replicas = *st.Spec.Replicas
		}
	case "replicasets":
		rs, e := cs.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
		err = e
		if err == nil && rs.Spec.Replicas != nil {
			replicas = *rs.Spec.Replicas
		}
	default:
		return head + ": replicas unknown → ?"
	}
	if err != nil {
		return head + ": replicas " + unknownWhy(err)
	}
	return fmt.Sprintf("%s: replicas %d → ?", head, replicas)
}

func blastContainers(ctx context.Context, cs kubernetes.Interface, ns, name string) string {
	head := objectName("pods", ns, name)
	p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return head + ": " + unknownWhy(err)
	}
	var cs2 []string
	for _, c := range p.Spec.Containers {
		cs2 = append(cs2, fmt.Sprintf("container %s (image %s)", c.Name, c.Image))
	}
	return head + ": " + strings.Join(cs2, ", ")
}
