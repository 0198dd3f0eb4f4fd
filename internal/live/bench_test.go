package live_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

// BenchmarkDeliver measures one bus message's way to 100 subscribers, the
// event committed and positioned beforehand (not timed): the store read
// that checks the message against the store is in the timed part.
func BenchmarkDeliver(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			var st store.Store
			var err error
			if name == "sqlite" {
				st, err = sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "edupulse.db"))
			} else {
				st, err = postgres.Open(context.Background(), testpg.Database(b, postgres.Migrate), postgres.Options{})
			}
			require.NoError(b, err)
			defer st.Close()
			hub, err := live.New(context.Background(), st, live.Options{Buffer: 1 << 20})
			require.NoError(b, err)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for range 100 {
				ch, err := hub.Subscribe(ctx, live.Request{Actor: admin})
				require.NoError(b, err)
				go func() {
					for range ch {
					}
				}()
			}
			ob, err := st.AcquireOutbox(ctx)
			require.NoError(b, err)
			defer ob.Release()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				write(b, st)
				entries, err := ob.Claim(ctx, 10)
				require.NoError(b, err)
				require.Len(b, entries, 1)
				e, err := event.Unmarshal(entries[0].Body)
				require.NoError(b, err)
				e.Position = entries[0].Position
				require.NoError(b, ob.Ack(ctx, []uuid.UUID{e.ID}))
				b.StartTimer()
				require.NoError(b, hub.Deliver(ctx, e))
			}
		})
	}
}

func write(b *testing.B, st store.Store) {
	id := uuid.New()
	now := event.Timestamp(time.Now())
	ev := event.New(event.LearningPulseCreated{PulseID: id, TeacherID: teacher.ID}, event.Meta{ActorID: teacher.ID}, now)
	_, _, err := st.Write(context.Background(), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		if err := tx.InsertPulse(ctx, store.Pulse{ID: id, TeacherID: teacher.ID, Title: "t", CreatedAt: now}); err != nil {
			return store.Outcome{}, err
		}
		return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
	})
	require.NoError(b, err)
}
