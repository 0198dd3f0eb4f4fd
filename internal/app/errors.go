package app

import (
	"errors"
	"fmt"

	"github.com/edupulse/edupulse-live/internal/store"
)

// Errors the API maps to the contract's codes, in one place (the GraphQL
// error presenter). Store sentinels pass through unchanged.
var (
	ErrUnauthenticated = errors.New("authentication required")
	ErrForbidden       = errors.New("not allowed")
	ErrNotFound        = store.ErrNotFound
	ErrConflict        = store.ErrConflict
	// ErrPulseClosed is the conflict of writing to a closed pulse.
	ErrPulseClosed = fmt.Errorf("%w: the pulse is closed", store.ErrConflict)
	// ErrIdempotencyKeyReused: the key was first used for another request.
	ErrIdempotencyKeyReused = store.ErrIdempotencyKeyReused
	// ErrUnavailable: nothing was written; the same request may succeed
	// later.
	ErrUnavailable = store.ErrUnavailable
	// ErrOutcomeUnknown: the write may or may not have been committed.
	ErrOutcomeUnknown = store.ErrOutcomeUnknown
)

// InputError is invalid input: the contract's BAD_USER_INPUT, naming the
// input field.
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

func invalid(field, format string, args ...any) error {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
}
