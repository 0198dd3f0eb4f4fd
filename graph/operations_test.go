package graph_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/server"
)

var dateTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)

// Every mutation and query of the contract succeeds for the role it is for,
// and answers in the contract's formats.

func TestViewer(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for role, a := range map[string]auth.Actor{"STUDENT": e.student, "TEACHER": e.teacher, "ADMIN": e.admin} {
			r := e.do(t, a, `{ viewer { id role } }`, nil).ok(t)
			require.Equal(t, a.ID.String(), r.str(t, "viewer.id"))
			require.Equal(t, role, r.str(t, "viewer.role"))
		}
	})
}

func TestCreatePulse(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		corr := uuid.New()
		r := e.do(t, e.teacher, createPulseOp,
			in("title", "  Rate today’s lesson  ", "description", "How did it go?", "dueDate", "2026-12-01T10:15:30.123456+02:00"),
			withHeader(server.CorrelationHeader, strings.ToUpper(corr.String()))).ok(t)

		id := r.str(t, "createPulse.pulse.id")
		require.Equal(t, strings.ToLower(id), id, "UUIDs are lowercase")
		require.Equal(t, e.teacher.ID.String(), r.str(t, "createPulse.pulse.teacherId"))
		require.Equal(t, "Rate today’s lesson", r.str(t, "createPulse.pulse.title"), "trimmed")
		require.Equal(t, "How did it go?", r.str(t, "createPulse.pulse.description"))
		require.Equal(t, "2026-12-01T08:15:30.123Z", r.str(t, "createPulse.pulse.dueDate"), "UTC, milliseconds")
		require.Regexp(t, dateTimeRE, r.str(t, "createPulse.pulse.createdAt"))
		require.Nil(t, r.get(t, "createPulse.pulse.closedAt"))
		require.EqualValues(t, 0, r.num(t, "createPulse.pulse.responseCount"))

		ev := "createPulse.event."
		require.Equal(t, id, r.str(t, ev+"aggregateId"))
		require.Equal(t, "PULSE", r.str(t, ev+"aggregateType"))
		require.EqualValues(t, 1, r.num(t, ev+"version"))
		require.Equal(t, "LEARNING_PULSE_CREATED", r.str(t, ev+"type"))
		require.Equal(t, "edupulse.web_social.learning_pulse_created", r.str(t, ev+"subject"))
		require.Equal(t, corr.String(), r.str(t, ev+"correlationId"), "the request's X-Correlation-ID, lowercase")
		require.Nil(t, r.get(t, ev+"causationId"))
		require.Equal(t, e.teacher.ID.String(), r.str(t, ev+"actorId"))
		require.Regexp(t, dateTimeRE, r.str(t, ev+"occurredAt"))
		require.EqualValues(t, 1, r.num(t, ev+"schemaVersion"))
		require.NotEmpty(t, r.str(t, ev+"cursor"))
		require.Equal(t, "LearningPulseCreated", r.str(t, ev+"payload.__typename"))
		require.Equal(t, id, r.str(t, ev+"payload.pulseId"))
		require.Equal(t, e.teacher.ID.String(), r.str(t, ev+"payload.teacherId"))
		require.Equal(t, id, r.str(t, ev+"payload.pulse.id"))

		// The stored event carries the same correlation id.
		h := e.do(t, e.teacher, historyOp, vars{"id": id}).ok(t)
		require.Equal(t, corr.String(), h.str(t, "eventsByAggregate.edges.0.node.correlationId"))
		require.Equal(t, r.str(t, ev+"id"), h.str(t, "eventsByAggregate.edges.0.node.id"))

		// An admin may open a pulse too, and becomes its teacher.
		a := e.do(t, e.admin, createPulseOp, in("title", "By an admin")).ok(t)
		require.Equal(t, e.admin.ID.String(), a.str(t, "createPulse.pulse.teacherId"))
	})
}

func TestRespondAndClose(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		pulse := e.createPulse(t, e.teacher, "Quick check")
		r := e.do(t, e.student, respondOp, in("pulseId", pulse, "answer", " Fine ", "confidence", 4)).ok(t)
		require.Equal(t, pulse, r.str(t, "respondToPulse.response.pulseId"))
		require.Equal(t, e.student.ID.String(), r.str(t, "respondToPulse.response.studentId"))
		require.Equal(t, "Fine", r.str(t, "respondToPulse.response.answer"))
		require.EqualValues(t, 4, r.num(t, "respondToPulse.response.confidence"))
		require.Regexp(t, dateTimeRE, r.str(t, "respondToPulse.response.createdAt"))
		require.Equal(t, "LEARNING_PULSE_RESPONDED", r.str(t, "respondToPulse.event.type"))
		require.EqualValues(t, 2, r.num(t, "respondToPulse.event.version"))
		require.Equal(t, r.str(t, "respondToPulse.response.id"), r.str(t, "respondToPulse.event.payload.responseId"))
		require.Equal(t, "Fine", r.str(t, "respondToPulse.event.payload.response.answer"), "the student sees their own response")

		c := e.do(t, e.teacher, closeOp, in("pulseId", pulse)).ok(t)
		require.Regexp(t, dateTimeRE, c.str(t, "closePulse.pulse.closedAt"))
		require.EqualValues(t, 1, c.num(t, "closePulse.pulse.responseCount"))
		require.Equal(t, "LEARNING_PULSE_CLOSED", c.str(t, "closePulse.event.type"))
		require.Equal(t, e.teacher.ID.String(), c.str(t, "closePulse.event.payload.teacherId"))
		require.EqualValues(t, 3, c.num(t, "closePulse.event.version"))

		// An admin closes another teacher's pulse; the payload names the
		// pulse's teacher, the envelope the admin.
		other := e.createPulse(t, e.teacher, "Another")
		a := e.do(t, e.admin, closeOp, in("pulseId", other)).ok(t)
		require.Equal(t, e.teacher.ID.String(), a.str(t, "closePulse.event.payload.teacherId"))
		require.Equal(t, e.admin.ID.String(), a.str(t, "closePulse.event.actorId"))

		require.Equal(t, []string{"LEARNING_PULSE_CREATED", "LEARNING_PULSE_RESPONDED", "LEARNING_PULSE_CLOSED"}, e.history(t, pulse))
	})
}

