//! Typed query strings: each endpoint declares the parameters it reads as one small struct
//! (every field optional or defaulted; numbers and dates stay text so their errors name the
//! parameter in the API's words), and a query that does not parse at all is
//! `invalid_parameter` in the API's error shape (JSON for the API, an HTML error page for
//! pages) rather than axum's plain-text rejection. Parameters a struct does not name are
//! ignored, as browsers and proxies add their own.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};
use crate::page::PageError;

fn parse<T: DeserializeOwned>(parts: &Parts) -> Result<T, ApiError> {
    serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!("the query string: {e}"),
        )
    })
}

/// The query of an API request, parsed into `T`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse(parts).map(ApiQuery)
    }
}

/// The query of a page request, parsed into `T`.
pub struct PageQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, PageError> {
        Ok(parse(parts).map(PageQuery)?)
    }
}

/// `?done=…` of a page that reports the outcome of the form that led to it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Done {
    pub done: String,
}

/// `?format=` of a download: `None` for the default format.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Format {
    pub format: Option<String>,
}
