//! `/api/invites/{token}`: what an invite link shows, and accepting it. No login needed: the
//! token is the credential, so look-ups are rate-limited per address.

use super::extract::{Json, Path};
use crate::auth::{Principal, session};
use crate::error::Error;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::meetings::invites::{self, AcceptInvite, AcceptedInvite, InvitePreview};
use axum::extract::{ConnectInfo, State};
use axum::http::Extensions;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use std::net::SocketAddr;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview)).routes(routes!(accept))
}

fn limit(state: &AppState, peer: SocketAddr) -> ApiResult<()> {
    if state.invite_limiter.attempt(&peer.ip().to_string(), state.cx.clock.now()) {
        Ok(())
    } else {
        Err(Error::TooManyRequests.into())
    }
}

/// What an invite is for: the conference's purpose and time, and whether it can still be used.
#[utoipa::path(get, path = "/api/invites/{token}", tag = "invites", params(("token" = String, Path)),
    responses((status = 200, body = InvitePreview), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    extensions: Extensions,
    Path(token): Path<String>,
) -> ApiResult<Json<InvitePreview>> {
    limit(&state, peer)?;
    let cx = &state.cx;
    Ok(Json(invites::preview(cx, extensions.get::<Principal>(), &token).await?))
}

/// Accept an invite. Guests confirm the confidentiality statement; guests and the client get a
/// session for this conference only (cookie and token). A member must be logged in as the
/// invited account. An invite works for one person: anyone else gets 410.
#[utoipa::path(post, path = "/api/invites/{token}/accept", tag = "invites", params(("token" = String, Path)),
    request_body = AcceptInvite,
    responses((status = 200, body = AcceptedInvite), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    extensions: Extensions,
    Path(token): Path<String>,
    Json(input): Json<AcceptInvite>,
) -> ApiResult<impl IntoResponse> {
    limit(&state, peer)?;
    let cx = &state.cx;
    let caller = extensions.get::<Principal>();
    let (accepted, issued) = invites::accept(cx, caller, &token, input).await?;
    let cookie = issued.map(|issued| (SET_COOKIE, session::invite_cookie(&issued, cx.settings.secure_cookies)));
    Ok((AppendHeaders(cookie), Json(accepted)))
}
