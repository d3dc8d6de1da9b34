//! VC-JWT: the credential itself as the payload of a compact JWS signed with EdDSA
//! (VC-JOSE-COSE for the VC data model 2.0, as Open Badges 3.0 requires; not under a `vc`
//! claim). Written by hand because it is three base64url parts and one Ed25519 signature:
//! the JWT crates want DER-encoded keys and do not let the header's `typ` and `kid` be
//! checked the way a verifiable credential needs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::keys::{self, IssuerKey, ResolvedMethod};

pub const TYP: &str = "vc+jwt";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("a VC-JWT has three base64url parts separated by dots")]
    Shape,
    #[error("the JWT {0} is not base64url-encoded JSON")]
    Encoding(&'static str),
    #[error("the JWT header's `{field}` is {found}; expected {expected}")]
    Header {
        field: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error("the JWT signature does not match: the token was changed after signing, or signed by another key")]
    BadSignature,
    #[error("the credential is not a JSON object")]
    NotAnObject,
}

/// Signs the credential (any `proof` removed) as a VC-JWT.
pub fn sign(credential: &Value, key: &IssuerKey) -> Result<String, JwtError> {
    let mut payload = credential.as_object().ok_or(JwtError::NotAnObject)?.clone();
    payload.remove("proof");
    let header = json!({
        "alg": "EdDSA",
        "typ": TYP,
        "cty": "vc",
        "kid": key.public().verification_method(),
    });
    let signing_input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(Value::Object(payload).to_string())
    );
    let signature = key.sign(signing_input.as_bytes());
    Ok(format!("{signing_input}.{}", B64.encode(signature)))
}

/// A verified token's parts.
#[derive(Debug)]
pub struct Verified {
    pub credential: Map<String, Value>,
    pub method: ResolvedMethod,
}

fn decode(part: &str, what: &'static str) -> Result<Map<String, Value>, JwtError> {
    let bytes = B64.decode(part).map_err(|_| JwtError::Encoding(what))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Encoding(what)),
    }
}

/// Reads the credential out of a token without checking anything (for reporting what a
/// failed token claimed).
pub fn peek(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.trim().split('.');
    let _ = parts.next()?;
    decode(parts.next()?, "payload").ok()
}

pub fn verify(token: &str) -> Result<Verified, JwtError> {
    let token = token.trim();
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err(JwtError::Shape);
    };
    let header_json = decode(header, "header")?;
    let field = |name: &'static str| header_json.get(name).and_then(Value::as_str);
    if field("alg") != Some("EdDSA") {
        return Err(JwtError::Header {
            field: "alg",
            found: format!("{:?}", header_json.get("alg")),
            expected: "\"EdDSA\"",
        });
    }
    let kid = field("kid").ok_or(JwtError::Header {
        field: "kid",
        found: "missing".into(),
        expected: "the signing key's verification method",
    })?;
    let method = keys::resolve(kid)?;
    let signature = B64
        .decode(signature)
        .map_err(|_| JwtError::Encoding("signature"))?;
    let signing_input = &token[..header.len() + 1 + payload.len()];
    if !method.key.verify(signing_input.as_bytes(), &signature) {
        return Err(JwtError::BadSignature);
    }
    Ok(Verified {
        credential: decode(payload, "payload")?,
        method,
    })
}
