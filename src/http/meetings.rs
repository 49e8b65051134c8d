//! `/api/meetings`: a conference, its minutes per domain, finalisation, the printable minutes,
//! the client's plan, and invites.

use super::extract::{Json, Path, Query};
use crate::auth::{CurrentUser, Principal};
use crate::core::Context;
use crate::domain::LifeDomain;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::i18n::Lang;
use crate::meetings::invites::{self, CreateInvite, CreatedInvite};
use crate::meetings::plan::{self, Plan};
use crate::meetings::view::MinutesView;
use crate::meetings::{self, ClientPurpose, MeetingPage, WriteDomain};
use crate::storage::models::{DomainEntry, Invite, Meeting};
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_meeting))
        .routes(routes!(write_domain))
        .routes(routes!(set_client_purpose))
        .routes(routes!(finalise))
        .routes(routes!(minutes))
        .routes(routes!(client_plan))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(revoke_invite))
}

/// A conference with its agenda and minutes per life domain (professionals and guests).
#[utoipa::path(get, path = "/api/meetings/{id}", tag = "meetings", params(("id" = Uuid, Path)),
    responses((status = 200, body = MeetingPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_meeting(
    State(cx): State<Context>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<MeetingPage>> {
    Ok(Json(meetings::page(&cx, &principal, id).await?))
}

/// Write one life domain's minutes: the situation, the client's own wish, notes. Send the
/// `base_revision` you edited to be told (409) instead of overwriting someone else's text.
#[utoipa::path(put, path = "/api/meetings/{id}/domains/{domain}", tag = "meetings",
    params(("id" = Uuid, Path), ("domain" = LifeDomain, Path)), request_body = WriteDomain,
    responses((status = 200, body = DomainEntry), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn write_domain(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path((id, domain)): Path<(Uuid, LifeDomain)>,
    Json(input): Json<WriteDomain>,
) -> ApiResult<Json<DomainEntry>> {
    Ok(Json(meetings::write_domain(&cx, &user, id, domain, input).await?))
}

/// Write (or, with an empty text, clear) what the conference is for in plain words for the
/// client (B1); his screens show this instead of the professionals' purpose. For the chair,
/// until the minutes are final (409 afterwards).
#[utoipa::path(put, path = "/api/meetings/{id}/client-purpose", tag = "meetings", params(("id" = Uuid, Path)),
    request_body = ClientPurpose,
    responses((status = 200, body = Meeting), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_client_purpose(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<ClientPurpose>,
) -> ApiResult<Json<Meeting>> {
    Ok(Json(meetings::set_client_purpose(&cx, &user, id, input).await?))
}

/// Finalise the minutes (chair only). Afterwards every write to them gets 409.
#[utoipa::path(post, path = "/api/meetings/{id}/finalise", tag = "meetings", params(("id" = Uuid, Path)),
    responses((status = 200, body = MinutesView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn finalise(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<MinutesView>> {
    Ok(Json(meetings::finalise(&cx, &user, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct LangQuery {
    /// `nl` (default) or `en`.
    #[serde(default)]
    lang: Lang,
}

/// The printable minutes as an HTML page (print or save as PDF from the browser).
#[utoipa::path(get, path = "/api/meetings/{id}/minutes", tag = "meetings", params(("id" = Uuid, Path), LangQuery),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = ErrorBody)))]
async fn minutes(
    State(cx): State<Context>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(query): Query<LangQuery>,
) -> ApiResult<impl IntoResponse> {
    let html = meetings::minutes_html(&cx, &principal, id, query.lang).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            // A self-contained document: its own inline styles, nothing else.
            (CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"),
        ],
        html,
    ))
}

/// The client's plan: per life domain his wish, what he will do, what the others will do.
#[utoipa::path(get, path = "/api/meetings/{id}/plan", tag = "meetings", params(("id" = Uuid, Path)),
    responses((status = 200, body = Plan), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn client_plan(State(cx): State<Context>, principal: Principal, Path(id): Path<Uuid>) -> ApiResult<Json<Plan>> {
    Ok(Json(plan::plan(&cx, &principal, id).await?))
}

/// The invites of a conference (chair only).
#[utoipa::path(get, path = "/api/meetings/{id}/invites", tag = "invites", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Invite>), (status = 403, body = ErrorBody)))]
async fn list_invites(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<Invite>>> {
    Ok(Json(invites::list(&cx, &user, id).await?))
}

/// Invite one person: a `member` (account), a `guest` (name and organisation) or the `client`.
/// The link in the answer is shown once.
#[utoipa::path(post, path = "/api/meetings/{id}/invites", tag = "invites", params(("id" = Uuid, Path)), request_body = CreateInvite,
    responses((status = 201, body = CreatedInvite), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_invite(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<CreateInvite>,
) -> ApiResult<(StatusCode, Json<CreatedInvite>)> {
    Ok((StatusCode::CREATED, Json(invites::create(&cx, &user, id, input).await?)))
}

/// Withdraw an invite (chair only); its holder is out.
#[utoipa::path(delete, path = "/api/meetings/{id}/invites/{invite_id}", tag = "invites",
    params(("id" = Uuid, Path), ("invite_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_invite(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path((id, invite_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    invites::revoke(&cx, &user, id, invite_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
