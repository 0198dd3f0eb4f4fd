// Package testpg owns the PostgreSQL server that tests run against and the
// isolated databases they get from it.
//
// A package whose tests need PostgreSQL calls [Main] (or [Run]) from its
// TestMain, so that a throwaway cluster started for the run is stopped, and
// its directory removed, when the run ends:
//
//	func TestMain(m *testing.M) { testpg.Main(m) }
//
// and each test asks for its own database, cloned from a migrated template:
//
//	url := testpg.Database(t, postgres.Migrate)
//
// The server is found once per test process, in this order:
//
//  1. TEST_DATABASE_URL, when set (an admin URL: the role must be allowed to
//     CREATE DATABASE);
//  2. postgres://postgres@127.0.0.1:5432/postgres, when it answers within
//     two seconds (skipped when EDUPULSE_TESTPG_FORCE_LOCAL=1);
//  3. a throwaway cluster started from the PostgreSQL server binaries found
//     under /usr/lib/postgresql/*/bin or on PATH (initdb and postgres), in a
//     temporary directory, on a free port of 127.0.0.1, with fsync off. When
//     the tests run as root the cluster runs as the user nobody.
//
// A throwaway cluster belongs to one test process (go test runs one per
// package). Without Main, or when the process is killed (by -timeout, say),
// the postmaster is still told to quit as the process dies (Linux), and its
// directory, edupulse-testpg-* under the temporary directory, is removed by
// the next run that starts a cluster. To exercise this path on a machine
// that has a server on port 5432:
//
//	EDUPULSE_TESTPG_FORCE_LOCAL=1 go test ./internal/testpg/
//
// When none of them works the test fails with a message saying how to
// provide a server. EDUPULSE_SKIP_POSTGRES=1 turns that failure into a skip:
// an explicit opt-out, never a default.
package testpg

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by this package.
const (
	// EnvURL names the admin URL of the server to use.
	EnvURL = "TEST_DATABASE_URL"
	// EnvForceLocal, set to 1, ignores a server on 127.0.0.1:5432 and starts
	// a throwaway cluster (unless EnvURL is set): the way to exercise the
	// throwaway path on a machine that has a server.
	EnvForceLocal = "EDUPULSE_TESTPG_FORCE_LOCAL"
	// EnvSkip, set to 1, skips tests that need PostgreSQL when no server can
	// be found or started, instead of failing them.
	EnvSkip = "EDUPULSE_SKIP_POSTGRES"
)

// DefaultURL is the server tried when EnvURL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

const pingTimeout = 2 * time.Second

var server struct {
	once    sync.Once
	url     string
	err     error
	cluster *cluster // nil unless this process started one
}

// ServerURL returns the admin URL of the PostgreSQL server for this test
// process, finding or starting it on the first call. It fails tb when there
// is none (or skips it, when EDUPULSE_SKIP_POSTGRES=1). Call it from the test
// goroutine.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	server.once.Do(func() {
		server.url, server.cluster, server.err = findServer()
	})
	if server.err != nil {
		if os.Getenv(EnvSkip) == "1" {
			tb.Skipf("PostgreSQL unavailable and %s=1: %v", EnvSkip, server.err)
		}
		tb.Fatalf("testpg: no PostgreSQL server for tests: %v\n"+
			"Provide one: set %s to an admin URL (a role allowed to CREATE DATABASE), "+
			"run a server on 127.0.0.1:5432 that trusts user postgres, "+
			"or install the PostgreSQL server binaries (initdb, postgres; Debian: apt-get install postgresql) "+
			"so that a throwaway cluster can be started. "+
			"To skip these tests instead, set %s=1.", server.err, EnvURL, EnvSkip)
	}
	return server.url
}

// Main runs the tests of a package, then stops the throwaway cluster if this
// process started one, and exits with the tests' status. Call it from
// TestMain.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run is Main without the exit, for a TestMain that does more after the
// tests (a goroutine-leak check, say: once Run returns, nothing of this
// package is left running). It returns the status to exit with.
func Run(m *testing.M) int {
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintf(os.Stderr, "testpg: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// shutdown releases what this process holds on the server: the admin pool
// and, when it started one, the throwaway cluster.
func shutdown() error {
	closeAdminPool()
	if server.cluster == nil {
		return nil
	}
	return server.cluster.stop()
}

func findServer() (string, *cluster, error) {
	if u := os.Getenv(EnvURL); u != "" {
		if err := ping(u, 10*time.Second); err != nil {
			return "", nil, fmt.Errorf("%s is set but its server does not answer: %w", EnvURL, err)
		}
		return u, nil, nil
	}
	var defaultErr error
	if os.Getenv(EnvForceLocal) == "1" {
		defaultErr = fmt.Errorf("%s not tried: %s=1", DefaultURL, EnvForceLocal)
	} else {
		defaultErr = ping(DefaultURL, pingTimeout)
		if defaultErr == nil {
			return DefaultURL, nil, nil
		}
		defaultErr = fmt.Errorf("%s: %w", DefaultURL, defaultErr)
	}
	c, err := startCluster()
	if err != nil {
		return "", nil, errors.Join(defaultErr, fmt.Errorf("throwaway cluster: %w", err))
	}
	return c.url, c, nil
}

func ping(connString string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

// withDatabase returns connString pointed at database name. It accepts both
// URLs and keyword/value strings; name must not need quoting.
func withDatabase(connString, name string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("parse database URL: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		q := u.Query()
		if q.Has("dbname") || q.Has("database") {
			q.Del("dbname")
			q.Del("database")
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	// keyword/value: a later keyword overrides an earlier one.
	return strings.TrimSpace(connString) + " dbname=" + name, nil
}

// redact hides the password of a URL before it is logged; keyword/value
// strings are not logged at all.
func redact(connString string) string {
	u, err := url.Parse(connString)
	if err != nil || u.Scheme == "" {
		return "(connection string not shown)"
	}
	return u.Redacted()
}

// M wraps m so that its Run is this package's Run: for a TestMain that
// hands the tests to a runner of its own, such as
// goleak.VerifyTestMain(testpg.M(m)), which then checks for leaks once
// the admin pool and any throwaway cluster are gone.
func M(m *testing.M) interface{ Run() int } { return mainRunner{m} }

type mainRunner struct{ m *testing.M }

func (r mainRunner) Run() int { return Run(r.m) }
