package graph_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/auth"
)

// TestPermissions runs every mutation as every kind of caller: those the
// contract's §3 (Who may do what) allows succeed; the others are refused (UNAUTHENTICATED
// without a token, FORBIDDEN otherwise) and write nothing.
func TestPermissions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		callers := map[string]auth.Actor{
			"anonymous":    anonymous,
			"student":      e.student,
			"teacher":      e.teacher,
			"otherTeacher": e.otherTeacher,
			"admin":        e.admin,
		}
		// input returns the variables of one call and the aggregate it would
		// write to ("" for a new pulse).
		cases := []struct {
			name    string
			op      string
			input   func() (vars, string)
			allowed []string
		}{
			{"createPulse", createPulseOp, func() (vars, string) {
				return in("title", "A pulse"), ""
			}, []string{"teacher", "otherTeacher", "admin"}},
			{"respondToPulse", respondOp, func() (vars, string) {
				p := e.createPulse(t, e.teacher, "To answer")
				return in("pulseId", p, "answer", "yes"), p
			}, []string{"student"}},
			{"closePulse", closeOp, func() (vars, string) {
				p := e.createPulse(t, e.teacher, "To close")
				return in("pulseId", p), p
			}, []string{"teacher", "admin"}},
			{"publishLesson", publishOp, func() (vars, string) {
				l := uuid.NewString()
				return in("lessonId", l), l
			}, []string{"teacher", "otherTeacher", "admin"}},
			{"submitQuiz", quizOp, func() (vars, string) {
				q := uuid.NewString()
				return in("quizId", q, "scorePercentage", 50), q
			}, []string{"student"}},
			{"awardBadge", badgeOp, func() (vars, string) {
				b := uuid.NewString()
				return in("badgeId", b, "studentId", e.student.ID.String()), b
			}, []string{"teacher", "otherTeacher", "admin"}},
			{"recordPayment", paymentOp, func() (vars, string) {
				p := uuid.NewString()
				return in("paymentId", p, "orderTotalCents", "1999", "payerId", e.student.ID.String()), p
			}, []string{"admin"}},
			{"eraseActor", eraseOp, func() (vars, string) {
				a := uuid.NewString()
				return in("actorId", a), a
			}, []string{"admin"}},
		}
		for _, c := range cases {
			for name, caller := range callers {
				v, aggregate := c.input()
				before := e.pulseCount(t)
				var history []string
				if aggregate != "" {
					history = e.history(t, aggregate)
				}
				r := e.do(t, caller, c.op, v)

				switch {
				case slices.Contains(c.allowed, name):
					r.ok(t)
					continue
				case caller == anonymous:
					r.fails(t, graph.CodeUnauthenticated)
				default:
					r.fails(t, graph.CodeForbidden)
				}
				require.Nil(t, r.Data, "%s as %s: a refused operation has no data", c.name, name)
				require.Equal(t, before, e.pulseCount(t), "%s as %s wrote a pulse", c.name, name)
				if aggregate != "" {
					require.Equal(t, history, e.history(t, aggregate), "%s as %s wrote an event", c.name, name)
				}
			}
		}
	})
}

// TestQueriesNeedAToken: every query answers UNAUTHENTICATED without a
// token; introspection does not need one.
func TestQueriesNeedAToken(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		pulse := e.createPulse(t, e.teacher, "Secret")
		for _, q := range []string{
			`{ viewer { id } }`,
			`query($id: UUID!) { pulse(id: $id) { id } }`,
			`{ pulses { edges { node { id } } } }`,
			`query($id: UUID!) { eventsByAggregate(aggregateId: $id) { edges { node { id } } } }`,
			`query($id: UUID!) { event(id: $id) { id } }`,
			// Introspection mixed with data is still data.
			`query($id: UUID!) { __typename pulse(id: $id) { id } }`,
		} {
			var v vars
			if strings.Contains(q, "$id") {
				v = vars{"id": pulse}
			}
			r := e.do(t, anonymous, q, v)
			r.fails(t, graph.CodeUnauthenticated)
			require.Nil(t, r.Data, q)
		}

		r := e.do(t, anonymous, `{ __typename __schema { queryType { name } } __type(name: "Pulse") { fields { name } } }`, nil).ok(t)
		require.Equal(t, "Query", r.str(t, "__schema.queryType.name"))
		require.Equal(t, "Query", r.str(t, "__typename"))
		r = e.do(t, anonymous, `query Full { ...Intro } fragment Intro on Query { __schema { types { name } } }`, nil).ok(t)
		require.NotEmpty(t, r.list(t, "__schema.types"))
	})
}
