package floor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/stats"
	"github.com/edupulse/edupulse-live/internal/event"
)

// Script is a pgbench custom script (-f) and the variables it needs (-D).
//
// The scripts run the statements of internal/store/postgres/write.go, with
// the same columns, values of the same types and a body of the same shape
// and size, in the fewest round trips the statements allow: pgbench's
// pipeline mode sends what needs no answer together, as the store does
// with pgx batches, but also folds BEGIN and COMMIT into the batch, which
// the store does not (it costs the store two more round trips per
// transaction). Ids come from gen_random_uuid(), shared between the
// statements of one transaction through transaction-local settings, so
// that no round trip is spent fetching them.
type Script struct {
	Name string
	SQL  string
	Vars map[string]string
}

// CreatePulseScript is createPulse's transaction: the pulse row, the
// aggregate row, the event row and its outbox entry.
func CreatePulseScript(title string) Script {
	teacher := uuid.New()
	now := time.Now()
	p := event.LearningPulseCreated{PulseID: uuid.New(), TeacherID: teacher}
	ev := event.New(p, event.Meta{ActorID: teacher, CorrelationID: uuid.New()}, now)
	ev.Version = 1
	body, err := event.Marshal(ev)
	if err != nil {
		panic(err) // a valid event always encodes
	}
	sql := fmt.Sprintf(`-- createPulse (internal/store/postgres/write.go: InsertPulse, Append ExpectNew)
\startpipeline
BEGIN;
SELECT set_config('eb.pulse', gen_random_uuid()::text, true), set_config('eb.event', gen_random_uuid()::text, true), set_config('eb.actor', gen_random_uuid()::text, true);
INSERT INTO pulses (id, teacher_id, title, description, due_date, created_at) VALUES (current_setting('eb.pulse')::uuid, current_setting('eb.actor')::uuid, :title, NULL, NULL, now());
INSERT INTO aggregates (id, type, version) VALUES (current_setting('eb.pulse')::uuid, '%[1]s', 1);
INSERT INTO events (id, aggregate_id, aggregate_type, version, type, actor_id, occurred_at, body) VALUES (current_setting('eb.event')::uuid, current_setting('eb.pulse')::uuid, '%[1]s', 1, '%[2]s', current_setting('eb.actor')::uuid, now(), :body);
INSERT INTO outbox (event_id, aggregate_id, aggregate_type, version, subject) VALUES (current_setting('eb.event')::uuid, current_setting('eb.pulse')::uuid, '%[1]s', 1, '%[3]s');
COMMIT;
\endpipeline
`, ev.AggregateType, ev.Type(), ev.Subject())
	return Script{Name: "createPulse", SQL: sql, Vars: map[string]string{"title": title, "body": string(body)}}
}

// SeedRespondPulses is the SQL creating the pulses 1..n that RespondScript
// answers (ids md5('eb-pulse-<k>')), with their aggregate rows.
func SeedRespondPulses(n int) []string {
	return []string{
		fmt.Sprintf(`INSERT INTO pulses (id, teacher_id, title, created_at)
			SELECT md5('eb-pulse-' || k)::uuid, gen_random_uuid(), 'Exit ticket', now() FROM generate_series(1, %d) k
			ON CONFLICT DO NOTHING`, n),
		fmt.Sprintf(`INSERT INTO aggregates (id, type, version)
			SELECT md5('eb-pulse-' || k)::uuid, '%s', 1 FROM generate_series(1, %d) k
			ON CONFLICT DO NOTHING`, event.AggregatePulse, n),
	}
}

