// Package config reads the service's configuration from the environment:
// one struct, its defaults in one place, validation that names the
// variable at fault, and a String that never shows a secret.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/edupulse/edupulse-live/internal/logging"
)

// Config is everything `edupulse serve` needs to start.
type Config struct {
	// HTTPAddr is EDUPULSE_HTTP_ADDR.
	HTTPAddr string
	// DataDir is EDUPULSE_DATA_DIR: the embedded store and NATS server's files.
	DataDir string
	// DatabaseURL is DATABASE_URL; empty selects the embedded SQLite store.
	DatabaseURL string
	// NATSURL is NATS_URL; empty selects the embedded NATS server. A user
	// and password (nats://user:password@host) or a token (nats://token@host)
	// may be given in it.
	NATSURL string
	// NATSCredsFile is NATS_CREDS: a .creds file (user JWT and nkey seed).
	NATSCredsFile string
	// NATSNkeySeedFile is NATS_NKEY_SEED_FILE: a file holding an nkey seed.
	NATSNkeySeedFile string
	// NATSToken is NATS_TOKEN: a bearer token. At most one of the three
	// NATS credentials may be set, and only with NATS_URL (the embedded
	// server is reached in-process and needs none).
	NATSToken string
	// JWTSecret is EDUPULSE_JWT_SECRET; empty (and no JWKSURL) selects
	// development mode.
	JWTSecret string
	// JWKSURL is EDUPULSE_JWKS_URL: an identity provider's key set (RS256,
	// ES256, EdDSA tokens). JWTIssuer, JWTAudience (EDUPULSE_JWT_ISSUER,
	// EDUPULSE_JWT_AUDIENCE) are checked when set; JWTRoleClaim
	// (EDUPULSE_JWT_ROLE_CLAIM) is a JSON Pointer to the role, "/role" by
	// default.
	JWKSURL      string
	JWTIssuer    string
	JWTAudience  string
	JWTRoleClaim string
	// JWTMaxTTL is EDUPULSE_JWT_MAX_TTL: the longest lifetime a token may
	// claim (exp − iat, or exp − now without iat). Longer ones are refused,
	// so that a leaked token is not worth years whatever exp it carries.
	JWTMaxTTL time.Duration
	// AllowedOrigins is EDUPULSE_ALLOWED_ORIGINS, comma-separated, for
	// websocket upgrades.
	AllowedOrigins []string
	// StreamReplicas is EDUPULSE_STREAM_REPLICAS: the EDUPULSE stream's
	// replicas on an external cluster (3 for production clusters).
	StreamReplicas int
	// PprofAddr is EDUPULSE_PPROF_ADDR: when set, net/http/pprof is served
	// there, on its own listener and never on the public one (bind it to
	// loopback: profiles expose the process's internals).
	PprofAddr string
	// DrainPeriod is EDUPULSE_DRAIN_PERIOD: on SIGTERM, how long readiness
	// fails while the listener still serves, so that the load balancer
	// sees it and stops sending requests before the listener closes.
	// Default DefaultDrainPeriod with DATABASE_URL (instances behind a load
	// balancer), 0 with the embedded store (one instance: nobody to drain to).
	DrainPeriod time.Duration
	// MaxConnsPerIP is EDUPULSE_MAX_CONNS_PER_IP: the websocket
	// connections and SSE streams one client address may hold open (0: no
	// limit). Behind a proxy every client has the proxy's address: raise
	// it, or limit there.
	MaxConnsPerIP int
	// SubscriberBuffer is how many events may wait for one subscriber
	// before it is cut off (SLOW_CONSUMER); not read from the environment
	// (tests set it), 0 means the hub's default.
	SubscriberBuffer int

	// Env is EDUPULSE_ENV: EnvDevelopment (default) or EnvProduction,
	// which changes the defaults below (contract §8, Production mode).
	Env string
	// Introspection is EDUPULSE_INTROSPECTION: on in development, off in
	// production.
	Introspection bool
	// Playground is EDUPULSE_PLAYGROUND: GET / and /schema.graphql are
	// served; on in development, off in production.
	Playground bool
	// AdminAddr is EDUPULSE_ADMIN_ADDR: a listener of its own for
	// /metrics, /healthz, /readyz and profiling. In production /metrics and
	// profiling are served only there.
	AdminAddr string
	// RateLimit is EDUPULSE_RATE_LIMIT: mutations per second per actor,
	// with a burst of twice that; 0 is no limit. Default 0 in development,
	// DefaultProductionRateLimit in production.
	RateLimit float64
	// TrustedDocuments is EDUPULSE_TRUSTED_DOCUMENTS: the path of a
	// persisted-documents.json (hash → document); TrustedDocumentsOnly
	// (EDUPULSE_TRUSTED_DOCUMENTS_ONLY, default true) refuses others.
	TrustedDocuments     string
	TrustedDocumentsOnly bool
	// MaxDepth and MaxComplexity are EDUPULSE_MAX_DEPTH and
	// EDUPULSE_MAX_COMPLEXITY: the query limits (0: the server's defaults,
	// 12 and 5,000).
	MaxDepth      int
	MaxComplexity int
	// LogLevel is EDUPULSE_LOG_LEVEL (debug, info, warn, error; default
	// info) and LogFormat EDUPULSE_LOG_FORMAT (json, the default, or text).
	LogLevel  slog.Level
	LogFormat string
}

