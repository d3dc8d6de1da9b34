//! The organisation: units, sites, people and their history, written by org-chart imports.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use flywheel_domain::org::{unit_path_segments, IdentityKind, UnitKind};
use flywheel_domain::org_import::{plan_org_import, CurrentPerson, HrisRecord, OrgImportPlan};
use flywheel_domain::{ImportId, PersonId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::bulk::{insert_rows, Arg};
use crate::{date_text, parse_date, Store, StoreError};

/// What an org-chart import did.
#[derive(Debug, Clone, Serialize)]
pub struct OrgImportOutcome {
    /// `None` when nothing changed (nothing was written).
    pub import_id: Option<ImportId>,
    pub as_of: NaiveDate,
    pub records: usize,
    pub hires: usize,
    pub moves: usize,
    pub updated: usize,
    pub rejoined: usize,
    pub departures: usize,
    pub unchanged: usize,
    pub new_units: usize,
    pub new_sites: usize,
    /// `(HRIS id, why)` for each manager link that was flagged rather than stored.
    pub flagged_manager_links: Vec<(String, String)>,
    /// Emails shared by several people, not used to identify anyone.
    pub shared_emails: Vec<(String, Vec<String>)>,
    /// The people this snapshot marks departed, counted by department (the top unit),
    /// most first.
    pub departures_by_unit: Vec<(String, usize)>,
    /// People employed before this snapshot.
    pub employed_before: usize,
}

/// The share of the people employed that one snapshot may mark departed before an
/// import is refused as a probable accident (a header-only or truncated file, the wrong
/// file, an encoding misread): 20%.
pub const MAX_DEPARTED_SHARE: f64 = 0.2;

/// Departures below this many never count as a mass departure (in a team of five, one
/// leaver is a fifth).
pub const MIN_MASS_DEPARTURES: usize = 10;

impl OrgImportOutcome {
    /// The outcome a plan describes (before it is written: `import_id` is `None`).
    fn of_plan(plan: &OrgImportPlan, records: &[HrisRecord], people: &[CurrentPerson]) -> Self {
        let count = |f: fn(&flywheel_domain::org_import::PersonChange) -> bool| {
            plan.changes.iter().filter(|c| f(c)).count()
        };
        OrgImportOutcome {
            import_id: None,
            as_of: plan.as_of,
            records: records.len(),
            hires: plan.hires.len(),
            moves: count(|c| c.moved),
            updated: count(|c| !c.moved && !c.rejoined),
            rejoined: count(|c| c.rejoined),
            departures: plan.departures.len(),
            unchanged: plan.unchanged,
            new_units: plan.new_units.len(),
            new_sites: plan.new_sites.len(),
            flagged_manager_links: records
                .iter()
                .filter_map(|r| plan.manager_issue(r).map(|i| (r.hris_id.clone(), i)))
                .collect(),
            shared_emails: plan.shared_emails.clone(),
            departures_by_unit: departures_by_unit(plan, people),
            employed_before: people.iter().filter(|p| p.left_on.is_none()).count(),
        }
    }

    /// Why this outcome would destroy the organisation by accident, when it marks more
    /// than `max_share` of the people employed departed (and at least
    /// [`MIN_MASS_DEPARTURES`] people).
    pub fn mass_departures(&self, max_share: f64) -> Option<String> {
        let share = self.departures as f64 / self.employed_before.max(1) as f64;
        if self.departures < MIN_MASS_DEPARTURES || share <= max_share {
            return None;
        }
        let units: Vec<String> = self
            .departures_by_unit
            .iter()
            .take(8)
            .map(|(u, n)| format!("{u} {n}"))
            .collect();
        let more = self.departures_by_unit.len().saturating_sub(8);
        Some(format!(
            "this snapshot would mark {} of the {} people employed ({:.0}%) as departed, more than the {:.0}% limit ({}{}); \
             a header-only, truncated or misread file looks like this. If they really left, run it again with --allow-mass-departures",
            self.departures,
            self.employed_before,
            share * 100.0,
            max_share * 100.0,
            units.join(", "),
            if more > 0 { format!(" and {more} more units") } else { String::new() },
        ))
    }
}

fn departures_by_unit(plan: &OrgImportPlan, people: &[CurrentPerson]) -> Vec<(String, usize)> {
    let gone: std::collections::HashSet<_> = plan.departures.iter().collect();
    let mut by: std::collections::BTreeMap<String, usize> = Default::default();
    for p in people.iter().filter(|p| gone.contains(&p.id)) {
        let top = p
            .unit_path
            .as_deref()
            .and_then(|u| u.split(" > ").next())
            .filter(|u| !u.is_empty())
            .unwrap_or("(no unit)");
        *by.entry(top.to_owned()).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Headcount of one top-level unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitHeadcount {
    pub unit_id: i64,
    pub name: String,
    pub people: i64,
}

/// The organisation at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct OrgSummary {
    pub people: i64,
    pub departed: i64,
    pub units: i64,
    pub sites: i64,
    /// Current people per top-level unit (their whole subtree), largest first.
    pub by_department: Vec<UnitHeadcount>,
    pub without_unit: i64,
    pub flagged_manager_links: i64,
}

impl Store {
    /// Loads what an org-chart import compares against.
    async fn org_state(
        conn: &mut AnyConnection,
    ) -> Result<(Vec<CurrentPerson>, BTreeSet<String>, BTreeSet<String>), StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.hris_id, p.display_name, p.email, p.title, u.path, s.name AS site, p.manager_hris, \
                    p.manager_issue, p.hire_date, p.left_on, \
                    (SELECT MAX(COALESCE(a.valid_to, a.valid_from)) FROM assignments a WHERE a.person_id = p.id) AS since \
             FROM people p LEFT JOIN org_units u ON u.id = p.unit_id LEFT JOIN sites s ON s.id = p.site_id \
             WHERE p.hris_id IS NOT NULL",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut people = Vec::with_capacity(rows.len());
        for r in rows {
            people.push(CurrentPerson {
                id: PersonId(r.try_get("id")?),
                hris_id: r.try_get("hris_id")?,
                display_name: r.try_get("display_name")?,
                email: r.try_get("email")?,
                title: r.try_get("title")?,
                unit_path: r.try_get("path")?,
                site: r.try_get("site")?,
                manager_hris: r.try_get("manager_hris")?,
                manager_issue: r.try_get("manager_issue")?,
                hire_date: parse_date(r.try_get("hire_date")?),
                left_on: parse_date(r.try_get("left_on")?),
                position_since: parse_date(r.try_get("since")?),
            });
        }
        let units: Vec<String> = sqlx::query_scalar("SELECT path FROM org_units")
            .fetch_all(&mut *conn)
            .await?;
        let sites: Vec<String> = sqlx::query_scalar("SELECT name FROM sites")
            .fetch_all(&mut *conn)
            .await?;
        Ok((
            people,
            units.into_iter().collect(),
            sites.into_iter().collect(),
        ))
    }

    /// What importing an org-chart snapshot would do, without writing anything.
    pub async fn preview_org_import(
        &self,
        records: &[HrisRecord],
        as_of: NaiveDate,
    ) -> Result<OrgImportOutcome, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let (people, units, sites) = Self::org_state(&mut conn).await?;
        let plan = plan_org_import(&people, &units, &sites, records, as_of)?;
        Ok(OrgImportOutcome::of_plan(&plan, records, &people))
    }

    /// Imports an org-chart snapshot as the state on `as_of`, in one transaction.
    /// Re-importing the same snapshot writes nothing. Refuses (writing nothing) a snapshot
    /// that would mark more than [`MAX_DEPARTED_SHARE`] of the people departed.
    pub async fn import_org_chart(
        &self,
        source: &str,
        sha256: &str,
        records: &[HrisRecord],
        as_of: NaiveDate,
    ) -> Result<OrgImportOutcome, StoreError> {
        self.import_org_chart_with(source, sha256, records, as_of, MAX_DEPARTED_SHARE)
            .await
    }

    /// [`Store::import_org_chart`] with the largest share of people one snapshot may mark
    /// departed (`1.0`: any).
    pub async fn import_org_chart_with(
        &self,
        source: &str,
        sha256: &str,
        records: &[HrisRecord],
        as_of: NaiveDate,
        max_departed_share: f64,
    ) -> Result<OrgImportOutcome, StoreError> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        let mut tx = self.begin_write().await?;
        let (people, units, sites) = Self::org_state(&mut tx).await?;
        let plan = plan_org_import(&people, &units, &sites, records, as_of)?;
        let mut outcome = OrgImportOutcome::of_plan(&plan, records, &people);
        if let Some(why) = outcome.mass_departures(max_departed_share) {
            tx.rollback().await?;
            return Err(StoreError::Refused(why));
        }
        if plan.is_noop() {
            tx.rollback().await?;
            return Ok(outcome);
        }
        let summary = format!(
            "{} hires, {} moves, {} updates, {} rejoined, {} departures, {} unchanged, {} new units, {} new sites, {} flagged manager links",
            outcome.hires, outcome.moves, outcome.updated, outcome.rejoined, outcome.departures, outcome.unchanged,
            outcome.new_units, outcome.new_sites, outcome.flagged_manager_links.len()
        );
        let import_id = crate::insert_import(
            &mut tx,
            "hris",
            source,
            sha256,
            as_of,
            records.len() as i64,
            &summary,
        )
        .await?;
        apply_plan(&mut tx, &plan, import_id).await?;
        tx.commit().await?;
        outcome.import_id = Some(ImportId(import_id));
        Ok(outcome)
    }

    /// Summary of the current organisation.
    pub async fn org_summary(&self) -> Result<OrgSummary, StoreError> {
        let one = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool);
        let people = one("SELECT COUNT(*) FROM people WHERE left_on IS NULL").await?;
        let departed = one("SELECT COUNT(*) FROM people WHERE left_on IS NOT NULL").await?;
        let units = one("SELECT COUNT(*) FROM org_units").await?;
        let sites = one("SELECT COUNT(*) FROM sites").await?;
        let without_unit =
            one("SELECT COUNT(*) FROM people WHERE left_on IS NULL AND unit_id IS NULL").await?;
        let flagged =
            one("SELECT COUNT(*) FROM people WHERE left_on IS NULL AND manager_issue IS NOT NULL")
                .await?;
        let rows = sqlx::query(
            "SELECT top.id, top.name, COUNT(p.id) AS n FROM org_units top \
             JOIN org_units u ON u.path = top.path OR substr(u.path, 1, length(top.path) + 3) = top.path || ' > ' \
             JOIN people p ON p.unit_id = u.id AND p.left_on IS NULL \
             WHERE top.parent_id IS NULL GROUP BY top.id, top.name ORDER BY n DESC, top.name",
        )
        .fetch_all(&self.pool)
        .await?;
        let by_department = rows
            .iter()
            .map(|r| {
                Ok(UnitHeadcount {
                    unit_id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    people: r.try_get("n")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(OrgSummary {
            people,
            departed,
            units,
            sites,
            by_department,
            without_unit,
            flagged_manager_links: flagged,
        })
    }

    /// The assignments (history) of a person, oldest first:
    /// `(unit path, site, title, valid_from, valid_to)`.
    pub async fn person_history(
        &self,
        hris_id: &str,
    ) -> Result<
        Vec<(
            Option<String>,
            Option<String>,
            Option<String>,
            NaiveDate,
            Option<NaiveDate>,
        )>,
        StoreError,
    > {
        let rows = sqlx::query(
            "SELECT u.path, s.name AS site, a.title, a.valid_from, a.valid_to FROM assignments a \
             JOIN people p ON p.id = a.person_id LEFT JOIN org_units u ON u.id = a.unit_id \
             LEFT JOIN sites s ON s.id = a.site_id WHERE p.hris_id = $1 ORDER BY a.valid_from, a.id",
        )
        .bind(hris_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let from = parse_date(r.try_get("valid_from")?)
                    .ok_or_else(|| StoreError::Invalid("assignment without a start date".into()))?;
                Ok((
                    r.try_get("path")?,
                    r.try_get("site")?,
                    r.try_get("title")?,
                    from,
                    parse_date(r.try_get("valid_to")?),
                ))
            })
            .collect()
    }
}

async fn id_map(
    conn: &mut AnyConnection,
    sql: &'static str,
) -> Result<HashMap<String, i64>, StoreError> {
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
        .collect()
}

async fn apply_plan(
    conn: &mut AnyConnection,
    plan: &OrgImportPlan,
    import_id: i64,
) -> Result<(), StoreError> {
    let (sites, units) = insert_sites_and_units(conn, plan).await?;
    let people = insert_hires(conn, plan, import_id, &units, &sites).await?;
    let ids = Ids {
        sites,
        units,
        people,
    };
    // Manager links of the new people, now that every manager has an id: one statement
    // (200,000 single-row updates took 15 s on SQLite).
    sqlx::query(
        "UPDATE people SET manager_id = (SELECT m.id FROM people m WHERE m.hris_id = people.manager_hris) \
         WHERE import_id = $1 AND manager_issue IS NULL AND manager_hris IS NOT NULL",
    )
    .bind(import_id)
    .execute(&mut *conn)
    .await?;

    apply_changes(conn, plan, import_id, &ids).await?;
    apply_departures(conn, plan, import_id).await?;
    open_positions(conn, plan, import_id, &ids).await?;
    insert_identities(conn, plan, &ids).await
}

/// The ids of sites, units and people by name, path and HRIS id, during an import.
struct Ids {
    sites: HashMap<String, i64>,
    units: HashMap<String, i64>,
    people: HashMap<String, i64>,
}

impl Ids {
    fn unit_of(&self, r: &HrisRecord) -> Option<i64> {
        r.unit_path
            .as_ref()
            .and_then(|p| self.units.get(p).copied())
    }

    fn site_of(&self, r: &HrisRecord) -> Option<i64> {
        r.site.as_ref().and_then(|s| self.sites.get(s).copied())
    }

    fn manager_of(&self, plan: &OrgImportPlan, r: &HrisRecord) -> Option<i64> {
        if plan.manager_issue(r).is_some() {
            return None;
        }
        r.manager_hris
            .as_ref()
            .and_then(|m| self.people.get(m).copied())
    }

    fn person_of(&self, r: &HrisRecord) -> Result<i64, StoreError> {
        self.people.get(&r.hris_id).copied().ok_or_else(|| {
            StoreError::Invalid(format!("person {} vanished during import", r.hris_id))
        })
    }
}

/// New sites, then new units parents first (the plan orders them); every site's and
/// unit's id.
async fn insert_sites_and_units(
    conn: &mut AnyConnection,
    plan: &OrgImportPlan,
) -> Result<(HashMap<String, i64>, HashMap<String, i64>), StoreError> {
    insert_rows(
        conn,
        "sites",
        &["name", "country"],
        "",
        plan.new_sites
            .iter()
            .map(|(n, c)| vec![Arg::Text(Some(n.clone())), Arg::Text(c.clone())]),
    )
    .await?;
    let sites = id_map(conn, "SELECT name, id FROM sites").await?;
    let mut units = id_map(conn, "SELECT path, id FROM org_units").await?;
    for path in &plan.new_units {
        let segs = unit_path_segments(path);
        let name = segs.last().copied().unwrap_or(path.as_str());
        let parent = (segs.len() > 1)
            .then(|| units.get(&segs[..segs.len() - 1].join(" > ")).copied())
            .flatten();
        let id: i64 = sqlx::query_scalar("INSERT INTO org_units (path, name, parent_id, kind) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(path)
            .bind(name)
            .bind(parent)
            .bind(UnitKind::for_depth(segs.len() - 1).as_str())
            .fetch_one(&mut *conn)
            .await?;
        units.insert(path.clone(), id);
    }
    Ok((sites, units))
}

/// New people (manager links come later: managers may be new too); every person's id by
/// HRIS id.
async fn insert_hires(
    conn: &mut AnyConnection,
    plan: &OrgImportPlan,
    import_id: i64,
    units: &HashMap<String, i64>,
    sites: &HashMap<String, i64>,
) -> Result<HashMap<String, i64>, StoreError> {
    let unit_of = |r: &HrisRecord| r.unit_path.as_ref().and_then(|p| units.get(p).copied());
    let site_of = |r: &HrisRecord| r.site.as_ref().and_then(|s| sites.get(s).copied());
    insert_rows(
        conn,
        "people",
        &[
            "hris_id",
            "display_name",
            "email",
            "title",
            "unit_id",
            "site_id",
            "manager_hris",
            "manager_issue",
            "hire_date",
            "import_id",
        ],
        "",
        plan.hires
            .iter()
            .map(|r| {
                vec![
                    Arg::Text(Some(r.hris_id.clone())),
                    Arg::Text(Some(r.display_name.clone())),
                    Arg::Text(r.email.clone()),
                    Arg::Text(r.title.clone()),
                    Arg::Int(unit_of(r)),
                    Arg::Int(site_of(r)),
                    Arg::Text(r.manager_hris.clone()),
                    Arg::Text(plan.manager_issue(r)),
                    Arg::Text(r.hire_date.map(date_text)),
                    Arg::Int(Some(import_id)),
                ]
            })
            .collect::<Vec<_>>(),
    )
    .await?;
    id_map(
        conn,
        "SELECT hris_id, id FROM people WHERE hris_id IS NOT NULL",
    )
    .await
}

/// Changes to people already known; a move ends their current position.
async fn apply_changes(
    conn: &mut AnyConnection,
    plan: &OrgImportPlan,
    import_id: i64,
    ids: &Ids,
) -> Result<(), StoreError> {
    let as_of = date_text(plan.as_of);
    for c in &plan.changes {
        let r = &c.record;
        sqlx::query(
            "UPDATE people SET display_name = $1, email = $2, title = $3, unit_id = $4, site_id = $5, manager_id = $6, \
             manager_hris = $7, manager_issue = $8, hire_date = $9, left_on = NULL, import_id = $10 WHERE id = $11",
        )
        .bind(&r.display_name)
        .bind(&r.email)
        .bind(&r.title)
        .bind(ids.unit_of(r))
        .bind(ids.site_of(r))
        .bind(ids.manager_of(plan, r))
        .bind(&r.manager_hris)
        .bind(plan.manager_issue(r))
        .bind(r.hire_date.map(date_text))
        .bind(import_id)
        .bind(c.person.0)
        .execute(&mut *conn)
        .await?;
        if c.moved && !c.rejoined {
            // A move on the day the current position started replaces it; otherwise the
            // current position ends today and a new one starts.
            sqlx::query("DELETE FROM assignments WHERE person_id = $1 AND valid_to IS NULL AND valid_from = $2")
                .bind(c.person.0)
                .bind(&as_of)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "UPDATE assignments SET valid_to = $1 WHERE person_id = $2 AND valid_to IS NULL",
            )
            .bind(&as_of)
            .bind(c.person.0)
            .execute(&mut *conn)
            .await?;
        }
    }

    Ok(())
}

/// Departures: the person stays (with their history); their position ends.
async fn apply_departures(
    conn: &mut AnyConnection,
    plan: &OrgImportPlan,
    import_id: i64,
) -> Result<(), StoreError> {
    let as_of = date_text(plan.as_of);
    for p in &plan.departures {
        sqlx::query("UPDATE people SET left_on = $1, import_id = $2 WHERE id = $3")
            .bind(&as_of)
            .bind(import_id)
            .bind(p.0)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE assignments SET valid_to = $1 WHERE person_id = $2 AND valid_to IS NULL",
        )
        .bind(&as_of)
        .bind(p.0)
        .execute(&mut *conn)
        .await?;
    }

    Ok(())
}

