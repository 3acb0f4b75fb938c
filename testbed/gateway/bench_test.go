package gateway_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/k9s-guard/k9s-guard/testbed/gateway/gwbench"
)

// The speed targets (GET p50 added under 0.5 ms, LIST throughput at least
// 95% of direct) live in these benchmarks and in the gatewaybench command,
// never in timed tests.

var (
	benchOnce sync.Once
	benchEnv  *gwbench.Env
	benchErr  error
)

func benchTargets(b *testing.B) *gwbench.Env {
	b.Helper()
	benchOnce.Do(func() {
		benchEnv, benchErr = gwbench.Setup(context.Background(), testCluster, 5000)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchEnv
}

// BenchmarkGatewayGET reports the latency of a single-object GET, with
// p50 and p99 as metrics, for each way of reaching the API server.
func BenchmarkGatewayGET(b *testing.B) {
	env := benchTargets(b)
	for _, t := range env.Targets {
		b.Run(t.Name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				d, err := gwbench.GetLatency(t, 1)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, d[0])
			}
			b.ReportMetric(float64(gwbench.Percentile(lat, 50).Microseconds()), "p50-µs")
			b.ReportMetric(float64(gwbench.Percentile(lat, 99).Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkGatewayList5000 reports the throughput of a LIST of 5,000
// ConfigMaps.
func BenchmarkGatewayList5000(b *testing.B) {
	env := benchTargets(b)
	for _, t := range env.Targets {
		b.Run(t.Name, func(b *testing.B) {
			var total time.Duration
			var bytes int64
			for b.Loop() {
				d, n, err := gwbench.List(t)
				if err != nil {
					b.Fatal(err)
				}
				total += d
				bytes = n
			}
			b.SetBytes(bytes)
			b.ReportMetric(float64(env.Objects)*float64(b.N)/total.Seconds(), "objects/s")
		})
	}
}
