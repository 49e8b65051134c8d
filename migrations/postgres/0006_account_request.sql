-- Four eyes on accounts: a new account, a password reset, and a change that widens what an
-- account sees (role, organisation, reactivation) wait here until a second administrator
-- approves. An approved new account or reset carries a one-time activation link for its
-- holder, stored only as a SHA-256 hash.
CREATE TABLE account_request (
    id                UUID PRIMARY KEY,
    user_id           UUID NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL CHECK (kind IN ('create', 'reset', 'change')),
    role              TEXT CHECK (role IN ('casemanager', 'coordinator', 'partner', 'steering', 'admin')),
    organisation_id   UUID REFERENCES organisation (id),
    active            BOOLEAN,
    requested_by      UUID NOT NULL REFERENCES app_user (id),
    requested_at      TIMESTAMPTZ NOT NULL,
    decided_by        UUID REFERENCES app_user (id),
    decided_at        TIMESTAMPTZ,
    approved          BOOLEAN,
    token_hash        BYTEA UNIQUE,
    token_expires_at  TIMESTAMPTZ,
    token_used_at     TIMESTAMPTZ,
    -- Nobody approves his own request (he may withdraw it).
    CHECK (approved IS NULL OR approved = FALSE OR decided_by <> requested_by)
);
CREATE INDEX account_request_by_user ON account_request (user_id);
