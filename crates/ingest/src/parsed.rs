//! What one source row of a usage export yields.

use flywheel_domain::usage::{AccessRecord, UsageRecord};

/// The records one row of a usage export yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub usage: Vec<UsageRecord>,
    /// A licence or seat the row shows.
    pub access: Option<AccessRecord>,
    /// Why the row was read but not kept (counted in the import's summary).
    pub skipped: Option<&'static str>,
}

impl From<UsageRecord> for Parsed {
    fn from(r: UsageRecord) -> Self {
        Parsed {
            usage: vec![r],
            ..Default::default()
        }
    }
}

/// Whether an identifier is a Microsoft 365 concealed name: 32 hexadecimal digits.
pub fn is_concealed(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reason recorded for rows whose user names are concealed.
pub const CONCEALED: &str = "concealed user names (32-hex hashes) cannot be joined to people; turn off concealment in the Microsoft 365 admin center to use them";
