// Package server is the HTTP face of the edupulse binary: the routes of the
// contract's §1 (Endpoints) on one net/http ServeMux, the middleware every request goes
// through (correlation id, access log, metrics, panic recovery) and the one
// the GraphQL endpoint adds (bearer authentication, body limit), the health
// and readiness probes, the Prometheus endpoint and the GraphiQL playground,
// whose assets are embedded in the binary so that it works offline.
//
// It owns no GraphQL logic: the GraphQL handler, the schema text, the token
// verifier and the readiness check are handed in through Options, so that
// this package can be tested with stubs and cmd/edupulse decides what is
// wired to what.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/edupulse/edupulse-live/internal/auth"
)

// DefaultMaxBodyBytes bounds a GraphQL request body when Options.MaxBodyBytes
// is zero. A query document with its variables is a few kilobytes; a
// megabyte leaves ample room while keeping a client from making us buffer
// and parse arbitrarily large JSON.
const DefaultMaxBodyBytes int64 = 1 << 20

// DefaultBodyTimeout is ample for a 1 MiB body on a slow mobile link, and
// short enough that a client trickling a body byte by byte cannot hold a
// connection (and its goroutine) for long.
const DefaultBodyTimeout = 10 * time.Second

// Options is what New wires together. GraphQL and Tokens are required.
type Options struct {
	// GraphQL serves POST /query and GET /query, websocket upgrades
	// included. It finds the caller with auth.ActorFrom and the correlation
	// id with reqctx.CorrelationID.
	GraphQL http.Handler
	// Schema is the SDL served at GET /schema.graphql.
	Schema []byte
	// Tokens verifies the bearer tokens of HTTP requests.
	Tokens *auth.Tokens
	// Ready reports whether the store is reachable; nil means always
	// ready. It is called with a 2 s deadline. The bus is left out on
	// purpose: mutations and queries work while it is down, so a bus outage
	// must not take every instance out of its load balancer.
	Ready func(ctx context.Context) error
	// BusState, when set, describes the bus's state in the readiness body
	// ("connected", "unreachable", …); it never changes the status.
	BusState func() string
	// Draining, when it reports true, makes readiness fail at once: the
	// instance is shutting down, and the load balancer should stop sending
	// it new requests while those in flight finish.
	Draining func() bool
	// Logger receives the access log and the errors behind 500 and 503
	// answers; nil means slog.Default().
	Logger *slog.Logger
	// Registry receives the HTTP metrics and is what GET /metrics exposes;
	// nil means a private registry (tests).
	Registry *prometheus.Registry
	// MaxBodyBytes bounds a /query request body; zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// BodyTimeout bounds the time a client may take to send a /query
	// body; zero means DefaultBodyTimeout. (Headers are bounded by the
	// http.Server's ReadHeaderTimeout.)
	BodyTimeout time.Duration
	// MaxConnsPerIP bounds the websocket connections and event streams
	// one client address may hold open; zero or less means no limit.
	MaxConnsPerIP int
	// AllowedOrigins are the browser origins allowed to call /query from
	// another origin (CORS); DevMode adds any loopback origin.
	AllowedOrigins []string
	DevMode        bool
	// NoPlayground leaves GET / and GET /schema.graphql out (production).
	NoPlayground bool
	// NoPublicMetrics leaves GET /metrics out of this handler: it is then
	// served by Admin only, on a listener of its own (production).
	NoPublicMetrics bool
	// DevTokens maps a role name to a ready-made token. Only development
	// mode sets it: the playground then prefills its headers editor with the
	// teacher's token and offers all of them. Leave it nil in production,
	// where the page would hand them to anyone who can reach it.
	DevTokens map[string]string
	// App is the browser client served at /app/ (index.html at its root,
	// content-hashed files under assets/); nil means the build embedded
	// from package web. See app.go.
	App fs.FS
}

// New returns the handler of the whole HTTP listener. It panics when a
// required option is missing: that is a wiring mistake in main, better
// found at start than on the first request.
func New(o Options) http.Handler {
	if o.GraphQL == nil {
		panic("server: Options.GraphQL is required")
	}
	if o.Tokens == nil {
		panic("server: Options.Tokens is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}

	pg, err := newPlayground(o.DevTokens)
	if err != nil {
		// Only an embedded file or the embedded template can be at fault,
		// and the tests render both.
		panic("server: " + err.Error())
	}

	mux := http.NewServeMux()
	m := newMetrics(o.Registry)

	// CORS outermost: a preflight is answered before any other work, and
	// never needs a token.
	query := corsFor(o.AllowedOrigins, o.DevMode).Handler(
		limitConns(newPerAddress(o.MaxConnsPerIP), m.connRefused,
			authenticate(o.Tokens, o.Logger, limitBody(o.MaxBodyBytes, o.BodyTimeout, o.GraphQL))))
	mux.Handle("POST /query", query)
	mux.Handle("GET /query", query)
	mux.Handle("OPTIONS /query", query)

	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /readyz", readyz(o, o.Logger))
	if !o.NoPublicMetrics {
		mux.Handle("GET /metrics", metricsHandler(o))
	}
	if !o.NoPlayground {
		mux.HandleFunc("GET /schema.graphql", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write(o.Schema)
		})
		// {$} makes "/" match only itself: without it every unknown path
		// would answer with the playground instead of 404.
		mux.Handle("GET /{$}", pg.page())
		mux.Handle("GET "+assetPrefix+"{name}", pg.assets())
	}
	mountApp(mux, o)

	return withCorrelationID(traceRequests(observe(o.Logger, m, recoverPanics(o.Logger, mux))))
}

// Admin returns the handler of the admin listener: /metrics, /healthz,
// /readyz and the runtime profiles, for operators and their scrapers, on
// an address the public never reaches. Registered by hand: importing
// net/http/pprof for its side effect would put the profiles on
// http.DefaultServeMux.
func Admin(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metricsHandler(o))
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /readyz", readyz(o, o.Logger))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func metricsHandler(o Options) http.Handler {
	return promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelError),
		// Serve what could be gathered rather than nothing when one
		// collector fails.
		ErrorHandling: promhttp.ContinueOnError,
	})
}
