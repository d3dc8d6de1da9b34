use std::fmt;

use thiserror::Error;

/// One problem at a place in an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub source: String,
    /// 1-based line of the input (for CSV: where the record starts).
    pub line: u64,
    /// The column (header name) or field at fault, if any.
    pub field: Option<String>,
    /// The offending value, if any.
    pub value: Option<String>,
    pub message: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.line)?;
        if let Some(field) = &self.field {
            write!(f, ": column {field:?}")?;
        }
        if let Some(value) = &self.value {
            write!(f, ": value {value:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why an input could not be read. Row-level problems are collected (up to a limit) so a
/// user can fix a file in one pass.
#[derive(Debug, Error)]
pub enum IngestError {
    #[error("{source_name}: {message}")]
    Structure {
        source_name: String,
        message: String,
    },
    #[error("{} problem(s) in {}{}:\n{}",
        .total,
        .problems.first().map(|p| p.source.as_str()).unwrap_or("input"),
        if *.total > .problems.len() { format!(" (first {} shown)", .problems.len()) } else { String::new() },
        .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Rows {
        problems: Vec<Located>,
        total: usize,
    },
}

/// The most row problems kept for one error.
pub const MAX_REPORTED: usize = 50;

/// Collects row problems, keeping the first [`MAX_REPORTED`].
#[derive(Debug, Default)]
pub struct Problems {
    list: Vec<Located>,
    total: usize,
}

impl Problems {
    pub fn push(&mut self, p: Located) {
        self.total += 1;
        if self.list.len() < MAX_REPORTED {
            self.list.push(p);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn into_result<T>(self, ok: T) -> Result<T, IngestError> {
        if self.total == 0 {
            Ok(ok)
        } else {
            Err(IngestError::Rows {
                problems: self.list,
                total: self.total,
            })
        }
    }
}
