package transport

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// workers runs the work of every connection: calling response handlers,
// writing frames, starting operations. A worker lives while there is work
// queued and exits when there is none, so an idle server holds no worker
// at all. Every worker is busy, so a task queued is given a worker of its
// own when there is room: a worker can wait (a write to a client that
// does not read, up to the write timeout; a store read while a
// subscription replays), and the tasks behind it must not.
var workers = &pool{max: 1024}

type pool struct {
	max int

	mu      sync.Mutex
	queue   []func()
	head    int
	running int
}

// submit queues f to run on a worker. It never blocks.
func (p *pool) submit(f func()) {
	p.mu.Lock()
	p.queue = append(p.queue, f)
	spawn := p.running < p.max
	if spawn {
		p.running++
	}
	p.mu.Unlock()
	if spawn {
		go p.work()
	}
}

func (p *pool) work() {
	for {
		p.mu.Lock()
		if p.head == len(p.queue) {
			p.queue, p.head = p.queue[:0], 0
			if cap(p.queue) > 4096 {
				p.queue = nil // a burst's backlog is not kept
			}
			p.running--
			p.mu.Unlock()
			return
		}
		f := p.queue[p.head]
		p.queue[p.head] = nil
		p.head++
		p.mu.Unlock()
		run(f)
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
