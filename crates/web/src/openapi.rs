//! The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`.
//!
//! Generated, not written: each handler's `#[utoipa::path]` gives its operation (who may
//! call it in the description, its parameters, body, success and error responses), the
//! wire types' `ToSchema` give the schemas, and [`crate::documented`] collects exactly the
//! routes it registers. This module adds what every operation shares (the storage errors,
//! the security schemes) and states that every field of a response is always sent.
//! The integration tests validate real responses against the document.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use axum::response::IntoResponse;
use serde_json::{Map, Value};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr, Response};
use utoipa::IntoResponses;

use crate::error::ApiError;

/// The document's fixed parts; the operations are added by [`crate::documented`].
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Flywheel API",
        description = "Every endpoint takes an API token (Authorization: Bearer fw_…, from `flywheel auth token create`; every use of an admin's token is audited), a session cookie (from /login; writes then need the session's token in X-CSRF-Token) or, where an admin turned it on (`flywheel auth basic on`; off for new installs), HTTP Basic credentials (writes then must be JSON). Errors are {message, code, type, link} with the stable codes listed at /api/v1/errors. Aggregates over fewer people than the minimum group size are withheld (null, or a `suppressed` reason). Every field of a response is always sent; `null` means none. Under /scim/v2 is SCIM 2.0 provisioning (RFC 7643/7644) for the identity provider: it takes a SCIM token instead (`flywheel auth scim-token create`), answers application/scim+json with SCIM's own error messages, leaves out attributes without a value, and describes its resources itself at /scim/v2/Schemas.",
    ),
    servers((url = "/")),
    security(("bearer" = []), ("basic" = []), ("session" = [])),
    components(schemas(ApiError, crate::wire::scim::ScimError)),
)]
pub struct Base;

/// 503: the database is unreachable, which any operation may meet.
struct Unavailable;
/// 507: the database is full, which any write may meet.
struct Full;

impl IntoResponses for Unavailable {
    fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
        crate::wire::error_responses(&[503])
    }
}

impl IntoResponses for Full {
    fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
        crate::wire::error_responses(&[507])
    }
}

/// Adds what every operation shares: a description of success, the storage errors, and
/// the security schemes.
fn finish(doc: &mut Document) {
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.info.license = None;
    for (path, item) in &mut doc.paths.paths {
        let scim = path.starts_with("/scim/");
        let ops = [
            (&mut item.get, false),
            (&mut item.put, true),
            (&mut item.post, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
        ];
        for (op, writes) in ops {
            if let Some(op) = op.as_mut() {
                shared_responses(op, writes, scim);
            }
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "scim",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A SCIM token (`flywheel auth scim-token create`); it works on /scim/v2 only",
                ))
                .build(),
        ),
    );
    components.add_security_scheme(
        "basic",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
            crate::auth::SESSION_COOKIE,
        ))),
    );
}

fn shared_responses(op: &mut Operation, writes: bool, scim: bool) {
    let responses = &mut op.responses.responses;
    for r in responses.values_mut() {
        if let RefOr::T(r) = r {
            if r.description.is_empty() {
                r.description = "Success.".to_owned();
            }
        }
    }
    if scim {
        // SCIM answers its own errors, storage ones included.
        responses.extend(crate::wire::scim::scim_errors(&[(
            503,
            "the database is unavailable for now; retry",
        )]));
        if writes {
            responses.extend(crate::wire::scim::scim_errors(&[(
                507,
                "the database is full",
            )]));
        }
        return;
    }
    responses.extend(Unavailable::responses());
    if writes {
        responses.extend(Full::responses());
    }
}

/// The names of the component schemas a request body refers to, directly or through
/// other components.
fn request_schemas(doc: &Value) -> BTreeSet<String> {
    let mut todo: Vec<String> = Vec::new();
    for item in doc["paths"].as_object().into_iter().flat_map(Map::values) {
        for op in item.as_object().into_iter().flat_map(Map::values) {
            refs(&op["requestBody"], &mut todo);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            refs(&doc["components"]["schemas"][&name], &mut todo);
        }
    }
    seen
}

/// Every `$ref` to a component schema under `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    out.push(name.to_owned());
                }
            }
            m.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Lists every property of every object schema under `v` as required: responses always
/// send every field (`null` when there is none), which `ToSchema` cannot know of an
/// `Option`.
fn require_all(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = m.get("properties") {
                let all: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                m.insert("required".to_owned(), Value::Array(all));
            }
            m.values_mut().for_each(require_all);
        }
        Value::Array(a) => a.iter_mut().for_each(require_all),
        _ => {}
    }
}

