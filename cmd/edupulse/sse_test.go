package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/config"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

// GraphQL over Server-Sent Events on a running instance, read frame by
// frame the way EventSource and the graphql-sse client read them.

// sseBackends runs fn once on SQLite (with the embedded NATS) and once on
// PostgreSQL.
func sseBackends(t *testing.T, fn func(t *testing.T, databaseURL string)) {
	t.Helper()
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, "") })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, testpg.Database(t, postgres.Migrate)) })
}

type sseEvent struct {
	Event, ID, Data string
}

// sseStream reads an event stream in a goroutine of its own, so that a
// wait can time out without breaking the stream.
type sseStream struct {
	t      *testing.T
	resp   *http.Response
	events chan sseEvent
	done   chan error // the stream's end: nil (EOF) or the read error
}

type sseRequest struct {
	method  string // GET (default) or POST
	token   string // Authorization: Bearer, unless inQuery
	inQuery bool   // the token as access_token
	header  http.Header
	params  map[string]any // query, variables, operationName, extensions
}

func (n *node) sseDo(t *testing.T, r sseRequest) *http.Response {
	t.Helper()
	var req *http.Request
	var err error
	if r.method == http.MethodPost {
		body, _ := json.Marshal(r.params)
		req, err = http.NewRequest(http.MethodPost, n.srv.URL+"/query", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
	} else {
		q := url.Values{}
		for k, v := range r.params {
			if s, ok := v.(string); ok {
				q.Set(k, s)
			} else {
				raw, _ := json.Marshal(v)
				q.Set(k, string(raw))
			}
		}
		if r.inQuery {
			q.Set("access_token", r.token)
		}
		req, err = http.NewRequest(http.MethodGet, n.srv.URL+"/query?"+q.Encode(), nil)
		require.NoError(t, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if r.token != "" && !r.inQuery {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return resp
}

// sse opens a stream, requiring 200 and the event-stream headers.
func (n *node) sse(t *testing.T, r sseRequest) *sseStream {
	t.Helper()
	resp := n.sseDo(t, r)
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	require.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	require.Equal(t, "no", resp.Header.Get("X-Accel-Buffering"))
	s := &sseStream{t: t, resp: resp, events: make(chan sseEvent, 1024), done: make(chan error, 1)}
	t.Cleanup(s.close)
	go s.read()
	return s
}

func (s *sseStream) close() { _ = s.resp.Body.Close() }

func (s *sseStream) read() {
	br := bufio.NewReader(s.resp.Body)
	var ev sseEvent
	var data []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			close(s.events)
			if errors.Is(err, io.EOF) {
				err = nil
			}
			s.done <- err
			return
		}
		line = strings.TrimSuffix(line, "\n")
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch {
		case line == "":
			if ev.Event != "" || len(data) > 0 {
				ev.Data = strings.Join(data, "\n")
				s.events <- ev
			}
			ev, data = sseEvent{}, nil
		case field == "": // a comment: the heart-beat
		case field == "event":
			ev.Event = value
		case field == "id":
			ev.ID = value
		case field == "data":
			data = append(data, value)
		}
	}
}

// next returns the next event within 15 s; ok false when the stream ended.
func (s *sseStream) next() (sseEvent, bool) {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		return ev, ok
	case <-time.After(15 * time.Second):
		s.t.Fatal("no event within 15 s")
		return sseEvent{}, false
	}
}

// result reads a `next` event and decodes its data.
func (s *sseStream) result() (sseEvent, sseResult) {
	s.t.Helper()
	ev, ok := s.next()
	require.True(s.t, ok, "the stream ended")
	require.Equal(s.t, "next", ev.Event, ev.Data)
	var r sseResult
	require.NoError(s.t, json.Unmarshal([]byte(ev.Data), &r), ev.Data)
	return ev, r
}

// liveEvents reads n `next` events of a subscription to Event, checking
// each id: against the event's cursor.
func (s *sseStream) liveEvents(field string, n int) []liveEvent {
	s.t.Helper()
	var out []liveEvent
	for range n {
		ev, r := s.result()
		require.Empty(s.t, r.Errors, ev.Data)
		var e liveEvent
		require.NoError(s.t, json.Unmarshal(r.Data[field], &e))
		require.NotEmpty(s.t, e.Cursor)
		require.Equal(s.t, e.Cursor, ev.ID, "the event's cursor is its id:")
		out = append(out, e)
	}
	return out
}

// completes reads `complete`, then the end of the stream.
func (s *sseStream) completes() {
	s.t.Helper()
	ev, ok := s.next()
	require.True(s.t, ok, "the stream ended without complete")
	require.Equal(s.t, "complete", ev.Event, ev.Data)
	s.ends()
}

// ends waits for the stream to end (the server closing it).
func (s *sseStream) ends() {
	s.t.Helper()
	for {
		select {
		case ev, ok := <-s.events:
			if ok {
				s.t.Fatalf("unexpected %s event %s", ev.Event, ev.Data)
			}
			require.NoError(s.t, <-s.done)
			return
		case <-time.After(15 * time.Second):
			s.t.Fatal("the stream did not end")
		}
	}
}

// quiet asserts that nothing arrives for a moment.
func (s *sseStream) quiet() {
	s.t.Helper()
	select {
	case ev := <-s.events:
		s.t.Fatalf("unexpected %s event %s", ev.Event, ev.Data)
	case <-time.After(300 * time.Millisecond):
	}
}

type sseResult struct {
	Data   map[string]json.RawMessage
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func (r sseResult) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Queries, mutations and subscriptions, over GET and POST: each `next` of
// an Event carries its cursor as id:, selected or not.
func TestSSEOperations(t *testing.T) {
	sseBackends(t, func(t *testing.T, db string) {
		n := startNode(t, t.TempDir(), db, "")
		tok := tokenFor(t, teacherA)
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			s := n.sse(t, sseRequest{method: method, token: tok, params: map[string]any{"query": `{ viewer { id role } }`}})
			_, r := s.result()
			require.Empty(t, r.Errors)
			require.JSONEq(t, `{"id":"`+teacherA.ID.String()+`","role":"TEACHER"}`, string(r.Data["viewer"]))
			s.completes()
		}

		s := n.sse(t, sseRequest{method: http.MethodPost, token: tok, params: map[string]any{"query": createPulseDoc}})
		_, r := s.result()
		require.Empty(t, r.Errors)
		var created struct{ Pulse struct{ ID string } }
		require.NoError(t, json.Unmarshal(r.Data["createPulse"], &created))
		s.completes()
		pulse := created.Pulse.ID
		require.Eventually(t, func() bool { return n.in.hub.Head() >= 1 }, 10*time.Second, 5*time.Millisecond)

		// A mutation over GET: 405 before any stream, as over plain GET.
		resp := n.sseDo(t, sseRequest{token: tok, params: map[string]any{"query": createPulseDoc}})
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
		require.Equal(t, "POST", resp.Header.Get("Allow"))
		_ = resp.Body.Close()

		byGET := n.sse(t, sseRequest{token: tok, params: map[string]any{"query": pulseSub, "variables": map[string]any{"p": pulse}}})
		byPOST := n.sse(t, sseRequest{method: http.MethodPost, token: tok, params: map[string]any{"query": pulseSub, "variables": map[string]any{"p": pulse}}})
		// No cursor selected: the id: is there all the same.
		bare := n.sse(t, sseRequest{token: tok, params: map[string]any{
			"query": `subscription($p: UUID!) { pulseEvents(pulseId: $p) { id } }`, "variables": map[string]any{"p": pulse}}})
		waitSubscribed(t, n, 3)
		respond(t, n, pulse, newStudent(), "one")
		respond(t, n, pulse, newStudent(), "two")
		got := byGET.liveEvents("pulseEvents", 2)
		require.Equal(t, []int{2, 3}, []int{got[0].Version, got[1].Version})
		require.Equal(t, got, byPOST.liveEvents("pulseEvents", 2))
		for _, want := range got {
			ev, r := bare.result()
			require.Equal(t, want.Cursor, ev.ID)
			require.JSONEq(t, `{"id":"`+want.ID+`"}`, string(r.Data["pulseEvents"]))
		}
		byGET.quiet()

		// A subscription refused before it runs: next with the error, then
		// complete (graphql-sse), not a 4xx that EventSource would hide.
		refused := n.sse(t, sseRequest{token: tok, params: map[string]any{"query": `subscription { events { id } }`}})
		_, r = refused.result()
		require.Equal(t, "FORBIDDEN", r.code())
		refused.completes()
		anonymous := n.sse(t, sseRequest{params: map[string]any{"query": pulseSub, "variables": map[string]any{"p": pulse}}})
		_, r = anonymous.result()
		require.Equal(t, "UNAUTHENTICATED", r.code())
		anonymous.completes()
	})
}

// Last-Event-ID resumes after the event it names: what was written while
// the client was away arrives once, in order, then live events; a
// malformed one is BAD_USER_INPUT, as a malformed `after`.
func TestSSELastEventIDResumes(t *testing.T) {
	sseBackends(t, func(t *testing.T, db string) {
		n := startNode(t, t.TempDir(), db, "")
		pulse := createPulse(t, n)
		tok := tokenFor(t, teacherA)
		req := sseRequest{token: tok, params: map[string]any{"query": pulseSub, "variables": map[string]any{"p": pulse}}}
		first := n.sse(t, req)
		waitSubscribed(t, n, 1)
		respond(t, n, pulse, newStudent(), "a")
		respond(t, n, pulse, newStudent(), "b")
		seen := first.liveEvents("pulseEvents", 2)
		first.close()
		require.Eventually(t, func() bool { return n.in.hub.Subscriptions() == 0 }, 10*time.Second, 5*time.Millisecond)

		for _, a := range []string{"c", "d", "e"} {
			respond(t, n, pulse, newStudent(), a)
		}
		req.header = http.Header{"Last-Event-Id": {seen[1].Cursor}}
		// The request's own `after` is older: Last-Event-ID wins.
		req.params["variables"] = map[string]any{"p": pulse, "after": seen[0].Cursor}
		again := n.sse(t, req)
		replayed := again.liveEvents("pulseEvents", 3)
		for i, e := range replayed {
			require.Equal(t, 4+i, e.Version, "no gap, no duplicate, in order")
			require.Equal(t, []string{"c", "d", "e"}[i], e.Payload.Response.Answer)
		}
		respond(t, n, pulse, newStudent(), "f")
		require.Equal(t, 7, again.liveEvents("pulseEvents", 1)[0].Version)
		again.quiet()

		req.header = http.Header{"Last-Event-Id": {"not-a-cursor"}}
		bad := n.sse(t, req)
		_, r := bad.result()
		require.Equal(t, "BAD_USER_INPUT", r.code())
		bad.completes()
	})
}

// startLoggedNode is startNode with the instance's log kept, at debug.
func startLoggedNode(t *testing.T, tweak ...func(*config.Config)) (*node, *sseLog) {
	t.Helper()
	cfg := config.Defaults
	cfg.DataDir, cfg.JWTSecret = t.TempDir(), secret
	for _, f := range tweak {
		f(&cfg)
	}
	logs := &sseLog{}
	reg := prometheus.NewRegistry()
	in, err := startInstance(context.Background(), cfg,
		slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), reg)
	require.NoError(t, err)
	n := &node{t: t, in: in, srv: httptest.NewServer(in.handler), reg: reg}
	t.Cleanup(n.stop)
	return n, logs
}

