-- Escalation to the steering group, part two (SQLite; the PostgreSQL twin lives in
-- migrations/postgres): in-app notifications with an e-mail outbox, and the indexes the
-- escalation queue, the rules engine and the obstacles register read by.

-- One row per person per event. `dedupe_key` makes every producer idempotent: the engine may
-- run twice, on two nodes, and still notify once.
CREATE TABLE notification (
    id            BLOB PRIMARY KEY,
    user_id       BLOB NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('action_assigned', 'action_due', 'escalation', 'decision')),
    case_id       BLOB REFERENCES client_case (id) ON DELETE CASCADE,
    subject_kind  TEXT NOT NULL CHECK (subject_kind IN ('action', 'escalation')),
    subject_id    BLOB NOT NULL,
    dedupe_key    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    read_at       TEXT,
    -- The e-mail outbox: set when SMTP is configured, cleared once sent (or given up).
    mail_pending  BOOLEAN NOT NULL DEFAULT FALSE,
    mail_attempts INTEGER NOT NULL DEFAULT 0,
    mailed_at     TEXT
);
CREATE INDEX notification_by_user ON notification (user_id, created_at);
CREATE INDEX notification_outbox ON notification (created_at) WHERE mail_pending;

CREATE INDEX escalation_by_action ON escalation (action_id);
CREATE INDEX escalation_by_obstacle ON escalation (obstacle_id);
CREATE INDEX action_by_status ON action (status, due_date);
