//! `/api/actions/{id}`: one action, its history, and status updates between conferences.

use super::extract::{Json, Path};
use crate::actions::{self, ActionDetail, UpdateAction};
use crate::auth::CurrentUser;
use crate::core::Context;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::storage::models::Action;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_action, update_action))
}

/// An action with its history.
#[utoipa::path(get, path = "/api/actions/{id}", tag = "actions", params(("id" = Uuid, Path)),
    responses((status = 200, body = ActionDetail), (status = 404, body = ErrorBody)))]
async fn get_action(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ActionDetail>> {
    Ok(Json(actions::detail(&cx, &user, id).await?))
}

/// Change an action's status (open, in_progress, done, blocked with a note, cancelled) and/or
/// add a note. For the owning organisation and the case's chair.
#[utoipa::path(patch, path = "/api/actions/{id}", tag = "actions", params(("id" = Uuid, Path)), request_body = UpdateAction,
    responses((status = 200, body = Action), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_action(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<UpdateAction>,
) -> ApiResult<Json<Action>> {
    Ok(Json(actions::update(&cx, &user, id, input).await?))
}
