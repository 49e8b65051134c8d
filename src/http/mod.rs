//! The HTTP surface: the JSON API under `/api` (each module exposes `router()`), its OpenAPI
//! document, health, and the browser client. Handlers are thin: they parse, call the domain
//! modules, and shape the answer.

mod actions;
mod admin;
mod cases;
mod contract;
mod directory;
pub mod error;
mod escalations;
pub mod extract;
mod figures;
mod guard;
mod invites;
mod meetings;
pub mod metrics;
mod network_check;
mod notifications;
mod obstacles;
mod session;
mod state;
mod web;

pub use state::AppState;

use crate::auth;
use crate::error::Error;
use crate::http::error::ErrorBody;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The OpenAPI document's frame; the paths come from the module routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ketentafel API",
        description = "Cases, case conferences, five-domain minutes, actions, invites, and \
            escalation to the steering group. \
            Every error is `{ \"error\": code, \"message\": text }`.",
        license(name = "EUPL-1.2")
    ),
    // `Lang` is named by query parameters, which do not bring their schemas along.
    components(schemas(ErrorBody, crate::i18n::Lang)),
    tags(
        (name = "session", description = "Logging in and out"),
        (name = "cases", description = "Cases and their need-to-know list"),
        (name = "meetings", description = "Conferences and their minutes"),
        (name = "actions", description = "Agreed actions"),
        (name = "invites", description = "Personal invitations to a conference"),
        (name = "directory", description = "Organisations and colleagues"),
        (name = "escalations", description = "Escalation to the steering group: queue, decisions, rules engine"),
        (name = "obstacles", description = "The register of systemic obstacles (knelpunten)"),
        (name = "notifications", description = "The caller's own notifications"),
        (name = "figures", description = "The dashboard: figures as JSON, SVG charts and CSV"),
        (name = "admin", description = "Accounts, organisations, the audit trail"),
    )
)]
struct ApiDoc;

/// The whole API with its OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(session::router())
        .merge(cases::router())
        .merge(meetings::router())
        .merge(network_check::router())
        .merge(actions::router())
        .merge(invites::router())
        .merge(directory::router())
        .merge(admin::router())
        .merge(escalations::router())
        .merge(obstacles::router())
        .merge(notifications::router())
        .merge(figures::router())
        .split_for_parts();
    contract::document_shared_parts(&mut openapi);
    (router, openapi)
}

/// The powerful browser features our pages may use: camera and microphone, from our own origin.
const PERMISSIONS_POLICY: &str = "camera=(self), microphone=(self), display-capture=(), geolocation=(), \
    payment=(), usb=(), serial=(), hid=(), bluetooth=(), midi=(), accelerometer=(), gyroscope=(), \
    magnetometer=(), browsing-topics=()";

/// The service's router.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api();
    let openapi = Arc::new(openapi.to_json().expect("the OpenAPI document serialises"));
    Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], (*openapi).clone()) }),
        )
        .route("/api/{*rest}", any(|| async { Error::NotFound }))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/ws", get(crate::signalling::ws::upgrade))
        .fallback(web::serve)
        .layer(axum::middleware::from_fn_with_state(state.cx.clone(), auth::session::resolve))
        .layer(axum::middleware::from_fn_with_state(state.cx.clone(), guard::guard))
        .layer(DefaultBodyLimit::max(state.cx.settings.max_body_bytes))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN")))
        // Invite links carry their token in the path: never pass it on as a referrer.
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        // Camera and microphone for our own pages only (no frame of another origin gets them),
        // and none of the other powerful features.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        ))
        // A window we open, or that opens us, gets no handle on the other (no tabnabbing, no
        // cross-window leaks of the conference page).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(axum::middleware::from_fn_with_state(state.cx.metrics.clone(), metrics::track))
        .layer(CatchPanicLayer::custom(|_| Error::internal("a request handler panicked").into_response()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            // The matched route, never the raw path: invite tokens travel in paths.
            let route = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str).unwrap_or("(static)");
            tracing::info_span!("request", method = %request.method(), route)
        }))
        .with_state(state)
}

/// Liveness only: the process serves requests. A database outage must not make every node
/// fail its liveness probe at once (and be restarted, dropping every conference); that is what
/// `/readyz` reports.
async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, axum::Json(serde_json::json!({ "status": "ok" })))
}

/// Readiness: whether this node should get new work. Not while it drains (SIGTERM), nor while
/// the database is unreachable, nor (with several nodes) NATS.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.signalling.rooms.is_draining() {
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "draining" })));
    }
    if state.node.as_ref().is_some_and(|node| !node.connected()) {
        return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "nats unreachable" })));
    }
    match state.cx.store.ping().await {
        Ok(()) => (StatusCode::OK, axum::Json(serde_json::json!({ "status": "ready" }))),
        Err(e) => {
            tracing::error!(error = %e, "readiness: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "database unreachable" })))
        }
    }
}
