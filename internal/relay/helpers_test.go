package relay_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/relay"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

// Leaks are checked for the whole package once testpg has stopped what
// it started, and per top-level test by checkLeaks, which names the test
// that leaked. Top-level tests therefore run one after the other; the
// backends of one test run in parallel.
func TestMain(m *testing.M) { goleak.VerifyTestMain(testpg.M(m)) }

// checkLeaks fails t when goroutines started during it outlive it. Call it
// first, so that its check runs after every other cleanup.
func checkLeaks(t *testing.T) {
	t.Helper()
	opts := []goleak.Option{
		goleak.IgnoreCurrent(),
		// testpg's admin pool, created by the first test that needs a
		// database and kept for the whole run. (The relay opens no pool.)
		goleak.IgnoreTopFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"),
		// testpg's throwaway cluster, when it started one.
		goleak.IgnoreAnyFunction("github.com/edupulse/edupulse-live/internal/testpg.startChild.func1"),
	}
	t.Cleanup(func() { goleak.VerifyNone(t, opts...) })
}

type backend struct {
	name string
	open func(t *testing.T) store.Store
}

var backends = []backend{
	{"sqlite", func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "edupulse.db"))
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	}},
	{"postgres", func(t *testing.T) store.Store { return openPostgres(t, testpg.Database(t, postgres.Migrate)) }},
}

func openPostgres(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, postgres.Options{})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// eachBackend runs fn against a fresh store of every backend, in parallel.
func eachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	checkLeaks(t)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b.open(t))
		})
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return c
}

var quiet = slog.New(slog.DiscardHandler)

// natsBus is an embedded server and a connection to it.
type natsBus struct {
	dir string
	srv *bus.Embedded
	bus *bus.Bus
}

func startBus(t testing.TB) *natsBus {
	t.Helper()
	dir := t.TempDir()
	// Listening, unlike the service's: the tests restart the server under
	// a live connection, which an in-process one does not survive.
	srv, err := bus.StartEmbedded(dir, bus.WithListen("127.0.0.1", 0))
	require.NoError(t, err)
	nb := &natsBus{dir: dir, srv: srv}
	t.Cleanup(func() { nb.srv.Shutdown() })
	nb.bus = connect(t, srv.ClientURL())
	require.NoError(t, nb.bus.EnsureStream(ctx(t), 1))
	return nb
}

