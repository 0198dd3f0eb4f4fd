package graph

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/app"
	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/live"
)

func TestEndErrorCarriesTheResumeCursor(t *testing.T) {
	t.Parallel()
	last := event.Envelope{ID: uuid.New(), Version: 7, Position: 42}
	e := endError(&live.EndError{Err: live.ErrSlowConsumer, Last: &last, Position: 42})
	require.Equal(t, CodeSlowConsumer, e.Extensions["code"])
	k, err := app.ParseEventCursor(e.Extensions["lastCursor"].(string))
	require.NoError(t, err)
	require.Equal(t, app.EventKey{ID: last.ID, Version: 7, Position: 42}, k)

	// Cut before anything was delivered: resume from where it started.
	e = endError(&live.EndError{Err: live.ErrSlowConsumer, Position: 9})
	k, err = app.ParseEventCursor(e.Extensions["lastCursor"].(string))
	require.NoError(t, err)
	require.EqualValues(t, 9, k.Position)

	// Any other end is internal, and says nothing more.
	e = endError(&live.EndError{Err: errors.New("replay: connection refused"), Position: 3})
	require.Equal(t, CodeInternal, e.Extensions["code"])
	require.Equal(t, "internal error", e.Message)
}
