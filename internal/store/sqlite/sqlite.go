// Package sqlite is the embedded, zero-set-up backend of store.Store: one
// SQLite database file (pure Go, no cgo) holding the pulses, the event log,
// the outbox and the idempotency keys. It owns the SQLite schema's
// encodings (UUIDs as lowercase TEXT, timestamps as INTEGER Unix
// milliseconds, UTC), the serialisation of writers, and the translation of
// SQLite errors into the store's sentinels.
//
// SQLite has one writer at a time, so instead of the per-row locks of the
// PostgreSQL backend every unit of work is a BEGIN IMMEDIATE transaction on
// a single-connection write pool: version assignment and outbox order
// follow from that alone. Reads go to a separate pool of read-only
// connections, which WAL mode lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/migrations"
)

var _ store.Store = (*Store)(nil)

// busyTimeoutMS is how long a statement waits for a lock held by another
// process on the same file before failing with SQLITE_BUSY. Within one
// process writers queue on the write pool instead.
const busyTimeoutMS = 10_000

// Store is a SQLite-backed store.Store. It is safe for concurrent use.
type Store struct {
	w *sql.DB // one connection: the single writer
	r *sql.DB // read-only connections

	// outbox is a one-slot semaphore: holding its token is the right to
	// tail the outbox. A channel rather than a sync.Mutex so that waiting
	// for it can end with the caller's context.
	outbox chan struct{}
}

// Open opens (creating it and its directory if needed) the database file at
// path and applies any pending migration.
func Open(ctx context.Context, path string) (*Store, error) {
	w, err := openWriter(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, w); err != nil {
		return nil, errors.Join(err, w.Close())
	}
	r, err := sql.Open("sqlite", dsn(path, "_query_only=1"))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite: open %s: %w", path, err), w.Close())
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	if err := r.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite: open %s: %w", path, err), r.Close(), w.Close())
	}
	return &Store{w: w, r: r, outbox: make(chan struct{}, 1)}, nil
}

// Migrate applies the pending migrations to the database file at path (for
// `edupulse migrate`; Open does the same).
func Migrate(ctx context.Context, path string) error {
	w, err := openWriter(ctx, path)
	if err != nil {
		return err
	}
	return errors.Join(migrate(ctx, w), w.Close())
}

// openWriter opens the single-connection write pool. journal_mode=WAL is
// persistent in the file, so setting it here covers the readers too;
// synchronous=NORMAL is safe in WAL mode (a power cut may lose the last
// commits, never corrupt the file) and much faster than FULL.
func openWriter(ctx context.Context, path string) (*sql.DB, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, "file:") || path == ":memory:" {
		// The DSN is path?options; an in-memory database would differ
		// per connection of the two pools.
		return nil, fmt.Errorf("sqlite: unsupported database path %q", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := private(path); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w, err := sql.Open("sqlite", dsn(path,
		"_txlock=immediate",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=foreign_keys(1)",
	))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One connection, kept open: database/sql then queues writers in
	// process (honouring their contexts) rather than SQLite making them
	// spin on the busy timeout.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite: open %s: %w", path, err), w.Close())
	}
	return w, nil
}

// private makes the database file readable and writable by its owner only,
// like the development secret: it holds every answer, and who paid what.
// SQLite would create it 0644; created here first, 0600, it is opened as
// it is, and SQLite gives the -wal and -shm files it creates beside it the
// database file's mode. Files left more open by an earlier version are
// narrowed.
func private(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, info.Mode().Perm()&0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

func dsn(path string, opts ...string) string {
	return path + "?" + strings.Join(append([]string{fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeoutMS)}, opts...), "&")
}

// migrate brings the schema up to date; goose records what it applied, so
// running it on every open is a no-op once done.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations.SQLite, "sqlite")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys)
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() {
	_ = s.r.Close()
	_ = s.w.Close()
}

// Ping checks that both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	return errors.Join(s.w.PingContext(ctx), s.r.PingContext(ctx))
}

// Write runs fn in one BEGIN IMMEDIATE transaction. Taking the write lock
// up front, before the idempotency lookup, makes the lookup, fn and the
// recording of the key one atomic step: two retries of one request cannot
// both run fn.
func (s *Store) Write(ctx context.Context, idem *store.Idempotency, fn func(ctx context.Context, tx store.Tx) (store.Outcome, error)) (out store.Outcome, replayed bool, err error) {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return store.Outcome{}, false, fmt.Errorf("sqlite: begin: %w", err)
	}
	defer func() {
		// A panicking fn must not leave the transaction open: it would hold
		// the only write connection for good.
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
				err = errors.Join(err, fmt.Errorf("sqlite: rollback: %w", rbErr))
			}
			out, replayed = store.Outcome{}, false
		}
	}()

	if idem != nil {
		var fingerprint string
		var stored sql.NullString
		err := sqlTx.QueryRowContext(ctx,
			`SELECT fingerprint, outcome FROM idempotency_keys WHERE actor_id = ? AND key = ?`,
			idem.ActorID, idem.Key).Scan(&fingerprint, &stored)
		switch {
		case err == nil:
			if fingerprint != idem.Fingerprint {
				return out, false, store.ErrIdempotencyKeyReused
			}
			if err := json.Unmarshal([]byte(stored.String), &out); err != nil {
				return out, false, fmt.Errorf("sqlite: stored outcome: %w", err)
			}
			// Nothing was written: ending the transaction either way is fine.
			if err := sqlTx.Commit(); err != nil {
				return out, false, fmt.Errorf("sqlite: commit: %w", err)
			}
			return out, true, nil
		case !errors.Is(err, sql.ErrNoRows):
			return out, false, fmt.Errorf("sqlite: idempotency lookup: %w", err)
		}
	}

	out, err = fn(ctx, &tx{tx: sqlTx})
	if err != nil {
		return out, false, err
	}

	if idem != nil {
		b, err := json.Marshal(out)
		if err != nil {
			return out, false, fmt.Errorf("sqlite: encode outcome: %w", err)
		}
		if _, err := sqlTx.ExecContext(ctx,
			`INSERT INTO idempotency_keys (actor_id, key, fingerprint, outcome) VALUES (?, ?, ?, ?)`,
			idem.ActorID, idem.Key, idem.Fingerprint, string(b)); err != nil {
			return out, false, translate("record idempotency key", err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return out, false, translate("commit", err)
	}
	return out, false, nil
}

// translate turns the SQLite errors that mean something to callers into
// store sentinels; the driver error's text is kept for the logs, but not
// its type, so that nothing above the store can depend on it.
func translate(op string, err error) error {
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w (%s)", op, store.ErrConflict, err.Error())
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("sqlite: %s: %w (%s)", op, store.ErrNotFound, err.Error())
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// Timestamps are stored as Unix milliseconds, UTC: the precision of the
// wire format, exact, and ordered as plain integers.

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: millis(*t), Valid: true}
}

func timePtr(ms sql.NullInt64) *time.Time {
	if !ms.Valid {
		return nil
	}
	t := fromMillis(ms.Int64)
	return &t
}

// idList encodes ids as one JSON array parameter, read back in SQL with
// json_each: one statement whatever the number of ids, and no limit on
// bound variables to hit.
func idList(ids []uuid.UUID) (string, error) {
	b, err := json.Marshal(ids) // uuid.UUID marshals as lowercase text
	return string(b), err
}

// limit applies the default and the cap of every listing.
func limit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}
