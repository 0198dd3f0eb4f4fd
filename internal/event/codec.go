package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// The JSON body written to the store and the bus follows the seed's serde
// derive exactly: the envelope's fields in declaration order, snake_case,
// `payload` adjacently tagged ({"type": variant, "data": {fields}}), Option
// as null, UUIDs lowercase, f32 in Rust's shortest form ("90.0", not "90").
// The encoder is written by hand rather than with struct tags because
// encoding/json cannot express the adjacently tagged enum or the f32 form.
// Our additions (aggregate_id, aggregate_type, version) come after payload:
// serde ignores unknown fields, so the seed's consumers still read it.

const timeLayout = "2006-01-02T15:04:05.000Z"

// ErrUnknownType is returned when a body names an event kind this code does
// not know.
var ErrUnknownType = errors.New("unknown event type")

// Marshal encodes e as the wire-format JSON body.
func Marshal(e Envelope) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 512)
	b = append(b, `{"id":`...)
	b = appendUUID(b, e.ID)
	b = append(b, `,"correlation_id":`...)
	b = appendNullUUID(b, e.CorrelationID)
	b = append(b, `,"causation_id":`...)
	b = appendNullUUID(b, e.CausationID)
	b = append(b, `,"actor_id":`...)
	b = appendNullUUID(b, e.ActorID)
	b = append(b, `,"occurred_at":"`...)
	b = e.OccurredAt.UTC().AppendFormat(b, timeLayout)
	b = append(b, `","schema_version":`...)
	b = strconv.AppendUint(b, uint64(e.SchemaVersion), 10)
	b = append(b, `,"payload":{"type":"`...)
	b = append(b, e.Payload.Type()...)
	b = append(b, `","data":`...)
	b = appendData(b, e.Payload)
	b = append(b, `},"aggregate_id":`...)
	b = appendUUID(b, e.AggregateID)
	b = append(b, `,"aggregate_type":"`...)
	b = append(b, e.AggregateType...)
	b = append(b, `","version":`...)
	b = strconv.AppendInt(b, e.Version, 10)
	b = append(b, '}')
	return b, nil
}

type field struct {
	name string
	id   uuid.UUID
}

func appendData(b []byte, p Payload) []byte {
	switch p := p.(type) {
	case LessonPublished:
		return appendIDs(b, field{"lesson_id", p.LessonID}, field{"teacher_id", p.TeacherID})
	case QuizSubmitted:
		b = appendIDs(b, field{"quiz_id", p.QuizID}, field{"student_id", p.StudentID})
		b = append(b[:len(b)-1], `,"score_percentage":`...)
		b = appendF32(b, p.ScorePercentage)
		return append(b, '}')
	case BadgeAwarded:
		return appendIDs(b, field{"badge_id", p.BadgeID}, field{"student_id", p.StudentID})
	case PaymentProcessed:
		b = appendIDs(b, field{"payment_id", p.PaymentID})
		b = append(b[:len(b)-1], `,"order_total_cents":`...)
		b = strconv.AppendInt(b, p.OrderTotalCents, 10)
		b = append(b, `,"payer_id":`...)
		b = appendUUID(b, p.PayerID)
		return append(b, '}')
	case LearningPulseCreated:
		return appendIDs(b, field{"pulse_id", p.PulseID}, field{"teacher_id", p.TeacherID})
	case LearningPulseResponded:
		return appendIDs(b, field{"pulse_id", p.PulseID}, field{"student_id", p.StudentID},
			field{"response_id", p.ResponseID})
	case LearningPulseClosed:
		return appendIDs(b, field{"pulse_id", p.PulseID}, field{"teacher_id", p.TeacherID})
	case ActorErased:
		return appendIDs(b, field{"actor_id", p.ActorID})
	}
	panic(fmt.Sprintf("event: no encoder for payload %T", p))
}

// appendIDs writes a JSON object of UUID fields, closing brace included.
func appendIDs(b []byte, fields ...field) []byte {
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, f.name...)
		b = append(b, `":`...)
		b = appendUUID(b, f.id)
	}
	return append(b, '}')
}

