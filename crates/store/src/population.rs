//! Reading the program's data as one [`Population`] for the analytics: the org tree, the
//! people (department, level and span), collaboration ties, usage, help replies, wins and
//! the program's own records. Each part is read by its own function on the caller's
//! connection, which [`crate::Store::population`] holds in one read snapshot.

use std::collections::HashMap;

use chrono::NaiveDate;
use flywheel_domain::usage::QuestionStage;
use flywheel_insights::population::{
    Access, Help, Incident, Intervention, InterventionKind, Person, Population, Question, Request,
    Unit, Use, Win,
};
use sqlx::AnyConnection;

use crate::{parse_date, StoreError};

/// `(id, name, unit, site, manager, champion status, since)` as the people query reads it.
type PersonRow = (
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// Database ids → dense indexes of the population's vectors.
#[derive(Default)]
struct Indexes {
    person: HashMap<i64, u32>,
    unit: HashMap<i64, u32>,
    site: HashMap<i64, u32>,
    tool: HashMap<i64, u32>,
}

fn dense<T>(rows: &[(i64, T)]) -> HashMap<i64, u32> {
    rows.iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i as u32))
        .collect()
}

/// The whole population as of `as_of` (default: the last day of usage).
pub(crate) async fn read(
    conn: &mut AnyConnection,
    as_of: Option<NaiveDate>,
) -> Result<Population, StoreError> {
    let mut ix = Indexes::default();
    let (units, unit_by_id) = read_units(conn, &mut ix).await?;
    let sites: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM sites ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    ix.site = dense(&sites);
    let (people, departments) = read_people(conn, &mut ix, &unit_by_id).await?;
    let ties = read_ties(conn, &ix).await?;
    let tool_rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM tools ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    ix.tool = dense(&tool_rows);
    let (usage, features) = read_usage(conn, &ix, as_of).await?;
    let help = read_help(conn, &ix, as_of).await?;
    let wins = read_wins(conn, &ix, as_of).await?;
    let as_of = as_of.or_else(|| usage.iter().map(|u: &Use| u.day).max());
    Ok(Population {
        as_of,
        people,
        departments,
        tools: tool_rows.into_iter().map(|(_, name)| name).collect(),
        features,
        ties,
        usage,
        help,
        wins,
        units,
        access: read_access(conn, &ix, as_of).await?,
        requests: read_requests(conn, &ix, as_of).await?,
        questions: read_questions(conn, &ix, as_of).await?,
        interventions: read_interventions(conn, &ix).await?,
        waves: read_waves(conn, &ix, sites.len()).await?,
        incidents: read_incidents(conn, as_of).await?,
        sites: sites.into_iter().map(|(_, name)| name).collect(),
    })
}

/// A unit by database id: `(name, parent id, kind)`.
type UnitById = HashMap<i64, (String, Option<i64>, String)>;

