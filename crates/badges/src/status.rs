//! W3C Bitstring Status List v1.0: revocation as one bit per credential in a published,
//! signed list. Bit `i` is bit `7 - i % 8` of byte `i / 8` (index 0 is the leftmost bit);
//! the list is GZIP-compressed and written as multibase base64url (`u…`).

use std::io::{Read as _, Write as _};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// The specification's minimum list length (16 KiB of bits), which gives herd privacy: a
/// verifier fetching the list cannot tell which credential it is checking.
pub const MIN_BITS: usize = 131_072;
/// Decoded lists above this size are refused (a GZIP bomb would otherwise decompress
/// without bound).
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StatusError {
    #[error("`encodedList` is not multibase base64url (it must start with `u`)")]
    NotMultibase,
    #[error("`encodedList` is not GZIP-compressed data")]
    NotGzip,
    #[error("the decoded list is larger than {MAX_BYTES} bytes")]
    TooLarge,
    #[error("index {index} is outside the list of {len} entries")]
    OutOfRange { index: usize, len: usize },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl Default for StatusList {
    fn default() -> Self {
        Self::new(MIN_BITS)
    }
}

impl StatusList {
    pub fn new(bits: usize) -> Self {
        Self {
            bytes: vec![0; bits.max(MIN_BITS).div_ceil(8)],
        }
    }

    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn get(&self, index: usize) -> Result<bool, StatusError> {
        let byte = self.bytes.get(index / 8).ok_or(StatusError::OutOfRange {
            index,
            len: self.len(),
        })?;
        Ok(byte & (0x80 >> (index % 8)) != 0)
    }

    pub fn set(&mut self, index: usize, value: bool) -> Result<(), StatusError> {
        let len = self.len();
        let byte = self
            .bytes
            .get_mut(index / 8)
            .ok_or(StatusError::OutOfRange { index, len })?;
        if value {
            *byte |= 0x80 >> (index % 8);
        } else {
            *byte &= !(0x80 >> (index % 8));
        }
        Ok(())
    }

    pub fn encode(&self) -> String {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let compressed = gz
            .write_all(&self.bytes)
            .and_then(|()| gz.finish())
            .unwrap_or_default();
        format!("u{}", B64.encode(compressed))
    }

    pub fn decode(encoded: &str) -> Result<Self, StatusError> {
        let body = encoded.strip_prefix('u').ok_or(StatusError::NotMultibase)?;
        let compressed = B64.decode(body).map_err(|_| StatusError::NotMultibase)?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .take(MAX_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|_| StatusError::NotGzip)?;
        if bytes.len() > MAX_BYTES {
            return Err(StatusError::TooLarge);
        }
        Ok(Self { bytes })
    }
}

/// The `credentialStatus` entry of credential number `index` on the list at `list_url`.
pub fn entry(list_url: &str, index: usize) -> Value {
    json!({
        "id": format!("{list_url}#{index}"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": index.to_string(),
        "statusListCredential": list_url,
    })
}

/// The (unsigned) status list credential published at `list_url`.
pub fn list_credential(
    list_url: &str,
    issuer: &str,
    list: &StatusList,
    valid_from: DateTime<Utc>,
) -> Value {
    json!({
        "@context": [crate::ld::CREDENTIALS_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": crate::xsd_datetime(valid_from),
        "credentialSubject": {
            "id": format!("{list_url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": list.encode(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bit_order_is_the_specifications() -> Result<(), StatusError> {
        let mut list = StatusList::default();
        list.set(0, true)?;
        list.set(9, true)?;
        assert_eq!(&list.bytes[..2], &[0x80, 0x40]);
        assert_eq!(list.len(), MIN_BITS);
        assert!(matches!(
            list.set(MIN_BITS, true),
            Err(StatusError::OutOfRange { .. })
        ));
        Ok(())
    }

    #[test]
    fn bad_encodings_are_named() {
        assert_eq!(StatusList::decode("H4sI"), Err(StatusError::NotMultibase));
        assert_eq!(StatusList::decode("uAAAA"), Err(StatusError::NotGzip));
    }

    proptest! {
        #[test]
        fn lists_round_trip(set in proptest::collection::btree_set(0usize..MIN_BITS, 0..50)) {
            let mut list = StatusList::default();
            for &i in &set {
                prop_assert!(list.set(i, true).is_ok());
            }
            let decoded = StatusList::decode(&list.encode());
            prop_assert_eq!(decoded.as_ref(), Ok(&list));
            for i in (0..MIN_BITS).step_by(997).chain(set.iter().copied()) {
                prop_assert_eq!(list.get(i), Ok(set.contains(&i)));
            }
        }
    }
}
