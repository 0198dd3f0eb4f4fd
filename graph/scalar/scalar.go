// Package scalar owns the wire forms of the schema's custom scalars: UUID,
// DateTime and Int64. gqlgen binds each scalar to an existing Go type
// (uuid.UUID, time.Time, int64) through the Marshal*/Unmarshal* pairs below,
// so resolvers and the app layer never see the textual forms.
//
// An input that does not parse is an *Error: the error presenter turns it
// into BAD_USER_INPUT naming the input field (gqlgen puts the field's path
// on the error).
package scalar

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
)

// Error is an input value that is not a valid literal of its scalar.
type Error struct {
	Scalar  string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("invalid %s: %s", e.Scalar, e.Message) }

func invalid(scalar, format string, args ...any) error {
	return &Error{Scalar: scalar, Message: fmt.Sprintf(format, args...)}
}

// ---------------------------------------------------------------------------
// UUID

// MarshalUUID writes the canonical lowercase 36-character form.
func MarshalUUID(id uuid.UUID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var b [38]byte
		b[0], b[37] = '"', '"'
		hexUUID(b[1:37], id)
		_, _ = w.Write(b[:])
	})
}

func hexUUID(dst []byte, id uuid.UUID) {
	// uuid.UUID.String is already lowercase; this avoids its allocation.
	const digits = "0123456789abcdef"
	j := 0
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = digits[c>>4], digits[c&0x0f]
		j += 2
	}
}

// UnmarshalUUID accepts only the canonical 36-character form, in either
// case. uuid.Parse alone would also take the braced, urn: and 32-digit
// forms, giving one id several spellings.
func UnmarshalUUID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, invalid("UUID", "must be a string, got %s", kind(v))
	}
	if len(s) != 36 {
		return uuid.Nil, invalid("UUID", "must be a 36-character UUID like 123e4567-e89b-12d3-a456-426614174000")
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, invalid("UUID", "must be a 36-character UUID like 123e4567-e89b-12d3-a456-426614174000")
	}
	return id, nil
}

// MarshalNullUUID writes null for an unset id, else like MarshalUUID. It
// binds the envelope's optional ids (correlationId, causationId, actorId)
// without a resolver each.
func MarshalNullUUID(id uuid.NullUUID) graphql.Marshaler {
	if !id.Valid {
		return graphql.Null
	}
	return MarshalUUID(id.UUID)
}

// UnmarshalNullUUID is UnmarshalUUID, with null as the unset id.
func UnmarshalNullUUID(v any) (uuid.NullUUID, error) {
	if v == nil {
		return uuid.NullUUID{}, nil
	}
	id, err := UnmarshalUUID(v)
	if err != nil {
		return uuid.NullUUID{}, err
	}
	return uuid.NullUUID{UUID: id, Valid: true}, nil
}

// ---------------------------------------------------------------------------
// DateTime

// DateTimeLayout is the one output form of a DateTime: UTC, milliseconds,
// a trailing Z.
const DateTimeLayout = "2006-01-02T15:04:05.000Z"

// MarshalDateTime writes t in UTC as DateTimeLayout.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		b := make([]byte, 0, len(DateTimeLayout)+2)
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, DateTimeLayout)
		b = append(b, '"')
		_, _ = w.Write(b)
	})
}

// UnmarshalDateTime accepts an RFC 3339 timestamp with an offset ("Z" or
// ±hh:mm), returns it in UTC truncated to the millisecond (the precision
// everything is stored and written at). Years before 0001 or after 9999
// cannot be written back in the output form and are refused by the parser.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalid("DateTime", "must be a string, got %s", kind(v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if _, off := t.Zone(); err != nil || off <= -24*3600 || off >= 24*3600 {
		// time.Parse takes offsets up to ±99:59; RFC 3339's hours end at 23.
		return time.Time{}, invalid("DateTime", "must be an RFC 3339 timestamp with an offset, like 2026-11-27T10:15:30.123Z")
	}
	t = t.UTC().Truncate(time.Millisecond)
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, invalid("DateTime", "year must be between 0001 and 9999")
	}
	return t, nil
}

// ---------------------------------------------------------------------------
// Int64

// MarshalInt64 writes i as a JSON string of decimal digits, so that
// JavaScript clients, whose numbers are doubles, never round it.
func MarshalInt64(i int64) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		b := make([]byte, 0, 22)
		b = append(b, '"')
		b = strconv.AppendInt(b, i, 10)
		b = append(b, '"')
		_, _ = w.Write(b)
	})
}

// UnmarshalInt64 accepts a string of decimal digits (an optional leading
// minus) or a JSON integer, over the full 64-bit range. Floats, exponents,
// and values out of range are refused rather than rounded. JSON variables
// arrive as json.Number (gqlgen decodes with UseNumber) and literals in the
// query as int64.
func UnmarshalInt64(v any) (int64, error) {
	switch v := v.(type) {
	case int64:
		return v, nil
	case int:
		return int64(v), nil
	case int32:
		return int64(v), nil
	case string:
		return parseInt64(v)
	case json.Number:
		return parseInt64(string(v))
	case float64:
		// Only a decoder without UseNumber produces this; beyond 2^53 the
		// value may already have been rounded, so accept exact, small
		// integers only.
		if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return 0, invalid("Int64", "must be an integer; send large values as a string")
		}
		return int64(v), nil
	default:
		return 0, invalid("Int64", "must be a string of digits or an integer, got %s", kind(v))
	}
}

func parseInt64(s string) (int64, error) {
	if !isDigits(s) {
		return 0, invalid("Int64", "must be an integer written with digits only, like \"9223372036854775807\"")
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// Digits only, so the one possible failure is the range.
		return 0, invalid("Int64", "%s is outside the 64-bit range [%d, %d]", s, int64(math.MinInt64), int64(math.MaxInt64))
	}
	return i, nil
}

// isDigits reports an optional minus followed by one or more ASCII digits:
// no plus sign, spaces, underscores, fraction or exponent.
func isDigits(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// kind names the JSON kind of v for error messages, never echoing v.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, int, int32, int64, float32, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
