package chaos

import (
	"fmt"
	"sort"
	"time"
)

// StoredEvent is one row of the event store, as read straight from
// PostgreSQL after the run.
type StoredEvent struct {
	ID        string
	Aggregate string
	Version   int64
	// Position is the event's place in the publish order; 0 when the relay
	// never claimed it (it then cannot have reached the stream or anyone).
	Position int64
}

// StreamMsg is one message of the EDUPULSE stream, in stream order.
type StreamMsg struct {
	Seq       uint64
	ID        string // Nats-Msg-Id
	Aggregate string
	Version   int64
}

// Ack is a mutation the server answered with success: its event must exist.
type Ack struct {
	Op        string
	EventID   string
	Aggregate string
	Version   int64
	At        time.Time
	Instance  int
}

// Delivery is one event a subscriber received.
type Delivery struct {
	ID        string
	Aggregate string
	Version   int64
	At        time.Time
}

// SubLog is everything one subscriber received, in the order received, and
// where it started: what it must have received follows from that.
type SubLog struct {
	Name string
	// Aggregate empty: an admin `events` subscriber, which sees every event
	// after StartPosition. Set: a `pulseEvents` subscriber of that pulse,
	// which sees its events after StartVersion.
	Aggregate     string
	StartEventID  string
	StartPosition int64
	StartVersion  int64
	Received      []Delivery
}

// Issue is one finding of Reconcile, for the detailed listing.
type Issue struct {
	Where string // "store", "stream" or a subscriber's name
	Kind  string // "lost", "duplicated", "out of order", "unexpected", "mismatch"
	What  string
}

// Counts are the findings of one check.
type Counts struct {
	Lost, Duplicated, OutOfOrder, Unexpected int
}

func (c Counts) bad() int { return c.Lost + c.Duplicated + c.OutOfOrder + c.Unexpected }

func (c *Counts) add(o Counts) {
	c.Lost += o.Lost
	c.Duplicated += o.Duplicated
	c.OutOfOrder += o.OutOfOrder
	c.Unexpected += o.Unexpected
}

// Reconciliation is the verdict of the run.
type Reconciliation struct {
	Acked        int // acknowledged mutations
	StoreEvents  int
	StreamMsgs   int
	Deliveries   int // deliveries at subscribers, duplicates included
	Store        Counts
	Stream       Counts
	Subscribers  Counts
	DupWrites    int // logical writes that committed more than once
	Issues       []Issue
	issuesCapped int
}

// Total sums every check: what must be zero for the run to pass.
func (r *Reconciliation) Total() Counts {
	var t Counts
	t.add(r.Store)
	t.add(r.Stream)
	t.add(r.Subscribers)
	t.Duplicated += r.DupWrites
	return t
}

// OK reports a clean run.
func (r *Reconciliation) OK() bool { return r.Total().bad() == 0 }

const maxIssues = 200

func (r *Reconciliation) issue(where, kind, format string, args ...any) {
	if len(r.Issues) >= maxIssues {
		r.issuesCapped++
		return
	}
	r.Issues = append(r.Issues, Issue{Where: where, Kind: kind, What: fmt.Sprintf(format, args...)})
}

// Reconcile checks the run's records against the store and the stream:
//
//   - store: every acknowledged mutation's event is there (with the
//     aggregate and version the server answered); dupWrites counts logical
//     writes that committed twice (found by the caller from the domain rows);
//   - stream: every stored event is in the stream exactly once, nothing else
//     is, and each aggregate's events come in version order;
//   - subscribers: each received every event visible to it after its start
//     cursor exactly once, nothing before it, each aggregate in version order.
func Reconcile(store []StoredEvent, stream []StreamMsg, acks []Ack, subs []SubLog, dupWrites int) *Reconciliation {
	r := &Reconciliation{Acked: len(acks), StoreEvents: len(store), StreamMsgs: len(stream), DupWrites: dupWrites}
	byID := make(map[string]StoredEvent, len(store))
	for _, e := range store {
		byID[e.ID] = e
	}

	for _, a := range acks {
		e, ok := byID[a.EventID]
		switch {
		case !ok:
			r.Store.Lost++
			r.issue("store", "lost", "%s acknowledged at %s (event %s, %s v%d) is not in the store",
				a.Op, a.At.Format(timeFmt), a.EventID, a.Aggregate, a.Version)
		case e.Aggregate != a.Aggregate || e.Version != a.Version:
			r.Store.Unexpected++
			r.issue("store", "mismatch", "event %s answered as %s v%d, stored as %s v%d",
				a.EventID, a.Aggregate, a.Version, e.Aggregate, e.Version)
		}
	}
	if dupWrites > 0 {
		r.issue("store", "duplicated", "%d logical writes committed more than once", dupWrites)
	}

	r.Stream = checkStream(r, byID, stream)

	for _, s := range subs {
		r.Deliveries += len(s.Received)
		r.Subscribers.add(checkSubscriber(r, store, s))
	}
	if r.issuesCapped > 0 {
		r.Issues = append(r.Issues, Issue{Where: "-", Kind: "-", What: fmt.Sprintf("%d more issues not listed", r.issuesCapped)})
	}
	return r
}

