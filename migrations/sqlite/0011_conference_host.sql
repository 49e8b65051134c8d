-- The twin of the PostgreSQL table of conference leases. SQLite serves one node only, which hosts
-- every conference without a lease; the table keeps the two schemas alike and stays empty.
CREATE TABLE conference_host (
    meeting_id  BLOB PRIMARY KEY REFERENCES meeting (id) ON DELETE CASCADE,
    node        TEXT NOT NULL,
    epoch       INTEGER NOT NULL,
    expires_at  TEXT NOT NULL
);
