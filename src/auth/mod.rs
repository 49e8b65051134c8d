//! Who is asking, and what they may do.
//!
//! A request carries a session token (HttpOnly cookie for browsers, `Authorization: Bearer` for
//! API clients). [`session::resolve`] turns it into a [`Principal`]: an account holder, or a
//! guest or client who came in through an invite. [`access`] decides, from the role and the
//! case's need-to-know list, what that principal may read and write.

pub mod access;
pub mod device;
pub mod limiter;
pub mod login_limits;
pub mod password;
pub mod session;
pub mod throttle;
pub mod token;

use crate::domain::{InviteKind, Role};
use crate::error::Error;
use crate::storage::audit::{Actor, NewAudit};
use crate::storage::models::{Invite, User};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Someone with an account.
#[derive(Debug, Clone)]
pub struct UserPrincipal {
    pub session_id: Uuid,
    pub user: User,
}

/// A guest or the client, admitted to exactly one conference by an invite.
#[derive(Debug, Clone)]
pub struct InviteePrincipal {
    pub session_id: Uuid,
    pub invite: Invite,
    /// The case of the invite's meeting.
    pub case_id: Uuid,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub enum Principal {
    User(UserPrincipal),
    Invitee(InviteePrincipal),
}

impl Principal {
    /// How this caller appears in the audit trail and in action histories.
    pub fn actor(&self) -> Actor {
        match self {
            Principal::User(p) => Actor {
                kind: "user",
                id: Some(p.user.id),
                label: format!("{} ({})", p.user.name, p.user.organisation_name),
            },
            Principal::Invitee(p) => invite_actor(&p.invite),
        }
    }

    /// Refuses an account that must first replace its generated password.
    pub fn ready(&self) -> Result<(), Error> {
        match self {
            Principal::User(p) if p.user.password_change_required => {
                Err(Error::Forbidden("choose a new password first (POST /api/me/password)"))
            }
            _ => Ok(()),
        }
    }

    /// The session behind this request.
    pub fn session_id(&self) -> Uuid {
        match self {
            Principal::User(p) => p.session_id,
            Principal::Invitee(p) => p.session_id,
        }
    }

    /// An audit row for something this caller did to a case.
    pub fn audit(
        &self,
        at: DateTime<Utc>,
        action: &'static str,
        case_id: Option<Uuid>,
        subject: Option<(&'static str, Uuid)>,
        detail: Option<String>,
    ) -> NewAudit {
        NewAudit { at, actor: self.actor(), action, case_id, subject, detail }
    }
}

/// How the holder of an invite appears in the audit trail: his name, then `(cliënt)` or
/// `(<organisation>, gast)` (the administrator's view of the trail keeps only that last part).
pub fn invite_actor(invite: &Invite) -> Actor {
    Actor {
        kind: "invite",
        id: Some(invite.id),
        label: match (&invite.kind, &invite.organisation_name) {
            (InviteKind::Client, _) => format!("{} (cliënt)", invite.name),
            (_, Some(org)) => format!("{} ({}, gast)", invite.name, org),
            (_, None) => format!("{} (gast)", invite.name),
        },
    }
}

impl UserPrincipal {
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// Wraps this user as a [`Principal`] (for audit helpers).
    pub fn principal(&self) -> Principal {
        Principal::User(self.clone())
    }
}

/// Any authenticated caller (401 otherwise).
/// Any authenticated caller who may use the application (401 otherwise; 403 for an account
/// that must first replace a generated password).
impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let AnyPrincipal(principal) = AnyPrincipal::from_request_parts(parts, state).await?;
        principal.ready()?;
        Ok(principal)
    }
}

/// Any authenticated caller, even one who still has to change a generated password (for
/// `/api/me` and logging out).
#[derive(Debug, Clone)]
pub struct AnyPrincipal(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for AnyPrincipal {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(AnyPrincipal)
            .ok_or(Error::Unauthorized("log in first, or open your invite link"))
    }
}

/// An account holder who may use the application: logged in, and not holding a generated
/// password that must be changed first.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub UserPrincipal);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let AnyUser(user) = AnyUser::from_request_parts(parts, state).await?;
        Principal::User(user.clone()).ready()?;
        Ok(CurrentUser(user))
    }
}

/// An account holder, even one who still has to change a generated password.
#[derive(Debug, Clone)]
pub struct AnyUser(pub UserPrincipal);

impl<S: Send + Sync> FromRequestParts<S> for AnyUser {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match AnyPrincipal::from_request_parts(parts, state).await?.0 {
            Principal::User(user) => Ok(AnyUser(user)),
            Principal::Invitee(_) => {
                Err(Error::Forbidden("this needs an account; an invite only opens its conference"))
            }
        }
    }
}
