// Package report holds the results of a benchmark run and writes them as
// a Markdown table (for people, and for the README to quote) and as JSON
// lines (for scripts comparing runs).
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/edupulse/edupulse-live/cmd/edupulse-bench/internal/stats"
)

// Systems a row can measure.
const (
	SystemServer = "server"
)

// Row is one measured run: the server, or the physical floor it is
// compared with, in one case of one scenario.
type Row struct {
	Scenario string `json:"scenario"`
	Case     string `json:"case"`
	// System is SystemServer or the name of the floor ("pgbench",
	// "gorilla broadcast", "raw JetStream publish").
	System string `json:"system"`

	Ops        int64   `json:"ops"`
	Seconds    float64 `json:"seconds"`
	Throughput float64 `json:"throughput"`
	Unit       string  `json:"unit"`

	Latency stats.Summary `json:"-"`
	// Deliveries: whether Lost and Dup apply.
	Deliveries bool  `json:"deliveries"`
	Errors     int64 `json:"errors"`
	Lost       int64 `json:"lost"`
	Dup        int64 `json:"duplicated"`

	// CPUPercent is the measured process's CPU (user+system) over the
	// run, in percent of one core; CPUOf names the process.
	CPUPercent float64 `json:"cpu_percent"`
	CPUOf      string  `json:"cpu_of,omitempty"`
	// ClientCPUPercent is the load generator's own CPU over the run.
	ClientCPUPercent float64 `json:"client_cpu_percent"`
	// HostBusyPercent is the whole machine's busy time over the run, in
	// percent of all cores: what the others sharing it took shows here.
	HostBusyPercent float64 `json:"host_busy_percent"`
	// RSSKiB is the measured process's resident set at the end of the run
	// (0: not measured); PerConnKiB its increase per connection.
	RSSKiB     int64   `json:"rss_kib,omitempty"`
	PerConnKiB float64 `json:"per_conn_kib,omitempty"`

	// Ratio is this row's throughput over its floor's (0: no floor).
	Ratio float64 `json:"ratio_to_floor,omitempty"`
	Note  string  `json:"note,omitempty"`
}

// MarshalJSON adds the latency figures in milliseconds.
func (r Row) MarshalJSON() ([]byte, error) {
	type plain Row
	return json.Marshal(struct {
		Kind string `json:"kind"`
		plain
		Samples int     `json:"latency_samples"`
		MeanMS  float64 `json:"mean_ms"`
		P50MS   float64 `json:"p50_ms"`
		P90MS   float64 `json:"p90_ms"`
		P99MS   float64 `json:"p99_ms"`
		MaxMS   float64 `json:"max_ms"`
	}{"row", plain(r), r.Latency.Count, msOf(r.Latency.Mean), msOf(r.Latency.P50), msOf(r.Latency.P90),
		msOf(r.Latency.P99), msOf(r.Latency.Max)})
}

