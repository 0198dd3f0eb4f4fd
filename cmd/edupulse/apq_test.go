package main

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

// Automatic persisted queries over websocket, on a running instance: a
// subscribe naming an unknown hash is refused with an `error` carrying
// PERSISTED_QUERY_NOT_FOUND; once hash and query were sent together, the
// hash alone (query empty) subscribes.
func TestPersistedQueryOverWebsocket(t *testing.T) {
	t.Parallel()
	n := startNode(t, t.TempDir(), "", "")
	pulse := createPulse(t, n)
	sum := sha256.Sum256([]byte(pulseSub))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	vars := map[string]any{"p": pulse}

	c, err := dial(t, n, "graphql-transport-ws", tokenFor(t, teacherA))
	require.NoError(t, err)
	c.ack()
	c.send(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": "", "variables": vars, "extensions": ext}})
	m, err := c.read()
	require.NoError(t, err)
	require.Equal(t, "error", m.Type, string(m.Payload))
	require.Contains(t, string(m.Payload), "PERSISTED_QUERY_NOT_FOUND")

	c.send(map[string]any{"type": "subscribe", "id": "2", "payload": map[string]any{"query": pulseSub, "variables": vars, "extensions": ext}})
	c.send(map[string]any{"type": "subscribe", "id": "3", "payload": map[string]any{"query": "", "variables": vars, "extensions": ext}})
	waitSubscribed(t, n, 2)
	respond(t, n, pulse, newStudent(), "by hash")
	got := map[string]int{}
	for len(got) < 2 {
		m, err := c.read()
		require.NoError(t, err)
		if m.Type == "complete" { // the refused operation's, see issue 11
			continue
		}
		require.Equal(t, "next", m.Type, string(m.Payload))
		got[m.ID]++
	}
	require.Equal(t, map[string]int{"2": 1, "3": 1}, got)
}
