package graph

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAppendFrameMatchesEncodingJSON(t *testing.T) {
	type kind string
	type message struct {
		Payload json.RawMessage `json:"payload,omitempty"`
		ID      string          `json:"id,omitempty"`
		Type    kind            `json:"type"`
		noOp    bool
	}
	for _, m := range []*message{
		{Payload: json.RawMessage(`{"data":{"x":1}}`), ID: "1", Type: "next"},
		{Type: "connection_ack"},
		{ID: "quote\"<tag>&\u00e9\x01", Type: "complete"},
		{Payload: json.RawMessage(`[{"message":"m"}]`), ID: "op", Type: "error", noOp: true},
	} {
		want, err := json.Marshal(m)
		require.NoError(t, err)
		got, typ, err := appendFrame(nil, m)
		require.NoError(t, err)
		require.Equal(t, string(m.Type), typ)
		require.Equal(t, string(want), string(got))
	}
	got, typ, err := appendFrame(nil, map[string]string{"type": "x"})
	require.NoError(t, err)
	require.Empty(t, typ, "not a protocol message: encoding/json")
	require.JSONEq(t, `{"type":"x"}`, string(got))
}