// EventSource cannot send headers: on SSE GET the token may come as
// access_token, and no log line ever shows it. Bad tokens are refused
// before any stream, with 401 and UNAUTHENTICATED, wherever they come.
func TestSSEAccessToken(t *testing.T) {
	t.Parallel()
	n, logs := startLoggedNode(t)
	pulse := createPulse(t, n)
	tok := tokenFor(t, teacherA)
	s := n.sse(t, sseRequest{token: tok, inQuery: true, params: map[string]any{"query": pulseSub, "variables": map[string]any{"p": pulse}}})
	waitSubscribed(t, n, 1)
	respond(t, n, pulse, newStudent(), "seen")
	require.Equal(t, "seen", s.liveEvents("pulseEvents", 1)[0].Payload.Response.Answer)

	old, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": teacherA.ID.String(), "role": "teacher", "exp": time.Now().Add(-time.Minute).Unix(),
	}).SignedString([]byte(secret))
	require.NoError(t, err)
	for name, r := range map[string]sseRequest{
		"garbage in the query":   {token: "not-a-token", inQuery: true},
		"expired in the query":   {token: old, inQuery: true},
		"garbage in the header":  {token: "not-a-token"},
		"in the query of a POST": {method: http.MethodPost, token: tok, inQuery: true},
	} {
		r.params = map[string]any{"query": pulseSub, "variables": map[string]any{"p": pulse}}
		if r.method == http.MethodPost && r.inQuery {
			// access_token is for EventSource's GET only.
			body, _ := json.Marshal(r.params)
			req, _ := http.NewRequest(http.MethodPost, n.srv.URL+"/query?access_token="+url.QueryEscape(tok), bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "text/event-stream")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			requireUnauthenticated(t, resp, name)
			continue
		}
		requireUnauthenticated(t, n.sseDo(t, r), name)
	}
	// Both ways at once: one per request (RFC 6750 §2).
	requireUnauthenticated(t, n.sseDo(t, sseRequest{token: tok, inQuery: true, header: http.Header{"Authorization": {"Bearer " + tok}},
		params: map[string]any{"query": `{ viewer { id } }`}}), "header and query")

	s.close()
	require.Eventually(t, func() bool { return n.in.hub.Subscriptions() == 0 }, 10*time.Second, 5*time.Millisecond)
	require.Contains(t, logs.String(), `"route":"GET /query"`, "the requests are logged")
	for _, secretPart := range []string{tok, old, strings.Split(tok, ".")[2]} {
		require.NotContains(t, logs.String(), secretPart)
	}
}

type sseLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *sseLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *sseLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func requireUnauthenticated(t *testing.T, resp *http.Response, msg string) {
	t.Helper()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s: %s", msg, raw)
	require.Contains(t, string(raw), `"code":"UNAUTHENTICATED"`, msg)
}

// A token that expires ends its stream: a last `next` with
// UNAUTHENTICATED and the cursor to resume from, then `complete`.
func TestSSETokenExpiryEndsTheStream(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), "", "")
	pulse := createPulse(t, n)
	tokens, err := auth.NewTokens([]byte(secret))
	require.NoError(t, err)
	short, err := tokens.Issue(teacherA, 3*time.Second)
	require.NoError(t, err)
	s := n.sse(t, sseRequest{token: short, params: map[string]any{"query": pulseSub, "variables": map[string]any{"p": pulse}}})
	waitSubscribed(t, n, 1)
	respond(t, n, pulse, newStudent(), "before")
	got := s.liveEvents("pulseEvents", 1)
	_, r := s.result()
	require.Equal(t, "UNAUTHENTICATED", r.code())
	require.Equal(t, got[0].Cursor, r.Errors[0].Extensions["lastCursor"])
	s.completes()
}

// Automatic persisted queries over SSE (contract §9, Persisted operations): an unknown hash is a
// `next` carrying PERSISTED_QUERY_NOT_FOUND; hash and query together run
// and register it; the hash alone then runs.
func TestSSEPersistedQuery(t *testing.T) {
	sseBackends(t, func(t *testing.T, db string) { ssePersistedQuery(t, db) })
}

