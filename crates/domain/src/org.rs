//! People, their identities, the organisation tree, sites and the manager relation.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{DomainError, PersonId, SiteId, UnitId};

/// Which outside system an identifier comes from. Identity resolution (matching usage and
/// chat exports to people) works on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// Employee id in the HR system: the key of org-chart imports.
    Hris,
    /// Work email or user principal name (matched case-insensitively).
    Email,
    /// Slack member id (`U…`/`W…`).
    Slack,
    /// GitHub login (matched case-insensitively).
    Github,
}

impl IdentityKind {
    pub const ALL: [IdentityKind; 4] = [Self::Hris, Self::Email, Self::Slack, Self::Github];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hris => "hris",
            Self::Email => "email",
            Self::Slack => "slack",
            Self::Github => "github",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::UnknownValue {
                what: "identity kind",
                value: s.to_owned(),
                allowed: "hris, email, slack, github",
            })
    }

    /// The form under which values of this kind are compared: emails and GitHub logins are
    /// case-insensitive, HRIS and Slack ids are exact.
    pub fn normalize(self, value: &str) -> String {
        let v = value.trim();
        match self {
            Self::Email | Self::Github => v.to_lowercase(),
            Self::Hris | Self::Slack => v.to_owned(),
        }
    }
}

/// An identifier of a person in an outside system.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExternalIdentity {
    pub kind: IdentityKind,
    pub value: String,
}

/// A person as Flywheel knows them now. History (who was where when) is kept as
/// [`Assignment`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub hris_id: Option<String>,
    pub display_name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    pub unit: Option<UnitId>,
    pub site: Option<SiteId>,
    pub manager: Option<PersonId>,
    pub hire_date: Option<NaiveDate>,
    /// `None` while employed; the date the person left otherwise.
    pub left_on: Option<NaiveDate>,
}

/// The kind of a node of the organisation tree, from the root down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    Division,
    Department,
    Team,
}

impl UnitKind {
    /// Units imported as paths get their kind from their depth: a one-level path is a
    /// department, deeper levels are teams.
    pub fn for_depth(depth: usize) -> Self {
        if depth == 0 {
            Self::Department
        } else {
            Self::Team
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Division => "division",
            Self::Department => "department",
            Self::Team => "team",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "division" => Ok(Self::Division),
            "department" => Ok(Self::Department),
            "team" => Ok(Self::Team),
            _ => Err(DomainError::UnknownValue {
                what: "unit kind",
                value: s.to_owned(),
                allowed: "division, department, team",
            }),
        }
    }
}

/// A node of the organisation tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: UnitId,
    pub name: String,
    /// The full path from the root, segments joined by `" > "`; unique.
    pub path: String,
    pub parent: Option<UnitId>,
    pub kind: UnitKind,
}

/// The separator between the segments of a unit path.
pub const UNIT_PATH_SEPARATOR: &str = " > ";

/// Splits a unit path ("Engineering > Platform") into trimmed, non-empty segments.
pub fn unit_path_segments(path: &str) -> Vec<&str> {
    path.split('>')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Joins segments into the canonical path form.
pub fn unit_path(segments: &[&str]) -> String {
    segments.join(UNIT_PATH_SEPARATOR)
}

/// A physical site or office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub id: SiteId,
    pub name: String,
    pub country: Option<String>,
}

/// One period of a person's position: unit, site, manager and title, from `valid_from`
/// until `valid_to` (exclusive; `None` while current).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub person: PersonId,
    pub unit: Option<UnitId>,
    pub site: Option<SiteId>,
    pub manager: Option<PersonId>,
    pub title: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// The problems of a manager relation given as `person -> manager` by external keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagerCheck {
    /// Each cycle once, as the people on it in manager order, starting at the smallest key.
    /// A person who manages themself is a cycle of one.
    pub cycles: Vec<Vec<String>>,
    /// `(person, manager)` pairs whose manager is not among the people.
    pub dangling: Vec<(String, String)>,
}

impl ManagerCheck {
    pub fn is_clean(&self) -> bool {
        self.cycles.is_empty() && self.dangling.is_empty()
    }

    /// The first problem as a typed error, if any.
    pub fn first_error(&self) -> Option<DomainError> {
        self.cycles.first().map(|c| {
            if c.len() == 1 {
                DomainError::SelfManaged(c[0].clone())
            } else {
                let mut path = c.clone();
                path.push(c[0].clone());
                DomainError::ManagerCycle(path)
            }
        })
    }

    /// Whether the link `person -> manager` is part of a cycle or dangling: such links are
    /// flagged and not stored as a manager.
    pub fn link_is_broken(&self, person: &str) -> bool {
        self.cycles.iter().any(|c| c.iter().any(|p| p == person))
            || self.dangling.iter().any(|(p, _)| p == person)
    }
}

