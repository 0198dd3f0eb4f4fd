package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/bus"
	"github.com/edupulse/edupulse-live/internal/config"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testpg.M(m)) }

var secret = strings.Repeat("e2e-secret-", 4)

// node is one running instance behind a real HTTP listener.
type node struct {
	t   testing.TB
	in  *instance
	srv *httptest.Server
	reg *prometheus.Registry
}

// startNode runs an instance. databaseURL "" selects SQLite in dataDir;
// natsURL "" the embedded NATS server in dataDir.
func startNode(t testing.TB, dataDir, databaseURL, natsURL string, tweak ...func(*config.Config)) *node {
	t.Helper()
	n, err := tryStartNode(t, dataDir, databaseURL, natsURL, tweak...)
	require.NoError(t, err)
	return n
}

// tryStartNode is startNode for a goroutine other than the test's: it
// returns the error instead of failing the test.
func tryStartNode(t testing.TB, dataDir, databaseURL, natsURL string, tweak ...func(*config.Config)) (*node, error) {
	cfg := config.Defaults
	cfg.DataDir, cfg.DatabaseURL, cfg.NATSURL, cfg.JWTSecret = dataDir, databaseURL, natsURL, secret
	for _, f := range tweak {
		f(&cfg)
	}
	reg := prometheus.NewRegistry()
	in, err := startInstance(context.Background(), cfg, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		return nil, err
	}
	n := &node{t: t, in: in, srv: httptest.NewServer(in.handler), reg: reg}
	t.Cleanup(n.stop)
	return n, nil
}

// awaitSubscriptions waits until the instance's hub holds want
// subscriptions: a subscribe message gets no reply, and its resolver
// registers with the hub some time after it is read.
func (n *node) awaitSubscriptions(t *testing.T, want int) {
	t.Helper()
	require.Eventually(t, func() bool { return n.in.hub.Subscriptions() >= want }, 20*time.Second, time.Millisecond,
		"%d subscriptions registered with the hub", want)
}

func (n *node) stop() {
	n.in.closeLive()
	n.srv.Close()
	n.in.close()
}

func tokenFor(t testing.TB, a auth.Actor) string {
	t.Helper()
	tokens, err := auth.NewTokens([]byte(secret))
	require.NoError(t, err)
	tok, err := tokens.Issue(a, time.Hour)
	require.NoError(t, err)
	return tok
}

// gql runs a query or mutation over HTTP and decodes data into out.
func (n *node) gql(t *testing.T, a auth.Actor, query string, vars map[string]any, out any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, n.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tokenFor(t, a))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	require.NoError(t, json.Unmarshal(raw, &env), string(raw))
	require.Empty(t, env.Errors, string(raw))
	if out != nil {
		require.NoError(t, json.Unmarshal(env.Data, out))
	}
}

const eventFields = `id cursor version type aggregateId actorId payload { __typename
	... on LearningPulseResponded { studentId response { answer } } }`

type liveEvent struct {
	ID, Cursor, Type, AggregateID, ActorID string
	Version                                int
	Payload                                struct {
		Typename  string `json:"__typename"`
		StudentID string
		Response  *struct{ Answer string }
	}
}

// wsClient speaks graphql-transport-ws or the legacy graphql-ws by hand,
// the way the graphql-ws and subscriptions-transport-ws clients do.
type wsClient struct {
	t     *testing.T
	conn  *websocket.Conn
	proto string
}

func dial(t *testing.T, n *node, proto, tok string) (*wsClient, error) {
	t.Helper()
	url := "ws" + strings.TrimPrefix(n.srv.URL, "http") + "/query"
	d := websocket.Dialer{Subprotocols: []string{proto}, HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := &wsClient{t: t, conn: conn, proto: proto}
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + tok}})
	return c, nil
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	require.NoError(c.t, c.conn.WriteJSON(v))
}

type wsMessage struct {
	Type    string
	ID      string
	Payload json.RawMessage
}

// read returns the next message that is not a keepalive, within 15 s (the
// server's pings do not extend the wait).
func (c *wsClient) read() (wsMessage, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		var m wsMessage
		if err := c.conn.ReadJSON(&m); err != nil {
			return m, err
		}
		switch m.Type {
		case "ka", "ping", "pong":
			if m.Type == "ping" {
				c.send(map[string]any{"type": "pong"})
			}
			continue
		}
		return m, nil
	}
}

func (c *wsClient) ack() {
	c.t.Helper()
	m, err := c.read()
	require.NoError(c.t, err)
	require.Equal(c.t, "connection_ack", m.Type)
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	typ := "subscribe"
	if c.proto == "graphql-ws" {
		typ = "start"
	}
	c.send(map[string]any{"type": typ, "id": id, "payload": map[string]any{"query": query, "variables": vars}})
}

