package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/liveop"
)

// GraphQL over Server-Sent Events, the graphql-sse protocol in its
// "distinct connections" mode: one request, one operation, one stream.
//
//	POST /query  (JSON body)                              Accept: text/event-stream
//	GET  /query?query=…&variables=…&operationName=…&extensions=…  Accept: text/event-stream
//
// The stream is a `next` event per result (data: the execution result) and
// a `complete` event after the last. What is refused before execution
// (parse, validation, persisted documents, no token) is a `next` carrying
// the errors, then `complete`, as the protocol asks: a browser's
// EventSource shows nothing of a 4xx. What is wrong with the request
// itself (not JSON, no GET parameters, a mutation over GET) is answered
// before the stream, with a status, as graphql-sse's own server does.
//
// A `next` made from an event carries the event's cursor as its `id:`,
// and a request's Last-Event-ID resumes after it (contract §5, Cursors and live delivery): EventSource
// sends it by itself when it reconnects. A subscription that ends for
// want of speed (SLOW_CONSUMER) or because the token expired gets a last
// `next` carrying the error and extensions.lastCursor, then `complete`; on
// shutdown the stream ends without `complete`, which clients take as a
// cut connection, and reconnect (EventSource with Last-Event-ID).
//
// The operation runs on the request's goroutine; the heart-beat is a
// timer, whose goroutine exists only while it writes.

// SSEDefaultHeartBeat is graphql-sse's own interval: short enough for
// proxies that drop a response silent for 15 s or more.
const SSEDefaultHeartBeat = 12 * time.Second

// The reconnection delay (ms) sent to EventSource clients on shutdown:
// from sseRetryMin to sseRetryMin+sseRetrySpread.
const (
	sseRetryMin    = 1000
	sseRetrySpread = 4000
)

// SSE is the transport. The zero value serves with the defaults.
type SSE struct {
	// HeartBeat is the interval of the comment lines that keep an idle
	// stream alive; 0 means SSEDefaultHeartBeat.
	HeartBeat time.Duration
	// WriteTimeout bounds the write of one event, as of a websocket's
	// frame: a client that does not read for that long is cut. 0 means
	// DefaultWriteTimeout.
	WriteTimeout time.Duration
	// Registry, when set, tracks the open streams, for CloseAll on
	// shutdown (the websocket's Registry: one for both).
	Registry *Registry
}

var _ graphql.Transport = SSE{}

func (t SSE) withDefaults() SSE {
	if t.HeartBeat <= 0 {
		t.HeartBeat = SSEDefaultHeartBeat
	}
	if t.WriteTimeout <= 0 {
		t.WriteTimeout = DefaultWriteTimeout
	}
	return t
}

// SSE's own reasons for ending a stream, as context causes.
var (
	errSSEShutdown     = errors.New("server shutting down")
	errSSETokenExpired = errors.New("token expired")
	errSSEWriteFailed  = errors.New("write failed")
)

// Supports claims the requests that ask for an event stream.
func (t SSE) Supports(r *http.Request) bool { return SSERequested(r) }

