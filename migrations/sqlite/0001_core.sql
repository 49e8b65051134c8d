-- Core schema of Ketentafel (SQLite). The PostgreSQL twin lives in migrations/postgres with the
-- same tables, columns and constraints in PostgreSQL's types; the queries in src/storage are shared.

CREATE TABLE organisation (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('pi', 'municipality', 'probation', 'police', 'housing',
                    'social_services', 'debt_counselling', 'care', 'zvh', 'other')),
    created_at  TEXT NOT NULL
);

CREATE TABLE app_user (
    id                       BLOB PRIMARY KEY,
    organisation_id          BLOB NOT NULL REFERENCES organisation (id),
    name                     TEXT NOT NULL,
    email                    TEXT NOT NULL UNIQUE,
    role                     TEXT NOT NULL CHECK (role IN ('casemanager', 'coordinator', 'partner', 'steering', 'admin')),
    password_hash            TEXT NOT NULL,
    password_change_required BOOLEAN NOT NULL DEFAULT FALSE,
    active                   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at               TEXT NOT NULL
);

CREATE TABLE app_setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE client_case (
    id                BLOB PRIMARY KEY,
    client_pseudonym  TEXT NOT NULL,
    prison_id         BLOB NOT NULL REFERENCES organisation (id),
    detention_start   TEXT NOT NULL,
    expected_release  TEXT NOT NULL,
    municipality_id   BLOB NOT NULL REFERENCES organisation (id),
    status            TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_by        BLOB NOT NULL REFERENCES app_user (id),
    created_at        TEXT NOT NULL,
    closed_at         TEXT
);

CREATE TABLE case_member (
    id               BLOB PRIMARY KEY,
    case_id          BLOB NOT NULL REFERENCES client_case (id) ON DELETE CASCADE,
    organisation_id  BLOB NOT NULL REFERENCES organisation (id),
    user_id          BLOB REFERENCES app_user (id),
    added_by         BLOB REFERENCES app_user (id),
    added_at         TEXT NOT NULL
);
CREATE UNIQUE INDEX case_member_user ON case_member (case_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX case_member_org ON case_member (case_id, organisation_id) WHERE user_id IS NULL;
CREATE INDEX case_member_by_user ON case_member (user_id);
CREATE INDEX case_member_by_org ON case_member (organisation_id);

CREATE TABLE meeting (
    id                 BLOB PRIMARY KEY,
    case_id            BLOB NOT NULL REFERENCES client_case (id) ON DELETE CASCADE,
    scheduled_at       TEXT NOT NULL,
    purpose            TEXT NOT NULL,
    chair_id           BLOB NOT NULL REFERENCES app_user (id),
    status             TEXT NOT NULL CHECK (status IN ('scheduled', 'live', 'closed')),
    partners_may_edit  BOOLEAN NOT NULL DEFAULT FALSE,
    started_at         TEXT,
    ended_at           TEXT,
    finalised_at       TEXT,
    finalised_by       BLOB REFERENCES app_user (id),
    created_by         BLOB NOT NULL REFERENCES app_user (id),
    created_at         TEXT NOT NULL
);
CREATE INDEX meeting_by_case ON meeting (case_id, scheduled_at);

CREATE TABLE invite (
    id                           BLOB PRIMARY KEY,
    meeting_id                   BLOB NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
    kind                         TEXT NOT NULL CHECK (kind IN ('member', 'guest', 'client')),
    user_id                      BLOB REFERENCES app_user (id),
    name                         TEXT NOT NULL,
    organisation_name            TEXT,
    token_hash                   BLOB NOT NULL UNIQUE,
    created_by                   BLOB NOT NULL REFERENCES app_user (id),
    created_at                   TEXT NOT NULL,
    expires_at                   TEXT NOT NULL,
    used_at                      TEXT,
    revoked_at                   TEXT,
    removed_at                   TEXT,
    confidentiality_accepted_at  TEXT,
    CHECK ((kind = 'member') = (user_id IS NOT NULL))
);
CREATE INDEX invite_by_meeting ON invite (meeting_id);

CREATE TABLE session (
    id          BLOB PRIMARY KEY,
    user_id     BLOB REFERENCES app_user (id) ON DELETE CASCADE,
    invite_id   BLOB REFERENCES invite (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT,
    CHECK ((user_id IS NULL) <> (invite_id IS NULL))
);

CREATE TABLE domain_entry (
    meeting_id   BLOB NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
    domain       TEXT NOT NULL CHECK (domain IN ('id', 'housing', 'work_income', 'debts', 'care')),
    situation    TEXT NOT NULL,
    client_wish  TEXT NOT NULL,
    notes        TEXT NOT NULL,
    revision     INTEGER NOT NULL,
    updated_by   BLOB NOT NULL REFERENCES app_user (id),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (meeting_id, domain)
);

CREATE TABLE action (
    id                     BLOB PRIMARY KEY,
    case_id                BLOB NOT NULL REFERENCES client_case (id) ON DELETE CASCADE,
    domain                 TEXT NOT NULL CHECK (domain IN ('id', 'housing', 'work_income', 'debts', 'care')),
    description            TEXT NOT NULL,
    owner_organisation_id  BLOB REFERENCES organisation (id),
    owner_user_id          BLOB REFERENCES app_user (id),
    owner_is_client        BOOLEAN NOT NULL,
    due_date               TEXT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'blocked', 'cancelled')),
    status_changed_at      TEXT NOT NULL,
    completed_at           TEXT,
    meeting_id             BLOB REFERENCES meeting (id),
    created_by             BLOB NOT NULL REFERENCES app_user (id),
    created_at             TEXT NOT NULL,
    CHECK (owner_is_client OR owner_organisation_id IS NOT NULL)
);
CREATE INDEX action_by_case ON action (case_id, domain);

