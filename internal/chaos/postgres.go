package chaos

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5" //nolint:depguard // the harness creates its database and reads the store from outside, as an operator would
)

// pgCluster is a throwaway PostgreSQL cluster the harness owns, so that it
// can restart it; or, with an admin URL given, a database on someone
// else's server (and no restarts).
type pgCluster struct {
	adminURL string // connects to the postgres database
	url      string // the run's database: what the instances get
	dbName   string
	owned    bool

	bindir, dir, data, sock, log string
	port                         int
	cred                         *syscall.Credential
	proc                         *proc
}

const chaosDB = "edupulse_chaos"

// startPostgres initialises a cluster in a fresh temporary directory and
// starts it on a free port of 127.0.0.1.
func startPostgres(ctx context.Context, runDir string) (*pgCluster, error) {
	bindir, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	c := &pgCluster{owned: true, bindir: bindir, log: filepath.Join(runDir, "postgres.log"), dbName: chaosDB}
	if c.dir, err = dataDir("pg"); err != nil {
		return nil, err
	}
	c.data, c.sock = filepath.Join(c.dir, "data"), filepath.Join(c.dir, "sock")
	if err := os.Mkdir(c.sock, 0o700); err != nil {
		return nil, errors.Join(err, c.close())
	}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		if c.cred, err = nobody(); err != nil {
			return nil, errors.Join(err, c.close())
		}
		for _, p := range []string{c.dir, c.sock} {
			if err := os.Chown(p, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				return nil, errors.Join(err, c.close())
			}
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bindir, "initdb"), //nolint:gosec // found by pgBinDir
		"-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = c.dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, errors.Join(fmt.Errorf("initdb: %w\n%s", err, out), c.close())
	}
	if c.port, err = freePort(); err != nil {
		return nil, errors.Join(err, c.close())
	}
	c.adminURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, chaosDB)
	if err := c.start(ctx); err != nil {
		return nil, errors.Join(err, c.close())
	}
	if err := execSQL(ctx, c.adminURL, "CREATE DATABASE "+chaosDB); err != nil {
		return nil, errors.Join(err, c.close())
	}
	return c, nil
}

// givenPostgres creates a fresh database on the server of adminURL; it is
// dropped by close.
func givenPostgres(ctx context.Context, adminURL string) (*pgCluster, error) {
	buf := make([]byte, 5)
	_, _ = crand.Read(buf)
	c := &pgCluster{adminURL: adminURL, dbName: chaosDB + "_" + hex.EncodeToString(buf)}
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("CHAOS_DATABASE_URL must be a postgres:// URL")
	}
	u.Path = "/" + c.dbName
	c.url = u.String()
	if err := execSQL(ctx, adminURL, "CREATE DATABASE "+pgx.Identifier{c.dbName}.Sanitize()); err != nil {
		return nil, fmt.Errorf("CHAOS_DATABASE_URL: %w", err)
	}
	return c, nil
}

func (c *pgCluster) start(ctx context.Context) error {
	p, err := startProc(procSpec{
		name: "postgres",
		bin:  filepath.Join(c.bindir, "postgres"),
		args: []string{"-D", c.data, "-p", strconv.Itoa(c.port), "-h", "127.0.0.1", "-k", c.sock,
			// Durability is worthless for a cluster deleted after the run;
			// a fast shutdown still writes everything out.
			"-c", "fsync=off", "-c", "full_page_writes=off",
			"-c", "max_connections=200"},
		dir:         c.dir,
		log:         c.log,
		deathSignal: syscall.SIGQUIT,
		cred:        c.cred,
	})
	if err != nil {
		return err
	}
	c.proc = p
	deadline := time.Now().Add(60 * time.Second)
	for {
		if !p.alive() {
			return fmt.Errorf("postgres exited during start-up (%s); see %s", p.exitStatus(), c.log)
		}
		err := ping(ctx, c.adminURL)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop(syscall.SIGQUIT, 10*time.Second)
			return fmt.Errorf("postgres did not answer within 60 s: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// restartFast is `pg_ctl restart -m fast`: SIGINT to the postmaster (fast
// shutdown: sessions are ended, in-flight transactions roll back, a
// checkpoint is written), then a start on the same data directory and
// port. The postmaster stays our child (pg_ctl would daemonise it), so the
// parent-death signal still covers it.
func (c *pgCluster) restartFast(ctx context.Context) error {
	if !c.owned {
		return errors.New("postgres is not ours to restart")
	}
	if !c.proc.stop(syscall.SIGINT, 60*time.Second) {
		return errors.New("postgres did not finish a fast shutdown within 60 s; killed")
	}
	return c.start(ctx)
}

// close stops the cluster and removes its directory, or drops the database
// created on a given server.
func (c *pgCluster) close() error {
	if !c.owned {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return execSQL(ctx, c.adminURL, "DROP DATABASE IF EXISTS "+pgx.Identifier{c.dbName}.Sanitize()+" WITH (FORCE)")
	}
	if c.proc != nil {
		c.proc.stop(syscall.SIGQUIT, 10*time.Second)
	}
	if c.dir == "" {
		return nil
	}
	return os.RemoveAll(c.dir)
}

func execSQL(ctx context.Context, u, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

func ping(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// pgBinDir is the newest /usr/lib/postgresql/N/bin, else initdb's
// directory on PATH.
func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	major := func(d string) int { n, _ := strconv.Atoi(filepath.Base(filepath.Dir(d))); return n }
	sort.Slice(dirs, func(i, j int) bool { return major(dirs[i]) > major(dirs[j]) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
				return d, nil
			}
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, postgres) under /usr/lib/postgresql/*/bin or on PATH; set CHAOS_DATABASE_URL instead")
}

func nobody() (*syscall.Credential, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root, and PostgreSQL refuses root: no user nobody: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, errors.New("uid/gid of nobody")
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
