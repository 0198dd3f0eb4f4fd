package bus_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/event"
)

// cluster is three NATS servers with JetStream, routed to each other, in
// this process. Each keeps its ports and directory across restarts.
type cluster struct {
	t     *testing.T
	dir   string
	names []string
	ports []int // client ports
	route []int // cluster ports
	mu    sync.Mutex
	srvs  []*server.Server
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir(), srvs: make([]*server.Server, 3)}
	for i := range 3 {
		c.names = append(c.names, fmt.Sprintf("n%d", i+1))
		c.ports = append(c.ports, freePort(t))
		c.route = append(c.route, freePort(t))
	}
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() { c.start(i) })
	}
	wg.Wait()
	t.Cleanup(func() {
		for i := range 3 {
			c.kill(i)
		}
	})
	return c
}

func (c *cluster) start(i int) {
	var routes []string
	for j, p := range c.route {
		if j != i {
			routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
		}
	}
	opts := &server.Options{
		ServerName: c.names[i],
		Host:       "127.0.0.1",
		Port:       c.ports[i],
		Cluster:    server.ClusterOpts{Name: "edu", Host: "127.0.0.1", Port: c.route[i]},
		Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		JetStream:  true,
		StoreDir:   filepath.Join(c.dir, c.names[i]),
		NoLog:      true,
		NoSigs:     true,
	}
	s, err := server.NewServer(opts)
	require.NoError(c.t, err)
	s.Start()
	require.True(c.t, s.ReadyForConnections(10*time.Second))
	c.mu.Lock()
	c.srvs[i] = s
	c.mu.Unlock()
}

