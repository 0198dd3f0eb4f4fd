package transport

import (
	"sync"
	"time"
)

// clock drives every connection's timers (the initialisation timeout, the
// keep-alive, the token's expiry, the end of a close handshake) from one
// ticker, where a timer per connection and per purpose would each cost a
// runtime timer and, when firing, a goroutine. It runs while the transport
// has connections. A deadline is met within one tick.
type clock struct {
	tick time.Duration

	mu    sync.Mutex
	conns map[*wsConn]struct{}
	// stop ends the running ticker's goroutine; nil when none runs. It is
	// closed as the last connection leaves, so that no goroutine outlives
	// the transport's connections.
	stop chan struct{}
}

func newClock(tick time.Duration) *clock {
	return &clock{tick: tick, conns: map[*wsConn]struct{}{}}
}

// tickFor is a quarter of the shortest interval the options ask for,
// between 10 ms and 1 s.
func tickFor(o WebsocketOptions) time.Duration {
	d := min(o.PingInterval, o.InitTimeout, o.WriteTimeout) / 4
	return min(max(d, 10*time.Millisecond), time.Second)
}

func (k *clock) add(c *wsConn) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.conns[c] = struct{}{}
	if k.stop == nil {
		k.stop = make(chan struct{})
		go k.run(k.stop)
	}
}

func (k *clock) remove(c *wsConn) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.conns, c)
	if len(k.conns) == 0 && k.stop != nil {
		close(k.stop)
		k.stop = nil
	}
}

func (k *clock) run(stop chan struct{}) {
	t := time.NewTicker(k.tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			k.mu.Lock()
			if k.stop != stop {
				// Stopped, and perhaps started again since: the new
				// goroutine ticks.
				k.mu.Unlock()
				return
			}
			for c := range k.conns {
				c.tick(now) // never blocks: what takes time goes to the workers
			}
			k.mu.Unlock()
		}
	}
}
