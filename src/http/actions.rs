//! `/api/actions/{id}`: one action, its history, status updates between conferences, and the
//! client's own words for it.

use super::extract::{Json, Path};
use crate::actions::{self, ActionDetail, ClientText, UpdateAction};
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
    OpenApiRouter::new().routes(routes!(get_action, update_action)).routes(routes!(set_client_text))
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

/// Write (or, with an empty text, clear) the action in plain words for the client (B1); his
/// plan shows this instead of the professionals' description. For the case's chair.
#[utoipa::path(put, path = "/api/actions/{id}/client-text", tag = "actions", params(("id" = Uuid, Path)), request_body = ClientText,
    responses((status = 200, body = Action), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_client_text(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<ClientText>,
) -> ApiResult<Json<Action>> {
    Ok(Json(actions::set_client_text(&cx, &user, id, input).await?))
}
