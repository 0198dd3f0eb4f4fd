package transport

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// What an operation's resolvers and extensions may tell the transport that
// runs it, through the context it passes to DispatchOperation and to the
// response handler. A context without these (another transport, a test)
// makes every function below a no-op.

// opHooks is carried by an operation's context.
type opHooks struct {
	push Push

	mu   sync.Mutex
	errs gqlerror.List // FailSubscription's, sent when the responses end

	// shared is ShareEncoded's, for the call of the response handler in
	// progress (calls of one operation never overlap).
	sharedResp *graphql.Response
	sharedJSON []byte
}

type hooksKey struct{}

func withHooks(ctx context.Context, h *opHooks) context.Context {
	return context.WithValue(ctx, hooksKey{}, h)
}

func hooksFrom(ctx context.Context) *opHooks {
	h, _ := ctx.Value(hooksKey{}).(*opHooks)
	return h
}

// FailSubscription makes the subscription of ctx end with an `error`
// message carrying err (and no `complete` after it) once its response
// handler returns nil. It is how a resolver ends a stream on a condition
// of its own (a slow consumer, the store failing).
func FailSubscription(ctx context.Context, err *gqlerror.Error) {
	h := hooksFrom(ctx)
	if h == nil {
		return
	}
	h.mu.Lock()
	h.errs = append(h.errs, err)
	h.mu.Unlock()
}

func (h *opHooks) failure() gqlerror.List {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.errs
}

// ShareEncoded tells the transport that resp, about to be returned by the
// response handler, is b once encoded as JSON: b is written into the frame
// as it is, without encoding resp again. b must not change afterwards; the
// same b may be given for many operations (a rendering shared by every
// subscriber of a kind).
func ShareEncoded(ctx context.Context, resp *graphql.Response, b []byte) {
	if h := hooksFrom(ctx); h != nil {
		h.sharedResp, h.sharedJSON = resp, b
	}
}

// takeShared returns the bytes ShareEncoded gave for resp, if any, and
// forgets them.
func (h *opHooks) takeShared(resp *graphql.Response) []byte {
	b := h.sharedJSON
	ok := h.sharedResp == resp
	h.sharedResp, h.sharedJSON = nil, nil
	if !ok {
		return nil
	}
	return b
}

// Push lets a subscription drive its own delivery: the transport calls the
// operation's response handler only when the subscription has said it has
// something (Notify), and only while the function given to Attach reports
// that a call would return at once. Without Attach the transport calls the
// handler in a loop on a goroutine of the operation's own, as gqlgen does.
type Push struct {
	ready atomic.Pointer[func() bool]
	wake  func() // set by the transport before the resolver runs
}

// PushFrom returns the Push of the subscription of ctx, nil when the
// transport running it does not offer one.
func PushFrom(ctx context.Context) *Push {
	h := hooksFrom(ctx)
	if h == nil || h.push.wake == nil {
		return nil
	}
	return &h.push
}

// Notify says that the subscription has an event to hand out, or has
// ended. It never blocks, and may be called from any goroutine at any time
// (before Attach too; it is then remembered).
func (p *Push) Notify() {
	if p != nil && p.wake != nil {
		p.wake()
	}
}

// Attach switches the operation to push delivery: ready reports whether a
// call of the response handler would return without waiting (an event is
// queued, or the subscription is over). ready is called from one goroutine
// at a time, never alongside the response handler.
func (p *Push) Attach(ready func() bool) {
	if p != nil {
		p.ready.Store(&ready)
	}
}

func (p *Push) attached() (func() bool, bool) {
	f := p.ready.Load()
	if f == nil {
		return nil, false
	}
	return *f, true
}
