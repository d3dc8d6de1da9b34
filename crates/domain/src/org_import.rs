//! Applying an org-chart snapshot to what is known: who is new, who moved, who left.
//!
//! The store loads the current state, this module computes the plan (pure), and the store
//! applies the plan in one transaction. Keeping the diff here makes "re-importing the same
//! file changes nothing" a property of a pure function, tested without a database.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::org::{check_managers, unit_path_segments, IdentityKind, ManagerCheck};
use crate::{DomainError, PersonId};

/// One person as an org-chart export states them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HrisRecord {
    /// The line of the source file the record came from (for reports).
    pub line: u64,
    pub hris_id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    /// Canonical unit path ("Engineering > Platform"), if the person has a unit.
    pub unit_path: Option<String>,
    pub site: Option<String>,
    pub country: Option<String>,
    pub manager_hris: Option<String>,
    pub hire_date: Option<NaiveDate>,
}

/// A person as stored, in the terms an org-chart import compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentPerson {
    pub id: PersonId,
    pub hris_id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    pub unit_path: Option<String>,
    pub site: Option<String>,
    /// The manager's HRIS id as last imported (even if the link was flagged).
    pub manager_hris: Option<String>,
    /// Why the manager link is flagged, as last imported.
    pub manager_issue: Option<String>,
    pub hire_date: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    /// The latest date in the person's history (start or end of a position): a snapshot
    /// that changes the person must not be older.
    pub position_since: Option<NaiveDate>,
}

/// What an import does to one person already known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonChange {
    pub person: PersonId,
    pub record: HrisRecord,
    /// Unit, site, manager or title changed: the current assignment is closed and a new
    /// one opened on the import date.
    pub moved: bool,
    /// The person had left and is back.
    pub rejoined: bool,
}

/// The complete effect of importing one org-chart snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgImportPlan {
    pub as_of: NaiveDate,
    /// Unit paths not yet stored, parents before children.
    pub new_units: Vec<String>,
    /// Sites not yet stored, with their country if the file says.
    pub new_sites: Vec<(String, Option<String>)>,
    pub hires: Vec<HrisRecord>,
    pub changes: Vec<PersonChange>,
    pub departures: Vec<PersonId>,
    pub unchanged: usize,
    pub managers: ManagerCheck,
    /// Emails that more than one person of the snapshot has, with their HRIS ids: they are
    /// not used to resolve identities.
    pub shared_emails: Vec<(String, Vec<String>)>,
}

impl OrgImportPlan {
    /// True when applying the plan would write nothing.
    pub fn is_noop(&self) -> bool {
        self.new_units.is_empty()
            && self.new_sites.is_empty()
            && self.hires.is_empty()
            && self.changes.is_empty()
            && self.departures.is_empty()
    }

    /// The problem to record on a person's manager link, if it is broken.
    pub fn manager_issue(&self, record: &HrisRecord) -> Option<String> {
        manager_issue(&self.managers, record)
    }

    /// Whether `email` may identify a person (no two people of the snapshot share it).
    pub fn email_is_unique(&self, email: &str) -> bool {
        let norm = IdentityKind::Email.normalize(email);
        self.shared_emails
            .binary_search_by(|(e, _)| e.as_str().cmp(&norm))
            .is_err()
    }
}

fn manager_issue(check: &ManagerCheck, record: &HrisRecord) -> Option<String> {
    let m = record.manager_hris.as_deref()?;
    if m == record.hris_id {
        return Some("manages themself".to_owned());
    }
    if let Some(c) = check.cycles.iter().find(|c| c.contains(&record.hris_id)) {
        let mut path = c.clone();
        path.push(c[0].clone());
        return Some(format!("manager cycle {}", path.join(" -> ")));
    }
    if check.dangling.iter().any(|(p, _)| *p == record.hris_id) {
        return Some(format!("manager {m} is not in the org chart"));
    }
    None
}

