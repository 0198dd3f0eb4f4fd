package graph

import (
	"encoding/json"
	"reflect"
	"sync"
	"sync/atomic"
)

// gqlgen hands the connection each outgoing message as a struct whose
// payload is JSON it has just marshalled. Marshalling the struct again
// scans and copies that payload a second time: measured in a 10,000-
// subscriber fan-out, encoding/json was a third of the server's CPU. The
// frame is written by hand instead when the struct has the shape of
// gqlgen's two protocol messages, {Payload json.RawMessage; ID string;
// Type ~string}, with their JSON tags; anything else goes through
// encoding/json. The websocket tests check that gqlgen's messages take
// the fast path (slowFrames stays 0).

type outFrame struct {
	payload  []byte
	id, kind string
}

var (
	frameShapes sync.Map // reflect.Type → bool
	slowFrames  atomic.Int64
	rawMessage  = reflect.TypeFor[json.RawMessage]()
)

// appendFrame appends v's JSON to dst, and reports v's message type ("" if
// v is not a protocol message, encoded by encoding/json).
func appendFrame(dst []byte, v any) ([]byte, string, error) {
	f, ok := readFrame(v)
	if !ok {
		data, err := json.Marshal(v)
		return append(dst, data...), "", err
	}
	dst = append(dst, '{')
	if len(f.payload) > 0 {
		dst = append(dst, `"payload":`...)
		dst = append(dst, f.payload...)
		dst = append(dst, ',')
	}
	if f.id != "" {
		dst = append(dst, `"id":`...)
		dst = appendJSONString(dst, f.id)
		dst = append(dst, ',')
	}
	dst = append(dst, `"type":`...)
	dst = appendJSONString(dst, f.kind)
	return append(dst, '}'), f.kind, nil
}

func readFrame(v any) (outFrame, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return outFrame{}, false
	}
	rv = rv.Elem()
	if !isProtocolMessage(rv.Type()) {
		return outFrame{}, false
	}
	return outFrame{payload: rv.Field(0).Bytes(), id: rv.Field(1).String(), kind: rv.Field(2).String()}, true
}

func isProtocolMessage(t reflect.Type) bool {
	if ok, seen := frameShapes.Load(t); seen {
		return ok.(bool)
	}
	field := func(i int, name, tag string) bool {
		f := t.Field(i)
		return f.Name == name && f.Tag.Get("json") == tag
	}
	ok := t.NumField() >= 3 &&
		field(0, "Payload", "payload,omitempty") && t.Field(0).Type == rawMessage &&
		field(1, "ID", "id,omitempty") && t.Field(1).Type.Kind() == reflect.String &&
		field(2, "Type", "type") && t.Field(2).Type.Kind() == reflect.String
	for i := 3; ok && i < t.NumField(); i++ {
		ok = !t.Field(i).IsExported() // encoding/json would skip it too
	}
	frameShapes.Store(t, ok)
	return ok
}

// appendJSONString quotes s as encoding/json would; ids are client-chosen.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
