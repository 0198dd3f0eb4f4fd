package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/edupulse/edupulse-live/internal/backoff"
)

// OutboxChannel is the LISTEN/NOTIFY channel that wakes the relay of
// another instance after a commit.
const OutboxChannel = "edupulse_outbox"

// Notify sends a wake-up on OutboxChannel, in a statement of its own: it
// must run after the write transaction has committed, never inside it.
// NOTIFY takes a cluster-wide lock held until its transaction's commit
// record is flushed, so a NOTIFY inside every write transaction would
// serialise all commits (see LESSONS.md). It is a hint: the relay also
// polls, so a lost notification only delays an event.
func (s *Store) Notify(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify('`+OutboxChannel+`', '')`); err != nil {
		return fmt.Errorf("notify outbox: %w", translate(err))
	}
	return nil
}

// Listen listens on OutboxChannel on a dedicated connection and calls wake
// for every notification, until ctx ends. When the
// connection breaks it reconnects with a capped, jittered backoff, and
// calls wake once after each (re)connection, since notifications sent
// while it was away are lost. wake must not block.
func (s *Store) Listen(ctx context.Context, wake func()) {
	retry := backoff.New(100*time.Millisecond, 5*time.Second)
	for {
		// A broken connection is retried (the relay polls meanwhile); the
		// error says nothing the next attempt will not.
		_ = s.listenOnce(ctx, wake, retry.Reset)
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry.Next()):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context, wake func(), connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.outboxConfig.Copy())
	if err != nil {
		return redact(err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+OutboxChannel); err != nil {
		return err
	}
	connected()
	wake()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		wake()
	}
}
