//! Conferences, their minutes per life domain, and finalisation.

use super::models::{Action, DomainEntry, Meeting};
use super::{BeginWrite, Store, on_pool};
use crate::domain::{LifeDomain, MeetingStatus};
use crate::storage::actions::select_action;
use crate::storage::audit::{NewAudit, insert_audit};
use crate::storage::models::AttendanceLine;
use chrono::{DateTime, Utc};
use uuid::Uuid;

macro_rules! select_meeting {
    ($tail:literal) => {
        concat!(
            "SELECT mt.id, mt.case_id, mt.scheduled_at, mt.purpose, mt.chair_id, u.name AS chair_name, \
             mt.status, mt.partners_may_edit, mt.started_at, mt.ended_at, mt.finalised_at, \
             mt.finalised_by, mt.created_at, mt.minutes_revision, mt.client_purpose \
             FROM meeting mt JOIN app_user u ON u.id = mt.chair_id ",
            $tail
        )
    };
}

macro_rules! select_entry {
    ($tail:literal) => {
        concat!(
            "SELECT e.meeting_id, e.domain, e.situation, e.client_wish, e.notes, e.revision, \
             e.updated_by, u.name AS updated_by_name, e.updated_at \
             FROM domain_entry e JOIN app_user u ON u.id = e.updated_by ",
            $tail
        )
    };
}

/// A conference to schedule.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub case_id: Uuid,
    pub scheduled_at: DateTime<Utc>,
    pub purpose: String,
    pub chair_id: Uuid,
    pub partners_may_edit: bool,
    pub created_by: Uuid,
}

/// The text of one domain's minutes.
#[derive(Debug, Clone, Default)]
pub struct EntryText {
    pub situation: String,
    pub client_wish: String,
    pub notes: String,
}

/// A write of one domain's minutes.
#[derive(Debug, Clone)]
pub struct DomainWrite {
    pub meeting_id: Uuid,
    pub domain: LifeDomain,
    pub text: EntryText,
    /// The revision the writer based the text on (`None`: overwrite whatever is there).
    pub base_revision: Option<i64>,
    pub author: Uuid,
}

/// Why a write to the minutes was not made.
#[derive(Debug, Clone)]
pub enum MinutesRefusal {
    /// No such meeting.
    NoMeeting,
    /// The minutes are final.
    Finalised,
    /// Someone else wrote this domain since the writer last read it; here is what is there now.
    Stale(Box<DomainEntry>),
}

/// What a conference remembers across rooms (stored with the meeting): a room that ended and
/// starts again (also after a restart of the server) keeps the debrief going, keeps out whom
/// the chair sent away and lets whoever was admitted straight back in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomMemory {
    pub client_out: bool,
    pub barred_users: Vec<Uuid>,
    pub barred_invites: Vec<Uuid>,
    /// Accounts that were in the conference (they have an attendance line).
    pub admitted_users: Vec<Uuid>,
    /// Invites whose holder was let in.
    pub admitted_invites: Vec<Uuid>,
}

/// The stored final record of a conference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalRecord {
    /// The rendered minutes as JSON: the record's canonical content.
    pub content: String,
    /// SHA-256 of `content`, lowercase hex (printed on every page of the PDF).
    pub content_sha256: Option<String>,
    /// The PDF made when the minutes were finalised (`None` only for records finalised before
    /// PDFs were made; [`Store::store_minutes_pdf`] adds theirs once).
    pub pdf: Option<Vec<u8>>,
}

/// Why a conference could not be scheduled at the time asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// The conference of the same case whose slot the asked time overlaps.
    pub meeting_id: Uuid,
    pub scheduled_at: DateTime<Utc>,
}

/// What came of finalising the minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finalising {
    /// The record is stored and the meeting closed.
    Done,
    /// The minutes were already final; nothing changed.
    AlreadyFinal,
    /// Someone wrote to the minutes after the record was rendered; nothing changed, render again.
    Changed,
}

