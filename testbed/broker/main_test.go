package broker

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
	"github.com/k9s-guard/k9s-guard/kube"
	"github.com/k9s-guard/k9s-guard/stepup/otp"
	"github.com/k9s-guard/k9s-guard/testbed/cluster"
)

const (
	brokerNS   = "k9s-guard-broker"
	brokerSA   = "broker"
	teamNS     = "team" // namespace of the ServiceAccounts the tests use as fresh everyday users
	teamGroup  = "system:serviceaccounts:" + teamNS
	leaseDur   = 3 * time.Second
	renewDur   = 2 * time.Second
	retryDur   = 250 * time.Millisecond
	leaseName  = "k9s-guard-broker"
	policyName = "team"
)

var (
	tc         *cluster.Cluster
	guardBin   string
	kubectlBin string
	admin      *kubernetes.Clientset
	adminDyn   dynamic.Interface
	brokerKC   string // kubeconfig holding the broker ServiceAccount's token
	workDir    string
	replicas   = &replicaSet{}
	// aliceSecret is alice's enrolled TOTP secret (alice is a static-token
	// everyday user of the test bed; she plays the stolen token).
	aliceSecret string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	tools := os.Getenv("K9S_GUARD_TOOLS")
	if tools == "" {
		tools, _ = filepath.Abs(filepath.Join("..", "..", ".tools", "bin"))
	}
	kubectlBin = filepath.Join(tools, "kubectl")
	var err error
	workDir, err = os.MkdirTemp("", "k9s-guard-broker-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)
	guardBin = filepath.Join(workDir, "k9s-guard")
	build := exec.Command("go", "build", "-o", guardBin, ".")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build k9s-guard: %v\n%s", err, out)
		return 1
	}
	ctx := context.Background()
	if tc, err = cluster.Start(ctx, cluster.Options{BinDir: tools}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer tc.Stop()
	if err := setup(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "broker test setup:", err)
		replicas.stopAll()
		return 1
	}
	code := m.Run()
	replicas.stopAll()
	return code
}

func setup(ctx context.Context) error {
	var err error
	if admin, err = tc.Clientset(cluster.ContextAdmin); err != nil {
		return err
	}
	rc, err := tc.RESTConfig(cluster.ContextAdmin)
	if err != nil {
		return err
	}
	if adminDyn, err = dynamic.NewForConfig(rc); err != nil {
		return err
	}
	if err := applyDeploy(ctx, rc); err != nil {
		return err
	}
	if err := provisionTeam(ctx); err != nil {
		return err
	}
	if brokerKC, err = tokenKubeconfig(ctx, brokerNS, brokerSA, "broker"); err != nil {
		return err
	}
	for range 2 {
		if _, err := replicas.start(leaseName); err != nil {
			return err
		}
	}
	aliceSecret, err = enrol(ctx, userOf(tc.AliceToken, cluster.UserAlice))
	return err
}

// applyDeploy applies every manifest of deploy/ as it is: the CRDs first
// (and waits until they are served), then the rest in file order.
func applyDeploy(ctx context.Context, rc *rest.Config) error {
	dir := filepath.Join("..", "..", "deploy")
	crds, _ := filepath.Glob(filepath.Join(dir, "crds", "*.yaml"))
	rest, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return err
	}
	cached := memory.NewMemCacheClient(dc)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(cached)
	for i, files := range [][]string{crds, rest} {
		for _, f := range files {
			if err := applyFile(ctx, mapper, f); err != nil {
				return err
			}
		}
		if i == 0 {
			// Wait until the API server serves the new group.
			if err := poll(ctx, 30*time.Second, func() (bool, error) {
				cached.Invalidate()
				_, err := mapper.RESTMapping(v1alpha1.SchemeGroupVersion.WithKind("ElevationRequest").GroupKind(), v1alpha1.Version)
				return err == nil, nil
			}); err != nil {
				return fmt.Errorf("CRDs never served: %w", err)
			}
			mapper.Reset()
		}
	}
	return nil
}

