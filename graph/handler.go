// Package graph is the GraphQL layer: the gqlgen executable schema generated
// from schema.graphqls, its resolvers (thin: parse, call an app use case,
// map the result), and the HTTP handler that serves it with the error
// presenter, limits, metrics and dataloaders the contract needs.
//
// Authentication is the caller's job: the HTTP layer verifies the bearer
// token and puts the actor in the request context with auth.WithActor, and
// the correlation id with reqctx.WithCorrelationID; over websocket,
// internal/transport does it with the connection_init payload's.
// Every query and mutation then requires an actor (UNAUTHENTICATED
// otherwise); introspection does not.
package graph

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	gqltransport "github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/live"
	"github.com/edupulse/edupulse-live/internal/transport"
)

// Defaults of Options.
const (
	// DefaultComplexityLimit admits the largest page (100) of events with
	// every field and every payload variant selected (about 4,400): a
	// connection weighs `first` × its selection, so what it bounds is the
	// number of values an operation can make the server produce.
	DefaultComplexityLimit = 5000
	// DefaultDepthLimit admits pulses → events → payload → pulse →
	// responses, the deepest path a client has a reason to ask for.
	DefaultDepthLimit = 12
	// DefaultQueryCacheSize is the number of parsed and validated query
	// documents kept.
	DefaultQueryCacheSize = 1000
	// DefaultPersistedQueryCacheSize is the number of APQ hashes kept: an
	// application's documents number in the hundreds, and each is at most
	// a request body (bounded), so the cache stays small.
	DefaultPersistedQueryCacheSize = 1000
	// DefaultParserTokenLimit bounds the work of parsing one document, the
	// first thing done with it, whoever sends it (about 0.7 µs of CPU a
	// token). A document at MaxDocumentFields, with arguments and
	// aliases, stays well under it.
	DefaultParserTokenLimit = 5000
)

// Options configure NewHandler. The zero value is usable: defaults apply.
type Options struct {
	// Logger receives internal errors and panics (with the correlation id);
	// slog.Default() when nil.
	Logger *slog.Logger
	// Registry registers the per-operation metrics; nil keeps them
	// unregistered.
	Registry prometheus.Registerer
	// ComplexityLimit bounds an operation's complexity; 0 means
	// DefaultComplexityLimit.
	ComplexityLimit int
	// DepthLimit bounds how deep an operation's fields nest; 0 means
	// DefaultDepthLimit.
	DepthLimit int
	// PersistedQueryCacheSize enables automatic persisted queries (Apollo's
	// APQ extension) with a cache of that many queries; 0 leaves them off.
	// The cache is per instance: a hash registered on another instance is
	// answered PERSISTED_QUERY_NOT_FOUND here once, and the client sends
	// the query with it again, as the protocol expects.
	PersistedQueryCacheSize int
	// Transports are tried before the HTTP ones (OPTIONS, GET, POST). This
	// is where the websocket transport for subscriptions plugs in: its
	// Supports matches only upgrade requests, which GET and POST refuse.
	Transports []graphql.Transport
	// Hub serves subscriptions and shares the rows events point to with the
	// loaders; without it subscriptions answer INTERNAL_SERVER_ERROR.
	Hub *live.Hub
	// SSE serves GraphQL over Server-Sent Events (always on; the zero
	// value has the defaults).
	SSE transport.SSE
	// Websocket, when set, serves operations over websocket with
	// transport.NewWebsocket (tried first); its Logger defaults to Logger.
	Websocket *transport.WebsocketOptions
	// DisableIntrospection refuses __schema and __type (production's
	// default): the schema is then not handed to anyone who asks.
	DisableIntrospection bool
	// TrustedDocuments, when set, runs the documents of that file by their
	// hash (documentId or the APQ hash) and, with Only, nothing else.
	TrustedDocuments *TrustedDocuments
	// MutationsPerSecond limits each actor's mutation fields per second,
	// with a burst of twice that; 0 means no limit.
	MutationsPerSecond float64
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ComplexityLimit == 0 {
		o.ComplexityLimit = DefaultComplexityLimit
	}
	if o.DepthLimit == 0 {
		o.DepthLimit = DefaultDepthLimit
	}
	return o
}

// NewHandler returns the GraphQL endpoint (POST and GET /query) serving svc.
// It panics only on a programming error: metrics that clash with other
// collectors of opts.Registry.
func NewHandler(svc *app.Service, opts Options) http.Handler {
	opts = opts.withDefaults()
	m, err := newMetrics(opts.Registry)
	if err != nil {
		panic(fmt.Sprintf("graph: register metrics: %v", err))
	}

	srv := handler.New(NewExecutableSchema(Config{
		Resolvers:  &Resolver{svc: svc, hub: opts.Hub},
		Complexity: complexity(),
	}))
	if opts.Websocket != nil {
		ws := *opts.Websocket
		if ws.Logger == nil {
			ws.Logger = opts.Logger
		}
		srv.AddTransport(transport.NewWebsocket(ws))
	}
	for _, t := range opts.Transports {
		srv.AddTransport(t)
	}
	// Before GET and POST, which would take an event stream's request too.
	srv.AddTransport(opts.SSE)
	srv.AddTransport(gqltransport.Options{AllowedMethods: []string{http.MethodOptions, http.MethodGet, http.MethodPost}})
	srv.AddTransport(gqltransport.GET{})
	srv.AddTransport(transport.POST{})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](DefaultQueryCacheSize))
	srv.SetParserTokenLimit(DefaultParserTokenLimit)
	srv.SetValidationRulesFn(validationRules)
	srv.SetErrorPresenter(presenter(opts.Logger))
	srv.SetRecoverFunc(recoverFunc(opts.Logger))

	if opts.DisableIntrospection {
		srv.Use(noIntrospection{})
	} else {
		srv.Use(extension.Introspection{})
	}
	if opts.TrustedDocuments != nil {
		// Before APQ: a trusted hash is answered from the file, and with
		// Only nothing else gets as far as APQ's cache.
		srv.Use(opts.TrustedDocuments)
	}
	if opts.PersistedQueryCacheSize > 0 {
		srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](opts.PersistedQueryCacheSize)})
	}
	// After APQ, which may fill the query in from its cache. Cheapest
	// refusals first: no query; then, before validation, a mutation over
	// GET, no actor, a document too large, too many mutations; then, once
	// validated, too deep, then too complex.
	srv.Use(requireQuery{})
	srv.Use(documentGuard{tokenLimit: DefaultParserTokenLimit, parsed: lru.New[*ast.QueryDocument](DefaultQueryCacheSize)})
	// Validated, with an actor: the actor's mutation budget.
	if opts.MutationsPerSecond > 0 {
		srv.Use(newMutationLimit(opts.MutationsPerSecond, rateLimitedCounter(opts.Registry)))
	}
	// The operation's span: its context is the parent of the store
	// transaction's, and of everything that follows the event.
	srv.Use(traceOperations{})
	srv.Use(depthLimit{Max: opts.DepthLimit})
	srv.Use(&complexityLimit{Max: opts.ComplexityLimit})
	srv.Use(m)
	// Outermost of the operation interceptors that follow, so that a shared
	// rendering skips the per-response work (loaders) too.
	srv.Use(newRenderOnce(2*time.Second, m))
	var shared *live.Shared
	if opts.Hub != nil {
		shared = opts.Hub.Shared()
	}
	srv.AroundResponses(installLoaders(svc.Store(), shared))

	if opts.TrustedDocuments != nil {
		return httpFront(documentIDs(srv))
	}
	return httpFront(srv)
}