/// Finds every manager cycle and every dangling manager reference.
///
/// Each person has at most one manager, so the relation is a functional graph and every
/// cycle is found by one walk up from each unvisited person, marking the walk: O(n).
pub fn check_managers<'a, I>(links: I) -> ManagerCheck
where
    I: IntoIterator<Item = (&'a str, Option<&'a str>)>,
{
    let links: Vec<(&str, Option<&str>)> = links.into_iter().collect();
    let index: HashMap<&str, usize> = links
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (*p, i))
        .collect();
    let mut check = ManagerCheck::default();
    let mut next: Vec<Option<usize>> = Vec::with_capacity(links.len());
    for (person, manager) in &links {
        match manager {
            None => next.push(None),
            Some(m) => match index.get(m) {
                Some(&j) => next.push(Some(j)),
                None => {
                    check.dangling.push(((*person).to_owned(), (*m).to_owned()));
                    next.push(None);
                }
            },
        }
    }
    // 0 = unvisited, 1 = on the current walk, 2 = done.
    let mut state = vec![0u8; links.len()];
    let mut walk = Vec::new();
    for start in 0..links.len() {
        if state[start] != 0 {
            continue;
        }
        walk.clear();
        let mut cur = Some(start);
        while let Some(i) = cur {
            match state[i] {
                0 => {
                    state[i] = 1;
                    walk.push(i);
                    cur = next[i];
                }
                1 => {
                    // Closed a new cycle: it is the part of the walk from `i` on.
                    let pos = walk.iter().position(|&w| w == i).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        walk[pos..].iter().map(|&w| links[w].0.to_owned()).collect();
                    let min = (0..cycle.len())
                        .min_by(|&a, &b| cycle[a].cmp(&cycle[b]))
                        .unwrap_or(0);
                    cycle.rotate_left(min);
                    check.cycles.push(cycle);
                    break;
                }
                _ => break,
            }
        }
        for &w in &walk {
            state[w] = 2;
        }
    }
    check.cycles.sort();
    check.dangling.sort();
    check
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(links: &[(&str, Option<&str>)]) -> ManagerCheck {
        check_managers(links.iter().copied())
    }

    #[test]
    fn tree_is_clean() {
        let c = check(&[
            ("a", None),
            ("b", Some("a")),
            ("c", Some("a")),
            ("d", Some("c")),
        ]);
        assert!(c.is_clean());
        assert_eq!(c.first_error(), None);
    }

    #[test]
    fn self_manager_is_a_cycle_of_one() {
        let c = check(&[("a", Some("a")), ("b", Some("a"))]);
        assert_eq!(c.cycles, vec![vec!["a".to_owned()]]);
        assert_eq!(c.first_error(), Some(DomainError::SelfManaged("a".into())));
        assert!(c.link_is_broken("a"));
        assert!(!c.link_is_broken("b"));
    }

    #[test]
    fn cycle_and_dangling_are_reported() {
        let c = check(&[
            ("x", Some("y")),
            ("y", Some("z")),
            ("z", Some("x")),
            ("w", Some("q")),
        ]);
        assert_eq!(c.cycles, vec![vec!["x".to_owned(), "y".into(), "z".into()]]);
        assert_eq!(c.dangling, vec![("w".to_owned(), "q".to_owned())]);
        assert_eq!(
            c.first_error().map(|e| e.to_string()),
            Some("manager cycle: x -> y -> z -> x".to_owned())
        );
    }

    #[test]
    fn unit_paths_normalise() {
        assert_eq!(
            unit_path_segments(" Eng >Platform>  > Core "),
            vec!["Eng", "Platform", "Core"]
        );
        assert_eq!(unit_path(&["Eng", "Platform"]), "Eng > Platform");
    }

    #[test]
    fn identity_normalisation() {
        assert_eq!(
            IdentityKind::Email.normalize(" A.B@Example.COM "),
            "a.b@example.com"
        );
        assert_eq!(IdentityKind::Slack.normalize("U0ABC"), "U0ABC");
        assert!(IdentityKind::parse("fax").is_err());
    }

    proptest! {
        /// Against brute force: a person is on a cycle iff walking up n steps from them
        /// comes back to them; the number of cycles is the number of distinct cycle sets.
        #[test]
        fn cycles_match_brute_force(managers in proptest::collection::vec(proptest::option::of(0usize..12), 1..12)) {
            let n = managers.len();
            let names: Vec<String> = (0..n).map(|i| format!("p{i:02}")).collect();
            let mgr_names: Vec<Option<String>> = managers.iter().map(|m| m.map(|j| format!("p{j:02}"))).collect();
            let links: Vec<(&str, Option<&str>)> =
                (0..n).map(|i| (names[i].as_str(), mgr_names[i].as_deref())).collect();
            let got = check_managers(links.iter().copied());

            let step = |i: usize| managers[i].filter(|&j| j < n);
            let mut on_cycle = std::collections::BTreeSet::new();
            let mut cycle_sets = std::collections::BTreeSet::new();
            for i in 0..n {
                let mut cur = step(i);
                let mut members = vec![i];
                for _ in 0..n {
                    match cur {
                        Some(j) if j == i => {
                            on_cycle.insert(i);
                            members.sort();
                            cycle_sets.insert(members.clone());
                            break;
                        }
                        Some(j) => { members.push(j); cur = step(j); }
                        None => break,
                    }
                }
            }
            let got_on: std::collections::BTreeSet<usize> = got.cycles.iter().flatten()
                .map(|s| s[1..].parse::<usize>().unwrap_or(usize::MAX)).collect();
            prop_assert_eq!(got_on, on_cycle);
            prop_assert_eq!(got.cycles.len(), cycle_sets.len());
            let dangling: usize = managers.iter().filter(|m| matches!(m, Some(j) if *j >= n)).count();
            prop_assert_eq!(got.dangling.len(), dangling);
        }
    }
}
