package auth_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
)

var (
	pulseID    = uuid.MustParse("9a000000-0000-4000-8000-000000000001")
	responseID = uuid.MustParse("9a000000-0000-4000-8000-000000000002")
	lessonID   = uuid.MustParse("9a000000-0000-4000-8000-000000000003")
	quizID     = uuid.MustParse("9a000000-0000-4000-8000-000000000004")
	badgeID    = uuid.MustParse("9a000000-0000-4000-8000-000000000005")
	paymentID  = uuid.MustParse("9a000000-0000-4000-8000-000000000006")
)

func envelope(p event.Payload, by auth.Actor) event.Envelope {
	return event.New(p, event.Meta{ActorID: by.ID}, time.Now())
}

// pulseTeachers resolves the one pulse of the fixtures, and counts lookups.
type pulseTeachers struct{ calls int }

func (p *pulseTeachers) lookup(id uuid.UUID) (uuid.UUID, bool) {
	p.calls++
	if id == pulseID {
		return teacher.ID, true
	}
	return uuid.Nil, false
}

// responded is student's response to teacher's pulse.
func responded() event.Envelope {
	return envelope(event.LearningPulseResponded{PulseID: pulseID, StudentID: student.ID, ResponseID: responseID}, student)
}

var everyValid = set("student", "otherStudent", "teacher", "otherTeacher", "admin", "otherAdmin")

// visibilityMatrix is the contract's "who sees an event" table, one row per
// event kind (two for LearningPulseClosed, closed by its teacher or by an
// admin), with who sees it and whom it concerns (myEvents).
var visibilityMatrix = []struct {
	name     string
	e        event.Envelope
	sees     map[string]bool
	concerns map[string]bool
}{
	{"LearningPulseCreated", envelope(event.LearningPulseCreated{PulseID: pulseID, TeacherID: teacher.ID}, teacher),
		everyValid, set("teacher")},
	{"LearningPulseClosed by its teacher", envelope(event.LearningPulseClosed{PulseID: pulseID, TeacherID: teacher.ID}, teacher),
		everyValid, set("teacher")},
	{"LearningPulseClosed by an admin", envelope(event.LearningPulseClosed{PulseID: pulseID, TeacherID: teacher.ID}, admin),
		everyValid, set("teacher", "admin")},
	{"LessonPublished", envelope(event.LessonPublished{LessonID: lessonID, TeacherID: teacher.ID}, teacher),
		everyValid, set("teacher")},
	{"BadgeAwarded", envelope(event.BadgeAwarded{BadgeID: badgeID, StudentID: student.ID}, teacher),
		everyValid, set("student", "teacher")},
	{"LearningPulseResponded", responded(),
		set("student", "teacher", "admin", "otherAdmin"), set("student", "teacher")},
	{"QuizSubmitted", envelope(event.QuizSubmitted{QuizID: quizID, StudentID: student.ID, ScorePercentage: 80}, student),
		set("student", "teacher", "otherTeacher", "admin", "otherAdmin"), set("student")},
	{"PaymentProcessed", envelope(event.PaymentProcessed{PaymentID: paymentID, OrderTotalCents: 1999, PayerID: student.ID}, admin),
		set("student", "admin", "otherAdmin"), set("student", "admin")},
	// The erased student is named but may not see it: admins only.
	{"ActorErased", envelope(event.ActorErased{ActorID: student.ID}, admin),
		set("admin", "otherAdmin"), set("admin")},
	{"ActorErased of an admin", envelope(event.ActorErased{ActorID: otherAdmin.ID}, admin),
		set("admin", "otherAdmin"), set("admin", "otherAdmin")},
}

func TestVisibilityMatrixCoversEveryKind(t *testing.T) {
	t.Parallel()
	covered := map[event.Type]bool{}
	for _, row := range visibilityMatrix {
		covered[row.e.Type()] = true
	}
	for _, k := range event.Types {
		require.True(t, covered[k], "no row for %s", k)
	}
}

func TestVisibilityMatrix(t *testing.T) {
	t.Parallel()
	for _, row := range visibilityMatrix {
		require.NoError(t, row.e.Validate(), row.name)
		var pt pulseTeachers
		pulseTeacher := uuid.Nil
		if id, ok := auth.NeedsPulseTeacher(row.e); ok {
			pulseTeacher, _ = pt.lookup(id)
		}
		au := auth.AudienceOf(row.e, pulseTeacher)
		for _, c := range cast {
			require.Equal(t, row.sees[c.name], au.Visible(c.actor), "%s seen by %s", row.name, c.name)
			require.Equal(t, row.concerns[c.name], au.Concerns(c.actor), "%s concerns %s", row.name, c.name)

			// The one-shot helpers give the same answers.
			require.Equal(t, row.sees[c.name], auth.CanSee(c.actor, row.e, pt.lookup), "CanSee %s by %s", row.name, c.name)
			require.Equal(t, row.concerns[c.name], auth.Concerns(c.actor, row.e, pt.lookup), "Concerns %s, %s", row.name, c.name)
		}
		// Whom an event concerns is always among those who see it.
		for name := range row.concerns {
			require.True(t, row.sees[name], "%s concerns %s, who cannot see it", row.name, name)
		}
	}
}

