//! Four eyes on accounts. Whatever would let an administrator into case content — a new
//! account, a password reset, a new role or organisation, a reactivation — is filed as a
//! request that a *second* administrator approves; the one who asked cannot. An approved new
//! account or reset gets a one-time activation link (24 hours, single use, stored only as a
//! hash); with it the holder chooses his own password. With SMTP configured the link is e-mailed
//! to the holder and no administrator sees it; without, it goes to the approver, never to the one
//! who asked, to hand to the holder. No administrator ever sees a password. Every step has its
//! line in the trail.

use super::{MANAGES_ACCOUNTS, require_admin};
use crate::auth::{UserPrincipal, password, token};
use crate::core::Context;
use crate::domain::validate::Invalid;
use crate::domain::{AccountRequestKind, Role};
use crate::error::{Error, Result};
use crate::events::AccessChange;
use crate::notifications::mail;
use crate::storage::account_requests::{AccountRequest, AtOnce, Decision, NewAccountRequest};
use crate::storage::audit::{Actor, NewAudit};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// How long an activation link works.
pub const LINK_VALID_HOURS: i64 = 24;

/// What a request gives the account once approved; `None` leaves a field as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted {
    pub role: Option<Role>,
    pub organisation_id: Option<Uuid>,
    /// `Some(true)`: reactivate.
    pub active: Option<bool>,
}

impl Wanted {
    /// Whether there is nothing to ask for.
    pub fn is_empty(&self) -> bool {
        self.role.is_none() && self.organisation_id.is_none() && self.active.is_none()
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(role) = self.role {
            parts.push(format!("role {role}"));
        }
        if let Some(org) = self.organisation_id {
            parts.push(format!("organisation {org}"));
        }
        if self.active == Some(true) {
            parts.push("reactivate".to_owned());
        }
        parts.join(", ")
    }
}

/// A decided approval, with the activation link when it carries one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Approved {
    pub request: AccountRequest,
    /// For a new account or a reset without SMTP: the one-time link for the account's holder,
    /// shown once and only to the approving administrator. `None` for a change of role or
    /// organisation, and when the link was e-mailed to the holder.
    pub activation_url: Option<String>,
    /// The link went by e-mail to the account's holder alone (SMTP configured). `false` with
    /// SMTP configured and no `activation_url`: the mail failed; file a new reset.
    pub link_sent_to_holder: bool,
}

/// Choosing one's password with an activation link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Activate {
    /// The token from the link (its last part).
    pub token: String,
    pub new_password: String,
}

/// Files a request with its trail line and does what it does at once.
pub(super) async fn file(
    cx: &Context,
    admin: &UserPrincipal,
    kind: AccountRequestKind,
    user_id: Uuid,
    wanted: Wanted,
    at_once: AtOnce<'_>,
) -> Result<AccountRequest> {
    let id = Uuid::now_v7();
    let now = cx.clock.now();
    let action = match kind {
        AccountRequestKind::Create => "account.create_requested",
        AccountRequestKind::Reset => "account.reset_requested",
        AccountRequestKind::Change => "account.change_requested",
    };
    let detail = match wanted.describe() {
        d if d.is_empty() => format!("request {id}"),
        d => format!("request {id}: {d}"),
    };
    let audit = admin.principal().audit(now, action, None, Some(("user", user_id)), Some(detail));
    let new = NewAccountRequest {
        id,
        kind,
        user_id,
        role: wanted.role,
        organisation_id: wanted.organisation_id,
        active: wanted.active,
        requested_by: admin.user.id,
    };
    let voids = matches!(at_once, AtOnce::VoidPassword(_));
    let filed = cx.store.insert_account_request(&new, at_once, now, &audit).await?;
    if voids {
        cx.events.access_changed(AccessChange::User(user_id));
    }
    Ok(filed)
}

/// Resets an account's password (admin): the old password stops working and every session of
/// the account ends at once; a second administrator's approval gives the holder an activation
/// link to choose a new one.
pub async fn reset_password(cx: &Context, admin: &UserPrincipal, id: Uuid) -> Result<AccountRequest> {
    require_admin(admin, MANAGES_ACCOUNTS)?;
    cx.store.user(id).await?.ok_or(Error::NotFound)?;
    let nobody_knows = password::hash(password::generate()).await;
    file(cx, admin, AccountRequestKind::Reset, id, Wanted::default(), AtOnce::VoidPassword(&nobody_knows)).await
}

/// The requests, newest first (admin).
pub async fn list(cx: &Context, admin: &UserPrincipal, pending_only: bool) -> Result<Vec<AccountRequest>> {
    require_admin(admin, MANAGES_ACCOUNTS)?;
    Ok(cx.store.account_requests(pending_only, 500).await?)
}

