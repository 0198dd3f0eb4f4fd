// Package bus owns everything NATS: the connection (reconnecting forever),
// the embedded server, the provisioning of the EDUPULSE stream and the
// acknowledged, de-duplicated publishing of events into it. It is the only
// package (tests aside) that imports nats.go or nats-server, so the rest of
// the service sees a small surface: Connect, EnsureStream, PublishBatch,
// Ping.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The bus format (contract §6, The event bus).
const (
	// StreamName is the stream every event is stored in.
	StreamName = "EDUPULSE"
	// SubjectFilter is the stream's subject space.
	SubjectFilter = "edupulse.>"
	// MsgIDHeader carries the event id, so that a republished event is
	// stored once (JetStream's duplicate window).
	MsgIDHeader = jetstream.MsgIDHeader // "Nats-Msg-Id"
	// PositionHeader carries the event's position in the global publish
	// order, in decimal. It is not part of the JSON body.
	PositionHeader = "Edupulse-Position"
)

// ErrNotConnected is returned by Ping and PublishBatch while the
// connection is down (it keeps reconnecting in the background).
var ErrNotConnected = errors.New("bus: not connected to NATS")

// Bus is a connection to NATS and its JetStream context. It is safe for
// concurrent use.
type Bus struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	logger *slog.Logger
}

type connectConfig struct {
	reconnectWait   time.Duration
	reconnectJitter time.Duration
	ackTimeout      time.Duration
	logger          *slog.Logger
	embedded        *Embedded
	auth            Auth
}

// Auth is how to authenticate to an external NATS. At most one field is
// set; a user and password, or a token, can also be given in the URL
// (nats://user:password@host, nats://token@host).
type Auth struct {
	// CredsFile is a .creds file: a user JWT and its nkey seed
	// (decentralised auth, NGS/Synadia Cloud, nsc).
	CredsFile string
	// NkeySeedFile holds an nkey seed (SU...); the public key is derived
	// from it and the server's nonce is signed with it.
	NkeySeedFile string
	// Token is a bearer token (authorization { token: ... }).
	Token string
}

func (a Auth) options() ([]nats.Option, error) {
	n := 0
	for _, v := range []string{a.CredsFile, a.NkeySeedFile, a.Token} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		return nil, errors.New("give one of a creds file, an nkey seed file or a token, not several")
	}
	switch {
	case a.CredsFile != "":
		return []nats.Option{nats.UserCredentials(a.CredsFile)}, nil
	case a.NkeySeedFile != "":
		o, err := nats.NkeyOptionFromSeed(a.NkeySeedFile)
		if err != nil {
			// The error names the file, never its content.
			return nil, fmt.Errorf("nkey seed file: %w", err)
		}
		return []nats.Option{o}, nil
	case a.Token != "":
		return []nats.Option{nats.Token(a.Token)}, nil
	}
	return nil, nil
}

// ConnectOption tunes Connect.
type ConnectOption func(*connectConfig)

// WithReconnectWait sets the pause between reconnection attempts and the
// random jitter added to it (defaults: 500 ms and 500 ms), which spreads the
// reconnections of many instances after an outage.
func WithReconnectWait(wait, jitter time.Duration) ConnectOption {
	return func(c *connectConfig) {
		c.reconnectWait = wait
		c.reconnectJitter = jitter
	}
}

// WithAckTimeout bounds the wait for each publish acknowledgement
// (default 2 s): past it the publish counts as failed and is retried. A
// healthy stream acknowledges in milliseconds, even at three replicas; a
// publish unanswered for long went to a stream leader that died, and the
// sooner it is retried, the sooner it reaches the newly elected one.
func WithAckTimeout(d time.Duration) ConnectOption {
	return func(c *connectConfig) { c.ackTimeout = d }
}

// WithAuth authenticates to an external NATS with a (see Auth).
func WithAuth(a Auth) ConnectOption {
	return func(c *connectConfig) { c.auth = a }
}

// InProcess connects to the embedded server e through an in-process pipe
// instead of a URL (the urls given to Connect are ignored): e listens on
// no port, so nothing outside this process can publish into the stream
// the hub trusts.
func InProcess(e *Embedded) ConnectOption {
	return func(c *connectConfig) { c.embedded = e }
}