func connect(t testing.TB, url string) *bus.Bus {
	t.Helper()
	b, err := bus.Connect(ctx(t), url, t.Name(),
		bus.WithReconnectWait(20*time.Millisecond, 10*time.Millisecond),
		bus.WithAckTimeout(2*time.Second),
		bus.WithLogger(quiet))
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

// recorder collects the batches a relay marks published, from its
// Published test signal, and lets a test wait for them.
type recorder struct {
	c       <-chan []store.OutboxEntry
	mu      sync.Mutex
	entries []store.OutboxEntry
}

func newRecorder(sig *relay.TestSignals) *recorder {
	return &recorder{c: sig.Published.C()}
}

// take adds what was signalled so far; the caller holds mu.
func (r *recorder) take() {
	for {
		select {
		case e := <-r.c:
			r.entries = append(r.entries, e...)
		default:
			return
		}
	}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.take()
	return len(r.entries)
}

// waitFor waits until n entries were published and returns them.
func (r *recorder) waitFor(t testing.TB, n int) []store.OutboxEntry {
	t.Helper()
	return r.waitWithin(t, n, 40*time.Second)
}

func (r *recorder) waitWithin(t testing.TB, n int, d time.Duration) []store.OutboxEntry {
	t.Helper()
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	for {
		r.mu.Lock()
		r.take()
		if len(r.entries) >= n {
			out := append([]store.OutboxEntry(nil), r.entries...)
			r.mu.Unlock()
			return out
		}
		have := len(r.entries)
		r.mu.Unlock()
		select {
		case e := <-r.c:
			r.mu.Lock()
			r.entries = append(r.entries, e...)
			r.mu.Unlock()
		case <-timeout.C:
			t.Fatalf("%d of %d entries published before the timeout", have, n)
		}
	}
}

// runner is a relay running in a goroutine.
type runner struct {
	*relay.Relay
	sig    *relay.TestSignals
	rec    *recorder
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
}

func startRelay(t *testing.T, st store.Store, pub relay.Publisher, opts relay.Options) *runner {
	t.Helper()
	return startRelayIn(context.Background(), t, st, pub, opts)
}

// startRelayIn runs the relay until parent ends or it is stopped.
// Each of before runs on the relay before it starts.
func startRelayIn(parent context.Context, t *testing.T, st store.Store, pub relay.Publisher, opts relay.Options, before ...func(*relay.Relay)) *runner {
	t.Helper()
	rn := &runner{reg: prometheus.NewRegistry(), done: make(chan error, 1)}
	if opts.PollInterval == 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 200 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	opts.Registerer = rn.reg
	r, err := relay.New(st, pub, opts)
	require.NoError(t, err)
	rn.Relay = r
	rn.sig = relay.InitTestSignals(r, t)
	rn.rec = newRecorder(rn.sig)
	for _, f := range before {
		f(r)
	}
	var c context.Context
	c, rn.cancel = context.WithCancel(parent)
	go func() { rn.done <- r.Run(c) }()
	t.Cleanup(func() { rn.stop(t) })
	return rn
}

// stop cancels the relay and waits for Run to return.
func (rn *runner) stop(t *testing.T) {
	t.Helper()
	rn.cancel()
	select {
	case err, ok := <-rn.done:
		if ok {
			require.NoError(t, err)
			close(rn.done)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("relay did not stop")
	}
}

// metric reads a counter or gauge of the relay.
func (rn *runner) metric(t *testing.T, name string) float64 {
	t.Helper()
	families, err := rn.reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		m := f.GetMetric()[0]
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// streamMessages reads the whole stream in order.
func streamMessages(t *testing.T, js jetstream.JetStream) []*jetstream.RawStreamMsg {
	t.Helper()
	s, err := js.Stream(ctx(t), bus.StreamName)
	require.NoError(t, err)
	info, err := s.Info(ctx(t))
	require.NoError(t, err)
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx(t), seq)
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}

// requireExactlyOnce checks that the stream holds exactly the events ids,
// each once, in increasing position order, and returns the stream's
// messages by event id.
func requireExactlyOnce(t *testing.T, msgs []*jetstream.RawStreamMsg, ids []uuid.UUID) map[uuid.UUID]*jetstream.RawStreamMsg {
	t.Helper()
	byID := make(map[uuid.UUID]*jetstream.RawStreamMsg, len(msgs))
	var last int64
	for _, m := range msgs {
		id, err := uuid.Parse(m.Header.Get(bus.MsgIDHeader))
		require.NoError(t, err)
		require.NotContains(t, byID, id, "event %s stored twice", id)
		byID[id] = m
		pos, err := strconv.ParseInt(m.Header.Get(bus.PositionHeader), 10, 64)
		require.NoError(t, err)
		require.Greater(t, pos, last, "stream in position order")
		last = pos
	}
	require.Len(t, msgs, len(ids))
	for _, id := range ids {
		require.Contains(t, byID, id, "event %s missing from the stream", id)
	}
	return byID
}

// requireOutboxEmpty checks, with the relay stopped, that nothing is left
// to publish.
func requireOutboxEmpty(t *testing.T, st store.Store) {
	t.Helper()
	ob, err := st.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer ob.Release()
	n, _, err := ob.Pending(ctx(t))
	require.NoError(t, err)
	require.Zero(t, n, "outbox not empty")
}

func pending(t *testing.T, st store.Store) int {
	t.Helper()
	ob, err := st.AcquireOutbox(ctx(t))
	require.NoError(t, err)
	defer ob.Release()
	n, _, err := ob.Pending(ctx(t))
	require.NoError(t, err)
	return n
}

// writeLessons commits n LessonPublished events, one unit of work each.
func writeLessons(t *testing.T, st store.Store, n int) []event.Envelope {
	t.Helper()
	teacher := uuid.New()
	evs := make([]event.Envelope, n)
	for i := range evs {
		ev := event.New(event.LessonPublished{LessonID: uuid.New(), TeacherID: teacher}, event.Meta{ActorID: teacher}, time.Now())
		_, _, err := st.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			return store.Outcome{ResourceID: ev.AggregateID, EventIDs: []uuid.UUID{ev.ID}}, tx.Append(ctx, store.ExpectNew, &ev)
		})
		require.NoError(t, err)
		evs[i] = ev
	}
	return evs
}

func ids(evs []event.Envelope) []uuid.UUID {
	out := make([]uuid.UUID, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// createPulse and respond write the way the use cases do.
func createPulse(t *testing.T, st store.Store) store.Pulse {
	t.Helper()
	teacher := uuid.New()
	p := store.Pulse{ID: uuid.New(), TeacherID: teacher, Title: "Check-in", CreatedAt: event.Timestamp(time.Now())}
	ev := event.New(event.LearningPulseCreated{PulseID: p.ID, TeacherID: teacher}, event.Meta{ActorID: teacher}, p.CreatedAt)
	_, _, err := st.Write(ctx(t), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		if err := tx.InsertPulse(ctx, p); err != nil {
			return store.Outcome{}, err
		}
		return store.Outcome{ResourceID: p.ID}, tx.Append(ctx, store.ExpectNew, &ev)
	})
	require.NoError(t, err)
	return p
}
