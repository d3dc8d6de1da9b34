//! Public credential endpoints: verification of any Open Badges 3.0 credential, this
//! Flywheel's issuer profile, and its revocation status lists. No account needed: a
//! recruiter or another company's verifier must be able to check a badge.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use serde_json::Value;

use crate::error::{ApiError, ErrorCode};
use crate::wire::{BadRequest, Limited, Missing, TooLarge, Verification};
use crate::AppState;

/// The use cases as nobody in particular: these endpoints need no account.
fn anyone(st: &AppState) -> flywheel_app::App {
    st.core.app(flywheel_app::Caller::Anonymous)
}

/// Credentials larger than this are refused (real ones are a few KiB).
pub const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;

/// Refuses a credential of more than [`MAX_CREDENTIAL_BYTES`] (the API's body or the
/// verify page's field).
pub fn check_size(len: usize) -> Result<(), ApiError> {
    if len > MAX_CREDENTIAL_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "a credential is at most {} KiB",
                MAX_CREDENTIAL_BYTES / 1024
            ),
        ));
    }
    Ok(())
}

/// The text to verify from a request body: a credential as JSON, `{"credential": …}`
/// (an object, or a VC-JWT string), or a bare VC-JWT (`text/plain`, `application/jwt`,
/// `application/vc+jwt`).
pub fn credential_text(headers: &HeaderMap, body: &[u8]) -> Result<String, ApiError> {
    check_size(body.len())?;
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::new(ErrorCode::InvalidParameter, "the body is not UTF-8"))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    if !content_type.starts_with("application/json") && !content_type.contains("+json") {
        return Ok(text.to_owned());
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "the body is not JSON: {e} (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    Ok(match value.get("credential") {
        Some(Value::String(jwt)) => jwt.clone(),
        Some(inner @ Value::Object(_)) => inner.to_string(),
        _ => text.to_owned(),
    })
}

/// Verify an Open Badges 3.0 credential
///
/// Who: anyone. The credential as JSON with an eddsa-rdfc-2022 proof, as
/// `{"credential": …}`, or a VC-JWT as text/plain: signature, issuer, validity and
/// revocation, each with its outcome. 200 whether or not it is valid; `valid` says which.
#[utoipa::path(post, path = "/credentials/verify",
    request_body(description = "The credential.", content(
        (Object = "application/json"),
        (String = "text/plain"))),
    responses((status = 200, body = Verification), BadRequest, TooLarge, Limited))]
pub async fn verify(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Verification>, ApiError> {
    let text = credential_text(&headers, &body)?;
    Ok(Json(anyone(&st).verify_credential(&text).await?.into()))
}

/// This Flywheel's badge issuer
///
/// Who: anyone. An Open Badges Profile whose id is a did:key, with its Multikey (a
/// JSON-LD document the specification defines).
#[utoipa::path(get, path = "/issuer", responses((status = 200, body = Object), Limited))]
pub async fn issuer(State(st): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(anyone(&st).issuer_profile().await?))
}

/// A revocation status list
///
/// Who: anyone. Status list number `id`: a signed BitstringStatusListCredential (a
/// JSON-LD document the specification defines).
#[utoipa::path(get, path = "/credentials/status/{id}", params(("id" = i64, Path, description = "The list's number.")),
    responses((status = 200, body = Object), Missing, Limited))]
pub async fn status_list(
    State(st): State<AppState>,
    Path(n): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let n: i64 = n
        .parse()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no status list {n:?}")))?;
    Ok(Json(anyone(&st).status_list(n).await?))
}
