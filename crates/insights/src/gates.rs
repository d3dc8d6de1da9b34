//! Stage gates: may the program move from Crawl to Walk, Walk to Run, Run to Fly? Each
//! stage's criteria (a metric and a threshold) come from a configuration the binary reads
//! from TOML (`config/stages.toml` holds the defaults); the evaluation lists every
//! criterion with its measured value, threshold and verdict.

use crate::{InsightError, InsightResult};
use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::momentum::{Momentum, ORGANIC_DAYS, WINDOW_DAYS};
use crate::population::Population;
use crate::privacy::suppressed;

/// The gates, stage by stage in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    pub stage: Vec<StageConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageConfig {
    pub name: String,
    #[serde(default)]
    pub about: String,
    pub criterion: Vec<Criterion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub metric: String,
    pub label: String,
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
}

/// The metrics a criterion may name, with their definitions.
pub const METRICS: [(&str, &str); 14] = [
    ("pilot_active_4_weeks", "people who used AI in each of the last 4 weeks"),
    ("ceo_active", "1 when the person at the top of the org chart used AI in the last 28 days, else 0"),
    ("wins_shared", "wins shared in wins channels up to the day"),
    ("active_users", "people who used AI in the last 28 days"),
    ("champions_serving", "people whose champion status is active"),
    ("champion_department_coverage", "share of departments with at least one serving champion"),
    ("organic_demand_untrained", "distinct people from units no training reached who requested access or asked a question in the last 91 days"),
    ("sites_per_month", "sites whose rollout wave started in the last 91 days, per month (÷ 3)"),
    ("sites_tracked_share", "of the sites whose wave has started, the share with at least the minimum group size of active people"),
    ("pull_people", "distinct people asking (access requests, questions) from sites before their wave or not scheduled, last 91 days"),
    ("habitual_share", "habitual users ÷ eligible people"),
    ("frontier_share", "frontier questions ÷ questions in the last 28 days"),
    ("builder_share", "builders ÷ active users"),
    ("momentum_index_min_3", "the lowest momentum index of the last 3 snapshots"),
];

