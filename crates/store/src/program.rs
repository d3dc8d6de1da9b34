//! The program's people and signals as one [`Population`] for the analytics, and champion
//! statuses (volunteer, serving, opted out).

use std::collections::HashMap;

use chrono::NaiveDate;
use flywheel_domain::usage::QuestionStage;
use flywheel_insights::population::{
    Access, Help, Incident, Intervention, InterventionKind, Person, Population, Question, Request,
    Unit, Use, Win,
};
use serde::Serialize;

use crate::{date_text, parse_date, Store, StoreError};

/// `(id, name, unit, site, manager, champion status, since)` as the population query reads it.
type PersonRow = (
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// A person's champion status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChampionStatus {
    Volunteer,
    Active,
    OptedOut,
    Former,
}

impl ChampionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Volunteer => "volunteer",
            Self::Active => "active",
            Self::OptedOut => "opted_out",
            Self::Former => "former",
        }
    }

    pub fn parse(s: &str) -> Option<ChampionStatus> {
        match s.replace('-', "_").as_str() {
            "volunteer" => Some(Self::Volunteer),
            "active" => Some(Self::Active),
            "opted_out" => Some(Self::OptedOut),
            "former" => Some(Self::Former),
            _ => None,
        }
    }
}

impl Store {
    /// Sets a person's champion status from `since` (a change of status restarts the clock;
    /// setting the same status again keeps the original day).
    pub async fn set_champion_status(
        &self,
        person: i64,
        status: ChampionStatus,
        since: NaiveDate,
    ) -> Result<(), StoreError> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1")
            .bind(person)
            .fetch_optional(&self.pool)
            .await?;
        if exists.is_none() {
            return Err(StoreError::Invalid(format!("no person with id {person}")));
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        sqlx::query(
            "INSERT INTO champions (person_id, status, since, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (person_id) DO UPDATE SET \
             since = CASE WHEN champions.status = excluded.status THEN champions.since ELSE excluded.since END, \
             status = excluded.status, updated_at = excluded.updated_at",
        )
        .bind(person)
        .bind(status.as_str())
        .bind(date_text(since))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Everyone who has not left, with their department, site, place in the manager tree
    /// and champion status; the collaboration ties among them (imported interactions and
    /// chat ties, summed per pair); their usage; help given (replies in the channels that
    /// questions were asked in); and wins. People are indexed in id order.
    pub async fn population(&self, as_of: Option<NaiveDate>) -> Result<Population, StoreError> {
        // One snapshot for every query below: an import committing halfway through must
        // not give people of one state and usage of another.
        let mut snap = self.read_snapshot().await?;
        let unit_rows: Vec<(i64, String, String, Option<i64>, String)> =
            sqlx::query_as("SELECT id, name, path, parent_id, kind FROM org_units ORDER BY id")
                .fetch_all(&mut *snap)
                .await?;
        let unit_index: HashMap<i64, u32> = unit_rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.0, i as u32))
            .collect();
        let units: Vec<Unit> = unit_rows
            .iter()
            .map(|(_, name, path, parent, kind)| Unit {
                name: name.clone(),
                path: path.clone(),
                parent: parent.and_then(|p| unit_index.get(&p).copied()),
                kind: kind.clone(),
            })
            .collect();
        let unit_by_id: HashMap<i64, (String, Option<i64>, String)> = unit_rows
            .into_iter()
            .map(|(id, name, _, parent, kind)| (id, (name, parent, kind)))
            .collect();
        // A unit's department: the nearest ancestor-or-self of kind department, else the
        // topmost unit of its chain.
        let department_of = |mut unit: i64| -> String {
            let mut top = String::new();
            for _ in 0..64 {
                let Some((name, parent, kind)) = unit_by_id.get(&unit) else {
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
        };
        let rows: Vec<PersonRow> = sqlx::query_as(
            "SELECT p.id, p.display_name, p.unit_id, p.site_id, p.manager_id, c.status, c.since \
                 FROM people p LEFT JOIN champions c ON c.person_id = p.id \
                 WHERE p.left_on IS NULL ORDER BY p.id",
        )
        .fetch_all(&mut *snap)
        .await?;
        let sites: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM sites ORDER BY id")
            .fetch_all(&mut *snap)
            .await?;
        let site_index: HashMap<i64, u32> = sites
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, i as u32))
            .collect();
        let index: HashMap<i64, u32> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.0, i as u32))
            .collect();
        let mut departments: Vec<String> = Vec::new();
        let mut department_index: HashMap<String, u32> = HashMap::new();
        let mut people = Vec::with_capacity(rows.len());
        let mut manager: Vec<Option<u32>> = Vec::with_capacity(rows.len());
        for (id, name, unit, site, mgr, status, since) in &rows {
            let dept = unit.map_or_else(|| "(no unit)".to_owned(), department_of);
            let next = departments.len() as u32;
            let d = *department_index.entry(dept.clone()).or_insert_with(|| {
                departments.push(dept);
                next
            });
            manager.push(mgr.and_then(|m| index.get(&m).copied()));
            people.push(Person {
                id: *id,
                name: name.clone(),
                department: d,
                unit: unit.and_then(|u| unit_index.get(&u).copied()),
                site: site.and_then(|s| site_index.get(&s).copied()),
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
        // Levels (depth) and spans (everyone below), walking each manager chain once per
        // person; chains are bounded (cycles are refused at import, but stay safe here).
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

        let mut pairs: HashMap<(u32, u32), f32> = HashMap::new();
        let mut add_tie = |a: i64, b: i64, w: f64| {
            if let (Some(&x), Some(&y)) = (index.get(&a), index.get(&b)) {
                if x != y {
                    *pairs.entry((x.min(y), x.max(y))).or_default() += w as f32;
                }
            }
        };
        let interactions: Vec<(i64, i64, f64)> =
            sqlx::query_as("SELECT from_id, to_id, weight FROM interactions")
                .fetch_all(&mut *snap)
                .await?;
        for (a, b, w) in interactions {
            add_tie(a, b, w);
        }
        let chat: Vec<(i64, i64, f64)> = sqlx::query_as(
            "SELECT from_person, to_person, weight FROM chat_ties \
             WHERE from_person IS NOT NULL AND to_person IS NOT NULL",
        )
        .fetch_all(&mut *snap)
        .await?;
        for (a, b, w) in chat {
            add_tie(a, b, w);
        }
        let mut ties: Vec<(u32, u32, f32)> =
            pairs.into_iter().map(|((a, b), w)| (a, b, w)).collect();
        ties.sort_unstable_by_key(|t| (t.0, t.1));

        let tool_rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM tools ORDER BY id")
                .fetch_all(&mut *snap)
                .await?;
        let tool_index: HashMap<i64, u32> = tool_rows
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, i as u32))
            .collect();
        let tools: Vec<String> = tool_rows.into_iter().map(|(_, name)| name).collect();
        let mut features: Vec<String> = Vec::new();
        let mut feature_index: HashMap<String, u32> = HashMap::new();
        let usage_rows: Vec<(i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT person_id, tool_id, feature, day, count FROM usage \
             WHERE person_id IS NOT NULL AND count > 0 ORDER BY person_id, day",
        )
        .fetch_all(&mut *snap)
        .await?;
        let mut usage = Vec::with_capacity(usage_rows.len());
        for (person, tool_id, feature, day, count) in usage_rows {
            let (Some(&p), Some(day), Some(&tool)) = (
                index.get(&person),
                parse_date(Some(day)),
                tool_index.get(&tool_id),
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
        let replies: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT from_person, to_person, day FROM chat_ties \
             WHERE kind = 'reply' AND from_person IS NOT NULL AND to_person IS NOT NULL \
             AND channel IN (SELECT DISTINCT channel FROM chat_questions) ORDER BY day",
        )
        .fetch_all(&mut *snap)
        .await?;
        let help = replies
            .into_iter()
            .filter_map(|(a, b, day)| {
                let day = parse_date(Some(day))?;
                if as_of.is_some_and(|x| day > x) {
                    return None;
                }
                Some(Help {
                    helper: *index.get(&a)?,
                    helped: *index.get(&b)?,
                    day,
                })
            })
            .collect();
        let win_rows: Vec<(i64, String, i64)> = sqlx::query_as(
            // Every win, wherever it was shared (wins-channel posts are wins once their
            // author is known; see `community::sync_chat_wins`).
            "SELECT person_id, created_at, reactions FROM wins ORDER BY created_at, id",
        )
        .fetch_all(&mut *snap)
        .await?;
        let wins = win_rows
            .into_iter()
            .filter_map(|(a, at, reactions)| {
                let day = parse_date(at.get(..10).map(str::to_owned))?;
                if as_of.is_some_and(|x| day > x) {
                    return None;
                }
                Some(Win {
                    author: *index.get(&a)?,
                    day,
                    reactions: u32::try_from(reactions).unwrap_or(0),
                })
            })
            .collect();
        let as_of = as_of.or_else(|| usage.iter().map(|u: &Use| u.day).max());
        let until = |day: Option<NaiveDate>| day.filter(|d| as_of.is_none_or(|a| *d <= a));

        let access_rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT person_id, tool_id, granted_on FROM tool_access WHERE person_id IS NOT NULL",
        )
        .fetch_all(&mut *snap)
        .await?;
        let access = access_rows
            .into_iter()
            .filter_map(|(person, tool, granted)| {
                let granted = parse_date(granted);
                if granted.is_some() && until(granted).is_none() {
                    return None;
                }
                Some(Access {
                    person: *index.get(&person)?,
                    tool: *tool_index.get(&tool)?,
                    granted,
                })
            })
            .collect();
        let request_rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT person_id, requested_at, decided_at FROM access_requests \
             ORDER BY requested_at",
        )
        .fetch_all(&mut *snap)
        .await?;
        let requests = request_rows
            .into_iter()
            .filter_map(|(person, at, decided)| {
                Some(Request {
                    person: *index.get(&person)?,
                    day: until(parse_date(at.get(..10).map(str::to_owned)))?,
                    granted: until(parse_date(
                        decided.and_then(|d| d.get(..10).map(str::to_owned)),
                    )),
                })
            })
            .collect();
        let question_rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT asker_person, at, stage, answers FROM chat_questions \
             WHERE asker_person IS NOT NULL ORDER BY at",
        )
        .fetch_all(&mut *snap)
        .await?;
        let questions = question_rows
            .into_iter()
            .filter_map(|(asker, at, stage, answers)| {
                let stage = match stage.as_str() {
                    "awareness" => QuestionStage::Awareness,
                    "access" => QuestionStage::Access,
                    "how_to" => QuestionStage::HowTo,
                    "frontier" => QuestionStage::Frontier,
                    _ => return None,
                };
                Some(Question {
                    asker: *index.get(&asker)?,
                    day: until(parse_date(at.get(..10).map(str::to_owned)))?,
                    stage,
                    answered: answers > 0,
                })
            })
            .collect();
        let interventions = self
            .intervention_rows()
            .await?
            .into_iter()
            .filter_map(|r| {
                Some(Intervention {
                    id: r.id,
                    kind: InterventionKind::parse(&r.kind)?,
                    unit: r.unit_id.and_then(|u| unit_index.get(&u).copied()),
                    site: r.site_id.and_then(|x| site_index.get(&x).copied()),
                    tool: r.tool_id.and_then(|t| tool_index.get(&t).copied()),
                    day: parse_date(Some(r.day))?,
                    note: r.note,
                })
            })
            .collect();
        let wave_rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT site_id, starts_on FROM rollout_waves")
                .fetch_all(&mut *snap)
                .await?;
        let mut waves = vec![None; sites.len()];
        for (site, day) in wave_rows {
            if let Some(&i) = site_index.get(&site) {
                waves[i as usize] = parse_date(Some(day));
            }
        }
        let incident_rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT reported_at, intervened_at, severity FROM incidents ORDER BY reported_at",
        )
        .fetch_all(&mut *snap)
        .await?;
        let instant = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc))
        };
        let incidents = incident_rows
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
            .collect();
        snap.commit().await?;
        Ok(Population {
            as_of,
            people,
            departments,
            sites: sites.into_iter().map(|(_, name)| name).collect(),
            tools,
            features,
            ties,
            usage,
            help,
            wins,
            units,
            access,
            requests,
            questions,
            interventions,
            waves,
            incidents,
        })
    }
}
