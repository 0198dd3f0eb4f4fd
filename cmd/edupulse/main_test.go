package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/auth"
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