func checkStream(r *Reconciliation, byID map[string]StoredEvent, stream []StreamMsg) Counts {
	var c Counts
	count := make(map[string]int, len(stream))
	last := map[string]int64{}
	for _, m := range stream {
		count[m.ID]++
		if count[m.ID] > 1 {
			c.Duplicated++
			r.issue("stream", "duplicated", "event %s (%s v%d) again at seq %d", m.ID, m.Aggregate, m.Version, m.Seq)
			continue
		}
		if _, ok := byID[m.ID]; !ok {
			c.Unexpected++
			r.issue("stream", "unexpected", "seq %d: event %s is not in the store", m.Seq, m.ID)
		}
		if prev, ok := last[m.Aggregate]; ok && m.Version <= prev {
			c.OutOfOrder++
			r.issue("stream", "out of order", "seq %d: %s v%d after v%d", m.Seq, m.Aggregate, m.Version, prev)
		}
		last[m.Aggregate] = max(last[m.Aggregate], m.Version)
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		if count[id] == 0 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		e := byID[id]
		c.Lost++
		r.issue("stream", "lost", "event %s (%s v%d, position %d) is not in the stream", id, e.Aggregate, e.Version, e.Position)
	}
	return c
}

// expected is what s must have received, in the store's order.
func expected(store []StoredEvent, s SubLog) []StoredEvent {
	var out []StoredEvent
	for _, e := range store {
		if s.Aggregate == "" {
			// Unpublished events (position 0) are expected too: they were
			// committed, so they are owed to every live subscriber.
			if e.Position == 0 || e.Position > s.StartPosition {
				out = append(out, e)
			}
		} else if e.Aggregate == s.Aggregate && e.Version > s.StartVersion {
			out = append(out, e)
		}
	}
	return out
}

func checkSubscriber(r *Reconciliation, store []StoredEvent, s SubLog) Counts {
	var c Counts
	want := expected(store, s)
	wantSet := make(map[string]bool, len(want))
	for _, e := range want {
		wantSet[e.ID] = true
	}
	seen := make(map[string]int, len(s.Received))
	last := map[string]int64{}
	for i, d := range s.Received {
		seen[d.ID]++
		if seen[d.ID] > 1 {
			c.Duplicated++
			r.issue(s.Name, "duplicated", "delivery #%d at %s: event %s (%s v%d) received again",
				i+1, d.At.Format(timeFmt), d.ID, d.Aggregate, d.Version)
			continue
		}
		if !wantSet[d.ID] {
			c.Unexpected++
			r.issue(s.Name, "unexpected", "delivery #%d at %s: event %s (%s v%d) is not after the start cursor, or not stored",
				i+1, d.At.Format(timeFmt), d.ID, d.Aggregate, d.Version)
		}
		if prev, ok := last[d.Aggregate]; ok && d.Version <= prev {
			c.OutOfOrder++
			r.issue(s.Name, "out of order", "delivery #%d at %s: %s v%d after v%d",
				i+1, d.At.Format(timeFmt), d.Aggregate, d.Version, prev)
		}
		last[d.Aggregate] = max(last[d.Aggregate], d.Version)
	}
	for _, e := range want {
		if seen[e.ID] == 0 {
			c.Lost++
			r.issue(s.Name, "lost", "event %s (%s v%d, position %d) never received", e.ID, e.Aggregate, e.Version, e.Position)
		}
	}
	return c
}

// missing counts the events s still lacks: the end of the run waits for it
// to reach zero before reconciling, so that a slow catch-up is not a loss.
func missing(store []StoredEvent, s SubLog) int {
	got := make(map[string]bool, len(s.Received))
	for _, d := range s.Received {
		got[d.ID] = true
	}
	n := 0
	for _, e := range expected(store, s) {
		if !got[e.ID] {
			n++
		}
	}
	return n
}

const timeFmt = "15:04:05.000"
