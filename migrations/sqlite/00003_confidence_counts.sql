-- A pulse's confidence histogram, kept on its row like response_count: see
-- migrations/postgres 00004_confidence_counts.sql for why.

-- +goose Up
ALTER TABLE pulses ADD COLUMN confidence_1 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pulses ADD COLUMN confidence_2 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pulses ADD COLUMN confidence_3 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pulses ADD COLUMN confidence_4 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pulses ADD COLUMN confidence_5 INTEGER NOT NULL DEFAULT 0;
UPDATE pulses SET
    confidence_1 = (SELECT count(*) FROM pulse_responses r WHERE r.pulse_id = pulses.id AND r.confidence = 1),
    confidence_2 = (SELECT count(*) FROM pulse_responses r WHERE r.pulse_id = pulses.id AND r.confidence = 2),
    confidence_3 = (SELECT count(*) FROM pulse_responses r WHERE r.pulse_id = pulses.id AND r.confidence = 3),
    confidence_4 = (SELECT count(*) FROM pulse_responses r WHERE r.pulse_id = pulses.id AND r.confidence = 4),
    confidence_5 = (SELECT count(*) FROM pulse_responses r WHERE r.pulse_id = pulses.id AND r.confidence = 5);

-- +goose Down
ALTER TABLE pulses DROP COLUMN confidence_5;
ALTER TABLE pulses DROP COLUMN confidence_4;
ALTER TABLE pulses DROP COLUMN confidence_3;
ALTER TABLE pulses DROP COLUMN confidence_2;
ALTER TABLE pulses DROP COLUMN confidence_1;
