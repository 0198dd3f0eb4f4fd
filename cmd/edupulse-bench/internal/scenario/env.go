// Package scenario holds the benchmark's scenarios: each drives the real
// server (a child process) or, where that cannot be done from outside, its
// real parts in process, measures it next to its physical floor in the
// same run, and adds rows and targets to the report.
package scenario

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/harness"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/procfs"
	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/report"
	"github.com/edupulse/edupulse-live/internal/auth"
	"github.com/edupulse/edupulse-live/internal/gqlclient"
)

// Env is what every scenario shares.
type Env struct {
	// Bin is the edupulse binary; Self this benchmark's own (run as the
	// broadcast floor).
	Bin, Self string
	// Root is the scratch directory (servers' data dirs, pgbench logs).
	Root string
	// Secret is the servers' EDUPULSE_JWT_SECRET.
	Secret string
	// DB is the PostgreSQL database the servers use; nil: the embedded
	// store. AdminURL is its server's admin URL (for the relay's own
	// database).
	DB       *harness.Database
	AdminURL string
	// NATSURL is an external NATS for the servers; empty: embedded.
	NATSURL string
	Report  *report.Report
	Out     io.Writer

	tokens *auth.Tokens
	mu     sync.Mutex
	seq    int
}

// Init prepares the token issuer.
func (e *Env) Init() error {
	t, err := auth.NewTokens([]byte(e.Secret))
	if err != nil {
		return err
	}
	e.tokens = t
	return nil
}

// Logf prints a progress line.
func (e *Env) Logf(format string, args ...any) {
	fmt.Fprintf(e.Out, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// Token mints a token for a.
func (e *Env) Token(a auth.Actor) string {
	tok, err := e.tokens.Issue(a, 2*time.Hour)
	if err != nil {
		panic(err) // only a bad actor fails, and ours are well formed
	}
	return tok
}

// NewActor mints a fresh actor of role and its token.
func (e *Env) NewActor(role auth.Role) (auth.Actor, string) {
	a := auth.Actor{ID: uuid.New(), Role: role}
	return a, e.Token(a)
}

// StartServer starts a fresh edupulse child with its own data dir.
func (e *Env) StartServer(ctx context.Context, name string) (*harness.Server, error) {
	e.mu.Lock()
	e.seq++
	dir := filepath.Join(e.Root, strconv.Itoa(e.seq)+"-"+name)
	e.mu.Unlock()
	cfg := harness.Config{Bin: e.Bin, DataDir: dir, NATSURL: e.NATSURL, Secret: e.Secret}
	if e.DB != nil {
		cfg.DatabaseURL = e.DB.URL
	}
	s, err := harness.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if lim, err := procfs.OpenFilesLimit(s.PID); err == nil {
		e.Logf("%s: edupulse pid %d at %s (open files limit %d)", name, s.PID, s.URL, lim)
	}
	return s, nil
}

// stopServer stops s, logging a failure (the run goes on).
func (e *Env) stopServer(s *harness.Server) {
	if err := s.Stop(); err != nil {
		e.Logf("stopping edupulse: %v\n%s", err, lastLines(s.Log(), 20))
	}
}

// ScratchDir returns a fresh directory under Root.
func (e *Env) ScratchDir(name string) (string, error) {
	e.mu.Lock()
	e.seq++
	dir := filepath.Join(e.Root, strconv.Itoa(e.seq)+"-"+name)
	e.mu.Unlock()
	return dir, os.MkdirAll(dir, 0o750)
}

// meters measures the server, this process and the machine over a run.
type meters struct {
	server, self *procfs.Meter
}

func startMeters(serverPID int) meters {
	return meters{server: procfs.Start(serverPID), self: procfs.Start(os.Getpid())}
}

// fill records the meters' readings in row.
func (m meters) fill(row *report.Row, serverPID int, of string) {
	su := m.server.Stop()
	row.CPUPercent, row.CPUOf = su.Percent, of
	row.HostBusyPercent = su.HostBusy
	row.ClientCPUPercent = m.self.Stop().Percent
	if serverPID > 0 {
		if rss, err := procfs.RSS(serverPID); err == nil {
			row.RSSKiB = rss
		}
	}
}

func lastLines(s string, n int) string {
	lines := 0
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			lines++
			if lines > n {
				return s[i+1:]
			}
		}
	}
	return s
}

// The documents the load sends.
const (
	createPulseDoc = `mutation($t: String!) { createPulse(input: {title: $t}) { pulse { id createdAt } event { id version cursor } } }`
	respondDoc     = `mutation($p: UUID!, $a: String!) { respondToPulse(input: {pulseId: $p, answer: $a, confidence: 3}) { response { id } event { id version cursor } } }`
	// eventFields is what a live client asks of each event: the event's
	// id first (gqlclient.Parse relies on it).
	eventFields = `id cursor version type aggregateId actorId occurredAt payload { __typename
		... on LearningPulseResponded { studentId response { answer confidence } } }`
	pulseEventsDoc = `subscription($p: UUID!) { pulseEvents(pulseId: $p) { ` + eventFields + ` } }`
	eventsDoc      = `subscription($after: String) { events(after: $after) { ` + eventFields + ` } }`

	pulseTitle = "How clear was today's lesson?"
	answerText = "Mostly clear; the second example lost me a bit."
)

type mutationEvent struct {
	ID      string
	Version int
	Cursor  string
}

func createPulse(ctx context.Context, hc *gqlclient.HTTP, token string) (string, mutationEvent, error) {
	var out struct {
		CreatePulse struct {
			Pulse struct{ ID string }
			Event mutationEvent
		}
	}
	err := hc.Decode(ctx, token, gqlclient.Body(createPulseDoc, map[string]any{"t": pulseTitle}), &out)
	return out.CreatePulse.Pulse.ID, out.CreatePulse.Event, err
}

func respondBody(pulse string) []byte {
	return gqlclient.Body(respondDoc, map[string]any{"p": pulse, "a": answerText})
}

func respond(ctx context.Context, hc *gqlclient.HTTP, token string, body []byte) (mutationEvent, error) {
	var out struct {
		RespondToPulse struct{ Event mutationEvent }
	}
	err := hc.Decode(ctx, token, body, &out)
	return out.RespondToPulse.Event, err
}

// createPulses creates n pulses as teacher with a few concurrent requests.
func createPulses(ctx context.Context, hc *gqlclient.HTTP, token string, n int) ([]string, error) {
	ids := make([]string, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			id, _, err := createPulse(ctx, hc, token)
			ids[i] = id
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("create pulses: %w", err)
	}
	return ids, nil
}
