//! The table of API errors: stable codes, each with its HTTP status and type.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// Declares the error codes once: each row gives the variant, its code, HTTP status,
/// family and description, and the macro derives the enum, [`ErrorCode::ALL`] (which the
/// OpenAPI document and `/api/v1/errors` list) and the lookups. A code added here cannot be
/// missing from the documentation.
macro_rules! error_codes {
    ($($variant:ident => $code:literal, $status:ident, $kind:literal, $description:literal;)*) => {
        /// Every error the API returns. Codes are stable: a code's status and type never
        /// change.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant,)*];

            pub fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            pub fn status(self) -> StatusCode {
                match self {
                    $(Self::$variant => StatusCode::$status,)*
                }
            }

            /// The family: `invalid_request` (fix the request), `auth`, `rate_limit`, or
            /// `internal` (our fault).
            pub fn kind(self) -> &'static str {
                match self {
                    $(Self::$variant => $kind,)*
                }
            }

            pub fn description(self) -> &'static str {
                match self {
                    $(Self::$variant => $description,)*
                }
            }
        }
    };
}

error_codes! {
    InvalidParameter => "invalid_parameter", BAD_REQUEST, "invalid_request",
        "A query or body parameter is missing, malformed or out of range; the message names it.";
    NotFound => "not_found", NOT_FOUND, "invalid_request",
        "No such route or object.";
    AuthenticationRequired => "authentication_required", UNAUTHORIZED, "auth",
        "This endpoint needs credentials: a session cookie from /login, or HTTP Basic with an account's email and password.";
    InvalidCredentials => "invalid_credentials", UNAUTHORIZED, "auth",
        "The email or password is wrong.";
    Forbidden => "forbidden", FORBIDDEN, "auth",
        "The account's role may not do this: viewers only read, individual-level data and administration are for admins.";
    CsrfFailed => "csrf_failed", FORBIDDEN, "auth",
        "A form or cookie-authenticated write came without the session's CSRF token, or from another site.";
    TooManyRequests => "too_many_requests", TOO_MANY_REQUESTS, "rate_limit",
        "Too many login attempts for this account or from this address, or too many writes or questions from this account in a minute; wait for the time in Retry-After.";
    InvalidPolicy => "invalid_policy", UNPROCESSABLE_ENTITY, "invalid_request",
        "The Cedar policies do not parse or do not fit the schema; the message is Cedar's, with the line and column.";
    PayloadTooLarge => "payload_too_large", PAYLOAD_TOO_LARGE, "invalid_request",
        "The request body is larger than the limit (256 KiB).";
    AccountNotLinked => "account_not_linked", CONFLICT, "invalid_request",
        "The account is not linked to a person of the org chart, which posting wins, trying them and volunteering need; an admin links it with `flywheel admin link`.";
    UnsupportedMediaType => "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "invalid_request",
        "A write's body must be JSON (Content-Type: application/json); a cross-site form cannot send that.";
    SelfVerification => "self_verification", FORBIDDEN, "auth",
        "Nobody verifies their own win: a champion or a peer who saw the evidence does.";
    Conflict => "conflict", CONFLICT, "invalid_request",
        "The object changed under the request: another request decided it first, or its current state does not allow this move; the message names the current state.";
    StorageFull => "storage_full", INSUFFICIENT_STORAGE, "internal",
        "The server's database storage is full: nothing of this request was written. An operator must free space; retry afterwards.";
    StorageUnavailable => "storage_unavailable", SERVICE_UNAVAILABLE, "internal",
        "The database could not be reached or written just now: nothing of this request was written. Retry after the time in Retry-After.";
    Busy => "busy", SERVICE_UNAVAILABLE, "rate_limit",
        "The server is checking too many passwords at once (HTTP Basic is expensive by design); retry after the time in Retry-After, or use a session.";
    Internal => "internal", INTERNAL_SERVER_ERROR, "internal",
        "Something failed on the server; the log has the details.";
}

/// An API error as sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ApiError {
    /// What went wrong, naming the parameter or object.
    pub message: String,
    #[schema(schema_with = codes)]
    pub code: &'static str,
    #[serde(rename = "type")]
    #[schema(schema_with = kinds)]
    pub kind: &'static str,
    /// The code's entry in `/api/v1/errors`.
    pub link: String,
    #[serde(skip)]
    status: u16,
    #[serde(skip)]
    retry_after: Option<u64>,
}

/// The schema of `code`: every code of the table.
fn codes() -> utoipa::openapi::Object {
    crate::wire::words(
        ErrorCode::ALL.iter().map(|c| c.code()),
        "The stable code; its status and type never change.",
    )
}

/// The schema of `type`: the families of the table.
fn kinds() -> utoipa::openapi::Object {
    let mut all: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.kind()).collect();
    all.sort_unstable();
    all.dedup();
    crate::wire::words(
        all,
        "The family: fix the request, authenticate, slow down, or our fault.",
    )
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

impl From<flywheel_app::AppError> for ApiError {
    fn from(e: flywheel_app::AppError) -> Self {
        use flywheel_app::AppError;
        match e {
            AppError::Store(e) => e.into(),
            AppError::Forbidden(m) => ApiError::new(ErrorCode::Forbidden, m),
            e @ AppError::NotLinked => ApiError::new(ErrorCode::AccountNotLinked, e.to_string()),
            AppError::Invalid(m) => ApiError::new(ErrorCode::InvalidParameter, m),
            AppError::Read(e) => ApiError::new(ErrorCode::InvalidParameter, e.to_string()),
            AppError::InvalidPolicy(m) => ApiError::new(ErrorCode::InvalidPolicy, m),
            e @ AppError::NotEarned(_) => ApiError::new(ErrorCode::Conflict, e.to_string()),
            AppError::Conflict(m) => ApiError::new(ErrorCode::Conflict, m),
            // Only SCIM's front door makes these, and it answers them in SCIM's form;
            // mapped here for completeness.
            AppError::Scim(e) => {
                let code = match e.status {
                    404 => ErrorCode::NotFound,
                    409 => ErrorCode::Conflict,
                    _ => ErrorCode::InvalidParameter,
                };
                ApiError::new(code, e.detail)
            }
            AppError::Analysis(e) => {
                use flywheel_insights::InsightError;
                let code = match e {
                    InsightError::NoIntervention(_) => ErrorCode::NotFound,
                    InsightError::Invalid(_)
                    | InsightError::TooLittleData(_)
                    | InsightError::Withheld(_) => ErrorCode::InvalidParameter,
                };
                ApiError::new(code, e.to_string())
            }
            AppError::Internal(m) => {
                tracing::error!("{m}");
                ApiError::new(ErrorCode::Internal, "internal error")
            }
        }
    }
}
