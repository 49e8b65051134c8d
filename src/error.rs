//! The one error type of the HTTP API. Every client mistake becomes a 4xx with a stable code;
//! our own faults become a 500 that is logged with the request span and never shown.

use crate::domain::validate::{Invalid, UnknownCode};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// What went wrong, as the API reports it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read (malformed JSON, a bad path or query).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid session or invite, or wrong credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: the caller may see the thing but not do this to it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: no such thing, or the caller may not know it exists (need-to-know).
    #[error("not found")]
    NotFound,
    /// 409: the request conflicts with the current state (finalised minutes, a stale revision,
    /// a duplicate). The code names which.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 410: an invite that has expired, was used by someone else, or was revoked.
    #[error("{0}")]
    Gone(&'static str),
    /// 413: the body is larger than the configured limit.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// 415: the body is not JSON.
    #[error("expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// 422: the request was read but a field is not acceptable.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// 429: too many attempts; try again later.
    #[error("too many requests, try again later")]
    TooManyRequests,
    /// 500: our fault. The cause is logged, not returned.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable, machine-readable code such as `not_found` or `minutes_finalised`.
    pub error: String,
    /// A human-readable explanation.
    pub message: String,
    /// The field a validation error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl ApiError {
    /// A 409 with a stable code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Conflict { code, message: message.into() }
    }

    /// A 500 for a fault of ours that is not a database error.
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(error.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::Conflict { code, .. } => code,
            ApiError::Gone(_) => "gone",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Invalid(_) => "invalid",
            ApiError::TooManyRequests => "too_many_requests",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<UnknownCode> for ApiError {
    fn from(e: UnknownCode) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return ApiError::conflict("duplicate", "this already exists");
            }
            if db.is_foreign_key_violation() {
                return ApiError::Invalid(Invalid::new("id", "refers to something that does not exist"));
            }
            if db.is_check_violation() {
                return ApiError::Invalid(Invalid::new("body", "violates a rule of the data model"));
            }
        }
        ApiError::Internal(Box::new(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(source) => tracing::error!(error = %source, "request failed"),
            _ => {
                // The code only: messages can carry names or echo what was sent.
                tracing::info!(status = status.as_u16(), code = self.code(), "request refused")
            }
        }
        let field = match &self {
            ApiError::Invalid(invalid) => Some(invalid.field),
            _ => None,
        };
        let body = ErrorBody { error: self.code().to_owned(), message: self.to_string(), field };
        (status, Json(body)).into_response()
    }
}

/// The result type of handlers and services.
pub type ApiResult<T> = Result<T, ApiError>;
