//! The minimum group size: no aggregate is shown for fewer people than the program's
//! threshold (default 5), and every suppressed cell says so and why.

use serde::Serialize;

/// The default minimum group size.
pub const DEFAULT_MIN_GROUP_SIZE: usize = 5;

/// Why a cell is not shown, or `None` when `people` is enough.
pub fn suppressed(people: usize, min: usize) -> Option<String> {
    (people < min).then(|| {
        format!("suppressed: computed from fewer than {min} people (the minimum group size)")
    })
}

/// A count of people, or `None` when it is below the minimum group size: the one rule
/// every count shown goes through (the pages' tables, the digest, completion rates).
pub fn shown(people: i64, min: i64) -> Option<i64> {
    (people >= min).then_some(people)
}

/// A number computed from a group of people: the value, or the reason it is withheld.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

impl Cell {
    /// `value` computed from `people` people; withheld below `min`. A value that cannot
    /// be computed (no denominator) is `None` without a reason.
    pub fn of(value: Option<f64>, people: usize, min: usize) -> Cell {
        match suppressed(people, min) {
            Some(reason) => Cell {
                value: None,
                suppressed: Some(reason),
            },
            None => Cell {
                value,
                suppressed: None,
            },
        }
    }

    /// A ratio `num / den` where `den` counts people.
    pub fn ratio(num: usize, den: usize, min: usize) -> Cell {
        Cell::of((den > 0).then(|| num as f64 / den as f64), den, min)
    }

    /// For tables: the value as a percentage, "–" when undefined, "(suppressed)".
    pub fn percent(&self) -> String {
        match (self.value, &self.suppressed) {
            (_, Some(_)) => "(suppressed)".into(),
            (Some(v), None) => format!("{:.0}%", v * 100.0),
            (None, None) => "–".into(),
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn counts_below_the_minimum_are_withheld_at_the_boundary() {
        assert_eq!(shown(5, 5), Some(5));
        assert_eq!(shown(4, 5), None);
        assert_eq!(shown(0, 1), None);
    }

    use super::*;

    #[test]
    fn small_groups_are_withheld_with_the_reason() {
        let c = Cell::ratio(2, 4, 5);
        assert_eq!(c.value, None);
        assert!(c
            .suppressed
            .as_deref()
            .is_some_and(|r| r.contains("fewer than 5")));
        assert_eq!(c.percent(), "(suppressed)");
        let c = Cell::ratio(2, 5, 5);
        assert_eq!(c.value, Some(0.4));
        assert_eq!(c.percent(), "40%");
        assert_eq!(Cell::ratio(0, 0, 0).percent(), "–");
    }
}
