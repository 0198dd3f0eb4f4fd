package bus_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/edupulse/edupulse-live/internal/bus"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func start(t *testing.T, dir string, opts ...bus.EmbeddedOption) *bus.Embedded {
	t.Helper()
	srv, err := bus.StartEmbedded(dir, opts...)
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	return srv
}

func connect(t *testing.T, url string) *bus.Bus {
	t.Helper()
	b, err := bus.Connect(ctx(t), url, t.Name(),
		bus.WithReconnectWait(20*time.Millisecond, 10*time.Millisecond),
		bus.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

// connectTo connects in-process to srv, as the service does.
func connectTo(t *testing.T, srv *bus.Embedded) *bus.Bus {
	t.Helper()
	b, err := bus.Connect(ctx(t), "", t.Name(), bus.InProcess(srv),
		bus.WithReconnectWait(20*time.Millisecond, 10*time.Millisecond),
		bus.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

func setup(t *testing.T) (*bus.Embedded, *bus.Bus) {
	t.Helper()
	srv := start(t, t.TempDir())
	b := connectTo(t, srv)
	require.NoError(t, b.EnsureStream(ctx(t), 1))
	return srv, b
}

func messages(n, from int) []bus.Message {
	msgs := make([]bus.Message, n)
	for i := range msgs {
		p := from + i
		msgs[i] = bus.Message{
			Subject:  "edupulse.web_social.lesson_published",
			ID:       fmt.Sprintf("event-%d", p),
			Position: int64(p),
			Body:     fmt.Appendf(nil, `{"n":%d}`, p),
		}
	}
	return msgs
}

func TestEnsureStreamCreatesTheContractStream(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	s, err := b.JetStream().Stream(ctx(t), bus.StreamName)
	require.NoError(t, err)
	cfg := s.CachedInfo().Config
	require.Equal(t, []string{"edupulse.>"}, cfg.Subjects)
	require.Equal(t, jetstream.FileStorage, cfg.Storage)
	require.Equal(t, 7*24*time.Hour, cfg.MaxAge)
	require.GreaterOrEqual(t, bus.DuplicateWindowOf(cfg), 2*time.Minute)
	require.Equal(t, bus.DuplicateWindow, bus.DuplicateWindowOf(cfg))
	require.Equal(t, 1, cfg.Replicas)
	require.NoError(t, b.EnsureStream(ctx(t), 1), "idempotent")
	require.NoError(t, b.Ping(ctx(t)))
}

func TestEnsureStreamUpdatesAnExistingStream(t *testing.T) {
	t.Parallel()
	srv := start(t, t.TempDir())
	b := connectTo(t, srv)
	js := b.JetStream()
	_, err := js.CreateStream(ctx(t), bus.WithDuplicateWindow(jetstream.StreamConfig{
		Name:     bus.StreamName,
		Subjects: []string{"edupulse.web_social.>"},
		Storage:  jetstream.FileStorage,
		MaxAge:   time.Hour,
		MaxBytes: 64 << 20, // an operator's choice, not the contract's
	}, 2*time.Minute))
	require.NoError(t, err)
	_, err = js.Publish(ctx(t), "edupulse.web_social.badge_awarded", []byte("kept"))
	require.NoError(t, err)

	require.NoError(t, b.EnsureStream(ctx(t), 1))

	s, err := js.Stream(ctx(t), bus.StreamName)
	require.NoError(t, err)
	info := s.CachedInfo()
	require.Equal(t, []string{"edupulse.>"}, info.Config.Subjects)
	require.Equal(t, bus.DuplicateWindow, bus.DuplicateWindowOf(info.Config), "a narrower window is widened")
	require.Equal(t, bus.MaxAge, info.Config.MaxAge)
	require.EqualValues(t, 64<<20, info.Config.MaxBytes, "settings outside the contract are kept")
	require.EqualValues(t, 1, info.State.Msgs, "updated in place, not recreated")

	// A wider window chosen by an operator is not narrowed.
	_, err = js.UpdateStream(ctx(t), bus.WithDuplicateWindow(info.Config, time.Hour))
	require.NoError(t, err)
	require.NoError(t, b.EnsureStream(ctx(t), 1))
	s, err = js.Stream(ctx(t), bus.StreamName)
	require.NoError(t, err)
	require.Equal(t, time.Hour, bus.DuplicateWindowOf(s.CachedInfo().Config))
}

func TestEnsureStreamRefusesConflicts(t *testing.T) {
	t.Parallel()

	t.Run("subjects owned by another stream", func(t *testing.T) {
		t.Parallel()
		srv := start(t, t.TempDir())
		b := connectTo(t, srv)
		_, err := b.JetStream().CreateStream(ctx(t), jetstream.StreamConfig{
			Name: "LEGACY", Subjects: []string{"edupulse.web_social.*"},
		})
		require.NoError(t, err)
		err = b.EnsureStream(ctx(t), 1)
		require.ErrorIs(t, err, bus.ErrSubjectsConflict)
		_, err = b.JetStream().Stream(ctx(t), bus.StreamName)
		require.ErrorIs(t, err, jetstream.ErrStreamNotFound, "nothing half-created")
		_, err = b.JetStream().Stream(ctx(t), "LEGACY")
		require.NoError(t, err, "the other stream is left alone")
	})

	t.Run("storage cannot change in place", func(t *testing.T) {
		t.Parallel()
		srv := start(t, t.TempDir())
		b := connectTo(t, srv)
		_, err := b.JetStream().CreateStream(ctx(t), jetstream.StreamConfig{
			Name: bus.StreamName, Subjects: []string{"edupulse.>"}, Storage: jetstream.MemoryStorage,
		})
		require.NoError(t, err)
		err = b.EnsureStream(ctx(t), 1)
		require.ErrorIs(t, err, bus.ErrStreamIncompatible)
	})

	t.Run("replicas on a single server", func(t *testing.T) {
		t.Parallel()
		srv := start(t, t.TempDir())
		b := connectTo(t, srv)
		err := b.EnsureStream(ctx(t), 3)
		require.ErrorIs(t, err, bus.ErrStreamIncompatible)
	})
}

func TestEnsureStreamConcurrently(t *testing.T) {
	t.Parallel()
	srv := start(t, t.TempDir())
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		b := connectTo(t, srv)
		wg.Go(func() { errs <- b.EnsureStream(ctx(t), 1) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestPublishBatch(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	msgs := messages(100, 1)
	acks, err := b.PublishBatch(ctx(t), msgs, 8)
	require.NoError(t, err)
	require.Len(t, acks, len(msgs))
	for i, a := range acks {
		require.EqualValues(t, i+1, a.Sequence)
		require.False(t, a.Duplicate)
	}

	s, err := b.JetStream().Stream(ctx(t), bus.StreamName)
	require.NoError(t, err)
	for i, m := range msgs {
		got, err := s.GetMsg(ctx(t), uint64(i+1))
		require.NoError(t, err)
		require.Equal(t, m.Subject, got.Subject)
		require.Equal(t, m.Body, got.Data)
		require.Equal(t, m.ID, got.Header.Get(bus.MsgIDHeader))
		require.Equal(t, fmt.Sprint(m.Position), got.Header.Get(bus.PositionHeader))
	}

	// Republished (a relay retrying a batch): stored once.
	acks, err = b.PublishBatch(ctx(t), msgs, 0)
	require.NoError(t, err)
	for i, a := range acks {
		require.True(t, a.Duplicate)
		require.EqualValues(t, i+1, a.Sequence, "the ack names the stored copy")
	}
	info, err := s.Info(ctx(t))
	require.NoError(t, err)
	require.EqualValues(t, len(msgs), info.State.Msgs)
}

func TestPublishBatchWithoutStreamFails(t *testing.T) {
	t.Parallel()
	srv := start(t, t.TempDir())
	b := connectTo(t, srv)
	_, err := b.PublishBatch(ctx(t), messages(3, 1), 0)
	require.Error(t, err, "nothing captures the subject: no responders, not a silent loss")
	require.Error(t, b.Ping(ctx(t)))
}

func TestRestartOnTheSameDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := bus.StartEmbedded(dir, bus.WithListen("127.0.0.1", 0))
	require.NoError(t, err)
	port := srv.Port()
	b := connect(t, srv.ClientURL())
	require.NoError(t, b.EnsureStream(ctx(t), 1))
	_, err = b.PublishBatch(ctx(t), messages(10, 1), 0)
	require.NoError(t, err)

	srv.Shutdown()
	require.Eventually(t, func() bool { return !b.Connected() }, 10*time.Second, 5*time.Millisecond)
	require.ErrorIs(t, b.Ping(ctx(t)), bus.ErrNotConnected)
	_, err = b.PublishBatch(ctx(t), messages(1, 11), 0)
	require.ErrorIs(t, err, bus.ErrNotConnected, "fails fast while down")

	start(t, dir, bus.WithListen("127.0.0.1", port))
	require.NoError(t, b.WaitConnected(ctx(t)))
	require.NoError(t, b.Ping(ctx(t)))
	acks, err := b.PublishBatch(ctx(t), messages(11, 1), 0)
	require.NoError(t, err)
	for i, a := range acks[:10] {
		require.True(t, a.Duplicate, "message %d survived the restart and is still de-duplicated", i+1)
	}
	require.False(t, acks[10].Duplicate)
	require.EqualValues(t, 11, acks[10].Sequence)
}

func TestConnectWhileTheServerIsDown(t *testing.T) {
	t.Parallel()
	// A free port nobody listens on yet.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	b := connect(t, fmt.Sprintf("nats://127.0.0.1:%d", port))
	require.False(t, b.Connected(), "Connect returns; the bus reconnects in the background")
	require.ErrorIs(t, b.Ping(ctx(t)), bus.ErrNotConnected)

	start(t, t.TempDir(), bus.WithListen("127.0.0.1", port))
	require.NoError(t, b.WaitConnected(ctx(t)))
	require.NoError(t, b.EnsureStream(ctx(t), 1))
	require.NoError(t, b.Ping(ctx(t)))
}