async fn read_units(
    conn: &mut AnyConnection,
    ix: &mut Indexes,
) -> Result<(Vec<Unit>, UnitById), StoreError> {
    let rows: Vec<(i64, String, String, Option<i64>, String)> =
        sqlx::query_as("SELECT id, name, path, parent_id, kind FROM org_units ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    ix.unit = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.0, i as u32))
        .collect();
    let units = rows
        .iter()
        .map(|(_, name, path, parent, kind)| Unit {
            name: name.clone(),
            path: path.clone(),
            parent: parent.and_then(|p| ix.unit.get(&p).copied()),
            kind: kind.clone(),
        })
        .collect();
    let by_id = rows
        .into_iter()
        .map(|(id, name, _, parent, kind)| (id, (name, parent, kind)))
        .collect();
    Ok((units, by_id))
}

/// A unit's department: the nearest ancestor-or-self of kind department, else the topmost
/// unit of its chain (chains are bounded, so a corrupt tree cannot loop).
fn department_of(units: &UnitById, mut unit: i64) -> String {
    let mut top = String::new();
    for _ in 0..64 {
        let Some((name, parent, kind)) = units.get(&unit) else {
            break;
        };
        if kind == "department" {
            return name.clone();
        }
        top.clone_from(name);
        match parent {
            Some(p) => unit = *p,
            None => break,
        }
    }
    top
}

/// The people employed now, with their department index; fills `ix.person`.
async fn read_people(
    conn: &mut AnyConnection,
    ix: &mut Indexes,
    units: &UnitById,
) -> Result<(Vec<Person>, Vec<String>), StoreError> {
    let rows: Vec<PersonRow> = sqlx::query_as(
        "SELECT p.id, p.display_name, p.unit_id, p.site_id, p.manager_id, c.status, c.since \
             FROM people p LEFT JOIN champions c ON c.person_id = p.id \
             WHERE p.left_on IS NULL ORDER BY p.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    ix.person = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.0, i as u32))
        .collect();
    let mut departments: Vec<String> = Vec::new();
    let mut department_index: HashMap<String, u32> = HashMap::new();
    let mut people = Vec::with_capacity(rows.len());
    let mut manager: Vec<Option<u32>> = Vec::with_capacity(rows.len());
    for (id, name, unit, site, mgr, status, since) in &rows {
        let dept = unit.map_or_else(|| "(no unit)".to_owned(), |u| department_of(units, u));
        let next = departments.len() as u32;
        let d = *department_index.entry(dept.clone()).or_insert_with(|| {
            departments.push(dept);
            next
        });
        manager.push(mgr.and_then(|m| ix.person.get(&m).copied()));
        people.push(Person {
            id: *id,
            name: name.clone(),
            department: d,
            unit: unit.and_then(|u| ix.unit.get(&u).copied()),
            site: site.and_then(|s| ix.site.get(&s).copied()),
            level: 0,
            span: 0,
            opted_out: status.as_deref() == Some("opted_out"),
            volunteer: status.as_deref() == Some("volunteer"),
            champion_since: if status.as_deref() == Some("active") {
                parse_date(since.clone())
            } else {
                None
            },
        });
    }
    levels_and_spans(&mut people, &manager);
    Ok((people, departments))
}

/// Levels (depth) and spans (everyone below), walking each manager chain once per person;
/// chains are bounded (cycles are refused at import, but stay safe here).
fn levels_and_spans(people: &mut [Person], manager: &[Option<u32>]) {
    for v in 0..people.len() {
        let mut depth = 0;
        let mut m = manager[v];
        while let Some(u) = m {
            if depth > people.len() {
                break;
            }
            depth += 1;
            people[u as usize].span += 1;
            m = manager[u as usize];
        }
        people[v].level = depth as u32;
    }
}

/// Collaboration ties (interactions and chat), undirected, weights added.
async fn read_ties(
    conn: &mut AnyConnection,
    ix: &Indexes,
) -> Result<Vec<(u32, u32, f32)>, StoreError> {
    let interactions: Vec<(i64, i64, f64)> =
        sqlx::query_as("SELECT from_id, to_id, weight FROM interactions")
            .fetch_all(&mut *conn)
            .await?;
    let chat: Vec<(i64, i64, f64)> = sqlx::query_as(
        "SELECT from_person, to_person, weight FROM chat_ties \
         WHERE from_person IS NOT NULL AND to_person IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut pairs: HashMap<(u32, u32), f32> = HashMap::new();
    for (a, b, w) in interactions.into_iter().chain(chat) {
        if let (Some(&x), Some(&y)) = (ix.person.get(&a), ix.person.get(&b)) {
            if x != y {
                *pairs.entry((x.min(y), x.max(y))).or_default() += w as f32;
            }
        }
    }
    let mut ties: Vec<(u32, u32, f32)> = pairs.into_iter().map(|((a, b), w)| (a, b, w)).collect();
    ties.sort_unstable_by_key(|t| (t.0, t.1));
    Ok(ties)
}

/// Usage of known people up to `as_of`, with the features it names.
async fn read_usage(
    conn: &mut AnyConnection,
    ix: &Indexes,
    as_of: Option<NaiveDate>,
) -> Result<(Vec<Use>, Vec<String>), StoreError> {
    let rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
        "SELECT person_id, tool_id, feature, day, count FROM usage \
         WHERE person_id IS NOT NULL AND count > 0 ORDER BY person_id, day",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut features: Vec<String> = Vec::new();
    let mut feature_index: HashMap<String, u32> = HashMap::new();
    let mut usage = Vec::with_capacity(rows.len());
    for (person, tool_id, feature, day, count) in rows {
        let (Some(&p), Some(day), Some(&tool)) = (
            ix.person.get(&person),
            parse_date(Some(day)),
            ix.tool.get(&tool_id),
        ) else {
            continue;
        };
        if as_of.is_some_and(|a| day > a) {
            continue;
        }
        let next = features.len() as u32;
        let feature = *feature_index.entry(feature.clone()).or_insert_with(|| {
            features.push(feature);
            next
        });
        usage.push(Use {
            person: p,
            tool,
            feature,
            day,
            count: u32::try_from(count).unwrap_or(u32::MAX),
        });
    }
    Ok((usage, features))
}

/// Replies in help channels: who helped whom, when.
async fn read_help(
    conn: &mut AnyConnection,
    ix: &Indexes,
    as_of: Option<NaiveDate>,
) -> Result<Vec<Help>, StoreError> {
    let replies: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT from_person, to_person, day FROM chat_ties \
         WHERE kind = 'reply' AND from_person IS NOT NULL AND to_person IS NOT NULL \
         AND channel IN (SELECT DISTINCT channel FROM chat_questions) ORDER BY day",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(replies
        .into_iter()
        .filter_map(|(a, b, day)| {
            let day = parse_date(Some(day))?;
            if as_of.is_some_and(|x| day > x) {
                return None;
            }
            Some(Help {
                helper: *ix.person.get(&a)?,
                helped: *ix.person.get(&b)?,
                day,
            })
        })
        .collect())
}

/// Every win, wherever it was shared (wins-channel posts are wins once their author is
/// known; see `community::sync_chat_wins`).
async fn read_wins(
    conn: &mut AnyConnection,
    ix: &Indexes,
    as_of: Option<NaiveDate>,
) -> Result<Vec<Win>, StoreError> {
    let rows: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT person_id, created_at, reactions FROM wins ORDER BY created_at, id")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, at, reactions)| {
            let day = parse_date(at.get(..10).map(str::to_owned))?;
            if as_of.is_some_and(|x| day > x) {
                return None;
            }
            Some(Win {
                author: *ix.person.get(&a)?,
                day,
                reactions: u32::try_from(reactions).unwrap_or(0),
            })
        })
        .collect())
}

