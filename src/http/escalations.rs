//! `/api/escalations`: the steering group's queue, one escalation with its context, and the
//! workflow steps; escalating an action by hand; running the engine on demand.

use super::extract::{Json, Path, Query};
use crate::auth::CurrentUser;
use crate::core::Context;
use crate::escalation::engine::RunReport;
use crate::escalation::queue::{self, DecisionInput, EscalationDetail, ManualEscalation, QueueFilter};
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::storage::escalations::{Escalation, Step};
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_escalations))
        .routes(routes!(get_escalation))
        .routes(routes!(review))
        .routes(routes!(decide))
        .routes(routes!(close))
        .routes(routes!(escalate_action))
        .routes(routes!(run_engine))
}

/// The escalations the caller may see, oldest first: every one for steering and admin, those
/// of the caller's cases for everyone else.
#[utoipa::path(get, path = "/api/escalations", tag = "escalations", params(QueueFilter),
    responses((status = 200, body = Vec<Escalation>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_escalations(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Query(filter): Query<QueueFilter>,
) -> ApiResult<Json<Vec<Escalation>>> {
    Ok(Json(queue::list(&cx, &user, filter).await?))
}

/// One escalation with the action's history. 404 for anyone who may not see it.
#[utoipa::path(get, path = "/api/escalations/{id}", tag = "escalations", params(("id" = Uuid, Path)),
    responses((status = 200, body = EscalationDetail), (status = 404, body = ErrorBody)))]
async fn get_escalation(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<EscalationDetail>> {
    Ok(Json(queue::detail(&cx, &user, id).await?))
}

/// Take an open escalation under review (steering group).
#[utoipa::path(post, path = "/api/escalations/{id}/review", tag = "escalations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Escalation), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn review(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Escalation>> {
    Ok(Json(queue::step(&cx, &user, id, Step::Review).await?))
}

/// Record the steering group's decision on an open or reviewed escalation: assign it to an
/// organisation with a due date, resolve it, return it to the case team, or mark it as a
/// systemic obstacle. The decision is on the case's next conference agenda.
#[utoipa::path(post, path = "/api/escalations/{id}/decision", tag = "escalations", params(("id" = Uuid, Path)),
    request_body = DecisionInput,
    responses((status = 200, body = Escalation), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn decide(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<DecisionInput>,
) -> ApiResult<Json<Escalation>> {
    Ok(Json(queue::decide(&cx, &user, id, input).await?))
}

/// Close a decided escalation (steering group). An action that got done never closes its
/// escalation by itself; this is the step that does.
#[utoipa::path(post, path = "/api/escalations/{id}/close", tag = "escalations", params(("id" = Uuid, Path)),
    responses((status = 200, body = Escalation), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn close(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Escalation>> {
    Ok(Json(queue::step(&cx, &user, id, Step::Close).await?))
}

/// Escalate an action by hand, with a reason; anyone who sees its case may.
#[utoipa::path(post, path = "/api/actions/{id}/escalations", tag = "escalations", params(("id" = Uuid, Path)),
    request_body = ManualEscalation,
    responses((status = 201, body = Escalation), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn escalate_action(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<ManualEscalation>,
) -> ApiResult<(StatusCode, Json<Escalation>)> {
    Ok((StatusCode::CREATED, Json(queue::escalate_by_hand(&cx, &user, id, input).await?)))
}

/// Run the escalation engine now (steering group, administrator). Idempotent: what a rule
/// opened before is not opened again.
#[utoipa::path(post, path = "/api/admin/escalations/run", tag = "escalations",
    responses((status = 200, body = RunReport), (status = 403, body = ErrorBody)))]
async fn run_engine(State(cx): State<Context>, CurrentUser(user): CurrentUser) -> ApiResult<Json<RunReport>> {
    Ok(Json(queue::run(&cx, &user).await?))
}
