package postgres_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

const secretPassword = "s3cret-Passw0rd"

// withPassword is the URL with a password that must never show in an error.
func withPassword(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	u.User = url.UserPassword(u.User.Username(), secretPassword)
	return u
}

// closedPort is a local TCP port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// TestConnectErrorsKeepTheirCause: a database that does not exist and a
// server that is not there are told apart, by Open and by Migrate, and
// neither message carries the password.
func TestConnectErrorsKeepTheirCause(t *testing.T) {
	t.Parallel()
	missing := withPassword(t, testpg.ServerURL(t))
	missing.Path = "/edupulse_missing_" + uuid.NewString()[:8]
	refused := withPassword(t, testpg.ServerURL(t))
	refused.Host = fmt.Sprintf("127.0.0.1:%d", closedPort(t))

	for name, open := range map[string]func(ctx context.Context, url string) error{
		"Open": func(ctx context.Context, url string) error {
			s, err := postgres.Open(ctx, url, postgres.Options{})
			if err == nil {
				s.Close()
			}
			return err
		},
		"Migrate": postgres.Migrate,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			errMissing := open(ctx, missing.String())
			require.Error(t, errMissing)
			require.Contains(t, errMissing.Error(), "does not exist")
			require.Contains(t, errMissing.Error(), "DATABASE_URL")

			errRefused := open(ctx, refused.String())
			require.Error(t, errRefused)
			require.Contains(t, errRefused.Error(), "connection refused")
			require.Contains(t, errRefused.Error(), "DATABASE_URL")

			t.Logf("missing: %v\nrefused: %v", errMissing, errRefused)
			require.NotEqual(t, errMissing.Error(), errRefused.Error())
			for _, err := range []error{errMissing, errRefused} {
				require.NotContains(t, err.Error(), secretPassword)
				require.NotContains(t, fmt.Sprintf("%+v", err), secretPassword)
			}
		})
	}
}
