package graph_test

// Black-box tests of the GraphQL API: real HTTP (internal/server in front of
// graph.NewHandler, through httptest), real use cases, real stores — every
// test runs once against PostgreSQL and once against SQLite.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	edupulse "github.com/edupulse/edupulse-live"
	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/server"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testpg.M(m)) }

type backend struct {
	name string
	open func(t *testing.T) store.Store
}

var backends = []backend{
	{"postgres", func(t *testing.T) store.Store {
		url := testpg.Database(t, postgres.Migrate)
		s, err := postgres.Open(context.Background(), url, postgres.Options{})
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	}},
	{"sqlite", func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "edupulse.db"))
		require.NoError(t, err)
		t.Cleanup(s.Close)
		return s
	}},
}

// each runs fn in parallel once per backend, each time on a fresh store
// behind a fresh server.
func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, b, graph.Options{}))
		})
	}
}

// env is one test's server and the actors that call it.
type env struct {
	url    string
	store  store.Store
	counts *countingStore
	tokens *auth.Tokens
	logs   *syncBuffer

	teacher, otherTeacher, student, otherStudent, admin auth.Actor
}

var secret = []byte("graph-tests-secret-of-at-least-32-bytes!")

func setup(t *testing.T, b backend, opts graph.Options) *env {
	t.Helper()
	st := b.open(t)
	counts := &countingStore{Store: st}
	tokens, err := auth.NewTokens(secret)
	require.NoError(t, err)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	reg := prometheus.NewRegistry()
	opts.Logger = log
	opts.Registry = reg
	h := graph.NewHandler(app.New(counts, app.WithClock(steppingClock())), opts)
	srv := httptest.NewServer(server.New(server.Options{
		GraphQL:  h,
		Schema:   edupulse.Schema,
		Tokens:   tokens,
		Logger:   log,
		Registry: reg,
	}))
	t.Cleanup(srv.Close)
	return &env{
		url: srv.URL, store: st, counts: counts, tokens: tokens, logs: logs,
		teacher:      newActor(auth.RoleTeacher),
		otherTeacher: newActor(auth.RoleTeacher),
		student:      newActor(auth.RoleStudent),
		otherStudent: newActor(auth.RoleStudent),
		admin:        newActor(auth.RoleAdmin),
	}
}

// steppingClock starts at the real time and moves one millisecond (the
// store's precision) per reading, so that two pulses created one after
// the other never share a creation time.
func steppingClock() func() time.Time {
	var (
		mu   sync.Mutex
		last time.Time
	)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if next := last.Add(time.Millisecond); now.Before(next) {
			now = next
		}
		last = now
		return now
	}
}

func newActor(r auth.Role) auth.Actor { return auth.Actor{ID: uuid.New(), Role: r} }

// anonymous is the zero Actor: requests without an Authorization header.
var anonymous auth.Actor

// ---------------------------------------------------------------------------
// The client

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type result struct {
	Status int
	Header http.Header
	Raw    []byte
	Data   map[string]any
	Errors []gqlError
}

type reqOpts struct {
	header http.Header
}

type option func(*reqOpts)

func withHeader(k, v string) option { return func(o *reqOpts) { o.header.Set(k, v) } }