func appendUUID(b []byte, id uuid.UUID) []byte {
	b = append(b, '"')
	var buf [36]byte
	hexUUID(buf[:], id)
	b = append(b, buf[:]...)
	return append(b, '"')
}

func hexUUID(dst []byte, id uuid.UUID) {
	const hex = "0123456789abcdef"
	j := 0
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j] = hex[c>>4]
		dst[j+1] = hex[c&0xf]
		j += 2
	}
}

func appendNullUUID(b []byte, id uuid.NullUUID) []byte {
	if !id.Valid {
		return append(b, "null"...)
	}
	return appendUUID(b, id.UUID)
}

// wireEnvelope is the decoding view of a body. Unknown fields are ignored,
// as serde does by default.
type wireEnvelope struct {
	ID            *uuid.UUID `json:"id"`
	CorrelationID *uuid.UUID `json:"correlation_id"`
	CausationID   *uuid.UUID `json:"causation_id"`
	ActorID       *uuid.UUID `json:"actor_id"`
	OccurredAt    *string    `json:"occurred_at"`
	SchemaVersion *uint16    `json:"schema_version"`
	Payload       *struct {
		Type Type            `json:"type"`
		Data json.RawMessage `json:"data"`
	} `json:"payload"`
	AggregateID   *uuid.UUID    `json:"aggregate_id"`
	AggregateType AggregateType `json:"aggregate_type"`
	Version       int64         `json:"version"`
}

// Unmarshal decodes a wire-format body, upcasting older schema versions.
// Bodies written by the seed (without aggregate fields) are accepted: the
// aggregate is derived from the payload and the version is left at 0.
func Unmarshal(body []byte) (Envelope, error) {
	var w wireEnvelope
	if err := json.Unmarshal(body, &w); err != nil {
		return Envelope{}, fmt.Errorf("decode event: %w", err)
	}
	switch {
	case w.ID == nil:
		return Envelope{}, fmt.Errorf("decode event: missing field id")
	case w.OccurredAt == nil:
		return Envelope{}, fmt.Errorf("decode event %s: missing field occurred_at", w.ID)
	case w.SchemaVersion == nil:
		return Envelope{}, fmt.Errorf("decode event %s: missing field schema_version", w.ID)
	case w.Payload == nil:
		return Envelope{}, fmt.Errorf("decode event %s: missing field payload", w.ID)
	}
	at, err := time.Parse(time.RFC3339Nano, *w.OccurredAt)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode event %s: occurred_at: %w", w.ID, err)
	}
	// An offset can carry a valid local time out of the years the format
	// can write back in UTC (9999-12-31T23:59-01:00 is year 10000).
	if y := at.UTC().Year(); y < 1 || y > 9999 {
		return Envelope{}, fmt.Errorf("decode event %s: occurred_at: year %d in UTC is out of range", w.ID, y)
	}
	data, version, err := upcast(w.Payload.Type, *w.SchemaVersion, w.Payload.Data)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode event %s: %w", w.ID, err)
	}
	p, err := decodePayload(w.Payload.Type, data)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode event %s: %w", w.ID, err)
	}
	aggType, aggID := p.Aggregate()
	e := Envelope{
		ID:            *w.ID,
		CorrelationID: fromPtr(w.CorrelationID),
		CausationID:   fromPtr(w.CausationID),
		ActorID:       fromPtr(w.ActorID),
		OccurredAt:    Timestamp(at),
		SchemaVersion: version,
		AggregateID:   aggID,
		AggregateType: aggType,
		Version:       w.Version,
		Payload:       p,
	}
	if w.AggregateID != nil && (*w.AggregateID != aggID || (w.AggregateType != "" && w.AggregateType != aggType)) {
		return Envelope{}, fmt.Errorf("decode event %s: aggregate %s/%s does not match its payload", w.ID, w.AggregateType, w.AggregateID)
	}
	return e, nil
}

