package testpg

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/edupulse/edupulse-live/migrations"
)

// MigrateFunc applies a schema to the (empty) database at url.
type MigrateFunc func(ctx context.Context, url string) error

const (
	templatePrefix = "edupulse_tpl_"
	databasePrefix = "edupulse_t_"
	// templateDone marks a template whose migration finished; a template
	// without it was left half-built by a killed process and is rebuilt.
	templateDone = "edupulse testpg template: complete"

	migrateTimeout = 5 * time.Minute
	adminTimeout   = time.Minute
)

// templates holds one entry per template name, so that the tests of one
// process build each template at most once, however many run in parallel.
var templates sync.Map // name → *templateEntry

type templateEntry struct {
	once sync.Once
	err  error
}

// Database returns the URL of a new database for this test, cloned from a
// template database that migrate built (once per template, across all test
// processes sharing the server). The database is dropped when the test
// passes and kept, with its name logged, when it fails.
//
// The template is named for a hash of the embedded PostgreSQL migrations
// (migrations.Postgres) and of migrate's function name, so a change to the
// SQL builds a new template, and different migrate functions never share
// one. A change to migrate's Go code alone does not: give the function a new
// name, or drop the edupulse_tpl_* databases, when that matters.
//
// Safe for parallel tests. Nothing may stay connected to the template, or
// cloning fails: migrate must close every connection it opens.
func Database(t testing.TB, migrate MigrateFunc) string {
	t.Helper()
	if migrate == nil {
		t.Fatalf("testpg: Database needs a migrate function")
	}
	admin := ServerURL(t)
	pool, err := adminPool(admin)
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	tpl, lockKey, err := templateName(migrate)
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	e, _ := templates.LoadOrStore(tpl, new(templateEntry))
	entry := e.(*templateEntry)
	entry.once.Do(func() {
		entry.err = ensureTemplate(pool, admin, tpl, lockKey, migrate)
	})
	if entry.err != nil {
		t.Fatalf("testpg: template %s: %v", tpl, entry.err)
	}

	name := databasePrefix + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(tpl)); err != nil {
		t.Fatalf("testpg: create database %s from %s: %v", name, tpl, err)
	}
	// Names the test on a kept database, for whoever inspects it later.
	var comment string
	err = pool.QueryRow(ctx, "SELECT format('COMMENT ON DATABASE %I IS %L', $1::text, $2::text)", name, "test "+t.Name()).Scan(&comment)
	if err == nil {
		_, err = pool.Exec(ctx, comment)
	}
	if err != nil {
		t.Fatalf("testpg: comment on database %s: %v", name, err)
	}
	url, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testpg: kept database %s of the failed test for inspection: %s", name, redact(url))
			return
		}
		// t.Context is already cancelled when clean-ups run.
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		if _, err := pool.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("testpg: drop database %s: %v", name, err)
		}
	})
	return url
}

// ensureTemplate builds the template tpl unless a complete one exists. The
// advisory lock serialises the test processes (go test runs packages in
// parallel) that need the same template; it is a session lock, so a process
// killed mid-build releases it.
func ensureTemplate(pool *pgxpool.Pool, admin, tpl string, lockKey int64, migrate MigrateFunc) error {
	ctx, cancel := context.WithTimeout(context.Background(), migrateTimeout)
	defer cancel()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire admin connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", lockKey); uerr != nil {
			// The session keeps the lock: do not hand it back to the pool.
			_ = conn.Hijack().Close(context.Background())
		}
	}()

	var comment *string
	err = conn.QueryRow(ctx,
		"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", tpl).Scan(&comment)
	switch {
	case err == nil && comment != nil && *comment == templateDone:
		return nil
	case err == nil: // left half-built
		if _, err := conn.Exec(ctx, "DROP DATABASE "+ident(tpl)+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop incomplete template: %w", err)
		}
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("look up template: %w", err)
	}

	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident(tpl)); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	url, err := withDatabase(admin, tpl)
	if err != nil {
		return err
	}
	if err := migrate(ctx, url); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// No connections from now on: CREATE DATABASE ... TEMPLATE fails while
	// anyone is connected to the template. Connections migrate left open
	// are ended rather than waited for.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(tpl)+" ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("close template to connections: %w", err)
	}
	if _, err := conn.Exec(ctx,
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", tpl); err != nil {
		return fmt.Errorf("end connections to template: %w", err)
	}
	if _, err := conn.Exec(ctx, "COMMENT ON DATABASE "+ident(tpl)+" IS '"+templateDone+"'"); err != nil {
		return fmt.Errorf("mark template complete: %w", err)
	}
	return nil
}

// templateName derives the template's name, and the advisory lock key that
// guards its creation, from the embedded migrations and migrate's name.
func templateName(migrate MigrateFunc) (string, int64, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.Postgres, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.Postgres, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", 0, fmt.Errorf("hash migrations: %w", err)
	}
	fmt.Fprintf(h, "migrate\x00%s", runtime.FuncForPC(reflect.ValueOf(migrate).Pointer()).Name())
	sum := h.Sum(nil)
	return templatePrefix + hex.EncodeToString(sum[:6]), int64(binary.BigEndian.Uint64(sum[8:16])), nil
}

var admin struct {
	mu   sync.Mutex
	pool *pgxpool.Pool
}

// adminPool returns the process's pool on the admin database, which creates
// and drops the test databases.
func adminPool(url string) (*pgxpool.Pool, error) {
	admin.mu.Lock()
	defer admin.mu.Unlock()
	if admin.pool != nil {
		return admin.pool, nil
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse admin URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("admin pool: %w", err)
	}
	admin.pool = pool
	return pool, nil
}

func closeAdminPool() {
	admin.mu.Lock()
	defer admin.mu.Unlock()
	if admin.pool != nil {
		admin.pool.Close()
		admin.pool = nil
	}
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b)
}
