package chaos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A run's records: pulse A has versions 1..3, pulse B 1..2; positions follow
// the publish order A1 B1 A2 A3 B2.
var (
	t0    = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	store = []StoredEvent{
		{ID: "a1", Aggregate: "A", Version: 1, Position: 1},
		{ID: "b1", Aggregate: "B", Version: 1, Position: 2},
		{ID: "a2", Aggregate: "A", Version: 2, Position: 3},
		{ID: "a3", Aggregate: "A", Version: 3, Position: 4},
		{ID: "b2", Aggregate: "B", Version: 2, Position: 5},
	}
)

func cleanStream() []StreamMsg {
	out := make([]StreamMsg, len(store))
	for i, e := range store {
		out[i] = StreamMsg{Seq: uint64(i + 1), ID: e.ID, Aggregate: e.Aggregate, Version: e.Version}
	}
	return out
}

func acks() []Ack {
	out := make([]Ack, len(store))
	for i, e := range store {
		out[i] = Ack{Op: "op", EventID: e.ID, Aggregate: e.Aggregate, Version: e.Version, At: t0}
	}
	return out
}

func deliveries(ids ...string) []Delivery {
	by := map[string]StoredEvent{}
	for _, e := range store {
		by[e.ID] = e
	}
	out := make([]Delivery, len(ids))
	for i, id := range ids {
		e := by[id]
		out[i] = Delivery{ID: id, Aggregate: e.Aggregate, Version: e.Version, At: t0.Add(time.Duration(i) * time.Second)}
	}
	return out
}

// admin subscribes after a1 (position 1): it must get b1 a2 a3 b2.
func admin(ids ...string) SubLog {
	return SubLog{Name: "events#1", StartEventID: "a1", StartPosition: 1, Received: deliveries(ids...)}
}

func TestReconcileClean(t *testing.T) {
	t.Parallel()
	r := Reconcile(store, cleanStream(), acks(), []SubLog{
		admin("b1", "a2", "a3", "b2"),
		// Another interleaving of the aggregates is fine: only each
		// aggregate's order is promised.
		admin("a2", "b1", "b2", "a3"),
		{Name: "pulse A", Aggregate: "A", StartEventID: "a1", StartVersion: 1, Received: deliveries("a2", "a3")},
	}, 0)
	assert.True(t, r.OK(), "%+v", r.Issues)
	assert.Equal(t, 5, r.Acked)
	assert.Equal(t, 10, r.Deliveries)
}

func TestReconcileSubscriberLossDuplicateOrder(t *testing.T) {
	t.Parallel()
	r := Reconcile(store, cleanStream(), acks(), []SubLog{
		admin("b1", "a3", "a2", "b1"), // a3 before a2; b1 twice; b2 lost
	}, 0)
	assert.Equal(t, Counts{Lost: 1, Duplicated: 1, OutOfOrder: 1}, r.Subscribers)
	assert.Equal(t, Counts{}, r.Stream)
	assert.Equal(t, Counts{}, r.Store)
	assert.False(t, r.OK())
	kinds := map[string]string{}
	for _, is := range r.Issues {
		kinds[is.Kind] = is.What
	}
	assert.Contains(t, kinds["lost"], "b2")
	assert.Contains(t, kinds["duplicated"], "b1")
	assert.Contains(t, kinds["out of order"], "A v2 after v3")
}

func TestReconcileSubscriberBeforeStartCursor(t *testing.T) {
	t.Parallel()
	// a1 is the start cursor itself: delivering it again is a duplicate as
	// far as the client can tell.
	r := Reconcile(store, cleanStream(), acks(), []SubLog{admin("a1", "b1", "a2", "a3", "b2")}, 0)
	assert.Equal(t, Counts{Unexpected: 1}, r.Subscribers)
	assert.False(t, r.OK())
}

func TestReconcilePulseSubscriberSeesOnlyItsPulse(t *testing.T) {
	t.Parallel()
	r := Reconcile(store, cleanStream(), acks(), []SubLog{
		{Name: "pulse B", Aggregate: "B", StartEventID: "b1", StartVersion: 1, Received: deliveries("b2", "a2")},
	}, 0)
	assert.Equal(t, Counts{Unexpected: 1}, r.Subscribers)
	r = Reconcile(store, cleanStream(), acks(), []SubLog{
		{Name: "pulse A", Aggregate: "A", StartEventID: "a1", StartVersion: 1, Received: deliveries("a3")},
	}, 0)
	assert.Equal(t, Counts{Lost: 1, OutOfOrder: 0}, r.Subscribers)
}

func TestReconcileStream(t *testing.T) {
	t.Parallel()
	s := cleanStream()
	s[2], s[3] = s[3], s[2]                                                // a3 before a2
	s = append(s[:1], s[2:]...)                                            // b1 lost
	s = append(s, StreamMsg{Seq: 9, ID: "b2", Aggregate: "B", Version: 2}) // b2 twice
	r := Reconcile(store, s, acks(), nil, 0)
	assert.Equal(t, Counts{Lost: 1, Duplicated: 1, OutOfOrder: 1}, r.Stream)
	assert.False(t, r.OK())
}

func TestReconcileStore(t *testing.T) {
	t.Parallel()
	a := acks()
	a = append(a, Ack{Op: "respondToPulse", EventID: "zz", Aggregate: "A", Version: 4, At: t0})
	a[0].Version = 7
	r := Reconcile(store, cleanStream(), a, nil, 2)
	assert.Equal(t, Counts{Lost: 1, Unexpected: 1}, r.Store)
	assert.Equal(t, Counts{Lost: 1, Duplicated: 2, Unexpected: 1}, r.Total())
	require.Len(t, r.Issues, 3)
	assert.Equal(t, "mismatch", r.Issues[0].Kind)
	assert.Equal(t, "lost", r.Issues[1].Kind)
	assert.Equal(t, "duplicated", r.Issues[2].Kind)
}

func TestUnpublishedEventIsOwedToAdmins(t *testing.T) {
	t.Parallel()
	st := append(append([]StoredEvent{}, store...), StoredEvent{ID: "c1", Aggregate: "C", Version: 1})
	r := Reconcile(st, cleanStream(), acks(), []SubLog{admin("b1", "a2", "a3", "b2")}, 0)
	assert.Equal(t, Counts{Lost: 1}, r.Stream)
	assert.Equal(t, Counts{Lost: 1}, r.Subscribers)
	assert.Equal(t, 1, missing(st, admin("b1", "a2", "a3", "b2")))
}
