package liveop_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/gqlerror"

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

	resp, other := &graphql.Response{}, &graphql.Response{}
	op.ShareEncoded(resp, []byte(`{"data":{}}`))
	require.Nil(t, op.TakeShared(other), "only for the response it was given for")
	op.ShareEncoded(resp, []byte(`{"data":{}}`))
	require.Equal(t, `{"data":{}}`, string(op.TakeShared(resp))) //nolint:testifylint // the very bytes, not an equivalent JSON
	require.Nil(t, op.TakeShared(resp), "taken once")

	// End comes from the hub's goroutine, Ended is read by the transport.
	end := &gqlerror.Error{Message: "slow"}
	done := make(chan struct{})
	go func() { op.End(end); close(done) }()
	<-done
	require.Equal(t, gqlerror.List{end}, op.Ended())
}

func TestPush(t *testing.T) {
	t.Parallel()
	pull := &liveop.Op{}
	require.False(t, pull.Pushes())
	pull.Attach(func() bool { return true })
	_, ok := pull.Attached()
	require.False(t, ok, "a transport that pulls ignores Attach")

	var woken atomic.Int32
	op := &liveop.Op{Wake: func() { woken.Add(1) }}
	require.True(t, op.Pushes())
	op.Notify()
	op.Attach(func() bool { return true })
	ready, ok := op.Attached()
	require.True(t, ok)
	require.True(t, ready())
	require.EqualValues(t, 1, woken.Load())

	var none *liveop.Op // every method is a no-op on nil
	none.Notify()
	none.Attach(nil)
	none.Delivering("x")
	none.End(&gqlerror.Error{})
	require.False(t, none.Pushes())
	require.Empty(t, none.TakeCursor())
	require.Nil(t, none.Ended())
}
