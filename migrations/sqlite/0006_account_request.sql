-- Four eyes on accounts: a new account, a password reset, and a change that widens what an
-- account sees (role, organisation, reactivation) wait here until a second administrator
-- approves. An approved new account or reset carries a one-time activation link for its
-- holder, stored only as a SHA-256 hash.
CREATE TABLE account_request (
    id                BLOB PRIMARY KEY,
    user_id           BLOB NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('create', 'reset', 'change')),
    role              TEXT CHECK (role IN ('casemanager', 'coordinator', 'partner', 'steering', 'admin')),
    organisation_id   BLOB REFERENCES organisation (id),
    active            BOOLEAN,
    requested_by      BLOB NOT NULL REFERENCES app_user (id),
    requested_at      TEXT NOT NULL,
    decided_by        BLOB REFERENCES app_user (id),
    decided_at        TEXT,
    approved          BOOLEAN,
    token_hash        BLOB UNIQUE,
    token_expires_at  TEXT,
    token_used_at     TEXT,
    -- Nobody approves his own request (he may withdraw it).
    CHECK (approved IS NULL OR approved = FALSE OR decided_by <> requested_by)
);
CREATE INDEX account_request_by_user ON account_request (user_id);
