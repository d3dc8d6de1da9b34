//! Why an analysis could not be computed.

use flywheel_netsci::InvalidInput;

/// Why an analysis could not be computed. Front doors map each kind once: options and
/// configuration are the caller's to fix (a 400), missing or withheld data is a state of
/// the program to explain (a result that says so), and a missing intervention is a 404.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsightError {
    /// Options or configuration out of range or inconsistent (a share outside (0, 1], a
    /// stage defined twice, an unknown stage in a labelled file).
    #[error("{0}")]
    Invalid(String),
    /// The data cannot support the analysis yet: nothing imported, too few adopters or
    /// weeks to fit.
    #[error("{0}")]
    TooLittleData(String),
    /// The groups involved are below the minimum group size; the reason says which.
    #[error("{0}")]
    Withheld(String),
    /// No intervention with this id.
    #[error("no intervention with id {0}")]
    NoIntervention(i64),
}

impl From<InvalidInput> for InsightError {
    fn from(e: InvalidInput) -> InsightError {
        InsightError::Invalid(e.0)
    }
}

/// The result of an analysis.
pub type InsightResult<T> = Result<T, InsightError>;

#[cfg(test)]
mod tests {
    use super::InsightError;
    use crate::population::Population;

    /// Each kind of failure comes out as its variant, so front doors can map it without
    /// reading the message.
    #[test]
    fn failures_come_out_by_kind() {
        let empty = Population::default();
        assert!(matches!(
            crate::impact::impact(&empty, 7, 5),
            Err(InsightError::NoIntervention(7))
        ));
        assert!(matches!(
            crate::forecast::fit_bass(&[0.0; 8], 100.0),
            Err(InsightError::TooLittleData(_))
        ));
        assert!(matches!(
            crate::momentum::momentum(
                &empty,
                &crate::momentum::Options {
                    as_of: None,
                    by: crate::momentum::GroupBy::Department,
                    min_group_size: 5,
                    individuals: false,
                }
            ),
            Err(InsightError::TooLittleData(_))
        ));
        let gates = crate::gates::GateConfig { stage: vec![] };
        assert!(matches!(gates.validate(), Err(InsightError::Invalid(_))));
        assert_eq!(
            InsightError::from(flywheel_netsci::InvalidInput("k = 5".into())),
            InsightError::Invalid("k = 5".into())
        );
    }
}
