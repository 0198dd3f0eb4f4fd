package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
	"github.com/edupulse/edupulse-live/internal/tracing"
)

// installTracing records every span of the process in memory until the
// test ends. Not parallel: the provider is the process's.
func installTracing(t testing.TB) *tracetest.InMemoryExporter {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	tracing.Install(tp)
	t.Cleanup(func() {
		tracing.Install(nil)
		_ = tp.Shutdown(t.Context())
	})
	return exp
}

// TestTraceFromMutationToDeliveryOnAnotherInstance: a mutation made on A
// with the client's traceparent, whose subscriber is on B. Its trace holds
// the request, the operation, the store transaction, the relay's publish
// (on whichever instance leads the relay) and the delivery on each
// instance, B's counting its subscriber, each the child of the one before.
func TestTraceFromMutationToDeliveryOnAnotherInstance(t *testing.T) {
	exp := installTracing(t)
	emb, err := bus.StartEmbedded(t.TempDir(), bus.WithListen("127.0.0.1", 0))
	require.NoError(t, err)
	t.Cleanup(emb.Shutdown)
	db := testpg.Database(t, postgres.Migrate)
	a := startNode(t, t.TempDir(), db, emb.ClientURL())
	b := startNode(t, t.TempDir(), db, emb.ClientURL())

	pulse := createPulse(t, a, b)
	sub, err := dial(t, b, "graphql-transport-ws", tokenFor(t, teacherA))
	require.NoError(t, err)
	sub.ack()
	sub.subscribe("1", pulseSub, map[string]any{"p": pulse})
	require.Eventually(t, func() bool { return b.in.hub.Subscriptions() == 1 }, 5*time.Second, 5*time.Millisecond)

	const traceID, clientSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	status, raw := postWithTraceparent(t, a, "00-"+traceID+"-"+clientSpan+"-01",
		`mutation Answer($p: UUID!) { respondToPulse(input: {pulseId: $p, answer: "traced"}) { response { id } } }`,
		map[string]any{"p": pulse})
	require.Equal(t, http.StatusOK, status, raw)
	got := sub.next("1", 1)
	require.Equal(t, "LEARNING_PULSE_RESPONDED", got[0].Type)

	// Spans end after the delivery is queued: wait for both instances'.
	var spans tracetest.SpanStubs
	require.Eventually(t, func() bool {
		spans = inTrace(exp.GetSpans(), traceID)
		return count(spans, "live.deliver") == 2
	}, 5*time.Second, 10*time.Millisecond, "the trace: %v", names(inTrace(exp.GetSpans(), traceID)))
	for _, s := range spans {
		t.Logf("%-22s span %s parent %s %s", s.Name, s.SpanContext.SpanID(), s.Parent.SpanID(), attrs(s.Attributes))
	}

	byName := map[string][]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = append(byName[s.Name], s)
	}
	for _, name := range []string{"POST /query", "mutation Answer", "store.write", "relay.publish"} {
		require.Len(t, byName[name], 1, "one %s span; the trace: %v", name, names(spans))
	}
	parentOf := func(child, parent string) {
		t.Helper()
		for _, c := range byName[child] {
			require.Equal(t, byName[parent][0].SpanContext.SpanID(), c.Parent.SpanID(), "%s is the child of %s", child, parent)
		}
	}
	require.Equal(t, clientSpan, byName["POST /query"][0].Parent.SpanID().String(), "the request continues the client's trace")
	parentOf("mutation Answer", "POST /query")
	parentOf("store.write", "mutation Answer")
	parentOf("relay.publish", "store.write")
	// The delivery on the other instance is the child of the publish (its
	// bus message); the one on the writing instance may come from the
	// store as soon as the relay positioned the event, the child of the
	// write then (the outbox entry's context).
	for _, d := range byName["live.deliver"] {
		require.Contains(t, []trace.SpanID{byName["store.write"][0].SpanContext.SpanID(), byName["relay.publish"][0].SpanContext.SpanID()},
			d.Parent.SpanID(), "live.deliver is the child of store.write or relay.publish")
	}
	subscribers := []int64{}
	for _, d := range byName["live.deliver"] {
		for _, kv := range d.Attributes {
			if kv.Key == "edupulse.subscribers" {
				subscribers = append(subscribers, kv.Value.AsInt64())
			}
			if kv.Key == "edupulse.renders" && kv.Value.AsInt64() > 0 {
				require.EqualValues(t, 1, kv.Value.AsInt64(), "one subscriber, one rendering")
			}
		}
	}
	slices.Sort(subscribers)
	require.Equal(t, []int64{0, 1}, subscribers, "A has no subscriber, B has one: one span per instance, not per subscriber")

	// The claim that positioned the event is a batch span of its own,
	// linked to the transaction.
	linked := false
	for _, s := range exp.GetSpans() {
		for _, l := range s.Links {
			if s.Name == "relay.claim" && l.SpanContext.SpanID() == byName["store.write"][0].SpanContext.SpanID() {
				linked = true
			}
		}
	}
	require.True(t, linked, "a relay.claim span links to the transaction")
}