// Do serves one operation as an event stream.
func (t SSE) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t = t.withDefaults()
	start := graphql.Now()
	params, status, msg := sseParams(r)
	if params == nil {
		writeHTTPError(w, status, "", msg)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	if t.Registry != nil {
		release, ok := t.Registry.addStream(cancel)
		if !ok {
			w.Header().Set("Retry-After", "1")
			writeHTTPError(w, http.StatusServiceUnavailable, "", "the server is shutting down")
			return
		}
		defer release()
	}
	if exp, ok := auth.ExpiryFrom(ctx); ok {
		var stop context.CancelFunc
		ctx, stop = context.WithDeadlineCause(ctx, exp, errSSETokenExpired)
		defer stop()
	}
	op := &liveop.Op{ResumeAfter: strings.TrimSpace(r.Header.Get("Last-Event-ID"))}
	ctx = liveop.With(ctx, op)

	rc, errs := exec.CreateOperationContext(ctx, params)
	if errs == nil && r.Method == http.MethodGet && rc.Operation != nil && rc.Operation.Operation == ast.Mutation {
		// GET is safe, whatever the Accept (GraphQL over HTTP; graphql-sse's
		// server answers the same).
		w.Header().Set("Allow", http.MethodPost)
		writeHTTPError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "a mutation must be sent with POST")
		return
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	if r.ProtoMajor == 1 {
		h.Set("Connection", "keep-alive") // a connection-specific header, refused in HTTP/2
	}
	w.WriteHeader(http.StatusOK)
	s := &sseStream{w: w, ctl: http.NewResponseController(w), writeTimeout: t.WriteTimeout, cancel: cancel,
		lastID: op.ResumeAfter}
	defer s.stop()
	// Some browsers show nothing of a stream until its first bytes.
	if s.send([]byte(":\n\n")) != nil {
		return
	}
	if errs != nil {
		_ = s.next("", exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs), nil)
		_ = s.send(sseComplete)
		return
	}
	s.startHeartBeat(t.HeartBeat)

	if !s.run(ctx, exec, rc, op) {
		return
	}
	switch cause := context.Cause(ctx); {
	case r.Context().Err() != nil, errors.Is(cause, errSSEWriteFailed):
		return // gone
	case errors.Is(cause, errSSEShutdown):
		// No `complete`, so that the client reconnects (EventSource with
		// Last-Event-ID); when, spread over a few seconds, so that a
		// restart's clients do not all come back at once.
		_ = s.send(fmt.Appendf(nil, "retry: %d\n\n", sseRetryMin+rand.N(sseRetrySpread))) //nolint:gosec // spreading reconnections needs no secrecy
		return
	case errors.Is(cause, errSSETokenExpired):
		e := errorWithCode(codeUnauthenticated, "token expired")
		if s.lastID != "" {
			e.Extensions["lastCursor"] = s.lastID
		}
		_ = s.next("", &graphql.Response{Errors: gqlerror.List{e}}, nil)
	default:
		if errs := op.Ended(); len(errs) > 0 {
			_ = s.next("", &graphql.Response{Errors: errs}, nil)
		}
	}
	_ = s.send(sseComplete)
}

// run sends the operation's results; false when the stream broke.
func (s *sseStream) run(ctx context.Context, exec graphql.GraphExecutor, rc *graphql.OperationContext, op *liveop.Op) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			// Past the generated code's own recovery: logged by the recover
			// func, the client learns no more than the presenter would say.
			_ = rc.Recover(ctx, v)
			ok = s.next("", &graphql.Response{Errors: gqlerror.List{internalError()}}, nil) == nil
		}
	}()
	responses, ctx := exec.DispatchOperation(ctx, rc)
	for {
		resp := responses(ctx)
		if resp == nil {
			return true
		}
		if s.next(op.TakeCursor(), resp, op.TakeShared(resp)) != nil {
			return false
		}
	}
}

// sseParams reads the request's operation: nil, with the status and a
// message, when it cannot.
func sseParams(r *http.Request) (*graphql.RawParams, int, string) {
	p := &graphql.RawParams{}
	if r.Method == http.MethodGet {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, http.StatusBadRequest, "the query string is malformed"
		}
		p.Query, p.OperationName = q.Get("query"), q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			if sseDecode(strings.NewReader(v), &p.Variables) != nil {
				return nil, http.StatusBadRequest, "variables is not a JSON object"
			}
		}
		if v := q.Get("extensions"); v != "" {
			if sseDecode(strings.NewReader(v), &p.Extensions) != nil {
				return nil, http.StatusBadRequest, "extensions is not a JSON object"
			}
		}
		return p, 0, ""
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, http.StatusUnsupportedMediaType, "the body must be application/json"
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, http.StatusRequestEntityTooLarge, "the request body is too large"
		}
		return nil, http.StatusBadRequest, "the request body could not be read"
	}
	if sseDecode(bytes.NewReader(body), p) != nil {
		return nil, http.StatusBadRequest, "the request body is not a valid GraphQL-over-HTTP JSON object"
	}
	return p, 0, ""
}

