package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	// srcOrHref finds every URL the page makes the browser load.
	srcOrHref = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"([^"]*)"`)
	anyURL    = regexp.MustCompile(`(?i)\b(?:https?|wss?)://[^\s"'<>)]+`)
	cssURL    = regexp.MustCompile(`url\(\s*['"]?([^'")]*)`)
)

func TestPlaygroundLoadsOnlyLocalAssets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := b.do(r)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	csp := w.Header().Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self'", "the browser itself refuses any other script origin")
	require.Contains(t, csp, "connect-src 'self'")
	html := w.Body.String()

	// No absolute URL at all, so certainly none to another host: the page
	// builds its endpoint URLs from location at run time.
	for _, u := range anyURL.FindAllString(html, -1) {
		parsed, err := url.Parse(u)
		require.NoError(t, err)
		require.Equal(t, r.Host, parsed.Host, "the page references another host: %s", u)
	}

	refs := srcOrHref.FindAllStringSubmatch(html, -1)
	var assets []string
	for _, m := range refs {
		ref := m[1]
		if ref == "data:," { // the empty favicon, which spares a 404
			continue
		}
		require.True(t, strings.HasPrefix(ref, assetPrefix), "not a local asset: %q", ref)
		assets = append(assets, ref)
	}
	require.GreaterOrEqual(t, len(assets), 5, "react, react-dom, graphiql js+css, playground.js")

	wantType := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
	}
	for _, ref := range assets {
		w := b.do(httptest.NewRequest(http.MethodGet, ref, nil))
		require.Equal(t, http.StatusOK, w.Code, ref)
		u, err := url.Parse(ref)
		require.NoError(t, err)
		require.Equal(t, wantType[path.Ext(u.Path)], w.Header().Get("Content-Type"), ref)
		require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
		require.Contains(t, w.Header().Get("Cache-Control"), "max-age=31536000", ref)
		require.Contains(t, w.Header().Get("Cache-Control"), "immutable", ref)
		require.NotEmpty(t, w.Body.Bytes(), ref)

		if path.Ext(u.Path) == ".css" {
			// A stylesheet must not pull fonts or images from a CDN either.
			for _, m := range cssURL.FindAllStringSubmatch(w.Body.String(), -1) {
				require.False(t, anyURL.MatchString(m[1]) || strings.HasPrefix(m[1], "//"),
					"%s loads %s", ref, m[1])
			}
		}

		// Revalidation is cheap.
		etag := w.Header().Get("ETag")
		require.NotEmpty(t, etag)
		cond := httptest.NewRequest(http.MethodGet, ref, nil)
		cond.Header.Set("If-None-Match", etag)
		require.Equal(t, http.StatusNotModified, b.do(cond).Code, ref)

		// The same file under a stale or missing version must revalidate.
		stale := b.do(httptest.NewRequest(http.MethodGet, u.Path+"?v=old", nil))
		require.Equal(t, http.StatusOK, stale.Code)
		require.Equal(t, "no-cache", stale.Header().Get("Cache-Control"))
	}
}

func TestPlaygroundShipsVersionsAndLicences(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, name := range []string{"VERSIONS.txt", "LICENSES.txt"} {
		w := b.do(httptest.NewRequest(http.MethodGet, assetPrefix+name, nil))
		require.Equal(t, http.StatusOK, w.Code, name)
		require.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))
		require.Contains(t, w.Body.String(), "graphiql")
	}
}

func TestPlaygroundDevTokens(t *testing.T) {
	t.Parallel()

	t.Run("development: teacher prefilled, all three offered", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) {
			o.DevTokens = map[string]string{"admin": "tok.admin", "student": "tok.student", "teacher": "tok.teacher"}
		})
		html := b.do(httptest.NewRequest(http.MethodGet, "/", nil)).Body.String()
		require.Contains(t, html, `\"Authorization\": \"Bearer tok.teacher\"`)
		iTeacher := strings.Index(html, `"role":"teacher"`)
		iStudent := strings.Index(html, `"role":"student"`)
		iAdmin := strings.Index(html, `"role":"admin"`)
		require.True(t, iTeacher >= 0 && iTeacher < iStudent && iStudent < iAdmin, "teacher, student, admin")
	})

	t.Run("production: no token in the page", func(t *testing.T) {
		t.Parallel()
		html := setup(t).do(httptest.NewRequest(http.MethodGet, "/", nil)).Body.String()
		require.NotContains(t, html, "Bearer tok")
		require.Contains(t, html, `"devTokens":[]`)
		require.NotContains(t, html, `"headers"`)
	})

	t.Run("a token cannot break out of the page", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) {
			o.DevTokens = map[string]string{"teacher": `</script><script>alert(1)</script>`}
		})
		html := b.do(httptest.NewRequest(http.MethodGet, "/", nil)).Body.String()
		require.NotContains(t, html, "<script>alert(1)")
		require.Equal(t, 5, strings.Count(html, "</script>"), "the config plus four script tags, nothing injected")
	})
}