// next reads n events of subscription id.
func (c *wsClient) next(id string, n int) []liveEvent {
	c.t.Helper()
	var out []liveEvent
	for len(out) < n {
		m, err := c.read()
		require.NoError(c.t, err, "after %d of %d events", len(out), n)
		require.Equal(c.t, id, m.ID)
		require.Contains(c.t, []string{"next", "data"}, m.Type, string(m.Payload))
		var p struct {
			Data   map[string]liveEvent
			Errors []json.RawMessage
		}
		require.NoError(c.t, json.Unmarshal(m.Payload, &p))
		require.Empty(c.t, p.Errors)
		for _, e := range p.Data {
			out = append(out, e)
		}
	}
	return out
}

// quiet asserts nothing arrives for a moment.
func (c *wsClient) quiet() {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var m wsMessage
	err := c.conn.ReadJSON(&m)
	require.Error(c.t, err, "unexpected message %s %s", m.Type, m.Payload)
}

var (
	teacherA = auth.Actor{ID: uuid.New(), Role: auth.RoleTeacher}
)

func newStudent() auth.Actor { return auth.Actor{ID: uuid.New(), Role: auth.RoleStudent} }

// createPulse creates a pulse and waits until the nodes' hubs have handed
// its event out: a subscription started after that sees only what follows.
// (One started earlier may also get events committed just before it that
// the relay had not published yet: never fewer than promised.)
// The documents the helpers below send.
const (
	createPulseDoc = `mutation { createPulse(input: {title: "Live?"}) { pulse { id } } }`
	respondDoc     = `mutation($p: UUID!, $a: String!) { respondToPulse(input: {pulseId: $p, answer: $a}) { response { id } } }`
)

func createPulse(t *testing.T, n *node, wait ...*node) string {
	var out struct {
		CreatePulse struct{ Pulse struct{ ID string } }
	}
	n.gql(t, teacherA, createPulseDoc, nil, &out)
	for _, w := range append(wait, n) {
		require.Eventually(t, func() bool { return w.in.hub.Head() >= 1 }, 10*time.Second, 5*time.Millisecond)
	}
	return out.CreatePulse.Pulse.ID
}

func respond(t *testing.T, n *node, pulse string, st auth.Actor, answer string) {
	n.gql(t, st, respondDoc,
		map[string]any{"p": pulse, "a": answer}, nil)
}

const pulseSub = `subscription($p: UUID!, $after: String) { pulseEvents(pulseId: $p, after: $after) { ` + eventFields + ` } }`

func TestLiveEndToEnd(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{"graphql-transport-ws", "graphql-ws"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			n := startNode(t, t.TempDir(), "", "")
			pulse := createPulse(t, n)

			teacher, err := dial(t, n, proto, tokenFor(t, teacherA))
			require.NoError(t, err)
			teacher.ack()
			teacher.subscribe("t", pulseSub, map[string]any{"p": pulse})
			alice := newStudent()
			aliceWS, err := dial(t, n, proto, tokenFor(t, alice))
			require.NoError(t, err)
			aliceWS.ack()
			aliceWS.subscribe("a", pulseSub, map[string]any{"p": pulse})
			n.awaitSubscriptions(t, 2)

			respond(t, n, pulse, alice, "one")
			respond(t, n, pulse, newStudent(), "two")
			respond(t, n, pulse, newStudent(), "three")
			got := teacher.next("t", 3)
			for i, e := range got {
				require.Equal(t, "LEARNING_PULSE_RESPONDED", e.Type)
				require.Equal(t, i+2, e.Version, "in order")
				require.NotNil(t, e.Payload.Response, "the teacher sees the answer")
				require.Equal(t, []string{"one", "two", "three"}[i], e.Payload.Response.Answer)
			}

			// Resume from the cursor of version 2: 3 and 4 replayed...
			resumed, err := dial(t, n, proto, tokenFor(t, teacherA))
			require.NoError(t, err)
			resumed.ack()
			resumed.subscribe("r", pulseSub, map[string]any{"p": pulse, "after": got[0].Cursor})
			again := resumed.next("r", 2)
			require.Equal(t, []int{3, 4}, []int{again[0].Version, again[1].Version})
			require.Equal(t, []string{got[1].ID, got[2].ID}, []string{again[0].ID, again[1].ID})

			// ... then live, once.
			n.gql(t, teacherA, `mutation($p: UUID!) { closePulse(input: {pulseId: $p}) { pulse { closedAt } } }`, map[string]any{"p": pulse}, nil)
			closed := teacher.next("t", 1)[0]
			require.Equal(t, "LEARNING_PULSE_CLOSED", closed.Type)
			require.Equal(t, 5, closed.Version)
			require.Equal(t, closed.ID, resumed.next("r", 1)[0].ID)
			resumed.quiet()
			teacher.quiet()

			own := aliceWS.next("a", 2)
			require.Equal(t, alice.ID.String(), own[0].Payload.StudentID, "a student sees only their own answer")
			require.Equal(t, "LEARNING_PULSE_CLOSED", own[1].Type)
			aliceWS.quiet()

			// A bad token: the socket closes with 4403.
			bad, err := dial(t, n, proto, "not-a-token")
			require.NoError(t, err)
			m, err := bad.read()
			if err == nil {
				// The legacy protocol says why first, then closes.
				require.Equal(t, "connection_error", m.Type)
				_, err = bad.read()
			}
			var ce *websocket.CloseError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, 4403, ce.Code)
		})
	}
}