func applyFile(ctx context.Context, mapper meta.RESTMapper, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for i, doc := range bytes.Split(data, []byte("\n---")) {
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var obj unstructured.Unstructured
		if err := yaml.Unmarshal(doc, &obj.Object); err != nil {
			return fmt.Errorf("%s: document %d: %w", path, i+1, err)
		}
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", path, gvk, err)
		}
		var ri dynamic.ResourceInterface = adminDyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = adminDyn.Resource(m.Resource).Namespace(obj.GetNamespace())
		}
		if _, err := ri.Create(ctx, &obj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s: create %s %s: %w", path, gvk.Kind, obj.GetName(), err)
		}
	}
	return nil
}

func stripComments(doc []byte) []byte {
	var out []byte
	for line := range bytes.Lines(doc) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
		}
	}
	return out
}

// provisionTeam makes the team namespace, whose ServiceAccounts the tests
// use as fresh everyday users (each test its own, since a user's accepted
// code cannot be used again): view everywhere and the requester role, as
// the group k9s-guard:users has; and the team ElevationPolicy.
func provisionTeam(ctx context.Context) error {
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: teamNS}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	for name, role := range map[string]string{"testbed:team-view": "view", "testbed:team-requester": "k9s-guard:requester"} {
		if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: teamGroup}},
		}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	policy := &v1alpha1.ElevationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "ElevationPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: policyName},
		Spec: v1alpha1.ElevationPolicySpec{
			Subjects:    []v1alpha1.PolicySubject{{Kind: "Group", Name: teamGroup}, {Kind: "Group", Name: cluster.GroupEveryday}},
			ClusterRole: "edit",
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"patch", "update"}},
			},
			Namespaces:  []string{"shop", "payments"},
			MaxDuration: metav1.Duration{Duration: 15 * time.Minute},
		},
	}
	// Cluster-wide rules need a policy without namespaces: cordon.
	nodes := &v1alpha1.ElevationPolicy{
		TypeMeta:   policy.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Name: "nodes"},
		Spec: v1alpha1.ElevationPolicySpec{
			Subjects:    policy.Spec.Subjects,
			Rules:       []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "patch", "update"}}},
			MaxDuration: metav1.Duration{Duration: 15 * time.Minute},
		},
	}
	for _, p := range []*v1alpha1.ElevationPolicy{policy, nodes} {
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p)
		if err != nil {
			return err
		}
		if _, err := adminDyn.Resource(v1alpha1.ElevationPolicies).Create(ctx, &unstructured.Unstructured{Object: u}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create policy %s: %w", p.Name, err)
		}
	}
	return nil
}

// tokenKubeconfig writes a kubeconfig holding a fresh token of a
// ServiceAccount (made with the admin's TokenRequest, as the kubelet would
// for a pod) and returns its path.
func tokenKubeconfig(ctx context.Context, ns, sa, file string) (string, error) {
	tr, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for %s/%s: %w", ns, sa, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: tc.Server, CertificateAuthorityData: tc.CAData}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u", Namespace: "shop"}
	cfg.CurrentContext = "c"
	path := filepath.Join(workDir, file+".kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

// user is an everyday identity: its name as the API server sees it and
// clients holding its token.
type user struct {
	name       string
	groups     []string // from a SelfSubjectReview, as the client does
	token      string
	kubeconfig string
	kube       *kubernetes.Clientset
	dyn        dynamic.Interface
}

func userOf(token, name string) *user {
	rc := &rest.Config{Host: tc.Server, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAData: tc.CAData}, QPS: 200, Burst: 400}
	u := &user{name: name, token: token, kube: kubernetes.NewForConfigOrDie(rc), dyn: dynamic.NewForConfigOrDie(rc)}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: tc.Server, CertificateAuthorityData: tc.CAData}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u", Namespace: "shop"}
	cfg.CurrentContext = "c"
	ssr, err := u.kube.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		panic(err)
	}
	u.groups = ssr.Status.UserInfo.Groups
	u.kubeconfig = filepath.Join(workDir, "user-"+strings.NewReplacer(":", "-").Replace(name)+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, u.kubeconfig); err != nil {
		panic(err)
	}
	return u
}

