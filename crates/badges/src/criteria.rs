//! What earns a badge: courses completed, a win verified by someone else (demonstrated
//! practice), and other badges held first (tiers). Pure: the caller gathers the facts.

use std::collections::{BTreeMap, BTreeSet};

/// A badge class's criteria.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Criteria {
    pub courses: Vec<String>,
    /// How many distinct wins, each verified by someone other than its author.
    pub wins: usize,
    /// Badge slugs that must be held first.
    pub requires: Vec<String>,
}

/// What is known of one person.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub completed_courses: BTreeSet<String>,
    /// Ids of the person's wins verified by someone else, oldest first.
    pub verified_wins: Vec<i64>,
    /// Badge slugs currently held.
    pub held: BTreeSet<String>,
}

/// A criterion not yet met, as a person reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unmet {
    Course(String),
    VerifiedWins { needed: usize, have: usize },
    Badge(String),
}

impl std::fmt::Display for Unmet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unmet::Course(c) => write!(f, "complete the course `{c}`"),
            Unmet::VerifiedWins { needed, have } => write!(
                f,
                "have {needed} win{} verified by a champion or a peer, not yourself ({have} so far)",
                if *needed == 1 { "" } else { "s" }
            ),
            Unmet::Badge(b) => write!(f, "hold the badge `{b}` first"),
        }
    }
}

/// Whether `facts` meet `criteria`: `Ok` with the wins that serve as evidence (as many as
/// the badge asks for), or every unmet criterion. A badge with no criteria at all is never
/// earned (it would be a badge for nothing).
pub fn evaluate(criteria: &Criteria, facts: &Facts) -> Result<Vec<i64>, Vec<Unmet>> {
    let mut unmet: Vec<Unmet> = criteria
        .courses
        .iter()
        .filter(|c| !facts.completed_courses.contains(*c))
        .map(|c| Unmet::Course(c.clone()))
        .collect();
    let have = facts.verified_wins.len();
    if have < criteria.wins {
        unmet.push(Unmet::VerifiedWins {
            needed: criteria.wins,
            have,
        });
    }
    unmet.extend(
        criteria
            .requires
            .iter()
            .filter(|b| !facts.held.contains(*b))
            .map(|b| Unmet::Badge(b.clone())),
    );
    if criteria.courses.is_empty() && criteria.wins == 0 && criteria.requires.is_empty() {
        unmet.push(Unmet::VerifiedWins { needed: 1, have });
    }
    if unmet.is_empty() {
        Ok(facts.verified_wins[..criteria.wins].to_vec())
    } else {
        Err(unmet)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("badge `{badge}` requires `{missing}`, which is not a badge")]
    UnknownBadge { badge: String, missing: String },
    #[error("badges require each other in a circle: {0}")]
    Cycle(String),
}

/// The badge slugs in an order where every badge comes after those it requires (so one
/// pass of awarding in this order reaches every tier), or the circle that prevents it.
pub fn tier_order(requires: &BTreeMap<String, Vec<String>>) -> Result<Vec<String>, CatalogError> {
    for (badge, reqs) in requires {
        if let Some(missing) = reqs.iter().find(|r| !requires.contains_key(*r)) {
            return Err(CatalogError::UnknownBadge {
                badge: badge.clone(),
                missing: missing.clone(),
            });
        }
    }
    // Depth-first, with the path kept to name a circle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit(
        b: &str,
        requires: &BTreeMap<String, Vec<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
        out: &mut Vec<String>,
    ) -> Result<(), CatalogError> {
        match marks.get(b) {
            Some(Mark::Done) => return Ok(()),
            Some(Mark::Visiting) => {
                let start = path.iter().position(|p| p == b).unwrap_or(0);
                let mut circle = path[start..].to_vec();
                circle.push(b.to_owned());
                return Err(CatalogError::Cycle(circle.join(" → ")));
            }
            None => {}
        }
        marks.insert(b.to_owned(), Mark::Visiting);
        path.push(b.to_owned());
        for r in requires.get(b).into_iter().flatten() {
            visit(r, requires, marks, path, out)?;
        }
        path.pop();
        marks.insert(b.to_owned(), Mark::Done);
        out.push(b.to_owned());
        Ok(())
    }
    let mut marks = BTreeMap::new();
    let mut out = Vec::new();
    for b in requires.keys() {
        visit(b, requires, &mut marks, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts(courses: &[&str], wins: &[i64], held: &[&str]) -> Facts {
        Facts {
            completed_courses: courses.iter().map(ToString::to_string).collect(),
            verified_wins: wins.to_vec(),
            held: held.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn every_unmet_criterion_is_listed() {
        let c = Criteria {
            courses: vec!["basics".into(), "prompting".into()],
            wins: 2,
            requires: vec!["explorer".into()],
        };
        assert_eq!(
            evaluate(&c, &facts(&["basics"], &[3], &[])),
            Err(vec![
                Unmet::Course("prompting".into()),
                Unmet::VerifiedWins { needed: 2, have: 1 },
                Unmet::Badge("explorer".into())
            ])
        );
        assert_eq!(
            evaluate(
                &c,
                &facts(&["basics", "prompting"], &[4, 9, 11], &["explorer"])
            ),
            Ok(vec![4, 9])
        );
        let course_only = Criteria {
            courses: vec!["basics".into()],
            ..Criteria::default()
        };
        assert_eq!(
            evaluate(&course_only, &facts(&["basics"], &[4], &[])),
            Ok(vec![])
        );
        assert!(evaluate(&Criteria::default(), &facts(&["basics"], &[4], &["x"])).is_err());
    }

    #[test]
    fn circles_and_unknown_badges_are_named() {
        let map = |pairs: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
            pairs
                .iter()
                .map(|(b, r)| (b.to_string(), r.iter().map(ToString::to_string).collect()))
                .collect()
        };
        assert_eq!(
            tier_order(&map(&[
                ("builder", &["practitioner"]),
                ("practitioner", &["explorer"]),
                ("explorer", &[])
            ])),
            Ok(vec![
                "explorer".into(),
                "practitioner".into(),
                "builder".into()
            ])
        );
        assert_eq!(
            tier_order(&map(&[("a", &["b"]), ("b", &["a"])])),
            Err(CatalogError::Cycle("a → b → a".into()))
        );
        assert!(matches!(
            tier_order(&map(&[("a", &["ghost"])])),
            Err(CatalogError::UnknownBadge { .. })
        ));
    }

    proptest! {
        /// On random DAGs (edges only from higher to lower numbers), the order puts every
        /// badge after all it requires, and contains each badge once.
        #[test]
        fn tier_order_respects_every_requirement(edges in proptest::collection::vec((0usize..12, 0usize..12), 0..40)) {
            let mut requires: BTreeMap<String, Vec<String>> =
                (0..12).map(|i| (format!("b{i:02}"), Vec::new())).collect();
            for (a, b) in edges {
                if a > b {
                    requires.entry(format!("b{a:02}")).or_default().push(format!("b{b:02}"));
                }
            }
            let order = tier_order(&requires);
            prop_assert!(order.is_ok());
            let order = order.unwrap_or_default();
            prop_assert_eq!(order.len(), 12);
            let pos: BTreeMap<&String, usize> = order.iter().enumerate().map(|(i, b)| (b, i)).collect();
            for (b, reqs) in &requires {
                for r in reqs {
                    prop_assert!(pos[r] < pos[b]);
                }
            }
        }
    }
}
