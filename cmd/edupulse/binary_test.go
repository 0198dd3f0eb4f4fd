package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
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
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBinaryZeroSetUp builds the real binary and runs it as a newcomer
// would: no configuration but a fresh data dir. It creates a pulse with a
// printed development token, restarts the binary and reads the pulse back.
func TestBinaryZeroSetUp(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "edupulse")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	work := t.TempDir() // the default ./data lands here
	srv := start(t, bin, work)
	teacher := srv.tokens["teacher"]
	require.NotEmpty(t, teacher, "development mode prints a teacher token")

	var created struct {
		CreatePulse struct {
			Pulse struct{ ID, Title string }
		}
	}
	srv.graphql(t, teacher, `mutation { createPulse(input: {title: "Survives a restart"}) { pulse { id title } } }`, &created)
	id := created.CreatePulse.Pulse.ID
	require.NotEmpty(t, id)

	// One data dir belongs to one process: a second one on it exits at
	// once, naming the holder, instead of running an embedded store and
	// NATS server on the same files.
	second := exec.Command(bin)
	second.Dir = work
	second.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work, "EDUPULSE_HTTP_ADDR=127.0.0.1:0"}
	var secondErr bytes.Buffer
	second.Stderr = &secondErr
	done := make(chan error, 1)
	require.NoError(t, second.Start())
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "the second process fails")
		require.Contains(t, secondErr.String(), "pid "+strconv.Itoa(srv.cmd.Process.Pid), "it names the holder")
		require.Contains(t, secondErr.String(), "data")
	case <-time.After(30 * time.Second):
		_ = second.Process.Kill()
		t.Fatal("a second process on the same data dir is still running")
	}
	srv.stop(t)
	require.FileExists(t, filepath.Join(work, "data", "edupulse.db"), "the embedded store lives in ./data")

	again := start(t, bin, work)
	require.Equal(t, subject(t, teacher), subject(t, again.tokens["teacher"]), "the development users keep their ids across a restart")
	var read struct {
		Pulse *struct{ ID, Title string }
	}
	again.graphql(t, again.tokens["student"], `query { pulse(id: "`+id+`") { id title } }`, &read)
	require.NotNil(t, read.Pulse, "the pulse is still there after a restart")
	require.Equal(t, "Survives a restart", read.Pulse.Title)
	again.stop(t)
}

type process struct {
	cmd    *exec.Cmd
	url    string
	tokens map[string]string
	exited chan error
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

func start(t *testing.T, bin, dir string) *process {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = dir
	// Only what a fresh machine has: no DATABASE_URL, NATS_URL or secret.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "EDUPULSE_HTTP_ADDR=127.0.0.1:0"}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd, tokens: map[string]string{}, exited: make(chan error, 1)}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		p.exited <- cmd.Wait()
	}()
	deadline := time.After(60 * time.Second)
	for p.url == "" || len(p.tokens) < 3 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the server exited early: %s", stderr)
			}
			if m := listening.FindStringSubmatch(line); m != nil {
				p.url = m[1]
			}
			if f := strings.Fields(line); len(f) == 2 && (f[0] == "teacher" || f[0] == "student" || f[0] == "admin") {
				p.tokens[f[0]] = f[1]
			}
		case <-deadline:
			t.Fatalf("the server did not start: %s", stderr)
		}
	}
	go func() {
		// Drain stdout so that the server never blocks writing to it.
		for range lines {
		}
	}()
	require.Eventually(t, func() bool {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "/readyz")
	return p
}

func (p *process) graphql(t *testing.T, token, query string, out any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, p.url+"/query", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var envelope struct {
		Data   json.RawMessage
		Errors []any
	}
	require.NoError(t, json.Unmarshal(raw, &envelope), string(raw))
	require.Empty(t, envelope.Errors, string(raw))
	require.NoError(t, json.Unmarshal(envelope.Data, out))
}

// stop sends SIGTERM and expects a clean, graceful exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.exited:
		require.NoError(t, err, "graceful shutdown exits 0")
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop on SIGTERM")
	}
}

// subject reads a JWT's sub claim without verifying it.
func subject(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims struct{ Sub string }
	require.NoError(t, json.Unmarshal(raw, &claims))
	return claims.Sub
}

// syncBuffer collects the child's stderr, written by exec's copying
// goroutine while the test may read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
