package testpg

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dirPrefix names the temporary directories of throwaway clusters, so that
// those left behind by killed test processes can be found and removed.
const dirPrefix = "edupulse-testpg-"

const startTimeout = 60 * time.Second

// cluster is a throwaway PostgreSQL cluster: a child postgres process on a
// temporary directory that is removed when the cluster stops.
type cluster struct {
	url  string
	dir  string
	proc *os.Process
	done chan struct{} // closed when the postmaster has exited
	log  string

	stopOnce sync.Once
	stopErr  error
}

// startCluster runs initdb into a fresh temporary directory and starts
// postgres on it. The port is picked before postgres binds it, so a start
// that loses the port to another process is retried on another.
func startCluster() (*cluster, error) {
	bindir, err := findBinDir()
	if err != nil {
		return nil, err
	}
	removeStaleDirs()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	// owner.pid lets a later run tell a directory in use from one left
	// behind by a killed process.
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("write owner.pid: %w", err), os.RemoveAll(dir))
	}
	cred, err := runAs()
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	data := filepath.Join(dir, "data")
	sock := filepath.Join(dir, "sock")
	if err := os.Mkdir(sock, 0o700); err != nil {
		return nil, errors.Join(fmt.Errorf("create socket directory: %w", err), os.RemoveAll(dir))
	}
	if err := cred.own(dir, sock); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}

	//nolint:gosec // G204: the binary is found by findBinDir, the arguments are built here
	initdb := exec.Command(filepath.Join(bindir, "initdb"),
		"-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	cred.apply(initdb)
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w\n%s", initdb, err, out), os.RemoveAll(dir))
	}

	var errs []error
	for attempt := 0; attempt < 3; attempt++ {
		c, err := startPostgres(bindir, dir, data, sock, cred)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	errs = append(errs, os.RemoveAll(dir))
	return nil, errors.Join(errs...)
}

func startPostgres(bindir, dir, data, sock string, cred *credential) (*cluster, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create postgres log: %w", err)
	}
	defer logFile.Close() // the child holds its own copy
	//nolint:gosec // G204: the binary is found by findBinDir, the arguments are built here
	cmd := exec.Command(filepath.Join(bindir, "postgres"),
		"-D", data,
		"-p", strconv.Itoa(port),
		"-h", "127.0.0.1",
		"-k", sock,
		// Durability is worthless for a cluster deleted after the run.
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		// Parallel tests, each with its own pool.
		"-c", "max_connections=300",
	)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cred.apply(cmd)

	c := &cluster{
		url:  fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		dir:  dir,
		done: make(chan struct{}),
		log:  logPath,
	}
	if c.proc, err = startChild(cmd, c.done); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd, err)
	}

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-c.done:
			return nil, fmt.Errorf("postgres exited during start-up:\n%s", c.logTail())
		default:
		}
		lastErr := ping(c.url, time.Second)
		if lastErr == nil {
			return c, nil
		}
		if time.Now().After(deadline) {
			_ = c.kill()
			return nil, fmt.Errorf("postgres did not answer within %s: %w\n%s", startTimeout, lastErr, c.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop shuts the cluster down (immediate mode: its data is thrown away) and
// removes its directory.
func (c *cluster) stop() error {
	c.stopOnce.Do(func() {
		c.stopErr = errors.Join(c.kill(), os.RemoveAll(c.dir))
	})
	return c.stopErr
}

// kill sends SIGQUIT (immediate shutdown), then SIGKILL if the postmaster
// has not exited after ten seconds, and waits for it.
func (c *cluster) kill() error {
	if err := signalQuit(c.proc); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop postgres: %w", err)
	}
	select {
	case <-c.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	if err := c.proc.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill postgres: %w", err)
	}
	<-c.done
	return nil
}

func (c *cluster) logTail() string {
	b, err := os.ReadFile(c.log)
	if err != nil {
		return fmt.Sprintf("(no postgres log: %v)", err)
	}
	const tail = 4 << 10
	if len(b) > tail {
		b = b[len(b)-tail:]
	}
	return string(bytes.TrimSpace(b))
}

// findBinDir returns a directory holding both initdb and postgres: the
// newest /usr/lib/postgresql/N/bin (Debian, Ubuntu), else the directory of
// initdb on PATH.
func findBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return majorVersion(dirs[i]) > majorVersion(dirs[j]) })
	dirs = append(dirs, "/usr/local/pgsql/bin")
	if p, err := exec.LookPath("initdb"); err == nil {
		if resolved, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(resolved))
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb and postgres) under /usr/lib/postgresql/*/bin or on PATH")
}

func majorVersion(bindir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return n
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// removeStaleDirs removes the directories of throwaway clusters whose owning
// process is gone: killed test processes never reach Main's clean-up, and
// each directory holds a whole cluster.
func removeStaleDirs() {
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), dirPrefix) {
			continue
		}
		dir := filepath.Join(os.TempDir(), e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue // not ours to judge, or still being created
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}
