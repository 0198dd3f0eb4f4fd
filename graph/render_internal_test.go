package graph

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// sameForEveryViewer is every field a subscription may select below Event,
// short of the viewer-relative ones, reviewed as rendering alike for every
// subscriber the event is delivered to (see render.go). A field added to
// the schema under Event fails this test until it is put here or in
// viewerRelativeFields.
const sameForEveryViewer = `
ActorErased.actorId
BadgeAwarded.badgeId BadgeAwarded.studentId
Event.actorId Event.aggregateId Event.aggregateType Event.causationId Event.correlationId Event.cursor
Event.id Event.occurredAt Event.payload Event.schemaVersion Event.subject Event.type Event.version
LearningPulseClosed.pulseId LearningPulseClosed.teacherId
LearningPulseCreated.pulse LearningPulseCreated.pulseId LearningPulseCreated.teacherId
LearningPulseResponded.pulseId LearningPulseResponded.response LearningPulseResponded.responseId LearningPulseResponded.studentId
LessonPublished.lessonId LessonPublished.teacherId
PaymentProcessed.orderTotalCents PaymentProcessed.payerId PaymentProcessed.paymentId
Pulse.closedAt Pulse.confidenceCounts Pulse.createdAt Pulse.description Pulse.dueDate Pulse.id Pulse.responseCount Pulse.teacherId Pulse.title
PulseResponse.answer PulseResponse.confidence PulseResponse.createdAt PulseResponse.id PulseResponse.pulseId PulseResponse.studentId
QuizSubmitted.quizId QuizSubmitted.scorePercentage QuizSubmitted.studentId
`

func TestEveryFieldUnderEventIsClassified(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	var reached []string
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		def := schema.Types[name]
		switch def.Kind {
		case ast.Union, ast.Interface:
			for _, p := range schema.GetPossibleTypes(def) {
				visit(p.Name)
			}
		case ast.Object:
			for _, f := range def.Fields {
				if strings.HasPrefix(f.Name, "__") {
					continue
				}
				key := name + "." + f.Name
				if viewerRelativeFields[key] {
					continue
				}
				reached = append(reached, key)
				visit(f.Type.Name())
			}
		}
	}
	visit("Event")
	slices.Sort(reached)
	want := strings.Fields(sameForEveryViewer)
	slices.Sort(want)
	require.Equal(t, want, reached, "classify each field reachable from Event (render.go)")
}

func TestDocumentKey(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	key := func(q string, vars map[string]any) ([32]byte, bool) {
		t.Helper()
		doc, errs := gqlparser.LoadQueryWithRules(schema, q, nil)
		require.Empty(t, errs)
		return documentKey(&graphql.OperationContext{RawQuery: q, Doc: doc, Operation: doc.Operations[0], Variables: vars})
	}
	const byPulse = `subscription($p: UUID!, $after: String, $withPulse: Boolean!) { pulseEvents(pulseId: $p, after: $after) {
		id ... on Event @include(if: $withPulse) { payload { ... on LearningPulseCreated { pulse { title } } } } } }`
	a, ok := key(byPulse, map[string]any{"p": "a", "withPulse": true})
	require.True(t, ok)
	b, _ := key(byPulse, map[string]any{"p": "b", "after": "x", "withPulse": true})
	require.Equal(t, a, b, "the root field's arguments choose events, they do not shape them")
	c, _ := key(byPulse, map[string]any{"p": "a", "withPulse": false})
	require.NotEqual(t, a, c, "a variable below the root field shapes the rendering")

	_, ok = key(`subscription { myEvents { ...f } } fragment f on Event {
		payload { ... on LearningPulseCreated { pulse { responses { edges { node { answer } } } } } } }`, nil)
	require.False(t, ok, "a viewer-relative field, even through a fragment, is rendered per subscriber")
}

func TestRenderCacheSharesAndStaysBounded(t *testing.T) {
	c := newRenderCache(time.Hour)
	renders := 0
	render := func() *graphql.Response {
		renders++
		return &graphql.Response{Data: []byte(`{"x":1}`)}
	}
	key := func(i int) renderKey { return renderKey{position: int64(i)} }

	first, firstJSON, made := c.do(key(1), render)
	require.True(t, made)
	again, againJSON, made := c.do(key(1), render)
	require.False(t, made, "the same key is answered from the first rendering")
	require.Same(t, first, again, "one response for every sharer")
	require.JSONEq(t, `{"data":{"x":1}}`, string(firstJSON))
	require.Equal(t, &firstJSON[0], &againJSON[0], "encoded once: the same bytes for every frame")
	require.Equal(t, 1, renders)

	for i := range maxRenderings + 10 {
		c.do(key(i+2), render)
	}
	require.LessOrEqual(t, len(c.cur), maxRenderings, "bounded")
	_, _, made = c.do(key(maxRenderings+5), render)
	require.True(t, made, "past the bound, rendered without being kept")

	failed := func() *graphql.Response {
		return &graphql.Response{Errors: gqlerror.List{{Message: "no"}}}
	}
	c2 := newRenderCache(time.Hour)
	_, encoded, made := c2.do(key(1), failed)
	require.True(t, made)
	require.Nil(t, encoded)
	_, _, made = c2.do(key(1), render)
	require.True(t, made, "a rendering with errors is not shared")
}
