-- An aggregate is its type and its id: see migrations/postgres
-- 00003_aggregate_type_key.sql for why, and for how existing rows are
-- carried over (the same way here).
--
-- SQLite cannot change a table's keys in place, so aggregates, events and
-- outbox are rebuilt. outbox references events: it is dropped first, so
-- that dropping events deletes no row another still references, and the
-- new outbox's reference to events_new follows the rename to events.

-- +goose Up
CREATE TABLE aggregates_new (
    id      TEXT NOT NULL,
    type    TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    PRIMARY KEY (id, type)
) STRICT;
INSERT INTO aggregates_new (id, type, version) SELECT id, type, version FROM aggregates;
INSERT INTO aggregates_new (id, type, version)
SELECT e.aggregate_id, e.aggregate_type, max(e.version)
FROM events e
WHERE NOT EXISTS (SELECT 1 FROM aggregates a WHERE a.id = e.aggregate_id AND a.type = e.aggregate_type)
GROUP BY e.aggregate_id, e.aggregate_type;
DROP TABLE aggregates;
ALTER TABLE aggregates_new RENAME TO aggregates;

CREATE TABLE events_new (
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
    CONSTRAINT events_aggregate_version UNIQUE (aggregate_id, aggregate_type, version)
) STRICT;
INSERT INTO events_new (id, aggregate_id, aggregate_type, version, type, actor_id, occurred_at, body, position)
SELECT id, aggregate_id, aggregate_type, version, type, actor_id, occurred_at, body, position FROM events;

CREATE TABLE outbox_new (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT NOT NULL UNIQUE REFERENCES events_new (id),
    aggregate_id   TEXT NOT NULL,
    aggregate_type TEXT NOT NULL,
    version        INTEGER NOT NULL,
    subject        TEXT NOT NULL,
    position       INTEGER,
    created_at     INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
) STRICT;
INSERT INTO outbox_new (seq, event_id, aggregate_id, aggregate_type, version, subject, position, created_at)
SELECT o.seq, o.event_id, o.aggregate_id, e.aggregate_type, o.version, o.subject, o.position, o.created_at
FROM outbox o JOIN events e ON e.id = o.event_id;
-- AUTOINCREMENT's promise (a seq is never reused) survives the rebuild
-- even when the outbox is empty.
DELETE FROM sqlite_sequence WHERE name = 'outbox_new';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'outbox_new', seq FROM sqlite_sequence WHERE name = 'outbox';

DROP TABLE outbox;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
ALTER TABLE outbox_new RENAME TO outbox;

CREATE UNIQUE INDEX events_position_idx ON events (position) WHERE position IS NOT NULL;
CREATE INDEX events_actor_idx ON events (actor_id, position);
CREATE INDEX outbox_unclaimed_idx ON outbox (seq) WHERE position IS NULL;
CREATE UNIQUE INDEX outbox_claimed_idx ON outbox (position) WHERE position IS NOT NULL;
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id, aggregate_type, version);

-- +goose Down
-- Fails, rightly, once two aggregates of different types share an id.
CREATE TABLE aggregates_old (
    id      TEXT PRIMARY KEY,
    type    TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0)
) STRICT;
INSERT INTO aggregates_old (id, type, version) SELECT id, type, version FROM aggregates;
DROP TABLE aggregates;
ALTER TABLE aggregates_old RENAME TO aggregates;

CREATE TABLE events_old (
    id             TEXT PRIMARY KEY,
    aggregate_id   TEXT NOT NULL,
    aggregate_type TEXT NOT NULL,
    version        INTEGER NOT NULL,
    type           TEXT NOT NULL,
    actor_id       TEXT,
    occurred_at    INTEGER NOT NULL,
    body           TEXT NOT NULL,
    position       INTEGER,
    CONSTRAINT events_aggregate_version UNIQUE (aggregate_id, version)
) STRICT;
INSERT INTO events_old SELECT id, aggregate_id, aggregate_type, version, type, actor_id, occurred_at, body, position FROM events;
CREATE TABLE outbox_old (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE REFERENCES events_old (id),
    aggregate_id TEXT NOT NULL,
    version      INTEGER NOT NULL,
    subject      TEXT NOT NULL,
    position     INTEGER,
    created_at   INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
) STRICT;
INSERT INTO outbox_old SELECT seq, event_id, aggregate_id, version, subject, position, created_at FROM outbox;
DELETE FROM sqlite_sequence WHERE name = 'outbox_old';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'outbox_old', seq FROM sqlite_sequence WHERE name = 'outbox';
DROP TABLE outbox;
DROP TABLE events;
ALTER TABLE events_old RENAME TO events;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE UNIQUE INDEX events_position_idx ON events (position) WHERE position IS NOT NULL;
CREATE INDEX events_actor_idx ON events (actor_id, position);
CREATE INDEX outbox_unclaimed_idx ON outbox (seq) WHERE position IS NULL;
CREATE UNIQUE INDEX outbox_claimed_idx ON outbox (position) WHERE position IS NOT NULL;
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id, version);