func ssePersistedQuery(t *testing.T, db string) {
	n := startNode(t, t.TempDir(), db, "")
	pulse := createPulse(t, n)
	sum := sha256.Sum256([]byte(pulseSub))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	vars := map[string]any{"p": pulse}
	tok := tokenFor(t, teacherA)

	unknown := n.sse(t, sseRequest{token: tok, params: map[string]any{"variables": vars, "extensions": ext}})
	_, r := unknown.result()
	require.Equal(t, "PERSISTED_QUERY_NOT_FOUND", r.code())
	unknown.completes()

	register := n.sse(t, sseRequest{method: http.MethodPost, token: tok, params: map[string]any{"query": pulseSub, "variables": vars, "extensions": ext}})
	byHash := n.sse(t, sseRequest{token: tok, params: map[string]any{"variables": vars, "extensions": ext}})
	waitSubscribed(t, n, 2)
	respond(t, n, pulse, newStudent(), "by hash")
	require.Equal(t, register.liveEvents("pulseEvents", 1), byHash.liveEvents("pulseEvents", 1))
}

// Trusted documents only, over SSE: a document that is not in the file is
// a `next` carrying PERSISTED_QUERY_NOT_FOUND; one named by its hash runs.
func TestSSETrustedDocuments(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte(pulseSub))
	hash := hex.EncodeToString(sum[:])
	file := filepath.Join(t.TempDir(), "persisted-documents.json")
	docs := map[string]string{hash: pulseSub}
	for _, d := range []string{createPulseDoc, respondDoc} {
		sum := sha256.Sum256([]byte(d))
		docs[hex.EncodeToString(sum[:])] = d
	}
	raw, err := json.Marshal(docs)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, raw, 0o600))
	n := startNode(t, t.TempDir(), "", "", func(c *config.Config) {
		c.TrustedDocuments, c.TrustedDocumentsOnly = file, true
	})
	pulse := createPulse(t, n)
	vars := map[string]any{"p": pulse}
	tok := tokenFor(t, teacherA)

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		untrusted := n.sse(t, sseRequest{method: method, token: tok, params: map[string]any{"query": pulseSub + " # not the file's", "variables": vars}})
		_, r := untrusted.result()
		require.Equal(t, "PERSISTED_QUERY_NOT_FOUND", r.code())
		untrusted.completes()
	}
	byID := n.sse(t, sseRequest{method: http.MethodPost, token: tok, params: map[string]any{"documentId": "sha256:" + hash, "variables": vars}})
	byGET := n.sse(t, sseRequest{token: tok, params: map[string]any{"documentId": hash, "variables": vars}})
	waitSubscribed(t, n, 2)
	respond(t, n, pulse, newStudent(), "trusted")
	require.Equal(t, byID.liveEvents("pulseEvents", 1), byGET.liveEvents("pulseEvents", 1))
}

