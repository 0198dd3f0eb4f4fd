package scalar_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/graph/scalar"
)

func marshal(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

func requireScalarError(t *testing.T, err error, name string) {
	t.Helper()
	var se *scalar.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, name, se.Scalar)
}

func TestUUID(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("123E4567-E89B-12D3-A456-426614174000")
	require.Equal(t, `"123e4567-e89b-12d3-a456-426614174000"`, marshal(scalar.MarshalUUID(id)), "lowercase")
	require.Equal(t, `"00000000-0000-0000-0000-000000000000"`, marshal(scalar.MarshalUUID(uuid.Nil)))
	require.Equal(t, `"ffffffff-ffff-ffff-ffff-ffffffffffff"`, marshal(scalar.MarshalUUID(uuid.Max)))
	for range 100 {
		id := uuid.New()
		require.Equal(t, strconv.Quote(id.String()), marshal(scalar.MarshalUUID(id)))
	}

	for _, s := range []string{"123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000"} {
		got, err := scalar.UnmarshalUUID(s)
		require.NoError(t, err)
		require.Equal(t, id, got)
	}
	for _, v := range []any{
		"", "not-a-uuid", "123e4567e89b12d3a456426614174000", "{123e4567-e89b-12d3-a456-426614174000}",
		"urn:uuid:123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-42661417400g",
		" 123e4567-e89b-12d3-a456-42661417400", "123e4567+e89b-12d3-a456-426614174000",
		42, json.Number("1"), nil, true, []any{}, map[string]any{},
	} {
		_, err := scalar.UnmarshalUUID(v)
		requireScalarError(t, err, "UUID")
	}

	require.Equal(t, "null", marshal(scalar.MarshalNullUUID(uuid.NullUUID{})))
	require.Equal(t, strconv.Quote(id.String()), marshal(scalar.MarshalNullUUID(uuid.NullUUID{UUID: id, Valid: true})))
	n, err := scalar.UnmarshalNullUUID(nil)
	require.NoError(t, err)
	require.False(t, n.Valid)
	n, err = scalar.UnmarshalNullUUID(id.String())
	require.NoError(t, err)
	require.Equal(t, uuid.NullUUID{UUID: id, Valid: true}, n)
	_, err = scalar.UnmarshalNullUUID("x")
	requireScalarError(t, err, "UUID")
}

func TestDateTime(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("CET", 3600)
	for _, c := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 27, 10, 15, 30, 123_456_789, time.UTC), "2026-11-27T10:15:30.123Z"},
		{time.Date(2026, 11, 27, 10, 15, 30, 0, time.UTC), "2026-11-27T10:15:30.000Z"},
		{time.Date(2026, 11, 27, 0, 30, 0, 5_000_000, paris), "2026-11-26T23:30:00.005Z"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01T00:00:00.000Z"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), "9999-12-31T23:59:59.999Z"},
	} {
		require.Equal(t, strconv.Quote(c.want), marshal(scalar.MarshalDateTime(c.in)))
	}

	for in, want := range map[string]time.Time{
		"2026-11-27T10:15:30Z":                time.Date(2026, 11, 27, 10, 15, 30, 0, time.UTC),
		"2026-11-27T10:15:30.123Z":            time.Date(2026, 11, 27, 10, 15, 30, 123e6, time.UTC),
		"2026-11-27T10:15:30.123999999Z":      time.Date(2026, 11, 27, 10, 15, 30, 123e6, time.UTC),
		"2026-11-27T11:15:30.5+01:00":         time.Date(2026, 11, 27, 10, 15, 30, 500e6, time.UTC),
		"2026-11-27T00:15:30.001-10:30":       time.Date(2026, 11, 27, 10, 45, 30, 1e6, time.UTC),
		"2026-02-28T23:59:59.9999+00:00":      time.Date(2026, 2, 28, 23, 59, 59, 999e6, time.UTC),
		"0001-01-01T00:00:00Z":                time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		"9999-12-31T23:59:59.999999999+00:00": time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC),
	} {
		got, err := scalar.UnmarshalDateTime(in)
		require.NoError(t, err, in)
		require.True(t, want.Equal(got), "%s: got %s", in, got)
		require.Equal(t, time.UTC, got.Location(), in)
	}
	for _, v := range []any{
		"", "2026-11-27", "2026-11-27T10:15:30", "2026-11-27 10:15:30Z", "27/11/2026",
		"2026-13-01T00:00:00Z", "2026-11-27T25:00:00Z", "2026-11-27T10:15:30+24:00",
		"0000-01-01T00:00:00+01:00", "9999-12-31T23:00:00-02:00",
		1764238530, json.Number("1764238530"), nil,
	} {
		_, err := scalar.UnmarshalDateTime(v)
		requireScalarError(t, err, "DateTime")
	}
}

func TestInt64(t *testing.T) {
	t.Parallel()
	for _, i := range []int64{0, 1, -1, 1<<53 + 1, math.MaxInt64, math.MinInt64} {
		require.Equal(t, strconv.Quote(strconv.FormatInt(i, 10)), marshal(scalar.MarshalInt64(i)), "a string of digits")
	}

	for _, c := range []struct {
		in   any
		want int64
	}{
		{"0", 0},
		{"-0", 0},
		{"9223372036854775807", math.MaxInt64},
		{"-9223372036854775808", math.MinInt64},
		{json.Number("9223372036854775807"), math.MaxInt64},
		{json.Number("-9223372036854775808"), math.MinInt64},
		{"9007199254740993", 1<<53 + 1},
		{json.Number("9007199254740993"), 1<<53 + 1},
		{int64(math.MaxInt64), math.MaxInt64},
		{int64(math.MinInt64), math.MinInt64},
		{int64(1<<53 + 1), 1<<53 + 1},
		{42, 42},
		{int32(-7), -7},
		{"007", 7},
		{float64(1 << 52), 1 << 52},
	} {
		got, err := scalar.UnmarshalInt64(c.in)
		require.NoError(t, err, "%#v", c.in)
		require.Equal(t, c.want, got, "%#v", c.in)
	}

	for _, v := range []any{
		"", "-", "+1", " 1", "1 ", "1_000", "1.0", "1e3", "0x10", "abc",
		"9223372036854775808", "-9223372036854775809", "99999999999999999999999",
		json.Number("9223372036854775808"), json.Number("-9223372036854775809"),
		json.Number("1.5"), json.Number("1e3"), json.Number("1.0"),
		1.5, float64(1<<53 + 2), math.Inf(1), math.NaN(),
		nil, true, []any{"1"}, map[string]any{},
	} {
		_, err := scalar.UnmarshalInt64(v)
		requireScalarError(t, err, "Int64")
	}
}

// A number decoded the way gqlgen decodes request variables (UseNumber)
// keeps every digit.
func TestInt64FromDecodedJSON(t *testing.T) {
	t.Parallel()
	dec := json.NewDecoder(bytes.NewReader([]byte(`{"a": 9007199254740993, "b": 9223372036854775807, "c": -9223372036854775808}`)))
	dec.UseNumber()
	var v map[string]any
	require.NoError(t, dec.Decode(&v))
	for k, want := range map[string]int64{"a": 1<<53 + 1, "b": math.MaxInt64, "c": math.MinInt64} {
		got, err := scalar.UnmarshalInt64(v[k])
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}
