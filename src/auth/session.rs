//! Opening, resolving, renewing and ending sessions; the session cookie.

use super::{InviteePrincipal, Principal, UserPrincipal};
use crate::core::Context;
use crate::error::Error;
use crate::storage::models::Invite;
use crate::storage::sessions::SessionRow;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// The name of the session cookie: with the `__Host-` prefix when served over HTTPS, so that
/// neither a sibling subdomain nor a man in the middle on plain HTTP can set or overwrite it
/// (browsers accept such a cookie only with `Secure`, `Path=/` and no `Domain`); the plain name
/// on `http://localhost`, where a `__Host-` cookie would be refused. The browser client never
/// reads it (it is HttpOnly), so the name is the server's business alone.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-kt_session" } else { "kt_session" }
}

/// A freshly signed session token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Opens a login session for an account.
pub async fn open_for_user(cx: &Context, user_id: Uuid) -> Result<IssuedToken, sqlx::Error> {
    let now = cx.clock.now();
    let expires_at = now + Duration::minutes(cx.settings.session_minutes);
    let session = cx.store.insert_session(Some(user_id), None, now, expires_at).await?;
    Ok(IssuedToken { token: cx.keys.sign(session.id, now, expires_at), expires_at })
}

/// Opens a session for the holder of an invite; it lasts as long as the invite.
pub async fn open_for_invite(cx: &Context, invite: &Invite) -> Result<IssuedToken, sqlx::Error> {
    let now = cx.clock.now();
    let session = cx.store.insert_session(None, Some(invite.id), now, invite.expires_at).await?;
    Ok(IssuedToken { token: cx.keys.sign(session.id, now, invite.expires_at), expires_at: invite.expires_at })
}

/// The principal behind a token, if the token is genuine and its session is live; and a
/// renewed token when a login session is past half its life (sliding expiry, never past the
/// session's maximum lifetime).
pub async fn authenticate(cx: &Context, token: &str) -> Result<Option<(Principal, Option<IssuedToken>)>, sqlx::Error> {
    let now = cx.clock.now();
    let Some(claims) = cx.keys.verify(token, now) else {
        return Ok(None);
    };
    let Some((principal, session)) = resolve_session(cx, claims.sid).await? else {
        return Ok(None);
    };
    let length = Duration::minutes(cx.settings.session_minutes);
    let renewed = match principal {
        Principal::User(_) if session.expires_at - now < length / 2 => {
            let cap = session.created_at + Duration::hours(cx.settings.session_max_hours);
            let expires_at = (now + length).min(cap);
            cx.store.extend_session(session.id, expires_at).await?;
            Some(IssuedToken { token: cx.keys.sign(session.id, now, expires_at), expires_at })
        }
        _ => None,
    };
    Ok(Some((principal, renewed)))
}

/// Who a session belongs to now, if it is still live: the account must be active, the invite
/// unrevoked and its conference not finalised. Long-lived connections (the conference room)
/// call this again to check that their caller may still be there.
pub async fn refresh(cx: &Context, principal: &Principal) -> Result<Option<Principal>, sqlx::Error> {
    Ok(resolve_session(cx, principal.session_id()).await?.map(|(principal, _)| principal))
}

async fn resolve_session(cx: &Context, session_id: Uuid) -> Result<Option<(Principal, SessionRow)>, sqlx::Error> {
    let now = cx.clock.now();
    let Some(session) = cx.store.session(session_id).await? else {
        return Ok(None);
    };
    let too_old = session.created_at + Duration::hours(cx.settings.session_max_hours) <= now;
    if !session.is_live(now) || too_old {
        return Ok(None);
    }
    if let Some(user_id) = session.user_id {
        return Ok(match cx.store.user(user_id).await? {
            Some(user) if user.active => {
                Some((Principal::User(UserPrincipal { session_id: session.id, user }), session))
            }
            _ => None,
        });
    }
    let Some(invite_id) = session.invite_id else {
        return Ok(None);
    };
    let Some(invite) = cx.store.invite(invite_id).await? else {
        return Ok(None);
    };
    if invite.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(meeting) = cx.store.meeting(invite.meeting_id).await? else { return Ok(None) };
    // An invite opens one conference while it runs: once its minutes are final, it is over.
    if meeting.finalised_at.is_some() {
        return Ok(None);
    }
    let principal = InviteePrincipal { session_id: session.id, invite, case_id: meeting.case_id };
    Ok(Some((Principal::Invitee(principal), session)))
}

/// The token a request carries: `Authorization: Bearer …` first, then the session cookie (by
/// its name for this scheme only: over HTTPS a cookie without the prefix is ignored).
pub fn token_from_headers(headers: &HeaderMap, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(token) = value.strip_prefix("Bearer ")
    {
        return Some(token.trim().to_owned());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value that stores a session token in the browser.
pub fn cookie(issued: &IssuedToken, now: DateTime<Utc>, secure: bool) -> HeaderValue {
    let max_age = (issued.expires_at - now).num_seconds().max(0);
    cookie_value(issued, &format!("; Max-Age={max_age}"), secure)
}

/// The `Set-Cookie` value for an invite's session: a browser-session cookie, gone when the
/// browser closes (a client joins from a shared terminal in the prison).
pub fn invite_cookie(issued: &IssuedToken, secure: bool) -> HeaderValue {
    cookie_value(issued, "", secure)
}

fn cookie_value(issued: &IssuedToken, lifetime: &str, secure: bool) -> HeaderValue {
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    let value = format!("{name}={}; Path=/; HttpOnly; SameSite=Strict{lifetime}{secure}", issued.token);
    HeaderValue::from_str(&value).expect("a JWT and fixed attributes are valid header text")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"))
        .expect("fixed header text is valid")
}

/// Middleware: resolves the caller (if any) into a request extension, and renews the cookie of
/// a login session that is past half its life. Requests without a valid token pass on
/// anonymously; the handlers' extractors decide whether that is enough.
pub async fn resolve(State(cx): State<Context>, mut request: Request, next: Next) -> Response {
    let mut renewed = None;
    if let Some(token) = token_from_headers(request.headers(), cx.settings.secure_cookies) {
        match authenticate(&cx, &token).await {
            Ok(Some((principal, renewal))) => {
                renewed = renewal;
                request.extensions_mut().insert(principal);
            }
            Ok(None) => tracing::debug!("request with an invalid or ended session token"),
            Err(e) => return Error::from(e).into_response(),
        }
    }
    let mut response = next.run(request).await;
    if let Some(issued) = renewed {
        let value = cookie(&issued, cx.clock.now(), cx.settings.secure_cookies);
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
