package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql/errcode"

	"github.com/edupulse/edupulse-live/internal/transport"
)

// GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/)
// asks for a few status codes that gqlgen's transports do not give. The
// front below sets them, leaving bodies to gqlgen and the presenter:
//
//   - a method no transport serves: 405 (gqlgen: 400 "transport not
//     supported");
//   - a mutation over GET: 405 with Allow: POST (gqlgen: 406 with an error
//     without extensions.code);
//   - an operation refused for want of a token, answered as
//     application/graphql-response+json: 401 with WWW-Authenticate (the
//     contract's "401 where the spec allows");
//   - a request without a query (invalid parameters): 400 (gqlgen: 200 or
//     422);
//   - a document that does not parse or validate, answered as
//     application/json: 200, as the spec recommends for that media type
//     (gqlgen: 422). As application/graphql-response+json it stays 400.
//
// The body of a request error (one refused before execution) is rewritten
// so that it has no "data" entry (the GraphQL spec: data is absent when
// execution never began; gqlgen writes "data": null) and so that every
// error carries extensions.code, even those gqlgen writes without the
// presenter (a GET whose variables are not JSON).

// Codes that gqlgen's transports see before the presenter runs: registered
// as protocol errors, they make the transports answer 400 (or 422) instead
// of 200, and the websocket transport send them presented. The presenter
// then answers the contract's code (UNAUTHENTICATED, or BAD_USER_INPUT with
// this code as extensions.reason).
const (
	reasonDepthLimit      = "DEPTH_LIMIT_EXCEEDED"
	reasonComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED" // gqlgen's extension's own code
	reasonMethod          = "METHOD_NOT_ALLOWED"
	reasonNoQuery         = "MISSING_QUERY"
)

func init() {
	for _, c := range []string{CodeUnauthenticated, CodeRateLimited, CodePersistedQueryNotFound, reasonDepthLimit, reasonComplexityLimit, reasonMethod, reasonNoQuery} {
		errcode.RegisterErrorType(c, errcode.KindProtocol)
	}
}

// exchange is what the front and the extensions tell each other about one
// HTTP request.
type exchange struct {
	method string
	// refusal is set by an extension that refused the operation before it
	// ran, for the front to choose the status.
	refusal string
}

type exchangeKey struct{}

func exchangeFrom(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	return x
}

// refuse records why an operation was refused, when it came over HTTP.
func refuse(ctx context.Context, reason string) {
	if x := exchangeFrom(ctx); x != nil {
		x.refusal = reason
	}
}

func httpFront(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodOptions, http.MethodHead:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.Header.Get("Upgrade") != "" || transport.SSERequested(r) {
			// A websocket, or an event stream (whose errors travel in the
			// stream, with 200): the transport needs the writer as it is.
			next.ServeHTTP(w, r)
			return
		}
		x := &exchange{method: r.Method}
		sw := &statusWriter{ResponseWriter: w, x: x}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
		sw.finish()
	})
}

// statusWriter adjusts the status gqlgen's transports write, and holds back
// the (small) body of a request error to rewrite it (see above).
type statusWriter struct {
	http.ResponseWriter
	x            *exchange
	requestError bool
	body         bytes.Buffer
}

func (w *statusWriter) WriteHeader(code int) {
	graphqlResponse := strings.HasPrefix(w.Header().Get("Content-Type"), "application/graphql-response+json")
	original := code
	switch {
	case w.x.refusal == reasonMethod:
		w.Header().Set("Allow", "POST")
		code = http.StatusMethodNotAllowed
	case w.x.refusal == reasonNoQuery:
		code = http.StatusBadRequest
	case w.x.refusal == CodePersistedQueryNotFound:
		code = http.StatusBadRequest
	case w.x.refusal == CodeRateLimited:
		// 429 whatever the media type: a client's HTTP stack and any proxy
		// understand it, and the body still says when to come back.
		w.Header().Set("Retry-After", "1")
		code = http.StatusTooManyRequests
	case w.x.refusal == CodeUnauthenticated && graphqlResponse:
		w.Header().Set("WWW-Authenticate", "Bearer")
		code = http.StatusUnauthorized
	case code == http.StatusUnprocessableEntity && !graphqlResponse:
		code = http.StatusOK
	}
	// gqlgen writes a status of its own only for errors raised before
	// execution; a response that executed is written with the implicit 200.
	w.requestError = original != http.StatusOK || w.x.refusal != ""
	if w.requestError {
		w.Header().Del("Content-Length")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.requestError {
		return w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// finish writes a held-back request error body, rewritten: without "data"
// and with a code on every error.
func (w *statusWriter) finish() {
	if !w.requestError || w.body.Len() == 0 {
		return
	}
	_, _ = w.ResponseWriter.Write(rewriteRequestError(w.body.Bytes()))
}

func rewriteRequestError(body []byte) []byte {
	var doc struct {
		Errors     []map[string]any `json:"errors"`
		Extensions map[string]any   `json:"extensions,omitempty"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Errors) == 0 {
		return body
	}
	for _, e := range doc.Errors {
		ext, _ := e["extensions"].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			e["extensions"] = ext
		}
		if _, ok := ext["code"]; !ok {
			ext["code"] = CodeBadUserInput
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
