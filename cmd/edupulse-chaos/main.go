// Command edupulse-chaos is the chaos run (`make chaos`, `make
// chaos-short`): PostgreSQL, a three-node NATS JetStream cluster and three
// edupulse instances as real processes, writes and resuming subscribers
// over them, faults injected one at a time (kill -9 of the relay leader or
// of any instance, a rolling SIGTERM restart, kill -9 of the stream's
// leader node or of another node, the whole NATS cluster down, a fast
// PostgreSQL restart), then every acknowledged write and every delivery
// reconciled against the store and the stream. It exits 1 when an event
// was lost, duplicated or delivered out of order, 2 when the run itself
// could not be carried out.
//
//	edupulse-chaos [-duration 10m] [-faults 21] [-seed N] [-kinds k1,k2] [-rate 30]
//
// CHAOS_DATABASE_URL (an admin URL) uses that server instead of a throwaway
// cluster, in a fresh database dropped afterwards, and without PostgreSQL
// restarts. The children's logs and report.txt stay in the run directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/edupulse/edupulse-live/internal/chaos"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("edupulse-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := chaos.Config{Out: stdout, DatabaseURL: getenv("CHAOS_DATABASE_URL")}
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Minute, "how long the load runs, faults included")
	fs.IntVar(&cfg.Faults, "faults", 21, "how many faults to inject, one at a time, evenly spread")
	seed := fs.Uint64("seed", 0, "seed of the fault schedule and the load (0: from the clock, printed)")
	kinds := fs.String("kinds", strings.Join(chaos.AllKinds, ","), "fault kinds to cycle through (also: "+chaos.TermInstance+")")
	fs.Float64Var(&cfg.Rate, "rate", 30, "mutations per second")
	fs.DurationVar(&cfg.NATSDownFor, "nats-down", 15*time.Second, "how long the whole NATS cluster stays down")
	fs.StringVar(&cfg.Bin, "bin", "bin/edupulse", "the edupulse binary")
	fs.StringVar(&cfg.NATSBin, "nats-bin", "bin/nats-server", "the nats-server binary")
	fs.StringVar(&cfg.RunDir, "run-dir", "", "where logs and the report go (default: a new directory under $TMPDIR)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	cfg.Seed = *seed
	for _, k := range strings.Split(*kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.Kinds = append(cfg.Kinds, k)
		}
	}
	if cfg.RunDir == "" {
		dir, err := os.MkdirTemp("", "edupulse-chaos-"+time.Now().UTC().Format("20060102-150405")+"-")
		if err != nil {
			fmt.Fprintln(stderr, "edupulse-chaos:", err)
			return 2
		}
		cfg.RunDir = dir
	}
	for _, p := range []*string{&cfg.Bin, &cfg.NATSBin} {
		abs, err := filepath.Abs(*p)
		if err == nil {
			*p = abs
		}
	}
	// A hard ceiling, so that CI never waits on a run that hangs: the load,
	// plus start-up, the last fault's recovery, the drain and the reading of
	// store and stream, each bounded well below this.
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration+15*time.Minute)
	defer cancel()
	r, err := chaos.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "edupulse-chaos: %v\nlogs: %s\n", err, cfg.RunDir)
		return 2
	}
	if !r.OK() {
		return 1
	}
	return 0
}