func msOf(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// Comparison says how a target's measure is judged.
type Comparison string

// The comparisons of a target.
const (
	AtMost  Comparison = "<="
	AtLeast Comparison = ">="
)

// Target is one goal of the issue, judged against a measure of the run.
type Target struct {
	Name      string     `json:"name"`
	Measured  float64    `json:"measured"`
	Cmp       Comparison `json:"comparison"`
	Threshold float64    `json:"threshold"`
	Unit      string     `json:"unit"`
	// Extra conditions that must also hold (nothing lost…), each false
	// one named in Failed.
	Failed []string `json:"failed_conditions,omitempty"`
	// Skipped: the measure could not be taken (no PostgreSQL for
	// pgbench…); Note says why.
	Skipped bool   `json:"skipped,omitempty"`
	Note    string `json:"note,omitempty"`
}

// Pass reports whether the target is met.
func (t Target) Pass() bool {
	if t.Skipped || len(t.Failed) > 0 || math.IsNaN(t.Measured) {
		return false
	}
	if t.Cmp == AtMost {
		return t.Measured <= t.Threshold
	}
	return t.Measured >= t.Threshold
}

// Verdict is PASS, MISS or SKIP.
func (t Target) Verdict() string {
	switch {
	case t.Skipped:
		return "SKIP"
	case t.Pass():
		return "PASS"
	default:
		return "MISS"
	}
}

// MarshalJSON adds the verdict.
func (t Target) MarshalJSON() ([]byte, error) {
	type plain Target
	return json.Marshal(struct {
		Kind string `json:"kind"`
		plain
		Verdict string `json:"verdict"`
	}{"target", plain(t), t.Verdict()})
}

// Meta describes the run.
type Meta struct {
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"-"`
	Mode     string        `json:"mode"`
	Commit   string        `json:"commit,omitempty"`
	Go       string        `json:"go"`
	CPUs     int           `json:"cpus"`
	Store    string        `json:"store"`
	Bus      string        `json:"bus"`
	Args     []string      `json:"args,omitempty"`
}

// Report is a whole run.
type Report struct {
	Meta    Meta
	Rows    []Row
	Targets []Target
	Notes   []string
}

// Add appends rows.
func (r *Report) Add(rows ...Row) { r.Rows = append(r.Rows, rows...) }

// Judge appends targets.
func (r *Report) Judge(ts ...Target) { r.Targets = append(r.Targets, ts...) }

// Note appends a note.
func (r *Report) Note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Misses counts the targets missed (skipped ones are not misses).
func (r *Report) Misses() int {
	n := 0
	for _, t := range r.Targets {
		if !t.Skipped && !t.Pass() {
			n++
		}
	}
	return n
}

// WriteJSONL writes the run as JSON lines: a meta line, then every row,
// target and note.
func (r *Report) WriteJSONL(w io.Writer) error {
	enc := json.NewEncoder(w)
	meta := struct {
		Kind string `json:"kind"`
		Meta
		Seconds float64 `json:"seconds"`
	}{"meta", r.Meta, r.Meta.Duration.Seconds()}
	if err := enc.Encode(meta); err != nil {
		return err
	}
	for _, row := range r.Rows {
		if err := enc.Encode(row); err != nil {
			return err
		}
	}
	for _, t := range r.Targets {
		if err := enc.Encode(t); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		if err := enc.Encode(struct {
			Kind string `json:"kind"`
			Text string `json:"text"`
		}{"note", n}); err != nil {
			return err
		}
	}
	return nil
}

// Markdown renders the run: the measurements, server rows next to their
// floors, then the targets with PASS/MISS, then the notes.
func (r *Report) Markdown() string {
	var b strings.Builder
	m := r.Meta
	fmt.Fprintf(&b, "# edupulse-bench results\n\n")
	fmt.Fprintf(&b, "%s run of %s, %s, on %d CPUs with %s; store: %s; bus: %s",
		m.Mode, m.Started.UTC().Format("2006-01-02 15:04 MST"), m.Duration.Round(time.Second), m.CPUs, m.Go, m.Store, m.Bus)
	if m.Commit != "" {
		fmt.Fprintf(&b, "; commit %s", m.Commit)
	}
	b.WriteString(".\n\n")

	b.WriteString("| scenario | case | system | throughput | p50 | p90 | p99 | max | errors | lost | dup | CPU | client CPU | host busy | RSS | vs floor |\n")
	b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, row := range r.Rows {
		lost, dup := "–", "–"
		if row.Deliveries {
			lost, dup = fmt.Sprint(row.Lost), fmt.Sprint(row.Dup)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n",
			row.Scenario, row.Case, row.System, rate(row.Throughput, row.Unit),
			latency(row.Latency.P50, row.Latency.Count), latency(row.Latency.P90, row.Latency.Count),
			latency(row.Latency.P99, row.Latency.Count), latency(row.Latency.Max, row.Latency.Count),
			row.Errors, lost, dup, cpu(row.CPUPercent, row.CPUOf), percent(row.ClientCPUPercent),
			percent(row.HostBusyPercent), rss(row), ratio(row.Ratio))
	}
	if len(r.Targets) > 0 {
		b.WriteString("\n| target | measured | goal | result |\n|---|--:|--:|---|\n")
		for _, t := range r.Targets {
			measured := number(t.Measured) + " " + t.Unit
			if t.Skipped {
				measured = "–"
			}
			result := t.Verdict()
			if len(t.Failed) > 0 {
				result += " (" + strings.Join(t.Failed, "; ") + ")"
			}
			if t.Note != "" {
				result += " — " + t.Note
			}
			goal := strings.TrimSpace(fmt.Sprintf("%s %s %s", t.Cmp, number(t.Threshold), t.Unit))
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.Name, strings.TrimSpace(measured), goal, result)
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nNotes:\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

// number prints a measure with 3 significant digits, without exponent.
func number(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "n/a"
	case a >= 100 || a == math.Trunc(a):
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func rate(v float64, unit string) string {
	if v == 0 && unit == "" {
		return "–"
	}
	return number(v) + " " + unit
}

func latency(d time.Duration, count int) string {
	if count == 0 {
		return "–"
	}
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
}

func percent(p float64) string {
	if p == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", p)
}

func cpu(p float64, of string) string {
	s := percent(p)
	if of != "" && p != 0 {
		s += " " + of
	}
	return s
}

func rss(row Row) string {
	switch {
	case row.PerConnKiB != 0:
		return fmt.Sprintf("%.1f KiB/conn", row.PerConnKiB)
	case row.RSSKiB != 0:
		return fmt.Sprintf("%.0f MiB", float64(row.RSSKiB)/1024)
	default:
		return "–"
	}
}

func ratio(r float64) string {
	if r == 0 {
		return ""
	}
	return fmt.Sprintf("%.0f%%", 100*r)
}
