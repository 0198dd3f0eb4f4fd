package transport_test

// The transport in front of the real stack: the schema and its extensions
// (graph.NewHandler behind internal/server), the hub, an SQLite store.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	edupulse "github.com/edupulse/edupulse-live"
	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/relay"
	"github.com/edupulse/edupulse-live/internal/server"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/transport"
)

var secret = []byte("transport-tests-secret-of-at-least-32-bytes!")

func newActor(r auth.Role) auth.Actor { return auth.Actor{ID: uuid.New(), Role: r} }

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "edupulse.db"))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// stack is the real server.
type stack struct {
	srv    *httptest.Server
	url    string // of the websocket
	tokens *auth.Tokens
	reg    *transport.Registry
	hub    *live.Hub
}

func newStack(t testing.TB, tweak func(*transport.WebsocketOptions)) *stack {
	t.Helper()
	return newStackWith(t, tweak, live.Options{}, nil)
}

// newStackWith is newStack with the hub's options and, if set, a listener
// of the test's.
func newStackWith(t testing.TB, tweak func(*transport.WebsocketOptions), hubOpts live.Options, ln net.Listener) *stack {
	t.Helper()
	st := openSQLite(t)
	tokens, err := auth.NewTokens(secret)
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	hubOpts.SyncInterval = 20 * time.Millisecond
	hub, err := live.New(ctx, st, hubOpts)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	log := slog.New(slog.DiscardHandler)
	reg := transport.NewRegistry()
	o := &transport.WebsocketOptions{Tokens: tokens, Registry: reg, WriteTimeout: 2 * time.Second}
	if tweak != nil {
		tweak(o)
	}
	// The bus is away: the relay gives events their positions all the
	// same, and the hub reads them from the store (contract §5, Cursors and live delivery).
	rel, err := relay.New(st, busAway{}, relay.Options{Logger: log, OnPositioned: hub.Positioned, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, HandOverAfter: -1})
	require.NoError(t, err)
	relayDone := make(chan struct{})
	go func() { defer close(relayDone); _ = rel.Run(ctx) }()
	h := graph.NewHandler(app.New(st, app.OnCommit(rel.Wake)), graph.Options{Logger: log, Hub: hub, Websocket: o})
	srv := httptest.NewUnstartedServer(server.New(server.Options{GraphQL: h, Schema: edupulse.Schema, Tokens: tokens, Logger: log}))
	if ln != nil {
		_ = srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	t.Cleanup(func() {
		reg.CloseAll(websocket.CloseGoingAway, "test over")
		srv.Close()
		stop()
		<-done
		<-relayDone
	})
	return &stack{srv: srv, url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/query", tokens: tokens, reg: reg, hub: hub}
}

func (s *stack) token(t testing.TB, a auth.Actor) string {
	t.Helper()
	tok, err := s.tokens.Issue(a, time.Hour)
	require.NoError(t, err)
	return tok
}

func (s *stack) connect(t *testing.T, p wsProtocol, a auth.Actor) *wsClient {
	t.Helper()
	conn, _, err := dialWS(s.url, p.name, nil)
	require.NoError(t, err)
	c := newWSClient(t, conn, p)
	c.init(map[string]any{"Authorization": "Bearer " + s.token(t, a)})
	c.expect("connection_ack", "")
	return c
}

// post runs a mutation or query over HTTP and returns its data.
func (s *stack) post(t testing.TB, a auth.Actor, query string, vars map[string]any) map[string]any {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/query", strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token(t, a))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var doc struct {
		Data   map[string]any `json:"data"`
		Errors []gqlError     `json:"errors"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	require.Empty(t, doc.Errors)
	return doc.Data
}

// busAway is a bus that cannot be reached.
type busAway struct{}

func (busAway) PublishBatch(context.Context, []bus.Message, int) ([]bus.PubAck, error) {
	return nil, errors.New("bus unreachable")
}

const createPulse = `mutation($t: String!) { createPulse(input: {title: $t}) { pulse { id } } }`

// TestWebsocketThroughTheServer checks the wiring of graph.Options.Websocket
// behind internal/server: the upgrade passes its middleware, and the
// connection_init token is the caller of what runs over the socket.
func TestWebsocketThroughTheServer(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	actor := newActor(auth.RoleTeacher)
	c := s.connect(t, transportWS, actor)
	c.subscribe("1", `{ viewer { id role } }`)
	m := c.expect("next", "1")
	require.JSONEq(t, fmt.Sprintf(`{"data":{"viewer":{"id":%q,"role":"TEACHER"}}}`, actor.ID), string(m.Payload))
	c.expect("complete", "1")

	// Without an Origin allowed, no upgrade.
	_, resp, err := dialWS(s.url, transportWS.name, http.Header{"Origin": {"https://evil.example"}})
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// TestWebsocketErrorIsNeverFollowedByComplete: what is refused before
// execution is an `error`, the operation's last message; what fails while
// executing is a `next` carrying errors, then `complete` (contract §5, Cursors and live delivery).
func TestWebsocketErrorIsNeverFollowedByComplete(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			c := s.connect(t, p, newActor(auth.RoleStudent))
			for id, doc := range map[string]string{
				"parse":      `subscription {`,
				"validation": `subscription { nope }`,
				"permission": `subscription { events { id } }`,
			} {
				c.subscribe(id, doc)
				m := c.expect("error", id)
				errs := errorsOf(t, m.Payload)
				require.NotEmpty(t, errs)
				for _, e := range errs {
					require.NotEmpty(t, e.Extensions["code"], "payload %s", m.Payload)
				}
				c.silent(200 * time.Millisecond) // no complete
			}
			c.subscribe("after", `subscription { myEvents(after: "!!") { id } }`)
			m := c.expect(p.next, "after")
			errs := errorsOf(t, mustField(t, m.Payload, "errors"))
			require.Equal(t, graph.CodeBadUserInput, errs[0].Extensions["code"])
			c.expect("complete", "after")
		})
	}
}

func mustField(t *testing.T, obj json.RawMessage, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(obj, &m))
	v, ok := m[name]
	require.True(t, ok, "no %q in %s", name, obj)
	return v
}

// TestWebsocketPushDelivery: events reach subscribers on both protocols,
// in order, each once, and every frame of a shared rendering carries the
// same payload.
func TestWebsocketPushDelivery(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	teacher := newActor(auth.RoleTeacher)
	var clients []*wsClient
	for i := range 6 {
		p := wsProtocols[i%2]
		c := s.connect(t, p, newActor(auth.RoleAdmin))
		c.subscribe("s", `subscription { events { id type } }`)
		clients = append(clients, c)
	}
	require.Eventually(t, func() bool { return s.hub.Subscriptions() == len(clients) }, 5*time.Second, 10*time.Millisecond)
	const n = 20
	for i := range n {
		s.post(t, teacher, createPulse, map[string]any{"t": fmt.Sprint("pulse ", i)})
	}
	var first []string
	for i, c := range clients {
		var got []string
		for range n {
			m := c.expect(c.proto.next, "s")
			got = append(got, string(m.Payload))
		}
		if i == 0 {
			first = got
			continue
		}
		require.Equal(t, first, got, "every subscriber, the same events in the same order")
	}
	seen := map[string]bool{}
	for _, p := range first {
		require.False(t, seen[p], "duplicate %s", p)
		seen[p] = true
	}
}

// TestWebsocketIdleConnectionsCostOneGoroutine: a subscribed connection
// that has nothing to receive holds its reader and nothing else.
func TestWebsocketIdleConnectionsCostOneGoroutine(t *testing.T) {
	s := newStack(t, nil)
	const n = 200
	// Raw connections: the test reads nothing, so it holds no goroutine
	// per connection of its own.
	conns := make([]*websocket.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	settle := func() int {
		var last int
		for range 50 {
			runtime.GC()
			// Goroutines that end signal nothing: wait until the count holds.
			time.Sleep(20 * time.Millisecond)
			g := runtime.NumGoroutine()
			if g == last {
				return g
			}
			last = g
		}
		return last
	}
	before := settle()
	for i := range n {
		p := wsProtocols[i%2]
		c, _, err := dialWS(s.url, p.name, nil)
		require.NoError(t, err)
		conns = append(conns, c)
		msg, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]string{"Authorization": "Bearer " + s.token(t, newActor(auth.RoleStudent))}})
		require.NoError(t, c.WriteMessage(websocket.TextMessage, msg))
		_, ack, err := c.ReadMessage()
		require.NoError(t, err)
		require.Contains(t, string(ack), "connection_ack")
		msg, _ = json.Marshal(map[string]any{"type": p.subscribe, "id": "1", "payload": map[string]any{"query": `subscription { myEvents { id } }`}})
		require.NoError(t, c.WriteMessage(websocket.TextMessage, msg))
	}
	require.Eventually(t, func() bool { return s.hub.Subscriptions() == n }, 10*time.Second, 10*time.Millisecond)
	after := settle()
	perConn := float64(after-before) / n
	t.Logf("%d goroutines before, %d after %d subscribed connections: %.2f each", before, after, n, perConn)
	require.LessOrEqual(t, perConn, 1.1, "an idle subscribed connection holds its reader only")
}

// TestWebsocketDocumentLimits: a subscribe message goes through the same
// checks as a request over HTTP, and is refused with an `error` message
// that leaves the connection open.
func TestWebsocketDocumentLimits(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	actor := newActor(auth.RoleTeacher)
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			c := s.connect(t, p, actor)
			c.subscribe("1", "{ viewer {"+strings.Repeat(" id", graph.MaxDocumentFields)+" } }")
			m := c.expect("error", "1")
			errs := errorsOf(t, m.Payload)
			require.Len(t, errs, 1, "payload %s", m.Payload)
			require.Equal(t, graph.CodeBadUserInput, errs[0].Extensions["code"])
			require.Equal(t, "DOCUMENT_LIMIT_EXCEEDED", errs[0].Extensions["reason"])

			c.subscribe("2", nestedFragments(31, "viewer { id }"))
			m = c.expect("error", "2")
			errs = errorsOf(t, m.Payload)
			require.Len(t, errs, 1, "payload %s", m.Payload)
			require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", errs[0].Extensions["reason"])

			c.subscribe("3", `{ viewer { id } }`)
			m = c.expect(p.next, "3")
			require.JSONEq(t, fmt.Sprintf(`{"data":{"viewer":{"id":%q}}}`, actor.ID), string(m.Payload))
		})
	}
}

// nestedFragments is n fragments, each spreading the one before twice,
// and an operation spreading the last.
func nestedFragments(n int, leaf string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fragment F0 on Query { %s }\n", leaf)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "{ ...F%d }", n-1)
	return b.String()
}

// TestWebsocketSlowConsumer: a subscriber that does not read falls behind
// the socket, then the connection's queue, then its hub queue, and is cut
// off with an `error` carrying SLOW_CONSUMER and the cursor to resume
// from, after every event before it and with no `complete`; the other
// subscribers are not held back.
func TestWebsocketSlowConsumer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := newStackWith(t, func(o *transport.WebsocketOptions) { o.WriteTimeout = 20 * time.Second }, live.Options{Buffer: 4}, smallBuffers{ln})
	teacher := newActor(auth.RoleTeacher)

	conn, _, err := dialWS(s.url, transportWS.name, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	if tc, ok := conn.NetConn().(*net.TCPConn); ok {
		require.NoError(t, tc.SetReadBuffer(2048))
	}
	slow := &wsClient{t: t, c: conn, proto: transportWS}
	slow.init(map[string]any{"Authorization": "Bearer " + s.token(t, newActor(auth.RoleAdmin))})
	_, ack, err := conn.ReadMessage()
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"connection_ack"}`, string(ack))
	slow.subscribe("slow", `subscription { events { id cursor type payload { __typename } } }`)
	fast := s.connect(t, transportWS, newActor(auth.RoleAdmin))
	fast.subscribe("fast", `subscription { events { id } }`)
	require.Eventually(t, func() bool { return s.hub.Subscriptions() == 2 }, 5*time.Second, 10*time.Millisecond)

	const n = 100
	for i := range n {
		s.post(t, teacher, createPulse, map[string]any{"t": fmt.Sprintf("pulse %d %s", i, strings.Repeat("x", 150))})
		fast.expect("next", "fast")
	}
	require.Eventually(t, func() bool { return s.hub.Subscriptions() == 1 }, 10*time.Second, 10*time.Millisecond, "the slow one is cut off")

	// Now the slow one reads: the events it was sent, then the error.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	delivered := 0
	var last string
	for {
		_, data, err := conn.ReadMessage()
		require.NoError(t, err)
		var m wsMsg
		require.NoError(t, json.Unmarshal(data, &m))
		if m.Type == "ping" {
			continue
		}
		if m.Type == "next" {
			delivered++
			var p struct {
				Data struct {
					Events struct {
						Cursor string `json:"cursor"`
					} `json:"events"`
				} `json:"data"`
			}
			require.NoError(t, json.Unmarshal(m.Payload, &p))
			last = p.Data.Events.Cursor
			continue
		}
		require.Equal(t, "error", m.Type, "payload %s", m.Payload)
		errs := errorsOf(t, m.Payload)
		require.Equal(t, graph.CodeSlowConsumer, errs[0].Extensions["code"])
		require.Equal(t, last, errs[0].Extensions["lastCursor"], "resume after the last event delivered")
		break
	}
	require.Less(t, delivered, n)
	t.Logf("%d events delivered before the cut-off", delivered)
	slow.c = conn
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			break
		}
		require.NotContains(t, string(data), `"complete"`, "no complete after the error")
	}
}
