package app

import (
	"encoding/base64"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Cursors come back from clients as `after`, so their decoders are an edge:
// whatever the string, a decoder answers a key or an InputError on `after`
// (BAD_USER_INPUT, contract §5, Cursors and live delivery), never a panic or another kind of error. A
// key it answers must be one an encoder could have written: encoding it
// again gives a cursor that decodes to the same key.
//
// This is an internal test because the pulse and response cursors'
// decoders are unexported.

// FuzzCursorDecode feeds one string to the three decoders.
func FuzzCursorDecode(f *testing.F) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		"",
		"!!!",
		"ZTE", // "e1" without its fields
		enc("e1:0a000000-0000-4000-8000-000000000001:1:1"),
		// An event that does not exist, and a position far past any head:
		// well-formed, so the decoder accepts them; what the service then
		// says must not reveal whether such an event exists (the cursor
		// oracle), which the GraphQL fuzz target and the tests check.
		enc("e1:" + uuid.NewSHA1(uuid.NameSpaceOID, []byte("absent")).String() + ":1:0"),
		enc("e1:0a000000-0000-4000-8000-000000000001:1:9223372036854775807"),
		enc("e1:0a000000-0000-4000-8000-000000000001:-1:0"),
		enc("e1:0a000000-0000-4000-8000-000000000001:1:9223372036854775808"),
		enc("e1:{0A000000-0000-4000-8000-000000000001}:01:+2"),
		enc("e1:0a0000000000400080000000000000001:1:1"),
		enc("e1:urn:uuid:0a000000-0000-4000-8000-000000000001:1:1"),
		enc("e1:0a000000-0000-4000-8000-000000000001:1:1:"),
		enc("p1:1795774530123:0a000000-0000-4000-8000-000000000001"),
		enc("p1:-9223372036854775808:00000000-0000-0000-0000-000000000000"),
		enc("p1:9223372036854775807:ffffffff-ffff-ffff-ffff-ffffffffffff"),
		enc("r1:0"),
		enc("r1:-1"),
		enc("r1:9223372036854775807"),
		enc("r1:1\x00"),
		// Standard base64 with padding, not base64url.
		base64.StdEncoding.EncodeToString([]byte("r1:12")),
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, c string) {
		if k, err := ParseEventCursor(c); err != nil {
			requireAfterError(t, err)
		} else {
			if k.Version < 0 || k.Position < 0 {
				t.Fatalf("event cursor %q decoded to a negative key %+v", c, k)
			}
			e := event.Envelope{ID: k.ID, Version: k.Version, Position: k.Position}
			again, err := ParseEventCursor(EventCursor(e))
			if err != nil || again != k {
				t.Fatalf("event cursor %q: key %+v re-encoded decodes to %+v, %v", c, k, again, err)
			}
		}

		if k, err := parsePulseCursor(c); err != nil {
			requireAfterError(t, err)
		} else {
			again, err := parsePulseCursor(PulseCursor(store.Pulse{ID: k.ID, CreatedAt: k.CreatedAt}))
			if err != nil || again.ID != k.ID || !again.CreatedAt.Equal(k.CreatedAt) {
				t.Fatalf("pulse cursor %q: key %+v re-encoded decodes to %+v, %v", c, k, again, err)
			}
		}

		if seq, err := parseResponseCursor(c); err != nil {
			requireAfterError(t, err)
		} else {
			if seq < 0 {
				t.Fatalf("response cursor %q decoded to a negative seq %d", c, seq)
			}
			again, err := parseResponseCursor(ResponseCursor(store.Response{Seq: seq}))
			if err != nil || again != seq {
				t.Fatalf("response cursor %q: seq %d re-encoded decodes to %d, %v", c, seq, again, err)
			}
		}
	})
}

// FuzzCursorRoundTrip checks encode → decode on keys built from raw values:
// every key an encoder can be given with non-negative numbers comes back
// unchanged, and a negative one is refused rather than wrapped.
func FuzzCursorRoundTrip(f *testing.F) {
	f.Add([]byte("0123456789abcdef"), int64(1), int64(1), int64(1795774530123))
	f.Add([]byte{}, int64(0), int64(0), int64(0))
	f.Add([]byte{0xff}, int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MinInt64))
	f.Add([]byte{1}, int64(-1), int64(math.MinInt64), int64(-1))

	f.Fuzz(func(t *testing.T, raw []byte, version, position, ms int64) {
		var id uuid.UUID
		copy(id[:], raw)

		k, err := ParseEventCursor(EventCursor(event.Envelope{ID: id, Version: version, Position: position}))
		switch {
		case version < 0 || position < 0:
			if err == nil {
				t.Fatalf("negative version %d or position %d accepted as %+v", version, position, k)
			}
			requireAfterError(t, err)
		case err != nil:
			t.Fatalf("event cursor of %s/%d/%d refused: %v", id, version, position, err)
		case k != (EventKey{ID: id, Version: version, Position: position}):
			t.Fatalf("event cursor of %s/%d/%d decodes to %+v", id, version, position, k)
		}

		created := time.UnixMilli(ms)
		pk, err := parsePulseCursor(PulseCursor(store.Pulse{ID: id, CreatedAt: created}))
		if err != nil {
			t.Fatalf("pulse cursor of %s at %d ms refused: %v", id, ms, err)
		}
		if pk.ID != id || pk.CreatedAt.UnixMilli() != ms || pk.CreatedAt.Location() != time.UTC {
			t.Fatalf("pulse cursor of %s at %d ms decodes to %+v", id, ms, pk)
		}

		seq, err := parseResponseCursor(ResponseCursor(store.Response{Seq: position}))
		switch {
		case position < 0:
			if err == nil {
				t.Fatalf("negative seq %d accepted as %d", position, seq)
			}
		case err != nil || seq != position:
			t.Fatalf("response cursor of %d decodes to %d, %v", position, seq, err)
		}
	})
}

func requireAfterError(t *testing.T, err error) {
	t.Helper()
	var in *InputError
	if !errors.As(err, &in) || in.Field != "after" {
		t.Fatalf("a refused cursor must be an InputError on after, got %T %v", err, err)
	}
}
