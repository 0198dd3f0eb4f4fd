package relay

import (
	"testing"

	"github.com/edupulse/edupulse-live/internal/store"
)

// TestSignals are a relay's test signals.
type TestSignals = testSignals

// InitTestSignals turns r's test signals on; call it before Run.
func InitTestSignals(r *Relay, tb testing.TB) *TestSignals {
	r.signals.init(tb)
	return &r.signals
}

// SetAfterPublish makes r run f between a batch's acknowledgement by the
// bus and its marking; call it before Run.
func SetAfterPublish(r *Relay, f func(entries []store.OutboxEntry) error) { r.afterPublish = f }
