package graph_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/store"
)

func sha(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:])
}

func trustedFile(t *testing.T, docs ...string) string {
	t.Helper()
	m := map[string]string{}
	for _, d := range docs {
		m[sha(d)] = d
	}
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "persisted-documents.json")
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	return path
}

// With EDUPULSE_TRUSTED_DOCUMENTS a document of the file is run by its
// hash, named as documentId (with or without "sha256:") or as the APQ hash,
// over POST and GET; anything else is refused with
// PERSISTED_QUERY_NOT_FOUND (HTTP 400), a raw query included, and writes
// nothing. With Only off, other documents run too.
func TestTrustedDocuments(t *testing.T) {
	t.Parallel()
	const viewer = `query Viewer { viewer { id } }`
	const create = `mutation Create { createPulse(input: {title: "trusted"}) { pulse { id } } }`
	docs, err := graph.LoadTrustedDocuments(trustedFile(t, viewer, create), true)
	require.NoError(t, err)
	require.Equal(t, 2, docs.Len())
	e := setup(t, backends[1], graph.Options{TrustedDocuments: docs, PersistedQueryCacheSize: 10})

	for _, id := range []string{sha(viewer), "sha256:" + sha(viewer)} {
		r := e.doRaw(t, e.student, map[string]any{"documentId": id}).ok(t)
		require.Equal(t, e.student.ID.String(), r.str(t, "viewer.id"))
	}
	e.doRaw(t, e.student, map[string]any{"extensions": apq(viewer)}).ok(t)
	e.doRaw(t, e.student, map[string]any{"query": viewer}).ok(t) // the file's exact text: safelisted
	e.doRaw(t, e.teacher, map[string]any{"documentId": sha(create)}).ok(t)

	tok, err := e.tokens.Issue(e.student, time.Hour)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, e.url+"/query?documentId="+url.QueryEscape("sha256:"+sha(viewer)), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	send(t, req).ok(t)

	pulses := func() int {
		ps, err := e.store.ListPulses(context.Background(), store.PulseFilter{Limit: 100})
		require.NoError(t, err)
		return len(ps)
	}
	before := pulses()
	for name, body := range map[string]map[string]any{
		"a raw query":             {"query": `mutation { createPulse(input: {title: "x"}) { pulse { id } } }`},
		"an unknown hash":         {"documentId": sha("{ viewer { role } }")},
		"a hash with a swap":      {"query": `{ viewer { role } }`, "extensions": apq(viewer)},
		"APQ registration of new": {"query": `{ viewer { role } }`, "extensions": apq(`{ viewer { role } }`)},
	} {
		r := e.doRaw(t, e.teacher, body)
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", name, r.Raw)
		r.fails(t, graph.CodePersistedQueryNotFound)
	}
	require.Equal(t, before, pulses(), "refused documents wrote nothing")

	open, err := graph.LoadTrustedDocuments(trustedFile(t, viewer), false)
	require.NoError(t, err)
	e2 := setup(t, backends[1], graph.Options{TrustedDocuments: open})
	e2.doRaw(t, e2.student, map[string]any{"documentId": sha(viewer)}).ok(t)
	e2.doRaw(t, e2.student, map[string]any{"query": `{ viewer { role } }`}).ok(t)
}

// A file whose key is not its document's hash is refused at start.
func TestTrustedDocumentsFileIsChecked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"`+sha("{ a }")+`": "{ b }"}`), 0o600))
	_, err := graph.LoadTrustedDocuments(path, true)
	require.ErrorContains(t, err, "is not the SHA-256 of its document")

	// The client preset's keys are "sha256:<hex>".
	path = filepath.Join(t.TempDir(), "persisted-documents.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"sha256:`+sha("{ a }")+`": "{ a }"}`), 0o600))
	docs, err := graph.LoadTrustedDocuments(path, true)
	require.NoError(t, err)
	require.Equal(t, 1, docs.Len())
}
