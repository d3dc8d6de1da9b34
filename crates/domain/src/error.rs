use chrono::NaiveDate;
use thiserror::Error;

/// A rule of the domain that a value breaks. Every variant says which rule and which values.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DomainError {
    #[error("person {0} cannot be their own manager")]
    SelfManaged(String),
    #[error("manager cycle: {}", .0.join(" -> "))]
    ManagerCycle(Vec<String>),
    #[error("{what} must be positive (got {value})")]
    NotPositive { what: &'static str, value: f64 },
    #[error("{what}: end {end} is before start {start}")]
    EndBeforeStart {
        what: &'static str,
        start: NaiveDate,
        end: NaiveDate,
    },
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} cannot go from {from} to {to}")]
    InvalidTransition {
        what: &'static str,
        from: &'static str,
        to: &'static str,
    },
    #[error("{what}: {value:?} is not one of {allowed}")]
    UnknownValue {
        what: &'static str,
        value: String,
        allowed: &'static str,
    },
    #[error("{0} cannot verify their own demonstration")]
    SelfVerification(String),
}
