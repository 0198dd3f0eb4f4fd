// Command edupulse-bench measures the whole server under load, each figure
// next to its physical floor measured in the same run (`make bench`).
//
// It builds and starts the real edupulse binary as a child process (one
// fresh process per scenario), with EDUPULSE_JWT_SECRET set so that it can
// mint tokens itself, on:
//
//   - PostgreSQL: the server of DATABASE_URL, else TEST_DATABASE_URL, else
//     127.0.0.1:5432 if it answers, in a fresh database
//     edupulse_bench_<random> dropped afterwards; with none, the embedded
//     store (and no pgbench floor);
//   - NATS: an embedded server per child, or NATS_URL when set.
//
// Scenarios (sizes are flags; -quick shrinks them to a one-minute smoke
// run):
//
//	writes   createPulse and respondToPulse over HTTP at 16 and 64 clients,
//	         next to pgbench running the same SQL transaction
//	burst    500 students answer within 1 s; one teacher subscribed
//	burst-closed  500 students answer as fast as 64 clients in a closed
//	         loop get answers; one teacher subscribed
//	pulsestate    the same with 200 pulseState subscribers: staleness
//	fanout   1,000 subscribers × 20 events/s and 10,000 × 2/s, next to a
//	         bare gorilla/websocket broadcast server sending the same bytes
//	sse      1,000 × 20/s over websockets and over GraphQL over SSE, side
//	         by side: p99 and CPU per delivery
//	relay    50,000 events committed with the relay stopped, then drained,
//	         next to raw async JetStream publishing (in process)
//	resume   a subscriber resuming 10,000 events back
//	idle     2,000 idle subscribed connections: RSS per connection
//
// It writes bench/results/latest.md and latest.jsonl and prints the table
// with PASS/MISS against the targets. All traffic stays on 127.0.0.1.
//
//	edupulse-bench [flags]
//	edupulse-bench broadcast-floor   (the fan-out floor, run as a child)
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/floor"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/harness"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/procfs"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/scenario"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	var err error
	if len(os.Args) > 1 && os.Args[1] == "broadcast-floor" {
		err = broadcastFloor(ctx, os.Stdout)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "edupulse-bench:", err)
		os.Exit(1)
	}
}

// broadcastFloor serves the fan-out floor on a free loopback port until
// SIGTERM.
func broadcastFloor(ctx context.Context, stdout io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "broadcast floor: listening on http://%s\n", ln.Addr())
	return floor.NewBroadcast().Serve(ctx, ln)
}

type options struct {
	quick     bool
	out       string
	bin       string
	only      string
	clients   string
	writeDur  time.Duration
	rounds    int
	warmup    time.Duration
	burst     int
	burstWin  time.Duration
	senders   int
	hotN      int
	hotC      int
	hotStates int
	fanout    string
	sse       string
	fanDur    time.Duration
	perConn   int
	relay     int
	resume    int
	idle      int
	keepFiles bool
	relayB    int
	relayW    int
}