// RespondScript is respondToPulse's transaction in the store's two round
// trips: lock the pulse (and, in the store, read its aggregate's version
// in the same batch), then bump the version, the event, its outbox entry,
// the response, the pulse's count and COMMIT. pgbench cannot read a value
// back inside a pipeline (\gset), so the version is taken by subqueries in
// the second batch where the store sends it as a parameter. Client c
// answers pulses c·perClient+1 … (c+1)·perClient, so that clients never
// wait on each other's pulse lock; the server's load does the same. Seed
// the pulses with SeedRespondPulses.
func RespondScript(answer string, perClient int) Script {
	student := uuid.New()
	p := event.LearningPulseResponded{PulseID: uuid.New(), StudentID: student, ResponseID: uuid.New()}
	ev := event.New(p, event.Meta{ActorID: student, CorrelationID: uuid.New()}, time.Now())
	ev.Version = 2
	body, err := event.Marshal(ev)
	if err != nil {
		panic(err)
	}
	sql := fmt.Sprintf(`-- respondToPulse (internal/store/postgres/write.go: LockPulse, Append with the version read, InsertResponse)
\set k 1 + :client_id * :per + random(0, :per - 1)
\startpipeline
BEGIN;
SELECT set_config('eb.pulse', md5('eb-pulse-' || :k)::uuid::text, true), set_config('eb.event', gen_random_uuid()::text, true), set_config('eb.actor', gen_random_uuid()::text, true), set_config('eb.response', gen_random_uuid()::text, true);
SELECT id, teacher_id, title, description, due_date, created_at, closed_at, response_count FROM pulses WHERE id = current_setting('eb.pulse')::uuid FOR UPDATE;
SELECT coalesce((SELECT version FROM aggregates WHERE id = current_setting('eb.pulse')::uuid AND type = '%[1]s'), 0);
\endpipeline
\startpipeline
UPDATE aggregates SET version = version + 1 WHERE id = current_setting('eb.pulse')::uuid AND type = '%[1]s';
INSERT INTO events (id, aggregate_id, aggregate_type, version, type, actor_id, occurred_at, body) VALUES (current_setting('eb.event')::uuid, current_setting('eb.pulse')::uuid, '%[1]s', (SELECT version FROM aggregates WHERE id = current_setting('eb.pulse')::uuid AND type = '%[1]s'), '%[2]s', current_setting('eb.actor')::uuid, now(), :body);
INSERT INTO outbox (event_id, aggregate_id, aggregate_type, version, subject) VALUES (current_setting('eb.event')::uuid, current_setting('eb.pulse')::uuid, '%[1]s', (SELECT version FROM aggregates WHERE id = current_setting('eb.pulse')::uuid AND type = '%[1]s'), '%[3]s');
INSERT INTO pulse_responses (id, pulse_id, student_id, answer, confidence, created_at, seq) VALUES (current_setting('eb.response')::uuid, current_setting('eb.pulse')::uuid, current_setting('eb.actor')::uuid, :answer, 3, now(), (SELECT version FROM aggregates WHERE id = current_setting('eb.pulse')::uuid AND type = '%[1]s'));
UPDATE pulses SET response_count = response_count + 1 WHERE id = current_setting('eb.pulse')::uuid;
COMMIT;
\endpipeline
`, ev.AggregateType, ev.Type(), ev.Subject())
	return Script{Name: "respondToPulse", SQL: sql, Vars: map[string]string{
		"answer": answer, "body": string(body), "per": strconv.Itoa(perClient)}}
}

// pgbench prints "tps = 1234.567890 (without initial connection time)".
var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)

// PgbenchResult is one pgbench run.
type PgbenchResult struct {
	TPS     float64
	Tx      int64
	Failed  int64
	Latency stats.Summary
	// CPU is pgbench's own CPU time (user + system, every thread).
	CPU     time.Duration
	Elapsed time.Duration
	Output  string
}

// RunPgbench runs script with clients connections for d against the
// database at url, from dir (where the script and the per-transaction
// logs go), in prepared mode with one thread per core.
func RunPgbench(ctx context.Context, url, dir string, s Script, clients, threads int, d time.Duration) (PgbenchResult, error) {
	script := filepath.Join(dir, s.Name+".sql")
	if err := os.WriteFile(script, []byte(s.SQL), 0o600); err != nil {
		return PgbenchResult{}, err
	}
	prefix := filepath.Join(dir, s.Name+"-log")
	secs := max(1, int(d.Round(time.Second)/time.Second))
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", strconv.Itoa(min(threads, clients)),
		"-T", strconv.Itoa(secs), "-f", script, "-l", "--log-prefix=" + prefix}
	for k, v := range s.Vars {
		args = append(args, "-D", k+"="+v)
	}
	args = append(args, url)
	cmd := exec.CommandContext(ctx, "pgbench", args...)
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	r := PgbenchResult{Elapsed: time.Since(start), Output: string(out)}
	if cmd.ProcessState != nil {
		r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return r, fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	m := tpsLine.FindStringSubmatch(r.Output)
	if m == nil {
		return r, fmt.Errorf("pgbench: no tps in its output:\n%s", out)
	}
	r.TPS, _ = strconv.ParseFloat(m[1], 64)
	logs, _ := filepath.Glob(prefix + ".*")
	var lat []time.Duration
	for _, f := range logs {
		ok, failed, err := readPgbenchLog(f, &lat)
		if err != nil {
			return r, err
		}
		r.Tx += ok
		r.Failed += failed
		_ = os.Remove(f)
	}
	r.Latency = stats.Summarize(lat)
	return r, nil
}

// readPgbenchLog reads a per-transaction log (-l): "client_id
// transaction_no time script_no time_epoch time_us [...]", time being the
// latency in µs, or "failed" (or "skipped") for a transaction that did not
// complete.
func readPgbenchLog(path string, lat *[]time.Duration) (ok, failed int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		us, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			failed++
			continue
		}
		ok++
		*lat = append(*lat, time.Duration(us)*time.Microsecond)
	}
	if err := sc.Err(); err != nil {
		return ok, failed, fmt.Errorf("pgbench log %s: %w", path, err)
	}
	return ok, failed, nil
}

// HavePgbench reports whether pgbench is on PATH.
func HavePgbench() error {
	_, err := exec.LookPath("pgbench")
	if err != nil {
		return errors.New("pgbench not found on PATH (Debian: apt-get install postgresql-client)")
	}
	return nil
}
