//! Accounts and organisations: logging in and out, one's own password, the directory of
//! colleagues, and the administrator's management of both.
//!
//! No single administrator can give himself a way into case content: whatever gives an account
//! a credential or widens what it sees waits for a second administrator ([`requests`]), and the
//! trail the administrator reads names cases by id only ([`trail`]).

pub mod requests;
pub mod trail;

use crate::auth::login_limits::{Attempt, LoginLimits, address_key};
use crate::auth::{Principal, UserPrincipal, password, session};
use crate::core::Context;
use crate::domain::validate::{self, Invalid};
use crate::domain::{AccountRequestKind, OrganisationKind, Role};
use crate::error::{Error, Result};
use crate::events::AccessChange;
use crate::storage::account_requests::{AccountRequest, AtOnce};
use crate::storage::audit::{Actor, NewAudit};
use crate::storage::models::{Organisation, User};
use crate::storage::users::{NewUser, UserChanges};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::ToSchema;
use uuid::Uuid;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

/// A successful login. The token is also set as an HttpOnly cookie for browsers.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedIn {
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub user: User,
}

/// Changing one's own password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// A colleague as the directory shows them (no e-mail addresses).
#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryEntry {
    pub id: Uuid,
    pub name: String,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub role: Role,
}

/// An account to create (admin).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub organisation_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// Changes to an account (admin). A new name and deactivation take effect at once; a new role
/// or organisation and a reactivation wait for a second administrator.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub organisation_id: Option<Uuid>,
    pub active: Option<bool>,
}

/// An account after a change, with the request for what waits for a second administrator.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdatedAccount {
    pub user: User,
    /// The new role, organisation or reactivation, pending approval; `None` if nothing waits.
    pub request: Option<AccountRequest>,
}

/// An organisation to create (admin).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganisation {
    pub name: String,
    pub kind: OrganisationKind,
}

/// An organisation's new name (admin). Its kind stays: cases refer to it as their prison or
/// municipality by kind.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganisation {
    pub name: String,
}

/// Where a login comes from, as the login limits see it.
#[derive(Debug, Clone, Copy)]
pub struct LoginOrigin<'a> {
    pub address: IpAddr,
    /// The known-device cookie the browser sent, not yet checked.
    pub device_cookie: Option<&'a str>,
}

/// A successful login: the answer, the session's token, and a fresh known-device cookie value
/// for this browser.
pub type Success = (LoggedIn, session::IssuedToken, String);

/// Checks credentials and opens a session. Attempts are limited per account, address and known
/// device (see [`crate::auth::login_limits`]); a failed one costs the same time whether or not
/// the account exists. Failures and refusals are logged and, for existing accounts, audited.
pub async fn login(cx: &Context, limits: &LoginLimits, origin: LoginOrigin<'_>, input: Login) -> Result<Success> {
    let email = input.email.trim().to_lowercase();
    let now = cx.clock.now();
    if input.password.len() > 1024 || email.len() > 254 {
        return Err(Error::Unauthorized("wrong e-mail address or password"));
    }
    let device = origin.device_cookie.and_then(|cookie| limits.device_key.verify(cookie, &email, now));
    let attempt = Attempt { account: &email, address: origin.address, device: device.as_ref() };
    let address = address_key(origin.address);
    let found = cx.store.user_credentials(&email).await?;
    if let Err(refused) = limits.admit(&attempt, now) {
        let retry_after = refused.retry_after.num_seconds().max(1);
        tracing::warn!(
            limit = refused.limit.as_str(),
            retry_after,
            address,
            known_device = device.is_some(),
            "login refused by the login limits"
        );
        if let Some((user, _)) = &found {
            let detail = format!("limit: {}; retry after {retry_after} s", refused.limit.as_str());
            cx.store.record_audit(&login_audit(now, user, "session.login_refused", Some(detail))).await?;
        }
        return Err(Error::TooManyRequests);
    }
    let hash = found.as_ref().map(|(_, hash)| hash.clone());
    let valid = password::verify(input.password, hash).await;
    let user = match found {
        Some((user, _)) if valid && user.active => user,
        other => {
            tracing::info!(address, known_device = device.is_some(), "login failed");
            if let Some((user, _)) = other {
                cx.store.record_audit(&login_audit(now, &user, "session.login_failed", None)).await?;
            }
            return Err(Error::Unauthorized("wrong e-mail address or password"));
        }
    };
    limits.succeeded(&attempt, now);
    let issued = session::open_for_user(cx, user.id).await?;
    let principal = Principal::User(UserPrincipal { session_id: Uuid::nil(), user: user.clone() });
    cx.store.record_audit(&principal.audit(now, "session.login", None, None, None)).await?;
    let device_cookie = limits.device_key.issue(&email, now);
    Ok((LoggedIn { token: issued.token.clone(), expires_at: issued.expires_at, user }, issued, device_cookie))
}