func sseDecode(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber() // integers stay exact, as gqlgen's own transports read them
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

var sseComplete = []byte("event: complete\ndata:\n\n") // the empty data makes EventSource dispatch it

// sseStream writes the events of one response. The heart-beat's timer
// writes too, so every write holds mu.
type sseStream struct {
	w            http.ResponseWriter
	ctl          *http.ResponseController
	writeTimeout time.Duration
	cancel       context.CancelCauseFunc
	// lastID is the last cursor sent (or the one resumed after): the
	// lastCursor of an error that ends the stream.
	lastID string

	mu       sync.Mutex
	stopped  bool
	failed   bool
	beat     *time.Timer
	interval time.Duration
	last     time.Time // of the last write
}

// sseFrames are the buffers events are made in, taken only while one is.
var sseFrames = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// sseMaxKeptFrame: a larger buffer (a big page of events) goes back to
// the garbage collector, not to the pool.
const sseMaxKeptFrame = 64 << 10

// next sends a `next` event for resp, with id when it was made from an
// event. shared, when not nil, is resp's JSON (a rendering shared by every
// subscriber of a kind, liveop.Op.ShareEncoded), written as it is; a
// result with nothing but data is framed around the bytes gqlgen made;
// neither is marshalled again.
func (s *sseStream) next(id string, resp *graphql.Response, shared []byte) error {
	bp := sseFrames.Get().(*[]byte)
	b := append((*bp)[:0], "event: next\n"...)
	if id != "" {
		b = append(b, "id: "...)
		b = append(b, id...)
		b = append(b, '\n')
	}
	switch {
	case shared != nil:
		b = sseAppendData(b, shared)
	case len(resp.Errors) == 0 && resp.Extensions == nil && resp.Label == "" && resp.Path == nil && resp.HasNext == nil:
		data := resp.Data
		if data == nil {
			data = json.RawMessage("null")
		}
		b = sseAppendData(b, []byte(`{"data":`), data, []byte("}"))
	default:
		payload, err := json.Marshal(resp)
		if err != nil {
			payload = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"` + codeInternal + `"}}]}`)
		}
		b = sseAppendData(b, payload)
	}
	b = append(b, '\n')
	err := s.send(b)
	if cap(b) <= sseMaxKeptFrame {
		*bp = b
		sseFrames.Put(bp)
	}
	if err == nil && id != "" {
		s.lastID = id
	}
	return err
}

// sseAppendData appends the concatenation of parts as `data:` lines: a
// line break inside (JSON has none outside its strings, but a field of
// SSE cannot hold one) starts a new line, which the client joins back.
func sseAppendData(b []byte, parts ...[]byte) []byte {
	b = append(b, "data: "...)
	for _, p := range parts {
		for {
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				b = append(b, p...)
				break
			}
			b = append(b, p[:i]...)
			b = append(b, "\ndata: "...)
			p = p[i+1:]
		}
	}
	return append(b, '\n')
}

// send writes and flushes frame. A failure ends the operation.
func (s *sseStream) send(frame []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeLocked(frame)
}

func (s *sseStream) writeLocked(frame []byte) error {
	if s.failed {
		return errSSEWriteFailed
	}
	_ = s.ctl.SetWriteDeadline(time.Now().Add(s.writeTimeout))
	// An event stream, never rendered as HTML: Content-Type is
	// text/event-stream and the data lines are JSON.
	_, err := s.w.Write(frame) //nolint:gosec // G705 does not apply to text/event-stream
	if err == nil {
		err = s.ctl.Flush()
	}
	if err != nil {
		s.failed = true
		s.cancel(errSSEWriteFailed)
		return err
	}
	s.last = time.Now()
	return nil
}

// startHeartBeat writes a comment line whenever the stream has been quiet
// for interval.
func (s *sseStream) startHeartBeat(interval time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.interval = interval
	s.beat = time.AfterFunc(interval, s.heartBeat)
}

func (s *sseStream) heartBeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.failed {
		return
	}
	if quiet := time.Since(s.last); quiet < s.interval {
		s.beat.Reset(s.interval - quiet)
		return
	}
	if s.writeLocked([]byte(":\n\n")) == nil {
		s.beat.Reset(s.interval)
	}
}

// stop ends the heart-beat: nothing writes once the handler returns.
func (s *sseStream) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	if s.beat != nil {
		s.beat.Stop()
	}
}
