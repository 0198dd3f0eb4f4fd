package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/edupulse/edupulse-live/internal/store"
)

// OnWriteAttempt makes s report the backend pid of each write attempt.
func OnWriteAttempt(s *Store, f func(pid uint32)) { s.onAttempt = f }

// SetWriteRetries bounds the attempts of s's writes, with a fixed short
// backoff, for tests that exhaust them.
func SetWriteRetries(s *Store, attempts int) {
	s.retry = retryPolicy{attempts: attempts, minBackoff: time.Millisecond, maxBackoff: time.Millisecond}
}

// TraceOutbox makes the outbox connections s opens from now on report
// their statements to t.
func TraceOutbox(s *Store, t pgx.QueryTracer) { s.outboxConfig.Tracer = t }

// OutboxState is what ob believes relay_state holds, and whether it
// believes it knows.
func OutboxState(ob store.Outbox) (last, floor int64, known bool) {
	o := ob.(*outbox)
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last, o.floor, o.known
}
