package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/stats"
)

func TestTargetVerdicts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		t    Target
		want string
	}{
		{Target{Measured: 0.85, Cmp: AtLeast, Threshold: 0.8}, "PASS"},
		{Target{Measured: 0.8, Cmp: AtLeast, Threshold: 0.8}, "PASS"},
		{Target{Measured: 0.79, Cmp: AtLeast, Threshold: 0.8}, "MISS"},
		{Target{Measured: 100, Cmp: AtMost, Threshold: 100}, "PASS"},
		{Target{Measured: 101, Cmp: AtMost, Threshold: 100}, "MISS"},
		{Target{Measured: 10, Cmp: AtMost, Threshold: 100, Failed: []string{"3 lost"}}, "MISS"},
		{Target{Measured: math.NaN(), Cmp: AtMost, Threshold: 100}, "MISS"},
		{Target{Skipped: true, Cmp: AtLeast, Threshold: 0.8}, "SKIP"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.t.Verdict(), "%+v", c.t)
	}
	r := Report{}
	for _, c := range cases {
		r.Judge(c.t)
	}
	assert.Equal(t, 4, r.Misses())
}

func sample() *Report {
	r := &Report{Meta: Meta{Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Duration: 95 * time.Second,
		Mode: "quick", Go: "go1.26", CPUs: 2, Store: "PostgreSQL 15", Bus: "embedded NATS", Commit: "abc1234"}}
	r.Add(Row{Scenario: "writes createPulse", Case: "16 clients", System: SystemServer, Ops: 2000, Seconds: 2,
		Throughput: 1000, Unit: "tx/s", Latency: stats.Summary{Count: 2000, P50: 1500 * time.Microsecond,
			P90: 12 * time.Millisecond, P99: 250 * time.Millisecond, Max: 1200 * time.Millisecond},
		CPUPercent: 120, CPUOf: "edupulse", ClientCPUPercent: 30, HostBusyPercent: 95, RSSKiB: 40960, Ratio: 0.5})
	r.Add(Row{Scenario: "fan-out", Case: "1000 × 20/s", System: "gorilla broadcast", Deliveries: true, Lost: 2, Dup: 1,
		Throughput: 20000, Unit: "deliveries/s"})
	r.Add(Row{Scenario: "idle", Case: "2000 conns", System: SystemServer, PerConnKiB: 31.25})
	r.Judge(Target{Name: "writes ≥ 80% of pgbench at 16 clients", Measured: 0.5, Cmp: AtLeast, Threshold: 0.8, Unit: "× floor"})
	r.Judge(Target{Name: "burst p99", Measured: 42.5, Cmp: AtMost, Threshold: 100, Unit: "ms", Failed: []string{"2 lost"}})
	r.Judge(Target{Name: "pgbench", Skipped: true, Cmp: AtLeast, Threshold: 0.8, Note: "no PostgreSQL"})
	r.Note("fan-out: %d subscription per connection", 1)
	return r
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	md := sample().Markdown()
	for _, want := range []string{
		"quick run of 2026-01-02 03:04 UTC, 1m35s, on 2 CPUs with go1.26; store: PostgreSQL 15; bus: embedded NATS; commit abc1234.",
		"| writes createPulse | 16 clients | server | 1000 tx/s | 1.5 ms | 12 ms | 250 ms | 1.20 s | 0 | – | – | 120% edupulse | 30% | 95% | 40 MiB | 50% |",
		"| fan-out | 1000 × 20/s | gorilla broadcast | 20000 deliveries/s | – | – | – | – | 0 | 2 | 1 | – | – | – | – |  |",
		"| idle | 2000 conns | server | – | – | – | – | – | 0 | – | – | – | – | – | 31.2 KiB/conn |  |",
		"| writes ≥ 80% of pgbench at 16 clients | 0.500 × floor | >= 0.800 × floor | MISS |",
		"| burst p99 | 42.5 ms | <= 100 ms | MISS (2 lost) |",
		"| pgbench | – | >= 0.800 | SKIP — no PostgreSQL |",
		"- fan-out: 1 subscription per connection",
	} {
		assert.Contains(t, md, want)
	}
	// Every table line has the same number of cells as its header.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| writes createPulse") || strings.HasPrefix(line, "| scenario") {
			assert.Equal(t, 17, strings.Count(line, "|"), line)
		}
	}
}

func TestJSONL(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, sample().WriteJSONL(&buf))
	var kinds []string
	sc := bufio.NewScanner(&buf)
	var first map[string]any
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		kinds = append(kinds, m["kind"].(string))
		if m["kind"] == "row" && first == nil {
			first = m
		}
		if m["kind"] == "target" && m["name"] == "burst p99" {
			assert.Equal(t, "MISS", m["verdict"])
		}
		if m["kind"] == "meta" {
			assert.InDelta(t, 95.0, m["seconds"], 1e-9)
		}
	}
	assert.Equal(t, []string{"meta", "row", "row", "row", "target", "target", "target", "note"}, kinds)
	require.NotNil(t, first)
	assert.InDelta(t, 1.5, first["p50_ms"], 1e-9)
	assert.InDelta(t, 1200.0, first["max_ms"], 1e-9)
	assert.InDelta(t, 0.5, first["ratio_to_floor"], 1e-9)
	assert.Equal(t, "writes createPulse", first["scenario"])
}

func TestNumber(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "1234", number(1234.4))
	assert.Equal(t, "12.3", number(12.34))
	assert.Equal(t, "1.23", number(1.234))
	assert.Equal(t, "0.123", number(0.1234))
	assert.Equal(t, "16", number(16))
	assert.Equal(t, "n/a", number(math.NaN()))
}