/// New positions: hires, moves and returns.
async fn open_positions(
    conn: &mut AnyConnection,
    plan: &OrgImportPlan,
    import_id: i64,
    ids: &Ids,
) -> Result<(), StoreError> {
    let as_of = date_text(plan.as_of);
    let opened = plan.hires.iter().chain(
        plan.changes
            .iter()
            .filter(|c| c.moved || c.rejoined)
            .map(|c| &c.record),
    );
    let mut rows = Vec::new();
    for r in opened {
        rows.push(vec![
            Arg::Int(Some(ids.person_of(r)?)),
            Arg::Int(ids.unit_of(r)),
            Arg::Int(ids.site_of(r)),
            Arg::Int(ids.manager_of(plan, r)),
            Arg::Text(r.title.clone()),
            Arg::Text(Some(as_of.clone())),
            Arg::Int(Some(import_id)),
        ]);
    }
    insert_rows(
        conn,
        "assignments",
        &[
            "person_id",
            "unit_id",
            "site_id",
            "manager_id",
            "title",
            "valid_from",
            "import_id",
        ],
        "",
        rows,
    )
    .await?;

    Ok(())
}

/// Identities: HRIS ids of new people, emails of new and changed people.
async fn insert_identities(
    conn: &mut AnyConnection,
    plan: &OrgImportPlan,
    ids: &Ids,
) -> Result<(), StoreError> {
    let mut rows = Vec::new();
    for r in plan
        .hires
        .iter()
        .chain(plan.changes.iter().map(|c| &c.record))
    {
        let pid = ids.person_of(r)?;
        rows.push(vec![
            Arg::Int(Some(pid)),
            Arg::Text(Some(IdentityKind::Hris.as_str().into())),
            Arg::Text(Some(r.hris_id.clone())),
            Arg::Text(Some(IdentityKind::Hris.normalize(&r.hris_id))),
        ]);
        if let Some(e) = r.email.as_ref().filter(|e| plan.email_is_unique(e)) {
            rows.push(vec![
                Arg::Int(Some(pid)),
                Arg::Text(Some(IdentityKind::Email.as_str().into())),
                Arg::Text(Some(e.clone())),
                Arg::Text(Some(IdentityKind::Email.normalize(e))),
            ]);
        }
    }
    insert_rows(
        conn,
        "identities",
        &["person_id", "kind", "value", "normalized"],
        "ON CONFLICT (kind, normalized) DO UPDATE SET person_id = excluded.person_id, value = excluded.value",
        rows,
    )
    .await?;
    Ok(())
}
