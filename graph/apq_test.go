package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/auth"
)

func apq(query string) map[string]any {
	sum := sha256.Sum256([]byte(query))
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
}

// Apollo's automatic persisted queries: a hash the server does not know is
// PERSISTED_QUERY_NOT_FOUND; the client then sends hash and query
// together, and from then on the hash alone runs the query. A hash that
// does not match its query is refused and registers nothing.
func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	e := setup(t, backends[1], graph.Options{PersistedQueryCacheSize: 10})
	const q = `query Viewer { viewer { id role } }`

	r := e.doRaw(t, e.student, map[string]any{"extensions": apq(q)})
	r.fails(t, graph.CodePersistedQueryNotFound)

	r = e.doRaw(t, e.student, map[string]any{"query": q, "extensions": apq(q)}).ok(t)
	require.Equal(t, e.student.ID.String(), r.str(t, "viewer.id"))

	r = e.doRaw(t, e.otherStudent, map[string]any{"extensions": apq(q)}).ok(t)
	require.Equal(t, e.otherStudent.ID.String(), r.str(t, "viewer.id"), "the hash alone runs it, for anyone")

	const other = `{ viewer { id } }`
	e.doRaw(t, e.student, map[string]any{"query": other, "extensions": apq(q + " ")}).fails(t, graph.CodeBadUserInput)
	e.doRaw(t, e.student, map[string]any{"extensions": apq(q + " ")}).fails(t, graph.CodePersistedQueryNotFound)
}

// doRaw posts body as it is (a GraphQL-over-HTTP request object) as actor.
func (e *env) doRaw(t *testing.T, as auth.Actor, body map[string]any) result {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, e.url+"/query", bytes.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	tok, err := e.tokens.Issue(as, time.Hour)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	return send(t, req)
}
