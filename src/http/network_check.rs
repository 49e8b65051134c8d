//! `/api/meetings/{id}/network-check` (and `/api/invites/{token}/network-check`, for the
//! invite page before the invite is accepted): the pre-join page's connection test. `GET` hands out the
//! ICE servers a participant of this conference would get (TURN credentials included); `POST`
//! answers an offer with a throwaway server connection on the media port, so the browser finds
//! out whether, and how (directly or through the TURN relay), it reaches the media server.
//! Anyone who may enter the conference (or holds a working invite link to it) may check; every
//! check is audited and limited per address.

use super::extract::{Json, Path};
use crate::auth::Principal;
use crate::domain::validate::Invalid;
use crate::error::Error;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::meetings::{self, invites};
use crate::signalling::check::CHECK_PATIENCE;
use crate::signalling::protocol::IceServer;
use axum::extract::{ConnectInfo, State};
use axum::http::Extensions;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(servers, check)).routes(routes!(invite_servers, invite_check))
}

/// The ICE configuration for the check (and for the conference).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckServers {
    pub ice_servers: Vec<IceServer>,
    /// The deployment wants relay candidates only (`--ice-relay-only`).
    pub ice_relay_only: bool,
}

/// An SDP offer or answer of the check.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckSdp {
    pub sdp: String,
}

/// The longest offer a browser makes for the check (one audio section, a few dozen candidates).
const MAX_OFFER_BYTES: usize = 16 * 1024;

/// May this caller enter the conference (the same rule as joining the room)?
async fn may_check(state: &AppState, principal: &Principal, id: Uuid) -> ApiResult<()> {
    let cx = &state.cx;
    let (meeting, case, viewer) = meetings::load(cx, principal, id).await?;
    if meeting.finalised_at.is_some() {
        return Err(Error::conflict("meeting_closed", "the minutes of this conference are final; it is over").into());
    }
    invites::may_enter(&viewer)?;
    // Per person, not per address: a prison's terminals may all share one address.
    let actor = principal.actor();
    limit(state, &format!("{}:{}", actor.kind, actor.id.unwrap_or_default()))?;
    let audit = principal.audit(cx.clock.now(), "meeting.network_check", Some(case.id), Some(("meeting", id)), None);
    cx.store.record_audit(&audit).await?;
    Ok(())
}

/// Does this invite link work (the token is the credential, as on the invite page)?
async fn invite_may_check(
    state: &AppState,
    caller: Option<&Principal>,
    token: &str,
    peer: SocketAddr,
) -> ApiResult<()> {
    // Looking a token up is limited like every invite look-up, before the token is read.
    if !state.invite_limiter.attempt(&peer.ip().to_string(), state.cx.clock.now()) {
        return Err(Error::TooManyRequests.into());
    }
    invites::may_check_network(&state.cx, caller, token).await?;
    limit(state, &format!("link:{token}"))?;
    Ok(())
}

fn limit(state: &AppState, key: &str) -> ApiResult<()> {
    if state.signalling.check.limiter.attempt(key, state.cx.clock.now()) {
        Ok(())
    } else {
        Err(Error::TooManyRequests.into())
    }
}

fn ice_servers(state: &AppState) -> CheckServers {
    let check = &state.signalling.check;
    let label = format!("check-{}", Uuid::now_v7());
    CheckServers {
        ice_servers: check.ice.servers_for(&label, state.cx.clock.now()),
        ice_relay_only: check.ice.relay_only,
    }
}

async fn answer(state: &AppState, offer: CheckSdp) -> ApiResult<Json<CheckSdp>> {
    match state.signalling.check.sfu.network_check(offer.sdp, CHECK_PATIENCE).await {
        Ok(Some(sdp)) => Ok(Json(CheckSdp { sdp })),
        Ok(None) => Err(Error::TooManyRequests.into()),
        Err(crate::sfu::SfuError::InvalidSdp(why)) => {
            tracing::info!(%why, "a network check's offer was refused");
            Err(Error::Invalid(Invalid::new("sdp", "the offer cannot be applied")).into())
        }
        Err(e) => Err(Error::internal(e).into()),
    }
}

fn readable(offer: &CheckSdp) -> ApiResult<()> {
    if offer.sdp.len() > MAX_OFFER_BYTES || !offer.sdp.starts_with("v=0") {
        return Err(Error::Invalid(Invalid::new("sdp", "not an SDP offer of the check")).into());
    }
    Ok(())
}

/// The ICE servers a participant of this conference gets, for the pre-join check.
#[utoipa::path(get, path = "/api/meetings/{id}/network-check", tag = "meetings", params(("id" = Uuid, Path)),
    responses((status = 200, body = CheckServers), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn servers(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CheckServers>> {
    may_check(&state, &principal, id).await?;
    Ok(Json(ice_servers(&state)))
}

/// Answers the check's offer (complete, with its candidates) from the media port; the server's
/// connection closes once connected, or after 20 s. 422 `invalid` (field `sdp`) for an offer that cannot
/// be applied; 429 when this address checks too often or the node has too many checks open.
#[utoipa::path(post, path = "/api/meetings/{id}/network-check", tag = "meetings", params(("id" = Uuid, Path)),
    request_body = CheckSdp,
    responses((status = 200, body = CheckSdp), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn check(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(offer): Json<CheckSdp>,
) -> ApiResult<Json<CheckSdp>> {
    readable(&offer)?;
    may_check(&state, &principal, id).await?;
    answer(&state, offer).await
}

/// The ICE servers for the check, on the invite page (before the invite is accepted).
#[utoipa::path(get, path = "/api/invites/{token}/network-check", tag = "invites", params(("token" = String, Path)),
    responses((status = 200, body = CheckServers), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn invite_servers(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    extensions: Extensions,
    Path(token): Path<String>,
) -> ApiResult<Json<CheckServers>> {
    invite_may_check(&state, extensions.get::<Principal>(), &token, peer).await?;
    Ok(Json(ice_servers(&state)))
}

/// Answers the check's offer on the invite page, as `POST /api/meetings/{id}/network-check`.
#[utoipa::path(post, path = "/api/invites/{token}/network-check", tag = "invites", params(("token" = String, Path)),
    request_body = CheckSdp,
    responses((status = 200, body = CheckSdp), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn invite_check(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    extensions: Extensions,
    Path(token): Path<String>,
    Json(offer): Json<CheckSdp>,
) -> ApiResult<Json<CheckSdp>> {
    readable(&offer)?;
    invite_may_check(&state, extensions.get::<Principal>(), &token, peer).await?;
    answer(&state, offer).await
}
