//! Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C VC Data Integrity
//! EdDSA Cryptosuites v1.0, §3.2): the document and the proof options are each
//! canonicalized with RDFC-1.0 and hashed with SHA-256; the Ed25519 signature is over
//! `SHA-256(canonical proof options) || SHA-256(canonical document)`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::keys::{self, IssuerKey, ResolvedMethod};
use crate::ld::{self, LdError};

pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("the credential is not a JSON object")]
    NotAnObject,
    #[error("the credential has no `proof`")]
    Missing,
    #[error("`proof.{0}` is missing or not a string")]
    Field(&'static str),
    #[error("`proof.{field}` is `{found}`; Flywheel verifies only `{expected}`")]
    Unsupported {
        field: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error("`proof.proofValue` is not a base58btc multibase Ed25519 signature")]
    BadProofValue,
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error(transparent)]
    Ld(#[from] LdError),
    #[error("the signature does not match the credential: it was changed after signing, or signed by another key")]
    BadSignature,
}

fn hash_data(proof_options: &Value, document: &Value) -> Result<Vec<u8>, LdError> {
    let mut data = Sha256::digest(ld::canonicalize(proof_options)?.as_bytes()).to_vec();
    data.extend_from_slice(&Sha256::digest(ld::canonicalize(document)?.as_bytes()));
    Ok(data)
}

/// Returns `document` with a Data Integrity proof by `key`, created at `created`.
pub fn sign(
    document: &Value,
    key: &IssuerKey,
    created: DateTime<Utc>,
) -> Result<Value, ProofError> {
    let mut unsecured = document.as_object().ok_or(ProofError::NotAnObject)?.clone();
    unsecured.remove("proof");
    let mut options = Map::new();
    options.insert("type".into(), "DataIntegrityProof".into());
    options.insert("cryptosuite".into(), CRYPTOSUITE.into());
    options.insert("created".into(), crate::xsd_datetime(created).into());
    options.insert(
        "verificationMethod".into(),
        key.public().verification_method().into(),
    );
    options.insert("proofPurpose".into(), "assertionMethod".into());
    let mut config = options.clone();
    config.insert(
        "@context".into(),
        unsecured.get("@context").cloned().unwrap_or(Value::Null),
    );
    let data = hash_data(&Value::Object(config), &Value::Object(unsecured.clone()))?;
    let signature = key.sign(&data);
    options.insert(
        "proofValue".into(),
        format!("z{}", bs58::encode(signature).into_string()).into(),
    );
    unsecured.insert("proof".into(), Value::Object(options));
    Ok(Value::Object(unsecured))
}

/// Verifies the document's Data Integrity proof; on success returns the verification
/// method that signed it (the caller checks that it belongs to the issuer).
pub fn verify(document: &Value) -> Result<ResolvedMethod, ProofError> {
    let mut unsecured = document.as_object().ok_or(ProofError::NotAnObject)?.clone();
    let proof = unsecured.remove("proof").ok_or(ProofError::Missing)?;
    // A proof set (array) is legal; Flywheel verifies credentials with one proof.
    let mut proof = proof.as_object().ok_or(ProofError::Field("type"))?.clone();
    let text = |proof: &Map<String, Value>, field: &'static str| {
        proof
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(ProofError::Field(field))
    };
    for (field, expected) in [
        ("type", "DataIntegrityProof"),
        ("cryptosuite", CRYPTOSUITE),
        ("proofPurpose", "assertionMethod"),
    ] {
        let found = text(&proof, field)?;
        if found != expected {
            return Err(ProofError::Unsupported {
                field,
                found,
                expected,
            });
        }
    }
    let method = keys::resolve(&text(&proof, "verificationMethod")?)?;
    let proof_value = text(&proof, "proofValue")?;
    proof.remove("proofValue");
    let signature = proof_value
        .strip_prefix('z')
        .and_then(|b| bs58::decode(b).into_vec().ok())
        .filter(|s| s.len() == 64)
        .ok_or(ProofError::BadProofValue)?;
    proof.insert(
        "@context".into(),
        unsecured.get("@context").cloned().unwrap_or(Value::Null),
    );
    let data = hash_data(&Value::Object(proof), &Value::Object(unsecured))?;
    if method.key.verify(&data, &signature) {
        Ok(method)
    } else {
        Err(ProofError::BadSignature)
    }
}
