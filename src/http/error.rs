//! The one error type of the HTTP API: the domain's [`Error`] and what only HTTP can get wrong
//! (a body too large, not JSON). Every client mistake becomes a 4xx with a stable code; our own
//! faults become a 500 that is logged with the request span and never shown.

use crate::domain::validate::{Invalid, UnknownCode};
use crate::error::Error;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// What went wrong, as the API reports it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// What a domain operation refused (its status below).
    #[error(transparent)]
    Domain(#[from] Error),
    /// 413: the body is larger than the configured limit.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// 415: the body is not JSON.
    #[error("expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
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

/// The status of each domain refusal.
fn status(error: &Error) -> StatusCode {
    match error {
        Error::BadRequest(_) => StatusCode::BAD_REQUEST,
        Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::Gone(_) => StatusCode::GONE,
        Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Domain(error) => status(error),
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Domain(error) => error.code(),
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Domain(e.into())
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::Domain(e.into())
    }
}

impl From<UnknownCode> for ApiError {
    fn from(e: UnknownCode) -> Self {
        ApiError::Domain(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Domain(Error::Internal(source)) => tracing::error!(error = %source, "request failed"),
            _ => {
                // The code only: messages can carry names or echo what was sent.
                tracing::info!(status = status.as_u16(), code = self.code(), "request refused")
            }
        }
        let field = match &self {
            ApiError::Domain(Error::Invalid(invalid)) => Some(invalid.field),
            _ => None,
        };
        let body = ErrorBody { error: self.code().to_owned(), message: self.to_string(), field };
        (status, Json(body)).into_response()
    }
}

/// A domain refusal answers an HTTP request directly (extractors, middleware).
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        ApiError::Domain(self).into_response()
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