// smallSendBuffers makes the server's socket buffers small, so that a
// client that stops reading stops the server's writes within a few events.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// A client that stops reading is cut off with SLOW_CONSUMER, once it reads
// again: a last `next` with the error and the last cursor delivered, then
// `complete`. Resuming from that cursor misses nothing.
func TestSSESlowConsumer(t *testing.T) {
	sseBackends(t, func(t *testing.T, db string) { sseSlowConsumer(t, db) })
}

func sseSlowConsumer(t *testing.T, db string) {
	cfg := config.Defaults
	cfg.DataDir, cfg.DatabaseURL, cfg.JWTSecret, cfg.SubscriberBuffer = t.TempDir(), db, secret, 4
	reg := prometheus.NewRegistry()
	in, err := startInstance(context.Background(), cfg, slog.New(slog.DiscardHandler), reg)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(in.handler)
	srv.Listener = smallSendBuffers{srv.Listener}
	srv.Start()
	n := &node{t: t, in: in, srv: srv, reg: reg}
	t.Cleanup(n.stop)
	pulse := createPulse(t, n)

	// A reader that reads nothing until told to.
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
	q := url.Values{"query": {pulseSub}, "variables": {`{"p":"` + pulse + `"}`}}
	_, err = io.WriteString(conn, "GET /query?"+q.Encode()+" HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"+
		"Authorization: Bearer "+tokenFor(t, teacherA)+"\r\n\r\n")
	require.NoError(t, err)
	waitSubscribed(t, n, 1)
	answer := strings.Repeat("x", 900)
	for range 60 {
		respond(t, n, pulse, newStudent(), answer)
	}
	time.Sleep(500 * time.Millisecond) // the hub has cut the subscriber off
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	s := &sseStream{t: t, resp: resp, events: make(chan sseEvent, 1024), done: make(chan error, 1)}
	t.Cleanup(s.close)
	go s.read()
	var got []liveEvent
	for {
		ev, r := s.result()
		if len(r.Errors) > 0 {
			require.Equal(t, "SLOW_CONSUMER", r.code(), ev.Data)
			require.NotEmpty(t, got, "some were delivered first")
			require.Equal(t, got[len(got)-1].Cursor, r.Errors[0].Extensions["lastCursor"])
			break
		}
		var e liveEvent
		require.NoError(t, json.Unmarshal(r.Data["pulseEvents"], &e))
		require.Equal(t, e.Cursor, ev.ID)
		got = append(got, e)
	}
	ev, _ := s.next()
	require.Equal(t, "complete", ev.Event)
	require.Less(t, len(got), 60)

	resumed := n.sse(t, sseRequest{token: tokenFor(t, teacherA), header: http.Header{"Last-Event-Id": {got[len(got)-1].Cursor}},
		params: map[string]any{"query": pulseSub, "variables": map[string]any{"p": pulse}}})
	rest := resumed.liveEvents("pulseEvents", 60-len(got))
	require.Equal(t, len(got)+2, rest[0].Version, "no gap")
	require.Equal(t, 61, rest[len(rest)-1].Version)
	resumed.quiet()
}