/// Counts a write to a meeting's minutes, in the writer's transaction, if they are not final.
/// On PostgreSQL the row lock it takes orders the write against a concurrent finalise: whichever
/// commits second sees the other (the finalise's stamp then finds a newer revision, or the write
/// finds the minutes final).
pub(crate) const COUNT_MINUTES_WRITE: &str =
    "UPDATE meeting SET minutes_revision = minutes_revision + 1 WHERE id = $1 AND finalised_at IS NULL";

/// Takes the case's row lock (PostgreSQL; SQLite's write transaction holds the database lock
/// already) so scheduling checks for overlaps one at a time per case.
const LOCK_CASE: &str = "UPDATE client_case SET status = status WHERE id = $1";
/// When the conferences of a case start.
const CASE_SLOTS: &str = "SELECT id, scheduled_at FROM meeting WHERE case_id = $1";

/// The first of `others` (but `except`) whose slot overlaps a slot starting at `at`: two slots
/// of length `slot` overlap when their starts are less than `slot` apart (back to back is fine).
pub fn overlapping(
    others: &[(Uuid, DateTime<Utc>)],
    except: Option<Uuid>,
    at: DateTime<Utc>,
    slot: chrono::Duration,
) -> Option<Overlap> {
    others
        .iter()
        .filter(|(id, _)| Some(*id) != except)
        .find(|(_, start)| (*start - at).abs() < slot)
        .map(|&(meeting_id, scheduled_at)| Overlap { meeting_id, scheduled_at })
}

