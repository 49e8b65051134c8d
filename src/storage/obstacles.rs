//! The obstacles register (knelpunten): systemic bottlenecks in rules or cooperation, linked to
//! the escalations — and through them the cases — where they showed up.

use super::audit::{NewAudit, insert_audit};
use super::{BeginWrite, Store, on_pool};
use crate::domain::{LifeDomain, ObstacleStatus};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;
use uuid::Uuid;

macro_rules! select_obstacle {
    ($tail:literal) => {
        concat!(
            "SELECT o.id, o.title, o.description, o.domain, o.owner_organisation_id, \
             og.name AS owner_organisation_name, o.owner_user_id, u.name AS owner_user_name, \
             o.status, o.created_at, o.updated_at, \
             (SELECT COUNT(*) FROM escalation e WHERE e.obstacle_id = o.id) AS escalations, \
             (SELECT COUNT(DISTINCT e.case_id) FROM escalation e WHERE e.obstacle_id = o.id) AS cases_affected \
             FROM obstacle o \
             LEFT JOIN organisation og ON og.id = o.owner_organisation_id \
             LEFT JOIN app_user u ON u.id = o.owner_user_id ",
            $tail
        )
    };
}

/// A systemic bottleneck, with how often it showed up.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Obstacle {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    /// The life domain it blocks, if it is about one.
    pub domain: Option<LifeDomain>,
    /// Who works on removing it.
    pub owner_organisation_id: Option<Uuid>,
    pub owner_organisation_name: Option<String>,
    pub owner_user_id: Option<Uuid>,
    pub owner_user_name: Option<String>,
    pub status: ObstacleStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Escalations linked to it.
    pub escalations: i64,
    /// Distinct cases among those escalations.
    pub cases_affected: i64,
}

/// An obstacle to add to the register.
#[derive(Debug, Clone)]
pub struct NewObstacle {
    pub title: String,
    pub description: String,
    pub domain: Option<LifeDomain>,
    pub owner_organisation_id: Option<Uuid>,
    pub owner_user_id: Option<Uuid>,
}

/// Changes to an obstacle; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ObstacleChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub domain: Option<LifeDomain>,
    pub owner_organisation_id: Option<Uuid>,
    pub owner_user_id: Option<Uuid>,
    pub status: Option<ObstacleStatus>,
}

/// Binds: id, title, description, domain, owner organisation, owner user, created by, now.
pub(crate) const INSERT_OBSTACLE_SQL: &str = "INSERT INTO obstacle (id, title, description, domain, \
    owner_organisation_id, owner_user_id, status, created_by, created_at, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8)";

impl Store {
    /// Adds an obstacle to the register.
    pub async fn insert_obstacle(
        &self,
        new: &NewObstacle,
        by: Uuid,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<Obstacle, sqlx::Error> {
        const SELECT: &str = select_obstacle!("WHERE o.id = $1");
        let id = audit.subject.map(|(_, id)| id).unwrap_or_else(Uuid::now_v7);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(INSERT_OBSTACLE_SQL)
                .bind(id).bind(&new.title).bind(&new.description).bind(new.domain)
                .bind(new.owner_organisation_id).bind(new.owner_user_id).bind(by).bind(now)
                .execute(&mut *tx).await?;
            insert_audit!(&mut *tx, audit)?;
            let obstacle = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(obstacle)
        })
    }

    /// The register: open ones first, then by the number of cases affected.
    pub async fn obstacles(&self) -> Result<Vec<Obstacle>, sqlx::Error> {
        const SQL: &str = select_obstacle!(
            "ORDER BY CASE o.status WHEN 'resolved' THEN 1 ELSE 0 END, cases_affected DESC, o.created_at, o.id"
        );
        on_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)
    }

    /// One obstacle.
    pub async fn obstacle(&self, id: Uuid) -> Result<Option<Obstacle>, sqlx::Error> {
        const SQL: &str = select_obstacle!("WHERE o.id = $1");
        on_pool!(self, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)
    }

    /// Changes an obstacle; `Ok(None)` if there is no such obstacle.
    pub async fn update_obstacle(
        &self,
        id: Uuid,
        changes: &ObstacleChanges,
        now: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<Option<Obstacle>, sqlx::Error> {
        const UPDATE: &str = "UPDATE obstacle SET title = COALESCE($2, title), \
            description = COALESCE($3, description), domain = COALESCE($4, domain), \
            owner_organisation_id = COALESCE($5, owner_organisation_id), \
            owner_user_id = COALESCE($6, owner_user_id), status = COALESCE($7, status), \
            updated_at = $8 WHERE id = $1";
        const SELECT: &str = select_obstacle!("WHERE o.id = $1");
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query(UPDATE)
                .bind(id).bind(changes.title.as_deref()).bind(changes.description.as_deref())
                .bind(changes.domain).bind(changes.owner_organisation_id).bind(changes.owner_user_id)
                .bind(changes.status).bind(now)
                .execute(&mut *tx).await?;
            if changed.rows_affected() == 0 {
                return Ok(None);
            }
            insert_audit!(&mut *tx, audit)?;
            let obstacle = sqlx::query_as(SELECT).bind(id).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(obstacle))
        })
    }
}
