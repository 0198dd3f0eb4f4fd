package transport

import (
	"sync"
)

// workers runs the work of every connection: calling response handlers,
// writing frames, starting operations. A worker lives while there is work
// queued and exits when there is none, so an idle server holds no worker
// at all. A worker can wait (a write to a slow client, up to the write
// timeout; a store read while a subscription replays), hence a ceiling
// far above the number of CPUs: the others keep going meanwhile.
var workers = &pool{max: 128}

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
	// One more worker while there is more work queued than workers: a
	// burst spreads over many, a trickle keeps to one.
	spawn := p.running < p.max && len(p.queue)-p.head > p.running
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
		f()
	}
}
