package cluster

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// Workload is one Deployment the testbed creates.
type Workload struct {
	Namespace, Name string
	Replicas        int32
}

// Workloads are the Deployments every testbed has.
var Workloads = []Workload{
	{"shop", "web", 3},
	{"shop", "cart", 1},
	{"payments", "api", 2},
}

func provision(ctx context.Context, cs *kubernetes.Clientset, waitPods bool, alive func() error, logf func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for _, ns := range []string{"shop", "payments", BreakGlassNamespace} {
		if err := create(ctx, func() error {
			_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
			return err
		}); err != nil {
			return fmt.Errorf("namespace %s: %w", ns, err)
		}
	}
	rbac := cs.RbacV1()
	steps := []func() error{
		// The read-only user: the aggregated view ClusterRole (filled by the
		// controller manager's aggregation controller).
		func() error {
			_, err := rbac.ClusterRoleBindings().Create(ctx, clusterBinding("testbed:viewer", "view", rbacv1.Subject{Kind: rbacv1.UserKind, Name: UserViewer}), metav1.CreateOptions{})
			return err
		},
		// The everyday users of broker mode read, like the viewer.
		func() error {
			_, err := rbac.ClusterRoleBindings().Create(ctx, clusterBinding("testbed:everyday", "view", rbacv1.Subject{Kind: rbacv1.GroupKind, Name: GroupEveryday}), metav1.CreateOptions{})
			return err
		},
		// The impersonator may become the break-glass user and group, and
		// nothing else: the "sudo" pattern.
		func() error {
			_, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
				ObjectMeta: metav1.ObjectMeta{Name: "testbed:impersonate-break-glass"},
				Rules: []rbacv1.PolicyRule{
					{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}, ResourceNames: []string{UserBreakGlass}},
					{APIGroups: []string{""}, Resources: []string{"groups"}, Verbs: []string{"impersonate"}, ResourceNames: []string{GroupBreakGlass}},
				},
			}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := rbac.ClusterRoleBindings().Create(ctx, clusterBinding("testbed:impersonator", "testbed:impersonate-break-glass", rbacv1.Subject{Kind: rbacv1.UserKind, Name: UserImpersonator}), metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := rbac.ClusterRoleBindings().Create(ctx, clusterBinding("testbed:break-glass-group", "cluster-admin", rbacv1.Subject{Kind: rbacv1.GroupKind, Name: GroupBreakGlass}), metav1.CreateOptions{})
			return err
		},
		// The break-glass ServiceAccount is cluster-admin; the viewer may mint
		// short-lived tokens for it, bound to Secrets it creates and deletes.
		func() error {
			_, err := cs.CoreV1().ServiceAccounts(BreakGlassNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: BreakGlassSA}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := rbac.ClusterRoleBindings().Create(ctx, clusterBinding("testbed:break-glass-sa", "cluster-admin", rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: BreakGlassSA, Namespace: BreakGlassNamespace}), metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := rbac.Roles(BreakGlassNamespace).Create(ctx, &rbacv1.Role{
				ObjectMeta: metav1.ObjectMeta{Name: "testbed:mint-break-glass"},
				Rules: []rbacv1.PolicyRule{
					{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}, ResourceNames: []string{BreakGlassSA}},
					{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create", "delete"}},
				},
			}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := rbac.RoleBindings(BreakGlassNamespace).Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "testbed:mint-break-glass"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "testbed:mint-break-glass"},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: UserViewer}},
			}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "db-credentials"},
				StringData: map[string]string{"password": "not-a-real-password"},
			}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "settings"},
				Data:       map[string]string{"theme": "dark"},
			}, metav1.CreateOptions{})
			return err
		},
		// A node object without a kubelet, so the nodes view has a row.
		func() error {
			_, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1", Labels: map[string]string{"kubernetes.io/hostname": "node-1"}}}, metav1.CreateOptions{})
			return err
		},
	}
	for _, w := range Workloads {
		steps = append(steps, func() error {
			_, err := cs.AppsV1().Deployments(w.Namespace).Create(ctx, deployment(w), metav1.CreateOptions{})
			return err
		})
	}
	for i, step := range steps {
		if err := create(ctx, step); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	if !waitPods {
		return nil
	}
	// The controller manager creates each Deployment's ReplicaSet and Pods
	// (once the namespace's default ServiceAccount exists).
	for _, w := range Workloads {
		if err := poll(ctx, func() (bool, error) {
			if err := alive(); err != nil {
				return false, err
			}
			pods, err := cs.CoreV1().Pods(w.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=" + w.Name})
			if err != nil {
				return false, err
			}
			return int32(len(pods.Items)) >= w.Replicas, nil
		}); err != nil {
			return fmt.Errorf("pods of %s/%s never appeared: %w", w.Namespace, w.Name, err)
		}
	}
	logf("testbed: provisioned")
	return nil
}

// create runs a create call, treating AlreadyExists as success and retrying
// briefly while RBAC bootstrap is still settling.
func create(ctx context.Context, f func() error) error {
	return poll(ctx, func() (bool, error) {
		err := f()
		switch {
		case err == nil || apierrors.IsAlreadyExists(err):
			return true, nil
		case apierrors.IsForbidden(err) || apierrors.IsNotFound(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsTimeout(err):
			return false, nil // bootstrap not finished yet
		default:
			return false, err
		}
	})
}

func poll(ctx context.Context, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func clusterBinding(name, role string, subject rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{subject},
	}
}

func deployment(w Workload) *appsv1.Deployment {
	labels := map[string]string{"app": w.Name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: w.Name, Namespace: w.Namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(w.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: w.Name, Image: "registry.invalid/" + w.Name + ":1.0"}},
				},
			},
		},
	}
}
