package auth_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
)

// TestPermissionMatrix is the contract's "who may do what" table, checked
// for every operation against every member of the cast.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	teachersAndAdmins := set("teacher", "otherTeacher", "admin", "otherAdmin")
	students := set("student", "otherStudent")
	admins := set("admin", "otherAdmin")

	matrix := []struct {
		op      string
		can     func(auth.Actor) bool
		allowed map[string]bool
	}{
		{"createPulse", auth.CanCreatePulse, teachersAndAdmins},
		{"publishLesson", auth.CanPublishLesson, teachersAndAdmins},
		{"respondToPulse", auth.CanRespond, students},
		{"submitQuiz", auth.CanSubmitQuiz, students},
		// The pulse is teacher's: a colleague may not close it.
		{"closePulse", func(a auth.Actor) bool { return auth.CanClosePulse(a, teacher.ID) }, set("teacher", "admin", "otherAdmin")},
		{"awardBadge", auth.CanAwardBadge, teachersAndAdmins},
		{"recordPayment", auth.CanRecordPayment, admins},
		{"eraseActor", auth.CanEraseActor, admins},
		{"events subscription", auth.CanWatchAllEvents, admins},
	}
	for _, row := range matrix {
		for _, c := range cast {
			require.Equal(t, row.allowed[c.name], row.can(c.actor), "%s by %s", row.op, c.name)
		}
	}
}

func TestCanClosePulseEdgeCases(t *testing.T) {
	t.Parallel()
	// A student whose id happens to be the pulse's teacher's still may not
	// close it: closing is a teacher's act.
	require.False(t, auth.CanClosePulse(auth.Actor{ID: teacher.ID, Role: auth.RoleStudent}, teacher.ID))
	// An unknown teacher (nil) matches nobody.
	require.False(t, auth.CanClosePulse(teacher, uuid.Nil))
	require.True(t, auth.CanClosePulse(admin, uuid.Nil), "an admin may close any pulse")
	require.False(t, auth.CanClosePulse(noRole, teacher.ID))
}
