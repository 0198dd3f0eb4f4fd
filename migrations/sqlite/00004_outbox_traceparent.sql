-- The trace context of the transaction that queued an event: see
-- migrations/postgres 00005_outbox_traceparent.sql.

-- +goose Up
ALTER TABLE outbox ADD COLUMN traceparent TEXT;

-- +goose Down
ALTER TABLE outbox DROP COLUMN traceparent;
