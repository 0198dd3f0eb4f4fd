package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/config"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/testpg"
)

// dashboardFile is the Grafana dashboard operators import.
const dashboardFile = "../../deploy/grafana/edupulse.json"

// TestDashboardQueriesNameExportedMetrics: every metric a query of the
// dashboard names is on a running instance's /metrics, once the instance
// has served a query, a mutation and a live delivery (histograms and
// labelled counters appear with their first observation).
func TestDashboardQueriesNameExportedMetrics(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var dash any
	require.NoError(t, json.Unmarshal(raw, &dash), "the dashboard is JSON")
	var exprs []string
	collectQueries(dash, &exprs)
	require.Greater(t, len(exprs), 15)
	wanted := map[string]bool{}
	for _, e := range exprs {
		names := metricNames(e)
		require.NotEmpty(t, names, "no metric in %q", e)
		for _, n := range names {
			wanted[n] = true
		}
	}

	cfg := config.Defaults
	cfg.DataDir, cfg.DatabaseURL, cfg.JWTSecret = t.TempDir(), testpg.Database(t, postgres.Migrate), secret
	cfg.RateLimit = 1000 // its counter exists only with a limit
	reg := newRegistry()
	in, err := startInstance(t.Context(), cfg, slog.New(slog.DiscardHandler), reg)
	require.NoError(t, err)
	n := &node{t: t, in: in, srv: httptest.NewServer(in.handler), reg: reg}
	t.Cleanup(n.stop)

	pulse := createPulse(t, n)
	sub, err := dial(t, n, "graphql-transport-ws", tokenFor(t, teacherA))
	require.NoError(t, err)
	sub.ack()
	sub.subscribe("1", pulseSub, map[string]any{"p": pulse})
	require.Eventually(t, func() bool { return in.hub.Subscriptions() == 1 }, 5*time.Second, 5*time.Millisecond)
	respond(t, n, pulse, newStudent(), "for the dashboard")
	sub.next("1", 1)
	status, _ := postAs(t, n, teacherA, "", `{ pulses(first: 1) { edges { node { id } } } }`, nil)
	require.Equal(t, http.StatusOK, status)

	exported := map[string]bool{}
	require.Eventually(t, func() bool {
		resp, err := http.Get(n.srv.URL + "/metrics")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		for line := range strings.SplitSeq(string(body), "\n") {
			if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
				fields := strings.Fields(name)
				exported[fields[0]] = true
				if fields[1] == "histogram" || fields[1] == "summary" {
					for _, s := range []string{"_bucket", "_sum", "_count"} {
						exported[fields[0]+s] = true
					}
				}
			}
		}
		for name := range wanted {
			if !exported[name] {
				return false
			}
		}
		return true
	}, 10*time.Second, 100*time.Millisecond, "missing from /metrics: %v", missing(wanted, exported))
	t.Logf("the dashboard's %d queries name %d metrics, all exported", len(exprs), len(wanted))
}

func missing(wanted, exported map[string]bool) []string {
	var out []string
	for n := range wanted {
		if !exported[n] {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// collectQueries gathers every PromQL expression of a dashboard: the
// panels' targets and the template variables' queries.
func collectQueries(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			switch s, isString := c.(string); {
			case isString && k == "expr":
				*out = append(*out, s)
			case isString && (k == "query" || k == "definition") && strings.Contains(s, "("):
				*out = append(*out, s)
			default:
				collectQueries(c, out)
			}
		}
	case []any:
		for _, c := range x {
			collectQueries(c, out)
		}
	}
}

var (
	promStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promLabelVals = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,[^)]*\)`)
	promIdent     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
)

// promKeywords are the words of PromQL that are not metric names.
var promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true, "without": true}

// metricNames returns the metric names of a PromQL expression (or of a
// Grafana label_values(metric, label) query): every identifier outside
// strings, label matchers, ranges and groupings that is not a function.
func metricNames(expr string) []string {
	expr = promLabelVals.ReplaceAllString(expr, "$1")
	expr = promStrings.ReplaceAllString(expr, "")
	expr = promMatchers.ReplaceAllString(expr, " ")
	expr = promRanges.ReplaceAllString(expr, " ")
	expr = promGrouping.ReplaceAllString(expr, " ")
	var names []string
	for _, loc := range promIdent.FindAllStringIndex(expr, -1) {
		word := expr[loc[0]:loc[1]]
		rest := strings.TrimLeft(expr[loc[1]:], " ")
		if strings.HasPrefix(rest, "(") || promKeywords[word] || strings.HasPrefix(word, "$") {
			continue
		}
		if loc[0] > 0 && expr[loc[0]-1] == '$' {
			continue // a Grafana variable
		}
		names = append(names, word)
	}
	return names
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"a_bucket"}, metricNames(`histogram_quantile(0.95, sum by (op, le) (rate(a_bucket{x="y{z}", i=~"$instance"}[$__rate_interval])))`))
	require.Equal(t, []string{"b", "c"}, metricNames(`b / on (instance) c`))
	require.Equal(t, []string{"go_goroutines"}, metricNames(`go_goroutines{instance=~"$instance"} / 1000`))
	require.Equal(t, []string{"m"}, metricNames(`label_values(m, instance)`))
}
