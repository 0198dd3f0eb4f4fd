package transport

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/edupulse/edupulse-live/internal/liveop"
)

// operation is one subscribe (start) message's operation.
type operation struct {
	c  *wsConn
	id string
	// live is what the operation's context carries for its resolvers.
	live         *liveop.Op
	ctx          context.Context
	cancel       context.CancelFunc
	rc           *graphql.OperationContext
	subscription bool

	// Set by dispatch, before pushing is.
	handler graphql.ResponseHandler
	respCtx context.Context
	// pushing: the subscription drives its delivery (Push.Attach).
	pushing atomic.Bool
	// ended: nothing more goes out for it.
	ended atomic.Bool
	// state of push delivery: idle, scheduled, or scheduled and notified
	// again meanwhile.
	state atomic.Int32
}

const (
	opIdle int32 = iota
	opScheduled
	opAgain
)

// running reports whether id names an operation in progress.
func (c *wsConn) running(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.ops[id]
	return ok
}

// start parses and validates the operation in the connection's turn, so
// that operations are admitted in the order they came (the one refused by
// the cap is the one over it); it runs in a task of its own.
func (c *wsConn) start(id string, params *graphql.RawParams) {
	op := &operation{c: c, id: id}
	op.live = &liveop.Op{Wake: op.notify}
	ctx, cancel := context.WithCancel(liveop.With(c.ctx, op.live))
	op.ctx, op.cancel = ctx, cancel
	now := graphql.Now()
	params.ReadTime = graphql.TraceTiming{Start: now, End: now}

	rc, errs := c.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		// Refused before execution (parse, validation, persisted
		// documents, permissions): an `error`, which ends it.
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		cancel()
		c.queueError(id, resp.Errors)
		return
	}
	op.rc = rc
	op.subscription = rc.Operation != nil && rc.Operation.Operation == ast.Subscription
	limit := c.t.opts.MaxSubscriptionsPerConn
	c.mu.Lock()
	if c.closeSent || c.closed {
		c.mu.Unlock()
		cancel()
		return
	}
	if op.subscription && c.subs >= limit {
		c.mu.Unlock()
		cancel()
		c.queueError(id, errorList(codeRateLimited,
			fmt.Sprintf("too many subscriptions on this connection: at most %d may run at once", limit)))
		return
	}
	if op.subscription {
		c.subs++
	}
	c.ops[id] = op
	c.mu.Unlock()
	workers.submit(op.dispatch)
}

// dispatch runs the operation's resolvers' setup (a subscription's
// resolver opens its stream here), then delivers: a query or mutation at
// once, a subscription when it says it has something (push), or, for a
// subscription that does not take the Push hook, from a goroutine that
// waits on it.
func (op *operation) dispatch() {
	handler, ctx, ok := op.dispatchOperation()
	if !ok {
		op.finish()
		return
	}
	op.handler, op.respCtx = handler, ctx
	switch {
	case !op.subscription:
		for !op.ended.Load() {
			resp := op.call()
			if resp == nil {
				op.finish()
				return
			}
			op.c.queueNext(op, resp)
		}
	default:
		if _, attached := op.live.Attached(); attached {
			op.pushing.Store(true)
			op.notify() // what came before the handler was set
			return
		}
		go op.pull()
	}
}

func (op *operation) dispatchOperation() (h graphql.ResponseHandler, ctx context.Context, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			op.internalFailure(op.ctx, v)
			ok = false
		}
	}()
	h, ctx = op.c.exec.DispatchOperation(op.ctx, op.rc)
	return h, ctx, true
}

// call asks the response handler for the next response; nil when the
// responses are over.
func (op *operation) call() (resp *graphql.Response) {
	defer func() {
		if v := recover(); v != nil {
			op.internalFailure(op.respCtx, v)
			resp = nil
		}
	}()
	return op.handler(op.respCtx)
}

// internalFailure logs a panic (through the executor's recover func) and
// ends the operation with an `error` that says no more than the presenter
// would.
func (op *operation) internalFailure(ctx context.Context, v any) {
	if op.rc != nil {
		_ = op.rc.Recover(ctx, v)
	}
	op.live.End(internalError())
}

