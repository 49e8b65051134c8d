-- Which node hosts which conference, when several nodes share this database (docs/operations.md,
-- "Several nodes"). A lease: the hosting node renews it every second; another node may take the
-- conference only once it has expired, and taking it raises the epoch. The epoch is the fencing
-- token: a node whose renewal finds another holder or another epoch has lost the conference and
-- stops its room. Times are the database's own clock (one clock for every node).
CREATE TABLE conference_host (
    meeting_id  UUID PRIMARY KEY REFERENCES meeting (id) ON DELETE CASCADE,
    node        TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