impl Store {
    /// Schedules a conference, unless another conference of the same case has a slot (of
    /// `slot` from its start) that overlaps this one's. The check and the insert are one
    /// transaction that first locks the case row, so two schedules at once cannot both pass.
    pub async fn insert_meeting(
        &self,
        new: &NewMeeting,
        slot: chrono::Duration,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<Result<Meeting, Overlap>, sqlx::Error> {
        const INSERT: &str = "INSERT INTO meeting (id, case_id, scheduled_at, purpose, chair_id, status, \
            partners_may_edit, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        const SELECT: &str = select_meeting!("WHERE mt.id = $1");
        let id = audit.subject.map(|(_, id)| id).unwrap_or_else(Uuid::now_v7);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(LOCK_CASE).bind(new.case_id).execute(&mut *tx).await?;
            let others: Vec<(Uuid, DateTime<Utc>)> =
                sqlx::query_as(CASE_SLOTS).bind(new.case_id).fetch_all(&mut *tx).await?;
            if let Some(overlap) = overlapping(&others, None, new.scheduled_at, slot) {
                return Ok(Err(overlap));
            }
            sqlx::query(INSERT)
                .bind(id).bind(new.case_id).bind(new.scheduled_at).bind(&new.purpose).bind(new.chair_id)
                .bind(MeetingStatus::Scheduled).bind(new.partners_may_edit).bind(new.created_by).bind(now)
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            let meeting = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Ok(meeting))
        })
    }

    /// Moves a conference that has not started to another time, under the same overlap rule as
    /// [`Store::insert_meeting`]. Invites that still work are moved along: they last until
    /// `invite_expiry` (computed from the new time by the caller). `Ok(None)`: the conference
    /// is no longer `scheduled` (it started or was finalised) and nothing changed.
    #[allow(clippy::too_many_arguments)]
    pub async fn reschedule_meeting(
        &self,
        id: Uuid,
        case_id: Uuid,
        scheduled_at: DateTime<Utc>,
        invite_expiry: DateTime<Utc>,
        slot: chrono::Duration,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<Option<Result<Meeting, Overlap>>, sqlx::Error> {
        const MOVE: &str = "UPDATE meeting SET scheduled_at = $2 WHERE id = $1 AND status = 'scheduled' \
            AND finalised_at IS NULL";
        const INVITES: &str = "UPDATE invite SET expires_at = $2 WHERE meeting_id = $1 AND revoked_at IS NULL \
            AND removed_at IS NULL AND expires_at > $3";
        const SELECT: &str = select_meeting!("WHERE mt.id = $1");
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(LOCK_CASE).bind(case_id).execute(&mut *tx).await?;
            let others: Vec<(Uuid, DateTime<Utc>)> =
                sqlx::query_as(CASE_SLOTS).bind(case_id).fetch_all(&mut *tx).await?;
            if let Some(overlap) = overlapping(&others, Some(id), scheduled_at, slot) {
                return Ok(Some(Err(overlap)));
            }
            let moved = sqlx::query(MOVE).bind(id).bind(scheduled_at).execute(&mut *tx).await?;
            if moved.rows_affected() == 0 {
                return Ok(None);
            }
            sqlx::query(INVITES).bind(id).bind(invite_expiry).bind(now).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            let meeting = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(Ok(meeting)))
        })
    }

    /// One conference.
    pub async fn meeting(&self, id: Uuid) -> Result<Option<Meeting>, sqlx::Error> {
        const SQL: &str = select_meeting!("WHERE mt.id = $1");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
    }

    /// Sets (or, with an empty text, clears) the client's plain-language purpose of a conference
    /// whose minutes are not final. `Ok(None)` when there is no such open conference.
    pub async fn set_meeting_client_purpose(
        &self,
        id: Uuid,
        text: &str,
        audit: &NewAudit,
    ) -> Result<Option<Meeting>, sqlx::Error> {
        const UPDATE: &str = "UPDATE meeting SET client_purpose = $2 WHERE id = $1 AND finalised_at IS NULL";
        const SELECT: &str = select_meeting!("WHERE mt.id = $1");
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let updated = sqlx::query(UPDATE).bind(id).bind(text).execute(&mut *tx).await?;
            if updated.rows_affected() == 0 {
                return Ok(None);
            }
            insert_audit!(&mut *tx, audit)?;
            let meeting = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(meeting))
        })
    }

    /// The conferences of a case, in time order.
    pub async fn case_meetings(&self, case_id: Uuid) -> Result<Vec<Meeting>, sqlx::Error> {
        const SQL: &str = select_meeting!("WHERE mt.case_id = $1 ORDER BY mt.scheduled_at, mt.id");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(case_id).fetch_all(pool).await)
    }

    /// Marks a conference live (the first participant entered its room): the first time sets
    /// when it started; a room that starts again after it ended clears the end, which the next
    /// end sets anew. `false` for a conference that is closed.
    pub async fn mark_meeting_live(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
        const SQL: &str = "UPDATE meeting SET status = 'live', started_at = COALESCE(started_at, $2), \
                           ended_at = NULL WHERE id = $1 AND status IN ('scheduled', 'live')";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(now).execute(pool).await.map(|r| r.rows_affected() > 0))
    }

    /// Marks a live conference ended: nobody is in it any more (the last end counts, if its room
    /// started again). The minutes stay open until the chair finalises them.
    pub async fn mark_meeting_ended(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
        const SQL: &str = "UPDATE meeting SET ended_at = $2 WHERE id = $1 AND status = 'live' AND ended_at IS NULL";
        on_pool!(self, pool => sqlx::query(SQL).bind(id).bind(now).execute(pool).await.map(|r| r.rows_affected() > 0))
    }

    /// The minutes of a conference, per domain (only domains that were written).
    pub async fn domain_entries(&self, meeting_id: Uuid) -> Result<Vec<DomainEntry>, sqlx::Error> {
        const SQL: &str = select_entry!("WHERE e.meeting_id = $1 ORDER BY e.domain");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(meeting_id).fetch_all(pool).await)
    }

    /// Writes one domain's minutes, unless they are final or `base_revision` is stale.
    pub async fn write_domain_entry(
        &self,
        write: &DomainWrite,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<Result<DomainEntry, MinutesRefusal>, sqlx::Error> {
        let DomainWrite { meeting_id, domain, text, base_revision, author } = write;
        let (meeting_id, domain, base_revision, author) = (*meeting_id, *domain, *base_revision, *author);
        const EXISTS: &str = "SELECT COUNT(*) FROM meeting WHERE id = $1";
        const CURRENT: &str = select_entry!("WHERE e.meeting_id = $1 AND e.domain = $2");
        const UPSERT: &str = "INSERT INTO domain_entry (meeting_id, domain, situation, client_wish, notes, \
            revision, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7) \
            ON CONFLICT (meeting_id, domain) DO UPDATE SET situation = excluded.situation, \
            client_wish = excluded.client_wish, notes = excluded.notes, \
            revision = domain_entry.revision + 1, updated_by = excluded.updated_by, \
            updated_at = excluded.updated_at";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let counted = sqlx::query(COUNT_MINUTES_WRITE).bind(meeting_id).execute(&mut *tx).await?;
            if counted.rows_affected() == 0 {
                let exists: i64 = sqlx::query_scalar(EXISTS).bind(meeting_id).fetch_one(&mut *tx).await?;
                return Ok(Err(if exists == 0 { MinutesRefusal::NoMeeting } else { MinutesRefusal::Finalised }));
            }
            let current: Option<DomainEntry> =
                sqlx::query_as(CURRENT).bind(meeting_id).bind(domain).fetch_optional(&mut *tx).await?;
            let current_revision = current.as_ref().map_or(0, |e| e.revision);
            if let (Some(base), Some(current)) = (base_revision, current)
                && base != current_revision {
                    return Ok(Err(MinutesRefusal::Stale(Box::new(current))));
                }
            sqlx::query(UPSERT)
                .bind(meeting_id).bind(domain).bind(&text.situation).bind(&text.client_wish)
                .bind(&text.notes).bind(author).bind(now)
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            let entry = sqlx::query_as(CURRENT).bind(meeting_id).bind(domain).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Ok(entry))
        })
    }

    /// Makes the minutes final: stamps the meeting, closes it, records which actions were on the
    /// table in which state, and stores `record` (the rendered minutes as JSON, its hash and its
    /// PDF) as version 1. A conference that was never held keeps no start or end time; one
    /// still running ends now. `record` must have been rendered from what was there at `meeting.minutes_revision`:
    /// if anything was written since, nothing changes and the answer is [`Finalising::Changed`].
    pub async fn finalise_meeting(
        &self,
        meeting: &Meeting,
        table: &[Action],
        record: &FinalRecord,
        by: Uuid,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<Finalising, sqlx::Error> {
        const STAMP: &str = "UPDATE meeting SET finalised_at = $2, finalised_by = $3, status = 'closed', \
            ended_at = CASE WHEN started_at IS NULL THEN NULL ELSE COALESCE(ended_at, $2) END \
            WHERE id = $1 AND finalised_at IS NULL AND minutes_revision = $4";
        const FINAL: &str = "SELECT COUNT(*) FROM meeting WHERE id = $1 AND finalised_at IS NOT NULL";
        const ON_TABLE: &str = "INSERT INTO meeting_action (meeting_id, action_id, status_at_close, carried_over) \
            VALUES ($1, $2, $3, $4)";
        const END_INVITE_SESSIONS: &str = "UPDATE session SET revoked_at = $2 WHERE revoked_at IS NULL \
            AND invite_id IN (SELECT id FROM invite WHERE meeting_id = $1)";
        const RECORD: &str = "INSERT INTO minutes_record (id, meeting_id, version, content, finalised_by, finalised_at, \
            content_sha256, pdf) VALUES ($1, $2, 1, $3, $4, $5, $6, $7)";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let stamped = sqlx::query(STAMP).bind(meeting.id).bind(now).bind(by).bind(meeting.minutes_revision)
                .execute(&mut *tx).await?;
            if stamped.rows_affected() == 0 {
                let already: i64 = sqlx::query_scalar(FINAL).bind(meeting.id).fetch_one(&mut *tx).await?;
                return Ok(if already > 0 { Finalising::AlreadyFinal } else { Finalising::Changed });
            }
            // The conference is over: the guests' and the client's sessions end with it.
            sqlx::query(END_INVITE_SESSIONS).bind(meeting.id).bind(now).execute(&mut *tx).await?;
            for action in table {
                let carried_over = action.meeting_id != Some(meeting.id);
                sqlx::query(ON_TABLE).bind(meeting.id).bind(action.id).bind(action.status).bind(carried_over)
                    .execute(&mut *tx).await?;
            }
            sqlx::query(RECORD).bind(Uuid::now_v7()).bind(meeting.id).bind(&record.content).bind(by).bind(now)
                .bind(record.content_sha256.as_deref()).bind(record.pdf.as_deref())
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(Finalising::Done)
        })
    }

    /// The stored final minutes of a conference (JSON), if it was finalised.
    pub async fn minutes_record(&self, meeting_id: Uuid) -> Result<Option<String>, sqlx::Error> {
        const SQL: &str = "SELECT content FROM minutes_record WHERE meeting_id = $1 ORDER BY version DESC LIMIT 1";
        on_pool!(self, pool => sqlx::query_scalar(SQL).bind(meeting_id).fetch_optional(pool).await)
    }

    /// The stored final record of a conference with its hash and PDF, if it was finalised.
    pub async fn final_record(&self, meeting_id: Uuid) -> Result<Option<FinalRecord>, sqlx::Error> {
        const SQL: &str = "SELECT content, content_sha256, pdf FROM minutes_record WHERE meeting_id = $1 \
            ORDER BY version DESC LIMIT 1";
        on_pool!(self, pool => {
            let row: Option<(String, Option<String>, Option<Vec<u8>>)> =
                sqlx::query_as(SQL).bind(meeting_id).fetch_optional(pool).await?;
            Ok(row.map(|(content, content_sha256, pdf)| FinalRecord { content, content_sha256, pdf }))
        })
    }

    /// Stores the PDF of a record finalised before PDFs were made, unless one is there already
    /// (then that one stays: a PDF, once stored, never changes). Returns the stored record.
    pub async fn store_minutes_pdf(
        &self,
        meeting_id: Uuid,
        content_sha256: &str,
        pdf: &[u8],
    ) -> Result<Option<FinalRecord>, sqlx::Error> {
        const SQL: &str = "UPDATE minutes_record SET content_sha256 = $2, pdf = $3 \
            WHERE meeting_id = $1 AND version = 1 AND pdf IS NULL";
        on_pool!(self, pool => {
            sqlx::query(SQL).bind(meeting_id).bind(content_sha256).bind(pdf).execute(pool).await?;
        });
        self.final_record(meeting_id).await
    }

    /// The actions of a case that were on the table at its finalised conferences, newest
    /// conference first: `(meeting, action, status then)`. The carry-over count reads this.
    pub async fn tabled_actions(&self, case_id: Uuid) -> Result<Vec<(Uuid, Uuid, String)>, sqlx::Error> {
        const SQL: &str = "SELECT ma.meeting_id, ma.action_id, ma.status_at_close FROM meeting_action ma \
            JOIN meeting mt ON mt.id = ma.meeting_id WHERE mt.case_id = $1 \
            ORDER BY mt.finalised_at DESC, mt.id";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(case_id).fetch_all(pool).await)
    }

    /// The actions agreed in one conference.
    pub async fn meeting_actions(&self, meeting_id: Uuid) -> Result<Vec<Action>, sqlx::Error> {
        const SQL: &str = select_action!("WHERE a.meeting_id = $1 ORDER BY a.domain, a.created_at");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(meeting_id).fetch_all(pool).await)
    }

    /// Who took part in a conference, in order of arrival.
    pub async fn attendance(&self, meeting_id: Uuid) -> Result<Vec<AttendanceLine>, sqlx::Error> {
        const SQL: &str = "SELECT name, organisation, role, joined_at, left_at FROM meeting_attendance \
            WHERE meeting_id = $1 ORDER BY joined_at, id";
        on_pool!(self, pool => sqlx::query_as(SQL).bind(meeting_id).fetch_all(pool).await)
    }

    /// Records that someone entered a conference, as row `id` (closed when they leave).
    pub async fn record_join(
        &self,
        id: Uuid,
        meeting_id: Uuid,
        user_id: Option<Uuid>,
        invite_id: Option<Uuid>,
        who: &AttendanceLine,
    ) -> Result<(), sqlx::Error> {
        const SQL: &str = "INSERT INTO meeting_attendance (id, meeting_id, user_id, invite_id, name, \
            organisation, role, joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_pool!(self, pool => sqlx::query(SQL)
            .bind(id).bind(meeting_id).bind(user_id).bind(invite_id).bind(&who.name)
            .bind(who.organisation.as_deref()).bind(&who.role).bind(who.joined_at)
            .execute(pool).await.map(drop))
    }

    /// Records that someone left a conference.
    pub async fn record_leave(&self, attendance_id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE meeting_attendance SET left_at = $2 WHERE id = $1 AND left_at IS NULL";
        on_pool!(self, pool => sqlx::query(SQL).bind(attendance_id).bind(now).execute(pool).await.map(drop))
    }

    /// What a new room of this conference must remember (see `RoomMemory`).
    pub async fn room_memory(&self, meeting_id: Uuid) -> Result<RoomMemory, sqlx::Error> {
        const DEBRIEF: &str = "SELECT debrief_active FROM meeting WHERE id = $1";
        const USERS: &str = "SELECT user_id FROM meeting_bar WHERE meeting_id = $1";
        const INVITES: &str = "SELECT id FROM invite WHERE meeting_id = $1 AND removed_at IS NOT NULL";
        const ADMITTED_USERS: &str =
            "SELECT DISTINCT user_id FROM meeting_attendance WHERE meeting_id = $1 AND user_id IS NOT NULL";
        const ADMITTED_INVITES: &str = "SELECT id FROM invite WHERE meeting_id = $1 AND admitted_at IS NOT NULL \
            UNION SELECT invite_id FROM meeting_attendance WHERE meeting_id = $1 AND invite_id IS NOT NULL";
        on_pool!(self, pool => {
            let client_out: Option<bool> = sqlx::query_scalar(DEBRIEF).bind(meeting_id).fetch_optional(pool).await?;
            let barred_users = sqlx::query_scalar(USERS).bind(meeting_id).fetch_all(pool).await?;
            let barred_invites = sqlx::query_scalar(INVITES).bind(meeting_id).fetch_all(pool).await?;
            let admitted_users = sqlx::query_scalar(ADMITTED_USERS).bind(meeting_id).fetch_all(pool).await?;
            let admitted_invites = sqlx::query_scalar(ADMITTED_INVITES).bind(meeting_id).fetch_all(pool).await?;
            Ok(RoomMemory {
                client_out: client_out.unwrap_or(false),
                barred_users,
                barred_invites,
                admitted_users,
                admitted_invites,
            })
        })
    }

    /// Starts or ends the professionals-only part of a conference.
    pub async fn set_debrief(&self, meeting_id: Uuid, active: bool, audit: &NewAudit) -> Result<(), sqlx::Error> {
        const SQL: &str = "UPDATE meeting SET debrief_active = $2 WHERE id = $1";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(SQL).bind(meeting_id).bind(active).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await
        })
    }

    /// Keeps an account out of a conference (removed or turned away by the chair).
    pub async fn bar_user(
        &self,
        meeting_id: Uuid,
        user_id: Uuid,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<(), sqlx::Error> {
        const SQL: &str = "INSERT INTO meeting_bar (meeting_id, user_id, barred_at) VALUES ($1, $2, $3) \
            ON CONFLICT (meeting_id, user_id) DO NOTHING";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(SQL).bind(meeting_id).bind(user_id).bind(now).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await
        })
    }
}
