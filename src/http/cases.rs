//! `/api/cases`: the case list, a case, its need-to-know list, its actions and its audit trail.

use super::extract::{Json, Path, Query};
use crate::actions::{self, CreateAction};
use crate::auth::CurrentUser;
use crate::cases::{self, AddMember, CaseDetail, CreateCase, RemoveMember};
use crate::core::Context;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::meetings::{self, ScheduleMeeting};
use crate::storage::cases::CaseSummary;
use crate::storage::models::{Action, AuditEvent, Case, CaseMember, Meeting};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases, create_case))
        .routes(routes!(get_case))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(schedule_meeting))
        .routes(routes!(list_actions, create_action))
        .routes(routes!(case_audit))
        .routes(routes!(close_case))
        .routes(routes!(reopen_case))
}

/// The cases the caller may see, nearest release first.
#[utoipa::path(get, path = "/api/cases", tag = "cases",
    responses((status = 200, body = Vec<CaseSummary>), (status = 401, body = ErrorBody)))]
async fn list_cases(State(cx): State<Context>, CurrentUser(user): CurrentUser) -> ApiResult<Json<Vec<CaseSummary>>> {
    Ok(Json(cases::list(&cx, &user).await?))
}

/// Open a case (casemanager, coordinator). The creator is on its need-to-know list.
#[utoipa::path(post, path = "/api/cases", tag = "cases", request_body = CreateCase,
    responses((status = 201, body = Case), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_case(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Json(input): Json<CreateCase>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    Ok((StatusCode::CREATED, Json(cases::create(&cx, &user, input).await?)))
}

/// A case with its members, conferences and actions. 404 for anyone not on it.
#[utoipa::path(get, path = "/api/cases/{id}", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody)))]
async fn get_case(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<CaseDetail>> {
    Ok(Json(cases::detail(&cx, &user, id).await?))
}

/// Put a person or a whole organisation on the case's need-to-know list, with the reason (kept
/// in the audit trail).
#[utoipa::path(post, path = "/api/cases/{id}/members", tag = "cases", params(("id" = Uuid, Path)), request_body = AddMember,
    responses((status = 201, body = CaseMember), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_member(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<AddMember>,
) -> ApiResult<(StatusCode, Json<CaseMember>)> {
    Ok((StatusCode::CREATED, Json(cases::add_member(&cx, &user, id, input).await?)))
}

/// Take an entry off the need-to-know list, with the reason (kept in the audit trail).
#[utoipa::path(delete, path = "/api/cases/{id}/members/{member_id}", tag = "cases",
    params(("id" = Uuid, Path), ("member_id" = Uuid, Path)), request_body = RemoveMember,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn remove_member(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path((id, member_id)): Path<(Uuid, Uuid)>,
    Json(input): Json<RemoveMember>,
) -> ApiResult<StatusCode> {
    cases::remove_member(&cx, &user, id, member_id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Schedule a conference for the case.
#[utoipa::path(post, path = "/api/cases/{id}/meetings", tag = "meetings", params(("id" = Uuid, Path)), request_body = ScheduleMeeting,
    responses((status = 201, body = Meeting), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn schedule_meeting(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<ScheduleMeeting>,
) -> ApiResult<(StatusCode, Json<Meeting>)> {
    Ok((StatusCode::CREATED, Json(meetings::schedule(&cx, &user, id, input).await?)))
}

/// The actions of the case.
#[utoipa::path(get, path = "/api/cases/{id}/actions", tag = "actions", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Action>), (status = 404, body = ErrorBody)))]
async fn list_actions(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<Action>>> {
    Ok(Json(actions::list(&cx, &user, id).await?))
}

/// Record an action: what, which organisation (or the client), by when; optionally in a
/// conference whose minutes are still open.
#[utoipa::path(post, path = "/api/cases/{id}/actions", tag = "actions", params(("id" = Uuid, Path)), request_body = CreateAction,
    responses((status = 201, body = Action), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_action(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<CreateAction>,
) -> ApiResult<(StatusCode, Json<Action>)> {
    Ok((StatusCode::CREATED, Json(actions::create(&cx, &user, id, input).await?)))
}

/// The audit trail of the case (coordinator, admin).
#[utoipa::path(get, path = "/api/cases/{id}/audit", tag = "cases", params(("id" = Uuid, Path), cases::AuditPage),
    responses((status = 200, body = Vec<AuditEvent>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn case_audit(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Query(page): Query<cases::AuditPage>,
) -> ApiResult<Json<Vec<AuditEvent>>> {
    Ok(Json(cases::audit_trail(&cx, &user, id, page).await?))
}

/// Close a case (casemanager, coordinator): it no longer changes, the rules engine stops looking
/// at it, and after the retention period (`--retention-days`) it is deleted.
#[utoipa::path(post, path = "/api/cases/{id}/close", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn close_case(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Case>> {
    Ok(Json(cases::close(&cx, &user, id).await?))
}

/// Reopen a closed case (before its retention period ends).
#[utoipa::path(post, path = "/api/cases/{id}/reopen", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Case), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn reopen_case(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Case>> {
    Ok(Json(cases::reopen(&cx, &user, id).await?))
}
