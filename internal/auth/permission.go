package auth

import "github.com/google/uuid"

// The operations of the contract's §3 (Who may do what) table, one predicate each. Resolvers
// answer FORBIDDEN when a predicate is false; they never test roles
// themselves. Every predicate is false for an invalid Actor.

// CanCreatePulse: teachers (and admins) open pulses; the caller becomes the
// pulse's teacher.
func CanCreatePulse(a Actor) bool { return a.IsTeacher() || a.IsAdmin() }

// CanRespond: only students answer pulses; the caller becomes the response's
// student. Teachers and admins are refused so that a pulse's results are
// students' answers only.
func CanRespond(a Actor) bool { return a.IsStudent() }

// CanClosePulse: the pulse's own teacher, or an admin. Another teacher may
// not close a colleague's pulse. The teacher must still hold the teacher
// role: an id match alone is not enough to act.
func CanClosePulse(a Actor, pulseTeacherID uuid.UUID) bool {
	return a.IsAdmin() || (a.IsTeacher() && a.is(pulseTeacherID))
}

// CanPublishLesson: teachers (and admins); the caller becomes the lesson's
// teacher.
func CanPublishLesson(a Actor) bool { return a.IsTeacher() || a.IsAdmin() }

// CanSubmitQuiz: only students; the caller becomes the quiz's student.
func CanSubmitQuiz(a Actor) bool { return a.IsStudent() }

// CanAwardBadge: teachers and admins award badges to students.
func CanAwardBadge(a Actor) bool { return a.IsTeacher() || a.IsAdmin() }

// CanRecordPayment: admins only; payments come from the back office.
func CanRecordPayment(a Actor) bool { return a.IsAdmin() }

// CanEraseActor: admins only; erasure is irreversible.
func CanEraseActor(a Actor) bool { return a.IsAdmin() }

// CanWatchAllEvents: the unfiltered `events` subscription is for admins only,
// since it would otherwise show every caller everyone's events.
func CanWatchAllEvents(a Actor) bool { return a.IsAdmin() }
