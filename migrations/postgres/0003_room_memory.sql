-- What a conference remembers across its rooms: whether the client is out for the
-- professionals-only part, whom the chair removed or turned away, and which invitees were let in
-- (a guest reads the minutes only after a chair admitted him).
ALTER TABLE meeting ADD COLUMN debrief_active BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE invite ADD COLUMN admitted_at TIMESTAMPTZ;

CREATE TABLE meeting_bar (
    meeting_id  UUID NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES app_user (id),
    barred_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (meeting_id, user_id)
);
