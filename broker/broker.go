package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/k9s-guard/k9s-guard/broker/api/v1alpha1"
)

// Config is what `k9s-guard broker` passes in.
type Config struct {
	// Namespace holds the enrolled secrets, the invites and the Lease.
	Namespace string
	// Identity names this replica in the Lease and in claims.
	Identity string
	// LeaseName is the leader-election Lease.
	LeaseName string
	// LeaseDuration, RenewDeadline and RetryPeriod tune leader election.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Listen is the address of /healthz and /metrics; "" serves none.
	Listen string
	// Workers verify requests in parallel.
	Workers int
	// Now is the clock; nil for time.Now.
	Now func() time.Time
	// Logf receives one line per decision; it never gets a code or secret.
	Logf func(format string, args ...any)
	// Ready, when set, receives the address /healthz listens on once the
	// caches are synced.
	Ready func(addr string)
}

func (c *Config) defaults() {
	if c.LeaseName == "" {
		c.LeaseName = "k9s-guard-broker"
	}
	if c.LeaseDuration == 0 {
		c.LeaseDuration = 15 * time.Second
	}
	if c.RenewDeadline == 0 {
		c.RenewDeadline = c.LeaseDuration * 2 / 3
	}
	if c.RetryPeriod == 0 {
		c.RetryPeriod = c.LeaseDuration / 7
	}
	if c.Workers == 0 {
		c.Workers = 16
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// Broker is one replica of the controller.
type Broker struct {
	cfg      Config
	kube     kubernetes.Interface
	dyn      dynamic.Interface
	requests cache.SharedIndexInformer
	enrols   cache.SharedIndexInformer
	policies cache.SharedIndexInformer
	queue    workqueue.TypedRateLimitingInterface[string]
	recorder record.EventRecorder
	metrics  *metrics
	leader   atomic.Bool
	synced   atomic.Bool
}

// Queue keys: the kind's prefix, then the object's name.
const (
	keyRequest = "req/"
	keyEnrol   = "enr/"
)

// New builds a replica from a client configuration (the ServiceAccount's
// in the cluster).
func New(rc *rest.Config, cfg Config) (*Broker, error) {
	cfg.defaults()
	if cfg.Namespace == "" || cfg.Identity == "" {
		return nil, errors.New("broker: namespace and identity are required")
	}
	// Fifty people stepping up at once must not queue behind client-go's
	// default of five requests a second.
	rc = rest.CopyConfig(rc)
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 200, 400
	}
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	f := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	b := &Broker{
		cfg: cfg, kube: kube, dyn: dyn,
		requests: f.ForResource(v1alpha1.ElevationRequests).Informer(),
		enrols:   f.ForResource(v1alpha1.OTPEnrollments).Informer(),
		policies: f.ForResource(v1alpha1.ElevationPolicies).Informer(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](50*time.Millisecond, 5*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "broker"}),
		metrics: newMetrics(),
	}
	return b, nil
}

