package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"

	gqlgencomplexity "github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
)

// countingSchema counts the weighings of fields.
type countingSchema struct {
	graphql.ExecutableSchema
	calls int
}

func (c *countingSchema) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	c.calls++
	return c.ExecutableSchema.Complexity(ctx, typeName, field, child, args)
}

// TestComplexityWeighsEachFragmentOnce: thirty fragments, each spreading
// the one before twice, weigh 2^30 copies of the first, found with a few
// dozen weighings instead of a billion.
func TestComplexityWeighsEachFragmentOnce(t *testing.T) {
	es := &countingSchema{ExecutableSchema: NewExecutableSchema(Config{Resolvers: &Resolver{}, Complexity: complexity()})}
	c := &complexityLimit{Max: DefaultComplexityLimit}
	require.NoError(t, c.Validate(es))

	var b strings.Builder
	b.WriteString("fragment F0 on Query { viewer { id } }\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	b.WriteString("{ ...F30 }")
	doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), b.String(), validationRules())
	require.Empty(t, errs)

	err := c.MutateOperationContext(context.Background(), &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]})
	require.NotNil(t, err)
	// viewer { id } weighs 2.
	require.Equal(t, fmt.Sprintf("operation has complexity %d, which exceeds the limit of %d", 2<<30, DefaultComplexityLimit), err.Message)
	require.Equal(t, reasonComplexityLimit, err.Extensions["code"])
	require.LessOrEqual(t, es.calls, 4)
}

// TestComplexityAsGqlgenWeighs: on documents without repeated fragments,
// the weight is gqlgen's own.
func TestComplexityAsGqlgenWeighs(t *testing.T) {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{}, Complexity: complexity()})
	payload := `payload { __typename ... on LearningPulseCreated { pulseId pulse { id title responses(first: 7) { edges { node { id } } } } } }`
	for _, c := range []struct {
		query string
		vars  map[string]any
	}{
		{`{ viewer { id role } __typename }`, nil},
		{`query($n: Int) { pulses(first: $n) { edges { cursor node { id events(first: 3) { edges { node { id ` + payload + ` } } } } } } }`, map[string]any{"n": 12}},
		{`query($id: UUID!) { eventsByAggregate(aggregateId: $id) { ...E } } fragment E on EventConnection { edges { node { ... on Event { id ` + payload + ` } } } }`,
			map[string]any{"id": "6f1c1a38-3c0e-4f57-9d38-4a8f3c6a9b11"}},
		{`{ __type(name: "Pulse") { name fields { name } } }`, nil},
	} {
		doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), c.query, validationRules())
		require.Empty(t, errs, c.query)
		op := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: c.vars}
		l := &complexityLimit{Max: 1 << 40}
		require.NoError(t, l.Validate(es))
		require.Nil(t, l.MutateOperationContext(context.Background(), op))
		stats, ok := op.Stats.GetExtension(complexityStatsName).(*extension.ComplexityStats)
		require.True(t, ok)
		want := gqlgencomplexity.Calculate(context.Background(), es, doc.Operations[0], c.vars)
		require.Equal(t, want, stats.Complexity, c.query)
		require.Greater(t, want, 1, c.query)
	}
}
