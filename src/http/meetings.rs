//! `/api/meetings`: a conference, its minutes per domain, finalisation, the printable minutes,
//! the client's plan, and invites.

use super::extract::{Json, Path, Query};
use crate::auth::{CurrentUser, Principal};
use crate::core::Context;
use crate::domain::LifeDomain;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::i18n::Lang;
use crate::meetings::invites::{self, CreateInvite, CreatedInvite, EmailInvite, InviteEntry, Present, Whereabouts};
use crate::meetings::plan::{self, Plan};
use crate::meetings::view::MinutesView;
use crate::meetings::{self, ClientPurpose, MeetingPage, RescheduleMeeting, WriteDomain};
use crate::signalling::Signalling;
use crate::signalling::protocol::Presence;
use crate::signalling::state::PrincipalKey;
use crate::storage::models::{DomainEntry, Meeting};
use axum::extract::State;
use axum::http::HeaderName;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_meeting, reschedule))
        .routes(routes!(minutes_pdf))
        .routes(routes!(write_domain))
        .routes(routes!(set_client_purpose))
        .routes(routes!(finalise))
        .routes(routes!(minutes))
        .routes(routes!(client_plan))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(revoke_invite))
        .routes(routes!(reissue_invite))
        .routes(routes!(email_invite))
        .routes(routes!(invite_sheet))
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

/// Move a conference that has not started to another time (casemanager, coordinator or its
/// chair). A conference takes a 60-minute slot: a time less than 60 minutes from another
/// conference of the same case is refused with 409 `meeting_overlaps`; once it started or was
/// finalised, 409 `meeting_started`. Its invites that still work move along.
#[utoipa::path(patch, path = "/api/meetings/{id}", tag = "meetings", params(("id" = Uuid, Path)), request_body = RescheduleMeeting,
    responses((status = 200, body = Meeting), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reschedule(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<RescheduleMeeting>,
) -> ApiResult<Json<Meeting>> {
    Ok(Json(meetings::reschedule(&cx, &user, id, input).await?))
}

/// The finalised minutes as a PDF for the case file (Dutch), made and stored when they were
/// finalised and served as stored: every download is the same file. Every page carries the
/// SHA-256 of the record's content (also in the `X-Content-SHA256` header) and its number.
/// 409 `minutes_not_final` before the minutes are finalised.
#[utoipa::path(get, path = "/api/meetings/{id}/minutes.pdf", tag = "meetings", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn minutes_pdf(
    State(cx): State<Context>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<impl IntoResponse> {
    let (pdf, sha) = meetings::minutes_pdf(&cx, &principal, id).await?;
    let disposition = format!("attachment; filename=\"verslag-{id}.pdf\"");
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (CACHE_CONTROL, "no-store".to_owned()),
            (CONTENT_DISPOSITION, disposition),
            (HeaderName::from_static("x-content-sha256"), sha),
        ],
        pdf,
    ))
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

/// The invites of a conference with their state now (chair only): `not_opened`, `opened`,
/// `lobby` and `room` (from the live room), `expired`, `revoked` or `removed`; with the link
/// while it works, and whether it can be e-mailed.
#[utoipa::path(get, path = "/api/meetings/{id}/invites", tag = "invites", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<InviteEntry>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_invites(
    State(cx): State<Context>,
    State(signalling): State<Signalling>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<InviteEntry>>> {
    let present: Vec<Present> = signalling
        .presence(id)
        .await
        .into_iter()
        .map(|(key, presence)| {
            let (user_id, invite_id) = match key {
                PrincipalKey::User(id) => (Some(id), None),
                PrincipalKey::Invite(id) => (None, Some(id)),
            };
            let whereabouts = if presence == Presence::Admitted { Whereabouts::Room } else { Whereabouts::Lobby };
            Present { user_id, invite_id, whereabouts }
        })
        .collect();
    Ok(Json(invites::list(&cx, &user, id, &present).await?))
}

/// Replace an invite by a new link for the same person (chair only); the old link stops working
/// and whoever holds it is out.
#[utoipa::path(post, path = "/api/meetings/{id}/invites/{invite_id}/reissue", tag = "invites",
    params(("id" = Uuid, Path), ("invite_id" = Uuid, Path)),
    responses((status = 201, body = CreatedInvite), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn reissue_invite(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path((id, invite_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<(StatusCode, Json<CreatedInvite>)> {
    Ok((StatusCode::CREATED, Json(invites::reissue(&cx, &user, id, invite_id).await?)))
}

/// Where an invite's link was e-mailed.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Emailed {
    to: String,
}

/// E-mail an invite's link (chair only). A member's link goes to his account's address unless
/// `to` is given. 409 `smtp_off` when the server has no mail server; 410 when the link no
/// longer works.
#[utoipa::path(post, path = "/api/meetings/{id}/invites/{invite_id}/email", tag = "invites",
    params(("id" = Uuid, Path), ("invite_id" = Uuid, Path)), request_body = EmailInvite,
    responses((status = 200, body = Emailed), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn email_invite(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path((id, invite_id)): Path<(Uuid, Uuid)>,
    Json(input): Json<EmailInvite>,
) -> ApiResult<Json<Emailed>> {
    Ok(Json(Emailed { to: invites::email(&cx, &user, id, invite_id, input).await? }))
}

/// The printable invite sheet for the prison's video terminal (chair only): the link, its QR
/// code and plain-language steps, as a self-contained HTML page. 410 when the link no longer
/// works.
#[utoipa::path(get, path = "/api/meetings/{id}/invites/{invite_id}/sheet", tag = "invites",
    params(("id" = Uuid, Path), ("invite_id" = Uuid, Path), LangQuery),
    responses((status = 200, content_type = "text/html", body = String), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody)))]
async fn invite_sheet(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path((id, invite_id)): Path<(Uuid, Uuid)>,
    Query(query): Query<LangQuery>,
) -> ApiResult<impl IntoResponse> {
    let html = invites::sheet(&cx, &user, id, invite_id, query.lang).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            // The link is a credential: not cached, not framed elsewhere, nothing loaded.
            (CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"),
        ],
        html,
    ))
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
