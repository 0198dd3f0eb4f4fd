package server

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
)

// The playground is GraphiQL built from its UMD bundles, embedded so that
// the binary serves it with no network access (contract §1, Endpoints). See playground/README.md
// for where the files come from and how to refresh them.
//
//go:embed playground/index.html playground/assets
var playgroundFiles embed.FS

// assetPrefix is where the playground's static files are served.
const assetPrefix = "/playground/assets/"

// The page's Content-Security-Policy. Scripts only from this origin and no
// inline script (the configuration travels as JSON, which is not executed):
// even a mistake in the template cannot run script. Inline styles are
// allowed because React and CodeMirror set style attributes; the fonts
// GraphiQL bundles are data: URLs. connect-src 'self' covers ws:// and
// wss:// to this host as well (CSP Level 3), for subscriptions.
const playgroundCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// contentTypes is fixed here rather than taken from the mime package, whose
// table the host's /etc/mime.types can change (some map .js to
// application/x-javascript); browsers refuse scripts with a wrong type under
// nosniff.
var contentTypes = map[string]string{
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	".html": "text/html; charset=utf-8",
}

type asset struct {
	body        []byte
	contentType string
	version     string // a prefix of the content's SHA-256, for cache busting
}

type playground struct {
	html  []byte
	files map[string]asset
}

// devToken is one entry of the page's dev-token panel.
type devToken struct {
	Role  string `json:"role"`
	Token string `json:"token"`
}

// pageConfig is handed to playground.js as JSON in the page.
type pageConfig struct {
	DefaultQuery string     `json:"defaultQuery"`
	Headers      string     `json:"headers,omitempty"`
	DevTokens    []devToken `json:"devTokens"`
}

// newPlayground loads the embedded assets and renders the page once: its
// only variable part, the dev tokens, is fixed for the life of the process.
func newPlayground(devTokens map[string]string) (*playground, error) {
	p := &playground{files: map[string]asset{}}
	entries, err := fs.ReadDir(playgroundFiles, "playground/assets")
	if err != nil {
		return nil, fmt.Errorf("read playground assets: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := playgroundFiles.ReadFile("playground/assets/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read playground asset %s: %w", e.Name(), err)
		}
		ct, ok := contentTypes[path.Ext(e.Name())]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		p.files[e.Name()] = asset{body: body, contentType: ct, version: hex.EncodeToString(sum[:8])}
	}

	tmpl, err := template.New("index.html").Funcs(template.FuncMap{
		// asset turns a file name into its versioned URL, and fails the
		// render for a file that is not embedded, so that the page can
		// never reference something the binary does not serve.
		"asset": func(name string) (string, error) {
			a, ok := p.files[name]
			if !ok {
				return "", fmt.Errorf("playground asset %q is not embedded", name)
			}
			return assetPrefix + name + "?v=" + a.version, nil
		},
	}).ParseFS(playgroundFiles, "playground/index.html")
	if err != nil {
		return nil, fmt.Errorf("parse playground page: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, struct{ Config pageConfig }{newPageConfig(devTokens)}); err != nil {
		return nil, fmt.Errorf("render playground page: %w", err)
	}
	p.html = buf.Bytes()
	return p, nil
}

// roleOrder puts the teacher first: the role whose token is prefilled, and
// the one that can create the pulses the others then act on.
var roleOrder = []string{"teacher", "student", "admin"}

func newPageConfig(devTokens map[string]string) pageConfig {
	cfg := pageConfig{DevTokens: []devToken{}}
	for role, token := range devTokens {
		cfg.DevTokens = append(cfg.DevTokens, devToken{Role: role, Token: token})
	}
	rank := func(role string) int {
		if i := slices.Index(roleOrder, role); i >= 0 {
			return i
		}
		return len(roleOrder)
	}
	slices.SortFunc(cfg.DevTokens, func(a, b devToken) int {
		if d := rank(a.Role) - rank(b.Role); d != 0 {
			return d
		}
		return strings.Compare(a.Role, b.Role)
	})

	// Short lines: the query editor is narrow while the dev-token panel is
	// open.
	var q strings.Builder
	q.WriteString("# EduPulse Live\n#\n")
	if len(cfg.DevTokens) > 0 {
		first := cfg.DevTokens[0]
		cfg.Headers = headersFor(first.Token)
		fmt.Fprintf(&q, "# Development mode: the Headers\n# tab holds the %s's token.\n", first.Role)
		q.WriteString("# The key icon (left) opens the\n" +
			"# dev tokens of every role. They\n" +
			"# outlive restarts (the secret is\n" +
			"# kept in the data dir) and expire\n" +
			"# a day after the server printed\n" +
			"# them; each start prints fresh\n" +
			"# ones.\n")
	} else {
		q.WriteString("# Every operation needs a token. Put\n" +
			"# it in the Headers tab below:\n" +
			"#   {\"Authorization\": \"Bearer <token>\"}\n" +
			"# (`edupulse token --sub <uuid>\n" +
			"#   --role teacher` prints one.)\n")
	}
	q.WriteString("#\n# Subscriptions send the same\n" +
		"# header in connection_init.\n\n" +
		"query Viewer {\n  viewer {\n    id\n    role\n  }\n}\n\n" +
		"subscription MyEvents {\n  myEvents {\n    type\n    aggregateId\n    occurredAt\n    cursor\n  }\n}\n")
	cfg.DefaultQuery = q.String()
	return cfg
}

// headersFor is the headers editor's content for a token, formatted as
// GraphiQL's own prettifier would.
func headersFor(token string) string {
	return "{\n  \"Authorization\": \"Bearer " + token + "\"\n}"
}

// page serves the playground's HTML. It is not cacheable: in development it
// holds tokens, which expire (each start prints fresh ones).
func (p *playground) page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", playgroundCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(p.html))
	})
}

// assets serves the embedded files. A request carrying the file's current
// version (the URL the page uses) may be cached for a year, since another
// content gets another URL; any other request must revalidate, which the
// ETag makes cheap.
func (p *playground) assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := p.files[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", `"`+a.version+`"`)
		if r.URL.Query().Get("v") == a.version {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		// ServeContent answers If-None-Match, Range and HEAD for us.
		http.ServeContent(w, r, r.PathValue("name"), time.Time{}, bytes.NewReader(a.body))
	})
}
