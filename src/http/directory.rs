//! `/api/organisations` and `/api/users`: who exists, for putting people on cases and naming
//! owners. Names and roles only; no contact details.

use super::extract::{Json, Query};
use crate::accounts::{self, DirectoryEntry};
use crate::auth::CurrentUser;
use crate::core::Context;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::storage::models::Organisation;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(organisations)).routes(routes!(users))
}

/// All organisations.
#[utoipa::path(get, path = "/api/organisations", tag = "directory",
    responses((status = 200, body = Vec<Organisation>), (status = 401, body = ErrorBody)))]
async fn organisations(State(cx): State<Context>, _: CurrentUser) -> ApiResult<Json<Vec<Organisation>>> {
    Ok(Json(cx.store.organisations().await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UsersQuery {
    /// Only the people of this organisation.
    organisation_id: Option<Uuid>,
}

/// Active colleagues, optionally of one organisation.
#[utoipa::path(get, path = "/api/users", tag = "directory", params(UsersQuery),
    responses((status = 200, body = Vec<DirectoryEntry>), (status = 401, body = ErrorBody)))]
async fn users(
    State(cx): State<Context>,
    _: CurrentUser,
    Query(query): Query<UsersQuery>,
) -> ApiResult<Json<Vec<DirectoryEntry>>> {
    Ok(Json(accounts::directory(&cx, query.organisation_id).await?))
}
