package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/edupulse/edupulse-live/internal/event"
	"github.com/edupulse/edupulse-live/internal/store"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
	"github.com/edupulse/edupulse-live/internal/store/storetest"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// template is a migrated, closed database file that the conformance cases
// copy: migrating a new file costs more than most cases themselves.
var template = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "edupulse-sqlite-template")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	path := filepath.Join(dir, "edupulse.db")
	if err := sqlite.Migrate(context.Background(), path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := template()
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "edupulse.db")
		require.NoError(t, os.WriteFile(path, db, 0o600))
		return open(t, path)
	}, storetest.OneWriter("every unit of work is a BEGIN IMMEDIATE transaction, which holds the "+
		"database's write lock from its start to its end: units of work run one after another, "+
		"so none commits after one that started later"))
}

// TestReopen: the file keeps its data, and opening (hence migrating) a
// migrated database again, or running Migrate on it, changes nothing.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "edupulse.db")
	require.NoError(t, sqlite.Migrate(ctx, path), "creates the directory and the schema")

	s, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	teacher := uuid.New()
	created := time.Date(2026, 11, 27, 10, 15, 30, 123_000_000, time.UTC)
	p := store.Pulse{ID: uuid.New(), TeacherID: teacher, Title: "t", CreatedAt: created}
	ev := event.New(event.LearningPulseCreated{PulseID: p.ID, TeacherID: teacher}, event.Meta{ActorID: teacher}, created)
	_, _, err = s.Write(ctx, nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
		if err := tx.InsertPulse(ctx, p); err != nil {
			return store.Outcome{}, err
		}
		return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
	})
	require.NoError(t, err)
	s.Close()

	require.NoError(t, sqlite.Migrate(ctx, path))
	s = open(t, path)
	require.NoError(t, s.Ping(ctx))
	got, err := s.Pulse(ctx, p.ID)
	require.NoError(t, err)
	require.Equal(t, p, got)
	stored, err := s.Event(ctx, ev.ID)
	require.NoError(t, err)
	require.Equal(t, ev, stored)

	ob, err := s.AcquireOutbox(ctx)
	require.NoError(t, err)
	defer ob.Release()
	count, oldest, err := ob.Pending(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, count, "the outbox survives a restart")
	require.GreaterOrEqual(t, oldest, time.Duration(0))
}

// TestFilesArePrivate: the database file and its -wal and -shm files are
// the owner's alone (0600), whether the store creates the file or finds
// one an earlier version left readable by all.
func TestFilesArePrivate(t *testing.T) {
	for name, existing := range map[string]bool{"created": false, "found 0644": true} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "edupulse.db")
			if existing {
				require.NoError(t, sqlite.Migrate(context.Background(), path))
				for _, p := range []string{path, path + "-wal", path + "-shm"} {
					if _, err := os.Stat(p); err == nil {
						require.NoError(t, os.Chmod(p, 0o644))
					}
				}
			}
			s := open(t, path)
			teacher := uuid.New()
			ev := event.New(event.LessonPublished{LessonID: uuid.New(), TeacherID: teacher}, event.Meta{ActorID: teacher}, time.Now())
			_, _, err := s.Write(context.Background(), nil, func(ctx context.Context, tx store.Tx) (store.Outcome, error) {
				return store.Outcome{}, tx.Append(ctx, store.ExpectNew, &ev)
			})
			require.NoError(t, err)
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				info, err := os.Stat(p)
				require.NoError(t, err, "%s exists while the store is open", filepath.Base(p))
				require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), filepath.Base(p))
			}
		})
	}
}