// notify schedules delivery; never blocks.
func (op *operation) notify() {
	for {
		switch op.state.Load() {
		case opIdle:
			if op.state.CompareAndSwap(opIdle, opScheduled) {
				workers.submit(op.deliver)
				return
			}
		case opScheduled:
			if op.state.CompareAndSwap(opScheduled, opAgain) {
				return
			}
		default:
			return
		}
	}
}

// deliverBatch is how many responses one turn of a worker hands out for
// one operation before letting the others have the worker.
const deliverBatch = 16

// deliver is a worker's turn on a pushing subscription: it calls the
// response handler while the subscription has something ready, the
// connection's queue has room, and the turn lasts.
func (op *operation) deliver() {
	for {
		op.state.Store(opScheduled)
		if op.deliverSome() {
			workers.submit(op.deliver) // more: the next turn, after the others
			return
		}
		if op.state.CompareAndSwap(opScheduled, opIdle) {
			return
		}
	}
}

// deliverSome reports whether it stopped with more to do.
func (op *operation) deliverSome() bool {
	if !op.pushing.Load() {
		return false // dispatch notifies once it is
	}
	ready, _ := op.live.Attached()
	flush := false
	defer func() {
		if flush {
			op.c.flush()
		}
	}()
	for range deliverBatch {
		if op.ended.Load() || op.c.stall(op) || !ready() {
			return false
		}
		resp := op.call()
		if resp == nil {
			op.finish()
			return false
		}
		if op.c.enqueueNext(op, resp) {
			flush = true
		}
	}
	return true
}

// pull delivers a subscription that does not push: the response handler
// blocks until its next event. Once the operation has ended, the handler
// is still called until it says it is over (its context is cancelled: at
// once), as a transport that pulls always does.
func (op *operation) pull() {
	first := true
	for {
		if !op.ended.Load() {
			if room := op.c.waitRoom(); room != nil {
				select {
				case <-room:
				case <-op.ctx.Done():
				}
				continue
			}
		}
		resp := op.call()
		switch {
		case resp == nil:
			op.finish()
			return
		case op.ended.Load():
			continue
		case first && refusal(resp):
			// The resolver refused the caller before the stream began: a
			// permission error, which the contract sends as `error`.
			for _, e := range resp.Errors {
				op.live.End(e)
			}
			op.finish()
			op.call() // to its end: the context is cancelled
			return
		}
		first = false
		op.c.queueNext(op, resp)
	}
}

// refusal reports whether resp is a subscription's refusal of its caller:
// no data, and only permission errors.
func refusal(resp *graphql.Response) bool {
	if len(resp.Errors) == 0 || (len(resp.Data) > 0 && string(resp.Data) != "null") {
		return false
	}
	for _, e := range resp.Errors {
		switch e.Extensions["code"] {
		case codeForbidden, codeUnauthenticated:
		default:
			return false
		}
	}
	return true
}

// finish ends an operation whose responses are over: `complete`, or the
// `error` a resolver asked for (liveop.Op.End), never both. Nothing is
// sent for an operation the client stopped.
func (op *operation) finish() {
	if op.ended.Swap(true) {
		return
	}
	c := op.c
	f := frame{kind: frameComplete, id: op.id}
	if errs := op.live.Ended(); len(errs) > 0 {
		f = frame{kind: frameError, id: op.id, payload: errorsJSON(errs)}
	}
	c.mu.Lock()
	if c.ops[op.id] == op {
		c.forgetLocked(op)
		// Queued under the same lock that freed the slot: a client may
		// subscribe again as soon as it reads this.
		c.queueLocked(f)
	}
	c.mu.Unlock()
	op.cancel()
}

// stop ends an operation without a word to the client.
func (op *operation) stop() {
	op.ended.Store(true)
	op.cancel()
}

// stopOp is the client's complete (graphql-transport-ws) or stop
// (graphql-ws, which then gets a complete).
func (c *wsConn) stopOp(id string, complete bool) {
	c.mu.Lock()
	op, ok := c.ops[id]
	if ok {
		c.forgetLocked(op)
		if complete {
			c.queueLocked(frame{kind: frameComplete, id: id})
		}
	}
	c.mu.Unlock()
	if ok {
		op.stop()
	}
}

func (c *wsConn) forgetLocked(op *operation) {
	delete(c.ops, op.id)
	if op.subscription {
		c.subs--
	}
}
