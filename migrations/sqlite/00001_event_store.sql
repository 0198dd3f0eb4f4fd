-- The embedded store's schema: the PostgreSQL one (migrations/postgres)
-- translated to SQLite. Tables are STRICT so that a value of the wrong type
-- is an error rather than silently stored. Encodings, the same everywhere:
-- UUIDs are TEXT in lowercase canonical form (so that TEXT order is the
-- byte order PostgreSQL gives uuid), timestamps are INTEGER milliseconds
-- since the Unix epoch, UTC (exact at the wire format's precision, and they
-- sort as numbers).

-- +goose Up
CREATE TABLE pulses (
    id             TEXT PRIMARY KEY,
    teacher_id     TEXT NOT NULL,
    title          TEXT NOT NULL,
    description    TEXT,
    due_date       INTEGER,
    created_at     INTEGER NOT NULL,
    closed_at      INTEGER,
    response_count INTEGER NOT NULL DEFAULT 0
) STRICT;
-- Newest-first keyset pages, overall and per teacher.
CREATE INDEX pulses_newest_idx ON pulses (created_at DESC, id DESC);
CREATE INDEX pulses_teacher_newest_idx ON pulses (teacher_id, created_at DESC, id DESC);

CREATE TABLE pulse_responses (
    id         TEXT PRIMARY KEY,
    pulse_id   TEXT NOT NULL REFERENCES pulses (id),
    student_id TEXT NOT NULL,
    answer     TEXT NOT NULL,
    confidence INTEGER CHECK (confidence BETWEEN 1 AND 5),
    created_at INTEGER NOT NULL,
    -- the version of the event that recorded the response: commit order
    -- within the pulse, unlike created_at
    seq        INTEGER NOT NULL,
    CONSTRAINT pulse_responses_one_per_student UNIQUE (pulse_id, student_id),
    CONSTRAINT pulse_responses_seq UNIQUE (pulse_id, seq)
) STRICT;
CREATE INDEX pulse_responses_student_idx ON pulse_responses (student_id);

-- One row per aggregate: its current version. Writers are serialised
-- (BEGIN IMMEDIATE), so reading it and writing it back in one transaction
-- is the per-aggregate lock under which the next versions are assigned.
CREATE TABLE aggregates (
    id      TEXT PRIMARY KEY,
    type    TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0)
) STRICT;

CREATE TABLE events (
    id             TEXT PRIMARY KEY,
    aggregate_id   TEXT NOT NULL,
    aggregate_type TEXT NOT NULL,
    version        INTEGER NOT NULL,
    type           TEXT NOT NULL,
    actor_id       TEXT,
    occurred_at    INTEGER NOT NULL,
    -- the exact wire-format body, byte for byte
    body           TEXT NOT NULL,
    -- place in the global publish order, assigned by the outbox relay
    position       INTEGER,
    CONSTRAINT events_aggregate_version UNIQUE (aggregate_id, version)
) STRICT;
CREATE UNIQUE INDEX events_position_idx ON events (position) WHERE position IS NOT NULL;
CREATE INDEX events_actor_idx ON events (actor_id, position);

-- Events committed but not yet acknowledged by the bus. PostgreSQL needs a
-- transaction id to avoid skipping a transaction that commits late; here
-- writers are serialised, so the AUTOINCREMENT seq is already commit order
-- (and AUTOINCREMENT never reuses a seq once acknowledged rows are gone).
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE REFERENCES events (id),
    aggregate_id TEXT NOT NULL,
    version      INTEGER NOT NULL,
    subject      TEXT NOT NULL,
    position     INTEGER,
    created_at   INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
) STRICT;
CREATE INDEX outbox_unclaimed_idx ON outbox (seq) WHERE position IS NULL;
CREATE UNIQUE INDEX outbox_claimed_idx ON outbox (position) WHERE position IS NOT NULL;
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id, version);

-- The relay's counter: positions are handed out from here, contiguously.
CREATE TABLE relay_state (
    singleton     INTEGER PRIMARY KEY CHECK (singleton = 1),
    last_position INTEGER NOT NULL
) STRICT;
INSERT INTO relay_state (singleton, last_position) VALUES (1, 0);

CREATE TABLE idempotency_keys (
    actor_id    TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    -- the store.Outcome as JSON
    outcome     TEXT,
    created_at  INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
    PRIMARY KEY (actor_id, key)
) STRICT;

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE relay_state;
DROP TABLE outbox;
DROP TABLE events;
DROP TABLE aggregates;
DROP TABLE pulse_responses;
DROP TABLE pulses;