// quickValues replace the defaults of flags not given on the command line
// when -quick is.
var quickValues = map[string]string{
	"write-clients":   "16",
	"write-duration":  "3s",
	"write-rounds":    "1",
	"warmup":          "500ms",
	"burst-students":  "200",
	"hot-students":    "200",
	"hot-states":      "50",
	"fanout":          "200x20,1000x2",
	"fanout-duration": "3s",
	"sse-fanout":      "200x20",
	"relay-events":    "10000",
	"resume-events":   "2000",
	"idle-conns":      "500",
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("edupulse-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.quick, "quick", false, "a ~1-minute smoke run: smaller defaults for every size not given")
	fs.StringVar(&o.out, "out", "bench/results", "directory of latest.md and latest.jsonl (empty: do not write)")
	fs.StringVar(&o.bin, "bin", "", "the edupulse binary (default: go build ./cmd/edupulse into a temporary directory)")
	fs.StringVar(&o.only, "only", "writes,burst,burst-closed,pulsestate,fanout,sse,relay,resume,idle", "scenarios to run, comma-separated")
	fs.StringVar(&o.clients, "write-clients", "16,64", "writes: concurrent clients, comma-separated")
	fs.DurationVar(&o.writeDur, "write-duration", 5*time.Second, "writes: duration of each run (server and pgbench)")
	fs.IntVar(&o.rounds, "write-rounds", 3, "writes: alternating rounds (server, pgbench, server, …) per case; the medians are reported")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "writes: unmeasured warm-up before each server run")
	fs.IntVar(&o.burst, "burst-students", 500, "burst: students answering one pulse")
	fs.DurationVar(&o.burstWin, "burst-window", time.Second, "burst: the answers are spread over this")
	fs.IntVar(&o.senders, "burst-senders", 16, "burst: concurrent HTTP clients sending the answers")
	fs.IntVar(&o.hotN, "hot-students", 500, "burst-closed, pulsestate: students answering one pulse")
	fs.IntVar(&o.hotC, "hot-clients", 64, "burst-closed, pulsestate: concurrent HTTP clients, each sending its next answer when the last is acknowledged")
	fs.IntVar(&o.hotStates, "hot-states", 200, "pulsestate: pulseState subscribers during the closed-loop burst")
	fs.StringVar(&o.fanout, "fanout", "1000x20,10000x2", "fan-out cases: subscribers x events per second, comma-separated")
	fs.StringVar(&o.sse, "sse-fanout", "1000x20", "sse: fan-out cases run over websocket and over SSE side by side")
	fs.DurationVar(&o.fanDur, "fanout-duration", 10*time.Second, "fan-out: duration of each case (server and floor)")
	fs.IntVar(&o.perConn, "subs-per-conn", 1, "fan-out: subscriptions per websocket connection (the server allows 20)")
	fs.IntVar(&o.relay, "relay-events", 50_000, "relay: events committed before the relay starts")
	fs.IntVar(&o.relayB, "relay-batch", 0, "relay: entries claimed per batch (0: the relay's default)")
	fs.IntVar(&o.relayW, "relay-window", 0, "relay: publishes awaiting acknowledgement (0: the relay's default)")
	fs.IntVar(&o.resume, "resume-events", 10_000, "resume: events between the cursor and now")
	fs.IntVar(&o.idle, "idle-conns", 2000, "idle: subscribed connections")
	fs.BoolVar(&o.keepFiles, "keep", false, "keep the scratch directory (servers' data and logs)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.quick {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for name, v := range quickValues {
			if !given[name] {
				if err := fs.Set(name, v); err != nil {
					return o, err
				}
			}
		}
	}
	if o.perConn < 1 || o.perConn > 20 {
		return o, errors.New("-subs-per-conn must be 1 to 20 (the server's cap per connection)")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	started := time.Now()
	clients, err := ints(o.clients)
	if err != nil {
		return fmt.Errorf("-write-clients: %w", err)
	}
	fanouts, err := scenario.ParseFanout(o.fanout)
	if err != nil {
		return fmt.Errorf("-fanout: %w", err)
	}
	sseCases, err := scenario.ParseFanout(o.sse)
	if err != nil {
		return fmt.Errorf("-sse-fanout: %w", err)
	}
	only := map[string]bool{}
	for s := range strings.SplitSeq(o.only, ",") {
		only[strings.TrimSpace(s)] = true
	}

	// Ten thousand sockets each side: raise the open-files limit to the
	// hard limit; the servers started from here inherit it.
	nofile, err := procfs.RaiseOpenFiles(1 << 20)
	if err != nil {
		return fmt.Errorf("raise RLIMIT_NOFILE: %w", err)
	}

	root, err := os.MkdirTemp("", "edupulse-bench-")
	if err != nil {
		return err
	}
	if o.keepFiles {
		fmt.Fprintln(stderr, "scratch directory kept:", root)
	} else {
		defer os.RemoveAll(root)
	}
	env := &scenario.Env{Root: root, Out: stderr, NATSURL: strings.TrimSpace(os.Getenv("NATS_URL")),
		Report: &report.Report{Meta: report.Meta{Started: started, Mode: "full", Go: runtime.Version(),
			CPUs: runtime.NumCPU(), Commit: commit(), Args: args}}}
	if o.quick {
		env.Report.Meta.Mode = "quick"
	}
	env.Logf("open files limit %d (this process and the servers)", nofile)

	if env.Bin = o.bin; env.Bin == "" {
		env.Bin = filepath.Join(root, "edupulse")
		env.Logf("building ./cmd/edupulse")
		if err := harness.Build(ctx, ".", env.Bin); err != nil {
			return err
		}
	}
	if env.Bin, err = filepath.Abs(env.Bin); err != nil { // the servers run in their data dirs
		return err
	}
	if env.Self, err = os.Executable(); err != nil {
		return err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	env.Secret = hex.EncodeToString(secret)
	if err := env.Init(); err != nil {
		return err
	}

	admin, source, err := harness.FindPostgres(ctx, os.Getenv)
	if err != nil {
		return err
	}
	env.Report.Meta.Store = "embedded SQLite (no PostgreSQL found)"
	if admin != "" {
		db, err := harness.CreateDatabase(ctx, admin)
		if err != nil {
			return err
		}
		defer func() {
			if err := db.Drop(ctx); err != nil {
				env.Logf("drop database %s: %v", db.Name, err)
			}
		}()
		env.DB, env.AdminURL = db, admin
		env.Report.Meta.Store = fmt.Sprintf("%s (%s, database %s)", db.Version(ctx), source, db.Name)
		if err := migrate(ctx, env.Bin, db.URL); err != nil {
			return err
		}
	}
	env.Report.Meta.Bus = "embedded NATS per server"
	if env.NATSURL != "" {
		env.Report.Meta.Bus = "NATS_URL"
	}
	env.Logf("store: %s; bus: %s", env.Report.Meta.Store, env.Report.Meta.Bus)

	steps := []struct {
		name string
		run  func() error
	}{
		{"writes", func() error {
			return scenario.Writes(ctx, env, scenario.WritesOptions{Clients: clients, Duration: o.writeDur, Rounds: o.rounds, Warmup: o.warmup,
				PulsesPerClient: 8, TargetClients: 16, TargetRatio: 0.8})
		}},
		{"burst", func() error {
			return scenario.Burst(ctx, env, scenario.BurstOptions{Students: o.burst, Window: o.burstWin, Senders: o.senders, Rounds: 3,
				TargetP99: 100 * time.Millisecond})
		}},
		{"burst-closed", func() error {
			return scenario.Hot(ctx, env, "burst-closed", scenario.HotOptions{Students: o.hotN, Clients: o.hotC, Rounds: 3,
				TargetP99: 100 * time.Millisecond})
		}},
		{"pulsestate", func() error {
			return scenario.Hot(ctx, env, "pulsestate", scenario.HotOptions{Students: o.hotN, Clients: o.hotC, States: o.hotStates,
				Rounds: 3, TargetP99: 100 * time.Millisecond})
		}},
		{"fanout", func() error {
			return scenario.Fanout(ctx, env, scenario.FanoutOptions{Cases: fanouts, Duration: o.fanDur, PerConn: o.perConn,
				TargetRatio: 0.5})
		}},
		{"sse", func() error {
			return scenario.SSEFanout(ctx, env, scenario.SSEFanoutOptions{Cases: sseCases, Duration: o.fanDur, MaxRatio: 1.2})
		}},
		{"relay", func() error {
			return scenario.Relay(ctx, env, scenario.RelayOptions{Events: o.relay, TargetRatio: 0.5, Batch: o.relayB, Window: o.relayW})
		}},
		{"resume", func() error {
			return scenario.Resume(ctx, env, scenario.ResumeOptions{Events: o.resume, Target: time.Second})
		}},
		{"idle", func() error {
			return scenario.Idle(ctx, env, scenario.IdleOptions{Conns: o.idle, TargetKiB: 16})
		}},
	}
	env.Report.Note("CPU is the measured process's user+system time over the run in %% of one core (/proc/<pid>/stat); client CPU is "+
		"this load generator's; host busy is the whole machine's (%d cores, shared with PostgreSQL, the load generator and anyone "+
		"else on it). RSS: /proc/<pid>/status VmRSS at the end of the run.", runtime.NumCPU())
	var failed []string
	for _, s := range steps {
		if !only[s.name] || ctx.Err() != nil {
			continue
		}
		env.Logf("== %s", s.name)
		if err := s.run(); err != nil {
			env.Logf("%s failed: %v", s.name, err)
			env.Report.Note("%s did not complete: %v", s.name, firstLine(err))
			failed = append(failed, s.name)
		}
	}
	env.Report.Meta.Duration = time.Since(started)
	md := env.Report.Markdown()
	fmt.Fprint(stdout, "\n"+md)
	if o.out != "" {
		if err := write(o.out, env.Report, md); err != nil {
			return err
		}
		env.Logf("wrote %s and %s", filepath.Join(o.out, "latest.md"), filepath.Join(o.out, "latest.jsonl"))
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(failed) > 0 {
		return fmt.Errorf("scenarios that did not complete: %s", strings.Join(failed, ", "))
	}
	return nil
}

func migrate(ctx context.Context, bin, url string) error {
	cmd := exec.CommandContext(ctx, bin, "migrate")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("edupulse migrate: %w\n%s", err, out)
	}
	return nil
}

func write(dir string, r *report.Report, md string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "latest.md"), []byte(md), 0o644); err != nil { //nolint:gosec // a report meant to be read
		return err
	}
	f, err := os.Create(filepath.Join(dir, "latest.jsonl"))
	if err != nil {
		return err
	}
	if err := r.WriteJSONL(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func ints(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// commit is the short commit id, "+dirty" when the tree has changes.
func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "+dirty"
	}
	return c
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