/// An audit row about a login to `user`'s account (no session exists yet).
fn login_audit(at: DateTime<Utc>, user: &User, action: &'static str, detail: Option<String>) -> NewAudit {
    NewAudit {
        at,
        actor: Actor { kind: "user", id: Some(user.id), label: user.name.clone() },
        action,
        case_id: None,
        subject: None,
        detail,
    }
}

/// Ends the caller's session.
pub async fn logout(cx: &Context, principal: &Principal) -> Result<()> {
    let now = cx.clock.now();
    cx.store.revoke_session(principal.session_id(), now).await?;
    cx.events.access_changed(AccessChange::Session(principal.session_id()));
    cx.store.record_audit(&principal.audit(now, "session.logout", None, None, None)).await?;
    Ok(())
}

/// Changes the caller's own password; the account's other sessions end.
pub async fn change_password(
    cx: &Context,
    limits: &LoginLimits,
    user: &UserPrincipal,
    input: ChangePassword,
) -> Result<User> {
    let now = cx.clock.now();
    // The current password is a password guess like a login: limited per session (whoever holds
    // it is already in), with the same trail.
    if let Err(refused) = limits.admit_session(user.session_id, now) {
        let retry_after = refused.retry_after.num_seconds().max(1);
        tracing::warn!(retry_after, "password change refused by the login limits");
        let detail = Some(format!("limit: {}; retry after {retry_after} s", refused.limit.as_str()));
        let audit =
            user.principal().audit(now, "account.password_change_refused", None, Some(("user", user.user.id)), detail);
        cx.store.record_audit(&audit).await?;
        return Err(Error::TooManyRequests);
    }
    let (_, hash) = cx.store.user_credentials(&user.user.email).await?.ok_or(Error::NotFound)?;
    if !password::verify(input.current_password, Some(hash)).await {
        tracing::info!("password change with a wrong current password");
        let audit =
            user.principal().audit(now, "account.password_change_failed", None, Some(("user", user.user.id)), None);
        cx.store.record_audit(&audit).await?;
        return Err(Invalid::new("current_password", "is not your current password").into());
    }
    limits.session_succeeded(user.session_id);
    password::acceptable(&input.new_password).map_err(|m| Invalid::new("new_password", m))?;
    let hash = password::hash(input.new_password).await;
    let audit = user.principal().audit(now, "account.password_change", None, Some(("user", user.user.id)), None);
    let changes = UserChanges { password: Some((hash, false)), ..Default::default() };
    let updated = cx.store.update_user(user.user.id, &changes, &audit).await?.ok_or(Error::NotFound)?;
    // Whoever else may have been using the old password is out now; this session stays.
    cx.store.revoke_user_sessions_except(user.user.id, user.session_id, now).await?;
    cx.events.access_changed(AccessChange::User(user.user.id));
    Ok(updated)
}

/// Colleagues, optionally of one organisation, for putting people on a case and naming owners.
pub async fn directory(cx: &Context, organisation_id: Option<Uuid>) -> Result<Vec<DirectoryEntry>> {
    Ok(cx
        .store
        .users(organisation_id)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| DirectoryEntry {
            id: u.id,
            name: u.name,
            organisation_id: u.organisation_id,
            organisation_name: u.organisation_name,
            role: u.role,
        })
        .collect())
}

/// Refuses anyone but the administrator, with `refusal` as the reason.
pub fn require_admin(user: &UserPrincipal, refusal: &'static str) -> Result<()> {
    if user.role() == Role::Admin { Ok(()) } else { Err(Error::Forbidden(refusal)) }
}

const MANAGES_ACCOUNTS: &str = "only the administrator manages accounts";

/// Every account (admin).
pub async fn all_users(cx: &Context, user: &UserPrincipal) -> Result<Vec<User>> {
    require_admin(user, MANAGES_ACCOUNTS)?;
    Ok(cx.store.users(None).await?)
}

/// Files a new account (admin). It exists at once but has no password anyone knows; a second
/// administrator's approval gives its holder an activation link ([`requests::approve`]).
pub async fn create_user(cx: &Context, admin: &UserPrincipal, input: CreateUser) -> Result<AccountRequest> {
    require_admin(admin, MANAGES_ACCOUNTS)?;
    let name = validate::name("name", &input.name, 120)?;
    let email = validate::email("email", &input.email)?;
    cx.store
        .organisation(input.organisation_id)
        .await?
        .ok_or_else(|| Invalid::new("organisation_id", "no such organisation"))?;
    let new = NewUser {
        organisation_id: input.organisation_id,
        name,
        email,
        role: input.role,
        password_hash: password::hash(password::generate()).await,
        password_change_required: false,
    };
    let user_id = Uuid::now_v7();
    let wanted =
        requests::Wanted { role: Some(input.role), organisation_id: Some(input.organisation_id), active: None };
    match requests::file(cx, admin, AccountRequestKind::Create, user_id, wanted, AtOnce::CreateAccount(&new)).await {
        // The only unique column a new account and its request can collide on is the e-mail.
        Err(Error::Conflict { code: "duplicate", .. }) => {
            Err(Error::conflict("email_taken", "an account with this e-mail address exists"))
        }
        other => other,
    }
}