/// Computes what importing `records` as the state on `as_of` changes.
///
/// `records` must have distinct HRIS ids (the reader guarantees it). People who are known
/// and currently employed but absent from the snapshot have left on `as_of`. A snapshot
/// dated before the current position of someone it changes is refused: history is only
/// ever extended, never rewritten.
pub fn plan_org_import(
    current: &[CurrentPerson],
    known_units: &BTreeSet<String>,
    known_sites: &BTreeSet<String>,
    records: &[HrisRecord],
    as_of: NaiveDate,
) -> Result<OrgImportPlan, DomainError> {
    let by_hris: HashMap<&str, &CurrentPerson> =
        current.iter().map(|p| (p.hris_id.as_str(), p)).collect();

    let managers = check_managers(
        records
            .iter()
            .map(|r| (r.hris_id.as_str(), r.manager_hris.as_deref())),
    );

    let mut wanted_units = BTreeSet::new();
    let mut new_sites: BTreeMap<String, Option<String>> = BTreeMap::new();
    for r in records {
        if let Some(path) = &r.unit_path {
            let segs = unit_path_segments(path);
            for depth in 1..=segs.len() {
                wanted_units.insert(segs[..depth].join(crate::org::UNIT_PATH_SEPARATOR));
            }
        }
        if let Some(site) = &r.site {
            if !known_sites.contains(site) {
                let entry = new_sites.entry(site.clone()).or_insert(None);
                if entry.is_none() {
                    entry.clone_from(&r.country);
                }
            }
        }
    }
    let mut new_units: Vec<String> = wanted_units
        .into_iter()
        .filter(|u| !known_units.contains(u))
        .collect();
    // Parents before children: sort by depth, then by path for determinism.
    new_units.sort_by(|a, b| {
        unit_path_segments(a)
            .len()
            .cmp(&unit_path_segments(b).len())
            .then(a.cmp(b))
    });

    let mut hires = Vec::new();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let mut seen = HashSet::with_capacity(records.len());
    for r in records {
        seen.insert(r.hris_id.as_str());
        let Some(cur) = by_hris.get(r.hris_id.as_str()) else {
            hires.push(r.clone());
            continue;
        };
        let moved = cur.unit_path != r.unit_path
            || cur.site != r.site
            || cur.manager_hris != r.manager_hris
            || cur.title != r.title;
        let details = cur.display_name != r.display_name
            || cur.email != r.email
            || cur.hire_date != r.hire_date
            || cur.manager_issue != manager_issue(&managers, r);
        let rejoined = cur.left_on.is_some();
        if !(moved || details || rejoined) {
            unchanged += 1;
            continue;
        }
        if let Some(since) = cur.position_since {
            if (moved || rejoined) && as_of < since {
                return Err(DomainError::EndBeforeStart {
                    what: "org-chart snapshot (pass a later --as-of)",
                    start: since,
                    end: as_of,
                });
            }
        }
        changes.push(PersonChange {
            person: cur.id,
            record: r.clone(),
            moved,
            rejoined,
        });
    }
    let mut departures: Vec<PersonId> = current
        .iter()
        .filter(|p| p.left_on.is_none() && !seen.contains(p.hris_id.as_str()))
        .map(|p| p.id)
        .collect();
    departures.sort();

    let mut emails: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in records {
        if let Some(e) = &r.email {
            emails
                .entry(IdentityKind::Email.normalize(e))
                .or_default()
                .push(r.hris_id.clone());
        }
    }
    let shared_emails = emails
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .collect();

    Ok(OrgImportPlan {
        as_of,
        new_units,
        new_sites: new_sites.into_iter().collect(),
        hires,
        changes,
        departures,
        unchanged,
        managers,
        shared_emails,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn rec(id: &str, unit: &str, mgr: Option<&str>) -> HrisRecord {
        HrisRecord {
            line: 0,
            hris_id: id.into(),
            display_name: format!("Person {id}"),
            email: Some(format!("{id}@example.com")),
            title: Some("Engineer".into()),
            unit_path: Some(unit.into()),
            site: Some("Lyon".into()),
            country: Some("FR".into()),
            manager_hris: mgr.map(Into::into),
            hire_date: Some(d("2020-01-01")),
        }
    }

    fn stored(id: i64, r: &HrisRecord, since: &str) -> CurrentPerson {
        CurrentPerson {
            id: PersonId(id),
            hris_id: r.hris_id.clone(),
            display_name: r.display_name.clone(),
            email: r.email.clone(),
            title: r.title.clone(),
            unit_path: r.unit_path.clone(),
            site: r.site.clone(),
            manager_hris: r.manager_hris.clone(),
            manager_issue: None,
            hire_date: r.hire_date,
            left_on: None,
            position_since: Some(d(since)),
        }
    }

    #[test]
    fn first_import_creates_units_parents_first() {
        let recs = vec![
            rec("1", "Eng > Platform", None),
            rec("2", "Eng", Some("1")),
            rec("3", "Sales", Some("1")),
        ];
        let plan = plan_org_import(
            &[],
            &BTreeSet::new(),
            &BTreeSet::new(),
            &recs,
            d("2024-01-01"),
        )
        .expect("plan");
        assert_eq!(plan.new_units, vec!["Eng", "Sales", "Eng > Platform"]);
        assert_eq!(
            plan.new_sites,
            vec![("Lyon".to_owned(), Some("FR".to_owned()))]
        );
        assert_eq!(plan.hires.len(), 3);
        assert!(plan.managers.is_clean());
    }

    #[test]
    fn same_snapshot_is_a_noop() {
        let recs = vec![rec("1", "Eng", None), rec("2", "Eng", Some("1"))];
        let cur: Vec<_> = recs
            .iter()
            .enumerate()
            .map(|(i, r)| stored(i as i64, r, "2024-01-01"))
            .collect();
        let units = BTreeSet::from(["Eng".to_owned()]);
        let sites = BTreeSet::from(["Lyon".to_owned()]);
        let plan = plan_org_import(&cur, &units, &sites, &recs, d("2024-06-01")).expect("plan");
        assert!(plan.is_noop(), "{plan:?}");
        assert_eq!(plan.unchanged, 2);
    }

    #[test]
    fn moves_departures_and_returns() {
        let old = [
            rec("1", "Eng", None),
            rec("2", "Eng", Some("1")),
            rec("3", "Eng", Some("1")),
        ];
        let mut cur: Vec<_> = old
            .iter()
            .enumerate()
            .map(|(i, r)| stored(i as i64, r, "2024-01-01"))
            .collect();
        let gone = rec("4", "Eng", Some("1"));
        let mut left = stored(3, &gone, "2023-01-01");
        left.left_on = Some(d("2023-06-01"));
        cur.push(left);
        let new = vec![
            rec("1", "Eng", None),
            rec("2", "Sales", Some("1")),
            gone.clone(),
        ];
        let units = BTreeSet::from(["Eng".to_owned()]);
        let sites = BTreeSet::from(["Lyon".to_owned()]);
        let plan = plan_org_import(&cur, &units, &sites, &new, d("2024-06-01")).expect("plan");
        assert_eq!(plan.new_units, vec!["Sales"]);
        assert_eq!(plan.departures, vec![PersonId(2)]);
        assert_eq!(plan.changes.len(), 2);
        assert!(plan.changes[0].moved && !plan.changes[0].rejoined);
        assert!(!plan.changes[1].moved && plan.changes[1].rejoined);
    }

    #[test]
    fn older_snapshot_cannot_rewrite_history() {
        let old = [rec("1", "Eng", None)];
        let cur = vec![stored(1, &old[0], "2024-06-01")];
        let new = vec![rec("1", "Sales", None)];
        let err = plan_org_import(
            &cur,
            &BTreeSet::new(),
            &BTreeSet::new(),
            &new,
            d("2024-01-01"),
        );
        assert!(matches!(err, Err(DomainError::EndBeforeStart { .. })));
    }

    #[test]
    fn a_manager_who_arrives_repairs_the_link() {
        let first = vec![rec("1", "Eng", Some("9"))];
        let plan = plan_org_import(
            &[],
            &BTreeSet::new(),
            &BTreeSet::new(),
            &first,
            d("2024-01-01"),
        )
        .expect("plan");
        let mut cur = stored(1, &first[0], "2024-01-01");
        cur.manager_issue = plan.manager_issue(&first[0]);
        assert!(cur.manager_issue.is_some());
        let second = vec![first[0].clone(), rec("9", "Eng", None)];
        let units = BTreeSet::from(["Eng".to_owned()]);
        let sites = BTreeSet::from(["Lyon".to_owned()]);
        let plan = plan_org_import(&[cur], &units, &sites, &second, d("2024-02-01")).expect("plan");
        assert_eq!(plan.hires.len(), 1);
        assert_eq!(plan.changes.len(), 1, "the flagged link is now resolvable");
        assert!(!plan.changes[0].moved);
    }

    #[test]
    fn shared_emails_do_not_identify() {
        let mut a = rec("1", "Eng", None);
        let mut b = rec("2", "Eng", None);
        a.email = Some("Team@Example.com".into());
        b.email = Some("team@example.com".into());
        let plan = plan_org_import(
            &[],
            &BTreeSet::new(),
            &BTreeSet::new(),
            &[a, b],
            d("2024-01-01"),
        )
        .expect("plan");
        assert_eq!(
            plan.shared_emails,
            vec![(
                "team@example.com".to_owned(),
                vec!["1".to_owned(), "2".to_owned()]
            )]
        );
        assert!(!plan.email_is_unique("TEAM@example.com"));
        assert!(plan.email_is_unique("1@example.com"));
    }

    #[test]
    fn broken_manager_links_are_described() {
        let recs = vec![
            rec("1", "Eng", Some("1")),
            rec("2", "Eng", Some("9")),
            rec("3", "Eng", Some("4")),
            rec("4", "Eng", Some("3")),
        ];
        let plan = plan_org_import(
            &[],
            &BTreeSet::new(),
            &BTreeSet::new(),
            &recs,
            d("2024-01-01"),
        )
        .expect("plan");
        assert_eq!(
            plan.manager_issue(&recs[0]).as_deref(),
            Some("manages themself")
        );
        assert_eq!(
            plan.manager_issue(&recs[1]).as_deref(),
            Some("manager 9 is not in the org chart")
        );
        assert_eq!(
            plan.manager_issue(&recs[2]).as_deref(),
            Some("manager cycle 3 -> 4 -> 3")
        );
    }
}
