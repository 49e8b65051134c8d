//! `/api/notifications`: the caller's own notifications — the bell's count, the list, and
//! marking them read.

use super::extract::{Json, Path, Query};
use crate::auth::CurrentUser;
use crate::core::Context;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::notifications::{self, UnreadCount};
use crate::storage::notifications::Notification;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(unread_count))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only those not read yet.
    #[serde(default)]
    unread: bool,
    /// At most this many (default 50, at most 200).
    limit: Option<i64>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/notifications", tag = "notifications", params(ListQuery),
    responses((status = 200, body = Vec<Notification>), (status = 401, body = ErrorBody)))]
async fn list(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Vec<Notification>>> {
    Ok(Json(notifications::list(&cx, &user, query.unread, query.limit).await?))
}

/// How many notifications the caller has not read (the bell).
#[utoipa::path(get, path = "/api/notifications/unread-count", tag = "notifications",
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorBody)))]
async fn unread_count(State(cx): State<Context>, CurrentUser(user): CurrentUser) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(notifications::unread(&cx, &user).await?))
}

/// Mark one notification read.
#[utoipa::path(post, path = "/api/notifications/{id}/read", tag = "notifications", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn mark_read(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    notifications::mark_read(&cx, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark all of the caller's notifications read.
#[utoipa::path(post, path = "/api/notifications/read-all", tag = "notifications",
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorBody)))]
async fn mark_all_read(State(cx): State<Context>, CurrentUser(user): CurrentUser) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(notifications::mark_all_read(&cx, &user).await?))
}
