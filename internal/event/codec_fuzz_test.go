package event_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/event"
)

// Bodies come from the bus, which is a trust boundary (another service, or
// whoever holds credentials for an external NATS, can publish there), and
// from the store. The decoder must refuse garbage with an error, never
// panic, and what it accepts must be an envelope this code would write
// itself: re-encoding it gives one canonical body that decodes to the same
// envelope.

// FuzzUnmarshal checks Unmarshal on arbitrary bodies: no panic; an accepted
// body yields an envelope consistent with its payload; and the round trip
// Marshal(Unmarshal(x)) decodes to the same envelope, byte-stably.
func FuzzUnmarshal(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no golden bodies to seed from: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	head := `{"id":"0a000000-0000-4000-8000-000000000001","correlation_id":null,"causation_id":null,"actor_id":null,`
	for _, s := range []string{
		// Spellings uuid.Parse takes besides the canonical one.
		`{"id":"{0A000000-0000-4000-8000-000000000001}","correlation_id":"urn:uuid:7d1c5e0a-8a2b-4c3d-9e4f-5a6b7c8d9e0f","causation_id":"7d1c5e0a8a2b4c3d9e4f5a6b7c8d9e0f","actor_id":null,"occurred_at":"2026-11-27T10:15:30.123Z","schema_version":1,"payload":{"type":"ActorErased","data":{"actor_id":"cccccccc-0000-4000-8000-000000000003"}}}`,
		// Offsets that move the instant across a year boundary, and out of
		// the four-digit years.
		head + `"occurred_at":"2026-12-31T23:59:59.999-23:59","schema_version":1,"payload":{"type":"ActorErased","data":{"actor_id":"cccccccc-0000-4000-8000-000000000003"}}}`,
		head + `"occurred_at":"9999-12-31T23:59:59.999-01:00","schema_version":1,"payload":{"type":"ActorErased","data":{"actor_id":"cccccccc-0000-4000-8000-000000000003"}}}`,
		head + `"occurred_at":"0000-01-01T00:00:00.000+00:01","schema_version":1,"payload":{"type":"ActorErased","data":{"actor_id":"cccccccc-0000-4000-8000-000000000003"}}}`,
		head + `"occurred_at":"0001-01-01T00:00:00.000Z","schema_version":1,"payload":{"type":"ActorErased","data":{"actor_id":"cccccccc-0000-4000-8000-000000000003"}}}`,
		// A mismatched aggregate type without an aggregate id.
		head + `"occurred_at":"2026-11-27T10:15:30.123Z","schema_version":1,"payload":{"type":"ActorErased","data":{"actor_id":"cccccccc-0000-4000-8000-000000000003"}},"aggregate_type":"pulse"}`,
		// Numbers at and past their types' edges.
		head + `"occurred_at":"2026-11-27T10:15:30.123Z","schema_version":1,"payload":{"type":"QuizSubmitted","data":{"quiz_id":"bbbbbbbb-0000-4000-8000-000000000002","student_id":"11111111-2222-4333-8444-555555555555","score_percentage":1e-45}}}`,
		head + `"occurred_at":"2026-11-27T10:15:30.123Z","schema_version":1,"payload":{"type":"QuizSubmitted","data":{"quiz_id":"bbbbbbbb-0000-4000-8000-000000000002","student_id":"11111111-2222-4333-8444-555555555555","score_percentage":99.99999999}}}`,
		head + `"occurred_at":"2026-11-27T10:15:30.123Z","schema_version":1,"payload":{"type":"QuizSubmitted","data":{"quiz_id":"bbbbbbbb-0000-4000-8000-000000000002","student_id":"11111111-2222-4333-8444-555555555555","score_percentage":-0.0}}}`,
		head + `"occurred_at":"2026-11-27T10:15:30.123Z","schema_version":1,"payload":{"type":"PaymentProcessed","data":{"payment_id":"dddddddd-0000-4000-8000-000000000004","order_total_cents":9223372036854775808,"payer_id":"dddddddd-0000-4000-8000-000000000004"}}}`,
		head + `"occurred_at":"2026-11-27T10:15:30.123Z","schema_version":65535,"payload":{"type":"ActorErased","data":{"actor_id":"cccccccc-0000-4000-8000-000000000003"}},"version":-9223372036854775808}`,
		// Duplicate keys (encoding/json keeps the last) and nulls.
		head + `"occurred_at":"2026-11-27T10:15:30.123Z","schema_version":1,"payload":{"type":"ActorErased","type":"BadgeAwarded","data":{"actor_id":"cccccccc-0000-4000-8000-000000000003"}}}`,
		head + `"occurred_at":"2026-11-27T10:15:30.123Z","schema_version":1,"payload":{"type":"ActorErased","data":null}}`,
		head + `"occurred_at":"2026-11-27T10:15:30.123Z","schema_version":1,"payload":{"type":"ActorErased","data":{"actor_id":null}}}`,
		`null`, `[]`, `{}`, `{"id":"0a000000-0000-4000-8000-000000000001"}`,
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := event.Unmarshal(body)
		if err != nil {
			return
		}
		checkDecoded(t, e)

		out, err := event.Marshal(e)
		if err != nil {
			// The decoder is more lenient than the encoder on purpose (a
			// score out of range, a zero id): such an event is refused
			// when it would be written, which is where Validate belongs.
			if e.Validate() == nil {
				t.Fatalf("Marshal refused an envelope Validate accepts: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("Marshal wrote invalid JSON: %s", out)
		}
		back, err := event.Unmarshal(out)
		if err != nil {
			t.Fatalf("Marshal(Unmarshal(x)) does not decode: %v\nx:   %q\nout: %s", err, body, out)
		}
		requireSameEnvelope(t, e, back, out)
		again, err := event.Marshal(back)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("the canonical body is not stable: %v\nfirst:  %s\nsecond: %s", err, out, again)
		}
	})
}

