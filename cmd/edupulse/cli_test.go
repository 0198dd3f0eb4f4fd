package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/config"
)

// TestCommandLine runs the built binary as an operator would: --help on
// every command prints its usage and every variable it reads, and does
// nothing else (no data dir, no listener, no migration); version prints
// the build; unknown commands and flags fail with the usage.
func TestCommandLine(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "edupulse")
	// Stamped as a release build is (the Dockerfile's -X main.version);
	// the commit comes from the build info when the tree is a checkout.
	build := exec.Command("go", "build", "-ldflags",
		"-X main.version=v9.8.7 -X main.buildTime=2026-01-02T03:04:05Z", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	runBin := func(args ...string) (stdout, stderr string, code int, dir string) {
		t.Helper()
		dir = t.TempDir()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		// A taken address: a command that starts serving anyway fails
		// instead of hanging the test.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "EDUPULSE_HTTP_ADDR=127.0.0.1:1"}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return out.String(), errOut.String(), code, dir
	}
	nothingWritten := func(dir string) {
		t.Helper()
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, entries, "--help must leave no file behind")
	}

	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		out, errOut, code, dir := runBin(args...)
		require.Zero(t, code, "%v: %s", args, errOut)
		for _, c := range []string{"serve", "migrate", "token", "version"} {
			require.Contains(t, out, "  "+c+" ", "%v lists %s", args, c)
		}
		nothingWritten(dir)
	}

	serveVars := append(append([]config.Var{}, config.Variables...), config.TracingVariables...)
	for cmd, vars := range map[string][]string{
		"serve":   names(serveVars),
		"migrate": {"DATABASE_URL", "EDUPULSE_DATA_DIR"},
		"token":   {"EDUPULSE_JWT_SECRET", "EDUPULSE_JWT_MAX_TTL"},
		"version": nil,
	} {
		for _, help := range []string{"-h", "--help", "-help"} {
			out, errOut, code, dir := runBin(cmd, help)
			require.Zero(t, code, "%s %s: %s", cmd, help, errOut)
			require.True(t, strings.HasPrefix(out, "usage: edupulse "+cmd), "%s %s: %s", cmd, help, out)
			require.Empty(t, errOut, "%s %s logs nothing", cmd, help)
			for _, v := range vars {
				require.Contains(t, out, v, "%s --help names %s", cmd, v)
			}
			nothingWritten(dir)
		}
		out, _, code, _ := runBin("help", cmd)
		require.Zero(t, code)
		require.True(t, strings.HasPrefix(out, "usage: edupulse "+cmd), "help %s: %s", cmd, out)
	}
	out, _, _, _ := runBin("token", "--help")
	for _, flag := range []string{"-sub", "-role", "-ttl"} {
		require.Contains(t, out, flag)
	}

	out, errOut, code, _ := runBin("version")
	require.Zero(t, code, errOut)
	require.Regexp(t, `^edupulse v9\.8\.7\ncommit \S+.*\nbuilt 2026-01-02T03:04:05Z\nmodule github.com/edupulse/edupulse-live\ngo1\.`, out)

	for _, args := range [][]string{{"frobnicate"}, {"--frobnicate"}, {"serve", "--frobnicate"}, {"migrate", "-x"},
		{"token", "--nope"}, {"version", "--long"}, {"serve", "extra"}} {
		out, errOut, code, dir := runBin(args...)
		require.Equal(t, 2, code, "%v: %s%s", args, out, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, "usage: edupulse", "%v prints the usage", args)
		nothingWritten(dir)
	}
}

// TestStartUpLogs starts the binary as a newcomer would and reads its
// log: one JSON object per line, each key once; the embedded NATS
// server's banner and notices only at debug.
func TestStartUpLogs(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "edupulse")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	for _, level := range []string{"info", "debug"} {
		dir := t.TempDir()
		cmd := exec.Command(bin)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "EDUPULSE_HTTP_ADDR=127.0.0.1:0", "EDUPULSE_LOG_LEVEL=" + level}
		stderr, err := cmd.StderrPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		var lines []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.Contains(sc.Text(), `"msg":"listening"`) {
				break
			}
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		require.NoError(t, cmd.Wait())
		natsNotices := 0
		for _, line := range lines {
			dec := json.NewDecoder(strings.NewReader(line))
			tok, err := dec.Token()
			require.NoError(t, err, line)
			require.Equal(t, json.Delim('{'), tok, line)
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				require.NoError(t, err, line)
				key := k.(string)
				require.False(t, seen[key], "key %q twice in %s", key, line)
				seen[key] = true
				var v json.RawMessage
				require.NoError(t, dec.Decode(&v), line)
			}
			if strings.Contains(line, `"component":"nats-server"`) {
				natsNotices++
				if !strings.Contains(line, `"level":"WARN"`) && !strings.Contains(line, `"level":"ERROR"`) {
					require.Contains(t, line, `"level":"DEBUG"`, "the NATS server's notices are debug")
				}
			}
		}
		if level == "debug" {
			require.Positive(t, natsNotices, "at debug, the NATS server's notices are there")
		} else {
			require.Zero(t, natsNotices, "at info, no NATS banner: %v", lines)
		}
	}
}

func names(vs []config.Var) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}
