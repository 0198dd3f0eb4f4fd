package app

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
)

// Cursors are opaque to clients: base64url of a tagged, versioned key.
// Each is the keyset position of the last item seen, never an offset.
//
//	pulse:    "p1:<created_at unix ms>:<pulse id>"   (newest-first order)
//	response: "r1:<seq>"                             (commit order in a pulse)
//	event:    "e1:<event id>:<version>:<position>"   (version within an
//	          aggregate; position in the global publish order, 0 until the
//	          relay has published the event — a resume then looks it up by id)

func encode(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decode(cursor, tag string, parts int) ([]string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, invalid("after", "malformed cursor")
	}
	fields := strings.Split(string(raw), ":")
	if len(fields) != parts || fields[0] != tag {
		return nil, invalid("after", "malformed cursor")
	}
	return fields[1:], nil
}

// PulseCursor is the cursor of p in the pulses connection.
func PulseCursor(p store.Pulse) string {
	return encode(fmt.Sprintf("p1:%d:%s", p.CreatedAt.UnixMilli(), p.ID))
}

func parsePulseCursor(c string) (*store.PulseKey, error) {
	f, err := decode(c, "p1", 3)
	if err != nil {
		return nil, err
	}
	ms, err1 := strconv.ParseInt(f[0], 10, 64)
	id, err2 := uuid.Parse(f[1])
	if err1 != nil || err2 != nil {
		return nil, invalid("after", "malformed cursor")
	}
	return &store.PulseKey{CreatedAt: time.UnixMilli(ms).UTC(), ID: id}, nil
}

// ResponseCursor is the cursor of r in a pulse's responses.
func ResponseCursor(r store.Response) string { return encode(fmt.Sprintf("r1:%d", r.Seq)) }

func parseResponseCursor(c string) (int64, error) {
	f, err := decode(c, "r1", 2)
	if err != nil {
		return 0, err
	}
	seq, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || seq < 0 {
		return 0, invalid("after", "malformed cursor")
	}
	return seq, nil
}

// EventCursor is Event.cursor: usable as `after` both to page an
// aggregate's history and to resume a subscription.
func EventCursor(e event.Envelope) string {
	return encode(fmt.Sprintf("e1:%s:%d:%d", e.ID, e.Version, e.Position))
}

// EventKey is a decoded event cursor.
type EventKey struct {
	ID       uuid.UUID
	Version  int64
	Position int64
}

// ParseEventCursor decodes an Event.cursor; a malformed one is an
// InputError on `after`.
func ParseEventCursor(c string) (EventKey, error) {
	f, err := decode(c, "e1", 4)
	if err != nil {
		return EventKey{}, err
	}
	id, err1 := uuid.Parse(f[0])
	v, err2 := strconv.ParseInt(f[1], 10, 64)
	pos, err3 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || v < 0 || pos < 0 {
		return EventKey{}, invalid("after", "malformed cursor")
	}
	return EventKey{ID: id, Version: v, Position: pos}, nil
}
