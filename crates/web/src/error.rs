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
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 6] = [
        Self::InvalidParameter,
        Self::NotFound,
        Self::AuthenticationRequired,
        Self::InvalidCredentials,
        Self::Forbidden,
        Self::Internal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidParameter => "invalid_parameter",
            Self::NotFound => "not_found",
            Self::AuthenticationRequired => "authentication_required",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidParameter => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::AuthenticationRequired | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The family: `invalid_request` (fix the request), `auth`, or `internal` (our fault).
    pub fn kind(self) -> &'static str {
        match self {
            Self::InvalidParameter | Self::NotFound => "invalid_request",
            Self::AuthenticationRequired | Self::InvalidCredentials | Self::Forbidden => "auth",
            Self::Internal => "internal",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::InvalidParameter => "A query or body parameter is missing, malformed or out of range; the message names it.",
            Self::NotFound => "No such route or object.",
            Self::AuthenticationRequired => "This endpoint needs credentials (HTTP Basic with an account's email and password).",
            Self::InvalidCredentials => "The email or password is wrong.",
            Self::Forbidden => "The account's role may not do this (individual-level data is for admins).",
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
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            message: message.into(),
            code: code.code(),
            kind: code.kind(),
            link: format!("/api/v1/errors#{}", code.code()),
            status: code.status().as_u16(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(self)).into_response();
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
            other => {
                tracing::error!("store error: {other}");
                ApiError::new(ErrorCode::Internal, "internal error")
            }
        }
    }
}
