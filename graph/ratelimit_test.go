package graph_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/graph"
)

// With EDUPULSE_RATE_LIMIT set, each actor may run that many mutation
// fields per second, in bursts of twice that; past it the request is
// refused before anything runs (429, RATE_LIMITED, retryAfterMs) and
// writes nothing. Aliased mutations count one each. Other actors and
// queries are not affected.
func TestMutationRateLimit(t *testing.T) {
	t.Parallel()
	e := setup(t, backends[1], graph.Options{MutationsPerSecond: 1}) // burst 2
	before := e.pulseCount(t)
	e.createPulse(t, e.teacher, "one")
	e.createPulse(t, e.teacher, "two")

	r := e.do(t, e.teacher, `mutation { createPulse(input: {title: "three"}) { pulse { id } } }`, nil)
	require.Equal(t, http.StatusTooManyRequests, r.Status, "body: %s", r.Raw)
	require.NotEmpty(t, r.Header.Get("Retry-After"))
	err := r.fails(t, graph.CodeRateLimited)
	wait, ok := err.Extensions["retryAfterMs"]
	require.True(t, ok, "body: %s", r.Raw)
	require.NotEqual(t, "0", wait)
	require.Equal(t, before+2, e.pulseCount(t), "the refused mutation wrote nothing")

	// Two aliased fields are two mutations: the other teacher's fresh
	// bucket holds two.
	aliased := `mutation { a: createPulse(input: {title: "a"}) { pulse { id } } b: createPulse(input: {title: "b"}) { pulse { id } } }`
	e.do(t, e.otherTeacher, aliased, nil).ok(t)
	e.do(t, e.otherTeacher, strings.Replace(aliased, "b: createPulse", "c: createPulse", 1), nil).fails(t, graph.CodeRateLimited)

	// Queries are not counted.
	e.do(t, e.teacher, `{ viewer { id } }`, nil).ok(t)
}