func TestRecordMutations(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		lesson := uuid.NewString()
		r := e.do(t, e.teacher, publishOp, in("lessonId", lesson)).ok(t)
		require.Equal(t, "LESSON", r.str(t, "publishLesson.event.aggregateType"))
		require.Equal(t, "LESSON_PUBLISHED", r.str(t, "publishLesson.event.type"))
		require.Equal(t, lesson, r.str(t, "publishLesson.event.payload.lessonId"))
		require.Equal(t, e.teacher.ID.String(), r.str(t, "publishLesson.event.payload.teacherId"))
		require.Equal(t, "edupulse.web_social.lesson_published", r.str(t, "publishLesson.event.subject"))

		quiz := uuid.NewString()
		r = e.do(t, e.student, quizOp, in("quizId", quiz, "scorePercentage", 33.3)).ok(t)
		require.Equal(t, "QUIZ", r.str(t, "submitQuiz.event.aggregateType"))
		require.Equal(t, "QUIZ_SUBMITTED", r.str(t, "submitQuiz.event.type"))
		require.Equal(t, e.student.ID.String(), r.str(t, "submitQuiz.event.payload.studentId"))
		require.Contains(t, string(r.Raw), `"scorePercentage":33.3`, "the float32 reads back as written")

		badge, awardee := uuid.NewString(), e.student.ID.String()
		r = e.do(t, e.teacher, badgeOp, in("badgeId", badge, "studentId", awardee)).ok(t)
		require.Equal(t, "BADGE", r.str(t, "awardBadge.event.aggregateType"))
		require.Equal(t, "BADGE_AWARDED", r.str(t, "awardBadge.event.type"))
		require.Equal(t, awardee, r.str(t, "awardBadge.event.payload.studentId"))

		payment, payer := uuid.NewString(), e.student.ID.String()
		r = e.do(t, e.admin, paymentOp, in("paymentId", payment, "orderTotalCents", "9223372036854775807", "payerId", payer)).ok(t)
		require.Equal(t, "PAYMENT", r.str(t, "recordPayment.event.aggregateType"))
		require.Equal(t, "PAYMENT_PROCESSED", r.str(t, "recordPayment.event.type"))
		require.Equal(t, "9223372036854775807", r.str(t, "recordPayment.event.payload.orderTotalCents"), "Int64 is a string")
		require.Contains(t, string(r.Raw), `"orderTotalCents":"9223372036854775807"`)

		for _, agg := range []string{lesson, quiz, badge, payment} {
			require.Len(t, e.history(t, agg), 1)
		}
	})
}

func TestQueries(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		pulse := e.createPulse(t, e.teacher, "Queried")
		e.respond(t, e.student, pulse, "An answer")

		r := e.do(t, e.student, pulseOp, vars{"id": pulse}).ok(t)
		require.Equal(t, "Queried", r.str(t, "pulse.title"))
		require.EqualValues(t, 1, r.num(t, "pulse.responseCount"))
		require.Len(t, r.list(t, "pulse.responses.edges"), 1)

		r = e.do(t, e.student, `query($id: UUID!) { pulse(id: $id) { id } }`, vars{"id": uuid.NewString()}).ok(t)
		require.Nil(t, r.get(t, "pulse"), "a missing pulse is null")

		r = e.do(t, e.student, `query($t: UUID) { pulses(teacherId: $t) { edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } }`,
			vars{"t": e.teacher.ID.String()}).ok(t)
		require.Len(t, r.list(t, "pulses.edges"), 1)
		require.Equal(t, pulse, r.str(t, "pulses.edges.0.node.id"))
		require.Equal(t, false, r.get(t, "pulses.pageInfo.hasNextPage"))
		require.Equal(t, r.str(t, "pulses.edges.0.cursor"), r.str(t, "pulses.pageInfo.endCursor"))

		r = e.do(t, e.teacher, `query($id: UUID!) { pulse(id: $id) { events { edges { node { type } } } } }`, vars{"id": pulse}).ok(t)
		require.Len(t, r.list(t, "pulse.events.edges"), 2, "Pulse.events is the pulse's history")

		h := e.do(t, e.teacher, historyOp, vars{"id": pulse}).ok(t)
		evID := h.str(t, "eventsByAggregate.edges.1.node.id")
		r = e.do(t, e.teacher, `query($id: UUID!) { event(id: $id) { id type payload { ... on LearningPulseResponded { response { answer } } } } }`,
			vars{"id": evID}).ok(t)
		require.Equal(t, "LEARNING_PULSE_RESPONDED", r.str(t, "event.type"))
		require.Equal(t, "An answer", r.str(t, "event.payload.response.answer"))

		r = e.do(t, e.teacher, `query($id: UUID!) { event(id: $id) { id } }`, vars{"id": uuid.NewString()}).ok(t)
		require.Nil(t, r.get(t, "event"))
	})
}
