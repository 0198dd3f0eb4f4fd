package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// The kinds of fault, one at a time.
const (
	KillRelayLeader = "kill-relay-leader" // kill -9 of the instance whose relay holds the outbox
	KillInstance    = "kill-instance"     // kill -9 of a random instance
	RollingRestart  = "rolling-restart"   // SIGTERM each instance in turn, restart it, next
	KillNATSLeader  = "kill-nats-leader"  // kill -9 of the node leading the stream, restarted after a pause
	KillNATSNode    = "kill-nats-node"    // kill -9 of a node that does not lead the stream, restarted after a pause
	NATSDown        = "nats-down"         // the whole cluster down ~15 s; an instance restarted meanwhile
	PGRestart       = "pg-restart"        // pg_ctl restart -m fast
	TermInstance    = "sigterm-instance"  // SIGTERM of one instance, restarted
)

// AllKinds is the full schedule's cycle.
var AllKinds = []string{KillRelayLeader, KillInstance, RollingRestart, KillNATSLeader, KillNATSNode, NATSDown, PGRestart}

// Fault is one injected fault and what the harness saw while injecting it.
type Fault struct {
	Kind   string
	Target string
	At     time.Time // the fault itself (the kill, the signal)
	Done   time.Time // everything restarted and serving again (or given up)
	Notes  []string
	Failed bool // the system did not come back as expected
}

func (f *Fault) note(format string, args ...any) {
	f.Notes = append(f.Notes, fmt.Sprintf(format, args...))
}

// schedule is n faults cycling through kinds, each cycle in a random order
// (from seed) that never repeats the previous fault's kind.
func schedule(kinds []string, n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 0xfa17)) //nolint:gosec // a reproducible schedule
	var out []string
	for len(out) < n {
		cycle := append([]string(nil), kinds...)
		rng.Shuffle(len(cycle), func(i, j int) { cycle[i], cycle[j] = cycle[j], cycle[i] })
		if len(out) > 0 && len(cycle) > 1 && cycle[0] == out[len(out)-1] {
			cycle[0], cycle[1] = cycle[1], cycle[0]
		}
		out = append(out, cycle...)
	}
	return out[:n]
}

// injector applies faults to the run's processes.
type injector struct {
	fl   *fleet
	nats *natsCluster
	pg   *pgCluster
	obs  *observations
	rng  *rand.Rand

	natsDownFor time.Duration
}

const (
	instanceBack = 60 * time.Second
	drainGrace   = 20 * time.Second
)

func (in *injector) inject(ctx context.Context, kind string) *Fault {
	f := &Fault{Kind: kind}
	switch kind {
	case KillRelayLeader:
		in.killRelayLeader(ctx, f)
	case KillInstance:
		i := in.rng.IntN(len(in.fl.insts))
		f.Target = fmt.Sprintf("instance %d", i+1)
		f.At = time.Now()
		in.fl.kill9(i)
		in.pause(ctx, 2*time.Second)
		in.restart(ctx, f, i)
	case TermInstance:
		i := in.rng.IntN(len(in.fl.insts))
		f.Target = fmt.Sprintf("instance %d", i+1)
		f.At = time.Now()
		in.term(ctx, f, i)
	case RollingRestart:
		f.Target = "every instance"
		f.At = time.Now()
		for i := range in.fl.insts {
			in.term(ctx, f, i)
			in.pause(ctx, 2*time.Second)
		}
	case KillNATSLeader, KillNATSNode:
		in.killNATSNode(ctx, f, kind == KillNATSLeader)
	case NATSDown:
		in.natsDown(ctx, f)
	case PGRestart:
		f.Target = "postgres"
		f.At = time.Now()
		if err := in.pg.restartFast(ctx); err != nil {
			f.Failed = true
			f.note("restart: %v", err)
		} else {
			f.note("postgres back after %s", since(f.At))
		}
	default:
		f.At = time.Now()
		f.Failed = true
		f.note("unknown fault kind %q", kind)
	}
	in.settle(ctx, f)
	f.Done = time.Now()
	return f
}

func (in *injector) killRelayLeader(ctx context.Context, f *Fault) {
	i := in.fl.leader(ctx)
	if i < 0 {
		i = in.rng.IntN(len(in.fl.insts))
		f.note("no instance reported edupulse_relay_leader 1; killed instance %d instead", i+1)
	}
	f.Target = fmt.Sprintf("instance %d", i+1)
	f.At = time.Now()
	in.fl.kill9(i)
	// Who takes over, and how fast: the standby's claim waits for the dead
	// leader's session (and its advisory lock) to go.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if j := in.fl.leader(ctx); j >= 0 && j != i {
			f.note("instance %d leads after %s", j+1, since(f.At))
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			f.note("no other instance took the relay over within 30 s")
			in.obs.add("%s: no other instance reported edupulse_relay_leader 1 within 30 s of the leader's kill", KillRelayLeader)
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	in.restart(ctx, f, i)
}

