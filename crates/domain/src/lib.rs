//! Flywheel's domain model: the vocabulary of a peer-driven AI adoption program and the
//! rules that hold whatever stores or shows it.
//!
//! Invariants of this crate:
//! * No IO of any kind (no files, sockets, clocks or randomness): every function takes what
//!   it needs as arguments, so every rule is testable with plain values.
//! * No wire formats: types derive `serde` traits as a data model, but JSON/CSV/SQL shapes
//!   are decided by the crates at the edges (`ingest`, `store`, `web`).
//! * Rule violations are typed errors ([`DomainError`]), never panics.

pub mod error;
pub mod ids;
pub mod org;
pub mod org_import;
pub mod program;
pub mod schedule;
mod text;
pub mod usage;

pub use error::DomainError;
pub use ids::*;
