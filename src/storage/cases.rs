//! Cases and their need-to-know list.

use super::models::{Case, CaseMember};
use super::{BeginWrite, Store, on_pool};
use crate::domain::CaseStatus;
use crate::domain::readiness::ReadinessWarning;
use crate::storage::audit::{NewAudit, insert_audit};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

macro_rules! select_case {
    ($tail:literal) => {
        concat!(
            "SELECT c.id, c.client_pseudonym, c.prison_id, p.name AS prison_name, c.detention_start, \
             c.expected_release, c.municipality_id, m.name AS municipality_name, c.status, \
             c.created_by, c.created_at, c.closed_at \
             FROM client_case c \
             JOIN organisation p ON p.id = c.prison_id \
             JOIN organisation m ON m.id = c.municipality_id ",
            $tail
        )
    };
}

macro_rules! select_member {
    ($tail:literal) => {
        concat!(
            "SELECT cm.id, cm.case_id, cm.organisation_id, o.name AS organisation_name, \
             o.kind AS organisation_kind, cm.user_id, u.name AS user_name, u.role AS user_role, \
             cm.added_at \
             FROM case_member cm \
             JOIN organisation o ON o.id = cm.organisation_id \
             LEFT JOIN app_user u ON u.id = cm.user_id ",
            $tail
        )
    };
}

/// Who is asking, as far as storage needs to know to filter.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    /// Coordinators see every case of their municipality.
    pub sees_municipality: bool,
}

/// A case with what the case list shows beside it.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct CaseSummary {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub case: Case,
    /// The next conference that is not closed yet.
    pub next_meeting_at: Option<DateTime<Utc>>,
    /// Actions that still ask for work.
    pub open_actions: i64,
    /// Open actions past their due date.
    pub overdue_actions: i64,
    /// Life domains not in hand while the release comes closer than their lead time.
    #[sqlx(skip)]
    pub readiness: Vec<ReadinessWarning>,
}

/// A case to open.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub client_pseudonym: String,
    pub prison_id: Uuid,
    pub detention_start: NaiveDate,
    pub expected_release: NaiveDate,
    pub municipality_id: Uuid,
    pub created_by: Uuid,
}

/// A need-to-know entry to add.
#[derive(Debug, Clone, Copy)]
pub struct NewMember {
    pub organisation_id: Uuid,
    pub user_id: Option<Uuid>,
    pub added_by: Option<Uuid>,
}

