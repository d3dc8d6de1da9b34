//! Badges: what earns them, and the Open Badges 3.0 credentials that prove them.
//!
//! * [`keys`]: Ed25519 keys as Multikeys and `did:key`s, and offline resolution of
//!   verification methods.
//! * [`ld`]: JSON-LD to canonical N-Quads (RDFC-1.0) with bundled contexts only.
//! * [`proof`]: Data Integrity proofs, cryptosuite `eddsa-rdfc-2022`.
//! * [`jwt`]: VC-JWT (the credential as the JWS payload).
//! * [`status`]: Bitstring Status List, for revocation.
//! * [`criteria`]: what earns a badge, and the order of tiers.
//! * [`credential`]: an award as an `OpenBadgeCredential`.
//! * [`verify`]: the check-by-check verification report.
//!
//! No IO: callers pass in keys, time, randomness and what their records say.

pub mod credential;
pub mod criteria;
pub mod jwt;
pub mod keys;
pub mod ld;
pub mod proof;
pub mod status;
pub mod verify;

use chrono::{DateTime, SecondsFormat, Utc};

/// An `xsd:dateTime` in UTC to the second, as credentials write times.
pub fn xsd_datetime(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
