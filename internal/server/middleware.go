package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/reqctx"
	"github.com/edupulse/edupulse-live/internal/tracing"
	"github.com/edupulse/edupulse-live/internal/transport"
)

// CorrelationHeader carries a request's correlation id in both directions.
const CorrelationHeader = "X-Correlation-ID"

// The contract's error codes (contract §4, Errors) that this package answers with itself.
const (
	codeUnauthenticated = "UNAUTHENTICATED"
	codeBadUserInput    = "BAD_USER_INPUT"
	codeInternal        = "INTERNAL_SERVER_ERROR"
)

// withCorrelationID gives every request a correlation id: the client's, when
// it sends a UUID, so that a trace can span services; a fresh random one
// otherwise. Anything else the client sends is dropped rather than echoed,
// because the id ends up in events and logs and must stay a UUID.
func withCorrelationID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := parseCorrelationID(r.Header.Get(CorrelationHeader))
		if !ok {
			id = uuid.New()
		}
		w.Header().Set(CorrelationHeader, id.String())
		next.ServeHTTP(w, r.WithContext(reqctx.WithCorrelationID(r.Context(), id)))
	})
}

// parseCorrelationID accepts only the 36-character form (either case) and
// never the nil UUID, which means "none" in the event envelope. uuid.Parse
// alone would also take the braced, urn: and 32-digit forms.
func parseCorrelationID(s string) (uuid.UUID, bool) {
	if len(s) != 36 {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil {
		return uuid.Nil, false
	}
	return id, true
}

// quietRoutes are polled by machines every few seconds or fetched once per
// page load; logging them at Info would bury the requests that matter.
var quietRoutes = map[string]bool{
	"GET /healthz":                  true,
	"GET /readyz":                   true,
	"GET /metrics":                  true,
	"GET " + assetPrefix + "{name}": true,
}

// observe writes one access-log line and the HTTP metrics per request. It
// sits outside the mux so that it also sees 404s, and outside recoverPanics
// so that a recovered panic is logged and counted as the 500 it became. The
// log carries no header and no query string: the Authorization header is a
// credential, and a GET /query string holds the caller's variables.
func observe(log *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		// Deferred so that a panic the server must see (http.ErrAbortHandler)
		// is still logged on its way up.
		defer func() {
			d := time.Since(start)
			// The mux writes the matched pattern into r, the very request
			// passed to it, so it is known here once ServeHTTP returns.
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			status := rec.statusCode()
			m.observe(route, status, d, rec.hijacked)
			level := slog.LevelInfo
			if quietRoutes[route] && status < 500 {
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000),
				slog.String("correlation_id", reqctx.CorrelationID(r.Context()).String()),
			}
			if id := tracing.TraceID(r.Context()); id != "" {
				attrs = append(attrs, slog.String("trace_id", id))
			}
			log.LogAttrs(r.Context(), level, "http request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

// recoverPanics turns a panicking handler into a logged 500 with a generic
// body, so that one bad request neither kills the connection silently nor
// shows a stack trace to the client (contract §4, Errors).
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				// The handler's way of asking net/http to drop the
				// connection: let it.
				panic(v)
			}
			log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("correlation_id", reqctx.CorrelationID(r.Context()).String()),
			)
			if s, ok := w.(interface{ started() bool }); ok && s.started() {
				// Part of a response, or a hijacked connection, is already
				// out: a second status line would only corrupt it.
				return
			}
			writeError(w, http.StatusInternalServerError, codeInternal, "internal server error")
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticate verifies the bearer token of a /query request and puts its
// actor into the context. It does not require one: without an Authorization
// header the request goes on anonymously and the GraphQL layer answers
// UNAUTHENTICATED per operation, which lets introspection (the playground's
// schema, codegen) work without a token. A header that is present but wrong
// is refused here with 401, before any GraphQL work: a client that meant to
// authenticate must not be silently treated as anonymous.
func authenticate(tokens *auth.Tokens, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if transport.WebsocketRequested(r) {
			// Browsers cannot set headers on a websocket: the token comes in
			// the connection_init payload, checked by the GraphQL layer.
			next.ServeHTTP(w, r)
			return
		}
		queryToken, inQuery := takeAccessToken(r)
		values := r.Header.Values("Authorization")
		noHeader := len(values) == 0 || (len(values) == 1 && strings.TrimSpace(values[0]) == "")
		reject := func(reason string) {
			log.LogAttrs(r.Context(), slog.LevelInfo, "bearer token rejected",
				slog.String("reason", reason),
				slog.String("correlation_id", reqctx.CorrelationID(r.Context()).String()),
			)
			// RFC 6750 §3: tell the client which scheme and what went wrong.
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, codeUnauthenticated, reason)
		}
		var token string
		switch {
		case inQuery && (!noHeader || r.Method != http.MethodGet || !transport.SSERequested(r)):
			// RFC 6750 §2.3 is the last resort, for what cannot send a
			// header: EventSource. One way per request (§2).
			reject("access_token is accepted only on event-stream GET requests without an Authorization header")
			return
		case inQuery:
			token = queryToken
		case noHeader:
			// An empty header is what a client sends when its token field
			// is blank: the same as none.
			next.ServeHTTP(w, r)
			return
		case len(values) > 1:
			reject("more than one Authorization header")
			return
		default:
			var ok bool
			if token, ok = auth.ParseBearer(values[0]); !ok {
				reject("the Authorization header is not of the form \"Bearer <token>\"")
				return
			}
		}
		verify := tokens.Verify
		if transport.SSERequested(r) {
			// A stream ends when the token does: one already past its exp
			// (within auth.Leeway) would end at once, as a websocket's.
			verify = tokens.VerifyLive
		}
		actor, exp, err := verify(token)
		if err != nil {
			// Verify's message gives the reason without the token or the
			// secret, so it is safe to return.
			reject(err.Error())
			return
		}
		// The expiry ends what outlives the request's usual span: an event
		// stream.
		next.ServeHTTP(w, r.WithContext(auth.WithExpiry(auth.WithActor(r.Context(), actor), exp)))
	})
}

