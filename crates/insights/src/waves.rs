//! Rollout waves: sites planned into monthly waves (3–4 a month by default), and *pull* —
//! demand from a site before its wave — as the signal to move it forward.

use crate::{InsightError, InsightResult};
use std::collections::HashSet;

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::Serialize;

use crate::momentum::ORGANIC_DAYS;
use crate::population::Population;
use crate::privacy::suppressed;

/// A site's readiness and pull.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteStatus {
    pub site: String,
    pub people: usize,
    /// The first day of its wave, if scheduled.
    pub wave: Option<NaiveDate>,
    /// Whether the wave has started by the as-of day.
    pub started: bool,
    /// Distinct people who asked (access requests, questions) or began using AI before the
    /// wave, in the 91 days before the wave or the as-of day, whichever is first; `None`
    /// when withheld.
    pub pull_people: Option<usize>,
    /// The same per 100 people of the site.
    pub pull_per_100: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// Not started, and pulling at least the threshold per 100 people (and at least the
    /// minimum group size): a signal to move the site forward.
    pub move_forward: bool,
}

/// The default pull that suggests moving a site forward: people asking or starting on
/// their own, per 100 people of the site.
pub const PULL_PER_100: f64 = 10.0;

/// A planned wave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wave {
    pub starts_on: NaiveDate,
    pub sites: Vec<String>,
}

/// Site statuses and, when asked, a plan for the sites not yet scheduled (or all sites).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waves {
    pub as_of: NaiveDate,
    pub min_group_size: usize,
    pub sites: Vec<SiteStatus>,
    /// Planned waves (empty unless a plan was asked for).
    pub plan: Vec<Wave>,
    pub per_month: usize,
    pub pull_per_100: f64,
    /// How the plan orders sites.
    pub order: &'static str,
}

/// Options for [`waves`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaveOptions {
    pub as_of: Option<NaiveDate>,
    pub min_group_size: usize,
    /// Plan the sites not yet started (`Some(first month)`), or only report.
    pub plan_from: Option<NaiveDate>,
    /// Re-plan sites already scheduled but not started, too.
    pub replan: bool,
    pub per_month: usize,
    /// Pull per 100 people from which a site not started should move forward.
    pub pull_per_100: f64,
}

/// Pull per site as of the day, and a plan when asked.
pub fn waves(pop: &Population, opts: &WaveOptions) -> InsightResult<Waves> {
    let as_of = opts.as_of.or(pop.as_of).ok_or_else(|| {
        InsightError::TooLittleData(
            "no data imported yet: waves need at least the org chart and some usage".into(),
        )
    })?;
    if opts.per_month == 0 {
        return Err(InsightError::Invalid(
            "sites per month must be at least 1".into(),
        ));
    }
    let min = opts.min_group_size;
    let first = pop.first_use();
    let mut people = vec![0usize; pop.sites.len()];
    for p in &pop.people {
        if let Some(s) = p.site {
            people[s as usize] += 1;
        }
    }
    let mut askers: Vec<HashSet<u32>> = vec![HashSet::new(); pop.sites.len()];
    let events = pop
        .requests
        .iter()
        .map(|r| (r.person, r.day))
        .chain(pop.questions.iter().map(|q| (q.asker, q.day)))
        .chain(
            first
                .iter()
                .enumerate()
                .filter_map(|(p, d)| d.map(|d| (p as u32, d))),
        );
    for (p, day) in events {
        let Some(s) = pop.people[p as usize].site else {
            continue;
        };
        let wave = pop.waves.get(s as usize).copied().flatten();
        let until = wave.map_or(as_of, |w| {
            w.min(as_of + Duration::days(1)) - Duration::days(1)
        });
        let from = until - Duration::days(ORGANIC_DAYS - 1);
        if day >= from && day <= until && wave.is_none_or(|w| day < w) {
            askers[s as usize].insert(p);
        }
    }
    let sites: Vec<SiteStatus> = pop
        .sites
        .iter()
        .enumerate()
        .map(|(s, name)| {
            let wave = pop.waves.get(s).copied().flatten();
            let started = wave.is_some_and(|w| w <= as_of);
            let n = askers[s].len();
            let withheld = suppressed(people[s], min)
                .or_else(|| (n > 0).then(|| suppressed(n, min)).flatten());
            let per_100 = (people[s] > 0).then(|| 100.0 * n as f64 / people[s] as f64);
            SiteStatus {
                site: name.clone(),
                people: people[s],
                wave,
                started,
                pull_people: withheld.is_none().then_some(n),
                pull_per_100: if withheld.is_none() { per_100 } else { None },
                move_forward: withheld.is_none()
                    && !started
                    && per_100.is_some_and(|x| x >= opts.pull_per_100),
                suppressed: withheld,
            }
        })
        .collect();
    let mut plan = Vec::new();
    if let Some(from) = opts.plan_from {
        let mut todo: Vec<&SiteStatus> = sites
            .iter()
            .filter(|s| !s.started && (opts.replan || s.wave.is_none()))
            .collect();
        // Sites that pull come first (most pull per 100 first), then the larger ones.
        todo.sort_by(|a, b| {
            b.pull_per_100
                .unwrap_or(0.0)
                .total_cmp(&a.pull_per_100.unwrap_or(0.0))
                .then(b.people.cmp(&a.people))
                .then(a.site.cmp(&b.site))
        });
        let month = from.with_day(1).unwrap_or(from);
        for (k, chunk) in todo.chunks(opts.per_month).enumerate() {
            let starts_on = month
                .checked_add_months(Months::new(k as u32))
                .ok_or_else(|| InsightError::Invalid("the plan runs past the calendar".into()))?;
            plan.push(Wave {
                starts_on,
                sites: chunk.iter().map(|s| s.site.clone()).collect(),
            });
        }
    }
    Ok(Waves {
        as_of,
        min_group_size: min,
        sites,
        plan,
        per_month: opts.per_month,
        pull_per_100: opts.pull_per_100,
        order: "sites that pull first (people asking or starting before their wave, per 100), then larger sites",
    })
}
