package chaos

import (
	"fmt"
	"sync"
	"time"
)

// observations are what the harness saw go wrong or take long on the
// server's side, in time order, for the report: they are the findings a
// table of counts cannot carry (an instance that would not start, a drain
// that timed out, readiness failing while the API serves).
type observations struct {
	mu    sync.Mutex
	start time.Time
	list  []observation
	index map[string]int // text → place in list
	count map[string]int // text → times seen
}

type observation struct {
	At   time.Time
	What string
}

func newObservations(start time.Time) *observations {
	return &observations{start: start, index: map[string]int{}, count: map[string]int{}}
}

// add records one; the same text recurring (a write error repeated for a
// whole outage) is counted rather than listed again.
func (o *observations) add(format string, args ...any) {
	what := fmt.Sprintf(format, args...)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.count[what]++
	if _, ok := o.index[what]; ok {
		return
	}
	o.index[what] = len(o.list)
	o.list = append(o.list, observation{At: time.Now(), What: what})
}

func (o *observations) snapshot() []observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]observation, len(o.list))
	for i, ob := range o.list {
		if n := o.count[ob.What]; n > 1 {
			ob.What = fmt.Sprintf("%s (×%d)", ob.What, n)
		}
		out[i] = ob
	}
	return out
}
