package bus

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Embedded is an in-process NATS server with JetStream, the default bus
// of a single-node deployment. By default it listens on no port at all and
// is reached only through in-process connections (Connect with
// InProcess): the bus feeds live subscriptions, and a server without
// authentication on even a loopback port would let any local process
// publish into the stream.
type Embedded struct {
	srv *server.Server
}

type embeddedConfig struct {
	listen       bool
	host         string
	port         int
	serverName   string
	logger       *slog.Logger
	syncAlways   bool
	readyTimeout time.Duration
}

// EmbeddedOption tunes StartEmbedded.
type EmbeddedOption func(*embeddedConfig)

// WithListen makes the server listen on host:port (port 0: a random free
// one), without authentication. It exists for tests and tools that need a
// second process or a restart under a live connection; the service never
// uses it. Restarting on the same data directory with the port of the
// previous run lets connected clients find it again.
func WithListen(host string, port int) EmbeddedOption {
	return func(c *embeddedConfig) {
		c.listen = true
		c.host = host
		c.port = port
		if port == 0 {
			// Port 0 means 4222 to nats-server.
			c.port = server.RANDOM_PORT
		}
	}
}

// WithServerName names the server (default "edupulse-embedded").
func WithServerName(name string) EmbeddedOption {
	return func(c *embeddedConfig) { c.serverName = name }
}

// WithServerLogger sends the server's log to l (default: silent).
func WithServerLogger(l *slog.Logger) EmbeddedOption {
	return func(c *embeddedConfig) { c.logger = l }
}

// WithSyncAlways makes JetStream fsync every write instead of every two
// minutes: slower, but an acknowledged event survives a power loss. (The
// store stays the system of record either way: the relay can republish.)
func WithSyncAlways() EmbeddedOption {
	return func(c *embeddedConfig) { c.syncAlways = true }
}

// StartEmbedded starts a NATS server with JetStream storing under
// dataDir/nats and waits until it accepts connections. It listens on no
// port unless WithListen says so.
func StartEmbedded(dataDir string, opts ...EmbeddedOption) (*Embedded, error) {
	cfg := embeddedConfig{
		serverName:   "edupulse-embedded",
		readyTimeout: 10 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if dataDir == "" {
		return nil, errors.New("embedded nats: empty data directory")
	}
	sopts := &server.Options{
		ServerName: cfg.serverName,
		Host:       cfg.host,
		Port:       cfg.port,
		DontListen: !cfg.listen,
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "nats"),
		SyncAlways: cfg.syncAlways,
		NoSigs:     true, // the service owns signal handling
		NoLog:      cfg.logger == nil,
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	if cfg.logger != nil {
		srv.SetLoggerV2(serverLogger{cfg.logger.With("component", "nats-server")}, false, false, false)
	}
	srv.Start()
	if !srv.ReadyForConnections(cfg.readyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		if !cfg.listen {
			return nil, fmt.Errorf("embedded nats: not ready after %s", cfg.readyTimeout)
		}
		return nil, fmt.Errorf("embedded nats: not ready after %s (is %s taken?)",
			cfg.readyTimeout, net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port)))
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("embedded nats: JetStream did not start")
	}
	return &Embedded{srv: srv}, nil
}

// ClientURL is the URL clients connect to, nats://127.0.0.1:<port>, when
// the server listens (WithListen); "" otherwise.
func (e *Embedded) ClientURL() string {
	if e.Port() == 0 {
		return ""
	}
	return e.srv.ClientURL()
}

// Port is the port the server listens on; 0 when it listens on none.
func (e *Embedded) Port() int {
	if addr, ok := e.srv.Addr().(*net.TCPAddr); ok && addr != nil {
		return addr.Port
	}
	return 0
}

// Shutdown stops the server and waits until it has stopped (its JetStream
// files flushed and closed).
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// serverLogger adapts slog to the server's logger interface. The server's
// notices (its ASCII banner, versions, store paths, "ready") are chatter
// for an operator of this service, who never configures that server:
// debug. Its warnings and errors keep their level.
type serverLogger struct{ l *slog.Logger }

func (s serverLogger) Noticef(format string, v ...any) { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s serverLogger) Warnf(format string, v ...any)   { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s serverLogger) Fatalf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s serverLogger) Errorf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s serverLogger) Debugf(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s serverLogger) Tracef(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
