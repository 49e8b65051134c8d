//! `/api/admin`: accounts, organisations, the requests that wait for a second administrator,
//! and the whole audit trail (administrator only).

use super::extract::{Json, Path, Query};
use crate::accounts::requests::{self, Approved};
use crate::accounts::{self, CreateOrganisation, CreateUser, UpdateOrganisation, UpdateUser, UpdatedAccount};
use crate::auth::CurrentUser;
use crate::core::Context;
use crate::http::AppState;
use crate::http::error::{ApiResult, ErrorBody};
use crate::signalling::Signalling;
use crate::storage::account_requests::AccountRequest;
use crate::storage::audit::AuditFilter;
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
        .routes(routes!(reset_password))
        .routes(routes!(list_requests))
        .routes(routes!(approve_request))
        .routes(routes!(reject_request))
        .routes(routes!(create_organisation))
        .routes(routes!(update_organisation))
        .routes(routes!(audit))
        .routes(routes!(retention))
        .routes(routes!(run_retention))
        .routes(routes!(runtime))
}

/// Every account.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)))]
async fn list_users(State(cx): State<Context>, CurrentUser(user): CurrentUser) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(accounts::all_users(&cx, &user).await?))
}

/// File a new account. It has no password anyone knows; once a second administrator approves,
/// its holder gets an activation link.
#[utoipa::path(post, path = "/api/admin/users", tag = "admin", request_body = CreateUser,
    responses((status = 202, body = AccountRequest), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_user(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Json(input): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<AccountRequest>)> {
    Ok((StatusCode::ACCEPTED, Json(accounts::create_user(&cx, &user, input).await?)))
}

/// Change an account. Name and deactivation take effect at once; a new role or organisation
/// and a reactivation are filed for a second administrator (the answer's `request`).
#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin", params(("id" = Uuid, Path)), request_body = UpdateUser,
    responses((status = 200, body = UpdatedAccount), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn update_user(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<UpdateUser>,
) -> ApiResult<Json<UpdatedAccount>> {
    Ok(Json(accounts::update_user(&cx, &user, id, input).await?))
}

/// Reset an account's password: the old one stops working and its sessions end at once; once a
/// second administrator approves, its holder gets an activation link. Nobody sees a password.
#[utoipa::path(post, path = "/api/admin/users/{id}/reset", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 202, body = AccountRequest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reset_password(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<AccountRequest>)> {
    Ok((StatusCode::ACCEPTED, Json(requests::reset_password(&cx, &user, id).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RequestsQuery {
    /// Only the requests still waiting for a decision.
    #[serde(default)]
    pending: bool,
}

/// Requests about accounts, newest first.
#[utoipa::path(get, path = "/api/admin/requests", tag = "admin", params(RequestsQuery),
    responses((status = 200, body = Vec<AccountRequest>), (status = 403, body = ErrorBody)))]
async fn list_requests(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<RequestsQuery>,
) -> ApiResult<Json<Vec<AccountRequest>>> {
    Ok(Json(requests::list(&cx, &user, query.pending).await?))
}

/// Approve another administrator's request: a change takes effect; a new account or reset gets
/// its one-time activation link, shown here once, to hand to the account's holder.
#[utoipa::path(post, path = "/api/admin/requests/{id}/approve", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = Approved), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn approve_request(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Approved>> {
    Ok(Json(requests::approve(&cx, &user, id).await?))
}

/// Refuse another administrator's request, or withdraw one's own.
#[utoipa::path(post, path = "/api/admin/requests/{id}/reject", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = AccountRequest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn reject_request(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<AccountRequest>> {
    Ok(Json(requests::reject(&cx, &user, id).await?))
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

/// Rename an organisation (its kind stays).
#[utoipa::path(patch, path = "/api/admin/organisations/{id}", tag = "admin", params(("id" = Uuid, Path)),
    request_body = UpdateOrganisation,
    responses((status = 200, body = Organisation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn update_organisation(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
    Json(input): Json<UpdateOrganisation>,
) -> ApiResult<Json<Organisation>> {
    Ok(Json(accounts::update_organisation(&cx, &user, id, input).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only events before this moment (for paging back, and the end of a time range).
    before: Option<DateTime<Utc>>,
    /// Only events at or after this moment (the start of a time range).
    from: Option<DateTime<Utc>>,
    /// Part of the actor's name, any case; matches accounts and the service, never an invite's
    /// holder.
    actor: Option<String>,
    /// Only events about this case.
    case_id: Option<Uuid>,
    /// The start of the action, e.g. `case.` or `account.create`.
    action: Option<String>,
    /// At most this many (default 200, at most 1000).
    limit: Option<i64>,
}

/// A filter text: trimmed, empty as absent, and not longer than a search box needs.
fn criterion(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().chars().take(120).collect::<String>()).filter(|t| !t.is_empty())
}

/// The whole audit trail, newest first, optionally filtered by actor, case, action and time.
/// Cases appear by id only: an invite's holder (the client or a guest) is named by kind, never
/// by name, and cannot be searched for by name.
#[utoipa::path(get, path = "/api/admin/audit", tag = "admin", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEvent>), (status = 403, body = ErrorBody)))]
async fn audit(
    State(cx): State<Context>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEvent>>> {
    let limit = query.limit.unwrap_or(200).clamp(1, 1000);
    let filter = AuditFilter {
        before: query.before,
        from: query.from,
        actor: criterion(query.actor),
        case_id: query.case_id,
        action: criterion(query.action),
    };
    Ok(Json(accounts::trail::whole(&cx, &user, &filter, limit).await?))
}

/// The retention settings and where they stand: counts and dates only, no case.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct RetentionOverview {
    /// How long a closed case is kept before it is deleted (`--retention-days`).
    retention_days: i64,
    /// Cases in the service, open and closed.
    cases: i64,
    /// Closed cases still kept.
    closed_cases: usize,
    /// Closed cases past their retention period: the next run deletes them.
    due_for_deletion: usize,
    /// When the next closed case reaches the end of its retention period, if any is waiting.
    next_deletion_at: Option<DateTime<Utc>>,
    /// Cases deleted at the end of their retention period so far.
    deleted_cases: i64,
    /// When a case was last deleted at the end of its retention period.
    last_deletion_at: Option<DateTime<Utc>>,
    /// How long ended sessions are kept (days).
    session_days: i64,
}

/// The retention period and what it will delete when (administrator only).
#[utoipa::path(get, path = "/api/admin/retention", tag = "admin",
    responses((status = 200, body = RetentionOverview), (status = 403, body = ErrorBody)))]
async fn retention(State(cx): State<Context>, CurrentUser(user): CurrentUser) -> ApiResult<Json<RetentionOverview>> {
    accounts::require_admin(&user, "only the administrator reads the retention settings")?;
    let now = cx.clock.now();
    let days = cx.settings.retention_days;
    let period = chrono::Duration::days(days);
    let closed = cx.store.closed_case_times().await?;
    let cutoff = now - period;
    let due_for_deletion = closed.iter().filter(|&&at| at < cutoff).count();
    let next_deletion_at = closed.iter().find(|&&at| at >= cutoff).map(|&at| at + period);
    let (deleted_cases, last_deletion_at) = cx.store.action_tally("case.purge").await?;
    cx.store.record_audit(&user.principal().audit(now, "retention.read", None, None, None)).await?;
    Ok(Json(RetentionOverview {
        retention_days: days,
        cases: cx.store.count_cases().await?,
        closed_cases: closed.len(),
        due_for_deletion,
        next_deletion_at,
        deleted_cases,
        last_deletion_at,
        session_days: crate::retention::SESSION_DAYS,
    }))
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
        peer_connections: crate::sfu::live_peer_connections() + crate::sfu::media_loop_connections(),
        tasks: tokio::runtime::Handle::current().metrics().num_alive_tasks(),
    }))
}
