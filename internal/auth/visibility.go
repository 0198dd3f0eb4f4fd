package auth

import (
	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/event"
)

// Audience is who may see one event and whom it concerns, worked out once
// per event so that checking each subscriber is a few comparisons, with no
// lookup and no allocation. The zero Audience is visible to admins only.
//
// It is the one implementation of the contract's "who sees an event" table:
// queries (event, eventsByAggregate, Pulse.events) and subscriptions
// (pulseEvents, myEvents, events) all filter through Visible, so an event
// never shows in one place and not in another.
type Audience struct {
	// everyone: every authenticated caller sees the event.
	everyone bool
	// teachers: every teacher sees the event.
	teachers bool
	// viewers are the particular actors who see it besides the above and
	// admins; uuid.Nil entries are unused and match nobody.
	viewers [2]uuid.UUID
	// parties are the actors the event concerns, for myEvents: its actor and
	// the student, teacher or payer it names. uuid.Nil entries match nobody.
	parties [3]uuid.UUID
}

// NeedsPulseTeacher reports whether working out e's audience needs the
// teacher of a pulse that the payload does not name, and which pulse. Only
// LearningPulseResponded does: its payload names the student, not the
// teacher. The hub asks this once per event, looks the teacher up once, and
// passes the answer to AudienceOf.
func NeedsPulseTeacher(e event.Envelope) (pulseID uuid.UUID, ok bool) {
	if p, ok := e.Payload.(event.LearningPulseResponded); ok {
		return p.PulseID, true
	}
	return uuid.Nil, false
}

// AudienceOf works out the audience of e (§3 of the contract):
//
//   - LearningPulseCreated, LearningPulseClosed, LessonPublished,
//     BadgeAwarded: every authenticated caller;
//   - LearningPulseResponded: the pulse's teacher, the responding student,
//     admins;
//   - QuizSubmitted: the student, every teacher, admins;
//   - PaymentProcessed: the payer, admins;
//   - ActorErased, and any kind this code does not know: admins.
//
// pulseTeacher is the teacher of the pulse for a LearningPulseResponded (see
// NeedsPulseTeacher) and is ignored otherwise. uuid.Nil, for a pulse whose
// teacher cannot be found, fails closed: no teacher sees the response.
func AudienceOf(e event.Envelope, pulseTeacher uuid.UUID) Audience {
	var au Audience
	if e.ActorID.Valid {
		au.parties[0] = e.ActorID.UUID
	}
	switch p := e.Payload.(type) {
	case event.LearningPulseCreated:
		au.everyone = true
		au.parties[1] = p.TeacherID
	case event.LearningPulseClosed:
		au.everyone = true
		au.parties[1] = p.TeacherID
	case event.LessonPublished:
		au.everyone = true
		au.parties[1] = p.TeacherID
	case event.BadgeAwarded:
		au.everyone = true
		au.parties[1] = p.StudentID
	case event.LearningPulseResponded:
		au.viewers = responseViewers(p.StudentID, pulseTeacher)
		au.parties[1], au.parties[2] = p.StudentID, pulseTeacher
	case event.QuizSubmitted:
		au.teachers = true
		au.viewers[0] = p.StudentID
		au.parties[1] = p.StudentID
	case event.PaymentProcessed:
		au.viewers[0] = p.PayerID
		au.parties[1] = p.PayerID
	case event.ActorErased:
		// Admins only: the erased actor's id is personal data in itself, and
		// the erasure is an admin's act. The erased actor is still a party,
		// which matters only if they are an admin.
		au.parties[1] = p.ActorID
	}
	return au
}

// Visible reports whether a may see the event: admins always, then the rules
// worked out by AudienceOf. An invalid Actor sees nothing.
func (au Audience) Visible(a Actor) bool {
	switch {
	case !a.Valid():
		return false
	case a.Role == RoleAdmin, au.everyone:
		return true
	case au.teachers && a.Role == RoleTeacher:
		return true
	}
	return a.is(au.viewers[0]) || a.is(au.viewers[1])
}

// Concerns reports whether the event belongs in a's `myEvents`: a may see it
// and is its actor or the student, teacher or payer it names (for a
// LearningPulseResponded, the pulse's teacher too). Visibility comes first,
// so myEvents never shows what the other queries hide.
func (au Audience) Concerns(a Actor) bool {
	if !au.Visible(a) {
		return false
	}
	return a.is(au.parties[0]) || a.is(au.parties[1]) || a.is(au.parties[2])
}

// PulseTeacherFunc finds the teacher of a pulse; ok is false when the pulse
// is unknown.
type PulseTeacherFunc func(pulseID uuid.UUID) (teacherID uuid.UUID, ok bool)

// CanSee reports whether a may see e, for a single check (a query returning
// one event). pulseTeacher is called only when NeedsPulseTeacher(e) and may
// be nil otherwise. Code checking one event against many callers (the hub,
// a page of events) should compute AudienceOf once and call Visible instead.
func CanSee(a Actor, e event.Envelope, pulseTeacher PulseTeacherFunc) bool {
	return audience(e, pulseTeacher).Visible(a)
}

// Concerns is CanSee for the myEvents subscription: see Audience.Concerns.
func Concerns(a Actor, e event.Envelope, pulseTeacher PulseTeacherFunc) bool {
	return audience(e, pulseTeacher).Concerns(a)
}

func audience(e event.Envelope, pulseTeacher PulseTeacherFunc) Audience {
	teacher := uuid.Nil
	if pulseID, ok := NeedsPulseTeacher(e); ok && pulseTeacher != nil {
		if t, found := pulseTeacher(pulseID); found {
			teacher = t
		}
	}
	return AudienceOf(e, teacher)
}

// CanSeeResponse reports whether a may see one response to a pulse
// (Pulse.responses, LearningPulseResponded.response): the same people who
// see its LearningPulseResponded event — the responding student, the pulse's
// teacher, admins. So a student sees only their own responses, and a teacher
// sees the responses to their own pulses only, never a colleague's.
func CanSeeResponse(a Actor, studentID, pulseTeacherID uuid.UUID) bool {
	return Audience{viewers: responseViewers(studentID, pulseTeacherID)}.Visible(a)
}

// responseViewers is shared by AudienceOf and CanSeeResponse so that a
// response and its event cannot drift apart in who sees them.
func responseViewers(studentID, pulseTeacherID uuid.UUID) [2]uuid.UUID {
	return [2]uuid.UUID{studentID, pulseTeacherID}
}
