package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// srcOrHrefAbs finds the site-absolute URLs a page makes the browser load.
var srcOrHrefAbs = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"(/[^"]*)"`)

func get(b *testBundle, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return b.do(r)
}

// The committed build (package web) is served by default, with the types
// and caching each kind of file needs.
func TestAppServesEmbeddedBuild(t *testing.T) {
	t.Parallel()
	b := setup(t)

	w := get(b, "/app/")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	require.Equal(t, "no-cache", w.Header().Get("Cache-Control"))
	require.Contains(t, w.Header().Get("Content-Security-Policy"), "script-src 'self'")
	require.Contains(t, w.Header().Get("Content-Security-Policy"), "connect-src 'self'")
	html := w.Body.String()
	require.NotContains(t, html, "/src/main.ts", "the build, not the source page, is embedded")

	for _, u := range anyURL.FindAllString(html, -1) {
		t.Errorf("the page references an absolute URL: %s", u)
	}
	refs := srcOrHrefAbs.FindAllStringSubmatch(html, -1)
	wantType := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	var seen []string
	for _, m := range refs {
		ref := m[1]
		require.True(t, strings.HasPrefix(ref, appPrefix+appHashedDir), "not a built asset: %q", ref)
		w := get(b, ref)
		require.Equal(t, http.StatusOK, w.Code, ref)
		require.Equal(t, wantType[path.Ext(ref)], w.Header().Get("Content-Type"), ref)
		require.Equal(t, "public, max-age=31536000, immutable", w.Header().Get("Cache-Control"), ref)
		require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
		etag := w.Header().Get("ETag")
		require.NotEmpty(t, etag)
		require.Equal(t, http.StatusNotModified, get(b, ref, "If-None-Match", etag).Code, ref)
		seen = append(seen, path.Ext(ref))
	}
	require.Contains(t, seen, ".js")
	require.Contains(t, seen, ".css")

	// The index revalidates cheaply too.
	require.Equal(t, http.StatusNotModified, get(b, "/app/", "If-None-Match", w.Header().Get("ETag")).Code)
}

func TestAppRoutes(t *testing.T) {
	t.Parallel()
	app := fstest.MapFS{
		"index.html":           {Data: []byte("<!doctype html><title>app</title>")},
		"assets/index-abc.js":  {Data: []byte("console.log(1)")},
		"assets/index-abc.css": {Data: []byte("body{}")},
		"robots.txt":           {Data: []byte("User-agent: *")},
	}
	b := setup(t, func(o *Options) { o.App = app })

	w := get(b, "/app")
	require.Equal(t, http.StatusMovedPermanently, w.Code)
	require.Equal(t, "/app/", w.Header().Get("Location"))

	for _, p := range []string{"/app/", "/app/index.html", "/app/teacher", "/app/pulses/123/answers"} {
		w := get(b, p)
		require.Equal(t, http.StatusOK, w.Code, p)
		require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"), p)
		require.Equal(t, "no-cache", w.Header().Get("Cache-Control"), p)
		require.Equal(t, "<!doctype html><title>app</title>", w.Body.String(), "SPA fallback: %s", p)
	}

	w = get(b, "/app/assets/index-abc.js")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "text/javascript; charset=utf-8", w.Header().Get("Content-Type"))
	require.Contains(t, w.Header().Get("Cache-Control"), "immutable")
	require.Equal(t, "console.log(1)", w.Body.String())

	w = get(b, "/app/robots.txt")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))
	require.Equal(t, "no-cache", w.Header().Get("Cache-Control"), "not content-hashed")

	// A missing asset is a 404, never the page in place of a script.
	for _, p := range []string{"/app/assets/index-old.js", "/app/assets/x", "/app/missing.css", "/app/dev-tokens.json"} {
		require.Equal(t, http.StatusNotFound, get(b, p).Code, p)
	}

	// HEAD works like GET, without a body.
	h := b.do(httptest.NewRequest(http.MethodHead, "/app/assets/index-abc.css", nil))
	require.Equal(t, http.StatusOK, h.Code)
	require.Equal(t, "text/css; charset=utf-8", h.Header().Get("Content-Type"))
	require.Empty(t, h.Body.String())

	// The playground and the API are where they were.
	require.Equal(t, http.StatusOK, get(b, "/").Code)
	require.Equal(t, http.StatusNotFound, get(b, "/apps").Code)
}

// The development tokens reach the page only in development mode.
func TestAppDevTokens(t *testing.T) {
	t.Parallel()
	prod := setup(t)
	require.Equal(t, http.StatusNotFound, get(prod, "/app/dev-tokens.json").Code)

	dev := setup(t, func(o *Options) {
		o.DevTokens = map[string]string{"student": "s.t.u", "admin": "a.d.m", "teacher": "t.e.a"}
	})
	w := get(dev, "/app/dev-tokens.json")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	var got []devToken
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
	require.Equal(t, []devToken{{"teacher", "t.e.a"}, {"student", "s.t.u"}, {"admin", "a.d.m"}}, got)
}

func TestAppWithoutIndexPanics(t *testing.T) {
	t.Parallel()
	require.PanicsWithValue(t, "server: the web client has no index.html", func() {
		setup(t, func(o *Options) { o.App = fstest.MapFS{"assets/a.js": {Data: []byte("1")}} })
	})
}
