//! JSON endpoints under `/api/v1`.

use axum::extract::State;
use axum::http::Uri;
use axum::response::{Html, IntoResponse};
use axum::Json;
use flywheel_store::PeopleFilter;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth;
use crate::chart::{escape, shown_summary, ShownSummary};
use crate::error::{ApiError, ErrorCode};
use crate::page::ClientIp;
use crate::query::ApiQuery;
use crate::AppState;

pub async fn healthz(State(st): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let version = st.store.schema_version().await?;
    Ok(Json(json!({
        "status": "ok",
        "backend": st.store.backend().name(),
        "schema_version": version,
    })))
}

/// Query of `GET /api/v1/people`. Parameters are parsed by hand so that a bad value gets
/// an error naming the parameter, not a generic rejection.
#[derive(Debug, Deserialize)]
pub struct PeopleQuery {
    page: Option<String>,
    per_page: Option<String>,
    unit: Option<String>,
    site: Option<String>,
    include_departed: Option<String>,
    after: Option<String>,
}

/// A page of people, with the cursor of the next one.
#[derive(Serialize)]
struct PeopleOut {
    #[serde(flatten)]
    page: PageOut<flywheel_store::PersonRow>,
    /// Pass as `after` for the next page (the same cost at any depth); `null` at the end.
    next_after: Option<i64>,
}

fn num<T>(name: &str, v: Option<&String>, min: T, max: T) -> Result<Option<T>, ApiError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(v) = v else { return Ok(None) };
    let n: T = v.parse().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!("parameter `{name}`: {v:?} is not a whole number"),
        )
    })?;
    if n < min || n > max {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("parameter `{name}`: {n} is outside {min}..={max}"),
        ));
    }
    Ok(Some(n))
}

/// One page of a list: every list endpoint answers in this shape.
#[derive(Debug, Serialize)]
pub struct PageOut<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
    pub next_page: Option<u32>,
}

/// `?page=&per_page=` of a list endpoint (pages count from 1; at most 500 per page).
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    page: Option<String>,
    per_page: Option<String>,
}

impl PageParams {
    /// The page and page size, checked.
    pub fn get(&self) -> Result<(u32, u32), ApiError> {
        Ok((
            num::<u32>("page", self.page.as_ref(), 1, 1_000_000)?.unwrap_or(1),
            num::<u32>("per_page", self.per_page.as_ref(), 1, 500)?.unwrap_or(50),
        ))
    }
}

/// Pages a list that is already in memory.
pub fn paged<T: Serialize>(all: Vec<T>, q: &PageParams) -> Result<Json<PageOut<T>>, ApiError> {
    let (page, per_page) = q.get()?;
    let total = all.len() as i64;
    let start = (page as usize - 1).saturating_mul(per_page as usize);
    let items: Vec<T> = all
        .into_iter()
        .skip(start)
        .take(per_page as usize)
        .collect();
    let shown = i64::from(page) * i64::from(per_page);
    Ok(Json(PageOut {
        items,
        page,
        per_page,
        total,
        next_page: (shown < total).then_some(page + 1),
    }))
}

/// `GET /api/v1/people`: people, paged, filtered by unit (with its sub-units) and site.
/// Admin only; every call is audited.
pub async fn people(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require_admin("read individual-level data")?;
    let page = num::<u32>("page", q.page.as_ref(), 1, 1_000_000)?.unwrap_or(1);
    let per_page = num::<u32>("per_page", q.per_page.as_ref(), 1, 500)?.unwrap_or(50);
    let unit = num::<i64>("unit", q.unit.as_ref(), 1, i64::MAX)?;
    let site = num::<i64>("site", q.site.as_ref(), 1, i64::MAX)?;
    let include_departed = match q.include_departed.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(v) => {
            return Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("parameter `include_departed`: {v:?} is not true or false"),
            ))
        }
    };
    let after = num::<i64>("after", q.after.as_ref(), 0, i64::MAX)?;
    let filter = PeopleFilter {
        unit,
        site,
        include_departed,
        after,
    };
    let result = st
        .app(&caller)
        .people(&filter, page, per_page, "api:/api/v1/people")
        .await?;
    let shown = i64::from(page) * i64::from(per_page);
    let full = result.items.len() == per_page as usize;
    Ok(Json(PeopleOut {
        next_after: full.then(|| result.items.last().map(|p| p.id)).flatten(),
        page: PageOut {
            next_page: (after.is_none() && shown < result.total).then_some(page + 1),
            items: result.items,
            page: result.page,
            per_page: result.per_page,
            total: result.total,
        },
    }))
}

