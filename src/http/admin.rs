//! `/api/admin`: accounts, organisations and the whole audit trail (administrator only).

use super::extract::{Json, Path, Query};
use crate::accounts::{self, AccountWithPassword, CreateOrganisation, CreateUser, UpdateUser};
use crate::auth::CurrentUser;
use crate::core::Context;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::signalling::Signalling;
use crate::storage::models::{AuditEvent, Organisation, User};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(create_organisation))
        .routes(routes!(audit))
        .routes(routes!(run_retention))
        .routes(routes!(runtime))
}

/// Every account.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)))]
async fn list_users(State(cx): State<Context>, CurrentUser(user): CurrentUser) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(accounts::all_users(&cx, &user).await?))
}

/// Create an account; its one-time password is in the answer, once.
#[utoipa::path(post, path = "/api/admin/users", tag = "admin", request_body = CreateUser,
    responses((status = 201, body = AccountWithPassword), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Json(input): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<AccountWithPassword>)> {
    Ok((StatusCode::CREATED, Json(accounts::create_user(&cx, &user, input).await?)))
}

/// Change an account: name, role, organisation, active, or a new one-time password.
#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin", params(("id" = Uuid, Path)), request_body = UpdateUser,
    responses((status = 200, body = AccountWithPassword), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn update_user(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<UpdateUser>,
) -> ApiResult<Json<AccountWithPassword>> {
    Ok(Json(accounts::update_user(&cx, &user, id, input).await?))
}

/// Create an organisation.
#[utoipa::path(post, path = "/api/admin/organisations", tag = "admin", request_body = CreateOrganisation,
    responses((status = 201, body = Organisation), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_organisation(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Json(input): Json<CreateOrganisation>,
) -> ApiResult<(StatusCode, Json<Organisation>)> {
    Ok((StatusCode::CREATED, Json(accounts::create_organisation(&cx, &user, input).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only events before this moment (for paging back).
    before: Option<DateTime<Utc>>,
    /// At most this many (default 200, at most 1000).
    limit: Option<i64>,
}

/// The whole audit trail, newest first. Cases appear by id only: an invite's holder (the client
/// or a guest) is named by kind, never by name.
#[utoipa::path(get, path = "/api/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEvent>), (status = 403, body = ErrorBody)))]
async fn audit(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEvent>>> {
    let limit = query.limit.unwrap_or(200).clamp(1, 1000);
    Ok(Json(accounts::trail::whole(&cx, &user, query.before, limit).await?))
}

/// What a retention run deleted.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct RetentionReport {
    /// Closed cases past their retention period, deleted with everything of them.
    cases: usize,
    /// Ended sessions forgotten.
    sessions: u64,
}

/// Delete what is past its retention period now (it also runs with the background engine).
#[utoipa::path(post, path = "/api/admin/retention/run", tag = "admin",
    responses((status = 200, body = RetentionReport), (status = 403, body = ErrorBody)))]
async fn run_retention(State(cx): State<Context>, CurrentUser(user): CurrentUser) -> ApiResult<Json<RetentionReport>> {
    accounts::require_admin(&user, "only the administrator runs the retention purge")?;
    let purged = crate::retention::purge(&cx).await?;
    Ok(Json(RetentionReport { cases: purged.cases, sessions: purged.sessions }))
}

/// What this node carries now; counts only, nothing about who.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct RuntimeReport {
    /// Conferences running on this node.
    conferences: usize,
    /// Open peer connections (two per participant with media).
    peer_connections: usize,
    /// Live asynchronous tasks of the runtime.
    tasks: usize,
}

/// This node's load, for operations and the load harness (a leak shows as numbers that do not
/// come back down).
#[utoipa::path(get, path = "/api/admin/runtime", tag = "admin",
    responses((status = 200, body = RuntimeReport), (status = 403, body = ErrorBody)))]
async fn runtime(
    State(signalling): State<Signalling>,
    CurrentUser(user): CurrentUser,
) -> ApiResult<Json<RuntimeReport>> {
    accounts::require_admin(&user, "only the administrator reads the node's load")?;
    Ok(Json(RuntimeReport {
        conferences: signalling.rooms.active(),
        peer_connections: crate::sfu::live_peer_connections(),
        tasks: tokio::runtime::Handle::current().metrics().num_alive_tasks(),
    }))
}
