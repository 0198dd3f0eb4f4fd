package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/reqctx"
)

var testSecret = []byte("test-secret-test-secret-test-secret!")

// lockedBuffer collects the log output; handlers may log from several
// goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// innerCall is what the stub GraphQL handler saw.
type innerCall struct {
	actor         auth.Actor
	hasActor      bool
	correlationID uuid.UUID
	body          string
	readErr       error
}

type testBundle struct {
	handler  http.Handler
	tokens   *auth.Tokens
	registry *prometheus.Registry
	logs     *lockedBuffer

	mu    sync.Mutex
	calls []innerCall
}

func (b *testBundle) innerCalls() []innerCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]innerCall(nil), b.calls...)
}

// setup builds the server around a stub GraphQL handler that records what it
// was given. opts may adjust the Options before New.
func setup(t *testing.T, opts ...func(*Options)) *testBundle {
	t.Helper()
	tokens, err := auth.NewTokens(testSecret)
	require.NoError(t, err)
	b := &testBundle{tokens: tokens, registry: prometheus.NewRegistry(), logs: &lockedBuffer{}}
	o := Options{
		GraphQL: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := innerCall{correlationID: reqctx.CorrelationID(r.Context())}
			c.actor, c.hasActor = auth.ActorFrom(r.Context())
			body, err := io.ReadAll(r.Body)
			c.body, c.readErr = string(body), err
			b.mu.Lock()
			b.calls = append(b.calls, c)
			b.mu.Unlock()
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"data":{}}`)
		}),
		Schema:   []byte("type Query { viewer: Viewer! }\n"),
		Tokens:   tokens,
		Logger:   slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry: b.registry,
	}
	for _, f := range opts {
		f(&o)
	}
	b.handler = New(o)
	return b
}

// do serves one request and returns the recorded response.
func (b *testBundle) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	b.handler.ServeHTTP(w, r)
	return w
}

func (b *testBundle) token(t *testing.T, role auth.Role) (string, auth.Actor) {
	t.Helper()
	a := auth.Actor{ID: uuid.New(), Role: role}
	tok, err := b.tokens.Issue(a, time.Hour)
	require.NoError(t, err)
	return tok, a
}

func postQuery(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// requireGraphQLError checks a response is the JSON error document of the
// contract with the given status and code, and returns its message.
func requireGraphQLError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) string {
	t.Helper()
	require.Equal(t, status, w.Code, w.Body.String())
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var doc struct {
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc), w.Body.String())
	require.Len(t, doc.Errors, 1)
	require.Equal(t, code, doc.Errors[0].Extensions.Code)
	require.NotEmpty(t, doc.Errors[0].Message)
	return doc.Errors[0].Message
}

func TestCorrelationID(t *testing.T) {
	t.Parallel()

	t.Run("generated when absent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		w := b.do(postQuery(`{}`))
		require.Equal(t, http.StatusOK, w.Code)
		id, err := uuid.Parse(w.Header().Get(CorrelationHeader))
		require.NoError(t, err)
		require.Equal(t, uuid.Version(4), id.Version())
		calls := b.innerCalls()
		require.Len(t, calls, 1)
		require.Equal(t, id, calls[0].correlationID, "the handler sees the id the client is told")
	})

	t.Run("client's UUID echoed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		want := uuid.New()
		r := postQuery(`{}`)
		r.Header.Set(CorrelationHeader, strings.ToUpper(want.String()))
		w := b.do(r)
		require.Equal(t, want.String(), w.Header().Get(CorrelationHeader), "echoed in canonical lowercase")
		require.Equal(t, want, b.innerCalls()[0].correlationID)
	})

	t.Run("anything else replaced", func(t *testing.T) {
		t.Parallel()
		for _, bad := range []string{
			"abc",
			"{" + uuid.NewString() + "}",
			"urn:uuid:" + uuid.NewString(),
			strings.ReplaceAll(uuid.NewString(), "-", ""),
			uuid.Nil.String(),
			`<script>alert(1)</script>`,
		} {
			b := setup(t)
			r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			r.Header.Set(CorrelationHeader, bad)
			w := b.do(r)
			got := w.Header().Get(CorrelationHeader)
			require.NotEqual(t, bad, got)
			id, err := uuid.Parse(got)
			require.NoError(t, err, "for %q", bad)
			require.NotEqual(t, uuid.Nil, id)
		}
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()

	t.Run("no header: the handler runs without an actor", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, r := range []*http.Request{
			postQuery(`{"query":"{ __schema { queryType { name } } }"}`),
			httptest.NewRequest(http.MethodGet, "/query?query=%7B__typename%7D", nil),
		} {
			w := b.do(r)
			require.Equal(t, http.StatusOK, w.Code)
		}
		calls := b.innerCalls()
		require.Len(t, calls, 2)
		for _, c := range calls {
			require.False(t, c.hasActor)
		}
	})

	t.Run("empty header counts as none", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		r := postQuery(`{}`)
		r.Header.Set("Authorization", "  ")
		require.Equal(t, http.StatusOK, b.do(r).Code)
		require.False(t, b.innerCalls()[0].hasActor)
	})

	t.Run("valid bearer: the actor is in the context", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, role := range auth.Roles {
			tok, want := b.token(t, role)
			r := postQuery(`{}`)
			r.Header.Set("Authorization", "Bearer "+tok)
			require.Equal(t, http.StatusOK, b.do(r).Code)
			calls := b.innerCalls()
			last := calls[len(calls)-1]
			require.True(t, last.hasActor)
			require.Equal(t, want, last.actor)
		}
	})

	t.Run("bad bearer: 401 UNAUTHENTICATED and the handler never runs", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		good, _ := b.token(t, auth.RoleTeacher)

		other, err := auth.NewTokens([]byte("another-secret-another-secret-!!"))
		require.NoError(t, err)
		foreign, err := other.Issue(auth.Actor{ID: uuid.New(), Role: auth.RoleAdmin}, time.Hour)
		require.NoError(t, err)

		expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub":  uuid.NewString(),
			"role": "teacher",
			"exp":  time.Now().Add(-time.Hour).Unix(),
		}).SignedString(testSecret)
		require.NoError(t, err)

		cases := map[string][]string{
			"malformed":       {"Bearer not.a.token"},
			"wrong secret":    {"Bearer " + foreign},
			"expired":         {"Bearer " + expired},
			"other scheme":    {"Basic dXNlcjpwYXNz"},
			"no token":        {"Bearer"},
			"two headers":     {"Bearer " + good, "Bearer " + good},
			"token with junk": {"Bearer " + good + " extra"},
		}
		for name, headers := range cases {
			for _, method := range []string{http.MethodPost, http.MethodGet} {
				r := httptest.NewRequest(method, "/query", strings.NewReader(`{}`))
				for _, h := range headers {
					r.Header.Add("Authorization", h)
				}
				w := b.do(r)
				msg := requireGraphQLError(t, w, http.StatusUnauthorized, "UNAUTHENTICATED")
				require.Equal(t, `Bearer error="invalid_token"`, w.Header().Get("WWW-Authenticate"), name)
				require.NotContains(t, msg, good, name)
				require.NotContains(t, msg, string(testSecret), name)
			}
		}
		require.Empty(t, b.innerCalls())
		require.NotContains(t, b.logs.String(), good, "tokens are never logged")
	})

	t.Run("websocket upgrade passes through untouched", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		r := httptest.NewRequest(http.MethodGet, "/query", nil)
		r.Header.Set("Connection", "keep-alive, Upgrade")
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Authorization", "Bearer not.a.token")
		b.do(r)
		calls := b.innerCalls()
		require.Len(t, calls, 1, "authentication of a websocket is connection_init's job")
		require.False(t, calls[0].hasActor)
	})
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	const limit = 64
	b := setup(t, func(o *Options) { o.MaxBodyBytes = limit })

	// A body that says how long it is: refused before the handler runs.
	w := b.do(postQuery(strings.Repeat("x", limit+1)))
	requireGraphQLError(t, w, http.StatusRequestEntityTooLarge, "BAD_USER_INPUT")
	require.Empty(t, b.innerCalls())

	// A chunked body: the handler's read stops at the limit.
	r := postQuery("")
	r.Body = io.NopCloser(strings.NewReader(strings.Repeat("x", limit*4)))
	r.ContentLength = -1
	w = b.do(r)
	require.Equal(t, http.StatusBadRequest, w.Code)
	calls := b.innerCalls()
	require.Len(t, calls, 1)
	var tooLarge *http.MaxBytesError
	require.ErrorAs(t, calls[0].readErr, &tooLarge)
	require.LessOrEqual(t, len(calls[0].body), limit)

	// At the limit exactly, all is well.
	w = b.do(postQuery(strings.Repeat("x", limit)))
	require.Equal(t, http.StatusOK, w.Code)
}

func TestDefaultBodyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.do(postQuery(strings.Repeat("x", int(DefaultMaxBodyBytes)+1)))
	requireGraphQLError(t, w, http.StatusRequestEntityTooLarge, "BAD_USER_INPUT")
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.Ready = func(context.Context) error { return errors.New("down") }
	})
	w := b.do(httptest.NewRequest(http.MethodGet, "/healthz", nil))
	require.Equal(t, http.StatusOK, w.Code, "liveness does not depend on readiness")
	require.Equal(t, "ok", w.Body.String())
}

func TestReadyz(t *testing.T) {
	t.Parallel()

	t.Run("ready", func(t *testing.T) {
		t.Parallel()
		var called bool
		b := setup(t, func(o *Options) {
			o.Ready = func(ctx context.Context) error {
				called = true
				deadline, ok := ctx.Deadline()
				require.True(t, ok)
				require.WithinDuration(t, time.Now().Add(readyTimeout), deadline, time.Second)
				return nil
			}
		})
		w := b.do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusOK, w.Code)
		require.Equal(t, "ready", w.Body.String())
		require.True(t, called)
	})

	t.Run("no check means ready", func(t *testing.T) {
		t.Parallel()
		w := setup(t).do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusOK, w.Code)
	})

	t.Run("failing: 503 without the secret, which is logged", func(t *testing.T) {
		t.Parallel()
		const dsn = "postgres://edupulse:hunter2@db.internal:5432/edupulse"
		b := setup(t, func(o *Options) {
			o.Ready = func(context.Context) error {
				return errors.New("ping store: failed to connect to " + dsn + ": connection refused")
			}
		})
		w := b.do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		require.NotEmpty(t, w.Body.String())
		for _, secret := range []string{"hunter2", "postgres://", "db.internal", "refused"} {
			require.NotContains(t, w.Body.String(), secret)
		}
		require.Contains(t, b.logs.String(), "connection refused", "operators find the reason in the log")
	})

	t.Run("the bus's state is in the body, never in the status", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) {
			o.Ready = func(context.Context) error { return nil }
			o.BusState = func() string { return "unreachable" }
		})
		w := b.do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusOK, w.Code)
		require.Equal(t, "ready\nbus: unreachable", w.Body.String())
	})

	t.Run("draining: 503 before the store is even asked", func(t *testing.T) {
		t.Parallel()
		var draining atomic.Bool
		b := setup(t, func(o *Options) {
			o.Ready = func(context.Context) error { return nil }
			o.Draining = draining.Load
		})
		require.Equal(t, http.StatusOK, b.do(httptest.NewRequest(http.MethodGet, "/readyz", nil)).Code)
		draining.Store(true)
		w := b.do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		require.Contains(t, w.Body.String(), "shutting down")
	})

	t.Run("a check that hangs is cut at the timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		b := setup(t, func(o *Options) {
			// Ignores its context, as a careless check might.
			o.Ready = func(context.Context) error { <-release; return nil }
		})
		start := time.Now()
		w := b.do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		require.Contains(t, w.Body.String(), "timed out")
		require.Less(t, time.Since(start), readyTimeout+time.Second)
	})
}

func TestSchema(t *testing.T) {
	t.Parallel()
	w := setup(t).do(httptest.NewRequest(http.MethodGet, "/schema.graphql", nil))
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))
	require.Equal(t, "type Query { viewer: Viewer! }\n", w.Body.String())
}

func TestUnknownPath(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, p := range []string{"/nope", "/query/x", "/playground/assets/nope.js"} {
		w := b.do(httptest.NewRequest(http.MethodGet, p, nil))
		require.Equal(t, http.StatusNotFound, w.Code, p)
	}
	w := b.do(httptest.NewRequest(http.MethodDelete, "/query", nil))
	require.Equal(t, http.StatusMethodNotAllowed, w.Code)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.do(httptest.NewRequest(http.MethodGet, "/healthz", nil))
	b.do(postQuery(`{}`))
	b.do(postQuery(`{}`))
	r := postQuery(`{}`)
	r.Header.Set("Authorization", "Bearer nope")
	b.do(r)
	b.do(httptest.NewRequest(http.MethodGet, "/does-not-exist/"+uuid.NewString(), nil))

	w := b.do(httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	for _, line := range []string{
		`edupulse_http_requests_total{code="200",route="GET /healthz"} 1`,
		`edupulse_http_requests_total{code="200",route="POST /query"} 2`,
		`edupulse_http_requests_total{code="401",route="POST /query"} 1`,
		`edupulse_http_requests_total{code="404",route="unmatched"} 1`,
		`edupulse_http_request_duration_seconds_count{code="200",route="POST /query"} 2`,
		`edupulse_http_request_duration_seconds_bucket{code="200",route="POST /query",le="+Inf"} 2`,
	} {
		require.Contains(t, body, line)
	}
	require.NotContains(t, body, "does-not-exist", "raw paths never become labels")
}

func TestNewTwiceOnOneRegistry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	again := New(Options{GraphQL: http.NotFoundHandler(), Tokens: b.tokens, Registry: b.registry})
	again.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/healthz", nil))
	b.do(httptest.NewRequest(http.MethodGet, "/healthz", nil))
	w := b.do(httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Contains(t, w.Body.String(), `edupulse_http_requests_total{code="200",route="GET /healthz"} 2`)
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok, _ := b.token(t, auth.RoleStudent)
	r := httptest.NewRequest(http.MethodPost, "/query?secretVar=leak", strings.NewReader(`{}`))
	r.Header.Set("Authorization", "Bearer "+tok)
	w := b.do(r)
	require.Equal(t, http.StatusOK, w.Code)

	logs := b.logs.String()
	require.NotContains(t, logs, tok)
	require.NotContains(t, logs, "Bearer")
	require.NotContains(t, logs, "secretVar", "no query string")

	var entry map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(logs), "\n") {
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &e), "the log is JSON: %s", line)
		if e["msg"] == "http request" {
			entry = e
		}
	}
	require.NotNil(t, entry, logs)
	require.Equal(t, "POST", entry["method"])
	require.Equal(t, "/query", entry["path"])
	require.Equal(t, "POST /query", entry["route"])
	require.EqualValues(t, 200, entry["status"])
	require.Contains(t, entry, "duration_ms")
	require.Equal(t, w.Header().Get(CorrelationHeader), entry["correlation_id"])
}

func TestPanicRecovery(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.GraphQL = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("boom: password=hunter2")
		})
	})
	w := b.do(postQuery(`{}`))
	requireGraphQLError(t, w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR")
	require.NotContains(t, w.Body.String(), "hunter2")
	require.NotContains(t, w.Body.String(), "goroutine")
	logs := b.logs.String()
	require.Contains(t, logs, "panic serving request")
	require.Contains(t, logs, "boom")
	require.Contains(t, logs, `"status":500`, "the access log shows the 500")

	m := b.do(httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Contains(t, m.Body.String(), `edupulse_http_requests_total{code="500",route="POST /query"} 1`)
}

func TestPanicAfterWriteKeepsResponse(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.GraphQL = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, "partial")
			panic("late")
		})
	})
	w := b.do(postQuery(`{}`))
	require.Equal(t, http.StatusAccepted, w.Code)
	require.Equal(t, "partial", w.Body.String(), "no error document appended to a started response")
}

// TestWebsocketHijack runs a real server: a websocket library must be able to
// hijack the connection through the middleware's response writer.
func TestWebsocketHijack(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.GraphQL = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			defer func() { _ = conn.Close() }()
			_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello")
			_ = rw.Flush()
		})
	})
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = io.WriteString(conn, "GET /query HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	// A 101 has no body: what follows is the upgraded protocol's bytes.
	rest, _ := io.ReadAll(br)
	require.Equal(t, "hello", string(rest))

	require.Eventually(t, func() bool {
		w := b.do(httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return strings.Contains(w.Body.String(), `edupulse_http_requests_total{code="101",route="GET /query"} 1`)
	}, 5*time.Second, 10*time.Millisecond)
}

func TestNewRequiresGraphQLAndTokens(t *testing.T) {
	t.Parallel()
	tokens, err := auth.NewTokens(testSecret)
	require.NoError(t, err)
	require.Panics(t, func() { New(Options{Tokens: tokens}) })
	require.Panics(t, func() { New(Options{GraphQL: http.NotFoundHandler()}) })
}

func TestAbortHandlerPanicPropagates(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.GraphQL = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic(http.ErrAbortHandler)
		})
	})
	// net/http must see it to drop the connection without logging a stack.
	require.PanicsWithValue(t, http.ErrAbortHandler, func() { b.do(postQuery(`{}`)) })
	require.Contains(t, b.logs.String(), `"msg":"http request"`, "still in the access log")
	require.NotContains(t, b.logs.String(), "panic serving request")
}
