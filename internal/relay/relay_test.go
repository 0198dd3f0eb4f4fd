package relay_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/relay"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/storetest"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

// Every committed event reaches the stream once, in position order, with
// its subject, headers and the store's exact body; the outbox ends empty.
func TestPublishesEveryEventOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		nb := startBus(t)
		before := writeLessons(t, st, 150)
		rn := startRelay(t, st, nb.bus, relay.Options{Batch: 64, Window: 16})
		rn.rec.waitFor(t, len(before))
		// Written while the relay runs, each followed by a wake-up.
		var after []event.Envelope
		for range 150 {
			after = append(after, writeLessons(t, st, 1)...)
			rn.Wake()
		}
		all := append(before, after...)
		published := rn.rec.waitFor(t, len(all))
		rn.stop(t)

		require.Len(t, published, len(all), "nothing published twice by the relay itself")
		msgs := streamMessages(t, nb.bus.JetStream())
		byID := requireExactlyOnce(t, msgs, ids(all))
		for i, e := range published {
			m := byID[e.EventID]
			require.EqualValues(t, i+1, m.Sequence, "published in claim order")
			require.Equal(t, e.Subject, m.Subject)
			require.Equal(t, e.Body, m.Data, "the store's body, byte for byte")
			require.Equal(t, strconv.FormatInt(e.Position, 10), m.Header.Get(bus.PositionHeader))

			stored, err := st.Event(ctx(t), e.EventID)
			require.NoError(t, err)
			require.Equal(t, stored.Subject(), m.Subject)
			require.Equal(t, stored.Position, e.Position)
			body, err := event.Marshal(stored)
			require.NoError(t, err)
			require.Equal(t, body, m.Data)
		}
		require.InDelta(t, float64(len(all)), rn.metric(t, "edupulse_relay_published_events_total"), 0)
		require.Zero(t, rn.metric(t, "edupulse_relay_duplicate_events_total"))
		requireOutboxEmpty(t, st)
	})
}

// NATS is down while events are written: the writes succeed, the relay
// keeps retrying, and once the server is back (same data directory, same
// port) every event arrives once.
func TestBusDownWhileWriting(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		nb := startBus(t)
		port := nb.srv.Port()
		rn := startRelay(t, st, nb.bus, relay.Options{Batch: 32})
		first := writeLessons(t, st, 40)
		rn.Wake()
		rn.rec.waitFor(t, len(first))

		nb.srv.Shutdown()
		require.NoError(t, waitDisconnected(t, nb.bus))
		start := time.Now()
		during := writeLessons(t, st, 60)
		require.Less(t, time.Since(start), 20*time.Second, "writes do not wait for the bus")
		rn.Wake()
		require.ErrorIs(t, rn.sig.PublishError.WaitOrTimeout(), bus.ErrNotConnected, "the relay tried, and failed, while the bus was down")
		require.Equal(t, len(first), rn.rec.count())

		srv, err := bus.StartEmbedded(nb.dir, bus.WithListen("127.0.0.1", port))
		require.NoError(t, err)
		nb.srv = srv
		all := append(first, during...)
		rn.rec.waitFor(t, len(all))
		rn.stop(t)

		requireExactlyOnce(t, streamMessages(t, nb.bus.JetStream()), ids(all))
		require.GreaterOrEqual(t, rn.metric(t, "edupulse_relay_publish_errors_total"), 1.0)
		requireOutboxEmpty(t, st)
	})
}

func waitDisconnected(t *testing.T, b *bus.Bus) error {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for b.Connected() {
		if time.Now().After(deadline) {
			return errors.New("still connected")
		}
		// The client reports a lost connection only through handlers the
		// bus keeps to itself: poll its state.
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

var errCrash = errors.New("simulated crash between publish and mark")

// A relay dies after the bus acknowledged a batch and before the store
// marked it: the next relay republishes the batch, the stream keeps one
// copy of each event (Nats-Msg-Id), and the outbox ends empty.
func TestCrashBetweenPublishAndMark(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		nb := startBus(t)
		evs := writeLessons(t, st, 40)

		crash := make(chan []store.OutboxEntry, 1)
		alive, kill := context.WithCancel(context.Background())
		defer kill()
		first := startRelayIn(alive, t, st, nb.bus, relay.Options{Batch: 16}, func(r *relay.Relay) {
			relay.SetAfterPublish(r, func(entries []store.OutboxEntry) error {
				kill() // the process is gone: nothing after this runs
				crash <- append([]store.OutboxEntry(nil), entries...)
				return errCrash
			})
		})
		crashed := <-crash
		first.stop(t)
		require.Len(t, crashed, 16)
		require.Zero(t, first.rec.count(), "nothing marked")
		require.Len(t, streamMessages(t, nb.bus.JetStream()), 16, "the batch reached the stream")
		require.Equal(t, len(evs), pending(t, st), "but the outbox still holds it")

		second := startRelay(t, st, nb.bus, relay.Options{Batch: 16})
		published := second.rec.waitFor(t, len(evs))
		second.stop(t)

		require.Equal(t, crashed, published[:16], "the unmarked batch is offered again first, same positions")
		requireExactlyOnce(t, streamMessages(t, nb.bus.JetStream()), ids(evs))
		require.InDelta(t, 16.0, second.metric(t, "edupulse_relay_duplicate_events_total"), 0,
			"the republished batch was recognised, not stored again")
		requireOutboxEmpty(t, st)
	})
}