impl Store {
    /// Opens a case with its first need-to-know entries (at least its creator).
    pub async fn insert_case(
        &self,
        new: &NewCase,
        members: &[NewMember],
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<Case, sqlx::Error> {
        const INSERT: &str = "INSERT INTO client_case (id, client_pseudonym, prison_id, detention_start, \
            expected_release, municipality_id, status, created_by, created_at) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        const SELECT: &str = select_case!("WHERE c.id = $1");
        let id = audit.case_id.unwrap_or_else(Uuid::now_v7);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(INSERT)
                .bind(id).bind(&new.client_pseudonym).bind(new.prison_id).bind(new.detention_start)
                .bind(new.expected_release).bind(new.municipality_id).bind(CaseStatus::Open)
                .bind(new.created_by).bind(now)
                .execute(&mut *tx).await?;
            for member in members {
                sqlx::query(INSERT_MEMBER)
                    .bind(Uuid::now_v7()).bind(id).bind(member.organisation_id).bind(member.user_id)
                    .bind(member.added_by).bind(now)
                    .execute(&mut *tx).await?;
            }
            insert_audit!(&mut *tx, audit)?;
            let case = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(case)
        })
    }

    /// A case and whether `viewer` is on its need-to-know list. Deciding what that allows is
    /// the caller's job (see `auth::access`).
    pub async fn case_with_membership(
        &self,
        case_id: Uuid,
        viewer: Viewer,
    ) -> Result<Option<(Case, bool)>, sqlx::Error> {
        const SQL: &str = select_case!("WHERE c.id = $1");
        // On the list by name, or because the whole organisation is.
        const MEMBER: &str = "SELECT COUNT(*) FROM case_member cm WHERE cm.case_id = $3 \
             AND (cm.user_id = $1 OR (cm.user_id IS NULL AND cm.organisation_id = $2))";
        on_pool!(self, pool => {
            let case: Option<Case> = sqlx::query_as(SQL).bind(case_id).fetch_optional(pool).await?;
            let Some(case) = case else { return Ok(None) };
            let member: i64 = sqlx::query_scalar(MEMBER)
                .bind(viewer.user_id).bind(viewer.organisation_id).bind(case_id)
                .fetch_one(pool).await?;
            Ok(Some((case, member > 0)))
        })
    }

    /// A case by id, without any access filter (for the engine and the client's own view).
    pub async fn case(&self, case_id: Uuid) -> Result<Option<Case>, sqlx::Error> {
        const SQL: &str = select_case!("WHERE c.id = $1");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(case_id).fetch_optional(pool).await)
    }

    /// The cases `viewer` may see, nearest release first, with their counts.
    pub async fn visible_cases(&self, viewer: Viewer, today: NaiveDate) -> Result<Vec<CaseSummary>, sqlx::Error> {
        const SQL: &str = select_case!(
            "WHERE (EXISTS (SELECT 1 FROM case_member cm WHERE cm.case_id = c.id \
                    AND (cm.user_id = $1 OR (cm.user_id IS NULL AND cm.organisation_id = $2))) \
                OR ($3 AND c.municipality_id = $2)) \
             ORDER BY c.status, c.expected_release, c.id"
        );
        on_pool!(self, pool => {
            let cases: Vec<Case> = sqlx::query_as(SQL)
                .bind(viewer.user_id).bind(viewer.organisation_id).bind(viewer.sees_municipality)
                .fetch_all(pool).await?;
            let mut summaries = Vec::with_capacity(cases.len());
            for case in cases {
                let (next_meeting_at, open_actions, overdue_actions): (Option<DateTime<Utc>>, i64, i64) =
                    sqlx::query_as(CASE_COUNTS).bind(case.id).bind(today).fetch_one(pool).await?;
                summaries.push(CaseSummary {
                    case, next_meeting_at, open_actions, overdue_actions, readiness: Vec::new(),
                });
            }
            Ok(summaries)
        })
    }

    /// The need-to-know list of a case.
    pub async fn case_members(&self, case_id: Uuid) -> Result<Vec<CaseMember>, sqlx::Error> {
        const SQL: &str = select_member!("WHERE cm.case_id = $1 ORDER BY o.name, u.name");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(case_id).fetch_all(pool).await)
    }

    /// Adds an entry to the need-to-know list.
    pub async fn insert_case_member(
        &self,
        case_id: Uuid,
        member: NewMember,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<CaseMember, sqlx::Error> {
        const SELECT: &str = select_member!("WHERE cm.id = $1");
        let id = Uuid::now_v7();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(INSERT_MEMBER)
                .bind(id).bind(case_id).bind(member.organisation_id).bind(member.user_id)
                .bind(member.added_by).bind(now)
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            let member = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(member)
        })
    }

    /// Removes an entry from the need-to-know list; `false` if it was not on this case.
    pub async fn delete_case_member(
        &self,
        case_id: Uuid,
        member_id: Uuid,
        audit: &NewAudit,
    ) -> Result<bool, sqlx::Error> {
        const SQL: &str = "DELETE FROM case_member WHERE id = $1 AND case_id = $2";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let deleted = sqlx::query(SQL).bind(member_id).bind(case_id).execute(&mut *tx).await?;
            if deleted.rows_affected() == 0 {
                return Ok(false);
            }
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Closes or reopens a case; `false` if it was already in that state.
    pub async fn set_case_status(
        &self,
        case_id: Uuid,
        status: CaseStatus,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<bool, sqlx::Error> {
        const SQL: &str = "UPDATE client_case SET status = $2, \
            closed_at = CASE WHEN $2 = 'closed' THEN $3 ELSE NULL END WHERE id = $1 AND status <> $2";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query(SQL).bind(case_id).bind(status).bind(now).execute(&mut *tx).await?;
            if changed.rows_affected() == 0 {
                return Ok(false);
            }
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Cases closed before `cutoff`: past their retention period.
    pub async fn cases_closed_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Uuid>, sqlx::Error> {
        const SQL: &str = "SELECT id FROM client_case WHERE status = 'closed' AND closed_at < $1";
        on_pool!(self, pool => sqlx::query_scalar(SQL).bind(cutoff).fetch_all(pool).await)
    }

    /// When each closed case was closed, oldest first (counts and dates only: the retention
    /// overview names no case).
    pub async fn closed_case_times(&self) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
        const SQL: &str =
            "SELECT closed_at FROM client_case WHERE status = 'closed' AND closed_at IS NOT NULL ORDER BY closed_at";
        on_pool!(self, pool => sqlx::query_scalar(SQL).fetch_all(pool).await)
    }

    /// How many cases exist, open or closed.
    pub async fn count_cases(&self) -> Result<i64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM client_case").fetch_one(pool).await)
    }

    /// Deletes a closed case and everything of it (conferences, minutes, actions, escalations,
    /// invites, notifications). The audit trail stays: it has no link to the case to cascade on.
    pub async fn delete_case(&self, case_id: Uuid, audit: &NewAudit) -> Result<bool, sqlx::Error> {
        const SQL: &str = "DELETE FROM client_case WHERE id = $1 AND status = 'closed'";
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let deleted = sqlx::query(SQL).bind(case_id).execute(&mut *tx).await?;
            if deleted.rows_affected() == 0 {
                return Ok(false);
            }
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(true)
        })
    }
}

const INSERT_MEMBER: &str = "INSERT INTO case_member (id, case_id, organisation_id, user_id, added_by, added_at) \
                             VALUES ($1, $2, $3, $4, $5, $6)";

const CASE_COUNTS: &str = "SELECT \
    (SELECT MIN(scheduled_at) FROM meeting mt WHERE mt.case_id = $1 AND mt.status <> 'closed'), \
    (SELECT COUNT(*) FROM action a WHERE a.case_id = $1 AND a.status IN ('open', 'in_progress', 'blocked')), \
    (SELECT COUNT(*) FROM action a WHERE a.case_id = $1 AND a.status IN ('open', 'in_progress', 'blocked') \
        AND a.due_date < $2)";