/// A pending request another administrator filed.
async fn pending(cx: &Context, id: Uuid) -> Result<AccountRequest> {
    let request = cx.store.account_request(id).await?.ok_or(Error::NotFound)?;
    if request.decided_at.is_some() {
        return Err(already_decided());
    }
    Ok(request)
}

fn already_decided() -> Error {
    Error::conflict("already_decided", "this request has been decided")
}

/// Approves a request (a second administrator): a change takes effect, a new account or reset
/// gets its activation link. The administrator who filed it cannot approve it.
pub async fn approve(cx: &Context, admin: &UserPrincipal, id: Uuid) -> Result<Approved> {
    require_admin(admin, MANAGES_ACCOUNTS)?;
    let request = pending(cx, id).await?;
    if request.requested_by == admin.user.id {
        return Err(Error::conflict("four_eyes", "a second administrator must approve what you asked for"));
    }
    let now = cx.clock.now();
    let subject = Some(("user", request.user_id));
    let mut audit = vec![admin.principal().audit(
        now,
        "account.request_approved",
        None,
        subject,
        Some(format!("request {id}: {}", request.kind)),
    )];
    let link = match request.kind {
        AccountRequestKind::Create | AccountRequestKind::Reset => {
            let (token, hash) = token::new_invite_token();
            let expires_at = now + Duration::hours(LINK_VALID_HOURS);
            audit.push(admin.principal().audit(
                now,
                "account.activation_link_issued",
                None,
                subject,
                Some(format!(
                    "request {id}; valid until {}; {}",
                    expires_at.to_rfc3339(),
                    if cx.outbox.mails() { "e-mailed to the holder" } else { "handed to the approver" }
                )),
            ));
            Some((token, hash, expires_at))
        }
        AccountRequestKind::Change => None,
    };
    let decision = Decision {
        by: admin.user.id,
        at: now,
        approved: true,
        link: link.as_ref().map(|(_, hash, expires_at)| (hash.as_slice(), *expires_at)),
    };
    if !cx.store.decide_account_request(&request, &decision, &audit).await? {
        return Err(already_decided());
    }
    cx.events.access_changed(AccessChange::User(request.user_id));
    let request = cx.store.account_request(id).await?.ok_or(Error::NotFound)?;
    let url = link.map(|(token, ..)| format!("{}/activate/{token}", cx.settings.public_url));
    let (activation_url, link_sent_to_holder) = match (url, cx.outbox.mailer()) {
        (Some(url), Some(mailer)) => (None, mail::send_activation(mailer, &request.user_email, &url).await),
        (url, _) => (url, false),
    };
    Ok(Approved { request, activation_url, link_sent_to_holder })
}

/// Refuses a request (another administrator), or withdraws it (the one who filed it). A refused
/// new account is deactivated; a refused reset leaves the password void (file a new reset).
pub async fn reject(cx: &Context, admin: &UserPrincipal, id: Uuid) -> Result<AccountRequest> {
    require_admin(admin, MANAGES_ACCOUNTS)?;
    let request = pending(cx, id).await?;
    let now = cx.clock.now();
    let audit = admin.principal().audit(
        now,
        "account.request_rejected",
        None,
        Some(("user", request.user_id)),
        Some(format!("request {id}: {}", request.kind)),
    );
    let decision = Decision { by: admin.user.id, at: now, approved: false, link: None };
    if !cx.store.decide_account_request(&request, &decision, &[audit]).await? {
        return Err(already_decided());
    }
    cx.store.account_request(id).await?.ok_or(Error::NotFound)
}

const LINK_GONE: &str = "this activation link was used or has expired; ask the administrators for a new one";

/// The holder of an activation link chooses his password. The link works once, for
/// [`LINK_VALID_HOURS`]; every session of the account ends.
pub async fn activate(cx: &Context, input: Activate) -> Result<()> {
    if !token::looks_like_invite_token(&input.token) {
        return Err(Error::NotFound);
    }
    let link = cx.store.activation_link(&token::hash_invite_token(&input.token)).await?.ok_or(Error::NotFound)?;
    let now = cx.clock.now();
    if link.used_at.is_some() || link.expires_at.is_none_or(|expires_at| expires_at <= now) {
        return Err(Error::Gone(LINK_GONE));
    }
    password::acceptable(&input.new_password).map_err(|m| Invalid::new("new_password", m))?;
    let user = cx.store.user(link.user_id).await?.ok_or(Error::NotFound)?;
    let hash = password::hash(input.new_password).await;
    let audit = NewAudit {
        at: now,
        actor: Actor { kind: "user", id: Some(user.id), label: format!("{} ({})", user.name, user.organisation_name) },
        action: "account.activate",
        case_id: None,
        subject: Some(("user", user.id)),
        detail: Some(format!("request {}", link.request_id)),
    };
    if !cx.store.activate_account(&link, &hash, now, &audit).await? {
        return Err(Error::Gone(LINK_GONE));
    }
    cx.events.access_changed(AccessChange::User(user.id));
    Ok(())
}
