package gqlclient

import (
	"bytes"
	"encoding/json"
)

// Fields are what the benchmark needs of a graphql-transport-ws message.
type Fields struct {
	// Type is the message type: "next", "error", "complete", "ping"…
	Type string
	// ID is the subscription's id.
	ID string
	// EventID is the id of the event a "next" carries: the first
	// UUID-valued "id" inside its data (the benchmark's selections ask for
	// the event's id first).
	EventID string
}

var (
	typeKey = []byte(`"type":"`)
	idKey   = []byte(`"id":"`)
	dataKey = []byte(`"data":`)
)

// Parse extracts Fields without decoding the whole message: thousands of
// deliveries a second must not cost the load generator the cores the
// server needs. Messages it cannot read that way are decoded with
// encoding/json.
func Parse(msg []byte) Fields {
	var f Fields
	f.Type = messageType(msg)
	f.ID, f.EventID = ids(msg)
	if f.Type == "" {
		return parseJSON(msg)
	}
	return f
}

// ids finds the message's id (the first "id" that is not a UUID) and the
// event's (the first UUID "id" after "data":).
func ids(msg []byte) (id, eventID string) {
	data := bytes.Index(msg, dataKey)
	for rest, off := msg, 0; ; {
		i := bytes.Index(rest, idKey)
		if i < 0 {
			break
		}
		v, ok := stringAfter(rest[i:], idKey)
		if !ok {
			break
		}
		switch {
		case isUUID(v) && data >= 0 && off+i > data:
			if eventID == "" {
				eventID = v
			}
		case !isUUID(v) && id == "":
			id = v
		}
		skip := i + len(idKey) + len(v)
		rest, off = rest[skip:], off+skip
	}
	return id, eventID
}

func parseJSON(msg []byte) Fields {
	var m struct {
		Type    string
		ID      string
		Payload struct {
			Data map[string]struct{ ID string }
		}
	}
	if json.Unmarshal(msg, &m) != nil {
		return Fields{}
	}
	f := Fields{Type: m.Type, ID: m.ID}
	for _, v := range m.Payload.Data {
		f.EventID = v.ID
	}
	return f
}

// protocolTypes are the message types of graphql-transport-ws (and of the
// legacy protocol). An event's own "type" field (LEARNING_PULSE_CREATED…)
// is never one of them.
var protocolTypes = map[string]bool{
	"next": true, "error": true, "complete": true, "ping": true, "pong": true,
	"connection_ack": true, "connection_error": true, "ka": true, "data": true,
}

// messageType is the value of the first "type" key that is a protocol
// message type: gqlgen writes it after the payload, whose events have a
// "type" of their own.
func messageType(msg []byte) string {
	for rest := msg; ; {
		i := bytes.Index(rest, typeKey)
		if i < 0 {
			return ""
		}
		v, ok := stringAfter(rest[i:], typeKey)
		if !ok {
			return ""
		}
		if protocolTypes[v] {
			return v
		}
		rest = rest[i+len(typeKey)+len(v):]
	}
}

// stringAfter reads the JSON string that follows key (which ends with the
// opening quote). Strings with escapes are not handled (ours have none).
func stringAfter(msg, key []byte) (string, bool) {
	i := bytes.Index(msg, key)
	if i < 0 {
		return "", false
	}
	rest := msg[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return "", false
	}
	return string(rest[:j]), true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}
