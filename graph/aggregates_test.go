package graph_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/graph"
)

// TestAggregateIsTypeAndID: ids a client chooses (a quiz's, a lesson's)
// never reach into another type's aggregate. A quiz submitted with a
// pulse's id is a quiz of its own: the pulse's versions, history and
// events stay the pulse's, open or closed. A quiz submitted with a
// payment's id before the payment is recorded does not stop it.
func TestAggregateIsTypeAndID(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		pulse := e.createPulse(t, e.teacher, "Mine")
		quiz := e.do(t, e.student, quizOp, in("quizId", pulse, "scorePercentage", 50)).ok(t)
		require.Equal(t, "QUIZ", quiz.str(t, "submitQuiz.event.aggregateType"))
		require.EqualValues(t, 1, quiz.num(t, "submitQuiz.event.version"), "a quiz aggregate of its own")
		e.do(t, e.teacher, publishOp, in("lessonId", pulse)).ok(t)
		e.do(t, e.teacher, badgeOp, in("badgeId", pulse, "studentId", e.student.ID.String())).ok(t)

		responded := e.do(t, e.student, respondOp, in("pulseId", pulse, "answer", "a")).ok(t)
		require.EqualValues(t, 2, responded.num(t, "respondToPulse.event.version"))
		e.do(t, e.teacher, closeOp, in("pulseId", pulse)).ok(t)
		e.do(t, e.otherStudent, quizOp, in("quizId", pulse, "scorePercentage", 70)).ok(t)

		pulseHistory := []string{"LEARNING_PULSE_CREATED", "LEARNING_PULSE_RESPONDED", "LEARNING_PULSE_CLOSED"}
		require.Equal(t, pulseHistory, e.history(t, pulse))
		r := e.do(t, e.admin, `query($id: UUID!) { pulse(id: $id) { events(first: 100) { edges { node { type aggregateType } } } } }`,
			vars{"id": pulse}).ok(t)
		edges := r.list(t, "pulse.events.edges")
		require.Len(t, edges, len(pulseHistory))
		for i := range edges {
			require.Equal(t, "PULSE", r.str(t, fmt.Sprintf("pulse.events.edges.%d.node.aggregateType", i)))
		}

		payment := uuid.NewString()
		e.do(t, e.student, quizOp, in("quizId", payment, "scorePercentage", 1)).ok(t)
		pay := in("paymentId", payment, "orderTotalCents", "100", "payerId", e.student.ID.String())
		paid := e.do(t, e.admin, paymentOp, pay).ok(t)
		require.EqualValues(t, 1, paid.num(t, "recordPayment.event.version"))
		e.do(t, e.admin, paymentOp, pay).fails(t, graph.CodeConflict)
		require.Equal(t, []string{"PAYMENT_PROCESSED"}, e.history(t, payment),
			"the payment's history, not the quiz that took its id first")
	})
}
