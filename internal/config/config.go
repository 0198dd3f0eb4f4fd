// Package config reads the service's configuration from the environment:
// one struct, its defaults in one place, validation that names the
// variable at fault, and a String that never shows a secret.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is everything `edupulse serve` needs to start.
type Config struct {
	// HTTPAddr is EDUPULSE_HTTP_ADDR.
	HTTPAddr string
	// DataDir is EDUPULSE_DATA_DIR: the embedded store and NATS server's files.
	DataDir string
	// DatabaseURL is DATABASE_URL; empty selects the embedded SQLite store.
	DatabaseURL string
	// NATSURL is NATS_URL; empty selects the embedded NATS server.
	NATSURL string
	// JWTSecret is EDUPULSE_JWT_SECRET; empty selects development mode.
	JWTSecret string
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
}

// Defaults are the values used when a variable is unset.
var Defaults = Config{
	HTTPAddr:       "127.0.0.1:8080",
	DataDir:        "./data",
	StreamReplicas: 1,
	JWTMaxTTL:      24 * time.Hour,
}

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
	set(&c.PprofAddr, "EDUPULSE_PPROF_ADDR")
	c.JWTSecret = getenv("EDUPULSE_JWT_SECRET")
	for _, o := range strings.Split(getenv("EDUPULSE_ALLOWED_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.AllowedOrigins = append(c.AllowedOrigins, o)
		}
	}
	var errs []error
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
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		errs = append(errs, fmt.Errorf("EDUPULSE_STREAM_REPLICAS must be from 1 to 5"))
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

// DevMode reports whether no JWT secret was given.
func (c Config) DevMode() bool { return c.JWTSecret == "" }

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
		bus = redactURL(c.NATSURL)
	}
	return fmt.Sprintf("http=%s data_dir=%s database=%s nats=%s stream_replicas=%d jwt_secret=%s jwt_max_ttl=%s allowed_origins=%v pprof=%q",
		c.HTTPAddr, c.DataDir, db, bus, c.StreamReplicas, secret, c.JWTMaxTTL, c.AllowedOrigins, c.PprofAddr)
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
