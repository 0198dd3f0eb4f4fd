-- The trace context of the transaction that queued an event (W3C
-- traceparent, contract §10), written in that transaction, so that the
-- relay's publish and every instance's delivery join the mutation's trace
-- whichever process does them. NULL when tracing is off or the request
-- was not sampled. Adding a nullable column without a default rewrites no
-- row.

-- +goose Up
ALTER TABLE outbox ADD COLUMN traceparent text;

-- +goose Down
ALTER TABLE outbox DROP COLUMN traceparent;