// WithLogger logs connection events (disconnects, reconnects, async
// errors) to l; the default is slog.Default().
func WithLogger(l *slog.Logger) ConnectOption {
	return func(c *connectConfig) { c.logger = l }
}

// Connect dials the NATS servers in urls (comma-separated). The first dial
// is bounded by ctx (and by 5 s); when no server answers, Connect still
// returns a Bus, which keeps reconnecting in the background: the service
// must start, and accept writes, while the bus is down. Ping reports the
// state. After a disconnect it reconnects forever.
func Connect(ctx context.Context, urls, name string, opts ...ConnectOption) (*Bus, error) {
	cfg := connectConfig{
		reconnectWait:   500 * time.Millisecond,
		reconnectJitter: 500 * time.Millisecond,
		ackTimeout:      2 * time.Second,
		logger:          slog.Default(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connect to nats: %w", err)
	}
	var extra []nats.Option
	if cfg.embedded != nil {
		if cfg.auth != (Auth{}) {
			return nil, errors.New("connect to nats: credentials are for an external server, not the embedded one")
		}
		urls = "nats://in-process" // never dialled: the in-process provider wins
		extra = append(extra, nats.InProcessServer(cfg.embedded.srv))
	} else {
		if strings.TrimSpace(urls) == "" {
			return nil, errors.New("connect to nats: no server url")
		}
		ao, err := cfg.auth.options()
		if err != nil {
			return nil, fmt.Errorf("connect to nats: %w", err)
		}
		extra = append(extra, ao...)
	}
	dialTimeout := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		dialTimeout = max(10*time.Millisecond, min(dialTimeout, time.Until(dl)))
	}
	log := cfg.logger.With("component", "bus")
	nc, err := nats.Connect(urls, append([]nats.Option{
		nats.Name(name),
		nats.Timeout(dialTimeout),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(cfg.reconnectWait),
		nats.ReconnectJitter(cfg.reconnectJitter, cfg.reconnectJitter),
		nats.ConnectHandler(func(c *nats.Conn) {
			log.Info("nats connected", "server", serverOf(c))
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("nats reconnected", "server", serverOf(c))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Warn("nats async error", "err", err)
		}),
	}, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to nats: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(cfg.ackTimeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if !nc.IsConnected() {
		log.Warn("nats unreachable; reconnecting in the background")
	}
	return &Bus{nc: nc, js: js, logger: log}, nil
}

// serverOf names the server c is connected to for the log: its address
// only, since a URL may carry a token as its user name, which
// ConnectedUrlRedacted would print.
func serverOf(c *nats.Conn) string {
	if c.Opts.InProcessServer != nil {
		return "embedded (in-process)"
	}
	return c.ConnectedAddr()
}

// JetStream is the JetStream context (for consumers and tests).
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Conn is the underlying connection.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// Connected reports whether the connection is up right now.
func (b *Bus) Connected() bool { return b.nc.IsConnected() }

// WaitConnected waits until the connection is up, or ctx ends.
func (b *Bus) WaitConnected(ctx context.Context) error {
	if b.nc.IsConnected() {
		return nil
	}
	ch := b.nc.StatusChanged(nats.CONNECTED, nats.CLOSED)
	defer b.nc.RemoveStatusListener(ch)
	for {
		if b.nc.IsConnected() {
			return nil
		}
		if b.nc.IsClosed() {
			return nats.ErrConnectionClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrNotConnected, ctx.Err())
		}
	}
}

// EnsureStream creates or updates the EDUPULSE stream (see the package
// function EnsureStream).
func (b *Bus) EnsureStream(ctx context.Context, replicas int) error {
	return EnsureStream(ctx, b.js, replicas)
}

// Ping checks the connection and that JetStream answers for the stream
// (a StreamInfo request), within 2 s at most.
func (b *Bus) Ping(ctx context.Context) error {
	if st := b.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("%w (%s)", ErrNotConnected, st)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := b.js.Stream(ctx, StreamName); err != nil {
		return fmt.Errorf("bus: stream %s: %w", StreamName, err)
	}
	return nil
}

// Close closes the connection. Publishes still waiting for their
// acknowledgement fail; stop the relay first.
func (b *Bus) Close() {
	b.nc.Close()
}
