//! Authentication for the API: HTTP Basic with an account's email and password (checked
//! against the Argon2 hash). Sessions and the login page come with the web application.

use axum::http::HeaderMap;
use base64::Engine;
use flywheel_store::{Role, Store, User};

use crate::error::{ApiError, ErrorCode};

/// The account making the request, or why there is none.
pub async fn authenticate(store: &Store, headers: &HeaderMap) -> Result<User, ApiError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::AuthenticationRequired,
                "this endpoint needs credentials",
            )
        })?;
    let value = header.to_str().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidCredentials,
            "malformed Authorization header",
        )
    })?;
    let b64 = value.strip_prefix("Basic ").ok_or_else(|| {
        ApiError::new(
            ErrorCode::AuthenticationRequired,
            "use HTTP Basic authentication",
        )
    })?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| ApiError::new(ErrorCode::InvalidCredentials, "malformed Basic credentials"))?;
    let text = String::from_utf8(decoded)
        .map_err(|_| ApiError::new(ErrorCode::InvalidCredentials, "credentials are not UTF-8"))?;
    let (email, password) = text.split_once(':').ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidCredentials, "malformed Basic credentials")
    })?;
    store
        .authenticate(email, password)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidCredentials, "wrong email or password"))
}

/// The account, if it is an admin.
pub async fn require_admin(store: &Store, headers: &HeaderMap) -> Result<User, ApiError> {
    let user = authenticate(store, headers).await?;
    if user.role != Role::Admin {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "individual-level data is for admins only",
        ));
    }
    Ok(user)
}
