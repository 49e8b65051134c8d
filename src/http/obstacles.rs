//! `/api/obstacles`: the register of systemic bottlenecks (knelpunten).

use super::extract::{Json, Path};
use crate::auth::CurrentUser;
use crate::core::Context;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::obstacles::{self, CreateObstacle, LinkEscalation, ObstacleDetail, UpdateObstacle};
use crate::storage::obstacles::Obstacle;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_obstacle, update))
        .routes(routes!(link_escalation))
}

/// The register, open obstacles first, most cases affected first.
#[utoipa::path(get, path = "/api/obstacles", tag = "obstacles",
    responses((status = 200, body = Vec<Obstacle>), (status = 401, body = ErrorBody)))]
async fn list(State(cx): State<Context>, _: CurrentUser) -> ApiResult<Json<Vec<Obstacle>>> {
    Ok(Json(obstacles::list(&cx).await?))
}

/// Add an obstacle (coordinator, steering group).
#[utoipa::path(post, path = "/api/obstacles", tag = "obstacles", request_body = CreateObstacle,
    responses((status = 201, body = Obstacle), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Json(input): Json<CreateObstacle>,
) -> ApiResult<(StatusCode, Json<Obstacle>)> {
    Ok((StatusCode::CREATED, Json(obstacles::create(&cx, &user, input).await?)))
}

/// An obstacle with the linked escalations the caller may see.
#[utoipa::path(get, path = "/api/obstacles/{id}", tag = "obstacles", params(("id" = Uuid, Path)),
    responses((status = 200, body = ObstacleDetail), (status = 404, body = ErrorBody)))]
async fn get_obstacle(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ObstacleDetail>> {
    Ok(Json(obstacles::detail(&cx, &user, id).await?))
}

/// Change an obstacle: text, owner, or status (coordinator, steering group).
#[utoipa::path(patch, path = "/api/obstacles/{id}", tag = "obstacles", params(("id" = Uuid, Path)),
    request_body = UpdateObstacle,
    responses((status = 200, body = Obstacle), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<UpdateObstacle>,
) -> ApiResult<Json<Obstacle>> {
    Ok(Json(obstacles::update(&cx, &user, id, input).await?))
}

/// Link an escalation to the obstacle it is an instance of.
#[utoipa::path(post, path = "/api/obstacles/{id}/escalations", tag = "obstacles", params(("id" = Uuid, Path)),
    request_body = LinkEscalation,
    responses((status = 200, body = ObstacleDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn link_escalation(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<LinkEscalation>,
) -> ApiResult<Json<ObstacleDetail>> {
    Ok(Json(obstacles::link(&cx, &user, id, input).await?))
}