func postWithTraceparent(t *testing.T, n *node, traceparent, query string, vars map[string]any) (int, string) {
	return postAs(t, n, newStudent(), traceparent, query, vars)
}

func postAs(t testing.TB, n *node, a auth.Actor, traceparent, query string, vars map[string]any) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, n.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tokenFor(t, a))
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.NotContains(t, string(raw), `"errors"`)
	return resp.StatusCode, string(raw)
}

func inTrace(spans tracetest.SpanStubs, traceID string) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range spans {
		if s.SpanContext.TraceID().String() == traceID {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b tracetest.SpanStub) int { return a.StartTime.Compare(b.StartTime) })
	return out
}

func count(spans tracetest.SpanStubs, name string) int {
	n := 0
	for _, s := range spans {
		if s.Name == name {
			n++
		}
	}
	return n
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func attrs(kvs []attribute.KeyValue) string {
	var b strings.Builder
	for _, kv := range kvs {
		fmt.Fprintf(&b, " %s=%s", kv.Key, kv.Value.String())
	}
	return b.String()
}

// TestTraceOnEmbeddedStore: the same chain on one instance with the
// embedded SQLite store and NATS server (the outbox's traceparent column
// of the SQLite schema).
func TestTraceOnEmbeddedStore(t *testing.T) {
	exp := installTracing(t)
	n := startNode(t, t.TempDir(), "", "")
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	status, raw := postAs(t, n, teacherA, "00-"+traceID+"-b7ad6b7169203331-01",
		`mutation Create { createPulse(input: {title: "traced"}) { pulse { id } } }`, nil)
	require.Equal(t, http.StatusOK, status, raw)
	var spans tracetest.SpanStubs
	require.Eventually(t, func() bool {
		spans = inTrace(exp.GetSpans(), traceID)
		return count(spans, "live.deliver") == 1
	}, 5*time.Second, 10*time.Millisecond, "the trace: %v", names(inTrace(exp.GetSpans(), traceID)))
	require.Eventually(t, func() bool {
		spans = inTrace(exp.GetSpans(), traceID)
		return count(spans, "relay.publish") == 1
	}, 5*time.Second, 10*time.Millisecond, "the trace: %v", names(inTrace(exp.GetSpans(), traceID)))
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	require.Len(t, byName, 5, "the trace: %v", names(spans))
	for child, parent := range map[string]string{"mutation Create": "POST /query", "store.write": "mutation Create", "relay.publish": "store.write"} {
		require.Equal(t, byName[parent].SpanContext.SpanID(), byName[child].Parent.SpanID(), "%s is the child of %s", child, parent)
	}
	// The instance's own hub hands the event out as soon as its relay gave
	// it a position, from the store, often before the publish is
	// acknowledged: its delivery is then the child of the write, whose
	// context the outbox entry carries; after the bus message, of the
	// publish. Either way it is in the mutation's trace.
	deliver := byName["live.deliver"].Parent.SpanID()
	require.Contains(t, []trace.SpanID{byName["store.write"].SpanContext.SpanID(), byName["relay.publish"].SpanContext.SpanID()}, deliver)
}
