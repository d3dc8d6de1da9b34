//! The one error type of the application layer. Every front door maps it once: `web` to
//! the API's stable codes (`web::error`), the binary to a message and an exit code.

use flywheel_badges::criteria::Unmet;
use flywheel_policy::PolicyError;
use flywheel_store::StoreError;

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The database refused or failed (its own classes: not found, conflict, full…).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The caller's account is not linked to a person of the org chart, and the use case
    /// needs one.
    #[error("your account is not linked to a person in the org chart; ask an admin to link it")]
    NotLinked,
    /// The input is wrong; the message names what and why.
    #[error("{0}")]
    Invalid(String),
    /// A policy set does not parse or validate.
    #[error("{0}")]
    InvalidPolicy(String),
    /// A badge's criteria are not met yet.
    #[error("not earned yet: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    NotEarned(Vec<Unmet>),
    /// The state of a record refuses the change (a campaign that ended, a request decided).
    #[error("{0}")]
    Conflict(String),
    /// An analysis could not be computed (bad options, too little data, groups below the
    /// minimum size, no such intervention).
    #[error(transparent)]
    Analysis(#[from] flywheel_insights::InsightError),
    /// A source could not be read, or some of its records are wrong; the message locates
    /// each (file, line or record, field).
    #[error(transparent)]
    Read(#[from] flywheel_ingest::error::IngestError),
    /// A SCIM request is wrong or names nothing (SCIM's own status and `scimType`).
    #[error(transparent)]
    Scim(#[from] flywheel_scim::ScimError),
    /// A fault of ours; the message is for the log, not for the caller.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// Whether the database is full or unavailable (the CLI's exit codes 74 and 75).
    pub fn store(&self) -> Option<&StoreError> {
        match self {
            AppError::Store(e) => Some(e),
            _ => None,
        }
    }
}

impl From<flywheel_domain::DomainError> for AppError {
    fn from(e: flywheel_domain::DomainError) -> Self {
        AppError::Store(StoreError::Domain(e))
    }
}

impl From<PolicyError> for AppError {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::UnknownTool { .. } | PolicyError::Domain(_) => {
                AppError::Invalid(e.to_string())
            }
            PolicyError::Parse(_) | PolicyError::Invalid(_) => {
                AppError::InvalidPolicy(e.to_string())
            }
            PolicyError::Internal(m) => AppError::Internal(format!("policy evaluation: {m}")),
        }
    }
}

/// The result of a use case.
pub type AppResult<T> = Result<T, AppError>;
