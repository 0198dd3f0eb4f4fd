package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5" //nolint:depguard // the benchmark creates and drops its own database, and seeds pgbench's rows
)

// DefaultPostgresURL is tried when neither DATABASE_URL nor
// TEST_DATABASE_URL is set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// FindPostgres returns the admin URL of the PostgreSQL server to use and
// where it came from: DATABASE_URL, then TEST_DATABASE_URL (an error if the
// one set does not answer), else DefaultPostgresURL when it answers within
// 2 s. No server: "", "", nil.
func FindPostgres(ctx context.Context, getenv func(string) string) (string, string, error) {
	for _, name := range []string{"DATABASE_URL", "TEST_DATABASE_URL"} {
		if u := strings.TrimSpace(getenv(name)); u != "" {
			if err := ping(ctx, u, 10*time.Second); err != nil {
				return "", "", fmt.Errorf("%s is set but its server does not answer: %w", name, err)
			}
			return u, name, nil
		}
	}
	if ping(ctx, DefaultPostgresURL, 2*time.Second) == nil {
		return DefaultPostgresURL, "127.0.0.1:5432", nil
	}
	return "", "", nil
}

func ping(ctx context.Context, u string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// Database is a database the benchmark created and drops after.
type Database struct {
	Name string
	// URL connects to it.
	URL   string
	admin string
}

// CreateDatabase creates edupulse_bench_<random> on the server of admin.
func CreateDatabase(ctx context.Context, admin string) (*Database, error) {
	buf := make([]byte, 6)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	name := "edupulse_bench_" + hex.EncodeToString(buf)
	u, err := withDatabase(admin, name)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	return &Database{Name: name, URL: u, admin: admin}, nil
}

// Drop drops the database, ending the sessions still connected to it.
func (d *Database) Drop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.Name}.Sanitize()+" WITH (FORCE)")
	return err
}

// Exec runs SQL statements (no arguments) in the database.
func (d *Database) Exec(ctx context.Context, sql ...string) error {
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, s := range sql {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%.60s…: %w", s, err)
		}
	}
	return nil
}

// Version is the server's version string, e.g. "PostgreSQL 15.20".
func (d *Database) Version(ctx context.Context) string {
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		return "PostgreSQL"
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "PostgreSQL"
	}
	v, _, _ = strings.Cut(v, " ")
	return "PostgreSQL " + v
}

// Count runs a count query.
func (d *Database) Count(ctx context.Context, sql string) (int64, error) {
	conn, err := pgx.Connect(ctx, d.URL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int64
	err = conn.QueryRow(ctx, sql).Scan(&n)
	return n, err
}

// withDatabase returns connString pointed at database name; it accepts
// URLs and keyword/value strings.
func withDatabase(connString, name string) (string, error) {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", errors.New("the PostgreSQL URL does not parse")
		}
		u.Path, u.RawPath = "/"+name, ""
		q := u.Query()
		q.Del("dbname")
		q.Del("database")
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return strings.TrimSpace(connString) + " dbname=" + name, nil
}
