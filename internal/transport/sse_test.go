package transport_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/server"
	"github.com/edupulse/edupulse-live/internal/transport"
)

// The stream's framing on gqlgen's test server, whose one subscription
// the test drives: the opening comment, heart-beats while idle, each
// result a `next`, `complete` at the end. (The real schema's behaviour is
// tested on a running instance, in cmd/edupulse.)
func TestSSEFramingAndHeartBeat(t *testing.T) {
	t.Parallel()
	ts := testserver.New()
	streams := transport.NewRegistry()
	ts.AddTransport(transport.SSE{HeartBeat: 50 * time.Millisecond, Registry: streams})
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)

	req, err := http.NewRequest(http.MethodGet, srv.URL+"?"+url.Values{"query": {"subscription { name }"}}.Encode(), nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json, text/event-stream;q=0.9")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, "keep-alive", resp.Header.Get("Connection"))
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		br := bufio.NewReader(resp.Body)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			lines <- strings.TrimSuffix(l, "\n")
		}
	}()
	read := func() string {
		t.Helper()
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the stream ended")
			return l
		case <-time.After(5 * time.Second):
			t.Fatal("nothing within 5 s")
			return ""
		}
	}
	require.Equal(t, ":", read(), "the opening comment")
	require.Empty(t, read())
	require.Equal(t, 1, streams.Streams())
	for range 3 { // idle: heart-beats
		require.Equal(t, ":", read())
		require.Empty(t, read())
	}
	ts.SendNextSubscriptionMessage()
	for l := read(); l != "event: next"; l = read() {
		require.True(t, l == ":" || l == "", l)
	}
	require.Equal(t, `data: {"data":{"name":"test"}}`, read())
	require.Empty(t, read())
	ts.SendCompleteSubscriptionMessage()
	for l := read(); l != "event: complete"; l = read() {
		require.True(t, l == ":" || l == "", l)
	}
	require.Equal(t, "data:", read())
	require.Empty(t, read())
	_, open := <-lines
	require.False(t, open, "the stream ends after complete")
	require.Eventually(t, func() bool { return streams.Streams() == 0 }, 5*time.Second, 5*time.Millisecond)
}

// What the request itself gets wrong is answered before any stream.
func TestSSERefusesMalformedRequests(t *testing.T) {
	t.Parallel()
	ts := testserver.New()
	ts.AddTransport(transport.SSE{})
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	for name, c := range map[string]struct {
		method, query, contentType, body string
		status                           int
	}{
		"variables not JSON":  {http.MethodGet, "query=%7Bname%7D&variables=%7B", "", "", http.StatusBadRequest},
		"extensions not JSON": {http.MethodGet, "query=%7Bname%7D&extensions=nope", "", "", http.StatusBadRequest},
		"body not JSON":       {http.MethodPost, "", "application/json", "{", http.StatusBadRequest},
		"body not an object":  {http.MethodPost, "", "application/json", "[1]", http.StatusBadRequest},
		"body of another type": {http.MethodPost, "", "text/plain", `{"query":"{name}"}`,
			http.StatusUnsupportedMediaType},
	} {
		req, err := http.NewRequest(c.method, srv.URL+"?"+c.query, strings.NewReader(c.body))
		require.NoError(t, err)
		req.Header.Set("Accept", "text/event-stream")
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, name)
		_ = resp.Body.Close()
		require.Equal(t, c.status, resp.StatusCode, name)
		require.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"), name)
	}
}

func TestSSERequested(t *testing.T) {
	t.Parallel()
	for accept, want := range map[string]bool{
		"text/event-stream":                   true,
		"TEXT/Event-Stream; charset=utf-8":    true,
		"application/json, text/event-stream": true,
		"application/json":                    false,
		"":                                    false,
		"text/event-streams":                  false,
	} {
		r := httptest.NewRequest(http.MethodGet, "/query", nil)
		r.Header.Set("Accept", accept)
		require.Equal(t, want, transport.SSERequested(r), accept)
	}
	r := httptest.NewRequest(http.MethodPut, "/query", nil)
	r.Header.Set("Accept", "text/event-stream")
	require.False(t, transport.SSERequested(r))
}

// A stream outlives the deadline the server gives a POST's body: once the
// body is read, the stream is not cut by it.
func TestSSEPOSTOutlivesTheBodyDeadline(t *testing.T) {
	t.Parallel()
	ts := testserver.New()
	ts.AddTransport(transport.SSE{})
	opCtx := make(chan context.Context, 1)
	ts.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		opCtx <- ctx
		return next(ctx)
	})
	tokens, err := auth.NewTokens([]byte(strings.Repeat("s", 32)))
	require.NoError(t, err)
	srv := httptest.NewServer(server.New(server.Options{GraphQL: ts, Tokens: tokens, BodyTimeout: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/query", strings.NewReader(`{"query":"subscription { name }"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ctx := <-opCtx
	// Past the request body's read deadline: what is tested is that
	// nothing cancels the operation when it passes, so time must pass.
	time.Sleep(400 * time.Millisecond)
	require.NoError(t, ctx.Err(), "the operation was cancelled")
	ts.SendNextSubscriptionMessage()
	br := bufio.NewReader(resp.Body)
	for {
		l, err := br.ReadString('\n')
		require.NoError(t, err, "the stream was cut")
		if l == "event: next\n" {
			break
		}
	}
}

// On shutdown a stream ends without `complete`, with a reconnection delay
// spread over a few seconds; new streams are refused.
func TestSSECloseAll(t *testing.T) {
	t.Parallel()
	ts := testserver.New()
	streams := transport.NewRegistry()
	ts.AddTransport(transport.SSE{Registry: streams})
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	get := func() *http.Response {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"?"+url.Values{"query": {"subscription { name }"}}.Encode(), nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	resp := get()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Eventually(t, func() bool { return streams.Streams() == 1 }, 5*time.Second, 5*time.Millisecond)
	streams.CloseAll(transport.CloseServiceRestart, "shutdown")
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Regexp(t, `^:\n\nretry: \d{4}\n\n$`, string(rest))
	require.Equal(t, http.StatusServiceUnavailable, get().StatusCode)
}
