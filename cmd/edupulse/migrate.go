package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/edupulse/edupulse-live/internal/config"
	"github.com/edupulse/edupulse-live/internal/store/postgres"
	"github.com/edupulse/edupulse-live/internal/store/sqlite"
)

func migrate(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL != "" {
		if err := postgres.Migrate(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, "migrations applied (PostgreSQL)")
		return err
	}
	if err := sqlite.Migrate(ctx, filepath.Join(cfg.DataDir, sqliteFile)); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, "migrations applied (SQLite in", cfg.DataDir+")")
	return err
}

// sqliteFile is the embedded store's file inside the data dir.
const sqliteFile = "edupulse.db"
