//! Ed25519 keys as Multikeys and `did:key` identifiers.
//!
//! A Multikey is the multibase (base58btc, prefix `z`) of the multicodec `ed25519-pub`
//! (0xed 0x01) followed by the 32-byte public key, so every Ed25519 key starts `z6Mk`.
//! `did:key:<multikey>` names the key itself: its DID document is derived, never fetched,
//! which is why Flywheel's issuer is a `did:key` and any verifier can check it offline.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

/// The multicodec prefix of an Ed25519 public key (`ed25519-pub`, varint 0xed).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// Why a key or verification method could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("`{0}` is not a base58btc multibase value (it must start with `z`)")]
    NotMultibase(String),
    #[error("`{0}` is not an Ed25519 Multikey (expected the ed25519-pub prefix and 32 bytes)")]
    NotEd25519(String),
    #[error("`{0}` is not a point on the Ed25519 curve")]
    BadPoint(String),
    #[error(
        "verification method `{0}` names no key Flywheel can read offline \
         (expected did:key:… or an id whose fragment is an Ed25519 Multikey)"
    )]
    Unresolvable(String),
}

/// An issuer's signing key. Generated from 32 random bytes the caller provides (this crate
/// does no IO, not even reading the system's randomness).
#[derive(Clone)]
pub struct IssuerKey {
    signing: SigningKey,
}

impl std::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "IssuerKey({})", self.public().did())
    }
}

impl IssuerKey {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// The 32-byte secret seed, for storage.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        VerifyingKey::from_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| KeyError::BadPoint(bs58::encode(bytes).into_string()))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// `z6Mk…`
    pub fn multikey(&self) -> String {
        let mut bytes = ED25519_PUB.to_vec();
        bytes.extend_from_slice(self.0.as_bytes());
        format!("z{}", bs58::encode(bytes).into_string())
    }

    pub fn from_multikey(value: &str) -> Result<Self, KeyError> {
        let body = value
            .strip_prefix('z')
            .ok_or_else(|| KeyError::NotMultibase(value.to_owned()))?;
        let bytes = bs58::decode(body)
            .into_vec()
            .map_err(|_| KeyError::NotMultibase(value.to_owned()))?;
        let key: &[u8; 32] = bytes
            .strip_prefix(&ED25519_PUB[..])
            .and_then(|rest| rest.try_into().ok())
            .ok_or_else(|| KeyError::NotEd25519(value.to_owned()))?;
        Self::from_bytes(key)
    }

    /// `did:key:z6Mk…`
    pub fn did(&self) -> String {
        format!("did:key:{}", self.multikey())
    }

    /// The key's verification method in its `did:key` document: `did:key:z6Mk…#z6Mk…`.
    pub fn verification_method(&self) -> String {
        let mk = self.multikey();
        format!("did:key:{mk}#{mk}")
    }

    /// Strict verification (rejects small-order keys and non-canonical signatures).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        self.0.verify_strict(message, &signature).is_ok()
    }

    /// The key as a Multikey verification method document (what a `did:key` resolves to,
    /// and what Flywheel serves for its issuer).
    pub fn multikey_document(&self) -> serde_json::Value {
        serde_json::json!({
            "@context": "https://w3id.org/security/multikey/v1",
            "id": self.verification_method(),
            "type": "Multikey",
            "controller": self.did(),
            "publicKeyMultibase": self.multikey(),
        })
    }
}

/// A verification method resolved offline: the key, and who controls it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedMethod {
    pub key: PublicKey,
    pub controller: String,
    /// True when the id itself proves who controls the key (`did:key`); false when the key
    /// was read from the fragment of another kind of id, which only names it.
    pub self_certifying: bool,
}

/// Resolves a verification method without the network.
///
/// * `did:key:X#X` (or `did:key:X`): the key is `X`, controlled by `did:key:X`.
/// * `<id>#X` where `X` is an Ed25519 Multikey: the key is `X`, controlled by `<id>`. This
///   is how 1EdTech's signed test vector names its key
///   (`https://example.edu/issuers/565049#z6Mk…`).
pub fn resolve(verification_method: &str) -> Result<ResolvedMethod, KeyError> {
    let unresolvable = || KeyError::Unresolvable(verification_method.to_owned());
    if let Some(rest) = verification_method.strip_prefix("did:key:") {
        let (did_key, fragment) = match rest.split_once('#') {
            Some((k, f)) => (k, Some(f)),
            None => (rest, None),
        };
        if fragment.is_some_and(|f| f != did_key) {
            return Err(unresolvable());
        }
        let key = PublicKey::from_multikey(did_key)?;
        return Ok(ResolvedMethod {
            key,
            controller: format!("did:key:{did_key}"),
            self_certifying: true,
        });
    }
    let (controller, fragment) = verification_method
        .split_once('#')
        .ok_or_else(unresolvable)?;
    if !fragment.starts_with("z6Mk") || controller.is_empty() {
        return Err(unresolvable());
    }
    Ok(ResolvedMethod {
        key: PublicKey::from_multikey(fragment)?,
        controller: controller.to_owned(),
        self_certifying: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_test_vectors_key_is_read_from_its_fragment() -> Result<(), KeyError> {
        let m = resolve(
            "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        )?;
        assert_eq!(m.controller, "https://example.edu/issuers/565049");
        assert!(!m.self_certifying);
        assert_eq!(
            m.key.multikey(),
            "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
        );
        Ok(())
    }

    #[test]
    fn bad_methods_are_named() {
        assert!(matches!(
            resolve("https://x.test/key"),
            Err(KeyError::Unresolvable(_))
        ));
        assert!(matches!(
            resolve("did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi#other"),
            Err(KeyError::Unresolvable(_))
        ));
        assert!(matches!(
            PublicKey::from_multikey("6MkjZRZ"),
            Err(KeyError::NotMultibase(_))
        ));
        // A secp256k1 multikey (0xe7 0x01) is not Ed25519.
        let mut k = vec![0xe7, 0x01];
        k.extend([1u8; 33]);
        let mk = format!("z{}", bs58::encode(k).into_string());
        assert!(matches!(
            PublicKey::from_multikey(&mk),
            Err(KeyError::NotEd25519(_))
        ));
    }

    proptest! {
        #[test]
        fn multikeys_and_did_keys_round_trip(seed in any::<[u8; 32]>(), msg in any::<Vec<u8>>()) {
            let key = IssuerKey::from_seed(seed);
            let public = key.public();
            prop_assert!(public.multikey().starts_with("z6Mk"));
            prop_assert_eq!(PublicKey::from_multikey(&public.multikey()), Ok(public));
            let resolved = resolve(&public.verification_method());
            prop_assert_eq!(resolved.as_ref().map(|m| m.key), Ok(public));
            prop_assert_eq!(resolved.map(|m| m.controller), Ok(public.did()));
            let sig = key.sign(&msg);
            prop_assert!(public.verify(&msg, &sig));
            let mut bad = sig;
            bad[7] ^= 1;
            prop_assert!(!public.verify(&msg, &bad));
            prop_assert_eq!(IssuerKey::from_seed(key.seed()).public(), public);
        }
    }
}