// FuzzMarshal builds envelopes of every kind from raw values and checks
// that an envelope Marshal accepts comes back unchanged from Unmarshal, and
// that the body has the wire format's fixed shapes (contract §6, The event bus).
func FuzzMarshal(f *testing.F) {
	f.Add(uint8(1), []byte("0123456789abcdef0123456789abcdef0123456789abcdef"), float32(87.5), int64(9223372036854775807), int64(1795774530123), int64(2))
	f.Add(uint8(1), []byte("x"), float32(1e-7), int64(1), int64(0), int64(0))
	f.Add(uint8(1), []byte("y"), math.Nextafter32(100, 0), int64(42), int64(253402300799999), int64(1))
	f.Add(uint8(3), []byte("z"), float32(0), int64(-1), int64(-62135596800000), int64(-1))

	f.Fuzz(func(t *testing.T, kind uint8, seed []byte, score float32, cents, ms, version int64) {
		id := func(n int) uuid.UUID {
			// Distinct, non-nil ids drawn from the seed bytes.
			var u uuid.UUID
			for i := range u {
				if len(seed) > 0 {
					u[i] = seed[(n*16+i)%len(seed)]
				}
			}
			binary.BigEndian.PutUint16(u[14:], uint16(n+1)^binary.BigEndian.Uint16(u[14:]))
			if u == uuid.Nil {
				u[0] = 1
			}
			return u
		}
		var p event.Payload
		switch kind % 8 {
		case 0:
			p = event.LessonPublished{LessonID: id(0), TeacherID: id(1)}
		case 1:
			p = event.QuizSubmitted{QuizID: id(0), StudentID: id(1), ScorePercentage: score}
		case 2:
			p = event.BadgeAwarded{BadgeID: id(0), StudentID: id(1)}
		case 3:
			p = event.PaymentProcessed{PaymentID: id(0), OrderTotalCents: cents, PayerID: id(1)}
		case 4:
			p = event.LearningPulseCreated{PulseID: id(0), TeacherID: id(1)}
		case 5:
			p = event.LearningPulseResponded{PulseID: id(0), StudentID: id(1), ResponseID: id(2)}
		case 6:
			p = event.LearningPulseClosed{PulseID: id(0), TeacherID: id(1)}
		default:
			p = event.ActorErased{ActorID: id(0)}
		}
		// Years 0001..9999 only: the events written carry the clock's time,
		// and the wire form has four digits for the year. (Marshal does not
		// refuse others itself; see FuzzUnmarshal for where that matters.)
		const first, last = -62135596800000, 253402300799999 // 0001-01-01, 9999-12-31T23:59:59.999Z
		ms = first + int64(uint64(ms)%uint64(last-first+1))
		e := event.New(p, event.Meta{ActorID: id(3), CorrelationID: id(4)}, time.UnixMilli(ms))
		e.ID = id(5)
		e.Version = version

		out, err := event.Marshal(e)
		if err != nil {
			if e.Validate() == nil {
				t.Fatalf("Marshal refused a valid envelope: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		var raw struct {
			OccurredAt string `json:"occurred_at"`
			Payload    struct {
				Type string                     `json:"type"`
				Data map[string]json.RawMessage `json:"data"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(out, &raw); err != nil {
			t.Fatal(err)
		}
		if raw.Payload.Type != string(p.Type()) {
			t.Fatalf("payload.type %q, want %q", raw.Payload.Type, p.Type())
		}
		if c, ok := raw.Payload.Data["order_total_cents"]; ok && bytes.ContainsAny(c, ".eE") {
			t.Fatalf("order_total_cents is not a JSON integer: %s", c)
		}
		if s, ok := raw.Payload.Data["score_percentage"]; ok && !bytes.ContainsAny(s, ".e") {
			t.Fatalf("score_percentage %s is not in serde's f32 form (integral values keep .0)", s)
		}
		if len(raw.OccurredAt) != len("2006-01-02T15:04:05.000Z") {
			t.Fatalf("occurred_at %q is not YYYY-MM-DDTHH:MM:SS.mmmZ", raw.OccurredAt)
		}
		back, err := event.Unmarshal(out)
		if err != nil {
			t.Fatalf("Marshal wrote a body Unmarshal refuses: %v\n%s", err, out)
		}
		requireSameEnvelope(t, e, back, out)
	})
}

// checkDecoded asserts what every decoded envelope must satisfy, whatever
// the body said: the aggregate is the payload's (an aggregate is its type
// and its id), and the time is UTC at millisecond precision.
func checkDecoded(t *testing.T, e event.Envelope) {
	t.Helper()
	if e.Payload == nil || !e.Type().Valid() {
		t.Fatalf("decoded an envelope without a known payload: %+v", e)
	}
	at, id := e.Payload.Aggregate()
	if e.AggregateType != at || e.AggregateID != id || !at.Valid() {
		t.Fatalf("aggregate %s/%s, payload says %s/%s", e.AggregateType, e.AggregateID, at, id)
	}
	if e.OccurredAt.Location() != time.UTC || e.OccurredAt.Nanosecond()%int(time.Millisecond) != 0 {
		t.Fatalf("occurred_at %v is not UTC at millisecond precision", e.OccurredAt)
	}
	if e.SchemaVersion != event.CurrentSchemaVersion {
		t.Fatalf("schema_version %d after upcasting, want %d", e.SchemaVersion, event.CurrentSchemaVersion)
	}
	if e.Position != 0 {
		t.Fatalf("position %d came from a body; it travels in a header", e.Position)
	}
}

func requireSameEnvelope(t *testing.T, want, got event.Envelope, body []byte) {
	t.Helper()
	// Compared field by field: time.Time must be compared with Equal.
	same := want.ID == got.ID &&
		want.CorrelationID == got.CorrelationID &&
		want.CausationID == got.CausationID &&
		want.ActorID == got.ActorID &&
		want.OccurredAt.Equal(got.OccurredAt) &&
		want.SchemaVersion == got.SchemaVersion &&
		want.AggregateID == got.AggregateID &&
		want.AggregateType == got.AggregateType &&
		want.Version == got.Version &&
		samePayload(want.Payload, got.Payload)
	if !same {
		t.Fatalf("round trip changed the envelope\nwant: %+v\ngot:  %+v\nbody: %s", want, got, body)
	}
}

func samePayload(a, b event.Payload) bool {
	qa, ok1 := a.(event.QuizSubmitted)
	qb, ok2 := b.(event.QuizSubmitted)
	if ok1 && ok2 {
		// Bit-exact, so that -0 and +0 count as different values.
		return qa.QuizID == qb.QuizID && qa.StudentID == qb.StudentID &&
			math.Float32bits(qa.ScorePercentage) == math.Float32bits(qb.ScorePercentage)
	}
	return a == b
}
