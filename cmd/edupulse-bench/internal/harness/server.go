// Package harness runs what the benchmark measures: the real edupulse
// binary as a child process, and the throwaway PostgreSQL database it is
// given.
package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Build compiles ./cmd/edupulse of the module in dir into out.
func Build(ctx context.Context, dir, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/edupulse")
	cmd.Dir = dir
	if raw, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/edupulse: %w\n%s", err, raw)
	}
	return nil
}

// Config is how a server is started.
type Config struct {
	// Bin is the edupulse binary.
	Bin string
	// DataDir is the server's EDUPULSE_DATA_DIR (its embedded NATS server
	// and, without DatabaseURL, its SQLite store).
	DataDir string
	// DatabaseURL selects PostgreSQL; empty selects the embedded store.
	DatabaseURL string
	// NATSURL selects an external NATS; empty, the embedded server.
	NATSURL string
	// Secret is EDUPULSE_JWT_SECRET, so that the benchmark mints tokens.
	Secret string
	// Args are the command line (default: serve). Any child that prints
	// "listening on http://…" and answers GET /readyz can be run.
	Args []string
}

// Server is a running edupulse child process.
type Server struct {
	// URL is http://127.0.0.1:<port>.
	URL string
	// PID is the child's process id, for /proc.
	PID int

	cmd    *exec.Cmd
	stderr *tail
	exited chan struct{}
	err    error
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// Start runs `edupulse serve` (or c.Args) on a free loopback port and
// waits until it is ready (/readyz answers 200).
func Start(ctx context.Context, c Config) (*Server, error) {
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return nil, err
	}
	args := c.Args
	if args == nil {
		args = []string{"serve"}
	}
	cmd := exec.Command(c.Bin, args...) //nolint:gosec // the binary the benchmark just built, or itself
	cmd.Dir = c.DataDir
	cmd.Env = append(os.Environ(),
		"EDUPULSE_HTTP_ADDR=127.0.0.1:0",
		"EDUPULSE_DATA_DIR="+c.DataDir,
		"DATABASE_URL="+c.DatabaseURL,
		"NATS_URL="+c.NATSURL,
		"EDUPULSE_JWT_SECRET="+c.Secret,
		// Every simulated browser connects from loopback.
		"EDUPULSE_MAX_CONNS_PER_IP=0",
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	setParentDeathSignal(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, stderr: &tail{max: 64 << 10}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", c.Bin, err)
	}
	s.PID = cmd.Process.Pid
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		s.err = cmd.Wait()
		close(s.exited)
	}()
	fail := func(err error) (*Server, error) {
		s.kill()
		return nil, fmt.Errorf("%w\nserver log (tail):\n%s", err, s.stderr)
	}
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	select {
	case s.URL = <-urls:
	case <-s.exited:
		return fail(fmt.Errorf("edupulse exited at start: %w", s.err))
	case <-timeout.C:
		return fail(errors.New("edupulse did not print its address within 60 s"))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	for {
		if err := s.ready(ctx); err == nil {
			return s, nil
		}
		select {
		case <-s.exited:
			return fail(fmt.Errorf("edupulse exited at start: %w", s.err))
		case <-timeout.C:
			return fail(errors.New("edupulse was not ready within 60 s"))
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) ready(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Alive reports whether the child is still running.
func (s *Server) Alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Log is the tail of the server's log.
func (s *Server) Log() string { return s.stderr.String() }

// Stop asks the server to shut down (SIGTERM) and waits for it, killing it
// after 20 s.
func (s *Server) Stop() error {
	if !s.Alive() {
		return s.err
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return s.err
	case <-time.After(20 * time.Second):
		s.kill()
		return errors.New("edupulse did not stop within 20 s of SIGTERM; killed")
	}
}

func (s *Server) kill() {
	if s.Alive() {
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// Metrics reads the server's /metrics: every sample by its full name
// (with labels, as written).
func (s *Server) Metrics(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: HTTP %d", resp.StatusCode)
	}
	return ParseMetrics(resp.Body)
}

// ParseMetrics reads Prometheus text exposition: name (with its labels)
// to value; comments and unparsable lines are skipped.
func ParseMetrics(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i <= 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// WaitMetric polls /metrics until ok(value of name) or the timeout.
func (s *Server) WaitMetric(ctx context.Context, name string, timeout time.Duration, ok func(float64) bool) (float64, error) {
	deadline := time.Now().Add(timeout)
	for {
		m, err := s.Metrics(ctx)
		if err == nil && ok(m[name]) {
			return m[name], nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("%s is %v after %s", name, m[name], timeout)
			}
			return m[name], err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// DataDir returns a fresh data directory under root for a server named
// name.
func DataDir(root, name string) string { return filepath.Join(root, name) }

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
