package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	edupulse "github.com/edupulse/edupulse-live"
	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/server"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/transport"
)

// The fuzz targets of the GraphQL edge run the whole HTTP stack as the
// binary wires it (internal/server in front of graph.NewHandler, the use
// cases, a live hub), on the embedded SQLite store: no PostgreSQL or NATS
// is needed, and one store serves every input of a run.

// fzStack is one server for a fuzz run, and a token per kind of caller.
type fzStack struct {
	handler http.Handler
	tokens  *auth.Tokens
	// bearer[i] is the Authorization header of caller i: anonymous, a
	// student, a teacher, an admin, and a header whose token is forged.
	bearer []string
}

func newFZStack(f *testing.F, ws bool) *fzStack {
	f.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "edupulse.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(st.Close)
	tokens, err := auth.NewTokens([]byte("fuzz-graph-secret-of-at-least-32-bytes!!"))
	if err != nil {
		f.Fatal(err)
	}
	hub, err := live.New(ctx, st, live.Options{SyncInterval: 50 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(runCtx) }()
	f.Cleanup(func() { stop(); <-done })

	discard := slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	opts := graph.Options{Logger: discard, Registry: reg, Hub: hub, PersistedQueryCacheSize: 100}
	if ws {
		opts.Websocket = &transport.WebsocketOptions{
			Tokens: tokens, Logger: discard,
			InitTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		}
	}
	s := &fzStack{
		handler: server.New(server.Options{
			GraphQL:  graph.NewHandler(app.New(st), opts),
			Schema:   edupulse.Schema,
			Tokens:   tokens,
			Logger:   discard,
			Registry: reg,
		}),
		tokens: tokens,
		bearer: []string{""},
	}
	for _, r := range []auth.Role{auth.RoleStudent, auth.RoleTeacher, auth.RoleAdmin} {
		tok, err := tokens.Issue(auth.Actor{ID: uuid.New(), Role: r}, 24*time.Hour)
		if err != nil {
			f.Fatal(err)
		}
		s.bearer = append(s.bearer, "Bearer "+tok)
	}
	// Signed with another key.
	other, _ := auth.NewTokens([]byte("another-secret-of-at-least-32-bytes!!!!!"))
	forged, err := other.Issue(auth.Actor{ID: uuid.New(), Role: auth.RoleAdmin}, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	s.bearer = append(s.bearer, "Bearer "+forged)
	return s
}

// fzCodes are the contract's error codes (contract §4, Errors); nothing else may appear as
// an error's extensions.code.
var fzCodes = map[string]bool{
	"UNAUTHENTICATED": true, "FORBIDDEN": true, "BAD_USER_INPUT": true, "NOT_FOUND": true,
	"CONFLICT": true, "RATE_LIMITED": true, "SLOW_CONSUMER": true,
	"PERSISTED_QUERY_NOT_FOUND": true, "INTERNAL_SERVER_ERROR": true,
}

// fzLeaks are fragments of what must never reach a client (contract §4, Errors): SQL and
// driver errors, stack traces, file paths of the source. One counts only
// when the request did not contain it, since parse errors quote the input.
var fzLeaks = []string{
	"goroutine ", "runtime/", ".go:", "panic", "SQLSTATE", "sqlite", "SQLite", "pgx", "postgres",
	"SELECT ", "INSERT ", "UPDATE ", "DELETE ", " FROM ", " WHERE ", "constraint", "syntax error at",
	"database is locked", "no such table", "edupulse-live/", "/internal/",
}

// fzErrors checks every error of a GraphQL response body: a message and a
// code of the contract, and no internal detail that the request did not
// bring itself. It returns the codes seen.
func fzErrors(t *testing.T, request, body []byte, where string) []string {
	t.Helper()
	for _, leak := range fzLeaks {
		if bytes.Contains(body, []byte(leak)) && !bytes.Contains(request, []byte(leak)) {
			t.Fatalf("%s: the response shows %q, which the request did not contain:\n%s", where, leak, fzShort(body))
		}
	}
	var doc struct {
		Errors []struct {
			Message    *string        `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%s: the response is not JSON (%v):\n%s", where, err, fzShort(body))
	}
	var codes []string
	for _, e := range doc.Errors {
		code, _ := e.Extensions["code"].(string)
		if e.Message == nil || !fzCodes[code] {
			t.Fatalf("%s: an error without a message or with code %q, not one of the contract's:\n%s", where, code, fzShort(body))
		}
		codes = append(codes, code)
	}
	return codes
}

func fzShort(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// fzMaxBody caps what the HTTP target sends. The server's own limit (1
// MiB, answered 413) is covered by a seed; past 64 KiB the fuzzer only
// spends its time copying.
const fzMaxBody = 64 << 10

// fzBudget is the time one request may take at most: the design's
// property 10 (cheap before expensive at the edge). Documents whose cost
// could grow faster than their size (nested fragment spreads, thousands of
// repeated fields, hundreds of aliased mutations) are refused by limits
// that cost O(size), so even under the fuzzer's instrumentation a request
// stays well inside it.
const fzBudget = 2 * time.Second

// FuzzGraphQLHTTP sends arbitrary requests to /query: POST bodies, or the
// same turned into GET parameters, as each kind of caller and with each
// Accept header. Whatever the body: no 5xx and no panic; the
// response is a GraphQL document whose errors carry the contract's codes
// and show no SQL, stack trace or source path; an anonymous or forged
// caller gets nothing but introspection or UNAUTHENTICATED; and nothing
// answers INTERNAL_SERVER_ERROR (an input that makes the server fail is a
// bug, whatever it is).
func FuzzGraphQLHTTP(f *testing.F) {
	s := newFZStack(f, false)

	for _, seed := range fzHTTPSeeds() {
		f.Add(seed.body, seed.caller, seed.accept, false)
	}
	f.Add(fzBody(`{viewer{id}}`, map[string]any{"x": 1}), fzStudent, uint8(0), true)
	f.Add(fzBody(`mutation{createPulse(input:{title:"t"}){pulse{id}}}`, nil), fzTeacher, uint8(0), true)
	f.Add([]byte(`{"query":"{viewer{id}}","variables":"{","extensions":"[]"}`), fzStudent, uint8(1), true)

	f.Fuzz(func(t *testing.T, body []byte, caller, accept uint8, get bool) {
		if len(body) > fzMaxBody {
			body = body[:fzMaxBody]
		}
		var req *http.Request
		if get {
			req = httptest.NewRequest(http.MethodGet, "/query?"+fzQueryString(body), nil)
		} else {
			req = httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", []string{
			"application/graphql-response+json", "application/json", "*/*", "",
		}[accept%4])
		who := int(caller) % len(s.bearer)
		if s.bearer[who] != "" {
			req.Header.Set("Authorization", s.bearer[who])
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		s.handler.ServeHTTP(rec, req)
		if d := time.Since(start); d > fzBudget {
			t.Fatalf("%v for one request (budget %v): %s", d, fzBudget, fzShort(body))
		}

		where := fmt.Sprintf("status %d, caller %d", rec.Code, who)
		if rec.Code >= 500 {
			t.Fatalf("%s: a server error:\n%s", where, fzShort(rec.Body.Bytes()))
		}
		ct := rec.Header().Get("Content-Type")
		if !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/graphql-response+json") {
			t.Fatalf("%s: Content-Type %q", where, ct)
		}
		codes := fzErrors(t, body, rec.Body.Bytes(), where)
		for _, c := range codes {
			if c == "INTERNAL_SERVER_ERROR" {
				t.Fatalf("%s: INTERNAL_SERVER_ERROR:\n%s", where, fzShort(rec.Body.Bytes()))
			}
		}
		if who == 0 || who == len(s.bearer)-1 {
			fzAnonymous(t, where, rec.Body.Bytes(), codes)
		}
	})
}

// fzQueryString turns a POST body into the parameters of a GET: each
// member of a JSON object as text (objects and lists as their JSON, as
// GraphQL over HTTP sends variables), or the whole body as the query.
func fzQueryString(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return url.Values{"query": {string(body)}}.Encode()
	}
	v := url.Values{}
	for k, raw := range m {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			v.Set(k, s)
		} else {
			v.Set(k, string(raw))
		}
	}
	return v.Encode()
}

// fzAnonymous: without a valid token, data can only be introspection
// (names starting with "__"), and an error for anything else is
// UNAUTHENTICATED or a refusal of the request itself.
func fzAnonymous(t *testing.T, where string, body []byte, codes []string) {
	t.Helper()
	var doc struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(body, &doc)
	for k, v := range doc.Data {
		if !bytes.Equal(v, []byte("null")) && !strings.HasPrefix(k, "__") && !fzIntrospectionAlias(v) {
			t.Fatalf("%s: an unauthenticated caller got data %q:\n%s", where, k, fzShort(body))
		}
	}
	for _, c := range codes {
		switch c {
		case "UNAUTHENTICATED", "BAD_USER_INPUT", "PERSISTED_QUERY_NOT_FOUND", "RATE_LIMITED":
		default:
			t.Fatalf("%s: an unauthenticated caller got %s:\n%s", where, c, fzShort(body))
		}
	}
}

// fzIntrospectionAlias reports a value that can only have come from an
// aliased introspection field: a type name string, or the __schema/__type
// shapes (objects whose keys are introspection fields).
func fzIntrospectionAlias(v json.RawMessage) bool {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return true // __typename under an alias: "Query", "Mutation"…
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return false
	}
	for k := range m {
		switch k {
		case "types", "queryType", "mutationType", "subscriptionType", "directives", "description",
			"name", "kind", "fields", "inputFields", "interfaces", "enumValues", "possibleTypes", "ofType",
			"specifiedByURL", "isOneOf", "__typename":
		default:
			return false
		}
	}
	return true
}
