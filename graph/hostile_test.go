package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/auth"
)

// nestedFragments is n fragments, each spreading the one before twice,
// and an operation spreading the last: 2^(n-1) copies of leaf once
// expanded, in a document of a few hundred bytes.
func nestedFragments(n int, leaf string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fragment F0 on Query { %s }\n", leaf)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "{ ...F%d }", n-1)
	return b.String()
}

// repeatedField is `{ viewer { id id … } }` with n ids.
func repeatedField(n int) string {
	return "{ viewer {" + strings.Repeat(" id", n) + " } }"
}

// TestHostileDocuments: documents whose validation or weighing would cost
// far more than their size are refused before that work, with the
// contract's codes; with a token or without, the cheap checks come first.
// The CPU they cost is BenchmarkHostileDocuments's.
func TestHostileDocuments(t *testing.T) {
	t.Parallel()
	e := setup(t, backends[1], graph.Options{}) // refused before the store: one backend is enough
	spreads := func(n int) string {
		return "{" + strings.Repeat(" ...T", n) + " } fragment T on Query { __typename }"
	}
	fragments := func(n int) string {
		var b strings.Builder
		b.WriteString("{ __typename ...T0 }")
		for i := range n {
			fmt.Fprintf(&b, " fragment T%d on Query { __typename", i)
			if i+1 < n {
				fmt.Fprintf(&b, " ...T%d", i+1)
			}
			b.WriteString(" }")
		}
		return b.String()
	}
	for _, c := range []struct {
		name   string
		as     auth.Actor
		query  string
		code   string
		reason string // extensions.reason, when the code is BAD_USER_INPUT
	}{
		{"nested fragments, no token", anonymous, nestedFragments(31, "viewer { id }"), graph.CodeUnauthenticated, ""},
		{"nested fragments", e.teacher, nestedFragments(31, "viewer { id }"), graph.CodeBadUserInput, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"nested introspection fragments, no token", anonymous, nestedFragments(31, "__typename"), graph.CodeBadUserInput, "COMPLEXITY_LIMIT_EXCEEDED"},
		// The probe's 42 KB document is over the parser's token limit.
		{"repeated field, no token", anonymous, repeatedField(14000), graph.CodeBadUserInput, "GRAPHQL_PARSE_FAILED"},
		{"repeated field", e.teacher, repeatedField(14000), graph.CodeBadUserInput, "GRAPHQL_PARSE_FAILED"},
		{"many fields, no token", anonymous, repeatedField(1000), graph.CodeUnauthenticated, ""},
		{"many fields", e.teacher, repeatedField(1000), graph.CodeBadUserInput, "DOCUMENT_LIMIT_EXCEEDED"},
		{"one field over the limit", e.teacher, repeatedField(graph.MaxDocumentFields), graph.CodeBadUserInput, "DOCUMENT_LIMIT_EXCEEDED"},
		{"repeated introspection, no token", anonymous, "{" + strings.Repeat(" __typename", 1000) + " }", graph.CodeBadUserInput, "DOCUMENT_LIMIT_EXCEEDED"},
		{"aliased introspection, no token", anonymous, aliased(graph.MaxDocumentFields+1, "__typename"), graph.CodeBadUserInput, "DOCUMENT_LIMIT_EXCEEDED"},
		{"too many spreads", e.teacher, spreads(graph.MaxDocumentFragmentSpreads + 1), graph.CodeBadUserInput, "DOCUMENT_LIMIT_EXCEEDED"},
		{"too many fragments", e.teacher, fragments(graph.MaxDocumentDefinitions), graph.CodeBadUserInput, "DOCUMENT_LIMIT_EXCEEDED"},
		// Authentication comes before validation: an invalid document
		// without a token is not worth validating.
		{"invalid, no token", anonymous, "{ viewer { nope } }", graph.CodeUnauthenticated, ""},
		// Validation covers every operation of a document, not only the
		// one that runs: all must be introspection without a token.
		{"introspection beside data, no token", anonymous, "query A { __typename } query B { viewer { id } }", graph.CodeUnauthenticated, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(t, c.as, c.query, nil)
			errObj := r.fails(t, c.code)
			require.Nil(t, r.Data)
			if c.reason != "" {
				require.Equal(t, c.reason, errObj.Extensions["reason"], "body: %s", r.Raw)
			}
		})
	}

	// At the limits, documents run.
	r := e.do(t, e.teacher, repeatedField(graph.MaxDocumentFields-1), nil).ok(t)
	require.Equal(t, e.teacher.ID.String(), r.str(t, "viewer.id"))
	// A document parsed before is checked again for each request.
	e.do(t, anonymous, repeatedField(graph.MaxDocumentFields-1), nil).fails(t, graph.CodeUnauthenticated)
	e.do(t, e.teacher, spreads(graph.MaxDocumentFragmentSpreads), nil).ok(t)
	e.do(t, e.teacher, fragments(graph.MaxDocumentDefinitions-1), nil).ok(t)
}

// aliased is n aliases of field at the root.
func aliased(n int, field string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	b.WriteString(" }")
	return b.String()
}

// TestMutationsPerRequest: aliases cannot make one request write more
// than MaxMutationRootFields times; one over is refused before any runs.
func TestMutationsPerRequest(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		create := func(n int) string {
			var b strings.Builder
			b.WriteString("mutation {")
			for i := range n {
				fmt.Fprintf(&b, ` p%d: createPulse(input: {title: "Pulse %d"}) { pulse { id } }`, i, i)
			}
			b.WriteString(" }")
			return b.String()
		}
		r := e.do(t, e.teacher, create(graph.MaxMutationRootFields+1), nil)
		errObj := r.fails(t, graph.CodeBadUserInput)
		require.Equal(t, "MUTATION_LIMIT_EXCEEDED", errObj.Extensions["reason"])
		require.Nil(t, r.Data)
		require.Zero(t, e.pulseCount(t), "nothing ran")

		// A fragment spread twice runs once: what counts is what runs.
		twice := "mutation { ...M ...M } fragment M on Mutation {" + strings.TrimPrefix(create(graph.MaxMutationRootFields), "mutation {")
		e.do(t, e.teacher, twice, nil).ok(t)
		require.Equal(t, graph.MaxMutationRootFields, e.pulseCount(t))
	})
}
