//! Notifications: in-app (a bell with an unread count, a list, marking read) and, when SMTP is
//! configured, an e-mail that says only that there is something to look at, with a link
//! ([`mail`]). They are produced where the event happens — an action assigned, an escalation
//! opened, a decision taken (same transaction as the change) and the engine's due-date
//! reminders — always only for people who see the case.

pub mod mail;

use crate::app::AppState;
use crate::auth::UserPrincipal;
use crate::error::{ApiError, ApiResult};
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
    state: &AppState,
    user: &UserPrincipal,
    unread_only: bool,
    limit: Option<i64>,
) -> ApiResult<Vec<Notification>> {
    let limit = limit.unwrap_or(50).clamp(1, 200);
    Ok(state.store.notifications(user.user.id, unread_only, limit).await?)
}

/// How many notifications the caller has not read.
pub async fn unread(state: &AppState, user: &UserPrincipal) -> ApiResult<UnreadCount> {
    Ok(UnreadCount { unread: state.store.unread_count(user.user.id).await? })
}

/// Marks one of the caller's notifications read (404 for anyone else's).
pub async fn mark_read(state: &AppState, user: &UserPrincipal, id: Uuid) -> ApiResult<()> {
    if !state.store.owns_notification(user.user.id, id).await? {
        return Err(ApiError::NotFound);
    }
    state.store.mark_read(user.user.id, Some(id), state.clock.now()).await?;
    Ok(())
}

/// Marks all of the caller's notifications read.
pub async fn mark_all_read(state: &AppState, user: &UserPrincipal) -> ApiResult<UnreadCount> {
    state.store.mark_read(user.user.id, None, state.clock.now()).await?;
    unread(state, user).await
}

/// Tells the owner of a new action (the named person, or the people of the owning
/// organisation on the case) that it is theirs; not the one who recorded it.
pub async fn action_assigned(state: &AppState, action: &Action, by: Uuid) -> Result<u64, sqlx::Error> {
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
        mail: state.mailer.is_some(),
    };
    let created = state.store.notify(&notice, state.clock.now()).await?;
    if created > 0 {
        state.outbox.notify_one();
    }
    Ok(created)
}
