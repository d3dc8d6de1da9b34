//! JSON endpoints under `/api/v1`.

use axum::extract::State;
use axum::http::Uri;
use axum::response::Html;
use axum::Json;
use flywheel_store::PeopleFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth;
use crate::chart::{escape, shown_summary, ShownSummary};
use crate::error::{ApiError, ErrorCode};
use crate::page::ClientIp;
use crate::query::ApiQuery;
use crate::wire::{Page, Person, Read, Refused};
use crate::AppState;

/// The server's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answered.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The last migration applied.
    pub schema_version: i64,
}

/// Health and schema version
///
/// Who: anyone.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn healthz(State(st): State<AppState>) -> Result<Json<Health>, ApiError> {
    let version = st.store.schema_version().await?;
    Ok(Json(Health {
        status: "ok",
        backend: st.store.backend().name(),
        schema_version: version,
    }))
}

/// Query of `GET /api/v1/people`. Parameters are parsed by hand so that a bad value gets
/// an error naming the parameter, not a generic rejection; the document shows their types.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Items per page (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    per_page: Option<String>,
    /// A unit id; its sub-units are included.
    #[param(value_type = Option<i64>)]
    unit: Option<String>,
    /// A site id.
    #[param(value_type = Option<i64>)]
    site: Option<String>,
    /// Include people who left.
    #[param(value_type = Option<bool>)]
    include_departed: Option<String>,
    /// Keyset paging: people with ids after this one (`next_after` of the previous page);
    /// `page` is then ignored and the cost is the same at any depth.
    #[param(value_type = Option<i64>)]
    after: Option<String>,
}

/// A page of people, with the cursor of the next one.
#[derive(Serialize, ToSchema)]
pub struct PeopleOut {
    #[serde(flatten)]
    page: Page<Person>,
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

/// `?page=&per_page=` of a list endpoint (pages count from 1; at most 500 per page). The
/// values are parsed by [`PageParams::get`], so that a bad one is named; the document shows
/// their types.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Items per page (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
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

/// Pages a list that is already in memory, converting the items shown to their wire type.
pub fn paged<T, W: From<T>>(all: Vec<T>, q: &PageParams) -> Result<Json<Page<W>>, ApiError> {
    let (page, per_page) = q.get()?;
    let total = all.len() as i64;
    let start = (page as usize - 1).saturating_mul(per_page as usize);
    let items: Vec<W> = all
        .into_iter()
        .skip(start)
        .take(per_page as usize)
        .map(W::from)
        .collect();
    let shown = i64::from(page) * i64::from(per_page);
    Ok(Json(Page {
        items,
        page,
        per_page,
        total,
        next_page: (shown < total).then_some(page + 1),
    }))
}

/// People, paged and filtered (individual-level; audited)
///
/// Who: admins. Filtered by unit (with its sub-units) and site.
#[utoipa::path(get, path = "/people", params(PeopleQuery),
    responses((status = 200, body = PeopleOut), Read, Refused))]
pub async fn people(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> Result<Json<PeopleOut>, ApiError> {
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
        page: Page {
            next_page: (after.is_none() && shown < result.total).then_some(page + 1),
            items: result.items.into_iter().map(Person::from).collect(),
            page: result.page,
            per_page: result.per_page,
            total: result.total,
        },
    }))
}

/// Headcounts, with units below the minimum group size merged.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OrgSummary)]
pub struct OrgSummaryOut {
    pub people: i64,
    pub departed: i64,
    pub units: i64,
    pub sites: i64,
    pub without_unit: i64,
    pub flagged_manager_links: i64,
    /// People per department, small ones merged.
    pub by_department: Vec<DepartmentHeadcount>,
    pub min_group_size: i64,
    /// Units merged into "other" for being below the minimum group size.
    pub suppressed_units: usize,
}

/// People in a department.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentHeadcount {
    pub name: String,
    pub people: i64,
}

/// Headcounts with small units merged
///
/// Who: anyone.
#[utoipa::path(get, path = "/org/summary", responses((status = 200, body = OrgSummaryOut)))]
pub async fn org_summary(State(st): State<AppState>) -> Result<Json<OrgSummaryOut>, ApiError> {
    let ShownSummary {
        org: s,
        min_group_size: min,
        bars,
        suppressed,
    } = shown_summary(&st.core.app(flywheel_app::Caller::Anonymous)).await?;
    Ok(Json(OrgSummaryOut {
        people: s.people,
        departed: s.departed,
        units: s.units,
        sites: s.sites,
        without_unit: s.without_unit,
        flagged_manager_links: s.flagged_manager_links,
        by_department: bars
            .into_iter()
            .map(|(name, people)| DepartmentHeadcount { name, people })
            .collect(),
        min_group_size: min,
        suppressed_units: suppressed,
    }))
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

pub async fn not_found(uri: Uri) -> axum::response::Response {
    if uri.path().starts_with("/scim/") {
        return crate::scim::not_found();
    }
    axum::response::IntoResponse::into_response(ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {}", uri.path()),
    ))
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
        if let Some(known) = parts.extensions.get::<auth::Caller>() {
            return Ok(ApiCaller(known.clone()));
        }
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
