package event_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/event"
)

var (
	actor   = uuid.MustParse("11111111-2222-4333-8444-555555555555")
	student = uuid.MustParse("22222222-3333-4444-8555-666666666666")
	corr    = uuid.MustParse("7d1c5e0a-8a2b-4c3d-9e4f-5a6b7c8d9e0f")
	pulse   = uuid.MustParse("eeeeeeee-0000-4000-8000-000000000005")
	at      = time.Date(2026, 11, 27, 10, 15, 30, 123_000_000, time.UTC)
)

func envelope(id string, version int64, p event.Payload) event.Envelope {
	e := event.New(p, event.Meta{ActorID: actor, CorrelationID: corr}, at)
	e.ID = uuid.MustParse(id)
	e.Version = version
	return e
}

// The golden files were written by hand from serde's derive rules (field
// order, adjacently tagged payload, f32 form), not produced by Marshal.
var golden = []struct {
	file string
	e    event.Envelope
}{
	{"lesson_published.json", envelope("0a000000-0000-4000-8000-000000000001", 1, event.LessonPublished{
		LessonID: uuid.MustParse("aaaaaaaa-0000-4000-8000-000000000001"), TeacherID: actor})},
	{"quiz_submitted.json", envelope("0a000000-0000-4000-8000-000000000002", 2, event.QuizSubmitted{
		QuizID: uuid.MustParse("bbbbbbbb-0000-4000-8000-000000000002"), StudentID: actor, ScorePercentage: 87.5})},
	{"badge_awarded.json", envelope("0a000000-0000-4000-8000-000000000003", 1, event.BadgeAwarded{
		BadgeID: uuid.MustParse("cccccccc-0000-4000-8000-000000000003"), StudentID: student})},
	{"payment_processed.json", envelope("0a000000-0000-4000-8000-000000000004", 1, event.PaymentProcessed{
		PaymentID: uuid.MustParse("dddddddd-0000-4000-8000-000000000004"), OrderTotalCents: 9223372036854775807, PayerID: student})},
	{"learning_pulse_created.json", envelope("0a000000-0000-4000-8000-000000000005", 1, event.LearningPulseCreated{
		PulseID: pulse, TeacherID: actor})},
	{"learning_pulse_responded.json", envelope("0a000000-0000-4000-8000-000000000006", 2, event.LearningPulseResponded{
		PulseID: pulse, StudentID: student, ResponseID: uuid.MustParse("ffffffff-0000-4000-8000-000000000006")})},
	{"learning_pulse_closed.json", envelope("0a000000-0000-4000-8000-000000000007", 3, event.LearningPulseClosed{
		PulseID: pulse, TeacherID: actor})},
	{"actor_erased.json", envelope("0a000000-0000-4000-8000-000000000008", 1, event.ActorErased{ActorID: student})},
}

func TestMarshalMatchesGoldenFiles(t *testing.T) {
	t.Parallel()
	require.Len(t, golden, len(event.Types), "one golden file per event kind")
	for _, g := range golden {
		t.Run(g.file, func(t *testing.T) {
			t.Parallel()
			want, err := os.ReadFile(filepath.Join("testdata", g.file))
			require.NoError(t, err)
			got, err := event.Marshal(g.e)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))

			back, err := event.Unmarshal(want)
			require.NoError(t, err)
			require.Equal(t, g.e, back)
		})
	}
}

func TestUnmarshalSeedBody(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("testdata", "seed_quiz_submitted.json"))
	require.NoError(t, err)
	e, err := event.Unmarshal(body)
	require.NoError(t, err)
	require.Equal(t, event.AggregateQuiz, e.AggregateType, "aggregate derived from the payload")
	require.Equal(t, uuid.MustParse("bbbbbbbb-0000-4000-8000-000000000002"), e.AggregateID)
	require.False(t, e.ActorID.Valid)
	require.Equal(t, time.Date(2026, 11, 27, 10, 15, 30, 123_000_000, time.UTC), e.OccurredAt, "truncated to ms")
	require.InDelta(t, 90, e.Payload.(event.QuizSubmitted).ScorePercentage, 0, "exactly 90")
}

