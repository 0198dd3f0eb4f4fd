package config_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.FromEnv(env(nil))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:8080", c.HTTPAddr)
	require.Equal(t, "./data", c.DataDir)
	require.True(t, c.DevMode())
	require.Empty(t, c.DatabaseURL)
	require.Empty(t, c.NATSURL)
	require.Empty(t, c.PprofAddr, "no profiling endpoint unless asked for")
}

// Draining only helps where a load balancer has other instances to send
// requests to: with PostgreSQL, not with the embedded single-node store.
func TestDrainPeriodDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.FromEnv(env(nil))
	require.NoError(t, err)
	require.Zero(t, c.DrainPeriod)
	c, err = config.FromEnv(env(map[string]string{"DATABASE_URL": "postgres://db/x"}))
	require.NoError(t, err)
	require.Equal(t, config.DefaultDrainPeriod, c.DrainPeriod)
	c, err = config.FromEnv(env(map[string]string{"DATABASE_URL": "postgres://db/x", "EDUPULSE_DRAIN_PERIOD": "250ms"}))
	require.NoError(t, err)
	require.Equal(t, 250*time.Millisecond, c.DrainPeriod)
}

func TestValidationNamesTheVariable(t *testing.T) {
	t.Parallel()
	_, err := config.FromEnv(env(map[string]string{
		"EDUPULSE_HTTP_ADDR":       "nope",
		"DATABASE_URL":             "mysql://x",
		"NATS_URL":                 "nats://a:4222,http://b",
		"EDUPULSE_JWT_SECRET":      "short",
		"EDUPULSE_ALLOWED_ORIGINS": "example.com",
		"EDUPULSE_PPROF_ADDR":      "6060",
		"EDUPULSE_DRAIN_PERIOD":    "forever",
		"EDUPULSE_MAX_DEPTH":       "0",
	}))
	require.Error(t, err)
	for _, name := range []string{"EDUPULSE_HTTP_ADDR", "DATABASE_URL", "NATS_URL", "EDUPULSE_JWT_SECRET", "EDUPULSE_ALLOWED_ORIGINS", "EDUPULSE_PPROF_ADDR", "EDUPULSE_DRAIN_PERIOD", "EDUPULSE_MAX_DEPTH"} {
		require.Contains(t, err.Error(), name)
	}
	require.NotContains(t, err.Error(), "short", "the secret is never echoed")
}

func TestStringMasksSecrets(t *testing.T) {
	t.Parallel()
	c, err := config.FromEnv(env(map[string]string{
		"DATABASE_URL":        "postgres://app:hunter2@db:5432/edu?password=alsosecret",
		"NATS_URL":            "nats://user:natspass@n1:4222",
		"EDUPULSE_JWT_SECRET": strings.Repeat("s", 40),
	}))
	require.NoError(t, err)
	s := c.String()
	for _, secret := range []string{"hunter2", "alsosecret", "natspass", strings.Repeat("s", 40)} {
		require.NotContains(t, s, secret)
	}
	require.Contains(t, s, "db:5432")
}

// Production changes the defaults of contract §8 (Production mode); each has its override.
func TestProductionDefaults(t *testing.T) {
	t.Parallel()
	dev, err := config.FromEnv(env(nil))
	require.NoError(t, err)
	require.False(t, dev.Production())
	require.True(t, dev.Introspection)
	require.True(t, dev.Playground)

	_, err = config.FromEnv(env(map[string]string{"EDUPULSE_ENV": "production"}))
	require.ErrorContains(t, err, "EDUPULSE_JWT_SECRET or EDUPULSE_JWKS_URL is required", "no development tokens in production")

	prodEnv := map[string]string{"EDUPULSE_ENV": "production", "EDUPULSE_JWT_SECRET": strings.Repeat("s", 32)}
	prod, err := config.FromEnv(env(prodEnv))
	require.NoError(t, err)
	require.True(t, prod.Production())
	require.False(t, prod.Introspection)
	require.False(t, prod.Playground)
	require.InDelta(t, config.DefaultProductionRateLimit, prod.RateLimit, 0)
	require.Zero(t, dev.RateLimit, "no rate limit in development unless asked")

	prodEnv["EDUPULSE_INTROSPECTION"], prodEnv["EDUPULSE_PLAYGROUND"] = "true", "1"
	prod, err = config.FromEnv(env(prodEnv))
	require.NoError(t, err)
	require.True(t, prod.Introspection)
	require.True(t, prod.Playground)

	_, err = config.FromEnv(env(map[string]string{"EDUPULSE_ENV": "staging", "EDUPULSE_PLAYGROUND": "maybe", "EDUPULSE_ADMIN_ADDR": "9090"}))
	for _, name := range []string{"EDUPULSE_ENV", "EDUPULSE_PLAYGROUND", "EDUPULSE_ADMIN_ADDR"} {
		require.ErrorContains(t, err, name)
	}
}