// Fifty students answer one pulse at once while the relay runs: the stream
// holds the pulse's versions 1..51 in increasing order.
func TestAggregateOrderUnderConcurrentWriters(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		nb := startBus(t)
		rn := startRelay(t, st, nb.bus, relay.Options{Batch: 8, Window: 4})
		p := createPulse(t, st)
		rn.Wake()

		const students = 50
		var wg sync.WaitGroup
		errs := make(chan error, students)
		for range students {
			wg.Go(func() {
				_, err := storetest.Respond(ctx(t), st, p.ID, uuid.New())
				rn.Wake()
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		rn.rec.waitFor(t, students+1)
		rn.stop(t)

		var versions []int64
		for _, m := range streamMessages(t, nb.bus.JetStream()) {
			ev, err := event.Unmarshal(m.Data)
			require.NoError(t, err)
			require.Equal(t, p.ID, ev.AggregateID)
			versions = append(versions, ev.Version)
		}
		require.Len(t, versions, students+1)
		for i, v := range versions {
			require.EqualValues(t, i+1, v, "versions in order, none missing: %v", versions)
		}
	})
}

// Two instances share one PostgreSQL database: one relay publishes, the
// other waits; when the leader stops, the standby takes over, and the
// stream ends with every event once. Wake-ups cross instances through
// LISTEN/NOTIFY.
func TestTwoRelaysOneDatabase(t *testing.T) {
	checkLeaks(t)
	url := testpg.Database(t, postgres.Migrate)
	a, b := openPostgres(t, url), openPostgres(t, url)
	nb := startBus(t)

	opts := func(st *postgres.Store) relay.Options {
		return relay.Options{Batch: 8, PollInterval: 2 * time.Second, Notify: st.Notify}
	}
	var publishing, maxPublishing atomic.Int32
	pub := func() relay.Publisher {
		return &watched{next: connect(t, nb.srv.ClientURL()), in: &publishing, max: &maxPublishing}
	}
	ra := startRelay(t, a, pub(), opts(a))
	require.True(t, ra.sig.Leader.WaitOrTimeout())
	rb := startRelay(t, b, pub(), opts(b))
	listen(t, a, ra.WakeFromPeer)
	listen(t, b, rb.WakeFromPeer)

	// Written on instance b, published by a's relay.
	firstHalf := writeLessons(t, b, 30)
	rb.Wake()
	ra.rec.waitFor(t, len(firstHalf))
	require.Zero(t, rb.rec.count(), "the standby publishes nothing")
	require.Empty(t, rb.sig.Leader.C(), "nor holds the outbox")

	more := writeLessons(t, b, 10)
	rb.Wake()
	ra.stop(t) // the leader goes away, maybe with a batch claimed
	require.True(t, rb.sig.Leader.WaitOrTimeout())
	secondHalf := writeLessons(t, a, 20)
	rb.Wake() // as a's own commits would, were its relay still running
	all := append(append(firstHalf, more...), secondHalf...)
	rb.rec.waitFor(t, len(all)-ra.rec.count())
	rb.stop(t)

	require.EqualValues(t, 1, maxPublishing.Load(), "never two relays publishing at once")
	requireExactlyOnce(t, streamMessages(t, nb.bus.JetStream()), ids(all))
	requireOutboxEmpty(t, a)
}

func raise(maximum *atomic.Int32, n int32) {
	for m := maximum.Load(); n > m && !maximum.CompareAndSwap(m, n); m = maximum.Load() {
	}
}

// watched counts the batches being published at once through all its
// instances.
type watched struct {
	next    relay.Publisher
	in, max *atomic.Int32
}

func (w *watched) PublishBatch(ctx context.Context, msgs []bus.Message, window int) ([]bus.PubAck, error) {
	raise(w.max, w.in.Add(1))
	defer w.in.Add(-1)
	return w.next.PublishBatch(ctx, msgs, window)
}

func listen(t *testing.T, st *postgres.Store, wake func()) {
	t.Helper()
	c, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { st.Listen(c, wake); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// A NOTIFY sent by one store reaches another's Listen, also after the
// listening connection was killed.
func TestListenNotify(t *testing.T) {
	checkLeaks(t)
	url := testpg.Database(t, postgres.Migrate)
	a, b := openPostgres(t, url), openPostgres(t, url)
	woke := make(chan struct{}, 1)
	listen(t, a, func() {
		select {
		case woke <- struct{}{}:
		default:
		}
	})
	expectWake := func() {
		t.Helper()
		select {
		case <-woke:
		case <-ctx(t).Done():
			t.Fatal("no wake-up")
		}
	}
	expectWake() // connected
	require.NoError(t, b.Notify(ctx(t)))
	expectWake()

	_, err := b.Pool().Exec(ctx(t), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`)
	require.NoError(t, err)
	expectWake() // reconnected (notifications in between may be lost)
	require.NoError(t, b.Notify(ctx(t)))
	expectWake()
}

// A standby forwards the wake-ups of local commits with Notify (the leader
// runs elsewhere); wake-ups from peers are not forwarded back.
func TestStandbyForwardsWakeUps(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		holder, err := st.AcquireOutbox(ctx(t)) // the leader, elsewhere
		require.NoError(t, err)
		notified := make(chan struct{}, 16)
		rn := startRelay(t, st, nil, relay.Options{Notify: func(context.Context) error {
			notified <- struct{}{}
			return nil
		}})
		rn.Wake()
		<-notified
		rn.WakeFromPeer()
		rn.stop(t)
		holder.Release()
		require.Empty(t, notified)
	})
}

// When the store fails under the leader (its connection killed), the relay
// releases the outbox, takes it again and carries on.
func TestLeaderConnectionLost(t *testing.T) {
	checkLeaks(t)
	st := openPostgres(t, testpg.Database(t, postgres.Migrate))
	nb := startBus(t)
	rn := startRelay(t, st, nb.bus, relay.Options{})
	require.True(t, rn.sig.Leader.WaitOrTimeout())
	first := writeLessons(t, st, 5)
	rn.Wake()
	rn.rec.waitFor(t, len(first))

	_, err := st.Pool().Exec(ctx(t), `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	require.NoError(t, err)
	rn.Wake() // the next Claim runs on the dead connection
	require.False(t, rn.sig.Leader.WaitOrTimeout())
	require.True(t, rn.sig.Leader.WaitOrTimeout())

	second := writeLessons(t, st, 5)
	rn.Wake()
	rn.rec.waitFor(t, len(first)+len(second))
	rn.stop(t)
	requireExactlyOnce(t, streamMessages(t, nb.bus.JetStream()), ids(append(first, second...)))
}

// flaky fails its first publishes, then passes them on.
type flaky struct {
	next  relay.Publisher
	fails atomic.Int32
}

func (f *flaky) PublishBatch(ctx context.Context, msgs []bus.Message, window int) ([]bus.PubAck, error) {
	if f.fails.Add(-1) >= 0 {
		// Half the batch got through before the failure.
		if _, err := f.next.PublishBatch(ctx, msgs[:len(msgs)/2], window); err != nil {
			return nil, err
		}
		return nil, errors.New("injected failure")
	}
	return f.next.PublishBatch(ctx, msgs, window)
}

// A batch that fails part-way is retried whole, the stream keeps one copy
// of each event, in order.
func TestFailedBatchIsRetriedWhole(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		nb := startBus(t)
		pub := &flaky{next: nb.bus}
		pub.fails.Store(3)
		evs := writeLessons(t, st, 20)
		rn := startRelay(t, st, pub, relay.Options{Batch: 10, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
		rn.rec.waitFor(t, len(evs))
		rn.stop(t)
		requireExactlyOnce(t, streamMessages(t, nb.bus.JetStream()), ids(evs))
		require.InDelta(t, 3.0, rn.metric(t, "edupulse_relay_publish_errors_total"), 0)
		require.InDelta(t, 5.0, rn.metric(t, "edupulse_relay_duplicate_events_total"), 0)
	})
}

type unreachable struct{}

func (unreachable) PublishBatch(context.Context, []bus.Message, int) ([]bus.PubAck, error) {
	return nil, bus.ErrNotConnected
}

// A leader that cannot publish for HandOverAfter lets go of the outbox, so
// that an instance that can reach the bus may take it.
func TestHandsOverAfterLongFailure(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		writeLessons(t, st, 3)
		rn := startRelay(t, st, unreachable{}, relay.Options{
			HandOverAfter: 50 * time.Millisecond,
			MinBackoff:    time.Millisecond,
			MaxBackoff:    10 * time.Millisecond,
			PollInterval:  10 * time.Millisecond,
		})
		require.True(t, rn.sig.Leader.WaitOrTimeout())
		require.False(t, rn.sig.Leader.WaitOrTimeout(), "released")
		require.True(t, rn.sig.Leader.WaitOrTimeout(), "and, nobody else waiting, taken again")
		rn.stop(t)
		require.Equal(t, 3, pending(t, st), "nothing lost meanwhile")
	})
}
