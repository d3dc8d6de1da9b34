//! The table of API errors: stable codes, each with its HTTP status and type.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// Every error the API returns. Codes are stable: a code's status and type never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidParameter,
    NotFound,
    AuthenticationRequired,
    InvalidCredentials,
    Forbidden,
    CsrfFailed,
    TooManyRequests,
    InvalidPolicy,
    PayloadTooLarge,
    AccountNotLinked,
    UnsupportedMediaType,
    SelfVerification,
    Conflict,
    StorageFull,
    StorageUnavailable,
    Busy,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 17] = [
        Self::InvalidParameter,
        Self::NotFound,
        Self::AuthenticationRequired,
        Self::InvalidCredentials,
        Self::Forbidden,
        Self::CsrfFailed,
        Self::TooManyRequests,
        Self::InvalidPolicy,
        Self::PayloadTooLarge,
        Self::AccountNotLinked,
        Self::UnsupportedMediaType,
        Self::SelfVerification,
        Self::Conflict,
        Self::StorageFull,
        Self::StorageUnavailable,
        Self::Busy,
        Self::Internal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidParameter => "invalid_parameter",
            Self::NotFound => "not_found",
            Self::AuthenticationRequired => "authentication_required",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::CsrfFailed => "csrf_failed",
            Self::TooManyRequests => "too_many_requests",
            Self::InvalidPolicy => "invalid_policy",
            Self::PayloadTooLarge => "payload_too_large",
            Self::AccountNotLinked => "account_not_linked",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::SelfVerification => "self_verification",
            Self::Conflict => "conflict",
            Self::StorageFull => "storage_full",
            Self::StorageUnavailable => "storage_unavailable",
            Self::Busy => "busy",
            Self::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidParameter => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::AuthenticationRequired | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::CsrfFailed | Self::SelfVerification => StatusCode::FORBIDDEN,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::InvalidPolicy => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::AccountNotLinked | Self::Conflict => StatusCode::CONFLICT,
            Self::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            Self::StorageUnavailable | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The family: `invalid_request` (fix the request), `auth`, `rate_limit`, or
    /// `internal` (our fault).
    pub fn kind(self) -> &'static str {
        match self {
            Self::InvalidParameter
            | Self::NotFound
            | Self::InvalidPolicy
            | Self::PayloadTooLarge
            | Self::AccountNotLinked
            | Self::Conflict
            | Self::UnsupportedMediaType => "invalid_request",
            Self::AuthenticationRequired
            | Self::InvalidCredentials
            | Self::Forbidden
            | Self::CsrfFailed
            | Self::SelfVerification => "auth",
            Self::TooManyRequests => "rate_limit",
            Self::StorageFull | Self::StorageUnavailable | Self::Internal => "internal",
            Self::Busy => "rate_limit",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::InvalidParameter => "A query or body parameter is missing, malformed or out of range; the message names it.",
            Self::NotFound => "No such route or object.",
            Self::AuthenticationRequired => "This endpoint needs credentials: a session cookie from /login, or HTTP Basic with an account's email and password.",
            Self::InvalidCredentials => "The email or password is wrong.",
            Self::Forbidden => "The account's role may not do this: viewers only read, individual-level data and administration are for admins.",
            Self::CsrfFailed => "A form or cookie-authenticated write came without the session's CSRF token, or from another site.",
            Self::TooManyRequests => "Too many login attempts for this account or from this address, or too many writes or questions from this account in a minute; wait for the time in Retry-After.",
            Self::InvalidPolicy => "The Cedar policies do not parse or do not fit the schema; the message is Cedar's, with the line and column.",
            Self::PayloadTooLarge => "The request body is larger than the limit (256 KiB).",
            Self::UnsupportedMediaType => "A write's body must be JSON (Content-Type: application/json); a cross-site form cannot send that.",
            Self::AccountNotLinked => "The account is not linked to a person of the org chart, which posting wins, trying them and volunteering need; an admin links it with `flywheel admin link`.",
            Self::SelfVerification => "Nobody verifies their own win: a champion or a peer who saw the evidence does.",
            Self::Conflict => "The object changed under the request: another request decided it first, or its current state does not allow this move; the message names the current state.",
            Self::StorageFull => "The server's database storage is full: nothing of this request was written. An operator must free space; retry afterwards.",
            Self::StorageUnavailable => "The database could not be reached or written just now: nothing of this request was written. Retry after the time in Retry-After.",
            Self::Busy => "The server is checking too many passwords at once (HTTP Basic is expensive by design); retry after the time in Retry-After, or use a session.",
            Self::Internal => "Something failed on the server; the log has the details.",
        }
    }
}

/// An API error as sent.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    pub message: String,
    pub code: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub link: String,
    #[serde(skip)]
    status: u16,
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            message: message.into(),
            code: code.code(),
            kind: code.kind(),
            link: format!("/api/v1/errors#{}", code.code()),
            status: code.status().as_u16(),
            retry_after: None,
        }
    }

    /// Keeps the code but answers with `status` (an extractor's own status, e.g. 422).
    pub fn set_status(&mut self, status: StatusCode) {
        self.status = status.as_u16();
    }

    /// Adds a `Retry-After` header (seconds).
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// Adds the headers of the error (`Retry-After`, `WWW-Authenticate`) to a response.
    pub fn decorate(&self, res: &mut Response) {
        if let Some(secs) = self.retry_after {
            if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut res = (status, Json(self.clone())).into_response();
        self.decorate(&mut res);
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Basic realm=\"flywheel\", charset=\"UTF-8\""),
            );
        }
        res
    }
}

impl From<flywheel_store::StoreError> for ApiError {
    fn from(e: flywheel_store::StoreError) -> Self {
        match e {
            flywheel_store::StoreError::Invalid(m) => ApiError::new(ErrorCode::InvalidParameter, m),
            flywheel_store::StoreError::Domain(d) => {
                let code = match d {
                    flywheel_domain::DomainError::SelfVerification(_) => {
                        ErrorCode::SelfVerification
                    }
                    _ => ErrorCode::InvalidParameter,
                };
                ApiError::new(code, d.to_string())
            }
            e @ flywheel_store::StoreError::NotFound { .. } => {
                ApiError::new(ErrorCode::NotFound, e.to_string())
            }
            flywheel_store::StoreError::Conflict(m) | flywheel_store::StoreError::Refused(m) => {
                ApiError::new(ErrorCode::Conflict, m)
            }
            flywheel_store::StoreError::Full(m) => {
                tracing::error!("storage full: {m}");
                ApiError::new(
                    ErrorCode::StorageFull,
                    "the database's storage is full; nothing was written",
                )
            }
            flywheel_store::StoreError::Unavailable(m) => {
                tracing::error!("storage unavailable: {m}");
                ApiError::new(
                    ErrorCode::StorageUnavailable,
                    "the database is unavailable just now; nothing was written",
                )
                .retry_after(2)
            }
            other => {
                tracing::error!("store error: {other}");
                ApiError::new(ErrorCode::Internal, "internal error")
            }
        }
    }
}
