package testpg

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { Main(m) }

// migrateCalls counts createWidgets runs in this process: the template is
// built at most once, and not at all when another process built it first.
var migrateCalls atomic.Int32

func createWidgets(ctx context.Context, url string) error {
	migrateCalls.Add(1)
	return widgetsSchema(ctx, url)
}

func widgetsSchema(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, `CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL);
		INSERT INTO widgets VALUES (1, 'from the template')`)
	return err
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	var n int
	err := connect(t, ServerURL(t)).QueryRow(context.Background(),
		"SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n)
	require.NoError(t, err)
	return n == 1
}

func databaseName(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	var name string
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name))
	return name
}

func TestServerURLAnswers(t *testing.T) {
	t.Parallel()
	url := ServerURL(t)
	var one int
	require.NoError(t, connect(t, url).QueryRow(context.Background(), "SELECT 1").Scan(&one))
	require.Equal(t, 1, one)
	t.Logf("server %s, throwaway cluster: %v", redact(url), server.cluster != nil)
	if os.Getenv(EnvForceLocal) == "1" && os.Getenv(EnvURL) == "" {
		require.NotNil(t, server.cluster, "%s=1 starts a throwaway cluster", EnvForceLocal)
		var dataDir string
		require.NoError(t, connect(t, url).QueryRow(context.Background(), "SHOW data_directory").Scan(&dataDir))
		require.Equal(t, filepath.Join(server.cluster.dir, "data"), dataDir)
	}
}

func TestDatabaseIsMigratedAndIsolated(t *testing.T) {
	t.Parallel()
	const n = 8
	var mu sync.Mutex
	names := map[string]bool{}
	t.Run("group", func(t *testing.T) {
		for i := range n {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				conn := connect(t, Database(t, createWidgets))
				ctx := context.Background()

				var name string
				require.NoError(t, conn.QueryRow(ctx, "SELECT name FROM widgets WHERE id = 1").Scan(&name))
				require.Equal(t, "from the template", name)

				// Each test's writes stay in its own database.
				_, err := conn.Exec(ctx, "INSERT INTO widgets VALUES ($1, 'mine')", 100+i)
				require.NoError(t, err)
				var count int
				require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM widgets").Scan(&count))
				require.Equal(t, 2, count)

				db := databaseName(t, conn)
				require.True(t, strings.HasPrefix(db, databasePrefix), db)
				mu.Lock()
				names[db] = true
				mu.Unlock()
			})
		}
	})
	require.Len(t, names, n, "every test gets its own database")
	require.LessOrEqual(t, migrateCalls.Load(), int32(1), "the template is built once per process")
	for name := range names {
		require.False(t, databaseExists(t, name), "database %s of a passed test is dropped", name)
	}
}

// failingTB records what Database does at clean-up time for a test that
// failed, without failing the real test.
type failingTB struct {
	testing.TB
	cleanups []func()
	logs     []string
}

func (f *failingTB) Cleanup(fn func())            { f.cleanups = append(f.cleanups, fn) }
func (f *failingTB) Failed() bool                 { return true }
func (f *failingTB) Logf(format string, a ...any) { f.logs = append(f.logs, fmt.Sprintf(format, a...)) }

func TestDatabaseOfFailedTestIsKept(t *testing.T) {
	t.Parallel()
	f := &failingTB{TB: t}
	url := Database(f, createWidgets)
	name := databaseName(t, connect(t, url))
	// WITH (FORCE): connect's clean-up, which closes the connection above,
	// runs after this one.
	t.Cleanup(func() {
		_, err := connect(t, ServerURL(t)).Exec(context.Background(), "DROP DATABASE "+ident(name)+" WITH (FORCE)")
		require.NoError(t, err)
	})

	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	require.True(t, databaseExists(t, name))
	require.Len(t, f.logs, 1)
	require.Contains(t, f.logs[0], name)
}

// TestTemplateBuiltOnceUnderContention builds one fresh template from many
// goroutines bypassing the in-process cache, as concurrent test processes
// would: the advisory lock and the completion marker let one build it.
func TestTemplateBuiltOnceUnderContention(t *testing.T) {
	t.Parallel()
	admin := ServerURL(t)
	pool, err := adminPool(admin)
	require.NoError(t, err)
	tpl := templatePrefix + "contention_" + randomHex(4)
	lockKey := int64(0x7e57) << 32
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ident(tpl)+" WITH (FORCE)")
		require.NoError(t, err)
	})

	var calls atomic.Int32
	migrate := func(ctx context.Context, url string) error {
		calls.Add(1)
		return widgetsSchema(ctx, url)
	}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() { errs[i] = ensureTemplate(pool, admin, tpl, lockKey, migrate) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int32(1), calls.Load())

	// The template takes no connections, so cloning cannot trip on one.
	clone := databasePrefix + randomHex(8)
	_, err = pool.Exec(context.Background(), "CREATE DATABASE "+ident(clone)+" TEMPLATE "+ident(tpl))
	require.NoError(t, err)
	_, err = pool.Exec(context.Background(), "DROP DATABASE "+ident(clone))
	require.NoError(t, err)
}

func TestIncompleteTemplateIsRebuilt(t *testing.T) {
	t.Parallel()
	admin := ServerURL(t)
	pool, err := adminPool(admin)
	require.NoError(t, err)
	tpl := templatePrefix + "incomplete_" + randomHex(4)
	t.Cleanup(func() {
		_, err := pool.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ident(tpl)+" WITH (FORCE)")
		require.NoError(t, err)
	})
	// A process killed mid-migration leaves the database without the marker.
	_, err = pool.Exec(context.Background(), "CREATE DATABASE "+ident(tpl))
	require.NoError(t, err)

	require.NoError(t, ensureTemplate(pool, admin, tpl, int64(0x7e58)<<32, widgetsSchema))
	var comment string
	require.NoError(t, pool.QueryRow(context.Background(),
		"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", tpl).Scan(&comment))
	require.Equal(t, templateDone, comment)
}

func TestTemplateNameDependsOnMigrateFunc(t *testing.T) {
	t.Parallel()
	a, keyA, err := templateName(createWidgets)
	require.NoError(t, err)
	b, keyB, err := templateName(func(context.Context, string) error { return nil })
	require.NoError(t, err)
	again, _, err := templateName(createWidgets)
	require.NoError(t, err)
	require.NotEqual(t, a, b)
	require.NotEqual(t, keyA, keyB)
	require.Equal(t, a, again)
	require.LessOrEqual(t, len(a), 63, "PostgreSQL truncates longer identifiers")
}

func TestRedact(t *testing.T) {
	t.Parallel()
	require.Equal(t, "postgres://u:xxxxx@h/db", redact("postgres://u:secret@h/db"))
	require.Equal(t, "postgres://u@h/db?sslmode=disable", redact("postgres://u@h/db?sslmode=disable"))
	require.NotContains(t, redact("host=h password=secret"), "secret")
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:p@h:5432/postgres?sslmode=disable", "postgres://u:p@h:5432/db1?sslmode=disable"},
		{"postgresql://h/other", "postgresql://h/db1"},
		{"postgres://h?dbname=x&sslmode=disable", "postgres://h/db1?sslmode=disable"},
		{"host=h user=u dbname=postgres", "host=h user=u dbname=postgres dbname=db1"},
	} {
		got, err := withDatabase(tc.in, "db1")
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
		cfg, err := pgx.ParseConfig(got)
		require.NoError(t, err)
		require.Equal(t, "db1", cfg.Database)
	}
}