func TestUnmarshalToleratesUnknownFields(t *testing.T) {
	t.Parallel()
	body := `{"id":"0a000000-0000-4000-8000-000000000001","trace":{"x":1},"correlation_id":null,"causation_id":null,"actor_id":null,` +
		`"occurred_at":"2026-11-27T10:15:30.123+00:00","schema_version":1,` +
		`"payload":{"type":"BadgeAwarded","data":{"badge_id":"cccccccc-0000-4000-8000-000000000003","student_id":"22222222-3333-4444-8555-666666666666","extra":true}}}`
	e, err := event.Unmarshal([]byte(body))
	require.NoError(t, err)
	require.Equal(t, event.TypeBadgeAwarded, e.Type())
}

func TestUnmarshalRejects(t *testing.T) {
	t.Parallel()
	head := `{"id":"0a000000-0000-4000-8000-000000000001","correlation_id":null,"causation_id":null,"actor_id":null,"occurred_at":"2026-11-27T10:15:30.123Z",`
	cases := map[string]string{
		"unknown type":       head + `"schema_version":1,"payload":{"type":"PulseExploded","data":{}}}`,
		"missing data field": head + `"schema_version":1,"payload":{"type":"BadgeAwarded","data":{"badge_id":"cccccccc-0000-4000-8000-000000000003"}}}`,
		"future schema":      head + `"schema_version":9,"payload":{"type":"ActorErased","data":{"actor_id":"cccccccc-0000-4000-8000-000000000003"}}}`,
		"not json":           `{"id":`,
		"aggregate mismatch": head + `"schema_version":1,"payload":{"type":"ActorErased","data":{"actor_id":"cccccccc-0000-4000-8000-000000000003"}},"aggregate_id":"dddddddd-0000-4000-8000-000000000004"}`,
		"float cents":        head + `"schema_version":1,"payload":{"type":"PaymentProcessed","data":{"payment_id":"dddddddd-0000-4000-8000-000000000004","order_total_cents":1.5,"payer_id":"dddddddd-0000-4000-8000-000000000004"}}}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := event.Unmarshal([]byte(body))
			require.Error(t, err)
		})
	}
	_, err := event.Unmarshal([]byte(cases["unknown type"]))
	require.ErrorIs(t, err, event.ErrUnknownType, "an unknown type is a distinguishable error")
	require.Contains(t, err.Error(), "PulseExploded")
}

func TestMarshalRejectsInvalidEvents(t *testing.T) {
	t.Parallel()
	e := envelope("0a000000-0000-4000-8000-000000000002", 1, event.QuizSubmitted{QuizID: pulse, StudentID: actor, ScorePercentage: 100.5})
	_, err := event.Marshal(e)
	require.Error(t, err)
	e = envelope("0a000000-0000-4000-8000-000000000002", 1, event.PaymentProcessed{PaymentID: pulse, PayerID: actor, OrderTotalCents: 0})
	_, err = event.Marshal(e)
	require.Error(t, err)
}

func TestSubjects(t *testing.T) {
	t.Parallel()
	want := map[event.Type]string{
		event.TypeLessonPublished:        "edupulse.web_social.lesson_published",
		event.TypeQuizSubmitted:          "edupulse.web_social.quiz_submitted",
		event.TypeBadgeAwarded:           "edupulse.web_social.badge_awarded",
		event.TypePaymentProcessed:       "edupulse.web_social.payment_processed",
		event.TypeLearningPulseCreated:   "edupulse.web_social.learning_pulse_created",
		event.TypeLearningPulseResponded: "edupulse.web_social.learning_pulse_responded",
		event.TypeLearningPulseClosed:    "edupulse.web_social.learning_pulse_closed",
		event.TypeActorErased:            "edupulse.web_social.actor_erased",
	}
	require.Len(t, event.Types, len(want))
	for _, ty := range event.Types {
		require.Equal(t, want[ty], ty.Subject())
	}
}

func TestNewTruncatesToMillisecondsUTC(t *testing.T) {
	t.Parallel()
	local := time.Date(2026, 11, 27, 11, 15, 30, 123_999_999, time.FixedZone("CET", 3600))
	e := event.New(event.ActorErased{ActorID: actor}, event.Meta{}, local)
	require.Equal(t, at, e.OccurredAt)
	require.Equal(t, time.UTC, e.OccurredAt.Location())
	require.False(t, e.CorrelationID.Valid)
}