// Two instances share one PostgreSQL and one NATS: a subscriber on B sees
// a mutation made on A.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	emb, err := bus.StartEmbedded(t.TempDir(), bus.WithListen("127.0.0.1", 0)) // shared by two instances
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
	b.awaitSubscriptions(t, 1)
	var wg sync.WaitGroup
	for i := range 10 {
		on := a
		if i%2 == 1 {
			on = b
		}
		wg.Go(func() { respond(t, on, pulse, newStudent(), "x") })
	}
	wg.Wait()
	got := sub.next("1", 10)
	seen := map[string]bool{}
	for i, e := range got {
		require.Equal(t, i+2, e.Version, "every answer once, in version order")
		require.False(t, seen[e.ID])
		seen[e.ID] = true
	}
	sub.quiet()
}

// One event reaching many subscribers of one kind is rendered once and the
// same bytes go to each; a selection that differs per viewer is rendered
// per subscriber; and each still sees what it may, no more.
func TestEventRenderedOncePerKind(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), "", "")
	pulse := createPulse(t, n)

	var admins []*wsClient
	for i := range 4 {
		c, err := dial(t, n, "graphql-transport-ws", tokenFor(t, auth.Actor{ID: uuid.New(), Role: auth.RoleAdmin}))
		require.NoError(t, err)
		c.ack()
		// The same document; `after` differs, and is not part of the rendering.
		vars := map[string]any{"p": pulse}
		if i%2 == 1 {
			vars["after"] = nil
		}
		c.subscribe("s", pulseSub, vars)
		admins = append(admins, c)
	}
	// The pulse's responses as the teacher sees them: a viewer-relative
	// field, so rendered for the teacher alone.
	teacher, err := dial(t, n, "graphql-transport-ws", tokenFor(t, teacherA))
	require.NoError(t, err)
	teacher.ack()
	teacher.subscribe("own", `subscription($p: UUID!) { pulseEvents(pulseId: $p) { id
		payload { ... on LearningPulseResponded { response { answer } } ... on LearningPulseCreated { pulse { responses(first: 5) { edges { node { id } } } } } } } }`,
		map[string]any{"p": pulse})
	alice, other := newStudent(), newStudent()
	aliceWS, err := dial(t, n, "graphql-transport-ws", tokenFor(t, alice))
	require.NoError(t, err)
	aliceWS.ack()
	aliceWS.subscribe("mine", `subscription { myEvents { `+eventFields+` } }`, nil)
	otherWS, err := dial(t, n, "graphql-transport-ws", tokenFor(t, other))
	require.NoError(t, err)
	otherWS.ack()
	otherWS.subscribe("p", pulseSub, map[string]any{"p": pulse})
	n.awaitSubscriptions(t, len(admins)+3)

	respond(t, n, pulse, alice, "only alice's")

	var first json.RawMessage
	for _, c := range admins {
		m, err := c.read()
		require.NoError(t, err)
		require.Equal(t, "next", m.Type)
		if first == nil {
			first = m.Payload
			require.Contains(t, string(first), `"answer":"only alice's"`, "admins see the answer")
		}
		require.Equal(t, string(first), string(m.Payload), "one rendering, the same bytes")
	}
	got := teacher.next("own", 1)[0]
	require.NotEmpty(t, got.ID)
	mine := aliceWS.next("mine", 1)[0]
	require.Equal(t, "only alice's", mine.Payload.Response.Answer, "alice sees her own answer")
	otherWS.quiet() // another student is not in the event's audience

	require.Equal(t, map[string]float64{"rendered": 2, "shared": 3, "own": 1}, renders(t, n))
}

// renders reads edupulse_graphql_subscription_renders_total by how.
func renders(t *testing.T, n *node) map[string]float64 {
	t.Helper()
	mfs, err := n.reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "edupulse_graphql_subscription_renders_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
		}
	}
	return out
}
