//! The leases of conferences on several nodes (`conference_host`, migration 0011): which node
//! hosts which conference, until when, at which epoch. PostgreSQL only, with the database's
//! clock, so that every node judges expiry by the same clock; SQLite serves one node, which
//! needs no lease.

use super::{Pool, Store};
use std::time::Duration;
use uuid::Uuid;

/// Who holds a conference's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub node: String,
    pub epoch: i64,
    /// How long it still runs (zero when it has expired).
    pub left: Duration,
}

/// Why a lease could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("leases need PostgreSQL")]
    NotPostgres,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl Store {
    fn postgres(&self) -> Result<&sqlx::PgPool, LeaseError> {
        match &self.pool {
            Pool::Postgres(pool) => Ok(pool),
            Pool::Sqlite(_) => Err(LeaseError::NotPostgres),
        }
    }

    /// Takes the lease of `meeting` for `node` for `ttl`, when nobody else holds it or the
    /// holder's lease has expired (the epoch rises when the holder changes); renews it when
    /// `node` holds it already. Returns the holder afterwards, whoever that is.
    pub async fn claim_lease(&self, meeting: Uuid, node: &str, ttl: Duration) -> Result<Lease, LeaseError> {
        // The update of an existing row happens only when the WHERE holds, and sees the row as
        // it was (so the CASE compares the old holder). Two nodes claiming at once: PostgreSQL
        // locks the row and the second sees the first one's fresh lease.
        const CLAIM: &str = "INSERT INTO conference_host (meeting_id, node, epoch, expires_at) \
            VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond') \
            ON CONFLICT (meeting_id) DO UPDATE SET \
                epoch = CASE WHEN conference_host.node = excluded.node THEN conference_host.epoch \
                        ELSE conference_host.epoch + 1 END, \
                node = excluded.node, expires_at = excluded.expires_at \
            WHERE conference_host.node = excluded.node OR conference_host.expires_at < clock_timestamp()";
        let pool = self.postgres()?;
        sqlx::query(CLAIM).bind(meeting).bind(node).bind(millis(ttl)).execute(pool).await?;
        // The row exists unless the conference was deleted in between.
        self.lease(meeting).await?.ok_or(LeaseError::Database(sqlx::Error::RowNotFound))
    }

    /// Who holds the lease of `meeting`, if anyone ever did.
    pub async fn lease(&self, meeting: Uuid) -> Result<Option<Lease>, LeaseError> {
        let pool = self.postgres()?;
        let holder: Option<(String, i64, i64)> = sqlx::query_as(HOLDER).bind(meeting).fetch_optional(pool).await?;
        Ok(holder.map(|(node, epoch, left)| Lease { node, epoch, left: Duration::from_millis(left.max(0) as u64) }))
    }

    /// Renews the lease `node` holds on `meeting` at `epoch`; false when it no longer does (the
    /// conference was taken over: its room here must stop).
    pub async fn renew_lease(&self, meeting: Uuid, node: &str, epoch: i64, ttl: Duration) -> Result<bool, LeaseError> {
        const RENEW: &str = "UPDATE conference_host \
            SET expires_at = clock_timestamp() + $4 * interval '1 millisecond' \
            WHERE meeting_id = $1 AND node = $2 AND epoch = $3";
        let pool = self.postgres()?;
        let done = sqlx::query(RENEW).bind(meeting).bind(node).bind(epoch).bind(millis(ttl)).execute(pool).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Lets the lease go (the room ended here, or the node hands its conferences over): it
    /// expires now, keeping its epoch, so the next node to claim it raises the epoch.
    pub async fn release_lease(&self, meeting: Uuid, node: &str, epoch: i64) -> Result<(), LeaseError> {
        const RELEASE: &str = "UPDATE conference_host SET expires_at = clock_timestamp() \
            WHERE meeting_id = $1 AND node = $2 AND epoch = $3";
        let pool = self.postgres()?;
        sqlx::query(RELEASE).bind(meeting).bind(node).bind(epoch).execute(pool).await?;
        Ok(())
    }
}

/// The holder of a lease and the milliseconds it still runs, by the database's clock.
const HOLDER: &str = "SELECT node, epoch, \
    GREATEST(0, EXTRACT(EPOCH FROM (expires_at - clock_timestamp())) * 1000)::BIGINT \
    FROM conference_host WHERE meeting_id = $1";

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
