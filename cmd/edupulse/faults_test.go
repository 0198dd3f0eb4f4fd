package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

// NATS goes down while students answer: the mutations keep succeeding, the
// subscriber still gets every answer (from the store, while the bus is
// away), and once NATS is back on the same directory everything committed
// is in the stream exactly once, and nothing reaches the subscriber twice.
func TestBusOutageLosesAndDoublesNothing(t *testing.T) {
	t.Parallel()
	natsDir := t.TempDir()
	emb, err := bus.StartEmbedded(natsDir, bus.WithListen("127.0.0.1", 0)) // restarted below under live connections
	require.NoError(t, err)
	port := emb.Port()
	n := startNode(t, t.TempDir(), testpg.Database(t, postgres.Migrate), emb.ClientURL())

	pulse := createPulse(t, n)
	sub, err := dial(t, n, "graphql-transport-ws", tokenFor(t, teacherA))
	require.NoError(t, err)
	sub.ack()
	sub.subscribe("1", pulseSub, map[string]any{"p": pulse})
	n.awaitSubscriptions(t, 1)

	respond(t, n, pulse, newStudent(), "before")
	require.Equal(t, 2, sub.next("1", 1)[0].Version)

	emb.Shutdown()
	for range 5 {
		respond(t, n, pulse, newStudent(), "during") // never blocked by the bus
	}
	during := sub.next("1", 5)
	for i, e := range during {
		require.Equal(t, i+3, e.Version, "delivered while the bus is down, in order")
	}

	emb, err = bus.StartEmbedded(natsDir, bus.WithListen("127.0.0.1", port))
	require.NoError(t, err)
	t.Cleanup(emb.Shutdown)
	respond(t, n, pulse, newStudent(), "after")
	require.Equal(t, 8, sub.next("1", 1)[0].Version)
	sub.quiet() // the republished outage events are not delivered again

	// The stream holds each committed event once: created + 7 answers.
	requireStreamHolds(t, emb.ClientURL(), 8, "8 events in the stream, each once")
}

// A thousand subscriptions over fifty sockets, opened and closed, leave no
// goroutine behind.
func TestThousandWebsocketSubscriptionsLeaveNoGoroutine(t *testing.T) {
	n := startNode(t, t.TempDir(), "", "")
	pulse := createPulse(t, n)
	// The baseline is taken once the pulse's event has been through the
	// relay and the hub, whose goroutines for it are then gone.
	require.Eventually(t, func() bool { return n.in.hub.Head() >= 1 }, 20*time.Second, time.Millisecond)
	before := runtime.NumGoroutine()

	var clients []*wsClient
	for range 50 {
		c, err := dial(t, n, "graphql-transport-ws", tokenFor(t, teacherA))
		require.NoError(t, err)
		c.ack()
		for j := range 20 {
			c.subscribe(string(rune('a'+j)), pulseSub, map[string]any{"p": pulse})
		}
		clients = append(clients, c)
	}
	require.Eventually(t, func() bool { return n.in.hub.Subscriptions() == 1000 }, 20*time.Second, 10*time.Millisecond,
		"every subscription is registered with the hub")
	respond(t, n, pulse, newStudent(), "to everyone")
	for _, c := range clients {
		seen := map[string]bool{}
		for len(seen) < 20 {
			m, err := c.read()
			require.NoError(t, err)
			require.Equal(t, "next", m.Type)
			seen[m.ID] = true
		}
	}
	for _, c := range clients {
		require.NoError(t, c.conn.Close())
	}
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+10 }, 20*time.Second, 50*time.Millisecond,
		"goroutines back to %d (now %d)", before, runtime.NumGoroutine())
}

// An instance starts, is ready and answers mutations while NATS is
// unreachable from the start; a live subscriber is served from the store
// meanwhile; once NATS comes up, the stream gets every event exactly once.
func TestStartsWhileBusIsUnreachable(t *testing.T) {
	t.Parallel()
	port := freeTCPPort(t)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", port)

	dir, db := t.TempDir(), testpg.Database(t, postgres.Migrate)
	type result struct {
		n   *node
		err error
	}
	started := make(chan result, 1)
	go func() {
		n, err := tryStartNode(t, dir, db, natsURL)
		started <- result{n, err}
	}()
	var n *node
	select {
	case r := <-started:
		require.NoError(t, r.err)
		n = r.n
	case <-time.After(20 * time.Second):
		t.Fatal("startInstance waits for the bus")
	}

	resp, err := http.Get(n.srv.URL + "/readyz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "readiness is the store's")
	require.Contains(t, string(body), "bus: unreachable")

	pulse := createPulse(t, n)
	sub, err := dial(t, n, "graphql-transport-ws", tokenFor(t, teacherA))
	require.NoError(t, err)
	sub.ack()
	sub.subscribe("1", pulseSub, map[string]any{"p": pulse})
	waitSubscribed(t, n, 1)
	respond(t, n, pulse, newStudent(), "while the bus was never there")
	require.Equal(t, 2, sub.next("1", 1)[0].Version, "delivered from the store")

	srv, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
	})
	require.NoError(t, err)
	srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	require.True(t, srv.ReadyForConnections(10*time.Second))

	respond(t, n, pulse, newStudent(), "once it is there")
	require.Equal(t, 3, sub.next("1", 1)[0].Version)
	sub.quiet()

	requireStreamHolds(t, natsURL, 3, "created + 2 answers in the stream, each once")
	require.Eventually(t, func() bool {
		resp, err := http.Get(n.srv.URL + "/readyz")
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return strings.HasSuffix(string(body), "bus: connected")
	}, 10*time.Second, 50*time.Millisecond)
}

// requireStreamHolds waits until the stream at natsURL holds exactly n
// messages.
func requireStreamHolds(t *testing.T, natsURL string, n uint64, msg string) {
	t.Helper()
	b, err := bus.Connect(context.Background(), natsURL, "check")
	require.NoError(t, err)
	defer b.Close()
	require.Eventually(t, func() bool {
		s, err := b.JetStream().Stream(context.Background(), bus.StreamName)
		if err != nil {
			return false
		}
		info, err := s.Info(context.Background())
		return err == nil && info.State.Msgs == n
	}, 30*time.Second, 50*time.Millisecond, msg)
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitSubscribed waits until the hub counts want subscriptions: a
// subscribe message is answered only by events, so the test watches the
// hub rather than sleeping.
func waitSubscribed(t *testing.T, n *node, want int) {
	t.Helper()
	require.Eventually(t, func() bool { return n.in.hub.Subscriptions() >= want }, 10*time.Second, 5*time.Millisecond)
}
