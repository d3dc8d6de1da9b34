//! SCIM's messages as the OpenAPI document describes them. A resource's attributes are
//! SCIM's to describe (`GET /scim/v2/Schemas`, RFC 7643); here are the envelope and what
//! every resource carries. SCIM omits attributes that have no value, so these schemas are
//! left out of the "every field is always sent" rule of the JSON API.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::IntoResponses;

use crate::scim::MEDIA;

/// A User or Group as served: `schemas`, `id` and `meta`, and the attributes
/// `GET /scim/v2/Schemas` describes (`userName`, `emails`, `active`, the enterprise
/// extension; `displayName`, `members`). Absent attributes are left out.
#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct ScimResource {
    pub schemas: Vec<String>,
    pub id: String,
    pub meta: ScimMeta,
}

/// What the server keeps about a resource.
#[derive(utoipa::ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimMeta {
    /// `User` or `Group`.
    pub resource_type: String,
    pub created: String,
    pub last_modified: String,
    pub location: String,
    pub version: String,
}

/// A User or Group as a client sends it (attributes per `GET /scim/v2/Schemas`; unknown
/// and read-only attributes are ignored).
#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct ScimResourceIn {
    pub schemas: Option<Vec<String>>,
}

/// A page of resources.
#[derive(utoipa::ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimList {
    pub schemas: Vec<String>,
    pub total_results: u64,
    pub start_index: u64,
    pub items_per_page: u64,
    #[serde(rename = "Resources")]
    pub resources: Vec<ScimResource>,
}

/// A PATCH request (RFC 7644 §3.5.2).
#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct ScimPatch {
    pub schemas: Option<Vec<String>>,
    #[serde(rename = "Operations")]
    pub operations: Vec<ScimOperation>,
}

/// One PATCH operation.
#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct ScimOperation {
    /// `add`, `replace` or `remove` (any case).
    pub op: String,
    /// An attribute path, possibly with a filter: `members[value eq "…"]`.
    pub path: Option<String>,
    #[schema(value_type = Object)]
    pub value: Option<serde_json::Value>,
}

/// A search (`POST …/.search`).
#[derive(utoipa::ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimSearch {
    pub filter: Option<String>,
    pub start_index: Option<u64>,
    pub count: Option<u64>,
    pub attributes: Option<Vec<String>>,
    pub excluded_attributes: Option<Vec<String>>,
}

/// A discovery document (`ServiceProviderConfig`, a `ResourceType`, a `Schema`, or a
/// ListResponse of them), as RFC 7643 §5–7 define them.
#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct ScimDocument {
    pub schemas: Vec<String>,
}

/// A SCIM error (RFC 7644 §3.12).
#[derive(utoipa::ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimError {
    pub schemas: Vec<String>,
    /// The HTTP status, as a string.
    pub status: String,
    /// `invalidFilter`, `invalidSyntax`, `invalidPath`, `invalidValue`, `noTarget`,
    /// `mutability`, `uniqueness`, `tooMany`; absent when the status says it all.
    pub scim_type: Option<String>,
    pub detail: String,
}

/// SCIM error responses with `statuses`.
pub(crate) fn scim_errors(statuses: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    statuses
        .iter()
        .map(|(s, what)| {
            let response = ResponseBuilder::new()
                .description(format!("A SCIM error: {what}."))
                .content(
                    MEDIA,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ScimError")))
                        .build(),
                )
                .build();
            (s.to_string(), RefOr::T(response))
        })
        .collect()
}

/// The errors of an operation on a resource: a request SCIM refuses, no or a wrong token,
/// no such resource, a name taken.
pub struct ScimErrors;

impl IntoResponses for ScimErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        scim_errors(&[
            (400, "the request is malformed (scimType says how)"),
            (
                401,
                "no SCIM token, or an unknown, expired, revoked or API token",
            ),
            (404, "no such resource"),
            (409, "the userName or displayName is taken (uniqueness)"),
        ])
    }
}

/// The errors of a discovery endpoint.
pub struct ScimMissing;

impl IntoResponses for ScimMissing {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        scim_errors(&[(404, "no such resource type or schema")])
    }
}