/// `day` if it is not after `as_of`.
fn until(as_of: Option<NaiveDate>, day: Option<NaiveDate>) -> Option<NaiveDate> {
    day.filter(|d| as_of.is_none_or(|a| *d <= a))
}

/// The day of an RFC 3339 instant (its first ten characters).
fn day_of(instant: &str) -> Option<NaiveDate> {
    parse_date(instant.get(..10).map(str::to_owned))
}

async fn read_access(
    conn: &mut AnyConnection,
    ix: &Indexes,
    as_of: Option<NaiveDate>,
) -> Result<Vec<Access>, StoreError> {
    let rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT person_id, tool_id, granted_on FROM tool_access WHERE person_id IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(person, tool, granted)| {
            let granted = parse_date(granted);
            if granted.is_some() && until(as_of, granted).is_none() {
                return None;
            }
            Some(Access {
                person: *ix.person.get(&person)?,
                tool: *ix.tool.get(&tool)?,
                granted,
            })
        })
        .collect())
}

async fn read_requests(
    conn: &mut AnyConnection,
    ix: &Indexes,
    as_of: Option<NaiveDate>,
) -> Result<Vec<Request>, StoreError> {
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT person_id, requested_at, decided_at FROM access_requests ORDER BY requested_at",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(person, at, decided)| {
            Some(Request {
                person: *ix.person.get(&person)?,
                day: until(as_of, day_of(&at))?,
                granted: until(as_of, decided.as_deref().and_then(day_of)),
            })
        })
        .collect())
}

async fn read_questions(
    conn: &mut AnyConnection,
    ix: &Indexes,
    as_of: Option<NaiveDate>,
) -> Result<Vec<Question>, StoreError> {
    let rows: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(
        "SELECT asker_person, at, stage, answers, unsure FROM chat_questions \
         WHERE asker_person IS NOT NULL ORDER BY at",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(asker, at, stage, answers, unsure)| {
            let stage = QuestionStage::parse(&stage).ok()?;
            Some(Question {
                asker: *ix.person.get(&asker)?,
                day: until(as_of, day_of(&at))?,
                stage: (unsure == 0).then_some(stage),
                answered: answers > 0,
            })
        })
        .collect())
}

async fn read_interventions(
    conn: &mut AnyConnection,
    ix: &Indexes,
) -> Result<Vec<Intervention>, StoreError> {
    Ok(crate::events::intervention_rows(conn)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(Intervention {
                id: r.id,
                kind: InterventionKind::parse(&r.kind)?,
                unit: r.unit_id.and_then(|u| ix.unit.get(&u).copied()),
                site: r.site_id.and_then(|x| ix.site.get(&x).copied()),
                tool: r.tool_id.and_then(|t| ix.tool.get(&t).copied()),
                day: parse_date(Some(r.day))?,
                note: r.note,
            })
        })
        .collect())
}

/// Each site's first wave day, by site index.
async fn read_waves(
    conn: &mut AnyConnection,
    ix: &Indexes,
    sites: usize,
) -> Result<Vec<Option<NaiveDate>>, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT site_id, starts_on FROM rollout_waves")
        .fetch_all(&mut *conn)
        .await?;
    let mut waves = vec![None; sites];
    for (site, day) in rows {
        if let Some(&i) = ix.site.get(&site) {
            waves[i as usize] = parse_date(Some(day));
        }
    }
    Ok(waves)
}

async fn read_incidents(
    conn: &mut AnyConnection,
    as_of: Option<NaiveDate>,
) -> Result<Vec<Incident>, StoreError> {
    let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT reported_at, intervened_at, severity FROM incidents ORDER BY reported_at",
    )
    .fetch_all(&mut *conn)
    .await?;
    let instant = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    Ok(rows
        .into_iter()
        .filter_map(|(reported, intervened, severity)| {
            let reported = instant(&reported)?;
            if as_of.is_some_and(|a| reported.date_naive() > a) {
                return None;
            }
            Some(Incident {
                reported,
                intervened: intervened.as_deref().and_then(instant),
                severity,
            })
        })
        .collect())
}
