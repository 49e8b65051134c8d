//! Rows as they are stored. These are also the shapes the API returns, so their fields are
//! documented for the OpenAPI document; secrets (password hashes, token hashes) are never part
//! of them.

use crate::domain::{ActionStatus, CaseStatus, InviteKind, LifeDomain, MeetingStatus, OrganisationKind, Role};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

/// A chain-partner organisation.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganisationKind,
    pub created_at: DateTime<Utc>,
}

/// An account. The password hash is kept out of this type on purpose.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// The organisation's name, joined in for display.
    pub organisation_name: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Set for a generated password: the user must choose a new one before anything else.
    pub password_change_required: bool,
    /// A deactivated account cannot log in; its history stays.
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A detainee's re-integration case. The client is known only by a pseudonym.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Case {
    pub id: Uuid,
    /// How the client is named in Ketentafel; never a BSN.
    pub client_pseudonym: String,
    /// The prison (PI) the client is detained in.
    pub prison_id: Uuid,
    pub prison_name: String,
    pub detention_start: NaiveDate,
    pub expected_release: NaiveDate,
    /// The municipality of origin, whose coordinator keeps the overview.
    pub municipality_id: Uuid,
    pub municipality_name: String,
    pub status: CaseStatus,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// One entry of a case's need-to-know list: a whole organisation, or one person of it.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct CaseMember {
    pub id: Uuid,
    pub case_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_kind: OrganisationKind,
    /// Empty when the whole organisation is on the case.
    pub user_id: Option<Uuid>,
    pub user_name: Option<String>,
    pub user_role: Option<Role>,
    pub added_at: DateTime<Utc>,
}

/// A case conference.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Meeting {
    pub id: Uuid,
    pub case_id: Uuid,
    pub scheduled_at: DateTime<Utc>,
    /// What this conference is for; shown in the lobby.
    pub purpose: String,
    pub chair_id: Uuid,
    pub chair_name: String,
    pub status: MeetingStatus,
    /// Whether partners (not only the chair) may write the minutes.
    pub partners_may_edit: bool,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Once set, the minutes are immutable.
    pub finalised_at: Option<DateTime<Utc>>,
    pub finalised_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// Counts the writes to the minutes; finalising checks it did not move under its record.
    #[serde(skip)]
    pub minutes_revision: i64,
    /// What the conference is for, in plain words (B1) for the client; empty: not written
    /// (his screens then show a plain default). The client never sees `purpose`.
    pub client_purpose: String,
}

/// A personal invitation to one conference. The token itself is never stored, only its hash.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Invite {
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub kind: InviteKind,
    /// The invited account, for `member` invites.
    pub user_id: Option<Uuid>,
    /// Who the invite is for, as shown to the others.
    pub name: String,
    /// The organisation a guest comes from.
    pub organisation_name: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When the invitee first opened it; nobody else can use it afterwards.
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the chair removed this person from the conference; the invite no longer admits.
    pub removed_at: Option<DateTime<Utc>>,
    pub confidentiality_accepted_at: Option<DateTime<Utc>>,
    /// When a chair first let the holder in; a guest reads the minutes only from then on.
    pub admitted_at: Option<DateTime<Utc>>,
}

/// The minutes of one life domain in one conference.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct DomainEntry {
    pub meeting_id: Uuid,
    pub domain: LifeDomain,
    /// The situation as the professionals describe it.
    pub situation: String,
    /// The client's own wish, in his own words.
    pub client_wish: String,
    /// Professionals-only notes; never shown to the client.
    pub notes: String,
    /// Increases with every write; a writer that sends an older one gets a conflict instead of
    /// overwriting someone else's text.
    pub revision: i64,
    pub updated_by: Uuid,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
}

/// An agreed action: what, who, by when.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Action {
    pub id: Uuid,
    pub case_id: Uuid,
    pub domain: LifeDomain,
    pub description: String,
    pub owner_organisation_id: Option<Uuid>,
    pub owner_organisation_name: Option<String>,
    pub owner_user_id: Option<Uuid>,
    pub owner_user_name: Option<String>,
    /// The client himself does this ("what I will do").
    pub owner_is_client: bool,
    pub due_date: NaiveDate,
    pub status: ActionStatus,
    pub status_changed_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The conference where it was agreed.
    pub meeting_id: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    /// The same action in plain words (B1) for the client, written or picked by the chair;
    /// empty: not written (his plan then shows a plain default for the domain). The client
    /// never sees `description`.
    pub client_text: String,
}

/// One entry of an action's append-only history.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct ActionEvent {
    pub id: Uuid,
    pub action_id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    /// `created`, `status` or `note`.
    pub kind: String,
    pub from_status: Option<ActionStatus>,
    pub to_status: Option<ActionStatus>,
    pub note: Option<String>,
}

/// One entry of the audit trail: who did what to which case, when.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `user`, `invite` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    /// What was done, e.g. `case.read` or `minutes.write`.
    pub action: String,
    pub case_id: Option<Uuid>,
    pub subject_kind: Option<String>,
    pub subject_id: Option<Uuid>,
    pub detail: Option<String>,
}

/// A steering-group decision that belongs on this conference's agenda.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct DecisionLine {
    pub escalation_id: Uuid,
    pub decided_at: DateTime<Utc>,
    /// `assigned`, `resolved`, `returned` or `obstacle`.
    pub decision: String,
    pub note: String,
    pub assigned_organisation_name: Option<String>,
    pub assigned_due_date: Option<NaiveDate>,
}

/// Who took part, as recorded by the conference room.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, FromRow)]
pub struct AttendanceLine {
    pub name: String,
    pub organisation: Option<String>,
    pub role: String,
    pub joined_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}
