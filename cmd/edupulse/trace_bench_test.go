package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

// BenchmarkTracing measures what tracing costs, off (no OTEL_* variable)
// against on (every trace sampled, spans batched to an exporter that
// discards them), on one instance over PostgreSQL and its embedded NATS:
//
//   - mutation: one answer over HTTP, timed until the instance's hub has
//     handed it out (request, transaction, claim, publish, delivery);
//   - delivery/50: the same with 50 websocket subscribers of one kind,
//     timed until every one has received it.
//
// cpu-ns/op is the process's CPU time (user and system) per operation,
// which counts the relay's and the hub's work in the background too; the
// difference between the two benchmarks, over 50, is the cost of one
// delivery.
func BenchmarkTracing(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "on" {
				tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()),
					sdktrace.WithSampler(sdktrace.AlwaysSample()))
				tracing.Install(tp)
				b.Cleanup(func() {
					tracing.Install(nil)
					_ = tp.Shutdown(b.Context())
				})
			}
			n := startNode(b, b.TempDir(), testpg.Database(b, postgres.Migrate), "")
			var created struct {
				CreatePulse struct{ Pulse struct{ ID string } }
			}
			status, raw := postAs(b, n, teacherA, "", createPulseDoc, nil)
			require.Equal(b, http.StatusOK, status)
			var env struct{ Data json.RawMessage }
			require.NoError(b, json.Unmarshal([]byte(raw), &env))
			require.NoError(b, json.Unmarshal(env.Data, &created))
			pulse := created.CreatePulse.Pulse.ID

			answer := func(b *testing.B) {
				status, raw := postAs(b, n, newStudent(), "", respondDoc, map[string]any{"p": pulse, "a": "x"})
				if status != http.StatusOK {
					b.Fatal(raw)
				}
			}
			b.Run("mutation", func(b *testing.B) {
				head := n.in.hub.Head()
				cpu := cpuTime()
				b.ResetTimer()
				for range b.N {
					answer(b)
					head++
					for n.in.hub.Head() < head {
						// A benchmark's poll: a channel would cost more than it measures.
						time.Sleep(50 * time.Microsecond)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			})
			b.Run("delivery/50", func(b *testing.B) {
				const subscribers = 50
				var received atomic.Int64
				for range subscribers {
					subscribeCounting(b, n, pulse, &received)
				}
				require.Eventually(b, func() bool { return n.in.hub.Subscriptions() == subscribers }, 5*time.Second, time.Millisecond)
				cpu := cpuTime()
				b.ResetTimer()
				for i := range b.N {
					answer(b)
					for received.Load() < int64((i+1)*subscribers) {
						time.Sleep(50 * time.Microsecond)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			})
		})
	}
}

// subscribeCounting opens a websocket subscription to pulse and counts
// the events it receives.
func subscribeCounting(b *testing.B, n *node, pulse string, received *atomic.Int64) {
	url := "ws" + strings.TrimPrefix(n.srv.URL, "http") + "/query"
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial(url, nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = conn.Close() })
	require.NoError(b, conn.WriteJSON(map[string]any{"type": "connection_init",
		"payload": map[string]any{"Authorization": "Bearer " + tokenFor(b, teacherA)}}))
	var ack struct{ Type string }
	require.NoError(b, conn.ReadJSON(&ack))
	require.Equal(b, "connection_ack", ack.Type)
	require.NoError(b, conn.WriteJSON(map[string]any{"type": "subscribe", "id": "1",
		"payload": map[string]any{"query": `subscription($p: UUID!) { pulseEvents(pulseId: $p) { id type } }`,
			"variables": map[string]any{"p": pulse}}}))
	go func() {
		for {
			var m struct{ Type string }
			if err := conn.ReadJSON(&m); err != nil {
				return
			}
			if m.Type == "next" {
				received.Add(1)
			}
		}
	}()
}

// cpuTime is the process's user and system CPU time so far, in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