// do posts one GraphQL request as actor (no token for the zero Actor).
func (e *env) do(t *testing.T, as auth.Actor, query string, vars map[string]any, opts ...option) result {
	t.Helper()
	o := reqOpts{header: http.Header{}}
	for _, f := range opts {
		f(&o)
	}
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, e.url+"/query", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json")
	if as.Valid() {
		tok, err := e.tokens.Issue(as, time.Hour)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range o.header {
		req.Header[k] = v
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) result {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := result{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	var doc struct {
		Data   map[string]any `json:"data"`
		Errors []gqlError     `json:"errors"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&doc), "body: %s", raw)
	r.Data, r.Errors = doc.Data, doc.Errors
	return r
}

// ok requires a response without errors and returns its data.
func (r result) ok(t *testing.T) result {
	t.Helper()
	require.Empty(t, r.Errors, "body: %s", r.Raw)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Raw)
	return r
}

// fails requires exactly one error with code (and, when given, field).
func (r result) fails(t *testing.T, code string, field ...string) gqlError {
	t.Helper()
	require.Len(t, r.Errors, 1, "body: %s", r.Raw)
	e := r.Errors[0]
	require.Equal(t, code, e.Extensions["code"], "body: %s", r.Raw)
	if len(field) > 0 {
		require.Equal(t, field[0], e.Extensions["field"], "body: %s", r.Raw)
	}
	return e
}

// get walks the data by a dotted path ("createPulse.pulse.id"; list
// indices as numbers).
func (r result) get(t *testing.T, path string) any {
	t.Helper()
	var cur any = r.Data
	for _, k := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[k]
			require.True(t, ok, "no %q in %s (body: %s)", k, path, r.Raw)
			cur = v
		case []any:
			var i int
			_, err := fmt.Sscan(k, &i)
			require.NoError(t, err, "index %q in %s", k, path)
			require.Less(t, i, len(c), "index %d in %s (body: %s)", i, path, r.Raw)
			cur = c[i]
		default:
			t.Fatalf("cannot take %q of %v in %s (body: %s)", k, cur, path, r.Raw)
		}
	}
	return cur
}

func (r result) str(t *testing.T, path string) string {
	t.Helper()
	s, ok := r.get(t, path).(string)
	require.True(t, ok, "%s is not a string (body: %s)", path, r.Raw)
	return s
}

func (r result) list(t *testing.T, path string) []any {
	t.Helper()
	l, ok := r.get(t, path).([]any)
	require.True(t, ok, "%s is not a list (body: %s)", path, r.Raw)
	return l
}

func (r result) num(t *testing.T, path string) int64 {
	t.Helper()
	n, ok := r.get(t, path).(json.Number)
	require.True(t, ok, "%s is not a number (body: %s)", path, r.Raw)
	i, err := n.Int64()
	require.NoError(t, err)
	return i
}

// ---------------------------------------------------------------------------
// Operations used by many tests

const eventFields = `id cursor aggregateId aggregateType version type subject correlationId causationId actorId occurredAt schemaVersion
	payload { __typename
		... on LessonPublished { lessonId teacherId }
		... on QuizSubmitted { quizId studentId scorePercentage }
		... on BadgeAwarded { badgeId studentId }
		... on PaymentProcessed { paymentId orderTotalCents payerId }
		... on LearningPulseCreated { pulseId teacherId pulse { id title } }
		... on LearningPulseResponded { pulseId studentId responseId response { id answer } }
		... on LearningPulseClosed { pulseId teacherId }
		... on ActorErased { actorId }
	}`

const pulseFields = `id teacherId title description dueDate createdAt closedAt responseCount`

var (
	createPulseOp = `mutation($in: CreatePulseInput!) { createPulse(input: $in) { pulse { ` + pulseFields + ` } event { ` + eventFields + ` } } }`
	respondOp     = `mutation($in: RespondToPulseInput!) { respondToPulse(input: $in) { response { id pulseId studentId answer confidence createdAt } event { ` + eventFields + ` } } }`
	closeOp       = `mutation($in: ClosePulseInput!) { closePulse(input: $in) { pulse { ` + pulseFields + ` } event { ` + eventFields + ` } } }`
	publishOp     = `mutation($in: PublishLessonInput!) { publishLesson(input: $in) { event { ` + eventFields + ` } } }`
	quizOp        = `mutation($in: SubmitQuizInput!) { submitQuiz(input: $in) { event { ` + eventFields + ` } } }`
	badgeOp       = `mutation($in: AwardBadgeInput!) { awardBadge(input: $in) { event { ` + eventFields + ` } } }`
	paymentOp     = `mutation($in: RecordPaymentInput!) { recordPayment(input: $in) { event { ` + eventFields + ` } } }`
	eraseOp       = `mutation($in: EraseActorInput!) { eraseActor(input: $in) { erasedRecords event { ` + eventFields + ` } } }`
	historyOp     = `query($id: UUID!, $first: Int, $after: String) { eventsByAggregate(aggregateId: $id, first: $first, after: $after) {
		edges { cursor node { ` + eventFields + ` } } pageInfo { hasNextPage endCursor } } }`
	pulseOp = `query($id: UUID!) { pulse(id: $id) { ` + pulseFields + `
		responses { edges { cursor node { id studentId answer confidence } } pageInfo { hasNextPage endCursor } } } }`
)

type vars = map[string]any

func in(kv ...any) vars {
	m := vars{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return vars{"in": m}
}

// createPulse opens a pulse as teacher and returns its id.
func (e *env) createPulse(t *testing.T, teacher auth.Actor, title string) string {
	t.Helper()
	return e.do(t, teacher, createPulseOp, in("title", title)).ok(t).str(t, "createPulse.pulse.id")
}

// respond answers a pulse as student and returns the response id.
func (e *env) respond(t *testing.T, student auth.Actor, pulseID, answer string) string {
	t.Helper()
	return e.do(t, student, respondOp, in("pulseId", pulseID, "answer", answer)).ok(t).str(t, "respondToPulse.response.id")
}

// history is the types of an aggregate's events as admin sees them.
func (e *env) history(t *testing.T, aggregateID string) []string {
	t.Helper()
	r := e.do(t, e.admin, historyOp, vars{"id": aggregateID, "first": 100}).ok(t)
	var types []string
	for i := range r.list(t, "eventsByAggregate.edges") {
		types = append(types, r.str(t, fmt.Sprintf("eventsByAggregate.edges.%d.node.type", i)))
	}
	return types
}

// pulseCount is the number of pulses (all teachers) as admin sees them.
func (e *env) pulseCount(t *testing.T) int {
	t.Helper()
	r := e.do(t, e.admin, `{ pulses(first: 100) { edges { node { id } } } }`, nil).ok(t)
	return len(r.list(t, "pulses.edges"))
}

// ---------------------------------------------------------------------------
// Helpers

// countingStore counts the by-id reads the dataloaders batch.
type countingStore struct {
	store.Store
	pulsesByID, responsesByID, pulse atomic.Int64
}

func (c *countingStore) PulsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Pulse, error) {
	c.pulsesByID.Add(1)
	return c.Store.PulsesByID(ctx, ids)
}

func (c *countingStore) ResponsesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Response, error) {
	c.responsesByID.Add(1)
	return c.Store.ResponsesByID(ctx, ids)
}

func (c *countingStore) Pulse(ctx context.Context, id uuid.UUID) (store.Pulse, error) {
	c.pulse.Add(1)
	return c.Store.Pulse(ctx, id)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