// A subscription over plain POST is refused at once with 400, and a
// thousand of them leave no goroutine behind.
func TestPlainPOSTSubscriptionRefused(t *testing.T) {
	n := startNode(t, t.TempDir(), "", "")
	pulse := createPulse(t, n)
	body, _ := json.Marshal(map[string]any{"query": pulseSub, "variables": map[string]any{"p": pulse}})
	tok := tokenFor(t, teacherA)
	post := func(accept string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, n.srv.URL+"/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	for _, accept := range []string{"", "application/json", "application/graphql-response+json"} {
		status, raw := post(accept)
		require.Equal(t, http.StatusBadRequest, status, raw)
		require.Contains(t, raw, `"code":"BAD_USER_INPUT"`)
		require.Contains(t, raw, "websocket")
		require.Contains(t, raw, "Server-Sent Events")
		require.NotContains(t, raw, `"data"`)
	}
	// The goroutines of the requests above end after their answer is
	// written: nothing signals it, so the baseline is taken after a pause.
	time.Sleep(200 * time.Millisecond)
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 100 {
				status, _ := post("")
				if status != http.StatusBadRequest {
					t.Errorf("status %d", status)
					return
				}
			}
		})
	}
	wg.Wait()
	http.DefaultClient.CloseIdleConnections()
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+5 }, 10*time.Second, 50*time.Millisecond,
		"goroutines back to %d (now %d)", before, runtime.NumGoroutine())
	require.Zero(t, n.in.hub.Subscriptions())
}

// On shutdown the streams end without `complete` (the client reconnects,
// with Last-Event-ID); EDUPULSE_MAX_CONNS_PER_IP counts streams.
func TestSSEShutdownAndConnectionCap(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), "", "", func(c *config.Config) { c.MaxConnsPerIP = 2 })
	pulse := createPulse(t, n)
	req := sseRequest{token: tokenFor(t, teacherA), params: map[string]any{"query": pulseSub, "variables": map[string]any{"p": pulse}}}
	a, b := n.sse(t, req), n.sse(t, req)
	resp := n.sseDo(t, req)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	_ = resp.Body.Close()
	waitSubscribed(t, n, 2)

	n.in.closeLive()
	a.ends()
	b.ends()
	require.Eventually(t, func() bool { return n.in.hub.Subscriptions() == 0 }, 10*time.Second, 5*time.Millisecond)
	resp = n.sseDo(t, req)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "no new stream once shutting down")
	_ = resp.Body.Close()
}

// CORS as for every /query request: an allowed origin's stream carries
// Access-Control-Allow-Origin, and its preflight allows Last-Event-ID; any
// other origin gets no CORS header, so its page cannot read the stream.
func TestSSECORS(t *testing.T) {
	t.Parallel()
	const allowed = "https://app.example"
	n := startNode(t, t.TempDir(), "", "", func(c *config.Config) { c.AllowedOrigins = []string{allowed} })
	tok := tokenFor(t, teacherA)
	for origin, want := range map[string]string{allowed: allowed, "https://evil.example": ""} {
		s := n.sse(t, sseRequest{token: tok, header: http.Header{"Origin": {origin}}, params: map[string]any{"query": `{ viewer { id } }`}})
		require.Equal(t, want, s.resp.Header.Get("Access-Control-Allow-Origin"), origin)
		s.result()
		s.completes()
	}
	req, err := http.NewRequest(http.MethodOptions, n.srv.URL+"/query", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", allowed)
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,last-event-id")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, allowed, resp.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "last-event-id")
}
