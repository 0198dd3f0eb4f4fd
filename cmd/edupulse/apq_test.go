package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/config"
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

// Trusted documents only, over websocket: a subscription named by the
// hash of a document in the file runs (the test's mutations, sent as the
// file's text, run too); a document that is not in the file is refused
// with an `error` carrying PERSISTED_QUERY_NOT_FOUND.
func TestTrustedDocumentsOverWebsocket(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte(pulseSub))
	hash := hex.EncodeToString(sum[:])
	file := filepath.Join(t.TempDir(), "persisted-documents.json")
	docs := map[string]string{hash: pulseSub}
	for _, d := range []string{createPulseDoc, respondDoc} {
		sum := sha256.Sum256([]byte(d))
		docs[hex.EncodeToString(sum[:])] = d
	}
	raw, err := json.Marshal(docs)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, raw, 0o600))
	n := startNode(t, t.TempDir(), "", "", func(c *config.Config) {
		c.TrustedDocuments, c.TrustedDocumentsOnly = file, true
	})
	pulse := createPulse(t, n)
	vars := map[string]any{"p": pulse}

	c, err := dial(t, n, "graphql-transport-ws", tokenFor(t, teacherA))
	require.NoError(t, err)
	c.ack()
	untrusted := pulseSub + " # not the document of the file"
	c.send(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": untrusted, "variables": vars}})
	m, err := c.read()
	require.NoError(t, err)
	require.Equal(t, "error", m.Type, string(m.Payload))
	require.Contains(t, string(m.Payload), "PERSISTED_QUERY_NOT_FOUND")

	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
	c.send(map[string]any{"type": "subscribe", "id": "2", "payload": map[string]any{"query": "", "variables": vars, "extensions": ext}})
	waitSubscribed(t, n, 1)
	respond(t, n, pulse, newStudent(), "trusted")
	for {
		m, err := c.read()
		require.NoError(t, err)
		if m.Type == "complete" && m.ID == "1" { // the refused operation's, see issue 11
			continue
		}
		require.Equal(t, "next", m.Type, string(m.Payload))
		require.Equal(t, "2", m.ID)
		break
	}
}