func TestJWTMaxTTL(t *testing.T) {
	t.Parallel()
	c, err := config.FromEnv(env(nil))
	require.NoError(t, err)
	require.Equal(t, 24*time.Hour, c.JWTMaxTTL, "a day by default")

	c, err = config.FromEnv(env(map[string]string{"EDUPULSE_JWT_MAX_TTL": "90m"}))
	require.NoError(t, err)
	require.Equal(t, 90*time.Minute, c.JWTMaxTTL)

	for _, bad := range []string{"0", "0s", "-1h", "a day", "24"} {
		_, err := config.FromEnv(env(map[string]string{"EDUPULSE_JWT_MAX_TTL": bad}))
		require.ErrorContains(t, err, "EDUPULSE_JWT_MAX_TTL", bad)
	}
}

func TestNATSCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	creds := filepath.Join(dir, "app.creds")
	require.NoError(t, os.WriteFile(creds, []byte("-----BEGIN NATS USER JWT-----"), 0o600))

	c, err := config.FromEnv(env(map[string]string{"NATS_URL": "nats://n1:4222", "NATS_CREDS": creds}))
	require.NoError(t, err)
	require.Equal(t, creds, c.NATSCredsFile)
	require.Equal(t, "creds file", c.NATSAuthMethod())

	c, err = config.FromEnv(env(map[string]string{"NATS_URL": "nats://n1:4222,nats://n2:4222", "NATS_TOKEN": "s3cr3t-token"}))
	require.NoError(t, err)
	require.NotContains(t, c.String(), "s3cr3t-token")
	require.Contains(t, c.String(), `nats_auth="token"`)

	// A token in the URL is its user name: masked all the same.
	c, err = config.FromEnv(env(map[string]string{"NATS_URL": "nats://s3cr3t-token@n1:4222"}))
	require.NoError(t, err)
	require.NotContains(t, c.String(), "s3cr3t-token")
	require.Contains(t, c.String(), "n1:4222")

	for name, vars := range map[string]map[string]string{
		"credentials for the embedded server": {"NATS_TOKEN": "s3cr3t-token"},
		"two ways at once":                    {"NATS_URL": "nats://n1:4222", "NATS_TOKEN": "s3cr3t-token", "NATS_CREDS": creds},
		"URL credentials and a variable":      {"NATS_URL": "nats://u:p@n1:4222", "NATS_TOKEN": "s3cr3t-token"},
		"unreadable seed file":                {"NATS_URL": "nats://n1:4222", "NATS_NKEY_SEED_FILE": filepath.Join(dir, "missing.nk")},
	} {
		_, err := config.FromEnv(env(vars))
		require.Error(t, err, name)
		require.NotContains(t, err.Error(), "s3cr3t-token", name)
	}
}

// An identity provider's key set replaces the secret: no development mode,
// and production accepts it.
func TestIdentityProvider(t *testing.T) {
	t.Parallel()
	c, err := config.FromEnv(env(map[string]string{
		"EDUPULSE_ENV": "production", "EDUPULSE_JWKS_URL": "https://idp.example/.well-known/jwks.json",
		"EDUPULSE_JWT_ISSUER": "https://idp.example/", "EDUPULSE_JWT_AUDIENCE": "edupulse",
		"EDUPULSE_JWT_ROLE_CLAIM": "/realm_access/roles",
	}))
	require.NoError(t, err)
	require.False(t, c.DevMode())
	require.Equal(t, "/realm_access/roles", c.JWTRoleClaim)

	_, err = config.FromEnv(env(map[string]string{"EDUPULSE_JWKS_URL": "idp.example", "EDUPULSE_JWT_ROLE_CLAIM": "role"}))
	require.ErrorContains(t, err, "EDUPULSE_JWKS_URL")
	require.ErrorContains(t, err, "EDUPULSE_JWT_ROLE_CLAIM")
}

func TestVariablesListsWhatFromEnvReads(t *testing.T) {
	read := map[string]bool{}
	_, _ = config.FromEnv(func(k string) string { read[k] = true; return "" })
	listed := map[string]bool{}
	for _, v := range config.Variables {
		listed[v.Name] = true
		if !read[v.Name] {
			t.Errorf("%s is listed but FromEnv does not read it", v.Name)
		}
	}
	for k := range read {
		if !listed[k] {
			t.Errorf("FromEnv reads %s, which Variables does not list", k)
		}
	}
}

func TestLogSettings(t *testing.T) {
	c, err := config.FromEnv(func(k string) string {
		return map[string]string{"EDUPULSE_LOG_LEVEL": "debug", "EDUPULSE_LOG_FORMAT": "text"}[k]
	})
	if err != nil || c.LogLevel != slog.LevelDebug || c.LogFormat != "text" {
		t.Fatalf("got %v %v %v", c.LogLevel, c.LogFormat, err)
	}
	if !strings.Contains(c.String(), "log_level=debug log_format=text") {
		t.Fatalf("String: %s", c.String())
	}
	_, err = config.FromEnv(func(k string) string {
		return map[string]string{"EDUPULSE_LOG_LEVEL": "loud", "EDUPULSE_LOG_FORMAT": "xml"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "EDUPULSE_LOG_LEVEL") || !strings.Contains(err.Error(), "EDUPULSE_LOG_FORMAT") {
		t.Fatalf("err %v", err)
	}
}
