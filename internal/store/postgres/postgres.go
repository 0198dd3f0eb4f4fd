// Package postgres is the production store: PostgreSQL through pgx/v5.
//
// Writes are queued and sent to the server in pipelined batches, so a unit
// of work costs about as many round trips as it has decisions to make (one
// for a new pulse, two for an answer). The outbox tail is commit-safe: see
// outbox.go.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/migrations"
)

// Store is the PostgreSQL backend.
type Store struct {
	pool *pgxpool.Pool
	// tail is the live fan-out's own small pool (see Tail); nil in a Tail.
	tail *pgxpool.Pool
	// outboxConfig opens the dedicated connection that holds the relay's
	// leader lock; it is kept out of the pool so the lock lives exactly as
	// long as that connection.
	outboxConfig *pgx.ConnConfig

	retry retryPolicy
	// onAttempt, for tests, learns the backend pid of each write attempt.
	onAttempt func(pid uint32)
}

var _ store.Store = (*Store)(nil)

// DefaultMaxConns is the pool size when neither Options nor the URL's
// pool_max_conns set one.
const DefaultMaxConns = 16

// Options tune the pool; zero values take the defaults.
type Options struct {
	MaxConns int32
}

// Open connects, applies pending migrations and returns the store.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if err := Migrate(ctx, url); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", redact(err))
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		// pgxpool's default, max(4, cores), starves the hub and the relay
		// behind 16 concurrent writers; pool_max_conns in the URL wins.
		cfg.MaxConns = max(cfg.MaxConns, DefaultMaxConns)
	}
	// A transaction left idle holds its locks (a pulse's writers would queue
	// behind it) and holds back vacuum, so the server ends such sessions.
	cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = "60000"
	cfg.AfterConnect = registerUUID
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", redact(err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", redact(err))
	}
	tcfg := cfg.Copy()
	tcfg.MaxConns, tcfg.MinConns = TailConns, 1
	tail, err := pgxpool.NewWithConfig(ctx, tcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", redact(err))
	}
	return &Store{pool: pool, tail: tail, outboxConfig: cfg.ConnConfig.Copy(), retry: defaultRetry}, nil
}

// TailConns is the size of the live fan-out's pool.
const TailConns = 4

// Tail is the store as the live fan-out reads it: the same database
// through a small pool of its own. Writers queued on a hot pulse's lock
// hold every connection of the main pool while they wait (a class
// answering at once is 64 of them against 16 connections), and the hub's
// reads of what was just committed waited behind them: that wait, not
// the reads, was most of the delay from an answer to its delivery. Use it
// for reading only; closing the Store closes it.
func (s *Store) Tail() *Store {
	return &Store{pool: s.tail, outboxConfig: s.outboxConfig, retry: s.retry}
}

// Migrate applies the embedded migrations. Concurrent callers (several
// instances starting at once) serialise on a session advisory lock.
func Migrate(ctx context.Context, url string) error {
	// Parsed as a pool URL, so that pool settings (pool_max_conns, …) are
	// understood rather than sent to the server as unknown parameters.
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", redact(err))
	}
	db := stdlib.OpenDB(*pcfg.ConnConfig)
	defer db.Close()
	fsys, err := fs.Sub(migrations.Postgres, "postgres")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", redact(err))
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return translate(s.pool.Ping(ctx))
}

// Close closes the pool.
func (s *Store) Close() {
	s.pool.Close()
	if s.tail != nil {
		s.tail.Close()
	}
}

// Pool exposes the pool to benchmarks and tests in this module.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// codeVersionMoved is the SQLSTATE edupulse_expect_version raises.
const codeVersionMoved = "EP409"

// translate maps driver errors to the store's sentinels. It is the only
// place that looks inside a pgx error.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique violation
			return fmt.Errorf("%w: %s", store.ErrConflict, pgErr.ConstraintName)
		case codeVersionMoved:
			return fmt.Errorf("%w: %s", store.ErrConflict, pgErr.Message)
		case "23503": // foreign key: the referenced row does not exist
			return fmt.Errorf("%w: %s", store.ErrNotFound, pgErr.ConstraintName)
		}
	}
	return err
}

// redact keeps connection strings (and their passwords) out of errors that
// may end up in logs, but not the cause: "database does not exist" and
// "connection refused" call for different fixes, so an operator must be
// told which it is.
func redact(err error) error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		cause := ce.Unwrap()
		msg := cause.Error()
		if ce.Config != nil && ce.Config.Password != "" {
			// pgx's messages carry no password today; this keeps it so.
			msg = strings.ReplaceAll(msg, ce.Config.Password, "xxxxx")
		}
		return &connectError{msg: "cannot connect to the database (check DATABASE_URL): " + msg, cause: cause}
	}
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("DATABASE_URL is not a valid PostgreSQL connection string")
	}
	return err
}

// connectError is a failed connection's cause, its text redacted; the
// cause stays reachable for errors.Is and errors.As (a *pgconn.PgError,
// syscall.ECONNREFUSED), but not the connection's configuration.
type connectError struct {
	msg   string
	cause error
}

func (e *connectError) Error() string { return e.msg }
func (e *connectError) Unwrap() error { return e.cause }
