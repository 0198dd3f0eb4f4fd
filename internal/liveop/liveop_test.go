package liveop_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/liveop"
)

func TestOp(t *testing.T) {
	t.Parallel()
	require.Nil(t, liveop.From(context.Background()))
	op := &liveop.Op{ResumeAfter: "c0"}
	ctx := liveop.With(context.Background(), op)
	require.Same(t, op, liveop.From(ctx))

	require.Empty(t, op.TakeCursor())
	op.Delivering("c1")
	require.Equal(t, "c1", op.TakeCursor())
	require.Empty(t, op.TakeCursor(), "taken once")

	// End comes from the hub's side, Ended is read by the transport.
	end := errors.New("slow")
	done := make(chan struct{})
	go func() { op.End(end); close(done) }()
	<-done
	require.Same(t, end, op.Ended())
}