/// `GET /api/v1/org/summary`: headcounts, with units below the minimum group size merged.
pub async fn org_summary(State(st): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let ShownSummary {
        org: s,
        min_group_size: min,
        bars,
        suppressed,
    } = shown_summary(&st.store).await?;
    Ok(Json(json!({
        "people": s.people,
        "departed": s.departed,
        "units": s.units,
        "sites": s.sites,
        "without_unit": s.without_unit,
        "flagged_manager_links": s.flagged_manager_links,
        "by_department": bars.iter().map(|(n, c)| json!({"name": n, "people": c})).collect::<Vec<_>>(),
        "min_group_size": min,
        "suppressed_units": suppressed,
    })))
}

/// `GET /api/v1/errors`: the table of error codes (the `link` of every error points here).
pub async fn errors() -> Html<String> {
    let mut rows = String::new();
    for c in ErrorCode::ALL {
        rows.push_str(&format!(
            "<tr id=\"{0}\"><td><code>{0}</code></td><td>{1}</td><td>{2}</td><td>{3}</td></tr>",
            c.code(),
            c.status().as_u16(),
            c.kind(),
            escape(c.description())
        ));
    }
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>Flywheel API errors</title><h1>API errors</h1>\
         <table><tr><th>code</th><th>status</th><th>type</th><th>meaning</th></tr>{rows}</table>"
    ))
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no route for {}", uri.path()))
}

/// The authenticated caller of an API endpoint, extracted before the body is read, so that
/// a request without credentials is told so (401) whatever its body.
pub struct ApiCaller(pub auth::Caller);

impl axum::extract::FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = ClientIp::from_request_parts(parts, st)
            .await
            .unwrap_or(ClientIp(std::net::IpAddr::from([127, 0, 0, 1])));
        auth::required(&st.store, &st.limiter, ip.0, &parts.headers)
            .await
            .map(ApiCaller)
    }
}

/// A JSON request body, read but not yet parsed: handlers check who may call them first,
/// then [`JsonBody::parse`] it, so a caller without the right is told 403 before any
/// validation. Errors are the API's JSON errors (axum's own rejections are plain text).
pub struct JsonBody {
    bytes: axum::body::Bytes,
    is_json: bool,
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, st: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json")
                    || (m.starts_with("application/") && m.ends_with("+json"))
            });
        let bytes = axum::body::Bytes::from_request(req, st)
            .await
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        ErrorCode::PayloadTooLarge,
                        format!("the body is larger than {} KiB", crate::BODY_LIMIT / 1024),
                    )
                } else {
                    ApiError::new(
                        ErrorCode::InvalidParameter,
                        format!("cannot read the body: {e}"),
                    )
                }
            })?;
        Ok(JsonBody { bytes, is_json })
    }
}

/// The path (`a.b[2]`) of the first string or key holding a NUL byte.
fn nul_path(v: &serde_json::Value, at: String) -> Option<String> {
    let here = |at: &str| {
        if at.is_empty() {
            ".".to_owned()
        } else {
            at.to_owned()
        }
    };
    match v {
        serde_json::Value::String(s) if s.contains('\0') => Some(here(&at)),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_path(x, format!("{at}[{i}]"))),
        serde_json::Value::Object(o) => o.iter().find_map(|(k, x)| {
            let p = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            if k.contains('\0') {
                Some(p.replace('\0', "\\0"))
            } else {
                nul_path(x, p)
            }
        }),
        _ => None,
    }
}

impl JsonBody {
    /// The body as `T`; the message names the field and place at fault.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        if !self.is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON (Content-Type: application/json)",
            ));
        }
        // JSON writes a NUL byte only as the escape `\u0000`; find the field that holds
        // one (PostgreSQL cannot store it in text, so neither backend takes it).
        if self
            .bytes
            .windows(6)
            .any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
        {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&self.bytes) {
                if let Some(field) = nul_path(&v, String::new()) {
                    return Err(ApiError::new(
                        ErrorCode::InvalidParameter,
                        format!("the JSON body, field `{field}`: contains a NUL byte (\\u0000), which text may not hold"),
                    ));
                }
            }
        }
        let de = &mut serde_json::Deserializer::from_slice(&self.bytes);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let place = if field == "." {
                String::new()
            } else {
                format!(", field `{field}`")
            };
            ApiError::new(
                ErrorCode::InvalidParameter,
                format!("the JSON body{place}: {inner}"),
            )
        })
    }
}
