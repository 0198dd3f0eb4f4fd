// Package liveop is what a live transport (websocket, SSE) and the
// subscription resolvers tell each other about one running operation,
// through its context, and the only way they do:
//
//   - from the transport: where the client asks to resume (an SSE
//     Last-Event-ID), and whether it delivers by push (Notify/Attach);
//   - from the resolvers: the cursor of each event handed to the
//     operation's rendering (the SSE `id:` of the result made from it), the
//     JSON of a rendering shared by many subscribers (written into every
//     frame as the same bytes), and the error that ends the subscription
//     (SLOW_CONSUMER and the cursor to resume from): an `error` message,
//     never followed by `complete`.
//
// It is a leaf package, importing nothing of ours, so that the resolvers
// (graph) and the transports can both use it whichever imports the other.
// Every method is a no-op on a nil *Op: a context without one (a test, a
// transport of gqlgen's) makes the resolvers deliver as a plain channel.
package liveop

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Op is the state of one operation. The transport creates it before the
// operation starts and puts it in the operation's context (With).
type Op struct {
	// ResumeAfter, when not empty, is the cursor the client resumes after:
	// the subscription takes it in place of its `after` argument.
	ResumeAfter string
	// Wake, when set, makes delivery push-driven: the transport calls the
	// operation's response handler only when told (Notify), and only while
	// the function given to Attach reports that the call would not wait.
	// It must never block. Set before the operation starts.
	Wake func()

	ready atomic.Pointer[func() bool]

	// Of the call of the response handler in progress (calls of one
	// operation never overlap).
	cursor     string
	sharedResp *graphql.Response
	sharedJSON []byte

	mu   sync.Mutex
	errs gqlerror.List
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

// ---------------------------------------------------------------------------
// Push delivery

// Pushes reports whether the transport delivers by push: the subscription
// is then to call Notify whenever it has something, and Attach.
func (o *Op) Pushes() bool { return o != nil && o.Wake != nil }

// Notify says that the subscription has an event to hand out, or has
// ended. It never blocks, and may be called from any goroutine at any time
// (before Attach too; the transport then remembers it).
func (o *Op) Notify() {
	if o.Pushes() {
		o.Wake()
	}
}

// Attach switches the operation to push delivery: ready reports whether a
// call of the response handler would return without waiting (an event is
// queued, or the subscription is over). ready is called from one goroutine
// at a time, never alongside the response handler. Without Attach, a
// transport calls the handler in a loop, as gqlgen's do.
func (o *Op) Attach(ready func() bool) {
	if o.Pushes() {
		o.ready.Store(&ready)
	}
}

// Attached returns what Attach gave, false before (or without) it.
func (o *Op) Attached() (ready func() bool, ok bool) {
	if o == nil {
		return nil, false
	}
	f := o.ready.Load()
	if f == nil {
		return nil, false
	}
	return *f, true
}

// ---------------------------------------------------------------------------
// What a result is made of

// Delivering records the cursor of the event the operation's next result
// is made from. Called from the response handler.
func (o *Op) Delivering(cursor string) {
	if o != nil {
		o.cursor = cursor
	}
}

// TakeCursor returns the cursor recorded since the last call, "" when the
// result just made was not made from an event.
func (o *Op) TakeCursor() string {
	if o == nil {
		return ""
	}
	c := o.cursor
	o.cursor = ""
	return c
}

// ShareEncoded says that resp, about to be returned by the response
// handler, is b once encoded as JSON: the transport writes b into its
// frame as it is. b must not change afterwards; the same b may be given
// for many operations (a rendering shared by every subscriber of a kind).
func (o *Op) ShareEncoded(resp *graphql.Response, b []byte) {
	if o != nil {
		o.sharedResp, o.sharedJSON = resp, b
	}
}

// TakeShared returns the bytes ShareEncoded gave for resp, nil if none,
// and forgets them.
func (o *Op) TakeShared(resp *graphql.Response) []byte {
	if o == nil {
		return nil
	}
	b, ok := o.sharedJSON, o.sharedResp == resp
	o.sharedResp, o.sharedJSON = nil, nil
	if !ok {
		return nil
	}
	return b
}

// ---------------------------------------------------------------------------
// The end

// End makes the subscription end with an `error` carrying err (and no
// `complete` after it) once its responses are over. It is how a resolver
// ends a stream on a condition of its own (a slow consumer, the store
// failing); any goroutine may call it.
func (o *Op) End(err *gqlerror.Error) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.errs = append(o.errs, err)
}

// Ended returns what End recorded, nil if nothing.
func (o *Op) Ended() gqlerror.List {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.errs
}
