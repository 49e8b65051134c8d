//! The one error of the domain operations. Every client mistake has a stable code; our own
//! faults are `Internal`, logged where they surface and never shown. The HTTP layer turns it
//! into a status and a JSON body (`crate::http::error`), the signalling layer into a refusal
//! message (`crate::signalling::protocol::Refusal`); neither matches on its text.

use crate::domain::validate::{Invalid, UnknownCode};

/// Why an operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request could not be read (a malformed code, path or query).
    #[error("{0}")]
    BadRequest(String),
    /// No valid session or invite, or wrong credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The caller may see the thing but not do this to it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such thing, or the caller may not know it exists (need-to-know).
    #[error("not found")]
    NotFound,
    /// The request conflicts with the current state (finalised minutes, a stale revision, a
    /// duplicate). The code names which.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// An invite that has expired, was used by someone else, or was revoked.
    #[error("{0}")]
    Gone(&'static str),
    /// The request was read but a field is not acceptable.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// Too many attempts; try again later.
    #[error("too many requests, try again later")]
    TooManyRequests,
    /// Our fault. The cause is logged, not returned.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// A conflict with a stable code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict { code, message: message.into() }
    }

    /// A fault of ours that is not a database error.
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Internal(error.into())
    }

    /// The stable, machine-readable code, e.g. `not_found` or `minutes_finalised`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound => "not_found",
            Error::Conflict { code, .. } => code,
            Error::Gone(_) => "gone",
            Error::Invalid(_) => "invalid",
            Error::TooManyRequests => "too_many_requests",
            Error::Internal(_) => "internal",
        }
    }
}

impl From<UnknownCode> for Error {
    fn from(e: UnknownCode) -> Self {
        Error::BadRequest(e.to_string())
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return Error::conflict("duplicate", "this already exists");
            }
            if db.is_foreign_key_violation() {
                return Error::Invalid(Invalid::new("id", "refers to something that does not exist"));
            }
            if db.is_check_violation() {
                return Error::Invalid(Invalid::new("body", "violates a rule of the data model"));
            }
        }
        Error::Internal(Box::new(e))
    }
}

/// The result of domain operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
