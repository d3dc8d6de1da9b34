//! Flywheel's analytics: pure functions from data to results, each result carrying what it
//! was computed from. No IO, no SQL, no wire formats.

pub mod champions;
mod chat_text;
mod error;
pub mod forecast;
pub mod gates;
pub mod impact;
pub mod momentum;
pub mod plan;
pub mod population;
pub mod privacy;
pub mod questions;
pub mod waves;
pub mod wins;

pub use error::{InsightError, InsightResult};
