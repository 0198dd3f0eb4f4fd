package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/edupulse/edupulse-live/web"
)

// The browser client (the live classroom page, web/) is served under
// appPrefix from files embedded in the binary: Options.App, by default the
// committed build of package web. It is a single-page app: a path under
// /app/ that names no file and has no extension answers index.html, so
// that a deep link reloads; a missing asset is a plain 404, never HTML in
// place of a script.
const appPrefix = "/app/"

// appIndex is the page itself.
const appIndex = "index.html"

// appHashedDir holds the build's content-hashed files: a new content gets a
// new name, so they may be cached for a year.
const appHashedDir = "assets/"

// The page's Content-Security-Policy: everything from this origin only, no
// inline script or style (the build emits none), websockets to this host
// (connect-src 'self', CSP Level 3).
const appCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; manifest-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// appContentTypes adds what a Vite build may emit to the playground's fixed
// table (see contentTypes for why it is fixed).
var appContentTypes = func() map[string]string {
	m := maps.Clone(contentTypes)
	maps.Copy(m, map[string]string{
		".json":        "application/json",
		".map":         "application/json",
		".webmanifest": "application/manifest+json",
		".svg":         "image/svg+xml",
		".png":         "image/png",
		".ico":         "image/x-icon",
		".webp":        "image/webp",
		".woff2":       "font/woff2",
		".wasm":        "application/wasm",
	})
	return m
}()

type appFile struct {
	body        []byte
	contentType string
	etag        string
}

type clientApp struct {
	files map[string]appFile
	// devTokens is the JSON of GET /app/dev-tokens.json; nil outside
	// development mode, where that path answers 404.
	devTokens []byte
}

// newClientApp reads every file of the build once, at start.
func newClientApp(fsys fs.FS, devTokens map[string]string) (*clientApp, error) {
	a := &clientApp{files: map[string]appFile{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		ct, ok := appContentTypes[path.Ext(name)]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		a.files[name] = appFile{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the web client: %w", err)
	}
	if _, ok := a.files[appIndex]; !ok {
		return nil, fmt.Errorf("the web client has no %s", appIndex)
	}
	if devTokens != nil {
		// The same tokens, in the same order, as the playground's panel.
		if a.devTokens, err = json.Marshal(newPageConfig(devTokens).DevTokens); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// mountApp registers the client's routes; called by New.
func mountApp(mux *http.ServeMux, o Options) {
	fsys := o.App
	if fsys == nil {
		fsys = web.Dist()
	}
	a, err := newClientApp(fsys, o.DevTokens)
	if err != nil {
		// A wiring or build mistake, found at start (see New).
		panic("server: " + err.Error())
	}
	// A fixed target: the page takes its parameters from the fragment,
	// which the browser keeps across the redirect.
	mux.HandleFunc("GET /app", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, appPrefix, http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET "+appPrefix+"dev-tokens.json", a.serveDevTokens)
	mux.HandleFunc("GET "+appPrefix+"{path...}", a.serveFile)
}

// serveDevTokens hands the development tokens to the page: only in
// development mode, like the playground's dev-token panel.
func (a *clientApp) serveDevTokens(w http.ResponseWriter, r *http.Request) {
	if a.devTokens == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(a.devTokens)
}

func (a *clientApp) serveFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("path")
	if name == "" {
		name = appIndex
	}
	f, ok := a.files[name]
	if !ok {
		if strings.HasPrefix(name, appHashedDir) || path.Ext(name) != "" {
			http.NotFound(w, r)
			return
		}
		name, f = appIndex, a.files[appIndex]
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", f.etag)
	switch {
	case name == appIndex:
		// Always revalidated (cheap with the ETag), so that a new binary's
		// page, naming new asset files, is picked up at once.
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", appCSP)
		h.Set("Referrer-Policy", "no-referrer")
	case strings.HasPrefix(name, appHashedDir):
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	default:
		h.Set("Cache-Control", "no-cache")
	}
	// ServeContent answers If-None-Match, Range and HEAD.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
}