var userSeq struct {
	sync.Mutex
	n int
}

// newUser makes a fresh everyday user (a ServiceAccount of the team
// namespace: view, and the right to ask for elevation) and enrols it.
func newUser(t testing.TB) (*user, string) {
	t.Helper()
	ctx := t.Context()
	userSeq.Lock()
	userSeq.n++
	name := fmt.Sprintf("u%d", userSeq.n)
	userSeq.Unlock()
	if _, err := admin.CoreV1().ServiceAccounts(teamNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := admin.CoreV1().ServiceAccounts(teamNS).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u := userOf(tr.Status.Token, "system:serviceaccount:"+teamNS+":"+name)
	secret, err := enrol(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	return u, secret
}

// enrol runs the admin's invite (the real CLI, with the admin kubeconfig)
// and the user's enrolment; it returns the secret, as the user's phone
// would hold it.
func enrol(ctx context.Context, u *user) (string, error) {
	out, err := exec.CommandContext(ctx, guardBin, "broker", "invite", "--user", u.name,
		"--kubeconfig", tc.Kubeconfig, "--context", cluster.ContextAdmin, "--namespace", brokerNS).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("broker invite: %w\n%s", err, out)
	}
	invite := inviteFrom(string(out))
	secret := newSecret()
	code, err := totp.GenerateCodeCustom(secret, time.Now(), otp.ValidateOpts)
	if err != nil {
		return "", err
	}
	// What `otp enroll --context` does once the phone has confirmed a code.
	if err := kube.EnrolWithBroker(ctx, u.restConfig(), secret, code, invite); err != nil {
		return "", fmt.Errorf("enrolment of %s: %w", u.name, err)
	}
	return secret, nil
}

func inviteFrom(out string) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if _, tok, ok := strings.Cut(sc.Text(), "): "); ok && strings.HasPrefix(sc.Text(), "invite for ") {
			return strings.TrimSpace(tok)
		}
	}
	return ""
}

func newSecret() string {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "k9s-guard", AccountName: "test"})
	if err != nil {
		panic(err)
	}
	return key.Secret()
}

func createEnrolment(ctx context.Context, u *user, secret, invite string) (string, error) {
	code, err := totp.GenerateCodeCustom(secret, time.Now(), otp.ValidateOpts)
	if err != nil {
		return "", err
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.SchemeGroupVersion.String(), "kind": "OTPEnrollment",
		"metadata": map[string]any{"generateName": "enrol-"},
		"spec":     map[string]any{"user": u.name, "secret": secret, "code": code, "invite": invite},
	}}
	got, err := u.dyn.Resource(v1alpha1.OTPEnrollments).Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("create enrolment as %s: %w", u.name, err)
	}
	return got.GetName(), nil
}

func waitEnrolment(ctx context.Context, u *user, name string) (phase, msg string, err error) {
	err = poll(ctx, 20*time.Second, func() (bool, error) {
		got, err := u.dyn.Resource(v1alpha1.OTPEnrollments).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		phase, _, _ = unstructured.NestedString(got.Object, "status", "phase")
		msg, _, _ = unstructured.NestedString(got.Object, "status", "message")
		return phase != "", nil
	})
	return phase, msg, err
}

func poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
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
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// replica is one broker process.
type replica struct {
	id   string
	cmd  *exec.Cmd
	addr string
	log  *bytes.Buffer
	done chan struct{}
}