CREATE TABLE action_event (
    id           BLOB PRIMARY KEY,
    action_id    BLOB NOT NULL REFERENCES action (id) ON DELETE CASCADE,
    at           TEXT NOT NULL,
    actor_id     BLOB REFERENCES app_user (id),
    actor_label  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    note         TEXT
);
CREATE INDEX action_event_by_action ON action_event (action_id, at);

-- Which actions were on the table when a meeting was finalised, and in what state: the basis of
-- the carry-over count and of the frozen minutes.
CREATE TABLE meeting_action (
    meeting_id       BLOB NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
    action_id        BLOB NOT NULL REFERENCES action (id) ON DELETE CASCADE,
    status_at_close  TEXT NOT NULL,
    carried_over     BOOLEAN NOT NULL,
    PRIMARY KEY (meeting_id, action_id)
);

CREATE TABLE minutes_record (
    id            BLOB PRIMARY KEY,
    meeting_id    BLOB NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    content       TEXT NOT NULL,
    finalised_by  BLOB NOT NULL REFERENCES app_user (id),
    finalised_at  TEXT NOT NULL,
    UNIQUE (meeting_id, version)
);

CREATE TABLE obstacle (
    id                     BLOB PRIMARY KEY,
    title                  TEXT NOT NULL,
    description            TEXT NOT NULL,
    domain                 TEXT CHECK (domain IN ('id', 'housing', 'work_income', 'debts', 'care')),
    owner_organisation_id  BLOB REFERENCES organisation (id),
    owner_user_id          BLOB REFERENCES app_user (id),
    status                 TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'resolved')),
    created_by             BLOB NOT NULL REFERENCES app_user (id),
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);

CREATE TABLE escalation (
    id                        BLOB PRIMARY KEY,
    case_id                   BLOB NOT NULL REFERENCES client_case (id) ON DELETE CASCADE,
    action_id                 BLOB REFERENCES action (id) ON DELETE CASCADE,
    domain                    TEXT NOT NULL CHECK (domain IN ('id', 'housing', 'work_income', 'debts', 'care')),
    reason                    TEXT NOT NULL CHECK (reason IN ('overdue', 'blocked', 'carried_over', 'manual')),
    rule_key                  TEXT UNIQUE,
    note                      TEXT NOT NULL,
    raised_by                 BLOB REFERENCES app_user (id),
    status                    TEXT NOT NULL CHECK (status IN ('open', 'under_review', 'decided', 'closed')),
    decision                  TEXT CHECK (decision IN ('assigned', 'resolved', 'returned', 'obstacle')),
    decision_note             TEXT,
    assigned_organisation_id  BLOB REFERENCES organisation (id),
    assigned_due_date         TEXT,
    obstacle_id               BLOB REFERENCES obstacle (id),
    created_at                TEXT NOT NULL,
    reviewed_by               BLOB REFERENCES app_user (id),
    reviewed_at               TEXT,
    decided_by                BLOB REFERENCES app_user (id),
    decided_at                TEXT,
    closed_by                 BLOB REFERENCES app_user (id),
    closed_at                 TEXT
);
CREATE INDEX escalation_by_case ON escalation (case_id);
CREATE INDEX escalation_by_status ON escalation (status, created_at);

-- Who was in a conference, when. The media itself is never stored.
CREATE TABLE meeting_attendance (
    id            BLOB PRIMARY KEY,
    meeting_id    BLOB NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
    user_id       BLOB REFERENCES app_user (id),
    invite_id     BLOB REFERENCES invite (id) ON DELETE SET NULL,
    name          TEXT NOT NULL,
    organisation  TEXT,
    role          TEXT NOT NULL,
    joined_at     TEXT NOT NULL,
    left_at       TEXT
);
CREATE INDEX meeting_attendance_by_meeting ON meeting_attendance (meeting_id, joined_at);

-- Append-only. No foreign key to the case: the trail must outlive a retention purge.
CREATE TABLE audit_event (
    id            BLOB PRIMARY KEY,
    at            TEXT NOT NULL,
    actor_kind    TEXT NOT NULL CHECK (actor_kind IN ('user', 'invite', 'system')),
    actor_id      BLOB,
    actor_label   TEXT NOT NULL,
    action        TEXT NOT NULL,
    case_id       BLOB,
    subject_kind  TEXT,
    subject_id    BLOB,
    detail        TEXT
);
CREATE INDEX audit_event_by_case ON audit_event (case_id, at);
CREATE INDEX audit_event_by_time ON audit_event (at);
