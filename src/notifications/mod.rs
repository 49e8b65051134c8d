//! Notifications: in-app (a bell with an unread count, a list, marking read) and, when SMTP is
//! configured, an e-mail that says only that there is something to look at, with a link
//! ([`mail`]). They are produced where the event happens — an action assigned, an escalation
//! opened, a decision taken (same transaction as the change) and the engine's due-date
//! reminders — always only for people who see the case.

pub mod mail;

use crate::auth::UserPrincipal;
use crate::core::Context;
use crate::error::{Error, Result};
use crate::storage::models::Action;
use crate::storage::notifications::{Notice, NoticeKind, Notification};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The number on the bell.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub unread: i64,
}

/// The caller's notifications, newest first.
pub async fn list(
    cx: &Context,
    user: &UserPrincipal,
    unread_only: bool,
    limit: Option<i64>,
) -> Result<Vec<Notification>> {
    let limit = limit.unwrap_or(50).clamp(1, 200);
    Ok(cx.store.notifications(user.user.id, unread_only, limit).await?)
}

/// How many notifications the caller has not read.
pub async fn unread(cx: &Context, user: &UserPrincipal) -> Result<UnreadCount> {
    Ok(UnreadCount { unread: cx.store.unread_count(user.user.id).await? })
}

/// Marks one of the caller's notifications read (404 for anyone else's).
pub async fn mark_read(cx: &Context, user: &UserPrincipal, id: Uuid) -> Result<()> {
    if !cx.store.owns_notification(user.user.id, id).await? {
        return Err(Error::NotFound);
    }
    cx.store.mark_read(user.user.id, Some(id), cx.clock.now()).await?;
    Ok(())
}

/// Marks all of the caller's notifications read.
pub async fn mark_all_read(cx: &Context, user: &UserPrincipal) -> Result<UnreadCount> {
    cx.store.mark_read(user.user.id, None, cx.clock.now()).await?;
    unread(cx, user).await
}

/// Tells the owner of a new action (the named person, or the people of the owning
/// organisation on the case) that it is theirs; not the one who recorded it.
pub async fn action_assigned(cx: &Context, action: &Action, by: Uuid) -> Result<u64, sqlx::Error> {
    let Some(organisation_id) = action.owner_organisation_id else {
        return Ok(0);
    };
    let notice = Notice {
        kind: NoticeKind::ActionAssigned,
        case_id: action.case_id,
        subject: ("action", action.id),
        key: format!("assigned:{}", action.id),
        organisation_id: Some(organisation_id),
        user_id: action.owner_user_id,
        except: Some(by),
        mail: cx.outbox.mails(),
    };
    let created = cx.store.notify(&notice, cx.clock.now()).await?;
    if created > 0 {
        cx.outbox.poke();
    }
    Ok(created)
}
