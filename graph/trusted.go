package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TrustedDocuments are the operations an application was built with: the
// persisted-documents.json that GraphQL Code Generator's client preset
// writes, a JSON object mapping each document's SHA-256 (hex, prefixed
// "sha256:" as the preset writes it since the GraphQL-over-HTTP persisted
// documents appendix, or bare) to its text (contract §9, Persisted
// operations). Requests name one by its hash.
type TrustedDocuments struct {
	byHash map[string]string
	// Only refuses any document that is not in the file.
	Only bool
}

// LoadTrustedDocuments reads path. A key that is not the SHA-256 of its
// text is refused: the file would then let a hash run another document
// than the one the client was built with.
func LoadTrustedDocuments(path string, only bool) (*TrustedDocuments, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trusted documents: %w", err)
	}
	var docs map[string]string
	if err := json.Unmarshal(raw, &docs); err != nil {
		return nil, fmt.Errorf("trusted documents %s: not a JSON object of hash to document: %w", path, err)
	}
	t := &TrustedDocuments{byHash: make(map[string]string, len(docs)), Only: only}
	for key, text := range docs {
		hash := strings.TrimPrefix(strings.ToLower(key), "sha256:")
		sum := sha256.Sum256([]byte(text))
		if hash != hex.EncodeToString(sum[:]) {
			return nil, fmt.Errorf("trusted documents %s: key %.16s… is not the SHA-256 of its document", path, key)
		}
		t.byHash[hash] = text
	}
	return t, nil
}

// Len is the number of documents.
func (t *TrustedDocuments) Len() int { return len(t.byHash) }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*TrustedDocuments)(nil)

func (*TrustedDocuments) ExtensionName() string                   { return "TrustedDocuments" }
func (*TrustedDocuments) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters fills the query in from the hash a request
// names (in extensions.persistedQuery.sha256Hash, where documentId is put
// too). With Only, a request naming no trusted document is refused before
// anything else is done with it; otherwise it goes on to APQ or runs as
// sent.
func (t *TrustedDocuments) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	hash := persistedHash(p.Extensions)
	if hash == "" && p.Query != "" {
		// Sent as text: a safelisted document is still that document.
		sum := sha256.Sum256([]byte(p.Query))
		hash = hex.EncodeToString(sum[:])
	}
	if text, ok := t.byHash[hash]; ok && hash != "" {
		if p.Query != "" && p.Query != text {
			return notTrusted(ctx, "the query sent is not the trusted document its hash names")
		}
		p.Query = text
		// Answered here: APQ would otherwise try to register it.
		delete(p.Extensions, "persistedQuery")
		return nil
	}
	if !t.Only {
		return nil
	}
	return notTrusted(ctx, "only the trusted documents this server was given are run: send one's hash (documentId or extensions.persistedQuery.sha256Hash)")
}

func notTrusted(ctx context.Context, msg string) *gqlerror.Error {
	refuse(ctx, CodePersistedQueryNotFound)
	err := gqlerror.Errorf("%s", msg)
	err.Extensions = map[string]any{"code": CodePersistedQueryNotFound}
	return err
}

// persistedHash is the lowercase hex hash in extensions.persistedQuery.
func persistedHash(ext map[string]any) string {
	pq, _ := ext["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return strings.ToLower(h)
}

// documentIDs turns the GraphQL-over-HTTP "documentId" (a body member, or
// a GET parameter) into the APQ extension gqlgen's transports carry, so
// that one code path serves both ways of naming a document. Only bodies
// that mention it are decoded twice.
func documentIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			q := r.URL.Query()
			if id := q.Get("documentId"); id != "" && q.Get("extensions") == "" {
				ext, _ := json.Marshal(apqExtension(id))
				q.Set("extensions", string(ext))
				q.Del("documentId")
				r.URL.RawQuery = q.Encode()
			}
		case http.MethodPost:
			body, err := io.ReadAll(r.Body)
			if err != nil {
				// The body limit: gqlgen reports it, from a body that fails.
				r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
				break
			}
			r.Body = io.NopCloser(bytes.NewReader(withDocumentID(body)))
		}
		next.ServeHTTP(w, r)
	})
}

func withDocumentID(body []byte) []byte {
	if !bytes.Contains(body, []byte(`"documentId"`)) {
		return body
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	id, _ := m["documentId"].(string)
	if id == "" {
		return body
	}
	delete(m, "documentId")
	ext, _ := m["extensions"].(map[string]any)
	if ext == nil {
		ext = map[string]any{}
	}
	for k, v := range apqExtension(id) {
		ext[k] = v
	}
	m["extensions"] = ext
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

func apqExtension(documentID string) map[string]any {
	hash := strings.TrimPrefix(documentID, "sha256:")
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
