//! What the conference rooms record in the database: who joined and left when, when a
//! conference went live and ended, which invites a chair revoked by removing their holder.
//! One writer task takes these in order, so a room never waits for the database and a leave
//! is never written before its join.

use crate::meetings::view::AttendanceLine;
use crate::storage::Store;
use crate::storage::audit::{Actor, NewAudit};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
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

/// The sending side of the writer.
#[derive(Debug, Clone)]
pub struct Persister {
    tx: mpsc::UnboundedSender<Persist>,
}

impl Persister {
    /// Starts the writer task.
    pub fn spawn(store: Store) -> Persister {
        let (tx, mut rx) = mpsc::unbounded_channel::<Persist>();
        tokio::spawn(async move {
            while let Some(fact) = rx.recv().await {
                if let Err(e) = write(&store, fact).await {
                    tracing::error!(error = %e, "cannot record a conference event");
                }
            }
        });
        Persister { tx }
    }

    pub fn send(&self, fact: Persist) {
        let _ = self.tx.send(fact);
    }
}

async fn write(store: &Store, fact: Persist) -> Result<(), sqlx::Error> {
    match fact {
        Persist::Join { row, meeting, user, invite, line } => {
            store.record_join(row, meeting, user, invite, &line).await
        }
        Persist::Leave { row, at } => store.record_leave(row, at).await,
        Persist::Live { meeting, at } => store.mark_meeting_live(meeting, at).await.map(drop),
        Persist::Ended { meeting, at } => store.mark_meeting_ended(meeting, at).await.map(drop),
        Persist::InviteRemoved { invite, case_id, at, by } => {
            let audit = NewAudit {
                at,
                actor: by,
                action: "invite.removed_from_conference",
                case_id: Some(case_id),
                subject: Some(("invite", invite)),
                detail: None,
            };
            store.mark_invite_removed(invite, at, &audit).await
        }
        Persist::UserBarred { meeting, user, case_id, at, by } => {
            let audit = NewAudit {
                at,
                actor: by,
                action: "conference.bar",
                case_id: Some(case_id),
                subject: Some(("user", user)),
                detail: None,
            };
            store.bar_user(meeting, user, at, &audit).await
        }
        Persist::InviteAdmitted { invite, at } => store.mark_invite_admitted(invite, at).await,
        Persist::Debrief { meeting, active, case_id, at, by } => {
            let action = if active { "conference.send_out_client" } else { "conference.bring_back_client" };
            let audit = NewAudit {
                at,
                actor: by,
                action,
                case_id: Some(case_id),
                subject: Some(("meeting", meeting)),
                detail: None,
            };
            store.set_debrief(meeting, active, &audit).await
        }
        Persist::Audit(audit) => store.record_audit(&audit).await,
    }
}
