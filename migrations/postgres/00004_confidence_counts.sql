-- A pulse's confidence histogram, kept on its row like response_count.
--
-- The respond unit of work already holds the pulse's row lock (it decides
-- open or closed under it), so counting there is exact under racing
-- answers and a racing close, and reading the histogram is one row, never
-- an aggregate over the responses. Five columns rather than an array so
-- that both backends keep the same shape.

-- +goose Up
ALTER TABLE pulses
    ADD COLUMN confidence_1 integer NOT NULL DEFAULT 0,
    ADD COLUMN confidence_2 integer NOT NULL DEFAULT 0,
    ADD COLUMN confidence_3 integer NOT NULL DEFAULT 0,
    ADD COLUMN confidence_4 integer NOT NULL DEFAULT 0,
    ADD COLUMN confidence_5 integer NOT NULL DEFAULT 0;
UPDATE pulses p SET
    confidence_1 = c.c1, confidence_2 = c.c2, confidence_3 = c.c3,
    confidence_4 = c.c4, confidence_5 = c.c5
FROM (
    SELECT pulse_id,
        count(*) FILTER (WHERE confidence = 1) AS c1,
        count(*) FILTER (WHERE confidence = 2) AS c2,
        count(*) FILTER (WHERE confidence = 3) AS c3,
        count(*) FILTER (WHERE confidence = 4) AS c4,
        count(*) FILTER (WHERE confidence = 5) AS c5
    FROM pulse_responses GROUP BY pulse_id
) c
WHERE c.pulse_id = p.id;

-- +goose Down
ALTER TABLE pulses
    DROP COLUMN confidence_1,
    DROP COLUMN confidence_2,
    DROP COLUMN confidence_3,
    DROP COLUMN confidence_4,
    DROP COLUMN confidence_5;
