package postgres

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// retryPolicy bounds how long Write keeps running a unit of work again
// after transient failures. The defaults span a PostgreSQL fast restart
// (a second or two) without holding a request for long past it.
type retryPolicy struct {
	attempts   int
	minBackoff time.Duration
	maxBackoff time.Duration
}

var defaultRetry = retryPolicy{attempts: 10, minBackoff: 20 * time.Millisecond, maxBackoff: time.Second}

// retrier paces the attempts of one Write: exponential backoff with full
// jitter, so that the writers a deadlock or a restart failed together do
// not come back together.
type retrier struct {
	p        retryPolicy
	attempts int
	next     time.Duration
}

func newRetrier(p retryPolicy) *retrier {
	return &retrier{p: p, attempts: 1, next: p.minBackoff}
}

// wait sleeps before the next attempt; false when the attempts are spent
// or ctx ended.
func (r *retrier) wait(ctx context.Context) bool {
	if r.attempts >= r.p.attempts {
		return false
	}
	d := r.next/2 + rand.N(r.next/2+1) //nolint:gosec // jitter needs no cryptographic randomness
	r.next = min(2*r.next, r.p.maxBackoff)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		r.attempts++
		return true
	}
}

// failure is what a failed attempt of a unit of work allows.
type failure int

const (
	// failPermanent: the error stands (a domain conflict, bad data, the
	// caller gave up); running the work again would fail the same way.
	failPermanent failure = iota
	// failRetry: nothing was committed and the cause is the database's,
	// not the request's; the work may run again.
	failRetry
	// failUnknown: the connection was lost after the commit was sent.
	failUnknown
)

// failureOf classifies err, the untranslated error of one attempt.
// committing: the batch carrying the commit had been sent; lost: the
// connection was closed under the attempt.
func failureOf(err error, committing, lost bool) failure {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return failPermanent
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		// The server answered: whatever it says, it did not commit.
		if transientCode(pgErr.Code) {
			return failRetry
		}
		return failPermanent
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return failRetry // no connection, so nothing was sent
	}
	if pgconn.SafeToRetry(err) {
		return failRetry
	}
	if !lost {
		return failPermanent
	}
	if committing {
		return failUnknown
	}
	// Lost before the commit was sent: the server rolls the transaction
	// back when the session ends.
	return failRetry
}

// transientCode reports SQLSTATEs that abort a transaction for reasons of
// the server's own: run again, the work may well succeed.
func transientCode(code string) bool {
	switch code {
	case "40001", // serialization_failure
		"40P01", // deadlock_detected
		"57P01", // admin_shutdown (a fast restart ends every session)
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now (starting up, shutting down)
		"53300": // too_many_connections
		return true
	}
	return len(code) == 5 && code[:2] == "08" // connection_exception class
}
