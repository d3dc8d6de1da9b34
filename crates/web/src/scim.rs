//! SCIM 2.0 at `/scim/v2` (RFC 7644): the identity provider provisions Users and Groups.
//! Discovery (`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`) is public; every
//! other endpoint needs a SCIM token (`Authorization: Bearer`, made with `flywheel auth
//! scim-token create`; an API token is refused here, and a SCIM token on the API).
//! Answers are `application/scim+json`; errors are SCIM `Error` messages. The use cases
//! are `app::provisioning`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use flywheel_app::AppError;
use flywheel_scim::schema::{self, Kind};
use flywheel_scim::ScimError;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::wire::scim::{
    ScimDocument, ScimErrors, ScimList, ScimMissing, ScimPatch, ScimResource, ScimResourceIn,
    ScimSearch,
};
use crate::AppState;

/// The SCIM media type.
pub const MEDIA: &str = "application/scim+json";

/// A SCIM answer: a status and a JSON body.
fn answer(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA));
    res
}

/// A SCIM error answer.
pub fn error(e: &ScimError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = answer(status, &e.to_json());
    if e.status == 401 {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"scim\""),
        );
    }
    res
}

fn app_error(e: AppError) -> Response {
    match e {
        AppError::Scim(e) => error(&e),
        AppError::Forbidden(m) => error(&ScimError::status(403, m)),
        AppError::Store(flywheel_store::StoreError::NotFound { .. }) => {
            error(&ScimError::status(404, e.to_string()))
        }
        other => {
            // Storage full or unavailable keep their statuses; the rest is ours.
            let api = crate::error::ApiError::from(other);
            let status = api.status().as_u16();
            let detail = if status >= 500 && status != 503 && status != 507 {
                "internal error".to_owned()
            } else {
                api.message.clone()
            };
            error(&ScimError::status(status, detail))
        }
    }
}

/// The routes under `/scim/v2`, each with its documentation (unknown paths get SCIM's
/// 404 from the server's fallback).
pub fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(spc))
        .routes(routes!(resource_types))
        .routes(routes!(resource_type))
        .routes(routes!(schemas))
        .routes(routes!(schema_one))
        .routes(routes!(list_users, create_user))
        .routes(routes!(search_users))
        .routes(routes!(get_user, put_user, patch_user, delete_user))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(search_groups))
        .routes(routes!(get_group, put_group, patch_group, delete_group))
        .routes(routes!(search_all))
}

/// SCIM's answer to a path under `/scim/v2` that names nothing.
pub fn not_found() -> Response {
    error(&ScimError::status(404, "no such SCIM endpoint"))
}

/// Search Users and Groups
///
/// Who: the identity provider, with a SCIM token. Users and Groups that match, Users first.
#[utoipa::path(post, path = "/.search", tag = "SCIM", security(("scim" = [])),
    request_body(content = ScimSearch, content_type = "application/scim+json"),
    responses((status = 200, description = "A ListResponse.", body = ScimList, content_type = "application/scim+json"), ScimErrors))]
async fn search_all(State(st): State<AppState>, headers: HeaderMap, bytes: Bytes) -> Response {
    let app = match provisioner(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let p = match search_params(&bytes) {
        Ok(p) => p,
        Err(e) => return error(&e),
    };
    let b = match base(&st).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let max = flywheel_app::provisioning::MAX_RESULTS;
    let mut all = Vec::new();
    let mut total = 0;
    for kind in [Kind::User, Kind::Group] {
        let page = match app.scim_list(kind, p.filter.as_deref(), 1, max, &b).await {
            Ok(page) => page,
            Err(e) => return app_error(e),
        };
        total += page.total;
        for v in page.resources {
            match shaped(kind, v, &p) {
                Ok(v) => all.push(v),
                Err(e) => return error(&e),
            }
        }
    }
    let start = usize::try_from(p.start_index.unwrap_or(1).max(1)).unwrap_or(1);
    let count = usize::try_from(p.count.unwrap_or(100).clamp(0, max as i64)).unwrap_or(0);
    let items: Vec<Value> = all.into_iter().skip(start - 1).take(count).collect();
    answer(
        StatusCode::OK,
        &json!({
            "schemas": [schema::LIST],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": items.len(),
            "Resources": items,
        }),
    )
}

/// `…/scim/v2` under this server's public address.
async fn base(st: &AppState) -> Result<String, Response> {
    let url = st
        .core
        .app(flywheel_app::Caller::Anonymous)
        .issuer_url()
        .await
        .map_err(app_error)?;
    Ok(format!("{}/scim/v2", url.trim_end_matches('/')))
}

/// The use cases as the SCIM token's account.
async fn provisioner(st: &AppState, headers: &HeaderMap) -> Result<flywheel_app::App, Response> {
    let unauthorized = |m: &str| error(&ScimError::status(401, m));
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            unauthorized(
                "send a SCIM token: Authorization: Bearer (flywheel auth scim-token create)",
            )
        })?;
    let found = st
        .store
        .user_by_api_token(token)
        .await
        .map_err(|e| app_error(e.into()))?;
    match found {
        Some((user, record)) if record.scope == "scim" => {
            Ok(st.core.app(flywheel_app::Caller::User(user)))
        }
        Some(_) => Err(unauthorized(
            "this is an API token; SCIM takes a SCIM token (flywheel auth scim-token create)",
        )),
        None => Err(unauthorized(
            "the SCIM token is unknown, expired or revoked",
        )),
    }
}

