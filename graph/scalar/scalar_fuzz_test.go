package scalar_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edupulse/edupulse-live/graph/scalar"
)

// The scalars' Unmarshal functions read client input (literals and
// variables) before any resolver runs. Whatever they are given they answer
// a value or a *scalar.Error (BAD_USER_INPUT naming the field), never a
// panic; and a value they accept is written back in the one output form
// (contract §4, Errors), which they accept again as the same value.

func requireScalarErr(t *testing.T, err error, name string) {
	t.Helper()
	var se *scalar.Error
	if !errors.As(err, &se) || se.Scalar != name {
		t.Fatalf("%s: want a *scalar.Error, got %T %v", name, err, err)
	}
}

// unquote takes the JSON string a Marshal* wrote back to its text.
func unquote(t *testing.T, b []byte) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("marshalled %q is not a JSON string: %v", b, err)
	}
	return s
}

func FuzzUUID(f *testing.F) {
	for _, s := range []string{
		"123e4567-e89b-12d3-a456-426614174000",
		"123E4567-E89B-12D3-A456-426614174000",
		"{123e4567-e89b-12d3-a456-426614174000}",
		"urn:uuid:123e4567-e89b-12d3-a456-426614174000",
		"123e4567e89b12d3a456426614174000",
		"123e4567-e89b-12d3-a456-42661417400g",
		"123e4567+e89b-12d3-a456-426614174000",
		"00000000-0000-0000-0000-000000000000",
		"", "\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := scalar.UnmarshalUUID(s)
		if err != nil {
			requireScalarErr(t, err, "UUID")
			if n, err := scalar.UnmarshalNullUUID(s); err == nil || n.Valid {
				t.Fatalf("NullUUID accepted %q, which UUID refuses", s)
			}
			return
		}
		var b bytes.Buffer
		scalar.MarshalUUID(id).MarshalGQL(&b)
		out := unquote(t, b.Bytes())
		if out != strings.ToLower(out) || len(out) != 36 {
			t.Fatalf("UUID %q written as %q: not the lowercase 36-character form", s, out)
		}
		// The canonical form is the only one accepted, in either case.
		if !strings.EqualFold(out, s) {
			t.Fatalf("UUID accepted %q, a spelling other than %q", s, out)
		}
		back, err := scalar.UnmarshalUUID(out)
		if err != nil || back != id {
			t.Fatalf("UUID %q → %q → %v, %v", s, out, back, err)
		}
		if n, err := scalar.UnmarshalNullUUID(s); err != nil || !n.Valid || n.UUID != id {
			t.Fatalf("NullUUID of %q: %+v, %v", s, n, err)
		}
	})
}

func FuzzDateTime(f *testing.F) {
	for _, s := range []string{
		"2026-11-27T10:15:30.123Z",
		"2026-11-27T10:15:30.123456789+05:30",
		"2026-11-27T10:15:30Z",
		"2026-11-27t10:15:30z",
		"2026-11-27 10:15:30Z",
		"2026-11-27T10:15:30",
		"0001-01-01T00:00:00Z",
		"0001-01-01T00:00:00+00:01",
		"9999-12-31T23:59:59.999Z",
		"9999-12-31T23:59:59.999-00:01",
		"2026-11-27T10:15:30+23:59",
		"2026-11-27T10:15:30+24:00",
		"2026-11-27T10:15:30-99:59",
		"2026-02-30T10:15:30Z",
		"2026-11-27T24:00:00Z",
		"2026-11-27T23:59:60Z",
		"", "\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := scalar.UnmarshalDateTime(s)
		if err != nil {
			requireScalarErr(t, err, "DateTime")
			return
		}
		if tm.Location() != time.UTC || tm.Nanosecond()%int(time.Millisecond) != 0 {
			t.Fatalf("DateTime %q → %v: not UTC at millisecond precision", s, tm)
		}
		if y := tm.Year(); y < 1 || y > 9999 {
			t.Fatalf("DateTime %q → year %d, which the output form cannot write", s, y)
		}
		// The same instant as the input, truncated to the millisecond.
		parsed, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("DateTime accepted %q, which is not RFC 3339: %v", s, err)
		}
		if d := parsed.Sub(tm); d < 0 || d >= time.Millisecond {
			t.Fatalf("DateTime %q → %v, %v away from the input", s, tm, d)
		}
		var b bytes.Buffer
		scalar.MarshalDateTime(tm).MarshalGQL(&b)
		out := unquote(t, b.Bytes())
		if len(out) != len(scalar.DateTimeLayout) || !strings.HasSuffix(out, "Z") {
			t.Fatalf("DateTime %q written as %q, not YYYY-MM-DDTHH:MM:SS.mmmZ", s, out)
		}
		back, err := scalar.UnmarshalDateTime(out)
		if err != nil || !back.Equal(tm) {
			t.Fatalf("DateTime %q → %q → %v, %v", s, out, back, err)
		}
	})
}

func FuzzInt64(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "007", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "-9223372036854775809", "+1", "1e3", "1.0",
		" 1", "1_000", "", "-", "٣", "0x10",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []any{s, json.Number(s)} {
			i, err := scalar.UnmarshalInt64(v)
			if err != nil {
				requireScalarErr(t, err, "Int64")
				continue
			}
			// Digits only, read exactly: strconv agrees on the value.
			if want, err := strconv.ParseInt(s, 10, 64); err != nil || want != i || strings.HasPrefix(s, "+") {
				t.Fatalf("Int64 %q (%T) → %d; strconv says %d, %v", s, v, i, want, err)
			}
			var b bytes.Buffer
			scalar.MarshalInt64(i).MarshalGQL(&b)
			out := unquote(t, b.Bytes())
			if out != strconv.FormatInt(i, 10) {
				t.Fatalf("Int64 %d written as %q", i, out)
			}
			if back, err := scalar.UnmarshalInt64(out); err != nil || back != i {
				t.Fatalf("Int64 %q → %q → %d, %v", s, out, back, err)
			}
		}
	})
}

// FuzzScalarJSONValue decodes arbitrary JSON the two ways a value can reach
// a scalar (gqlgen's variables, decoded with UseNumber, and a decoder
// without it) and hands the result to every scalar: any JSON kind must be
// answered with a value or a *scalar.Error.
func FuzzScalarJSONValue(f *testing.F) {
	for _, s := range []string{
		`"123e4567-e89b-12d3-a456-426614174000"`, `"2026-11-27T10:15:30.123Z"`, `"42"`,
		`42`, `-9223372036854775808`, `9007199254740993`, `1e308`, `1.5`, `-0`,
		`null`, `true`, `[]`, `{}`, `[1,"2"]`, `{"a":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var values []any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			values = append(values, v)
		}
		var w any
		if json.Unmarshal(b, &w) == nil {
			values = append(values, w)
		}
		for _, v := range values {
			if _, err := scalar.UnmarshalUUID(v); err != nil {
				requireScalarErr(t, err, "UUID")
			}
			if _, err := scalar.UnmarshalNullUUID(v); err != nil {
				requireScalarErr(t, err, "UUID")
			}
			if _, err := scalar.UnmarshalDateTime(v); err != nil {
				requireScalarErr(t, err, "DateTime")
			}
			i, err := scalar.UnmarshalInt64(v)
			if err != nil {
				requireScalarErr(t, err, "Int64")
				continue
			}
			// A float64 is accepted only when it is exactly that integer.
			if fv, ok := v.(float64); ok && float64(i) != fv {
				t.Fatalf("Int64 accepted %v as %d", fv, i)
			}
		}
	})
}