fn generate() -> Value {
    let (_, mut doc) = crate::documented().split_for_parts();
    finish(&mut doc);
    let mut v = serde_json::to_value(&doc).unwrap_or(Value::Null);
    let requests = request_schemas(&v);
    if let Some(schemas) = v["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            // SCIM leaves out attributes without a value: its schemas keep their own
            // `required`.
            if !requests.contains(name) && !name.starts_with("Scim") {
                require_all(schema);
            }
        }
    }
    if let Some(paths) = v["paths"].as_object_mut() {
        for (_, item) in paths.iter_mut().filter(|(p, _)| !p.starts_with("/scim/")) {
            for op in item
                .as_object_mut()
                .into_iter()
                .flat_map(|m| m.values_mut())
            {
                require_all(&mut op["responses"]);
            }
        }
    }
    v
}

static DOCUMENT: LazyLock<Value> = LazyLock::new(generate);

/// The whole document.
pub fn document() -> Value {
    DOCUMENT.clone()
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> impl IntoResponse {
    axum::Json(DOCUMENT.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    /// Operations of the API (method and path), as the document lists them.
    fn operations(doc: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("item").keys() {
                out.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        out
    }

    #[test]
    fn the_api_router_adds_routes_only_with_their_documentation() {
        // `routes!` documents what it routes; a plain `.route` in the API would not be. The
        // only two are the documents about the API.
        let src = include_str!("lib.rs");
        let (_, api) = src
            .split_once("pub fn documented() -> OpenApiRouter<AppState> {")
            .expect("the router builds the API in documented()");
        let api = api.split("/// Serves on `listener`").next().unwrap_or("");
        let plain: Vec<&str> = api
            .split(".route(")
            .skip(1)
            .filter_map(|rest| rest.split('"').nth(1))
            .collect();
        assert_eq!(plain, ["/errors", "/openapi.json"]);
        let doc = document();
        let ops = operations(&doc);
        assert!(ops.len() >= 45, "only {} operations: {ops:?}", ops.len());
        assert!(ops.contains(&"GET /healthz".to_owned()));
        assert!(ops.contains(&"POST /api/v1/wins/{id}/verify".to_owned()));
        for op in [
            "GET /scim/v2/Users",
            "PATCH /scim/v2/Users/{id}",
            "POST /scim/v2/Groups/.search",
            "POST /scim/v2/.search",
            "GET /scim/v2/Schemas/{id}",
        ] {
            assert!(ops.contains(&op.to_owned()), "{op} is documented");
        }
    }

    #[test]
    fn every_reference_resolves_and_every_error_code_is_listed() {
        let doc = document();
        let mut names = Vec::new();
        refs(&doc, &mut names);
        assert!(names.len() > 40);
        for name in names {
            assert!(
                doc["components"]["schemas"][&name].is_object(),
                "{name} is not defined"
            );
        }
        let codes = doc["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
            .as_array()
            .expect("codes")
            .len();
        assert_eq!(codes, ErrorCode::ALL.len());
    }

    #[test]
    fn every_operation_says_who_may_call_it_and_documents_its_errors() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("item") {
                let what = format!("{method} {path}");
                let about = op["description"].as_str().unwrap_or("");
                assert!(about.starts_with("Who: "), "{what}: {about:?}");
                assert!(
                    op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                    "{what}"
                );
                let responses = op["responses"].as_object().expect("responses");
                assert!(responses.contains_key("503"), "{what}");
                assert_eq!(responses.contains_key("507"), method != "get", "{what}");
                for (status, r) in responses {
                    assert!(
                        r["description"].as_str().is_some_and(|d| !d.is_empty()),
                        "{what} {status}"
                    );
                }
            }
        }
    }

    #[test]
    fn responses_list_every_field_and_request_bodies_only_the_needed_ones() {
        let doc = document();
        let s = &doc["components"]["schemas"];
        let win_required = s["Win"]["required"].as_array().expect("Win.required");
        assert!(
            win_required.contains(&Value::from("tool")),
            "a nullable field"
        );
        let win_in = s["WinIn"]["required"].as_array().expect("WinIn.required");
        assert!(
            !win_in.contains(&Value::from("what")),
            "a field with a default"
        );
        assert!(win_in.contains(&Value::from("title")));
    }
}
