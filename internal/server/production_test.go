package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func preflight(origin string) *http.Request {
	r := httptest.NewRequest(http.MethodOptions, "/query", nil)
	r.Header.Set("Origin", origin)
	r.Header.Set("Access-Control-Request-Method", http.MethodPost)
	// As browsers send it: lowercase, sorted, comma-separated.
	r.Header.Set("Access-Control-Request-Headers", "authorization,content-type,traceparent,x-correlation-id")
	return r
}

// A browser app on an allowed origin can call /query: its preflight is
// answered (no token needed) and the answer echoes the origin; any other
// origin gets no CORS header, so the browser withholds the response.
func TestCORS(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.AllowedOrigins = []string{"https://app.example.edu"} })

	w := b.do(preflight("https://app.example.edu"))
	require.Less(t, w.Code, 300, "preflight answered with 2xx")
	require.Equal(t, "https://app.example.edu", w.Header().Get("Access-Control-Allow-Origin"))
	allowed := strings.ToLower(w.Header().Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"authorization", "content-type", "x-correlation-id", "traceparent"} {
		require.Contains(t, allowed, h)
	}
	require.Empty(t, b.innerCalls(), "a preflight never reaches GraphQL")

	w = b.do(preflight("https://evil.example"))
	require.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))

	tok, _ := b.token(t, "teacher")
	r := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(`{"query":"{viewer{id}}"}`))
	r.Header.Set("Origin", "https://app.example.edu")
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Content-Type", "application/json")
	w = b.do(r)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "https://app.example.edu", w.Header().Get("Access-Control-Allow-Origin"))
	require.Contains(t, strings.ToLower(w.Header().Get("Access-Control-Expose-Headers")), strings.ToLower(CorrelationHeader))

	// Development lets local front-end dev servers in; production does not.
	require.Empty(t, b.do(preflight("http://localhost:5173")).Header().Get("Access-Control-Allow-Origin"))
	dev := setup(t, func(o *Options) { o.DevMode = true })
	require.Equal(t, "http://localhost:5173", dev.do(preflight("http://localhost:5173")).Header().Get("Access-Control-Allow-Origin"))
}

// Production's public listener serves neither the playground, the SDL nor
// the metrics; the admin listener has metrics, health and profiles.
func TestProductionSwitches(t *testing.T) {
	t.Parallel()
	get := func(h http.Handler, path string) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code
	}
	dev := setup(t)
	for _, p := range []string{"/", "/schema.graphql", "/metrics", "/healthz", "/readyz"} {
		require.Equal(t, http.StatusOK, get(dev.handler, p), p)
	}
	prod := setup(t, func(o *Options) { o.NoPlayground, o.NoPublicMetrics = true, true })
	for _, p := range []string{"/", "/schema.graphql", "/metrics"} {
		require.Equal(t, http.StatusNotFound, get(prod.handler, p), p)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		require.Equal(t, http.StatusOK, get(prod.handler, p), p)
	}
	admin := Admin(Options{Registry: prod.registry})
	for _, p := range []string{"/metrics", "/healthz", "/readyz", "/debug/pprof/"} {
		require.Equal(t, http.StatusOK, get(admin, p), p)
	}
	require.Equal(t, http.StatusNotFound, get(admin, "/query"), "the admin listener serves no API")
}
