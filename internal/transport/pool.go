package transport

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// workers runs the work of every connection: taking client messages,
// calling response handlers, writing frames. Workers start when work
// arrives and every worker is busy, and stop after lingering idle for a
// moment, so an idle server holds none. A worker can wait (a write to a
// client that does not read, up to the write timeout; a store read while a
// subscription replays), hence a ceiling far above the number of CPUs: the
// tasks behind it get another worker.
var workers = newPool(1024, 100*time.Millisecond)

type pool struct {
	max    int64
	linger time.Duration
	queue  chan func()

	running atomic.Int64
	// idle counts the workers waiting for a task, and those starting.
	idle atomic.Int64
}

func newPool(workers int64, linger time.Duration) *pool {
	return &pool{max: workers, linger: linger, queue: make(chan func(), 1<<16)}
}

// submit queues f to run on a worker. It blocks only when 65,536 tasks are
// waiting already.
func (p *pool) submit(f func()) {
	p.queue <- f
	if p.idle.Load() > 0 {
		return
	}
	if p.running.Add(1) > p.max {
		p.running.Add(-1)
		return
	}
	p.idle.Add(1)
	go p.work()
}

func (p *pool) work() {
	t := time.NewTimer(p.linger)
	defer t.Stop()
	for {
		select {
		case f := <-p.queue:
			p.idle.Add(-1)
			run(f)
			p.idle.Add(1)
			continue
		default:
		}
		t.Reset(p.linger)
		select {
		case f := <-p.queue:
			p.idle.Add(-1)
			run(f)
			p.idle.Add(1)
		case <-t.C:
			p.idle.Add(-1)
			p.running.Add(-1)
			// A task queued as this worker was leaving may have counted
			// on it: take it after all.
			if len(p.queue) == 0 || p.running.Add(1) > p.max {
				if len(p.queue) > 0 {
					p.running.Add(-1)
				}
				return
			}
			p.idle.Add(1)
		}
	}
}

// run runs a task; a panic in it is logged and ends the task only. The
// tasks that call into the executor recover on their own, with the
// operation's context; this is the last resort.
func run(f func()) {
	defer func() {
		if v := recover(); v != nil {
			slog.Error("transport: a task panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	f()
}