// Run serves until ctx ends. Every replica verifies requests (claims and
// the replay record are compare-and-swap writes); the leader alone expires
// grants and reconciles.
func (b *Broker) Run(ctx context.Context) error {
	defer b.queue.ShutDown()
	bc := record.NewBroadcaster(record.WithContext(ctx))
	bc.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: b.kube.CoreV1().Events("")})
	defer bc.Shutdown()
	sch := runtime.NewScheme()
	utilruntime.Must(scheme.AddToScheme(sch))
	b.recorder = bc.NewRecorder(sch, corev1.EventSource{Component: "k9s-guard-broker", Host: b.cfg.Identity})

	enqueue := func(prefix string) cache.ResourceEventHandlerFuncs {
		return cache.ResourceEventHandlerFuncs{
			AddFunc:    func(o any) { b.enqueue(prefix, o) },
			UpdateFunc: func(_, o any) { b.enqueue(prefix, o) },
		}
	}
	if _, err := b.requests.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { b.enqueue(keyRequest, o) },
		UpdateFunc: func(_, o any) { b.enqueue(keyRequest, o) },
		DeleteFunc: func(o any) { b.requestDeleted(ctx, o) },
	}); err != nil {
		return fmt.Errorf("watch requests: %w", err)
	}
	if _, err := b.enrols.AddEventHandler(enqueue(keyEnrol)); err != nil {
		return fmt.Errorf("watch enrolments: %w", err)
	}
	go b.requests.Run(ctx.Done())
	go b.enrols.Run(ctx.Done())
	go b.policies.Run(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), b.requests.HasSynced, b.enrols.HasSynced, b.policies.HasSynced) {
		return fmt.Errorf("broker: caches never synced: %w", ctx.Err())
	}
	b.synced.Store(true)

	errc := make(chan error, 1)
	if b.cfg.Listen != "" {
		ln, err := net.Listen("tcp", b.cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", b.cfg.Listen, err)
		}
		srv := &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("serve: %w", err)
			}
		}()
		defer srv.Close() //nolint:errcheck // best effort at shutdown
		if b.cfg.Ready != nil {
			b.cfg.Ready(ln.Addr().String())
		}
	} else if b.cfg.Ready != nil {
		b.cfg.Ready("")
	}
	for range b.cfg.Workers {
		go b.work(ctx)
	}
	go b.elect(ctx)
	b.cfg.Logf("broker %s: running in namespace %s", b.cfg.Identity, b.cfg.Namespace)
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}

// Handler serves /healthz (200 once the caches are synced) and /metrics.
func (b *Broker) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !b.synced.Load() {
			http.Error(w, "caches not synced", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/metrics", promhttp.HandlerFor(b.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}

// IsLeader reports whether this replica holds the Lease.
func (b *Broker) IsLeader() bool { return b.leader.Load() }

func (b *Broker) enqueue(prefix string, o any) {
	u, ok := o.(*unstructured.Unstructured)
	if !ok {
		return
	}
	b.queue.Add(prefix + u.GetName())
}

func (b *Broker) work(ctx context.Context) {
	for {
		key, quit := b.queue.Get()
		if quit {
			return
		}
		var err error
		switch {
		case len(key) > len(keyRequest) && key[:len(keyRequest)] == keyRequest:
			err = b.handleRequest(ctx, key[len(keyRequest):])
		case len(key) > len(keyEnrol) && key[:len(keyEnrol)] == keyEnrol:
			err = b.handleEnrolment(ctx, key[len(keyEnrol):])
		}
		if err != nil && ctx.Err() == nil {
			b.cfg.Logf("broker %s: %s: %v (retrying)", b.cfg.Identity, key, err)
			b.queue.AddRateLimited(key)
		} else {
			b.queue.Forget(key)
		}
		b.queue.Done(key)
	}
}

// elect runs leader election until ctx ends, standing again after a loss.
func (b *Broker) elect(ctx context.Context) {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1ObjectMeta(b.cfg.LeaseName, b.cfg.Namespace),
		Client:     b.kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: b.cfg.Identity},
	}
	for ctx.Err() == nil {
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   b.cfg.LeaseDuration,
			RenewDeadline:   b.cfg.RenewDeadline,
			RetryPeriod:     b.cfg.RetryPeriod,
			ReleaseOnCancel: true,
			Name:            b.cfg.LeaseName,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(lctx context.Context) {
					b.leader.Store(true)
					b.metrics.leader.Set(1)
					b.cfg.Logf("broker %s: leading", b.cfg.Identity)
					b.lead(lctx)
				},
				OnStoppedLeading: func() {
					b.leader.Store(false)
					b.metrics.leader.Set(0)
				},
			},
		})
		if err != nil {
			b.cfg.Logf("broker %s: leader election: %v", b.cfg.Identity, err)
			return
		}
		le.Run(ctx)
	}
}
