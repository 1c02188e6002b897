-- Claims on staff queue items (issue 21, server/staff/claims.py): one staff member holds an
-- item of a queue (a pending KYC review by player id, a withdrawal proposal by its id) so
-- two do not work on it at once; the others see who holds it. Released by its holder.
CREATE TABLE queue_claims (
    queue TEXT NOT NULL,
    item BIGINT NOT NULL,
    staff_name TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    PRIMARY KEY (queue, item)
);