// DefaultProductionRateLimit is well above what a person clicks (a teacher
// opening and closing pulses, a student answering) and well below what a
// script can send.
const DefaultProductionRateLimit = 50

// The values of EDUPULSE_ENV.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// DefaultDrainPeriod outlasts two readiness probes of a typical load
// balancer or orchestrator (every 1–2 s).
const DefaultDrainPeriod = 5 * time.Second

// Defaults are the values used when a variable is unset.
var Defaults = Config{
	HTTPAddr:       "127.0.0.1:8080",
	DataDir:        "./data",
	StreamReplicas: 1,
	MaxConnsPerIP:  DefaultMaxConnsPerIP,
	Env:            EnvDevelopment,
	LogFormat:      logging.FormatJSON,
	Introspection:  true,
	Playground:     true,
	JWTMaxTTL:      24 * time.Hour,
}

// DefaultMaxConnsPerIP leaves room for a school behind one NAT address
// (a few classes of browsers, each with a tab or two) while one host
// cannot hold thousands of sockets.
const DefaultMaxConnsPerIP = 500

// FromEnv reads the configuration through getenv (os.Getenv in main, a map
// in tests) and validates it.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Defaults
	set := func(dst *string, name string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	set(&c.HTTPAddr, "EDUPULSE_HTTP_ADDR")
	set(&c.DataDir, "EDUPULSE_DATA_DIR")
	set(&c.DatabaseURL, "DATABASE_URL")
	set(&c.NATSURL, "NATS_URL")
	set(&c.NATSCredsFile, "NATS_CREDS")
	set(&c.NATSNkeySeedFile, "NATS_NKEY_SEED_FILE")
	set(&c.NATSToken, "NATS_TOKEN")
	set(&c.PprofAddr, "EDUPULSE_PPROF_ADDR")
	set(&c.AdminAddr, "EDUPULSE_ADMIN_ADDR")
	set(&c.TrustedDocuments, "EDUPULSE_TRUSTED_DOCUMENTS")
	c.TrustedDocumentsOnly = true
	c.Env = EnvDevelopment
	set(&c.Env, "EDUPULSE_ENV")
	c.JWTSecret = getenv("EDUPULSE_JWT_SECRET")
	set(&c.JWKSURL, "EDUPULSE_JWKS_URL")
	set(&c.JWTIssuer, "EDUPULSE_JWT_ISSUER")
	set(&c.JWTAudience, "EDUPULSE_JWT_AUDIENCE")
	set(&c.JWTRoleClaim, "EDUPULSE_JWT_ROLE_CLAIM")
	for _, o := range strings.Split(getenv("EDUPULSE_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.AllowedOrigins = append(c.AllowedOrigins, o)
		}
	}
	var errs []error
	c.Introspection = !c.Production()
	c.Playground = !c.Production()
	for name, dst := range map[string]*bool{
		"EDUPULSE_INTROSPECTION": &c.Introspection, "EDUPULSE_PLAYGROUND": &c.Playground,
		"EDUPULSE_TRUSTED_DOCUMENTS_ONLY": &c.TrustedDocumentsOnly,
	} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %q must be true or false", name, v))
				continue
			}
			*dst = b
		}
	}
	if lvl, err := logging.ParseLevel(getenv("EDUPULSE_LOG_LEVEL")); err != nil {
		errs = append(errs, fmt.Errorf("EDUPULSE_LOG_LEVEL %w", err))
	} else {
		c.LogLevel = lvl
	}
	if f, err := logging.ParseFormat(getenv("EDUPULSE_LOG_FORMAT")); err != nil {
		errs = append(errs, fmt.Errorf("EDUPULSE_LOG_FORMAT %w", err))
	} else {
		c.LogFormat = f
	}
	if c.Production() {
		c.RateLimit = DefaultProductionRateLimit
	}
	if v := strings.TrimSpace(getenv("EDUPULSE_RATE_LIMIT")); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1e6 {
			errs = append(errs, fmt.Errorf("EDUPULSE_RATE_LIMIT %q must be mutations per second, 0 for no limit", v))
		} else {
			c.RateLimit = f
		}
	}
	if c.DatabaseURL != "" {
		c.DrainPeriod = DefaultDrainPeriod
	}
	if v := strings.TrimSpace(getenv("EDUPULSE_DRAIN_PERIOD")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 5*time.Minute {
			errs = append(errs, fmt.Errorf("EDUPULSE_DRAIN_PERIOD %q must be a duration from 0s to 5m (e.g. 5s)", v))
		} else {
			c.DrainPeriod = d
		}
	}
	for name, dst := range map[string]*int{"EDUPULSE_MAX_DEPTH": &c.MaxDepth, "EDUPULSE_MAX_COMPLEXITY": &c.MaxComplexity} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1_000_000 {
				errs = append(errs, fmt.Errorf("%s %q must be a whole number from 1 to 1000000", name, v))
				continue
			}
			*dst = n
		}
	}
	if v := strings.TrimSpace(getenv("EDUPULSE_MAX_CONNS_PER_IP")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("EDUPULSE_MAX_CONNS_PER_IP %q must be a whole number (0: no limit)", v))
		} else {
			c.MaxConnsPerIP = n
		}
	}
	if v := strings.TrimSpace(getenv("EDUPULSE_STREAM_REPLICAS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			errs = append(errs, fmt.Errorf("EDUPULSE_STREAM_REPLICAS %q must be an integer from 1 to 5", v))
		} else {
			c.StreamReplicas = n
		}
	}
	if v := strings.TrimSpace(getenv("EDUPULSE_JWT_MAX_TTL")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("EDUPULSE_JWT_MAX_TTL %q must be a positive duration (e.g. 24h, 90m)", v))
		} else {
			c.JWTMaxTTL = d
		}
	}
	return c, errors.Join(append(errs, c.Validate())...)
}

