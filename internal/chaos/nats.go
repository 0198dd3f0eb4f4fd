package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"           //nolint:depguard // the harness watches and reads the stream from outside, as an operator would
	"github.com/nats-io/nats.go/jetstream" //nolint:depguard // as above

	"github.com/edupulse/edupulse-live/internal/bus"
)

// natsNode is one server of the three-node JetStream cluster.
type natsNode struct {
	name       string
	clientPort int
	conf, log  string
	proc       *proc
}

// natsCluster is three nats-server processes routed to each other, each
// with its own JetStream store, so that the stream can have three replicas
// and lose any one node.
type natsCluster struct {
	bin   string
	dir   string
	nodes []*natsNode
	urls  string // comma-separated client URLs: NATS_URL

	nc *nats.Conn // the harness's own connection, reconnecting forever
	js jetstream.JetStream
}

func startNATS(ctx context.Context, bin, runDir string, n int) (*natsCluster, error) {
	c := &natsCluster{bin: bin}
	var err error
	if c.dir, err = dataDir("nats"); err != nil {
		return nil, err
	}
	routes := make([]string, n)
	clusterPorts := make([]int, n)
	var urls []string
	for i := range n {
		node := &natsNode{name: fmt.Sprintf("n%d", i+1)}
		if node.clientPort, err = freePort(); err != nil {
			return nil, errors.Join(err, c.close())
		}
		if clusterPorts[i], err = freePort(); err != nil {
			return nil, errors.Join(err, c.close())
		}
		routes[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", clusterPorts[i])
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", node.clientPort))
		node.log = filepath.Join(runDir, "nats-"+node.name+".log")
		c.nodes = append(c.nodes, node)
	}
	c.urls = strings.Join(urls, ",")
	for i, node := range c.nodes {
		node.conf = filepath.Join(c.dir, node.name+".conf")
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
jetstream {
  store_dir: %q
  max_memory_store: 64MB
  max_file_store: 2GB
}
cluster {
  name: edupulse-chaos
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, node.name, node.clientPort, filepath.Join(c.dir, node.name), clusterPorts[i], strings.Join(routes, ", "))
		if err := os.WriteFile(node.conf, []byte(conf), 0o600); err != nil {
			return nil, errors.Join(err, c.close())
		}
	}
	for i := range c.nodes {
		if err := c.startNode(i); err != nil {
			return nil, errors.Join(err, c.close())
		}
	}
	c.nc, err = nats.Connect(c.urls, nats.Name("edupulse-chaos"), nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true), nats.ReconnectWait(250*time.Millisecond))
	if err != nil {
		return nil, errors.Join(err, c.close())
	}
	if c.js, err = jetstream.New(c.nc); err != nil {
		return nil, errors.Join(err, c.close())
	}
	// The servers' own EnsureStream would race a meta leader not yet
	// elected, and an instance that cannot create the stream exits: the
	// harness creates it (the same configuration, from internal/bus) once
	// the cluster has formed, so the first start tests nothing but start.
	// Each attempt is bounded on its own: a JetStream API request sent
	// before the meta leader is elected goes unanswered until its deadline.
	deadline := time.Now().Add(90 * time.Second)
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = bus.EnsureStream(actx, c.js, n)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, errors.Join(fmt.Errorf("create stream %s on the cluster: %w", bus.StreamName, err), c.close())
		}
		time.Sleep(250 * time.Millisecond)
	}
	return c, nil
}

func (c *natsCluster) startNode(i int) error {
	node := c.nodes[i]
	p, err := startProc(procSpec{
		name: "nats-" + node.name, bin: c.bin, args: []string{"-c", node.conf},
		dir: c.dir, log: node.log, deathSignal: syscall.SIGKILL,
	})
	if err != nil {
		return err
	}
	node.proc = p
	// Listening is enough here: joining the cluster and catching up the
	// stream are what the fault's recovery measures.
	return waitTCP(fmt.Sprintf("127.0.0.1:%d", node.clientPort), 20*time.Second, p)
}

func (c *natsCluster) nodeIndex(name string) int {
	for i, n := range c.nodes {
		if n.name == name {
			return i
		}
	}
	return -1
}

// streamInfo asks JetStream ($JS.API.STREAM.INFO.EDUPULSE) for the stream:
// its leader and replicas, and its last sequence.
func (c *natsCluster) streamInfo(ctx context.Context) (*jetstream.StreamInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := c.js.Stream(ctx, bus.StreamName)
	if err != nil {
		return nil, err
	}
	return s.CachedInfo(), nil
}

// streamLeader is the name of the node leading the stream's replicas.
func (c *natsCluster) streamLeader(ctx context.Context) (string, error) {
	info, err := c.streamInfo(ctx)
	if err != nil {
		return "", err
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return "", errors.New("the stream has no leader")
	}
	return info.Cluster.Leader, nil
}

// healthy reports whether the stream has a leader and every replica is
// current: the state to wait for before the next fault.
func (c *natsCluster) healthy(ctx context.Context) bool {
	info, err := c.streamInfo(ctx)
	if err != nil || info.Cluster == nil || info.Cluster.Leader == "" {
		return false
	}
	if len(info.Cluster.Replicas) != len(c.nodes)-1 {
		return false
	}
	for _, r := range info.Cluster.Replicas {
		if !r.Current || r.Offline {
			return false
		}
	}
	return true
}

// readAll reads the whole stream with an ordered consumer, in stream order,
// trying again (from the start) while the cluster is still settling.
func (c *natsCluster) readAll(ctx context.Context) ([]StreamMsg, error) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := c.readAllOnce(ctx)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return out, err
		}
		time.Sleep(time.Second)
	}
}

func (c *natsCluster) readAllOnce(ctx context.Context) ([]StreamMsg, error) {
	info, err := c.streamInfo(ctx)
	if err != nil {
		return nil, err
	}
	last := info.State.LastSeq
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cons, err := c.js.OrderedConsumer(cctx, bus.StreamName, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return nil, err
	}
	var out []StreamMsg
	for {
		if len(out) > 0 && out[len(out)-1].Seq >= last {
			return out, nil
		}
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return out, err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return out, err
			}
			sm := StreamMsg{Seq: md.Sequence.Stream, ID: m.Headers().Get(bus.MsgIDHeader)}
			if e, err := bus.Decode(m.Data(), m.Headers().Get(bus.PositionHeader)); err == nil {
				sm.Aggregate, sm.Version = e.AggregateID.String(), e.Version
			}
			out = append(out, sm)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return out, err
		}
		if n == 0 {
			return out, fmt.Errorf("the stream stopped at sequence %d of %d", lastSeq(out), last)
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
}

func lastSeq(m []StreamMsg) uint64 {
	if len(m) == 0 {
		return 0
	}
	return m[len(m)-1].Seq
}

func (c *natsCluster) close() error {
	if c.nc != nil {
		c.nc.Close()
	}
	for _, n := range c.nodes {
		if n.proc != nil {
			n.proc.stop(syscall.SIGTERM, 5*time.Second)
		}
	}
	if c.dir == "" {
		return nil
	}
	return os.RemoveAll(c.dir)
}
