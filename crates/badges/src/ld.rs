//! JSON-LD to canonical N-Quads (RDFC-1.0) with the bundled contexts only.

use std::collections::BTreeSet;
use std::sync::Arc;

use json_syntax::Parse as _;
use sophia_api::quad::Spog;
use sophia_api::source::QuadSource as _;
use sophia_api::term::SimpleTerm;
use sophia_jsonld::loader::{FutureExt as _, StaticLoader};
use sophia_jsonld::vocabulary::ArcIri;
use sophia_jsonld::{JsonLdOptions, JsonLdParser};

pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
pub const OB_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// The contexts Flywheel knows, by URL. Nothing else is ever loaded.
pub const CONTEXTS: [(&str, &str); 2] = [
    (
        CREDENTIALS_V2,
        include_str!("../contexts/credentials-v2.jsonld"),
    ),
    (OB_V3, include_str!("../contexts/ob-context-3.0.3.json")),
];

/// The context list Flywheel's credentials carry.
pub fn credential_context() -> serde_json::Value {
    serde_json::json!([CREDENTIALS_V2, OB_V3])
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LdError {
    #[error("`@context` names `{0}`, which is not one of the contexts Flywheel bundles ({known})", known = CONTEXTS.map(|c| c.0).join(", "))]
    UnknownContext(String),
    #[error("the document has no `@context` list of URLs")]
    NoContext,
    #[error("JSON-LD processing failed: {0}")]
    Processing(String),
    #[error("RDF canonicalization failed: {0}")]
    Canonicalization(String),
}

fn loader() -> Result<StaticLoader<ArcIri, locspan::Span>, LdError> {
    let mut loader = StaticLoader::new();
    for (url, text) in CONTEXTS {
        let iri = ArcIri::new_unchecked(Arc::from(url));
        let value =
            json_syntax::Value::parse_str(text, |span| locspan::Location::new(iri.clone(), span))
                .map_err(|e| LdError::Processing(format!("bundled context {url}: {e}")))?;
        loader = loader.with(iri, value);
    }
    Ok(loader)
}

/// Checks that every context the document names (at the top level) is bundled, so that an
/// unknown context is reported by name rather than as a loader failure deep in expansion.
fn check_contexts(doc: &serde_json::Value) -> Result<(), LdError> {
    let ctx = doc.get("@context").ok_or(LdError::NoContext)?;
    let urls: Vec<&serde_json::Value> = match ctx {
        serde_json::Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for url in urls {
        let Some(url) = url.as_str() else {
            // Embedded context objects are legal JSON-LD, but a credential's contexts must
            // be the published ones every verifier shares.
            return Err(LdError::UnknownContext("an embedded context object".into()));
        };
        if !CONTEXTS.iter().any(|(known, _)| *known == url) {
            return Err(LdError::UnknownContext(url.to_owned()));
        }
    }
    Ok(())
}

/// The document's RDF dataset, canonicalized with RDFC-1.0 and serialized as N-Quads.
pub fn canonicalize(doc: &serde_json::Value) -> Result<String, LdError> {
    check_contexts(doc)?;
    let options = JsonLdOptions::new()
        .with_document_loader(loader()?)
        // Keys that expand to nothing are an error, not silently unsigned data (the
        // "safe mode" of jsonld.js).
        .with_expansion_policy(json_ld::expansion::Policy::Strictest);
    let parser = JsonLdParser::new_with_options(options);
    let text = doc.to_string();
    // The parser is async only because loaders may be; ours answers from memory, so the
    // future is ready on its first poll. (Its sync `parse_str` starts a tokio runtime,
    // which panics inside the server's.)
    let source = parser
        .async_parse_str(&text)
        .now_or_never()
        .ok_or_else(|| LdError::Processing("a context load did not complete".into()))?;
    let dataset: BTreeSet<Spog<SimpleTerm<'static>>> = source
        .collect_quads()
        .map_err(|e| LdError::Processing(e.to_string()))?;
    let mut out = Vec::new();
    sophia_c14n::rdfc10::normalize(&dataset, &mut out)
        .map_err(|e| LdError::Canonicalization(e.to_string()))?;
    String::from_utf8(out).map_err(|e| LdError::Canonicalization(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn bundled_contexts_are_the_pinned_documents() {
        let digests: Vec<String> = CONTEXTS
            .iter()
            .map(|(_, text)| {
                Sha256::digest(text.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect()
            })
            .collect();
        assert_eq!(
            digests,
            [
                "8a9f494a89ecc51db093e90e84713e07e84d6d9204364a9b3c7868b21751236f",
                "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761"
            ]
        );
    }

    #[test]
    fn unknown_contexts_are_refused_by_name() {
        let doc = serde_json::json!({"@context": [CREDENTIALS_V2, "https://evil.test/ctx"], "id": "urn:x"});
        assert_eq!(
            canonicalize(&doc),
            Err(LdError::UnknownContext("https://evil.test/ctx".into()))
        );
        assert_eq!(
            canonicalize(&serde_json::json!({"id": "urn:x"})),
            Err(LdError::NoContext)
        );
    }

    #[test]
    fn blank_nodes_get_canonical_labels_whatever_the_key_order() -> Result<(), LdError> {
        let a = serde_json::json!({
            "@context": [CREDENTIALS_V2],
            "id": "urn:a", "type": ["VerifiableCredential"],
            "issuer": "did:example:1", "validFrom": "2020-01-01T00:00:00Z",
            "credentialSubject": {"name": "x", "description": "y"}
        });
        let b = serde_json::json!({
            "credentialSubject": {"description": "y", "name": "x"},
            "validFrom": "2020-01-01T00:00:00Z", "issuer": "did:example:1",
            "type": ["VerifiableCredential"], "id": "urn:a",
            "@context": [CREDENTIALS_V2]
        });
        let ca = canonicalize(&a)?;
        assert_eq!(ca, canonicalize(&b)?);
        assert!(
            ca.contains("_:c14n0 <https://schema.org/name> \"x\" ."),
            "{ca}"
        );
        Ok(())
    }
}
