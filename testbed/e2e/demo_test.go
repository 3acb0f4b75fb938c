package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestMakeDemo runs what `make demo` runs — the testbed's demo command,
// which starts its own cluster, enrols a passcode and starts k9s-guard — in
// a real pty, as a new user would: read the secret off the enrolment page,
// type the code an authenticator app would show, press Ctrl-K on a pod in
// the protected prod context, type a fresh code, and see the pod gone from
// the cluster. `:q` then ends the demo with exit 0, the terminal restored
// and no process left behind. The codes come from the RFC 6238 arithmetic
// below, not from the project's TOTP code or its library, so a bug shared
// by the enrolment and the check cannot hide.
func TestMakeDemo(t *testing.T) {
	testbedBin := filepath.Join(t.TempDir(), "testbed")
	build := exec.Command("go", "build", "-o", testbedBin, "./cmd/testbed")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the testbed command: %v\n%s", err, out)
	}
	// The Makefile's environment: the tools folder first on PATH and named
	// in K9S_GUARD_TOOLS; the recipe runs in testbed/.
	env := userEnv(t, "K9S_GUARD_TOOLS="+toolsDir)
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// 100 columns: the width at which the enrolment page used to break the
	// otpauth URI in two.
	term, err := Start(testbedBin, []string{"demo", "--guard", guardBin, "--k9s", k9sBin}, Options{Cols: 100, Rows: 45, Env: env, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeTree(t, term) })

	// 1. The enrolment page: the URI on one line, as a phone's camera or a
	// copy and paste would take it.
	uriRE := regexp.MustCompile(`otpauth://totp/\S+`)
	if err := term.WaitFor("the enrolment page", 2*startTimeout, func(s string) bool { return uriRE.MatchString(s) && strings.Contains(s, "esc cancel") }); err != nil {
		t.Fatal(err)
	}
	uri := uriRE.FindString(term.Screen())
	secret := regexp.MustCompile(`[?&]secret=([A-Z2-7]+)`).FindStringSubmatch(uri)
	if secret == nil || !strings.Contains(uri, "demo@k9s-guard") {
		t.Fatalf("the URI on screen is not a whole otpauth URI for the demo account: %q\n%s", uri, term.Screen())
	}
	kubeconfig := regexp.MustCompile(`KUBECONFIG=(\S+) kubectl`).FindSubmatch(term.Raw())
	if kubeconfig == nil {
		t.Fatalf("the demo does not say where its kubeconfig is:\n%s", term.Raw())
	}
	adm := demoAdmin(t, string(kubeconfig[1]))

	enrolStep := time.Now().Unix() / 30
	if err := term.Type(rfc6238(t, secret[1], enrolStep), "\r"); err != nil {
		t.Fatal(err)
	}

	// 2. K9s under the guard, on prod's shop namespace.
	waitPods(t, term)
	procs := descendants(term.Cmd.Process.Pid)
	if len(procs) < 5 { // etcd, kube-apiserver, kube-controller-manager, k9s-guard, k9s
		t.Fatalf("the demo runs %d processes, want at least 5: %v", len(procs), procs)
	}
	pod := firstPod(t, term)
	if err := term.Type("\x0b"); err != nil {
		t.Fatal(err)
	}
	waitOverlay(t, term)
	if s := term.Screen(); strings.Contains(s, "no passcode enrolled") || !strings.Contains(s, "prod") {
		t.Fatalf("the prompt is not asking for prod's passcode:\n%s", s)
	}
	// A fresh code: the one that confirmed enrolment counts as used.
	if err := term.Type(rfc6238(t, secret[1], max(time.Now().Unix()/30, enrolStep+1)), "\r"); err != nil {
		t.Fatal(err)
	}
	waitNoOverlay(t, term)
	adm.waitPod("shop", pod, false)

	// 3. :q ends the demo: exit 0, the terminal as the shell left it, and
	// the cluster's processes gone with it.
	if err := term.Type(":q\r"); err != nil {
		t.Fatal(err)
	}
	if code, err := term.Wait(60 * time.Second); err != nil || code != 0 {
		t.Fatalf("demo exit %d, %v\n%s", code, err, term.Screen())
	}
	assertRestored(t, term)
	if err := waitGone(procs, 20*time.Second); err != nil {
		t.Fatalf("after the demo ended: %v", err)
	}
}

// rfc6238 is the 6-digit TOTP code (HMAC-SHA1, 30 s) for one time step.
func rfc6238(t *testing.T, secret string, step int64) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatalf("the secret on screen is not base32: %v", err)
	}
	mac := hmac.New(sha1.New, key)
	_ = binary.Write(mac, binary.BigEndian, step)
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// demoAdmin is a client for the demo cluster's admin context.
func demoAdmin(t *testing.T, kubeconfig string) *clusterClient {
	t.Helper()
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: "admin"}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Namespaces().Get(context.Background(), "shop", metav1.GetOptions{}); err != nil {
		t.Fatalf("the demo cluster: %v", err)
	}
	return &clusterClient{t: t, cs: cs}
}
