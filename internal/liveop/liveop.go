// Package liveop is what a streaming transport and the subscription
// resolvers tell each other about one running operation, through its
// context: where the client asks to resume (an SSE Last-Event-ID), the
// cursor of each event handed to the operation's rendering (the SSE `id:`
// of the result made from it), and the error that ended the subscription
// (SLOW_CONSUMER and the cursor to resume from).
//
// It is a leaf package, importing nothing of ours, so that the resolvers
// (graph) and the transports can both use it whichever imports the other.
// A context without an Op is a transport that needs none of this (the
// websocket's own rules apply): the resolvers then do as before.
package liveop

import (
	"context"
	"sync"
)

// Op is the state of one operation. The transport creates it before the
// operation starts and reads it on the goroutine that reads the
// operation's results; End may come from another goroutine.
type Op struct {
	// ResumeAfter, when not empty, is the cursor the client resumes after:
	// the subscription takes it in place of its `after` argument.
	ResumeAfter string

	cursor string // of the event the next result is made from

	mu  sync.Mutex
	end error
}

type key struct{}

// With returns a copy of ctx carrying op.
func With(ctx context.Context, op *Op) context.Context {
	return context.WithValue(ctx, key{}, op)
}

// From returns the Op of ctx, nil when there is none.
func From(ctx context.Context) *Op {
	op, _ := ctx.Value(key{}).(*Op)
	return op
}

// Delivering records the cursor of the event the operation's next result
// is made from. Called on the goroutine that reads the results.
func (o *Op) Delivering(cursor string) { o.cursor = cursor }

// TakeCursor returns the cursor recorded since the last call, "" when the
// result just read was not made from an event.
func (o *Op) TakeCursor() string {
	c := o.cursor
	o.cursor = ""
	return c
}

// End records why the subscription ended, before its results end.
func (o *Op) End(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.end = err
}

// Ended returns what End recorded, nil if nothing.
func (o *Op) Ended() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.end
}
