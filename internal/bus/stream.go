package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/edupulse/edupulse-live/internal/backoff"
)

// Stream limits (contract §6, The event bus: max age 7 days, duplicate window at least
// 2 minutes).
const (
	MaxAge = 7 * 24 * time.Hour
	// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id. The
	// contract's floor is 2 minutes; a wider window lets a relay that was
	// cut off for longer (a NATS outage, a partition, a slow failover)
	// republish its last batch without storing it twice. Past the window,
	// consumers de-duplicate by the event id (or by (aggregate_type,
	// aggregate_id, version): aggregates of different types may share an id).
	DuplicateWindow = 10 * time.Minute
)

// Errors EnsureStream returns when the stream cannot be brought to the
// contract's configuration; both need an operator, not a retry.
var (
	// ErrSubjectsConflict: another stream already captures subjects of
	// edupulse.>, so EDUPULSE cannot.
	ErrSubjectsConflict = errors.New("bus: another stream captures edupulse subjects")
	// ErrStreamIncompatible: the existing EDUPULSE stream differs in a way
	// JetStream cannot update in place (its storage type, say), or the
	// replica count is impossible on this deployment.
	ErrStreamIncompatible = errors.New("bus: existing stream cannot be updated to the required configuration")
)

// JetStream API error codes (nats-server errors.json) that EnsureStream
// tells apart.
const (
	codeClusterNotAvailable   jetstream.ErrorCode = 10008
	codeStreamInvalidConfig   jetstream.ErrorCode = 10052
	codeReplicasNotUpdatable  jetstream.ErrorCode = 10061
	codeSubjectOverlap        jetstream.ErrorCode = 10065
	codeReplicasNotSupported  jetstream.ErrorCode = 10074
	codeInsufficientResources jetstream.ErrorCode = 10023
)

// StreamConfig is the contract's configuration of the EDUPULSE stream.
func StreamConfig(replicas int) jetstream.StreamConfig {
	return applyContract(jetstream.StreamConfig{}, replicas)
}

// applyContract sets on cfg what the contract fixes, leaving the rest of
// an existing stream's settings (limits an operator chose, placement) as
// they are.
func applyContract(cfg jetstream.StreamConfig, replicas int) jetstream.StreamConfig {
	cfg.Name = StreamName
	cfg.Subjects = []string{SubjectFilter}
	cfg.Storage = jetstream.FileStorage
	cfg.Retention = jetstream.LimitsPolicy
	cfg.MaxAge = MaxAge
	// A wider window an operator chose is kept; a narrower one is raised.
	cfg = withDuplicateWindow(cfg, min(max(duplicateWindow(cfg), DuplicateWindow), MaxAge))
	cfg.Replicas = max(1, replicas)
	return cfg
}

// windowField is the duplicate window as the JetStream API names it
// (duplicate_window, in nanoseconds); the helpers below read and set it
// through that name, the one operators see in `nats stream info --json`.
type windowField struct {
	Window time.Duration `json:"duplicate_window"`
}

func duplicateWindow(cfg jetstream.StreamConfig) time.Duration {
	var w windowField
	if b, err := json.Marshal(cfg); err == nil {
		_ = json.Unmarshal(b, &w) // a config that marshals also unmarshals
	}
	return w.Window
}

func withDuplicateWindow(cfg jetstream.StreamConfig, d time.Duration) jetstream.StreamConfig {
	b, _ := json.Marshal(windowField{Window: d}) // cannot fail
	_ = json.Unmarshal(b, &cfg)                  // sets that one field
	return cfg
}

// attemptTimeout bounds one attempt of EnsureStream.
const attemptTimeout = 5 * time.Second

// EnsureStream creates the EDUPULSE stream, or updates an existing one, to
// the contract's configuration, keeping the existing stream's other
// settings. Transient failures (no JetStream leader yet, a timeout, a
// reconnect) are retried until ctx ends. Permanent ones are returned at
// once: ErrSubjectsConflict when another stream owns the subjects,
// ErrStreamIncompatible when the existing stream cannot be updated in
// place (for instance it uses memory storage) or the replica count is not
// possible here. Anything else is wrapped and returned as is.
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) error {
	retry := backoff.New(100*time.Millisecond, 2*time.Second)
	for {
		// Each attempt gets a few seconds, not all of ctx: a request sent
		// while a cluster has no meta leader yet is never answered, and it
		// would otherwise hold EnsureStream until ctx ends.
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := ensureOnce(actx, js, replicas)
		cancel()
		if err == nil || !transient(ctx, err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-time.After(retry.Next()):
		}
	}
}

func ensureOnce(ctx context.Context, js jetstream.JetStream, replicas int) error {
	cfg := StreamConfig(replicas)
	s, err := js.Stream(ctx, StreamName)
	switch {
	case err == nil:
		cfg = applyContract(s.CachedInfo().Config, replicas)
	case errors.Is(err, jetstream.ErrStreamNotFound):
	default:
		return fmt.Errorf("ensure stream %s: %w", StreamName, err)
	}
	_, err = js.CreateOrUpdateStream(ctx, cfg)
	if err == nil {
		return nil
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case codeSubjectOverlap:
			return fmt.Errorf("%w: %s: %w", ErrSubjectsConflict, SubjectFilter, err)
		case codeStreamInvalidConfig, codeReplicasNotUpdatable, codeReplicasNotSupported:
			return fmt.Errorf("%w: %w", ErrStreamIncompatible, err)
		}
	}
	// Two instances creating the stream at once: the loser's create finds
	// it (with another configuration); the next round updates it.
	return fmt.Errorf("ensure stream %s: %w", StreamName, err)
}

// transient reports an error worth retrying: the server or the cluster is
// not ready yet, or the request did not get through.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if errors.Is(err, ErrSubjectsConflict) || errors.Is(err, ErrStreamIncompatible) {
		return false
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == 503 ||
			apiErr.ErrorCode == codeClusterNotAvailable ||
			apiErr.ErrorCode == codeInsufficientResources ||
			errors.Is(err, jetstream.ErrStreamNameAlreadyInUse)
	}
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
		errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, nats.ErrDisconnected)
}
