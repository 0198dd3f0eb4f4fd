package transport

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzFrame writes frames of every kind with arbitrary ids and payloads
// the way a connection does: the result is one JSON object whose id,
// type and payload are what was given, the payload's bytes copied as
// they are.
func FuzzFrame(f *testing.F) {
	for _, s := range []struct {
		id      string
		payload string
	}{
		{"1", `{"data":{"x":1}}`}, {"", ``}, {`"quoted"`, `[{"message":"m"}]`}, {"<&>", `{}`},
		{"\u2028", `{"data":null}`}, {"\x00", `{"errors":[]}`}, {"é", `{"a":"\u00e9"}`}, {"\xff", `{}`},
	} {
		f.Add(s.id, []byte(s.payload), uint8(frameNext), false)
		f.Add(s.id, []byte(s.payload), uint8(frameError), true)
	}
	f.Fuzz(func(t *testing.T, id string, payload []byte, kind uint8, legacy bool) {
		k := frameKind(kind % uint8(frameClose))
		if !json.Valid(payload) {
			return
		}
		if len(bytes.TrimSpace(payload)) == 0 {
			payload = nil
		}
		var buf bytes.Buffer
		writeFrame(&buf, frame{kind: k, id: id, payload: payload}, legacy)
		var m struct {
			ID      *string         `json:"id"`
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("frame %q: %v", buf.Bytes(), err)
		}
		// As encoding/json would have it: invalid UTF-8 becomes U+FFFD.
		quoted, _ := json.Marshal(id)
		var want string
		_ = json.Unmarshal(quoted, &want)
		if m.ID != nil {
			if *m.ID != want {
				t.Fatalf("frame %q: id %q, want %q", buf.Bytes(), *m.ID, want)
			}
		} else if id != "" {
			t.Fatalf("frame %q: no id, want %q", buf.Bytes(), id)
		}
		if m.Type == "" {
			t.Fatalf("frame %q: no type", buf.Bytes())
		}
		if payload != nil && !bytes.Contains(buf.Bytes(), payload) {
			t.Fatalf("frame %q: payload not copied as it is", buf.Bytes())
		}
	})
}

// FuzzClientPayloads: a connection_init or subscribe payload is accepted
// only when it is a JSON object (or, for connection_init, absent or null),
// and reading one never panics.
func FuzzClientPayloads(f *testing.F) {
	for _, s := range []string{``, `null`, `{}`, `[1]`, `"Bearer x"`, `1`, `{"Authorization":"Bearer x"}`,
		`{"query":"{a}","variables":{"n":1.5},"extensions":null}`, `{"query":1}`, `{"variables":[]}`, ` {"query":""} `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		trimmed := bytes.TrimSpace(raw)
		object := len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed)
		if _, ok := initPayload(raw); ok && !object && len(trimmed) > 0 && string(trimmed) != "null" {
			t.Fatalf("connection_init payload %q accepted", raw)
		}
		if _, ok := operationParams(raw); ok && !object {
			t.Fatalf("subscribe payload %q accepted", raw)
		}
	})
}