fn body(bytes: &Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not JSON: {e}")))
}

/// `attributes`, `excludedAttributes`, `filter`, `startIndex`, `count`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(default, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// Attributes to return (comma-separated paths); `schemas`, `id` and `meta` always are.
    attributes: Option<String>,
    /// Attributes to leave out (comma-separated paths).
    excluded_attributes: Option<String>,
    /// A SCIM filter (lists only): `userName eq "ana@example.com"`.
    filter: Option<String>,
    /// The first result, counting from 1 (lists only).
    start_index: Option<i64>,
    /// Results per page, at most 1,000; default 100 (lists only).
    count: Option<i64>,
}

fn names(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn shaped(kind: Kind, v: Value, p: &Params) -> Result<Value, ScimError> {
    flywheel_scim::doc::project(
        kind,
        v,
        &names(&p.attributes),
        &names(&p.excluded_attributes),
    )
}

/// What this SCIM server supports
///
/// Who: anyone (discovery is public). PATCH and filters yes; bulk, sort, ETags and password
/// changes no; bearer tokens.
#[utoipa::path(get, path = "/ServiceProviderConfig", tag = "SCIM",
    responses((status = 200, description = "The ServiceProviderConfig.", body = ScimDocument, content_type = "application/scim+json")))]
async fn spc(State(st): State<AppState>) -> Response {
    match base(&st).await {
        Ok(b) => answer(
            StatusCode::OK,
            &schema::service_provider_config(&b, flywheel_app::provisioning::MAX_RESULTS),
        ),
        Err(r) => r,
    }
}

fn list(items: Vec<Value>) -> Value {
    json!({
        "schemas": [schema::LIST],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}

/// The resource types
///
/// Who: anyone (discovery is public). `User` (with the enterprise extension) and `Group`.
#[utoipa::path(get, path = "/ResourceTypes", tag = "SCIM",
    responses((status = 200, description = "A ListResponse of ResourceTypes.", body = ScimDocument, content_type = "application/scim+json")))]
async fn resource_types(State(st): State<AppState>) -> Response {
    match base(&st).await {
        Ok(b) => answer(StatusCode::OK, &list(schema::resource_types(&b))),
        Err(r) => r,
    }
}

/// One resource type
///
/// Who: anyone (discovery is public).
#[utoipa::path(get, path = "/ResourceTypes/{id}", tag = "SCIM",
    params(("id" = String, Path, description = "`User` or `Group`.")),
    responses((status = 200, description = "The ResourceType.", body = ScimDocument, content_type = "application/scim+json"), ScimMissing))]
async fn resource_type(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    let b = match base(&st).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    match schema::resource_types(&b)
        .into_iter()
        .find(|r| r["id"] == id.as_str())
    {
        Some(r) => answer(StatusCode::OK, &r),
        None => error(&ScimError::status(404, format!("no resource type {id:?}"))),
    }
}

/// The schemas
///
/// Who: anyone (discovery is public). Every attribute of a User, the enterprise extension
/// and a Group, with its type, mutability and uniqueness.
#[utoipa::path(get, path = "/Schemas", tag = "SCIM",
    responses((status = 200, description = "A ListResponse of Schemas.", body = ScimDocument, content_type = "application/scim+json")))]
async fn schemas(State(st): State<AppState>) -> Response {
    match base(&st).await {
        Ok(b) => answer(StatusCode::OK, &list(schema::schemas(&b))),
        Err(r) => r,
    }
}

/// One schema
///
/// Who: anyone (discovery is public).
#[utoipa::path(get, path = "/Schemas/{id}", tag = "SCIM",
    params(("id" = String, Path, description = "The schema's URN.")),
    responses((status = 200, description = "The Schema.", body = ScimDocument, content_type = "application/scim+json"), ScimMissing))]
