package gqlclient

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

const ev = "0b9f1c2a-6d3e-4f50-8a1b-2c3d4e5f6a7b"

func TestParse(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		msg  string
		want Fields
	}{
		"gqlgen order": {
			`{"payload":{"data":{"pulseEvents":{"id":"` + ev + `","version":7,"payload":{"__typename":"LearningPulseResponded","response":{"id":"11111111-2222-4333-8444-555555555555"}}}}},"id":"s3","type":"next"}`,
			Fields{Type: "next", ID: "s3", EventID: ev},
		},
		"event type before message type": {
			`{"payload":{"data":{"pulseEvents":{"id":"` + ev + `","type":"LEARNING_PULSE_CREATED"}}},"id":"s1","type":"next"}`,
			Fields{Type: "next", ID: "s1", EventID: ev},
		},
		"type first": {
			`{"type":"next","id":"s1","payload":{"data":{"events":{"id":"` + ev + `"}}}}`,
			Fields{Type: "next", ID: "s1", EventID: ev},
		},
		"error": {
			`{"payload":[{"message":"too slow","extensions":{"code":"SLOW_CONSUMER"}}],"id":"s2","type":"error"}`,
			Fields{Type: "error", ID: "s2"},
		},
		"ping":     {`{"type":"ping"}`, Fields{Type: "ping"}},
		"complete": {`{"id":"s9","type":"complete"}`, Fields{Type: "complete", ID: "s9"}},
		// Spaces defeat the fast path: encoding/json reads it.
		"fallback": {
			`{"type" : "next", "id" : "s1", "payload" : {"data" : {"pulseEvents" : {"id" : "` + ev + `"}}}}`,
			Fields{Type: "next", ID: "s1", EventID: ev},
		},
		"garbage": {`not json`, Fields{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, c.want, Parse([]byte(c.msg)))
		})
	}
}

func TestIsUUID(t *testing.T) {
	t.Parallel()
	assert.True(t, isUUID(ev))
	assert.False(t, isUUID("s1"))
	assert.False(t, isUUID("0B9F1C2A-6D3E-4F50-8A1B-2C3D4E5F6A7B")) // the server writes lowercase
	assert.False(t, isUUID("0b9f1c2a+6d3e-4f50-8a1b-2c3d4e5f6a7b"))
}

func BenchmarkParse(b *testing.B) {
	msg := []byte(`{"payload":{"data":{"pulseEvents":{"id":"` + ev + `","cursor":"ZTE6MGI5ZjFjMmEtNmQzZS00ZjUwLThhMWItMmMzZDRlNWY2YTdiOjc6MTIz","version":7,"type":"LEARNING_PULSE_RESPONDED","occurredAt":"2026-01-02T03:04:05.678Z","payload":{"__typename":"LearningPulseResponded","studentId":"11111111-2222-4333-8444-555555555555","response":{"answer":"Mostly clear","confidence":3}}}}},"id":"s1","type":"next"}`)
	for b.Loop() {
		Parse(msg)
	}
}
