package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("k", 40)
	env := func(k string) string {
		if k == "EDUPULSE_JWT_SECRET" {
			return secret
		}
		return ""
	}
	var out bytes.Buffer
	sub := "6f1c4a52-2b9e-4c43-9a0e-1c7b3d2e4f50"
	require.NoError(t, run(context.Background(), []string{"token", "--sub", sub, "--role", "teacher", "--ttl", "2h"}, env, &out, &out))
	tokens, err := auth.NewTokens([]byte(secret))
	require.NoError(t, err)
	a, _, err := tokens.Verify(strings.TrimSpace(out.String()))
	require.NoError(t, err)
	require.Equal(t, sub, a.ID.String())
	require.Equal(t, auth.RoleTeacher, a.Role)

	for name, args := range map[string][]string{
		"bad sub":  {"token", "--sub", "nope", "--role", "teacher"},
		"bad role": {"token", "--sub", sub, "--role", "principal"},
	} {
		require.Error(t, run(context.Background(), args, env, &out, &out), name)
	}
	err = run(context.Background(), []string{"token", "--sub", sub, "--role", "admin"}, func(string) string { return "" }, &out, &out)
	require.ErrorContains(t, err, "EDUPULSE_JWT_SECRET")
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.Error(t, run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out, &out))
	require.Contains(t, out.String(), "usage")
}

func TestMigrateCommandOnSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out bytes.Buffer
	env := func(k string) string {
		if k == "EDUPULSE_DATA_DIR" {
			return dir
		}
		return ""
	}
	for range 2 { // idempotent
		require.NoError(t, run(context.Background(), []string{"migrate"}, env, &out, &out))
	}
	require.FileExists(t, dir+"/"+sqliteFile)
}

// TestDatabaseErrorKeepsItsCause: what `edupulse serve` and `edupulse
// migrate` report when the database cannot be reached says why (a missing
// database, a refused connection), never with the password.
func TestDatabaseErrorKeepsItsCause(t *testing.T) {
	t.Parallel()
	const password = "s3cret-Passw0rd"
	missing, err := url.Parse(testpg.ServerURL(t))
	require.NoError(t, err)
	missing.User = url.UserPassword(missing.User.Username(), password)
	missing.Path = "/edupulse_missing_" + uuid.NewString()[:8]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := *missing
	refused.Host = ln.Addr().String()
	require.NoError(t, ln.Close())

	for _, cmd := range []string{"serve", "migrate"} {
		causes := map[string]string{}
		for cause, u := range map[string]string{"does not exist": missing.String(), "connection refused": refused.String()} {
			dir := t.TempDir()
			env := func(k string) string {
				switch k {
				case "DATABASE_URL":
					return u
				case "EDUPULSE_DATA_DIR":
					return dir
				case "EDUPULSE_HTTP_ADDR":
					return "127.0.0.1:0"
				}
				return ""
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			var out bytes.Buffer
			err := run(ctx, []string{cmd}, env, &out, &out)
			cancel()
			require.Error(t, err, cmd)
			require.Contains(t, err.Error(), cause, cmd)
			require.NotContains(t, err.Error()+out.String(), password, cmd)
			causes[cause] = err.Error()
		}
		require.NotEqual(t, causes["does not exist"], causes["connection refused"], cmd)
	}
}

// TestTokenCommandHonoursMaxTTL: the token command does not print a token
// the server would refuse as too long-lived.
func TestTokenCommandHonoursMaxTTL(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"EDUPULSE_JWT_SECRET": strings.Repeat("k", 40)}
	env := func(k string) string { return vars[k] }
	args := []string{"token", "--sub", "6f1c4a52-2b9e-4c43-9a0e-1c7b3d2e4f50", "--role", "student", "--ttl", "48h"}
	var out bytes.Buffer
	require.Error(t, run(context.Background(), args, env, &out, &out), "48h is past the default maximum")

	vars["EDUPULSE_JWT_MAX_TTL"] = "72h"
	out.Reset()
	require.NoError(t, run(context.Background(), args, env, &out, &out))
	tokens, err := auth.NewTokens([]byte(vars["EDUPULSE_JWT_SECRET"]), auth.WithMaxTTL(72*time.Hour))
	require.NoError(t, err)
	_, _, err = tokens.Verify(strings.TrimSpace(out.String()))
	require.NoError(t, err)
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, io.Discard))
	require.Regexp(t, `^edupulse \S+\ncommit \S+`, out.String())
	require.Contains(t, out.String(), "go1.")
}