async fn schema_one(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    let b = match base(&st).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    match schema::schemas(&b)
        .into_iter()
        .find(|s| s["id"] == id.as_str())
    {
        Some(s) => answer(StatusCode::OK, &s),
        None => error(&ScimError::status(404, format!("no schema {id:?}"))),
    }
}

/// What a request on a resource does.
enum Act {
    Create(Bytes),
    Get(String),
    Replace(String, Bytes),
    Patch(String, Bytes),
    Delete(String),
    List,
}

async fn act(st: AppState, headers: HeaderMap, kind: Kind, p: Params, act: Act) -> Response {
    let app = match provisioner(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let b = match base(&st).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (status, result) = match act {
        Act::Create(bytes) => match body(&bytes) {
            Ok(v) => (StatusCode::CREATED, app.scim_create(kind, &v, &b).await),
            Err(e) => return error(&e),
        },
        Act::Get(id) => (StatusCode::OK, app.scim_get(kind, &id, &b).await),
        Act::Replace(id, bytes) => match body(&bytes) {
            Ok(v) => (StatusCode::OK, app.scim_replace(kind, &id, &v, &b).await),
            Err(e) => return error(&e),
        },
        Act::Patch(id, bytes) => match body(&bytes) {
            Ok(v) => (StatusCode::OK, app.scim_patch(kind, &id, &v, &b).await),
            Err(e) => return error(&e),
        },
        Act::Delete(id) => {
            return match app.scim_delete(kind, &id).await {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => app_error(e),
            }
        }
        Act::List => return listed(&app, kind, &p, &b).await,
    };
    let v = match result {
        Ok(v) => v,
        Err(e) => return app_error(e),
    };
    let v = match shaped(kind, v, &p) {
        Ok(v) => v,
        Err(e) => return error(&e),
    };
    let mut res = answer(status, &v);
    if status == StatusCode::CREATED {
        if let Some(loc) = v["meta"]["location"]
            .as_str()
            .and_then(|l| HeaderValue::from_str(l).ok())
        {
            res.headers_mut().insert(header::LOCATION, loc);
        }
    }
    res
}

async fn listed(app: &flywheel_app::App, kind: Kind, p: &Params, b: &str) -> Response {
    let start = usize::try_from(p.start_index.unwrap_or(1).max(1)).unwrap_or(1);
    let count = usize::try_from(p.count.unwrap_or(100).max(0)).unwrap_or(0);
    let page = match app
        .scim_list(kind, p.filter.as_deref(), start, count, b)
        .await
    {
        Ok(page) => page,
        Err(e) => return app_error(e),
    };
    let mut items = Vec::with_capacity(page.resources.len());
    for v in page.resources {
        match shaped(kind, v, p) {
            Ok(v) => items.push(v),
            Err(e) => return error(&e),
        }
    }
    answer(
        StatusCode::OK,
        &json!({
            "schemas": [schema::LIST],
            "totalResults": page.total,
            "startIndex": page.start,
            "itemsPerPage": items.len(),
            "Resources": items,
        }),
    )
}

/// The parameters of a search, from its body (a SearchRequest).
fn search_params(bytes: &Bytes) -> Result<Params, ScimError> {
    let v = body(bytes)?;
    let join = |k: &str| match &v[k] {
        Value::Array(xs) => Some(
            xs.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    Ok(Params {
        attributes: join("attributes"),
        excluded_attributes: join("excludedAttributes"),
        filter: v["filter"].as_str().map(str::to_owned),
        start_index: v["startIndex"].as_i64(),
        count: v["count"].as_i64(),
    })
}

/// `POST /Users/.search`: a list whose parameters come in the body.
async fn search(st: AppState, headers: HeaderMap, kind: Kind, bytes: Bytes) -> Response {
    // Who calls is checked before what they sent.
    if let Err(r) = provisioner(&st, &headers).await {
        return r;
    }
    match search_params(&bytes) {
        Ok(p) => act(st, headers, kind, p, Act::List).await,
        Err(e) => error(&e),
    }
}

macro_rules! handlers {
    ($kind:expr, $name:tt, $coll:tt, $search_path:tt, $item:tt,
     $list:ident, $search:ident, $create:ident, $get:ident, $put:ident, $patch:ident, $delete:ident) => {
        #[utoipa::path(get, path = $coll, tag = "SCIM", security(("scim" = [])),
            summary = concat!("List or filter ", $name, "s"),
            description = "Who: the identity provider, with a SCIM token. `filter` takes the whole RFC 7644 grammar; paging by `startIndex` and `count`.",
            params(Params),
            responses((status = 200, description = "A ListResponse.", body = ScimList, content_type = "application/scim+json"), ScimErrors))]
        async fn $list(State(st): State<AppState>, headers: HeaderMap, Query(p): Query<Params>) -> Response {
            act(st, headers, $kind, p, Act::List).await
        }

        #[utoipa::path(post, path = $search_path, tag = "SCIM", security(("scim" = [])),
            summary = concat!("Search ", $name, "s"),
            description = "Who: the identity provider, with a SCIM token. A list whose parameters come in the body.",
            request_body(content = ScimSearch, content_type = "application/scim+json"),
            responses((status = 200, description = "A ListResponse.", body = ScimList, content_type = "application/scim+json"), ScimErrors))]
        async fn $search(State(st): State<AppState>, headers: HeaderMap, bytes: Bytes) -> Response {
            search(st, headers, $kind, bytes).await
        }

        #[utoipa::path(post, path = $coll, tag = "SCIM", security(("scim" = [])),
            summary = concat!("Create a ", $name),
            description = "Who: the identity provider, with a SCIM token. A User gets an account (made or found by email) linked to its HRIS person; a Group named as a role group gives its members the role.",
            params(Params),
            request_body(content = ScimResourceIn, content_type = "application/scim+json"),
            responses((status = 201, description = "Created; `Location` names it.", body = ScimResource, content_type = "application/scim+json"), ScimErrors))]
        async fn $create(State(st): State<AppState>, headers: HeaderMap, Query(p): Query<Params>, bytes: Bytes) -> Response {
            act(st, headers, $kind, p, Act::Create(bytes)).await
        }

        #[utoipa::path(get, path = $item, tag = "SCIM", security(("scim" = [])),
            summary = concat!("Read a ", $name),
            description = "Who: the identity provider, with a SCIM token.",
            params(("id" = String, Path, description = "The resource's id."), Params),
            responses((status = 200, description = "The resource.", body = ScimResource, content_type = "application/scim+json"), ScimErrors))]
        async fn $get(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<String>, Query(p): Query<Params>) -> Response {
            act(st, headers, $kind, p, Act::Get(id)).await
        }

        #[utoipa::path(put, path = $item, tag = "SCIM", security(("scim" = [])),
            summary = concat!("Replace a ", $name),
            description = "Who: the identity provider, with a SCIM token. Every writable attribute is replaced; `active: false` disables a User's account.",
            params(("id" = String, Path, description = "The resource's id."), Params),
            request_body(content = ScimResourceIn, content_type = "application/scim+json"),
            responses((status = 200, description = "The resource.", body = ScimResource, content_type = "application/scim+json"), ScimErrors))]
        async fn $put(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<String>, Query(p): Query<Params>, bytes: Bytes) -> Response {
            act(st, headers, $kind, p, Act::Replace(id, bytes)).await
        }

        #[utoipa::path(patch, path = $item, tag = "SCIM", security(("scim" = [])),
            summary = concat!("Change a ", $name),
            description = "Who: the identity provider, with a SCIM token. `add`, `replace` and `remove`, with plain or filtered paths, or without a path.",
            params(("id" = String, Path, description = "The resource's id."), Params),
            request_body(content = ScimPatch, content_type = "application/scim+json"),
            responses((status = 200, description = "The resource.", body = ScimResource, content_type = "application/scim+json"), ScimErrors))]
        async fn $patch(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<String>, Query(p): Query<Params>, bytes: Bytes) -> Response {
            act(st, headers, $kind, p, Act::Patch(id, bytes)).await
        }

        #[utoipa::path(delete, path = $item, tag = "SCIM", security(("scim" = [])),
            summary = concat!("Delete a ", $name),
            description = "Who: the identity provider, with a SCIM token. A User's account is disabled, not erased: its history stays.",
            params(("id" = String, Path, description = "The resource's id.")),
            responses((status = 204, description = "Deleted."), ScimErrors))]
        async fn $delete(State(st): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
            act(st, headers, $kind, Params::default(), Act::Delete(id)).await
        }
    };
}

handlers!(
    Kind::User,
    "User",
    "/Users",
    "/Users/.search",
    "/Users/{id}",
    list_users,
    search_users,
    create_user,
    get_user,
    put_user,
    patch_user,
    delete_user
);
handlers!(
    Kind::Group,
    "Group",
    "/Groups",
    "/Groups/.search",
    "/Groups/{id}",
    list_groups,
    search_groups,
    create_group,
    get_group,
    put_group,
    patch_group,
    delete_group
);
