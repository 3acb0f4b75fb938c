package broker

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
	"github.com/k9s-guard/k9s-guard/kube"
)

// BenchmarkStepUp measures, over 50 step-ups, the time from Enter on a
// right code to the held request (a pod delete) done at the API server:
// with the broker source (the code goes to the broker, which grants; then
// the delete goes out with the user's own token) and with the context
// source (the code is checked locally, in microseconds; the delete goes
// out with the admin context's credentials). Each broker step-up is a
// fresh user, since a user's accepted code cannot be used again.
//
//	go test ./broker -run '^$' -bench StepUp -benchtime 1x
func BenchmarkStepUp(b *testing.B) {
	ensureTwo(b)
	ctx := context.Background()
	const n = 50
	type stepper struct {
		u      *user
		secret string
		kube   *kubernetes.Clientset
	}
	users := make([]stepper, n)
	for i := range users {
		u, s := newUser(b)
		users[i] = stepper{u, s, kubernetes.NewForConfigOrDie(u.restConfig())}
	}
	// The context source's elevated client, without client-go's default
	// rate limit (the gateway's upstreams have none either).
	rc, err := tc.RESTConfig("admin")
	if err != nil {
		b.Fatal(err)
	}
	rc.QPS, rc.Burst = 200, 400
	elevated := kubernetes.NewForConfigOrDie(rc)
	for i := range 2 * n {
		pendingPod(b, "shop", fmt.Sprintf("bench-%d", i))
	}
	for b.Loop() {
		var viaBroker, viaContext []time.Duration
		for i, s := range users {
			code := codeAt(b, s.secret, time.Now())
			pod := fmt.Sprintf("bench-%d", i)
			start := time.Now()
			v, err := kube.RequestElevation(ctx, s.u.restConfig(), kube.BrokerAsk{Operation: "delete", Window: time.Minute, Code: code,
				Rules: []v1alpha1.ElevationRule{rule("delete", "", "pods", "shop", pod)}})
			if err != nil || !v.Granted() {
				b.Fatalf("step-up %d: %+v %v", i, v, err)
			}
			if err := s.kube.CoreV1().Pods("shop").Delete(ctx, pod, metav1.DeleteOptions{}); err != nil {
				b.Fatalf("held request %d: %v", i, err)
			}
			viaBroker = append(viaBroker, time.Since(start))
			_ = kube.RevokeElevation(ctx, s.u.restConfig(), v.Request)

			pod = fmt.Sprintf("bench-%d", n+i)
			start = time.Now()
			if err := elevated.CoreV1().Pods("shop").Delete(ctx, pod, metav1.DeleteOptions{}); err != nil {
				b.Fatalf("context source %d: %v", i, err)
			}
			viaContext = append(viaContext, time.Since(start))
		}
		pb, pc := percentiles(viaBroker), percentiles(viaContext)
		b.ReportMetric(pb[0].Seconds()*1000, "broker-p50-ms")
		b.ReportMetric(pb[1].Seconds()*1000, "broker-p99-ms")
		b.ReportMetric(pc[0].Seconds()*1000, "context-p50-ms")
		b.ReportMetric(pc[1].Seconds()*1000, "context-p99-ms")
		fmt.Printf("\nEnter to held request done, %d step-ups\n%-10s %8s %8s\n%-10s %8s %8s\n%-10s %8s %8s\n%-10s %8s %8s\n",
			n, "source", "p50", "p99",
			"broker", pb[0].Round(100*time.Microsecond), pb[1].Round(100*time.Microsecond),
			"context", pc[0].Round(100*time.Microsecond), pc[1].Round(100*time.Microsecond),
			"added", (pb[0] - pc[0]).Round(100*time.Microsecond), (pb[1] - pc[1]).Round(100*time.Microsecond))
	}
}

// percentiles returns p50 and p99 (nearest rank).
func percentiles(d []time.Duration) [2]time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))+0.5)-1)] }
	return [2]time.Duration{at(0.50), at(0.99)}
}
