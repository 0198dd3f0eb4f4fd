// Package migrations embeds the SQL migrations of each backend, one folder
// per dialect, applied by goose at start-up and by `edupulse migrate`.
package migrations

import "embed"

// Postgres holds postgres/*.sql.
//
//go:embed postgres/*.sql
var Postgres embed.FS

// SQLite holds sqlite/*.sql.
//
//go:embed sqlite/*.sql
var SQLite embed.FS