func (c *cluster) kill(i int) {
	c.mu.Lock()
	s := c.srvs[i]
	c.srvs[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

func (c *cluster) urls() string {
	var u []string
	for _, p := range c.ports {
		u = append(u, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	return strings.Join(u, ",")
}

func (c *cluster) index(name string) int {
	for i, n := range c.names {
		if n == name {
			return i
		}
	}
	c.t.Fatalf("no server %q", name)
	return -1
}

func clusterConnect(t *testing.T, c *cluster, name string) *bus.Bus {
	t.Helper()
	b, err := bus.Connect(ctx(t), c.urls(), name,
		bus.WithReconnectWait(50*time.Millisecond, 50*time.Millisecond),
		bus.WithAckTimeout(2*time.Second),
		bus.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

// received records what the consumer hands over, with when.
type received struct {
	mu   sync.Mutex
	pos  []int64
	at   []time.Time
	more chan struct{}
}

func (r *received) deliver(_ context.Context, e event.Envelope) error {
	r.mu.Lock()
	r.pos = append(r.pos, e.Position)
	r.at = append(r.at, time.Now())
	r.mu.Unlock()
	select {
	case r.more <- struct{}{}:
	default:
	}
	return nil
}

// firstAfter is when the first position above p arrived (zero if none).
func (r *received) firstAfter(p int64) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, q := range r.pos {
		if q > p {
			return r.at[i]
		}
	}
	return time.Time{}
}

func (r *received) last() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pos) == 0 {
		return 0
	}
	return r.pos[len(r.pos)-1]
}

// publisher publishes positions 1, 2, ... every 20 ms, each retried until
// acknowledged, as the relay does.
type publisher struct {
	mu   sync.Mutex
	next int64
	at   []time.Time // when each position was acknowledged
}

func (p *publisher) run(ctx context.Context, b *bus.Bus) {
	body, _ := event.Marshal(event.New(event.LessonPublished{LessonID: [16]byte{1}, TeacherID: [16]byte{2}}, event.Meta{}, time.Now()))
	for ctx.Err() == nil {
		p.mu.Lock()
		pos := p.next + 1
		p.mu.Unlock()
		_, err := b.PublishBatch(ctx, []bus.Message{{
			Subject: "edupulse.web_social.lesson_published", ID: fmt.Sprintf("ev-%d", pos), Position: pos, Body: body,
		}}, 1)
		if err == nil {
			p.mu.Lock()
			p.next = pos
			p.at = append(p.at, time.Now())
			p.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// firstAckAfter is how long after t the first acknowledgement after t
// came (0 if none yet).
func (p *publisher) firstAckAfter(t time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.at {
		if a.After(t) {
			return a.Sub(t).Round(time.Millisecond)
		}
	}
	return 0
}

func (p *publisher) published() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next
}

// requireExactlyInOrder waits until the last published position arrived
// and checks that positions only ever went up. (The consumer hands over
// the last message of a burst only, the hub reading the positions before
// it from the store, so a position may be skipped; none comes twice or
// out of order, and the last one always comes.)
func requireExactlyInOrder(t *testing.T, r *received, upTo int64) {
	t.Helper()
	require.Eventually(t, func() bool { return r.last() >= upTo }, 20*time.Second, 10*time.Millisecond,
		"delivered up to %d of %d", r.last(), upTo)
	r.mu.Lock()
	defer r.mu.Unlock()
	// One more may have been stored whose acknowledgement the stopped
	// publisher never saw.
	require.LessOrEqual(t, r.pos[len(r.pos)-1], upTo+1)
	for i := 1; i < len(r.pos); i++ {
		require.Greater(t, r.pos[i], r.pos[i-1], "no duplicate, no reordering")
	}
}

// Losing a node of a three-node cluster (the one the consumer lives on,
// or the stream's leader) stalls live delivery for seconds, not for as
// long as the node stays down.
func TestConsumerSurvivesANodeLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	for _, victim := range []string{"consumer", "stream leader"} {
		t.Run(victim, func(t *testing.T) {
			c := startCluster(t)
			admin := clusterConnect(t, c, "admin")
			require.NoError(t, admin.EnsureStream(ctx(t), 3))

			r, pub, stopPub, stopAll := runInstance(t, c)
			defer stopAll()

			require.Eventually(t, func() bool { return r.last() >= 20 }, 20*time.Second, 10*time.Millisecond)
			node := nodeOf(t, admin, victim)
			before := r.last()
			killed := time.Now()
			c.kill(c.index(node))

			require.Eventually(t, func() bool { return !r.firstAfter(before + 5).IsZero() }, 30*time.Second, 10*time.Millisecond)
			back := r.firstAfter(before + 5).Sub(killed)
			t.Logf("killed %s (%s); publishing back after %s, live delivery after %s", node, victim,
				pub.firstAckAfter(killed), back.Round(time.Millisecond))
			require.Less(t, back, 5*time.Second)

			// Publishing goes on for a few events past the recovery.
			more := r.last() + 5
			require.Eventually(t, func() bool { return r.last() >= more }, 30*time.Second, 10*time.Millisecond)
			stopPub()
			requireExactlyInOrder(t, r, pub.published())
		})
	}
}

// runInstance runs a consumer (the instance's) and a publisher (the
// relay's), each on its own connection to the cluster. stopPub stops the
// publisher and waits for it; stopAll stops both.
func runInstance(t *testing.T, c *cluster) (r *received, pub *publisher, stopPub, stopAll func()) {
	r = &received{more: make(chan struct{}, 1)}
	cons := clusterConnect(t, c, "instance")
	pubBus := clusterConnect(t, c, "relay")
	pub = &publisher{}
	consCtx, stopCons := context.WithCancel(context.Background())
	pubCtx, stopPubCtx := context.WithCancel(context.Background())
	var cw, pw sync.WaitGroup
	cw.Go(func() { cons.Consume(consCtx, r.deliver) })
	pw.Go(func() { pub.run(pubCtx, pubBus) })
	stopPub = func() { stopPubCtx(); pw.Wait() }
	stopAll = func() { stopPub(); stopCons(); cw.Wait() }
	return r, pub, stopPub, stopAll
}

// nodeOf names the server holding the instance's consumer or the stream's
// leader.
func nodeOf(t *testing.T, b *bus.Bus, what string) string {
	t.Helper()
	s, err := b.JetStream().Stream(ctx(t), bus.StreamName)
	require.NoError(t, err)
	if what == "stream leader" {
		return s.CachedInfo().Cluster.Leader
	}
	var node string
	require.Eventually(t, func() bool {
		for info := range s.ListConsumers(ctx(t)).Info() {
			if info.Cluster != nil && info.Cluster.Leader != "" {
				node = info.Cluster.Leader
			}
		}
		return node != ""
	}, 10*time.Second, 50*time.Millisecond)
	return node
}

// The whole cluster goes away for a while and comes back: the consumer
// resumes from where it was, within seconds of the cluster's return.
func TestConsumerSurvivesAClusterOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	c := startCluster(t)
	admin := clusterConnect(t, c, "admin")
	require.NoError(t, admin.EnsureStream(ctx(t), 3))
	r, pub, stopPub, stopAll := runInstance(t, c)
	defer stopAll()

	require.Eventually(t, func() bool { return r.last() >= 20 }, 20*time.Second, 10*time.Millisecond)
	for i := range 3 {
		c.kill(i)
	}
	before := r.last()
	// The outage's length is the test's subject: long enough for the
	// client to give up its fast reconnects and the consumer to be torn
	// down, which no event of the dead cluster can signal.
	time.Sleep(15 * time.Second)
	var sw sync.WaitGroup
	for i := range 3 {
		sw.Go(func() { c.start(i) })
	}
	sw.Wait()
	restarted := time.Now()
	require.Eventually(t, func() bool { return !r.firstAfter(before + 5).IsZero() }, 60*time.Second, 10*time.Millisecond)
	t.Logf("cluster down 15 s; publishing back %s after its return, live delivery %s",
		pub.firstAckAfter(restarted),
		r.firstAfter(before+5).Sub(restarted).Round(time.Millisecond))
	more := r.last() + 5
	require.Eventually(t, func() bool { return r.last() >= more }, 30*time.Second, 10*time.Millisecond)
	stopPub()
	requireExactlyInOrder(t, r, pub.published())
}