// takeAccessToken removes the access_token parameter from r's URL, where
// nothing after this point (a log line, gqlgen) can see it, and returns it.
func takeAccessToken(r *http.Request) (string, bool) {
	if !strings.Contains(r.URL.RawQuery, "access_token") {
		return "", false
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || !q.Has("access_token") {
		return "", false
	}
	token := q.Get("access_token")
	q.Del("access_token")
	u := *r.URL
	u.RawQuery = q.Encode()
	r.URL = &u
	r.RequestURI = u.RequestURI()
	return token, true
}

// limitBody bounds what a /query body may make us read. A declared length
// over the limit is refused at once with 413; a chunked body is cut at the
// limit by http.MaxBytesReader, and the GraphQL handler's read then fails
// with *http.MaxBytesError.
//
// The body must also arrive within timeout: a read deadline on the
// connection, which net/http resets for the connection's next request.
func limitBody(limit int64, timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeError(w, http.StatusRequestEntityTooLarge, codeBadUserInput,
				fmt.Sprintf("request body is larger than %d bytes", limit))
			return
		}
		if r.Method == http.MethodPost {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// writeError answers with a GraphQL-shaped error document, so that a client
// finds the failure where it looks for every other one.
func writeError(w http.ResponseWriter, status int, code, message string) {
	type extensions struct {
		Code string `json:"code"`
	}
	type gqlError struct {
		Message    string     `json:"message"`
		Extensions extensions `json:"extensions"`
	}
	body, err := json.Marshal(struct {
		Errors []gqlError `json:"errors"`
	}{[]gqlError{{Message: message, Extensions: extensions{Code: code}}}})
	if err != nil {
		// Two strings cannot fail to marshal.
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// recorder remembers what a handler answered, for the access log and the
// metrics. It keeps the optional interfaces of the writer it wraps that
// this server needs: Flusher (streamed responses), Hijacker (websockets)
// and Unwrap (for http.ResponseController).
type recorder struct {
	http.ResponseWriter
	status   int
	bytes    int64
	hijacked bool
}

func (r *recorder) WriteHeader(code int) {
	// 1xx responses other than 101 are informational (103 Early Hints) and
	// may precede the real status.
	if r.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.hijacked = true
		if r.status == 0 {
			// The upgrader writes "101 Switching Protocols" on the raw
			// connection, where we cannot see it.
			r.status = http.StatusSwitchingProtocols
		}
	}
	return conn, rw, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) started() bool { return r.status != 0 || r.hijacked }

// statusCode is what the client got: 200 when the handler wrote nothing at
// all, as net/http then sends.
func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