func TestNeedsPulseTeacherOnlyForResponses(t *testing.T) {
	t.Parallel()
	for _, row := range visibilityMatrix {
		id, ok := auth.NeedsPulseTeacher(row.e)
		if row.e.Type() == event.TypeLearningPulseResponded {
			require.True(t, ok)
			require.Equal(t, pulseID, id)
		} else {
			require.False(t, ok, row.name)
			require.Equal(t, uuid.Nil, id)
		}
	}
}

func TestCanSeeLooksUpTheTeacherOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	for _, row := range visibilityMatrix {
		var pt pulseTeachers
		auth.CanSee(otherTeacher, row.e, pt.lookup)
		want := 0
		if row.e.Type() == event.TypeLearningPulseResponded {
			want = 1
		}
		require.Equal(t, want, pt.calls, row.name)
		// No lookup needed: a nil function is fine.
		if want == 0 {
			require.Equal(t, row.sees["otherTeacher"], auth.CanSee(otherTeacher, row.e, nil), row.name)
		}
	}
}

// A response to a pulse whose teacher cannot be found is shown to no
// teacher: failing closed, never open.
func TestUnresolvedPulseTeacherFailsClosed(t *testing.T) {
	t.Parallel()
	e := envelope(event.LearningPulseResponded{PulseID: uuid.New(), StudentID: student.ID, ResponseID: responseID}, student)
	var pt pulseTeachers
	sees, concerns := set("student", "admin", "otherAdmin"), set("student")
	au := auth.AudienceOf(e, uuid.Nil)
	for _, c := range cast {
		require.Equal(t, sees[c.name], au.Visible(c.actor), c.name)
		require.Equal(t, concerns[c.name], au.Concerns(c.actor), c.name)
		require.Equal(t, sees[c.name], auth.CanSee(c.actor, e, pt.lookup), c.name)
		require.Equal(t, sees[c.name], auth.CanSee(c.actor, e, nil), "nil lookup: %s", c.name)
	}
}

// An envelope without payload (which no valid event is) is for admins only,
// as is the zero Audience.
func TestUnknownEventsAreAdminOnly(t *testing.T) {
	t.Parallel()
	e := event.Envelope{ID: uuid.New(), ActorID: uuid.NullUUID{UUID: student.ID, Valid: true}}
	for _, au := range []auth.Audience{auth.AudienceOf(e, teacher.ID), {}} {
		for _, c := range cast {
			want := c.name == "admin" || c.name == "otherAdmin"
			require.Equal(t, want, au.Visible(c.actor), c.name)
		}
	}
}

// The seed's events carry no actor; they concern whom their payload names.
func TestEventWithoutActor(t *testing.T) {
	t.Parallel()
	e := envelope(event.QuizSubmitted{QuizID: quizID, StudentID: student.ID, ScorePercentage: 50}, zero)
	require.False(t, e.ActorID.Valid)
	au := auth.AudienceOf(e, uuid.Nil)
	require.True(t, au.Concerns(student))
	require.False(t, au.Concerns(teacher))
	require.False(t, au.Concerns(zero))
}

func TestCanSeeResponse(t *testing.T) {
	t.Parallel()
	// The response is student's, to teacher's pulse.
	sees := set("student", "teacher", "admin", "otherAdmin")
	au := auth.AudienceOf(responded(), teacher.ID)
	for _, c := range cast {
		got := auth.CanSeeResponse(c.actor, student.ID, teacher.ID)
		require.Equal(t, sees[c.name], got, c.name)
		require.Equal(t, au.Visible(c.actor), got, "a response and its event are seen by the same people: %s", c.name)
	}
	// Unknown teacher: still the student and admins, no teacher.
	require.True(t, auth.CanSeeResponse(student, student.ID, uuid.Nil))
	require.True(t, auth.CanSeeResponse(admin, student.ID, uuid.Nil))
	require.False(t, auth.CanSeeResponse(teacher, student.ID, uuid.Nil))
	// A nil student id is nobody's, not the nil actor's.
	require.False(t, auth.CanSeeResponse(nilAdmin, uuid.Nil, uuid.Nil))
}

// The hub checks every subscriber against one Audience: that must not
// allocate.
func TestVisibleDoesNotAllocate(t *testing.T) {
	au := auth.AudienceOf(responded(), teacher.ID)
	allocs := testing.AllocsPerRun(100, func() {
		for _, c := range cast {
			au.Visible(c.actor)
			au.Concerns(c.actor)
		}
	})
	require.Zero(t, allocs)
}

func BenchmarkAudienceVisible(b *testing.B) {
	au := auth.AudienceOf(responded(), teacher.ID)
	for b.Loop() {
		au.Visible(otherTeacher)
	}
}
