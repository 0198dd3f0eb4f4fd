package chaos

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// instance is one `edupulse serve` process slot: a fixed port, so that
// clients find it again after a restart, and the current process.
type instance struct {
	idx  int
	port int
	url  string
	log  string
	data string

	mu         sync.Mutex
	proc       *proc
	expectExit bool // the harness is stopping it: an exit is no finding
}

// fleet is the edupulse instances sharing the database and the cluster.
type fleet struct {
	bin   string
	env   []string
	insts []*instance
	hc    *http.Client
	token string // admin: readiness queries and leader checks
	obs   *observations
}

func newFleet(bin, runDir string, n int, env []string, token string, obs *observations) (*fleet, error) {
	f := &fleet{bin: bin, env: env, token: token, obs: obs, hc: &http.Client{Timeout: 5 * time.Second}}
	for i := range n {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		data, err := dataDir(fmt.Sprintf("i%d", i+1))
		if err != nil {
			return nil, err
		}
		f.insts = append(f.insts, &instance{
			idx: i, port: port, url: fmt.Sprintf("http://127.0.0.1:%d", port),
			log: filepath.Join(runDir, fmt.Sprintf("edupulse-%d.log", i+1)), data: data,
		})
	}
	return f, nil
}

// migrate runs `edupulse migrate` once, before any instance starts.
func (f *fleet) migrate(ctx context.Context, runDir string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.bin, "migrate") //nolint:gosec // the binary the harness built
	cmd.Env = append(os.Environ(), f.env...)
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(runDir, "migrate.log"), out, 0o644) //nolint:gosec // a log
	if err != nil {
		return fmt.Errorf("edupulse migrate: %w\n%s", err, out)
	}
	return nil
}

// start starts instance i and waits until it serves (liveness and a query
// that reaches the store), up to timeout. A start that fails is recorded;
// the caller decides whether to try again.
func (f *fleet) start(ctx context.Context, i int, timeout time.Duration) error {
	in := f.insts[i]
	p, err := startProc(procSpec{
		name: fmt.Sprintf("edupulse-%d", i+1), bin: f.bin, args: []string{"serve"},
		env: append(append([]string{}, f.env...),
			fmt.Sprintf("EDUPULSE_HTTP_ADDR=127.0.0.1:%d", in.port),
			"EDUPULSE_DATA_DIR="+in.data),
		dir: in.data, log: in.log, deathSignal: syscall.SIGKILL,
	})
	if err != nil {
		return err
	}
	in.mu.Lock()
	in.proc, in.expectExit = p, false
	in.mu.Unlock()
	go f.watch(in, p)

	deadline := time.Now().Add(timeout)
	var last error
	for {
		if !p.alive() {
			return fmt.Errorf("instance %d exited at start (%s); its last log line: %s", i+1, p.exitStatus(), logTail(in.log, 300))
		}
		if last = f.serving(ctx, in); last == nil {
			if code := f.get(ctx, in.url+"/readyz"); code != http.StatusOK {
				f.obs.add("instance %d serves queries but /readyz answers %d", i+1, code)
			}
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("instance %d not serving %s after start: %w; its last log line: %s", i+1, timeout.Round(time.Millisecond), last, logTail(in.log, 300))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// watch records an exit the harness did not cause.
func (f *fleet) watch(in *instance, p *proc) {
	<-p.done
	in.mu.Lock()
	expected := in.expectExit || in.proc != p
	in.mu.Unlock()
	if !expected {
		f.obs.add("instance %d exited by itself (%s); its last log line: %s", in.idx+1, p.exitStatus(), logTail(in.log, 300))
	}
}

// serving is the readiness the harness trusts: liveness plus a query that
// needs the store. /readyz alone would also fail on a bus outage, which the
// contract says must not take an instance out of service.
func (f *fleet) serving(ctx context.Context, in *instance) error {
	if code := f.get(ctx, in.url+"/healthz"); code != http.StatusOK {
		return fmt.Errorf("/healthz: %d", code)
	}
	var out struct{}
	return postGraphQL(ctx, f.hc, in.url, f.token, `{ pulses(first: 1) { edges { cursor } } }`, nil, &out)
}

func (f *fleet) get(ctx context.Context, u string) int {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func (f *fleet) current(i int) *proc {
	in := f.insts[i]
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.proc
}

func (f *fleet) alive(i int) bool {
	p := f.current(i)
	return p != nil && p.alive()
}

func (f *fleet) expect(i int) *proc {
	in := f.insts[i]
	in.mu.Lock()
	defer in.mu.Unlock()
	in.expectExit = true
	return in.proc
}

// kill9 is kill -9 of instance i.
func (f *fleet) kill9(i int) {
	if p := f.expect(i); p != nil {
		p.kill9()
	}
}

// term is SIGTERM and a wait for the drain; after grace it is kill -9. It
// returns how long the exit took and whether it came in time.
func (f *fleet) term(i int, grace time.Duration) (time.Duration, bool) {
	p := f.expect(i)
	if p == nil {
		return 0, true
	}
	t := time.Now()
	ok := p.stop(syscall.SIGTERM, grace)
	return time.Since(t), ok
}

// restart starts instance i again, retrying for up to timeout: an instance
// that cannot start (the bus or the store still away) is a finding, and the
// run goes on with the others.
func (f *fleet) restart(ctx context.Context, i int, timeout time.Duration) (time.Duration, error) {
	t := time.Now()
	deadline := t.Add(timeout)
	for attempt := 1; ; attempt++ {
		remaining := time.Until(deadline)
		err := f.start(ctx, i, max(remaining, 5*time.Second))
		if err == nil {
			return time.Since(t), nil
		}
		f.obs.add("start of instance %d failed: %s", i+1, firstLine(err.Error()))
		f.kill9(i)
		if time.Now().After(deadline) || ctx.Err() != nil {
			return time.Since(t), fmt.Errorf("instance %d did not come back within %s (%d attempts): %w", i+1, timeout, attempt, err)
		}
		time.Sleep(time.Second)
	}
}

// leader is the instance whose relay holds the outbox (the gauge
// edupulse_relay_leader on /metrics), or -1.
func (f *fleet) leader(ctx context.Context) int {
	for i, in := range f.insts {
		if !f.alive(i) {
			continue
		}
		if v, ok := f.metric(ctx, in, "edupulse_relay_leader"); ok && v == 1 {
			return i
		}
	}
	return -1
}

func (f *fleet) metric(ctx context.Context, in *instance, name string) (float64, bool) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.url+"/metrics", nil)
	if err != nil {
		return 0, false
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var x float64
			if _, err := fmt.Sscan(v, &x); err == nil {
				return x, true
			}
		}
	}
	return 0, false
}

func (f *fleet) stopAll() {
	var wg sync.WaitGroup
	for i := range f.insts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p := f.expect(i); p != nil {
				p.stop(syscall.SIGTERM, 10*time.Second)
			}
		}()
	}
	wg.Wait()
	for _, in := range f.insts {
		_ = os.RemoveAll(in.data)
	}
}

// logTail is the last line of a log file, at most n bytes of it, for an
// observation: where a process stopped, or what it was waiting for.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := lines[len(lines)-1]
	if len(last) > n {
		last = last[:n] + "…"
	}
	return last
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}