impl GateConfig {
    /// Checks names and thresholds; the message names the stage and criterion at fault.
    pub fn validate(&self) -> InsightResult<()> {
        if self.stage.is_empty() {
            return Err(InsightError::Invalid("no [[stage]] defined".into()));
        }
        let mut names = HashSet::new();
        for s in &self.stage {
            if !names.insert(s.name.as_str()) {
                return Err(InsightError::Invalid(format!(
                    "stage {:?} is defined twice",
                    s.name
                )));
            }
            if s.criterion.is_empty() {
                return Err(InsightError::Invalid(format!(
                    "stage {:?} has no criterion",
                    s.name
                )));
            }
            for c in &s.criterion {
                if !METRICS.iter().any(|(m, _)| *m == c.metric) {
                    return Err(InsightError::Invalid(format!(
                        "stage {:?}, criterion {:?}: unknown metric {:?} (known: {})",
                        s.name,
                        c.label,
                        c.metric,
                        METRICS.map(|m| m.0).join(", ")
                    )));
                }
                match (c.at_least, c.at_most) {
                    (None, None) => {
                        return Err(InsightError::Invalid(format!(
                            "stage {:?}, criterion {:?}: needs at_least or at_most",
                            s.name, c.label
                        )))
                    }
                    (Some(a), Some(b)) if a > b => {
                        return Err(InsightError::Invalid(format!(
                            "stage {:?}, criterion {:?}: at_least {a} is above at_most {b}",
                            s.name, c.label
                        )))
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// A criterion as evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionResult {
    pub metric: String,
    pub label: String,
    pub value: Option<f64>,
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
    pub pass: bool,
    /// What the value rests on, or why there is none.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageResult {
    pub name: String,
    pub about: String,
    pub pass: bool,
    pub criteria: Vec<CriterionResult>,
}

/// A stage evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub as_of: NaiveDate,
    pub people: usize,
    pub min_group_size: usize,
    /// The last stage whose criteria, and all earlier stages', pass; `None` before the first.
    pub reached: Option<String>,
    /// The first stage not passed.
    pub next: Option<String>,
    pub stages: Vec<StageResult>,
}

/// A measured value, or why there is none, with what it rests on.
struct Measured {
    value: Option<f64>,
    detail: String,
}

fn measured(value: f64, detail: String) -> Measured {
    Measured {
        value: Some(value),
        detail,
    }
}

fn missing(detail: impl Into<String>) -> Measured {
    Measured {
        value: None,
        detail: detail.into(),
    }
}

/// `num` of `den` as a share, or why there is none.
fn share(num: usize, den: usize, what: &str) -> Measured {
    match den {
        0 => missing(format!("no {what} yet")),
        _ => measured(num as f64 / den as f64, format!("{num} of {den} {what}")),
    }
}

fn measure(metric: &str, pop: &Population, m: &Momentum) -> Measured {
    let t = m.basis.as_of;
    let min = m.basis.min_group_size;
    let now = m.funnel.last();
    let withheld = || missing("withheld: the company is smaller than the minimum group size");
    match metric {
        "pilot_active_4_weeks" => pilot_active(pop, t),
        "ceo_active" => ceo_active(pop, t),
        "wins_shared" => {
            let n = pop.wins.iter().filter(|w| w.day <= t).count();
            measured(n as f64, format!("{n} wins shared up to {t}"))
        }
        "active_users" => match now {
            Some(f) => measured(
                f.active as f64,
                format!("{} people used AI in the 28 days to {t}", f.active),
            ),
            None => withheld(),
        },
        "champions_serving" => {
            let n = pop
                .people
                .iter()
                .filter(|p| p.champion_since.is_some())
                .count();
            measured(n as f64, format!("{n} people with champion status active"))
        }
        "champion_department_coverage" => department_coverage(pop),
        "organic_demand_untrained" => people_asking(pop, t, min, "from untrained units", |p, d| {
            !pop.trained(p, d)
        }),
        "sites_per_month" => sites_per_month(pop, t),
        "sites_tracked_share" => sites_tracked(pop, t, min),
        "pull_people" => people_asking(pop, t, min, "before their site's wave", |p, d| {
            pop.people[p as usize].site.is_some() && pop.wave_of(p).is_none_or(|w| w > d)
        }),
        "habitual_share" => match now {
            Some(f) => share(f.habitual, f.eligible, "eligible people are habitual users"),
            None => withheld(),
        },
        "frontier_share" => frontier_share(pop, t, min),
        "builder_share" => match now {
            Some(f) => share(f.builder, f.active, "active users are builders"),
            None => withheld(),
        },
        "momentum_index_min_3" => index_min_3(m),
        other => missing(format!("unknown metric {other:?}")),
    }
}

/// People active in each of the 4 weeks to `t`.
fn pilot_active(pop: &Population, t: NaiveDate) -> Measured {
    let mut weeks: Vec<[bool; 4]> = vec![[false; 4]; pop.len()];
    let from = t - Duration::days(WINDOW_DAYS - 1);
    for u in pop
        .usage
        .iter()
        .filter(|u| u.count > 0 && u.day >= from && u.day <= t)
    {
        weeks[u.person as usize][((t - u.day).num_days() / 7).clamp(0, 3) as usize] = true;
    }
    let n = weeks.iter().filter(|w| w.iter().all(|x| *x)).count();
    measured(
        n as f64,
        format!("{n} people active in each of the 4 weeks to {t}"),
    )
}

/// Whether the top of the org chart used AI in the 28 days to `t`.
fn ceo_active(pop: &Population, t: NaiveDate) -> Measured {
    let Some((top, person)) = pop
        .people
        .iter()
        .enumerate()
        .filter(|(_, p)| p.level == 0)
        .max_by_key(|(_, p)| p.span)
    else {
        return missing("no org chart imported");
    };
    let from = t - Duration::days(WINDOW_DAYS - 1);
    let used = pop
        .usage
        .iter()
        .any(|u| u.person as usize == top && u.count > 0 && u.day >= from && u.day <= t);
    measured(
        f64::from(u8::from(used)),
        format!(
            "the top of the org chart ({} people below) {} AI in the 28 days to {t}",
            person.span,
            if used { "used" } else { "did not use" }
        ),
    )
}

/// The share of departments with people that have a serving champion.
fn department_coverage(pop: &Population) -> Measured {
    let mut with_people: HashSet<u32> = HashSet::new();
    let mut covered: HashSet<u32> = HashSet::new();
    for p in &pop.people {
        if pop
            .departments
            .get(p.department as usize)
            .is_some_and(|d| d != "(no unit)")
        {
            with_people.insert(p.department);
            if p.champion_since.is_some() {
                covered.insert(p.department);
            }
        }
    }
    share(
        covered.len(),
        with_people.len(),
        "departments have a serving champion",
    )
}

/// Sites whose wave started in the 91 days to `t`, per month.
fn sites_per_month(pop: &Population, t: NaiveDate) -> Measured {
    if pop.waves.iter().all(Option::is_none) {
        return missing("no rollout waves scheduled");
    }
    let from = t - Duration::days(ORGANIC_DAYS - 1);
    let n = pop
        .waves
        .iter()
        .flatten()
        .filter(|w| **w >= from && **w <= t)
        .count();
    measured(
        n as f64 / 3.0,
        format!("{n} sites' waves started in the 91 days to {t}"),
    )
}

/// The share of rolled-out sites with at least the minimum group size of active people.
fn sites_tracked(pop: &Population, t: NaiveDate, min: usize) -> Measured {
    let started: Vec<usize> = pop
        .waves
        .iter()
        .enumerate()
        .filter(|(_, w)| w.is_some_and(|w| w <= t))
        .map(|(s, _)| s)
        .collect();
    if started.is_empty() {
        return missing("no site's wave has started");
    }
    let from = t - Duration::days(WINDOW_DAYS - 1);
    let mut active: Vec<HashSet<u32>> = vec![HashSet::new(); pop.sites.len()];
    for u in pop
        .usage
        .iter()
        .filter(|u| u.count > 0 && u.day >= from && u.day <= t)
    {
        if let Some(s) = pop.people[u.person as usize].site {
            active[s as usize].insert(u.person);
        }
    }
    let tracked = started.iter().filter(|&&s| active[s].len() >= min).count();
    share(
        tracked,
        started.len(),
        "rolled-out sites with adoption data",
    )
}

/// The share of the last 28 days' questions that were at the frontier.
fn frontier_share(pop: &Population, t: NaiveDate, min: usize) -> Measured {
    let qs = pop.questions_between(t - Duration::days(WINDOW_DAYS - 1), t);
    let askers = qs.iter().map(|q| q.asker).collect::<HashSet<_>>().len();
    if let Some(r) = suppressed(askers, min) {
        return missing(if qs.is_empty() {
            "no questions in the last 28 days".into()
        } else {
            r
        });
    }
    let frontier = qs
        .iter()
        .filter(|q| q.stage == Some(flywheel_domain::usage::QuestionStage::Frontier))
        .count();
    share(
        frontier,
        qs.len(),
        "questions of the last 28 days were at the frontier",
    )
}

/// The lowest momentum index of the last 3 snapshots.
fn index_min_3(m: &Momentum) -> Measured {
    let last: Vec<Option<f64>> = m.index.history.iter().rev().take(3).map(|h| h.1).collect();
    if last.len() < 3 || last.iter().any(Option::is_none) {
        return missing("fewer than 3 snapshots with an index");
    }
    let lowest = last.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    measured(
        lowest,
        format!(
            "index at the last 3 snapshots: {}",
            last.iter()
                .rev()
                .map(|v| format!("{:.0}", v.unwrap_or(0.0)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

/// Distinct people who asked (an access request or a question) in the 91 days to `t` and
/// meet `pred`; withheld below the minimum group size.
fn people_asking(
    pop: &Population,
    t: NaiveDate,
    min: usize,
    what: &str,
    pred: impl Fn(u32, NaiveDate) -> bool,
) -> Measured {
    let people: HashSet<u32> = pop
        .demand(t - Duration::days(ORGANIC_DAYS - 1), t)
        .into_iter()
        .filter(|(p, d, _)| pred(*p, *d))
        .map(|(p, _, _)| p)
        .collect();
    match suppressed(people.len(), min) {
        Some(r) if !people.is_empty() => missing(r),
        _ => measured(
            people.len() as f64,
            format!("{} people {what} asked in the 91 days to {t}", people.len()),
        ),
    }
}

/// Evaluates every stage of `config` on `pop` with its momentum `m` (same day).
pub fn evaluate(config: &GateConfig, pop: &Population, m: &Momentum) -> InsightResult<Evaluation> {
    config.validate()?;
    let mut stages = Vec::with_capacity(config.stage.len());
    for s in &config.stage {
        let criteria: Vec<CriterionResult> = s
            .criterion
            .iter()
            .map(|c| {
                let got = measure(&c.metric, pop, m);
                let pass = got.value.is_some_and(|v| {
                    c.at_least.is_none_or(|a| v >= a - 1e-9)
                        && c.at_most.is_none_or(|b| v <= b + 1e-9)
                });
                CriterionResult {
                    metric: c.metric.clone(),
                    label: c.label.clone(),
                    value: got.value,
                    at_least: c.at_least,
                    at_most: c.at_most,
                    pass,
                    detail: got.detail,
                }
            })
            .collect();
        stages.push(StageResult {
            name: s.name.clone(),
            about: s.about.clone(),
            pass: criteria.iter().all(|c| c.pass),
            criteria,
        });
    }
    let passed = stages.iter().take_while(|s| s.pass).count();
    Ok(Evaluation {
        as_of: m.basis.as_of,
        people: m.basis.people,
        min_group_size: m.basis.min_group_size,
        reached: passed.checked_sub(1).map(|i| stages[i].name.clone()),
        next: stages.get(passed).map(|s| s.name.clone()),
        stages,
    })
}

impl CriterionResult {
    /// The threshold in words: "≥ 10", "≤ 4", "3 – 4".
    pub fn threshold(&self) -> String {
        let f = |x: f64| {
            if x.fract() == 0.0 {
                format!("{x:.0}")
            } else {
                format!("{x}")
            }
        };
        match (self.at_least, self.at_most) {
            (Some(a), Some(b)) => format!("{} – {}", f(a), f(b)),
            (Some(a), None) => format!("≥ {}", f(a)),
            (None, Some(b)) => format!("≤ {}", f(b)),
            (None, None) => "-".into(),
        }
    }
}
