-- An aggregate is its type and its id (ARCHITECTURE, property 11).
--
-- Lesson, quiz, badge and payment ids are chosen by clients, so ids alone
-- are not a namespace: keyed by id, a quiz submitted with a pulse's id was
-- appended to that pulse, and one submitted with a payment's id before the
-- payment was recorded made recordPayment conflict for good. Keyed by
-- (id, type), each type's ids are their own: such a quiz is a quiz
-- aggregate of its own, beside the pulse or the payment, and touches
-- neither.
--
-- Existing rows: an aggregates row keeps its type (the type of its first
-- append) and its version, so its next event gets a version above every
-- one already published for that id. Events another type appended under
-- it get an aggregates row of their own, at their highest version.

-- +goose Up
ALTER TABLE aggregates DROP CONSTRAINT aggregates_pkey;
INSERT INTO aggregates (id, type, version)
SELECT e.aggregate_id, e.aggregate_type, max(e.version)
FROM events e
WHERE NOT EXISTS (SELECT 1 FROM aggregates a WHERE a.id = e.aggregate_id AND a.type = e.aggregate_type)
GROUP BY e.aggregate_id, e.aggregate_type;
ALTER TABLE aggregates ADD CONSTRAINT aggregates_pkey PRIMARY KEY (id, type);

ALTER TABLE events DROP CONSTRAINT events_aggregate_version;
ALTER TABLE events ADD CONSTRAINT events_aggregate_version UNIQUE (aggregate_id, aggregate_type, version);

-- The relay keeps each aggregate's versions in order: it must tell two
-- aggregates that share an id apart.
ALTER TABLE outbox ADD COLUMN aggregate_type text;
UPDATE outbox o SET aggregate_type = e.aggregate_type FROM events e WHERE e.id = o.event_id;
ALTER TABLE outbox ALTER COLUMN aggregate_type SET NOT NULL;
DROP INDEX outbox_aggregate_idx;
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id, aggregate_type, version);

-- An Append with an exact expected version sends its version check with
-- its inserts, in one batch that may commit as one implicit transaction:
-- the check must fail on the server, aborting the batch, or the events
-- would be committed while the caller is told of a conflict. The error
-- code is the store's own (translated to store.ErrConflict).
-- +goose StatementBegin
CREATE FUNCTION edupulse_expect_version(moved boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT moved THEN
        RAISE EXCEPTION 'aggregate is not at the expected version' USING ERRCODE = 'EP409';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION edupulse_expect_version(boolean);
-- Fails, rightly, once two aggregates of different types share an id.
DROP INDEX outbox_aggregate_idx;
CREATE INDEX outbox_aggregate_idx ON outbox (aggregate_id, version);
ALTER TABLE outbox DROP COLUMN aggregate_type;

ALTER TABLE events DROP CONSTRAINT events_aggregate_version;
ALTER TABLE events ADD CONSTRAINT events_aggregate_version UNIQUE (aggregate_id, version);

ALTER TABLE aggregates DROP CONSTRAINT aggregates_pkey;
ALTER TABLE aggregates ADD CONSTRAINT aggregates_pkey PRIMARY KEY (id);