// MinSecretBytes is the shortest accepted HS256 secret.
const MinSecretBytes = 32

// Validate reports every problem at once, each naming its variable.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("EDUPULSE_HTTP_ADDR %q is not host:port", c.HTTPAddr))
	}
	if c.PprofAddr != "" {
		if _, _, err := net.SplitHostPort(c.PprofAddr); err != nil {
			errs = append(errs, fmt.Errorf("EDUPULSE_PPROF_ADDR %q is not host:port", c.PprofAddr))
		}
	}
	if c.AdminAddr != "" {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			errs = append(errs, fmt.Errorf("EDUPULSE_ADMIN_ADDR %q is not host:port", c.AdminAddr))
		}
	}
	switch c.Env {
	case EnvDevelopment:
	case EnvProduction:
		if c.JWTSecret == "" && c.JWKSURL == "" {
			errs = append(errs, errors.New("EDUPULSE_JWT_SECRET or EDUPULSE_JWKS_URL is required with EDUPULSE_ENV=production (development tokens are never issued in production)"))
		}
	default:
		errs = append(errs, fmt.Errorf("EDUPULSE_ENV %q must be %s or %s", c.Env, EnvDevelopment, EnvProduction))
	}
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		errs = append(errs, fmt.Errorf("EDUPULSE_STREAM_REPLICAS must be from 1 to 5"))
	}
	if c.JWKSURL != "" {
		if u, err := url.Parse(c.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("EDUPULSE_JWKS_URL must be an https:// (or http://) URL"))
		}
	}
	if c.JWTRoleClaim != "" && !strings.HasPrefix(c.JWTRoleClaim, "/") {
		errs = append(errs, fmt.Errorf("EDUPULSE_JWT_ROLE_CLAIM %q must be a JSON Pointer (e.g. /role, /realm_access/roles)", c.JWTRoleClaim))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("EDUPULSE_DATA_DIR must not be empty"))
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New("DATABASE_URL must be a postgres:// or postgresql:// URL"))
		}
	}
	if c.NATSURL != "" {
		for _, s := range strings.Split(c.NATSURL, ",") {
			u, err := url.Parse(strings.TrimSpace(s))
			if err != nil || (u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
				errs = append(errs, fmt.Errorf("NATS_URL entry %q must be nats://host:port", redactURL(s)))
			}
		}
	}
	if c.JWTMaxTTL <= 0 {
		errs = append(errs, errors.New("EDUPULSE_JWT_MAX_TTL must be positive"))
	}
	errs = append(errs, c.validateNATSAuth()...)
	if c.JWTSecret != "" && len(c.JWTSecret) < MinSecretBytes {
		errs = append(errs, fmt.Errorf("EDUPULSE_JWT_SECRET must be at least %d bytes", MinSecretBytes))
	}
	for _, o := range c.AllowedOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" {
			errs = append(errs, fmt.Errorf("EDUPULSE_ALLOWED_ORIGINS entry %q must be scheme://host[:port]", o))
		}
	}
	return errors.Join(errs...)
}

