package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// On SIGTERM the instance first reports not-ready while it still serves,
// for the drain period, and only then closes its listener: a load
// balancer polling readiness moves traffic away before anything is refused.
func TestShutdownDrainsBeforeClosing(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"EDUPULSE_HTTP_ADDR":    "127.0.0.1:0",
		"EDUPULSE_DATA_DIR":     t.TempDir(),
		"EDUPULSE_JWT_SECRET":   secret,
		"EDUPULSE_DRAIN_PERIOD": "1500ms",
	}
	ctx, terminate := context.WithCancel(context.Background())
	defer terminate()
	url, served := serveForTest(ctx, t, env)
	status := func(path string) int {
		resp, err := http.Get(url + path)
		if err != nil {
			return 0 // refused: the listener is closed
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	require.Eventually(t, func() bool { return status("/readyz") == http.StatusOK }, 10*time.Second, 10*time.Millisecond)

	terminate() // what SIGTERM does
	require.Eventually(t, func() bool { return status("/readyz") == http.StatusServiceUnavailable }, time.Second, 5*time.Millisecond,
		"readiness fails first")
	require.Equal(t, http.StatusOK, status("/healthz"), "while the listener still serves")
	select {
	case err := <-served:
		t.Fatalf("serve returned before the drain period: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not return after the drain")
	}
	require.Zero(t, status("/healthz"), "the listener is closed")
}

// A background worker that stops while the instance runs takes the
// process down with its error, instead of leaving it half-working.
func TestDeadWorkerStopsTheInstance(t *testing.T) {
	t.Parallel()
	in := &instance{failed: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in.goWork(ctx, slog.New(slog.DiscardHandler), "relay", func() error { return errors.New("outbox table missing") })
	in.goWork(ctx, slog.New(slog.DiscardHandler), "hub", func() error { <-ctx.Done(); return nil })
	select {
	case err := <-in.Failed():
		require.ErrorContains(t, err, "worker relay: outbox table missing")
	case <-time.After(5 * time.Second):
		t.Fatal("the dead worker was not reported")
	}
	cancel()
	in.workers.Wait()
	select {
	case err := <-in.Failed():
		t.Fatalf("a worker that stops because the instance stops is no failure: %v", err)
	default:
	}
}

// EDUPULSE_ENV=production, end to end: introspection is refused, the
// playground, the SDL and the metrics are not on the public listener, and
// the admin listener serves the metrics.
func TestProductionMode(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"EDUPULSE_ENV":        "production",
		"EDUPULSE_HTTP_ADDR":  "127.0.0.1:0",
		"EDUPULSE_ADMIN_ADDR": "127.0.0.1:" + strconv.Itoa(freeTCPPort(t)),
		"EDUPULSE_DATA_DIR":   t.TempDir(),
		"EDUPULSE_JWT_SECRET": secret,
	}
	ctx, stop := context.WithCancel(context.Background())
	url, served := serveForTest(ctx, t, env)
	defer func() { stop(); <-served }()

	get := func(u string) int {
		resp, err := http.Get(u)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	for _, p := range []string{"/", "/schema.graphql", "/metrics"} {
		require.Equal(t, http.StatusNotFound, get(url+p), p)
	}
	require.Equal(t, http.StatusOK, get("http://"+env["EDUPULSE_ADMIN_ADDR"]+"/metrics"))

	resp, err := http.Post(url+"/query", "application/json", strings.NewReader(`{"query":"{ __schema { queryType { name } } }"}`))
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Contains(t, string(raw), `"code":"BAD_USER_INPUT","reason":"INTROSPECTION_DISABLED"`, string(raw))
	require.Contains(t, string(raw), "introspection is disabled")
}

// serveForTest runs serve until ctx ends and returns its URL and the
// channel its result arrives on.
func serveForTest(ctx context.Context, t *testing.T, env map[string]string) (string, <-chan error) {
	t.Helper()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, func(k string) string { return env[k] }, outW, io.Discard)
		_ = outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	var url string
	for url == "" && lines.Scan() {
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	require.NotEmpty(t, url)
	return url, served
}