type replicaSet struct {
	mu   sync.Mutex
	n    int
	list []*replica
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs `k9s-guard broker` with the broker ServiceAccount's token and
// waits for its /healthz.
func (s *replicaSet) start(lease string) (*replica, error) {
	s.mu.Lock()
	s.n++
	id := fmt.Sprintf("broker-%d", s.n)
	s.mu.Unlock()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &replica{id: id, addr: "127.0.0.1:" + strconv.Itoa(port), log: &bytes.Buffer{}, done: make(chan struct{})}
	logFile, err := os.Create(filepath.Join(workDir, id+".log"))
	if err != nil {
		return nil, err
	}
	r.cmd = exec.Command(guardBin, "broker", "--kubeconfig", brokerKC, "--namespace", brokerNS, "--id", id,
		"--listen", r.addr, "--lease-duration", leaseDur.String(), "--renew-deadline", renewDur.String(), "--retry-period", retryDur.String())
	r.cmd.Stdout, r.cmd.Stderr = logFile, logFile
	if err := r.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = r.cmd.Wait(); logFile.Close(); close(r.done) }()
	s.mu.Lock()
	s.list = append(s.list, r)
	s.mu.Unlock()
	err = poll(context.Background(), 30*time.Second, func() (bool, error) {
		select {
		case <-r.done:
			return false, fmt.Errorf("broker %s exited:\n%s", id, r.logText())
		default:
		}
		resp, err := http.Get("http://" + r.addr + "/healthz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	return r, err
}

func (r *replica) logText() string {
	b, _ := os.ReadFile(filepath.Join(workDir, r.id+".log"))
	return string(b)
}

func (r *replica) alive() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

func (r *replica) kill() {
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
}

func (s *replicaSet) live() []*replica {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*replica
	for _, r := range s.list {
		if r.alive() {
			out = append(out, r)
		}
	}
	return out
}

func (s *replicaSet) byID(id string) *replica {
	for _, r := range s.live() {
		if r.id == id {
			return r
		}
	}
	return nil
}

func (s *replicaSet) stopAll() {
	for _, r := range s.live() {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			r.kill()
		}
	}
}

// ensureTwo brings the set back to exactly two live replicas after a test
// killed or added some.
func ensureTwo(t testing.TB) {
	t.Helper()
	for live := replicas.live(); len(live) > 2; live = replicas.live() {
		live[0].kill()
	}
	for len(replicas.live()) < 2 {
		if _, err := replicas.start(leaseName); err != nil {
			t.Fatal(err)
		}
	}
}

func dumpLogs(t *testing.T) {
	t.Helper()
	if !t.Failed() {
		return
	}
	for _, r := range replicas.live() {
		t.Logf("--- %s log ---\n%s", r.id, tail(r.logText(), 40))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (u *user) restConfig() *rest.Config {
	return &rest.Config{Host: tc.Server, BearerToken: u.token, TLSClientConfig: rest.TLSClientConfig{CAData: tc.CAData}}
}

// runGuard runs the real k9s-guard binary.
func runGuard(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), guardBin, args...).CombinedOutput()
	return string(out), err
}

// prodAndOther writes a kubeconfig in dir with two contexts on the test
// bed: prod, as the everyday user holding token, and other, holding
// otherToken; prod is current. It returns the file's path.
func prodAndOther(t *testing.T, dir, token, other, otherToken string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testbed"] = &clientcmdapi.Cluster{Server: tc.Server, CertificateAuthorityData: tc.CAData}
	cfg.AuthInfos["me"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.AuthInfos[other] = &clientcmdapi.AuthInfo{Token: otherToken}
	cfg.Contexts["prod"] = &clientcmdapi.Context{Cluster: "testbed", AuthInfo: "me", Namespace: "shop"}
	cfg.Contexts[other] = &clientcmdapi.Context{Cluster: "testbed", AuthInfo: other, Namespace: "shop"}
	cfg.CurrentContext = "prod"
	kc := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}
	return kc
}