// UsesDataDir reports whether anything of this configuration keeps files
// in DataDir: the embedded store, the embedded NATS server, or the
// development secret.
func (c Config) UsesDataDir() bool {
	return c.DatabaseURL == "" || c.NATSURL == "" || c.DevMode()
}

// Production reports whether EDUPULSE_ENV is production.
func (c Config) Production() bool { return c.Env == EnvProduction }

// validateNATSAuth checks the NATS credentials: one way at most, only for
// an external server, files readable now rather than at the first
// reconnect. Messages name variables and files, never a secret.
func (c Config) validateNATSAuth() []error {
	var errs []error
	var set []string
	for _, v := range []struct{ name, val string }{
		{"NATS_CREDS", c.NATSCredsFile}, {"NATS_NKEY_SEED_FILE", c.NATSNkeySeedFile}, {"NATS_TOKEN", c.NATSToken},
	} {
		if v.val != "" {
			set = append(set, v.name)
		}
	}
	if len(set) == 0 {
		return nil
	}
	if c.NATSURL == "" {
		return []error{fmt.Errorf("%s needs NATS_URL: the embedded NATS is reached in-process, without credentials", strings.Join(set, ", "))}
	}
	if len(set) > 1 {
		errs = append(errs, fmt.Errorf("set one of %s, not several", strings.Join(set, ", ")))
	}
	for _, s := range strings.Split(c.NATSURL, ",") {
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && u.User != nil {
			errs = append(errs, fmt.Errorf("NATS_URL carries credentials and %s is set too: use one", strings.Join(set, ", ")))
			break
		}
	}
	for _, f := range []struct{ name, path string }{
		{"NATS_CREDS", c.NATSCredsFile}, {"NATS_NKEY_SEED_FILE", c.NATSNkeySeedFile},
	} {
		if f.path == "" {
			continue
		}
		if fh, err := os.Open(f.path); err != nil {
			errs = append(errs, fmt.Errorf("%s %q cannot be read: %w", f.name, f.path, err))
		} else {
			_ = fh.Close()
		}
	}
	return errs
}

// NATSAuthMethod names how the service authenticates to NATS, for logs.
func (c Config) NATSAuthMethod() string {
	switch {
	case c.NATSURL == "":
		return "in-process"
	case c.NATSCredsFile != "":
		return "creds file"
	case c.NATSNkeySeedFile != "":
		return "nkey seed file"
	case c.NATSToken != "":
		return "token"
	}
	for _, s := range strings.Split(c.NATSURL, ",") {
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				return "user and password in NATS_URL"
			}
			return "token in NATS_URL"
		}
	}
	return "none"
}

// DevMode reports whether no JWT secret was given.
func (c Config) DevMode() bool { return c.JWTSecret == "" && c.JWKSURL == "" }

// String is safe to log: passwords in URLs and the secret are masked.
func (c Config) String() string {
	secret := "unset (development mode)"
	if c.JWTSecret != "" {
		secret = "set (masked)"
	}
	db := "embedded SQLite in data dir"
	if c.DatabaseURL != "" {
		db = redactURL(c.DatabaseURL)
	}
	bus := "embedded NATS in data dir"
	if c.NATSURL != "" {
		var urls []string
		for _, s := range strings.Split(c.NATSURL, ",") {
			urls = append(urls, redactNATSURL(s))
		}
		bus = strings.Join(urls, ",")
	}
	return fmt.Sprintf("http=%s data_dir=%s database=%s nats=%s nats_auth=%q stream_replicas=%d jwt_secret=%s jwt_max_ttl=%s allowed_origins=%v pprof=%q drain_period=%s max_conns_per_ip=%d env=%s introspection=%t playground=%t admin=%q rate_limit=%g trusted_documents=%q trusted_documents_only=%t log_level=%s log_format=%s",
		c.HTTPAddr, c.DataDir, db, bus, c.NATSAuthMethod(), c.StreamReplicas, secret, c.JWTMaxTTL, c.AllowedOrigins, c.PprofAddr, c.DrainPeriod, c.MaxConnsPerIP,
		c.Env, c.Introspection, c.Playground, c.AdminAddr, c.RateLimit, c.TrustedDocuments, c.TrustedDocumentsOnly, strings.ToLower(c.LogLevel.String()), c.LogFormat)
}

// redactNATSURL masks a NATS URL's user info whole: a lone user name there
// is a token (nats://token@host), unlike a database URL's.
func redactNATSURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "<unparseable>"
	}
	if u.User != nil {
		u.User = url.User("xxxxx")
	}
	return u.String()
}

func redactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "<unparseable>"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