func fromPtr(id *uuid.UUID) uuid.NullUUID {
	if id == nil {
		return uuid.NullUUID{}
	}
	return uuid.NullUUID{UUID: *id, Valid: true}
}

// decodePayload decodes the adjacently tagged data of one kind. Every field
// is required, as serde requires it; unknown ones are ignored.
func decodePayload(t Type, data json.RawMessage) (Payload, error) {
	var (
		p   Payload
		err error
	)
	switch t {
	case TypeLessonPublished:
		var v struct {
			LessonID  *uuid.UUID `json:"lesson_id"`
			TeacherID *uuid.UUID `json:"teacher_id"`
		}
		if err = strictDecode(data, &v); err == nil {
			p = LessonPublished{LessonID: *v.LessonID, TeacherID: *v.TeacherID}
		}
	case TypeQuizSubmitted:
		var v struct {
			QuizID          *uuid.UUID   `json:"quiz_id"`
			StudentID       *uuid.UUID   `json:"student_id"`
			ScorePercentage *json.Number `json:"score_percentage"`
		}
		if err = strictDecode(data, &v); err == nil {
			f, perr := strconv.ParseFloat(string(*v.ScorePercentage), 32)
			if perr != nil {
				return nil, fmt.Errorf("%s: score_percentage: %w", t, perr)
			}
			p = QuizSubmitted{QuizID: *v.QuizID, StudentID: *v.StudentID, ScorePercentage: float32(f)}
		}
	case TypeBadgeAwarded:
		var v struct {
			BadgeID   *uuid.UUID `json:"badge_id"`
			StudentID *uuid.UUID `json:"student_id"`
		}
		if err = strictDecode(data, &v); err == nil {
			p = BadgeAwarded{BadgeID: *v.BadgeID, StudentID: *v.StudentID}
		}
	case TypePaymentProcessed:
		var v struct {
			PaymentID       *uuid.UUID `json:"payment_id"`
			OrderTotalCents *int64     `json:"order_total_cents"`
			PayerID         *uuid.UUID `json:"payer_id"`
		}
		if err = strictDecode(data, &v); err == nil {
			p = PaymentProcessed{PaymentID: *v.PaymentID, OrderTotalCents: *v.OrderTotalCents, PayerID: *v.PayerID}
		}
	case TypeLearningPulseCreated, TypeLearningPulseClosed:
		var v struct {
			PulseID   *uuid.UUID `json:"pulse_id"`
			TeacherID *uuid.UUID `json:"teacher_id"`
		}
		if err = strictDecode(data, &v); err == nil {
			if t == TypeLearningPulseCreated {
				p = LearningPulseCreated{PulseID: *v.PulseID, TeacherID: *v.TeacherID}
			} else {
				p = LearningPulseClosed{PulseID: *v.PulseID, TeacherID: *v.TeacherID}
			}
		}
	case TypeLearningPulseResponded:
		var v struct {
			PulseID    *uuid.UUID `json:"pulse_id"`
			StudentID  *uuid.UUID `json:"student_id"`
			ResponseID *uuid.UUID `json:"response_id"`
		}
		if err = strictDecode(data, &v); err == nil {
			p = LearningPulseResponded{PulseID: *v.PulseID, StudentID: *v.StudentID, ResponseID: *v.ResponseID}
		}
	case TypeActorErased:
		var v struct {
			ActorID *uuid.UUID `json:"actor_id"`
		}
		if err = strictDecode(data, &v); err == nil {
			p = ActorErased{ActorID: *v.ActorID}
		}
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownType, t)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	return p, nil
}

// strictDecode decodes data into v, a pointer to a struct of pointer
// fields, and fails when any of them is missing or null.
func strictDecode(data json.RawMessage, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("missing field data")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		if rv.Field(i).IsNil() {
			return fmt.Errorf("missing field %s", rv.Type().Field(i).Tag.Get("json"))
		}
	}
	return nil
}
