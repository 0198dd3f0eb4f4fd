package relay_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/relay"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

const benchEvents = 20_000

// BenchmarkRelay measures the relay draining 20,000 pending events into
// the embedded server, next to a floor measured in the same run: a raw
// JetStream async-publish loop of 20,000 bodies of the same shape, with
// the same headers (no store, nothing marked). Compare events/s; the
// relay sub-benchmarks also report their fraction of the floor as
// "of_raw".
//
//	go test -run '^$' -bench BenchmarkRelay -benchtime 3x ./internal/relay/
func BenchmarkRelay(b *testing.B) {
	nb := startBus(b)
	js := nb.bus.JetStream()
	var raw float64

	b.Run("raw", func(b *testing.B) {
		bodies := benchBodies(b)
		for b.Loop() {
			b.StopTimer()
			resetStream(b, js)
			b.StartTimer()
			for _, m := range bodies {
				if _, err := js.PublishMsgAsync(&nats.Msg{Subject: m.Subject, Data: m.Body,
					Header: nats.Header{bus.PositionHeader: []string{strconv.FormatInt(m.Position, 10)}}},
					jetstream.WithMsgID(m.ID)); err != nil {
					b.Fatal(err)
				}
			}
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				b.Fatal("acks missing")
			}
		}
		raw = reportRate(b)
	})

	for _, be := range []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"relay/sqlite", func(b *testing.B) store.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "edupulse.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(s.Close)
			return s
		}},
		{"relay/postgres", func(b *testing.B) store.Store {
			s, err := postgres.Open(context.Background(), testpg.Database(b, postgres.Migrate), postgres.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(s.Close)
			return s
		}},
	} {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			for b.Loop() {
				b.StopTimer()
				resetStream(b, js)
				writeBulk(b, st, benchEvents)
				r, err := relay.New(st, nb.bus, relay.Options{Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				rec := newRecorder(relay.InitTestSignals(r, b))
				c, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				b.StartTimer()
				go func() { done <- r.Run(c) }()
				rec.waitWithin(b, benchEvents, 2*time.Minute)
				b.StopTimer()
				cancel()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			rate := reportRate(b)
			if raw > 0 {
				b.ReportMetric(rate/raw, "of_raw")
			}
		})
	}
}

func reportRate(b *testing.B) float64 {
	rate := float64(benchEvents) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "events/s")
	return rate
}

// resetStream starts the stream afresh, so that every iteration publishes
// into an empty stream with an empty duplicate window.
func resetStream(b *testing.B, js jetstream.JetStream) {
	if err := js.DeleteStream(ctx(b), bus.StreamName); err != nil {
		b.Fatal(err)
	}
	if err := bus.EnsureStream(ctx(b), js, 1); err != nil {
		b.Fatal(err)
	}
}

// benchBodies encodes benchEvents events as the store would.
func benchBodies(b *testing.B) []bus.Message {
	teacher := uuid.New()
	out := make([]bus.Message, benchEvents)
	for i := range out {
		ev := event.New(event.LessonPublished{LessonID: uuid.New(), TeacherID: teacher}, event.Meta{ActorID: teacher}, time.Now())
		ev.Version = 1
		body, err := event.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = bus.Message{Subject: ev.Subject(), ID: ev.ID.String(), Position: int64(i + 1), Body: body}
	}
	return out
}

// writeBulk commits n LessonPublished events, 500 per unit of work.
func writeBulk(b *testing.B, st store.Store, n int) {
	teacher := uuid.New()
	for n > 0 {
		k := min(n, 500)
		n -= k
		_, _, err := st.Write(ctx(b), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
			for range k {
				ev := event.New(event.LessonPublished{LessonID: uuid.New(), TeacherID: teacher}, event.Meta{ActorID: teacher}, time.Now())
				if err := tx.Append(ctx, store.ExpectNew, &ev); err != nil {
					return store.Outcome{}, err
				}
			}
			return store.Outcome{}, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