func (in *injector) term(ctx context.Context, f *Fault, i int) {
	took, ok := in.fl.term(i, drainGrace)
	if ok {
		f.note("instance %d exited %s after SIGTERM", i+1, took.Round(time.Millisecond))
	} else {
		f.Failed = true
		f.note("instance %d did not exit within %s of SIGTERM: killed", i+1, drainGrace)
		in.obs.add("instance %d did not exit within %s of SIGTERM (killed)", i+1, drainGrace)
	}
	in.restart(ctx, f, i)
}

func (in *injector) restart(ctx context.Context, f *Fault, i int) {
	took, err := in.fl.restart(ctx, i, instanceBack)
	if err != nil {
		f.Failed = true
		f.note("instance %d: %v", i+1, firstLine(err.Error()))
		return
	}
	f.note("instance %d serving %s after its restart", i+1, took.Round(time.Millisecond))
}

func (in *injector) killNATSNode(ctx context.Context, f *Fault, leader bool) {
	c := in.nats
	leaderName, err := c.streamLeader(ctx)
	var i int
	switch {
	case leader && err == nil:
		i = c.nodeIndex(leaderName)
	case leader:
		i = in.rng.IntN(len(c.nodes))
		f.note("stream leader unknown (%v); killed %s", err, c.nodes[i].name)
	default:
		var others []int
		for j, n := range c.nodes {
			if n.name != leaderName {
				others = append(others, j)
			}
		}
		i = others[in.rng.IntN(len(others))]
	}
	if i < 0 {
		i = 0
	}
	f.Target = c.nodes[i].name
	if leader {
		f.Target += " (stream leader)"
	}
	f.At = time.Now()
	c.nodes[i].proc.kill9()
	in.pause(ctx, 10*time.Second)
	if err := c.startNode(i); err != nil {
		f.Failed = true
		f.note("restart of %s: %v", c.nodes[i].name, err)
		return
	}
	if l, err := c.streamLeader(ctx); err == nil {
		f.note("stream leader now %s", l)
	}
}

func (in *injector) natsDown(ctx context.Context, f *Fault) {
	c := in.nats
	f.Target = "all nodes"
	f.At = time.Now()
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); n.proc.kill9() }()
	}
	wg.Wait()
	// A restart during the outage: the contract says the server starts,
	// and serves, while the bus is unreachable.
	in.pause(ctx, 3*time.Second)
	i := in.rng.IntN(len(in.fl.insts))
	took, ok := in.fl.term(i, drainGrace)
	if !ok {
		f.note("instance %d did not exit within %s of SIGTERM while NATS was down: killed", i+1, drainGrace)
		in.obs.add("instance %d did not exit within %s of SIGTERM while NATS was down (killed)", i+1, drainGrace)
	} else {
		f.note("instance %d exited %s after SIGTERM", i+1, took.Round(time.Millisecond))
	}
	restarted := false
	startBy := f.At.Add(in.natsDownFor - time.Second)
	if wait := time.Until(startBy); wait > 0 {
		if err := in.fl.start(ctx, i, wait); err != nil {
			f.Failed = true
			f.note("instance %d could not start while NATS was down: %s", i+1, firstLine(err.Error()))
			in.obs.add("%s: instance %d could not start while NATS was down: %s", NATSDown, i+1, firstLine(err.Error()))
			in.fl.kill9(i)
		} else {
			restarted = true
			f.note("instance %d started and served while NATS was down", i+1)
		}
	}
	in.pause(ctx, time.Until(f.At.Add(in.natsDownFor)))
	var errs []string
	for j := range c.nodes {
		if err := c.startNode(j); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		f.Failed = true
		f.note("restart of the cluster: %s", strings.Join(errs, "; "))
	} else {
		f.note("cluster restarted after %s down", since(f.At))
	}
	if !restarted {
		in.restart(ctx, f, i)
	}
}

// settle waits until the system is whole again: every instance serving,
// postgres answering, the stream led with every replica current. What does
// not come back within the limits is noted, and the run goes on.
func (in *injector) settle(ctx context.Context, f *Fault) {
	deadline := time.Now().Add(90 * time.Second)
	for i := range in.fl.insts {
		if !in.fl.alive(i) {
			f.note("instance %d is down after the fault: restarting it", i+1)
			in.restart(ctx, f, i)
		}
	}
	for !in.nats.healthy(ctx) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			f.Failed = true
			f.note("the stream was not led with every replica current within 90 s")
			in.obs.add("%s: stream %s not healthy (leader and 2 current replicas) within 90 s of the fault", f.Kind, "EDUPULSE")
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if h := time.Since(f.At); strings.HasPrefix(f.Kind, "nats") || strings.HasPrefix(f.Kind, "kill-nats") {
		f.note("stream whole again %s after the fault", h.Round(time.Millisecond))
	}
	for i, inst := range in.fl.insts {
		for in.fl.serving(ctx, inst) != nil {
			if time.Now().After(deadline) || ctx.Err() != nil {
				f.Failed = true
				f.note("instance %d not serving within 90 s of the fault", i+1)
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}

func (in *injector) pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
