//! SCIM 2.0 (RFC 7643 and 7644) for Flywheel's provisioning endpoint, on JSON values and
//! pure: the schemas Flywheel serves ([`schema`]), a resource as stored and as served with
//! `attributes`/`excludedAttributes` ([`doc`]), filters ([`filter`]) and PATCH ([`patch`]).
//! What provisioning *does* (accounts, people, roles) is the application layer's; the
//! HTTP is `web::scim`.
//!
//! Written here rather than taken from a crate: the SCIM crates on crates.io model fixed
//! structs (they drop or refuse what identity providers actually send) or are
//! unmaintained; the parts Flywheel needs are a small grammar and a JSON walk, and are
//! tested against `scim2-tester`, the reference compliance checker.

pub mod doc;
pub mod filter;
pub mod patch;
pub mod schema;

use serde_json::{json, Value};

/// A SCIM error (RFC 7644 §3.12): an HTTP status, a `scimType` for 400s and 409s, and a
/// sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    fn bad(kind: &'static str, detail: impl Into<String>) -> ScimError {
        ScimError {
            status: 400,
            scim_type: Some(kind),
            detail: detail.into(),
        }
    }

    pub fn invalid_filter(d: impl Into<String>) -> ScimError {
        ScimError::bad("invalidFilter", d)
    }

    pub fn invalid_syntax(d: impl Into<String>) -> ScimError {
        ScimError::bad("invalidSyntax", d)
    }

    pub fn invalid_path(d: impl Into<String>) -> ScimError {
        ScimError::bad("invalidPath", d)
    }

    pub fn invalid_value(d: impl Into<String>) -> ScimError {
        ScimError::bad("invalidValue", d)
    }

    pub fn no_target(d: impl Into<String>) -> ScimError {
        ScimError::bad("noTarget", d)
    }

    pub fn mutability(d: impl Into<String>) -> ScimError {
        ScimError::bad("mutability", d)
    }

    pub fn too_many(d: impl Into<String>) -> ScimError {
        ScimError::bad("tooMany", d)
    }

    pub fn uniqueness(d: impl Into<String>) -> ScimError {
        ScimError {
            status: 409,
            scim_type: Some("uniqueness"),
            detail: d.into(),
        }
    }

    pub fn status(status: u16, d: impl Into<String>) -> ScimError {
        ScimError {
            status,
            scim_type: None,
            detail: d.into(),
        }
    }

    /// The error as a SCIM `Error` message.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "schemas": [schema::ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            v["scimType"] = json!(t);
        }
        v
    }
}
