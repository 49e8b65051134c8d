//! What the conference rooms record in the database: who joined and left when, when a
//! conference went live and ended, which invites a chair revoked by removing their holder.
//! One writer task takes these in order, so a room never waits for the database and a leave
//! is never written before its join.

use crate::storage::Store;
use crate::storage::audit::{Actor, NewAudit};
use crate::storage::models::AttendanceLine;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// A fact to record.
#[derive(Debug)]
pub enum Persist {
    Join {
        row: Uuid,
        meeting: Uuid,
        user: Option<Uuid>,
        invite: Option<Uuid>,
        line: AttendanceLine,
    },
    Leave {
        row: Uuid,
        at: DateTime<Utc>,
    },
    Live {
        meeting: Uuid,
        at: DateTime<Utc>,
    },
    Ended {
        meeting: Uuid,
        at: DateTime<Utc>,
    },
    InviteRemoved {
        invite: Uuid,
        case_id: Uuid,
        at: DateTime<Utc>,
        by: Actor,
    },
    UserBarred {
        meeting: Uuid,
        user: Uuid,
        case_id: Uuid,
        at: DateTime<Utc>,
        by: Actor,
    },
    InviteAdmitted {
        invite: Uuid,
        at: DateTime<Utc>,
    },
    Debrief {
        meeting: Uuid,
        active: bool,
        case_id: Uuid,
        at: DateTime<Utc>,
        by: Actor,
    },
    /// Something a chair did in the room.
    Audit(NewAudit),
}

/// How many facts may wait for the writer. A room that finds the queue full waits for room in
/// it (facts are never dropped); at a few milliseconds per write that takes a stalled database.
pub const QUEUE: usize = 4_096;

/// How often a fact the chair was told about is tried before the room gives up on it.
const DURABLE_TRIES: u32 = 3;

/// Why a fact was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("the conference writer has stopped")]
    Stopped,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

struct Queued {
    fact: Persist,
    /// Told when the fact is in the database (or could not be written).
    done: Option<oneshot::Sender<Result<(), PersistError>>>,
}

/// The sending side of the writer.
#[derive(Debug, Clone)]
pub struct Persister {
    tx: mpsc::Sender<Queued>,
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.fact.fmt(f)
    }
}

impl Persister {
    /// Starts the writer task. It writes until `stop` is cancelled, then writes what is still
    /// queued and ends: await the handle before closing the store.
    pub fn spawn(store: Store, stop: CancellationToken) -> (Persister, JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<Queued>(QUEUE);
        let task = tokio::spawn(async move {
            loop {
                let queued = tokio::select! {
                    queued = rx.recv() => queued,
                    () = stop.cancelled() => {
                        rx.close();
                        rx.recv().await
                    }
                };
                let Some(Queued { fact, done }) = queued else { break };
                let durable = done.is_some();
                let result = write_with_retries(&store, &fact, if durable { DURABLE_TRIES } else { 1 }).await;
                if let Err(e) = &result {
                    tracing::error!(error = %e, ?fact, "cannot record a conference event");
                }
                if let Some(done) = done {
                    let _ = done.send(result.map_err(PersistError::from));
                }
            }
            tracing::debug!("the conference writer has drained its queue");
        });
        (Persister { tx }, task)
    }

    /// Queues a fact; the room goes on before it is written. Order is kept: a fact is written
    /// after every fact queued before it.
    pub async fn send(&self, fact: Persist) {
        if self.tx.send(Queued { fact, done: None }).await.is_err() {
            tracing::warn!("a conference event came after the writer stopped");
        }
    }

    /// Writes a fact before the caller goes on: for what a chair is told has happened (a
    /// removal, an admission, the client sent out), which must survive a crash right after.
    pub async fn durable(&self, fact: Persist) -> Result<(), PersistError> {
        let (done, written) = oneshot::channel();
        self.tx.send(Queued { fact, done: Some(done) }).await.map_err(|_| PersistError::Stopped)?;
        written.await.map_err(|_| PersistError::Stopped)?
    }
}

async fn write_with_retries(store: &Store, fact: &Persist, tries: u32) -> Result<(), sqlx::Error> {
    let mut attempt = 1;
    loop {
        match write(store, fact).await {
            Err(e) if attempt < tries => {
                tracing::warn!(error = %e, attempt, "recording a conference event failed; trying again");
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

async fn write(store: &Store, fact: &Persist) -> Result<(), sqlx::Error> {
    let audit = |at: DateTime<Utc>, by: &Actor, action, case_id, subject| NewAudit {
        at,
        actor: by.clone(),
        action,
        case_id: Some(case_id),
        subject: Some(subject),
        detail: None,
    };
    match fact {
        Persist::Join { row, meeting, user, invite, line } => {
            store.record_join(*row, *meeting, *user, *invite, line).await
        }
        Persist::Leave { row, at } => store.record_leave(*row, *at).await,
        Persist::Live { meeting, at } => store.mark_meeting_live(*meeting, *at).await.map(drop),
        Persist::Ended { meeting, at } => store.mark_meeting_ended(*meeting, *at).await.map(drop),
        Persist::InviteRemoved { invite, case_id, at, by } => {
            let audit = audit(*at, by, "invite.removed_from_conference", *case_id, ("invite", *invite));
            store.mark_invite_removed(*invite, *at, &audit).await
        }
        Persist::UserBarred { meeting, user, case_id, at, by } => {
            let audit = audit(*at, by, "conference.bar", *case_id, ("user", *user));
            store.bar_user(*meeting, *user, *at, &audit).await
        }
        Persist::InviteAdmitted { invite, at } => store.mark_invite_admitted(*invite, *at).await,
        Persist::Debrief { meeting, active, case_id, at, by } => {
            let action = if *active { "conference.send_out_client" } else { "conference.bring_back_client" };
            let audit = audit(*at, by, action, *case_id, ("meeting", *meeting));
            store.set_debrief(*meeting, *active, &audit).await
        }
        Persist::Audit(audit) => store.record_audit(audit).await,
    }
}
