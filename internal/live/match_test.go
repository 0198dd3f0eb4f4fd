package live_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/live"
)

// A pulse's subscribers get its events, not those of another type's
// aggregate that has the same id (a quiz submitted with the pulse's id).
func TestByPulseIsThePulseAggregate(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	match := live.ByPulse(id)
	closed := event.New(event.LearningPulseClosed{PulseID: id, TeacherID: uuid.New()}, event.Meta{}, time.Now())
	quiz := event.New(event.QuizSubmitted{QuizID: id, StudentID: uuid.New()}, event.Meta{}, time.Now())
	require.True(t, match(closed, auth.Audience{}))
	require.False(t, match(quiz, auth.Audience{}))
}
