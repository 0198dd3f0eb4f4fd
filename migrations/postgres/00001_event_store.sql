-- +goose Up
CREATE TABLE pulses (
    id             uuid PRIMARY KEY,
    teacher_id     uuid NOT NULL,
    title          text NOT NULL,
    description    text,
    due_date       timestamptz,
    created_at     timestamptz NOT NULL,
    closed_at      timestamptz,
    response_count integer NOT NULL DEFAULT 0
);
-- Newest-first keyset pages, overall and per teacher.
CREATE INDEX pulses_newest_idx ON pulses (created_at DESC, id DESC);
CREATE INDEX pulses_teacher_newest_idx ON pulses (teacher_id, created_at DESC, id DESC);

CREATE TABLE pulse_responses (
    id         uuid PRIMARY KEY,
    pulse_id   uuid NOT NULL REFERENCES pulses (id),
    student_id uuid NOT NULL,
    answer     text NOT NULL,
    confidence smallint CHECK (confidence BETWEEN 1 AND 5),
    created_at timestamptz NOT NULL,
    -- the version of the event that recorded the response: commit order
    -- within the pulse, unlike created_at
    seq        bigint NOT NULL,
    CONSTRAINT pulse_responses_one_per_student UNIQUE (pulse_id, student_id),
    CONSTRAINT pulse_responses_seq UNIQUE (pulse_id, seq)
);
CREATE INDEX pulse_responses_student_idx ON pulse_responses (student_id);

-- One row per aggregate: its current version. Updating it is the
-- per-aggregate lock under which the next versions are assigned.
CREATE TABLE aggregates (
    id      uuid PRIMARY KEY,
    type    text NOT NULL,
    version bigint NOT NULL CHECK (version > 0)
);

CREATE TABLE events (
    id             uuid PRIMARY KEY,
    aggregate_id   uuid NOT NULL,
    aggregate_type text NOT NULL,
    version        bigint NOT NULL,
    type           text NOT NULL,
    actor_id       uuid,
    occurred_at    timestamptz NOT NULL,
    -- the exact wire-format body (json keeps the text as written; jsonb
    -- would reorder keys and break byte compatibility)
    body           json NOT NULL,
    -- place in the global publish order, assigned by the outbox relay
    position       bigint,
    CONSTRAINT events_aggregate_version UNIQUE (aggregate_id, version)
);
CREATE UNIQUE INDEX events_position_idx ON events (position) WHERE position IS NOT NULL;
CREATE INDEX events_actor_idx ON events (actor_id, position);

-- Events committed but not yet acknowledged by the bus. tx_id is the
-- writing transaction's id: the tail reads only rows below the oldest
-- running transaction, so a transaction that commits late is never skipped.
CREATE TABLE outbox (
    event_id     uuid PRIMARY KEY REFERENCES events (id),
    tx_id        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    seq          bigserial NOT NULL,
    aggregate_id uuid NOT NULL,
    version      bigint NOT NULL,
    subject      text NOT NULL,
    position     bigint,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_unclaimed_idx ON outbox (tx_id, seq) WHERE position IS NULL;
CREATE INDEX outbox_claimed_idx ON outbox (position) WHERE position IS NOT NULL;
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id, version);

-- The relay's counter: positions are handed out from here, contiguously.
CREATE TABLE relay_state (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_position bigint NOT NULL
);
INSERT INTO relay_state (singleton, last_position) VALUES (true, 0);

CREATE TABLE idempotency_keys (
    actor_id    uuid NOT NULL,
    key         text NOT NULL,
    fingerprint text NOT NULL,
    outcome     jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE relay_state;
DROP TABLE outbox;
DROP TABLE events;
DROP TABLE aggregates;
DROP TABLE pulse_responses;
DROP TABLE pulses;
