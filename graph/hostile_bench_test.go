package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/edupulse/edupulse-live/graph"
	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/auth"
)

// BenchmarkHostileDocuments is what one hostile document costs the
// handler, with a token and without, until it is answered: the documents
// of the security probe (refused), and the worst documents that pass the
// limits (answered), which bound what validation's quadratic rule can
// cost. cpu-ms/op is the process's CPU time (all threads, GC included)
// per document, which a loaded machine does not inflate as it does ns/op.
func BenchmarkHostileDocuments(b *testing.B) {
	// Nested `__schema { types { fields { name } } }`, five of each: the
	// widest repetition of one response name at every level under the
	// field limit (280 fields), for the overlapping-fields rule.
	product := "{" + strings.Repeat(" __schema {"+strings.Repeat(" types {"+strings.Repeat(" fields { name }", 5)+" }", 5)+" }", 5) + " }"
	for _, d := range []struct {
		name, query string
		refused     bool
	}{
		{"nested-fragments-24", nestedFragments(25, "viewer { id }"), true},
		{"nested-fragments-30", nestedFragments(31, "viewer { id }"), true},
		{"repeated-field-14000", repeatedField(14000), true},
		{"repeated-typename-at-limit", "{" + strings.Repeat(" __typename", graph.MaxDocumentFields) + " }", false},
		{"repeated-product-at-limit", product, false},
	} {
		for _, who := range []string{"anonymous", "teacher"} {
			b.Run(d.name+"/"+who, func(b *testing.B) {
				benchmarkDocument(b, d.query, who == "teacher", d.refused)
			})
		}
	}
}

func benchmarkDocument(b *testing.B, query string, token, refused bool) {
	h := graph.NewHandler(app.New(nil), graph.Options{Logger: slog.New(slog.DiscardHandler)})
	teacher := auth.Actor{ID: [16]byte{1}, Role: auth.RoleTeacher}
	i := 0
	cpu := processCPU()
	for b.Loop() {
		// A comment makes each document new to the query cache, as an
		// attacker's would be.
		i++
		body, err := json.Marshal(map[string]any{"query": fmt.Sprintf("%s\n# %d", query, i)})
		if err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token {
			req = req.WithContext(auth.WithActor(req.Context(), teacher))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)); got != refused {
			b.Fatalf("refused: %v, want %v: %.300s", got, refused, rec.Body.String())
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
