//! `/api/session` and `/api/me`: logging in and out, and who am I.

use super::extract::Json;
use crate::accounts::requests::{self, Activate};
use crate::accounts::{self, ChangePassword, LoggedIn, Login, LoginOrigin};
use crate::auth::{AnyPrincipal, AnyUser, Principal, device, session};
use crate::core::Context;
use crate::domain::InviteKind;
use crate::error::Error;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::storage::models::User;
use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use serde::Serialize;
use std::net::SocketAddr;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login, logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(activate))
}

/// Log in with e-mail and password. Sets the session cookie and returns the token for API
/// clients (`Authorization: Bearer`); also sets the known-device cookie, which lets this
/// browser's right password through while others' guesses hold the account back.
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = Login,
    responses((status = 200, body = LoggedIn), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(input): Json<Login>,
) -> ApiResult<impl IntoResponse> {
    let cx = &state.cx;
    let secure = cx.settings.secure_cookies;
    let origin = LoginOrigin { address: peer.ip(), device_cookie: device::from_headers(&headers, secure) };
    let (body, issued, known_device) =
        accounts::login(cx, &state.login_limits, origin, input).await.inspect_err(|e| {
            let labels = crate::metrics::RefusalLabels { code: e.code().to_owned() };
            cx.metrics.login_refusals.get_or_create(&labels).inc();
        })?;
    let cookie = session::cookie(&issued, cx.clock.now(), secure);
    Ok((AppendHeaders([(SET_COOKIE, cookie), (SET_COOKIE, device::cookie(&known_device, secure))]), Json(body)))
}

/// Log out: the session ends at once, everywhere the token was used.
#[utoipa::path(delete, path = "/api/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(cx): State<Context>, AnyPrincipal(principal): AnyPrincipal) -> ApiResult<impl IntoResponse> {
    accounts::logout(&cx, &principal).await?;
    Ok((StatusCode::NO_CONTENT, AppendHeaders([(SET_COOKIE, session::clear_cookie(cx.settings.secure_cookies))])))
}

/// Who the caller is: an account, or the holder of an invite.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Me {
    /// Someone with an account.
    User { user: User },
    /// A guest or the client, inside one conference.
    Invitee {
        invite_id: Uuid,
        invite_kind: InviteKind,
        name: String,
        organisation_name: Option<String>,
        meeting_id: Uuid,
        /// What the conference is for and when (shown before the chair lets him in); for the
        /// client his plain-language purpose (empty when none was written).
        purpose: String,
        scheduled_at: chrono::DateTime<chrono::Utc>,
    },
}

/// The caller.
#[utoipa::path(get, path = "/api/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(State(cx): State<Context>, AnyPrincipal(principal): AnyPrincipal) -> ApiResult<Json<Me>> {
    Ok(Json(match principal {
        Principal::User(user) => Me::User { user: user.user },
        Principal::Invitee(p) => {
            let meeting = cx.store.meeting(p.invite.meeting_id).await?.ok_or(Error::NotFound)?;
            Me::Invitee {
                invite_id: p.invite.id,
                invite_kind: p.invite.kind,
                name: p.invite.name,
                organisation_name: p.invite.organisation_name,
                meeting_id: p.invite.meeting_id,
                purpose: crate::meetings::purpose_for(&meeting, p.invite.kind),
                scheduled_at: meeting.scheduled_at,
            }
        }
    }))
}

/// Change one's own password (also the way out of a generated one-time password).
#[utoipa::path(post, path = "/api/me/password", tag = "session", request_body = ChangePassword,
    responses((status = 200, body = User), (status = 422, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    AnyUser(user): AnyUser,
    Json(input): Json<ChangePassword>,
) -> ApiResult<Json<User>> {
    Ok(Json(accounts::change_password(&state.cx, &state.login_limits, &user, input).await?))
}

/// Choose one's password with a one-time activation link (a new account, or after a reset).
/// Works once and for 24 hours; every session of the account ends. Log in afterwards.
#[utoipa::path(post, path = "/api/activation", tag = "session", request_body = Activate,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn activate(State(cx): State<Context>, Json(input): Json<Activate>) -> ApiResult<StatusCode> {
    requests::activate(&cx, input).await?;
    Ok(StatusCode::NO_CONTENT)
}
