package config

// Var is one environment variable the service reads, for the commands'
// --help.
type Var struct {
	Name, Help string
}

// Variables lists every variable FromEnv reads, in the order --help shows
// them. TestVariablesListsWhatFromEnvReads keeps it complete.
var Variables = []Var{
	{"EDUPULSE_HTTP_ADDR", "listen address (default 127.0.0.1:8080)"},
	{"EDUPULSE_DATA_DIR", "embedded store, embedded NATS and development secret (default ./data)"},
	{"DATABASE_URL", "postgres:// URL; unset: embedded SQLite in the data dir"},
	{"NATS_URL", "nats:// URL(s), comma-separated; unset: embedded NATS in the data dir"},
	{"NATS_CREDS", "NATS .creds file (with NATS_URL)"},
	{"NATS_NKEY_SEED_FILE", "NATS nkey seed file (with NATS_URL)"},
	{"NATS_TOKEN", "NATS token (with NATS_URL)"},
	{"EDUPULSE_STREAM_REPLICAS", "replicas of the EDUPULSE stream, 1 to 5 (default 1)"},
	{"EDUPULSE_ENV", "development (default) or production"},
	{"EDUPULSE_JWT_SECRET", "HS256 secret, at least 32 bytes; unset (and no JWKS): development mode"},
	{"EDUPULSE_JWKS_URL", "identity provider's key set (RS256, ES256, EdDSA)"},
	{"EDUPULSE_JWT_ISSUER", "required iss of tokens"},
	{"EDUPULSE_JWT_AUDIENCE", "required aud of tokens"},
	{"EDUPULSE_JWT_ROLE_CLAIM", "JSON Pointer to the role claim (default /role)"},
	{"EDUPULSE_JWT_MAX_TTL", "longest token lifetime accepted (default 24h)"},
	{"EDUPULSE_ALLOWED_ORIGINS", "browser origins allowed for websockets and CORS, comma-separated"},
	{"EDUPULSE_INTROSPECTION", "true/false (default: on in development, off in production)"},
	{"EDUPULSE_PLAYGROUND", "true/false: serve / and /schema.graphql (default as introspection)"},
	{"EDUPULSE_ADMIN_ADDR", "listener for /metrics, /healthz, /readyz and profiles"},
	{"EDUPULSE_PPROF_ADDR", "listener for net/http/pprof (bind to loopback)"},
	{"EDUPULSE_RATE_LIMIT", "mutations per second per actor, 0: none (default 0, 50 in production)"},
	{"EDUPULSE_MAX_CONNS_PER_IP", "open websockets per client address, 0: no limit (default 500)"},
	{"EDUPULSE_DRAIN_PERIOD", "readiness fails this long before shutdown (default 5s with DATABASE_URL, else 0s)"},
	{"EDUPULSE_TRUSTED_DOCUMENTS", "persisted-documents.json of trusted documents"},
	{"EDUPULSE_TRUSTED_DOCUMENTS_ONLY", "true (default): refuse other documents"},
	{"EDUPULSE_MAX_DEPTH", "query depth limit (default 12)"},
	{"EDUPULSE_MAX_COMPLEXITY", "query complexity limit (default 5000)"},
	{"EDUPULSE_LOG_LEVEL", "debug, info (default), warn or error"},
	{"EDUPULSE_LOG_FORMAT", "json (default) or text"},
}

// TracingVariables are the OpenTelemetry SDK's own variables that tracing
// reads (see internal/tracing); none set: tracing is off.
var TracingVariables = []Var{
	{"OTEL_SDK_DISABLED", "true: no tracing whatever else is set"},
	{"OTEL_TRACES_EXPORTER", "otlp (default once tracing is on), console or none"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTLP collector, e.g. http://localhost:4318; setting it turns tracing on"},
	{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTLP endpoint for traces only"},
	{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf, the only one built in (also OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)"},
	{"OTEL_EXPORTER_OTLP_HEADERS", "headers sent to the collector (never logged)"},
	{"OTEL_TRACES_SAMPLER", "e.g. parentbased_traceidratio (default parentbased_always_on)"},
	{"OTEL_TRACES_SAMPLER_ARG", "the sampler's argument, e.g. 0.1"},
	{"OTEL_SERVICE_NAME", "service name in traces (default edupulse)"},
	{"OTEL_RESOURCE_ATTRIBUTES", "extra resource attributes, key=value,..."},
	{"OTEL_EXPORTER_OTLP_*, OTEL_BSP_*", "the SDK's other settings (timeout, compression, certificates, batching)"},
}

// Only returns a getenv that sees names and nothing else: a command that
// needs a few settings neither reads nor validates the others.
func Only(getenv func(string) string, names ...string) func(string) string {
	return func(k string) string {
		for _, n := range names {
			if n == k {
				return getenv(k)
			}
		}
		return ""
	}
}
