package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/edupulse/edupulse-live/internal/reqctx"
)

// readyTimeout bounds a readiness check: a probe that hangs is worse than one
// that fails, since the orchestrator's own timeout then hides the reason.
const readyTimeout = 2 * time.Second

// healthz is liveness: the process serves HTTP. It checks nothing else, so
// that a database outage makes the instance unready, not restarted.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok")
}

// readyz answers 200 when the store is reachable and the instance is not
// draining, 503 otherwise. The body gives a generic reason only: the real
// error may quote a connection string (a DSN with its password, a NATS URL
// with a token), so it goes to the log, where operators look, and never to
// the client. The bus's state follows on a line of its own.
func readyz(o Options, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, body := readiness(r, o, log)
		if o.BusState != nil {
			body += "\nbus: " + o.BusState()
		}
		writeText(w, status, body)
	})
}

func readiness(r *http.Request, o Options, log *slog.Logger) (int, string) {
	if o.Draining != nil && o.Draining() {
		return http.StatusServiceUnavailable, "not ready: shutting down"
	}
	if o.Ready == nil {
		return http.StatusOK, "ready"
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	// Run in a goroutine so that the deadline holds even if ready ignores
	// its context; the buffered channel lets a late answer be dropped
	// without leaking the goroutine for good.
	done := make(chan error, 1)
	go func() { done <- o.Ready(ctx) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil {
		return http.StatusOK, "ready"
	}
	log.LogAttrs(r.Context(), slog.LevelWarn, "readiness check failed",
		slog.String("error", err.Error()),
		slog.String("correlation_id", reqctx.CorrelationID(r.Context()).String()),
	)
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable, "not ready: the readiness check timed out"
	}
	return http.StatusServiceUnavailable, "not ready: the store is unreachable"
}

func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// A cached probe answer is a wrong answer.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