/// Changes an account (admin). A new name and deactivation take effect at once (deactivating
/// ends its sessions); what would widen what it sees is filed for a second administrator.
pub async fn update_user(cx: &Context, admin: &UserPrincipal, id: Uuid, input: UpdateUser) -> Result<UpdatedAccount> {
    require_admin(admin, MANAGES_ACCOUNTS)?;
    if id == admin.user.id && (input.active == Some(false) || input.role.is_some_and(|r| r != Role::Admin)) {
        return Err(Error::conflict("last_admin_guard", "you cannot deactivate or demote your own account"));
    }
    let name = input.name.as_deref().map(|n| validate::name("name", n, 120)).transpose()?;
    if let Some(org) = input.organisation_id {
        cx.store.organisation(org).await?.ok_or_else(|| Invalid::new("organisation_id", "no such organisation"))?;
    }
    let current = cx.store.user(id).await?.ok_or(Error::NotFound)?;
    let wanted = requests::Wanted {
        role: input.role.filter(|&r| r != current.role),
        organisation_id: input.organisation_id.filter(|&o| o != current.organisation_id),
        active: input.active.filter(|&a| a && !current.active),
    };
    let mut user = current;
    if name.is_some() || input.active == Some(false) {
        let changes = UserChanges { name, active: input.active.filter(|a| !a), ..Default::default() };
        let now = cx.clock.now();
        let detail = changes.active.map(|_| "deactivated".to_owned());
        let audit = admin.principal().audit(now, "account.update", None, Some(("user", id)), detail);
        user = cx.store.update_user(id, &changes, &audit).await?.ok_or(Error::NotFound)?;
        if input.active == Some(false) {
            cx.store.revoke_user_sessions(id, now).await?;
        }
        cx.events.access_changed(AccessChange::User(id));
    }
    let request = if wanted.is_empty() {
        None
    } else {
        Some(requests::file(cx, admin, AccountRequestKind::Change, id, wanted, AtOnce::Nothing).await?)
    };
    Ok(UpdatedAccount { user, request })
}

/// Creates an organisation (admin).
pub async fn create_organisation(
    cx: &Context,
    admin: &UserPrincipal,
    input: CreateOrganisation,
) -> Result<Organisation> {
    require_admin(admin, MANAGES_ACCOUNTS)?;
    let name = validate::name("name", &input.name, 160)?;
    let now = cx.clock.now();
    let audit = admin.principal().audit(
        now,
        "organisation.create",
        None,
        Some(("organisation", Uuid::now_v7())),
        Some(input.kind.to_string()),
    );
    match cx.store.insert_organisation(&name, input.kind, now, Some(&audit)).await {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(Error::conflict("name_taken", "an organisation with this name exists"))
        }
        other => Ok(other?),
    }
}

/// Renames an organisation (admin).
pub async fn update_organisation(
    cx: &Context,
    admin: &UserPrincipal,
    id: Uuid,
    input: UpdateOrganisation,
) -> Result<Organisation> {
    require_admin(admin, MANAGES_ACCOUNTS)?;
    let name = validate::name("name", &input.name, 160)?;
    let before = cx.store.organisation(id).await?.ok_or(Error::NotFound)?;
    let now = cx.clock.now();
    let detail = Some(format!("renamed from {}", before.name));
    let audit = admin.principal().audit(now, "organisation.update", None, Some(("organisation", id)), detail);
    match cx.store.rename_organisation(id, &name, &audit).await {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(Error::conflict("name_taken", "an organisation with this name exists"))
        }
        other => other?.ok_or(Error::NotFound),
    }
}

/// On an empty database: two administrators with one-time passwords, printed once on the
/// console (never logged). Two, because what opens case content needs a second administrator's
/// approval ([`requests`]); whoever runs the server hands each to a different person.
pub async fn bootstrap_admins(cx: &Context) -> Result<Vec<(String, String)>, sqlx::Error> {
    if cx.store.count_users().await? > 0 {
        return Ok(Vec::new());
    }
    let now = cx.clock.now();
    let org = match cx.store.organisation_by_name("Functioneel beheer").await? {
        Some(org) => org,
        None => cx.store.insert_organisation("Functioneel beheer", OrganisationKind::Other, now, None).await?,
    };
    let mut made = Vec::new();
    for (email, name) in [("admin@ketentafel.local", "Beheerder"), ("admin2@ketentafel.local", "Tweede beheerder")] {
        let one_time = password::generate();
        let new = NewUser {
            organisation_id: org.id,
            name: name.into(),
            email: email.into(),
            role: Role::Admin,
            password_hash: password::hash(one_time.clone()).await,
            password_change_required: true,
        };
        let audit = NewAudit {
            at: now,
            actor: Actor::system("start-up"),
            action: "account.bootstrap",
            case_id: None,
            subject: None,
            detail: None,
        };
        cx.store.insert_user(&new, now, Some(&audit)).await?;
        made.push((email.to_owned(), one_time));
    }
    Ok(made)
}
