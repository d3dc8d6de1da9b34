//! Is the wheel turning? The adoption funnel over time (overall and per department, team,
//! site or tool), activity and habit, breadth, the maturity of questions, organic demand,
//! peer teaching, re-use across teams, time from access to first use, inequality between
//! teams, quiet power users and incidents — and one momentum index whose parts are shown.
//!
//! Every definition is in `docs/METRICS.md`; the window is [`WINDOW_DAYS`] days ending on
//! the snapshot day. Aggregates over fewer people than the minimum group size are withheld
//! with the reason ([`crate::privacy`]).

use crate::{InsightError, InsightResult};
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};
use flywheel_domain::usage::QuestionStage;
use serde::Serialize;

use crate::population::{InterventionKind, Population};
use crate::privacy::{suppressed, Cell};

/// The activity window: "active" means used in the last 28 days.
pub const WINDOW_DAYS: i64 = 28;
/// Habitual: active in at least this many of the window's four weeks.
pub const HABIT_WEEKS: usize = 3;
/// Builders contributed (a win shared or a colleague answered) within this many days.
pub const CONTRIBUTION_DAYS: i64 = 90;
/// Snapshots are this many days apart, at most [`SNAPSHOTS`] of them.
pub const SNAPSHOT_STEP: i64 = 28;
pub const SNAPSHOTS: usize = 7;

/// How to group the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Department,
    Team,
    Site,
    Tool,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<GroupBy> {
        match s {
            "department" | "unit" => Some(Self::Department),
            "team" => Some(Self::Team),
            "site" => Some(Self::Site),
            "tool" => Some(Self::Tool),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Department => "department",
            Self::Team => "team",
            Self::Site => "site",
            Self::Tool => "tool",
        }
    }
}

/// The funnel's stages, each contained in the one before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Funnel {
    /// In the program's scope: their site's rollout wave has come (everyone, when no
    /// waves are scheduled), or they already have access or use AI.
    pub eligible: usize,
    /// Hold a licence or seat (or already use a tool).
    pub access: usize,
    /// Used an AI tool at least once.
    pub tried: usize,
    /// Used one in the last 28 days.
    pub active: usize,
    /// Used one in at least 3 of the last 4 weeks.
    pub habitual: usize,
    /// Habitual and contributing: shared a win or answered a colleague in the last 90 days.
    pub builder: usize,
}

impl Funnel {
    fn add(&mut self, level: u8) {
        let l = usize::from(level);
        self.eligible += usize::from(l >= 1);
        self.access += usize::from(l >= 2);
        self.tried += usize::from(l >= 3);
        self.active += usize::from(l >= 4);
        self.habitual += usize::from(l >= 5);
        self.builder += usize::from(l >= 6);
    }
}

/// A group's funnel at every snapshot, or why it is withheld.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFunnel {
    pub group: String,
    /// People in the group (eligible at the last snapshot for tools); `None` when withheld.
    pub people: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// One per snapshot (empty when withheld).
    pub funnel: Vec<Funnel>,
}

/// Weekly and monthly actives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub day: NaiveDate,
    pub wau: usize,
    pub mau: usize,
    /// WAU / MAU.
    pub stickiness: Cell,
}

/// Distinct tools and use cases (tool and feature) per active person in the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breadth {
    pub tools_per_active: Cell,
    pub use_cases_per_active: Cell,
    /// Share of active people using more than one tool.
    pub multi_tool_share: Cell,
}

/// A calendar month's questions by maturity stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionMonth {
    pub month: String,
    pub questions: usize,
    /// Shares of awareness, access, how-to and frontier among the questions with a stage
    /// (those the classifier was unsure of are in `questions`, not here); empty when
    /// withheld.
    pub mix: Vec<(String, f64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

/// Demand nobody pushed: access requests and questions from people whose unit had no
/// training yet, or whose site's wave had not come.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organic {
    pub window_days: i64,
    pub requests: usize,
    pub questions: usize,
    pub organic_requests: usize,
    pub organic_questions: usize,
    /// Organic share of all demand events in the window.
    pub organic_share: Cell,
    /// Organic demand per department: distinct people asking (withheld below the minimum).
    pub by_department: Vec<(String, Cell)>,
    /// Per site not yet in its wave: distinct people asking.
    pub by_site_before_wave: Vec<(String, Cell)>,
}

/// How much colleagues teach each other, in the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Teaching {
    pub questions: usize,
    /// Share of questions that got an answer.
    pub answered_share: Cell,
    /// Replies that helped a colleague, per 100 active people.
    pub helps_per_100_active: Cell,
    /// Share of active people who helped someone.
    pub helper_share: Cell,
}

/// Use cases (a tool's feature) and how far they travelled across departments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reuse {
    pub use_cases: usize,
    /// Used in two or more departments.
    pub reused_across_departments: usize,
    pub mean_departments_per_use_case: Option<f64>,
}

/// From access granted to first use, in days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeToUse {
    /// Grants with a known day.
    pub grants: usize,
    pub used: usize,
    pub median_days: Cell,
    pub p75_days: Cell,
    /// Share of grants used on the day of the grant.
    pub same_day_share: Cell,
    /// Access requests decided, and the median days from request to decision.
    pub requests_decided: usize,
    pub median_request_days: Cell,
}

/// A team well behind the teams of its function.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Laggard {
    pub team: String,
    pub department: String,
    pub people: usize,
    pub active_share: f64,
    /// The active share of the department's other teams together.
    pub peers_active_share: f64,
    /// One-sided z statistic of the team against its peers' share.
    pub z: f64,
}

/// How evenly adoption spreads across teams.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inequality {
    pub teams: usize,
    /// Teams withheld (fewer people than the minimum).
    pub teams_suppressed: usize,
    /// Gini coefficient of teams' active shares (0 = even, 1 = all in one team).
    pub gini: Option<f64>,
    /// Teams significantly behind their department's other teams (z < −1.645) by at
    /// least 10 points.
    pub laggards: Vec<Laggard>,
}

/// Heavy users who never shared a win nor answered a colleague.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuietPower {
    /// "Heavy": active days in the window at or above the top decile of active people.
    pub min_active_days: usize,
    pub count: usize,
    /// Their ids, only when individual-level output was asked for (admins, audited).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<i64>,
}

/// Incidents and how fast someone intervened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incidents {
    pub total: usize,
    pub in_window: usize,
    pub open: usize,
    pub median_hours_to_intervene: Option<f64>,
    pub by_severity: Vec<(String, usize)>,
}

/// One part of the momentum index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub name: &'static str,
    /// What the value is, in words.
    pub from: &'static str,
    pub value: Option<f64>,
    /// The value that earns the full score.
    pub target: f64,
    /// min(1, value / target); parts without a value are left out of the mean.
    pub score: Option<f64>,
}

/// The momentum index: the mean of its parts' scores, ×100.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Index {
    pub value: Option<f64>,
    pub parts: Vec<Part>,
    /// The index at every snapshot, oldest first.
    pub history: Vec<(NaiveDate, Option<f64>)>,
}

/// What the momentum was computed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Basis {
    pub as_of: NaiveDate,
    pub window_days: i64,
    pub people: usize,
    pub min_group_size: usize,
    pub grouped_by: GroupBy,
    /// Groups withheld for their size.
    pub groups_suppressed: usize,
    pub waves_scheduled: usize,
    pub trainings: usize,
}

/// Everything above, as of one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Momentum {
    pub basis: Basis,
    /// Snapshot days, oldest first.
    pub snapshots: Vec<NaiveDate>,
    /// The funnel at every snapshot (withheld entirely below the minimum group size).
    pub funnel: Vec<Funnel>,
    pub groups: Vec<GroupFunnel>,
    pub activity: Vec<Activity>,
    pub breadth: Breadth,
    pub questions: Vec<QuestionMonth>,
    pub organic: Organic,
    pub teaching: Teaching,
    pub reuse: Reuse,
    pub time_to_first_use: TimeToUse,
    pub inequality: Inequality,
    pub quiet_power_users: QuietPower,
    pub incidents: Incidents,
    pub index: Index,
}

/// Options: the day, grouping, the minimum group size, and whether individual-level
/// output (quiet power users by id) is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub as_of: Option<NaiveDate>,
    pub by: GroupBy,
    pub min_group_size: usize,
    pub individuals: bool,
}

/// Per-person indexes the metrics share.
struct Ctx<'a> {
    pop: &'a Population,
    /// Per person: (day, tool, feature), sorted by day.
    uses: Vec<Vec<(NaiveDate, u32, u32)>>,
    /// Per person: days they shared a win or answered a colleague, sorted.
    contributed: Vec<Vec<NaiveDate>>,
    /// Per person: the first day they had access (a dated grant), and whether they hold an
    /// undated grant.
    granted: Vec<(Option<NaiveDate>, bool)>,
    /// Per person: (tool, grant day) of each licence.
    access: Vec<Vec<(u32, Option<NaiveDate>)>>,
    any_waves: bool,
}

impl<'a> Ctx<'a> {
    fn new(pop: &'a Population) -> Ctx<'a> {
        let n = pop.len();
        let mut uses: Vec<Vec<(NaiveDate, u32, u32)>> = vec![Vec::new(); n];
        for u in pop.usage.iter().filter(|u| u.count > 0) {
            uses[u.person as usize].push((u.day, u.tool, u.feature));
        }
        for list in &mut uses {
            list.sort_unstable();
        }
        let mut contributed: Vec<Vec<NaiveDate>> = vec![Vec::new(); n];
        for w in &pop.wins {
            contributed[w.author as usize].push(w.day);
        }
        for h in &pop.help {
            contributed[h.helper as usize].push(h.day);
        }
        for list in &mut contributed {
            list.sort_unstable();
        }
        let mut granted: Vec<(Option<NaiveDate>, bool)> = vec![(None, false); n];
        let mut access: Vec<Vec<(u32, Option<NaiveDate>)>> = vec![Vec::new(); n];
        for a in &pop.access {
            access[a.person as usize].push((a.tool, a.granted));
            let g = &mut granted[a.person as usize];
            match a.granted {
                Some(d) => g.0 = Some(g.0.map_or(d, |x| x.min(d))),
                None => g.1 = true,
            }
        }
        Ctx {
            pop,
            uses,
            contributed,
            granted,
            access,
            any_waves: pop.waves.iter().any(Option::is_some),
        }
    }

    fn uses_in(&self, p: usize, from: NaiveDate, to: NaiveDate) -> &[(NaiveDate, u32, u32)] {
        let list = &self.uses[p];
        let a = list.partition_point(|u| u.0 < from);
        let b = list.partition_point(|u| u.0 <= to);
        &list[a..b]
    }

    /// The person's funnel level on day `t` (0 = not eligible … 6 = builder), counting
    /// only uses of `tool` when given.
    fn level(&self, p: usize, t: NaiveDate, tool: Option<u32>) -> u8 {
        let person = &self.pop.people[p];
        let list = &self.uses[p];
        let upto = list.partition_point(|u| u.0 <= t);
        let tried = list[..upto].iter().any(|u| tool.is_none_or(|x| u.1 == x));
        let wave_come = !self.any_waves
            || person
                .site
                .and_then(|s| self.pop.waves.get(s as usize).copied().flatten())
                .is_some_and(|w| w <= t);
        let (dated, undated) = self.granted[p];
        let has_access = match tool {
            None => dated.is_some_and(|d| d <= t) || (undated && wave_come),
            Some(x) => self.access[p]
                .iter()
                .any(|a| a.0 == x && a.1.map_or(wave_come, |d| d <= t)),
        };
        if !tried {
            return match (wave_come || has_access, has_access) {
                (_, true) => 2,
                (true, false) => 1,
                (false, false) => 0,
            };
        }
        let from = t - Duration::days(WINDOW_DAYS - 1);
        let window = self.uses_in(p, from, t);
        let mut weeks = [false; 4];
        for u in window.iter().filter(|u| tool.is_none_or(|x| u.1 == x)) {
            let w = ((t - u.0).num_days() / 7).clamp(0, 3) as usize;
            weeks[w] = true;
        }
        let active_weeks = weeks.iter().filter(|w| **w).count();
        if active_weeks == 0 {
            return 3;
        }
        if active_weeks < HABIT_WEEKS {
            return 4;
        }
        let c = &self.contributed[p];
        let since = t - Duration::days(CONTRIBUTION_DAYS - 1);
        let a = c.partition_point(|d| *d < since);
        let b = c.partition_point(|d| *d <= t);
        if b > a {
            6
        } else {
            5
        }
    }

    fn active_days(&self, p: usize, t: NaiveDate) -> usize {
        let from = t - Duration::days(WINDOW_DAYS - 1);
        let mut days: Vec<NaiveDate> = self.uses_in(p, from, t).iter().map(|u| u.0).collect();
        days.dedup();
        days.len()
    }

    fn wave_come(&self, p: u32, day: NaiveDate) -> bool {
        self.pop.wave_of(p).is_some_and(|w| w <= day)
    }

    /// Organic: nobody trained their unit yet, or their site's wave has not come (when
    /// waves are scheduled).
    fn organic(&self, p: u32, day: NaiveDate) -> bool {
        !self.pop.trained(p, day) || (self.any_waves && !self.wave_come(p, day))
    }
}

/// The momentum of the program as of `opts.as_of` (default: the population's day).
pub fn momentum(pop: &Population, opts: &Options) -> InsightResult<Momentum> {
    let as_of = opts.as_of.or(pop.as_of).ok_or_else(|| {
        InsightError::TooLittleData(
            "no usage imported yet: momentum needs at least one usage record".into(),
        )
    })?;
    let min = opts.min_group_size;
    let ctx = Ctx::new(pop);
    let n = pop.len();
    let start = pop.start().unwrap_or(as_of);
    let mut snapshots: Vec<NaiveDate> = (0..SNAPSHOTS as i64)
        .map(|k| as_of - Duration::days(SNAPSHOT_STEP * k))
        .filter(|d| *d >= start || *d == as_of)
        .collect();
    snapshots.reverse();

    // Everyone's level at every snapshot.
    let levels: Vec<Vec<u8>> = snapshots
        .iter()
        .map(|&t| (0..n).map(|p| ctx.level(p, t, None)).collect())
        .collect();
    let whole_withheld = suppressed(n, min);
    let funnel: Vec<Funnel> = if whole_withheld.is_some() {
        Vec::new()
    } else {
        levels
            .iter()
            .map(|ls| {
                let mut f = Funnel::default();
                ls.iter().for_each(|&l| f.add(l));
                f
            })
            .collect()
    };
    let groups = group_funnels(&ctx, &snapshots, &levels, opts.by, min);
    let groups_suppressed = groups.iter().filter(|g| g.suppressed.is_some()).count();

    let activity: Vec<Activity> = snapshots
        .iter()
        .zip(&levels)
        .map(|(&t, ls)| {
            let week = t - Duration::days(6);
            let wau = (0..n)
                .filter(|&p| !ctx.uses_in(p, week, t).is_empty())
                .count();
            let mau = ls.iter().filter(|&&l| l >= 4).count();
            Activity {
                day: t,
                wau,
                mau,
                stickiness: Cell::ratio(wau, mau, min),
            }
        })
        .collect();

    let last = levels.last().map(Vec::as_slice).unwrap_or(&[]);
    let breadth = breadth(&ctx, as_of, last, min);
    let questions = question_months(pop, min);
    let organic = organic(&ctx, as_of, min);
    let teaching = teaching(&ctx, as_of, last, min);
    let reuse = reuse(pop, as_of);
    let time_to_first_use = time_to_use(&ctx, as_of, min);
    let inequality = inequality(pop, last, min);
    let quiet_power_users = quiet_power(&ctx, as_of, last, opts.individuals);
    let incidents = incidents(pop, as_of);

    let history: Vec<(NaiveDate, Option<f64>)> = snapshots
        .iter()
        .zip(&levels)
        .map(|(&t, ls)| (t, index_of(&index_parts(&ctx, t, ls, min))))
        .collect();
    let parts = index_parts(&ctx, as_of, last, min);
    let index = Index {
        value: index_of(&parts),
        parts,
        history,
    };
    Ok(Momentum {
        basis: Basis {
            as_of,
            window_days: WINDOW_DAYS,
            people: n,
            min_group_size: min,
            grouped_by: opts.by,
            groups_suppressed,
            waves_scheduled: pop.waves.iter().filter(|w| w.is_some()).count(),
            trainings: pop
                .interventions
                .iter()
                .filter(|i| i.kind == InterventionKind::Training)
                .count(),
        },
        snapshots,
        funnel,
        groups,
        activity,
        breadth,
        questions,
        organic,
        teaching,
        reuse,
        time_to_first_use,
        inequality,
        quiet_power_users,
        incidents,
        index,
    })
}

fn group_funnels(
    ctx: &Ctx<'_>,
    snapshots: &[NaiveDate],
    levels: &[Vec<u8>],
    by: GroupBy,
    min: usize,
) -> Vec<GroupFunnel> {
    let pop = ctx.pop;
    let n = pop.len();
    let withheld = |name: String, reason: String| GroupFunnel {
        group: name,
        people: None,
        suppressed: Some(reason),
        funnel: Vec::new(),
    };
    if by == GroupBy::Tool {
        return pop
            .tools
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let per: Vec<Funnel> = snapshots
                    .iter()
                    .map(|&t| {
                        let mut f = Funnel::default();
                        (0..n).for_each(|p| f.add(ctx.level(p, t, Some(i as u32))));
                        f
                    })
                    .collect();
                let people = per.last().map_or(0, |f| f.access);
                match suppressed(people, min) {
                    Some(r) => withheld(name.clone(), r),
                    None => GroupFunnel {
                        group: name.clone(),
                        people: Some(people),
                        suppressed: None,
                        funnel: per,
                    },
                }
            })
            .collect();
    }
    let key = |p: usize| -> Option<String> {
        let person = &pop.people[p];
        match by {
            GroupBy::Department => pop.departments.get(person.department as usize).cloned(),
            GroupBy::Team => person
                .unit
                .and_then(|u| pop.units.get(u as usize))
                .map(|u| u.path.clone()),
            GroupBy::Site => person.site.and_then(|s| pop.sites.get(s as usize)).cloned(),
            GroupBy::Tool => None,
        }
    };
    let mut members: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for p in 0..n {
        members
            .entry(key(p).unwrap_or_else(|| "(none)".into()))
            .or_default()
            .push(p);
    }
    members
        .into_iter()
        .map(|(name, ps)| match suppressed(ps.len(), min) {
            Some(r) => withheld(name, r),
            None => GroupFunnel {
                group: name,
                people: Some(ps.len()),
                suppressed: None,
                funnel: levels
                    .iter()
                    .map(|ls| {
                        let mut f = Funnel::default();
                        ps.iter().for_each(|&p| f.add(ls[p]));
                        f
                    })
                    .collect(),
            },
        })
        .collect()
}

fn breadth(ctx: &Ctx<'_>, t: NaiveDate, levels: &[u8], min: usize) -> Breadth {
    let from = t - Duration::days(WINDOW_DAYS - 1);
    let unspecified = ctx.pop.features.iter().position(String::is_empty);
    let (mut active, mut tools, mut cases, mut multi) = (0usize, 0usize, 0usize, 0usize);
    for (p, &l) in levels.iter().enumerate() {
        if l < 4 {
            continue;
        }
        active += 1;
        let window = ctx.uses_in(p, from, t);
        let ts: HashSet<u32> = window.iter().map(|u| u.1).collect();
        let fs: HashSet<(u32, u32)> = window
            .iter()
            .filter(|u| unspecified != Some(u.2 as usize))
            .map(|u| (u.1, u.2))
            .collect();
        tools += ts.len();
        cases += fs.len().max(usize::from(!ts.is_empty()));
        multi += usize::from(ts.len() > 1);
    }
    let mean = |x: usize| (active > 0).then(|| x as f64 / active as f64);
    Breadth {
        tools_per_active: Cell::of(mean(tools), active, min),
        use_cases_per_active: Cell::of(mean(cases), active, min),
        multi_tool_share: Cell::ratio(multi, active, min),
    }
}

const STAGES: [QuestionStage; 4] = [
    QuestionStage::Awareness,
    QuestionStage::Access,
    QuestionStage::HowTo,
    QuestionStage::Frontier,
];

fn question_months(pop: &Population, min: usize) -> Vec<QuestionMonth> {
    let mut months: BTreeMap<String, (Vec<usize>, HashSet<u32>)> = BTreeMap::new();
    for q in &pop.questions {
        let m = months
            .entry(format!("{:04}-{:02}", q.day.year(), q.day.month()))
            .or_insert_with(|| (vec![0; 5], HashSet::new()));
        // A question of no stage (the classifier was unsure) counts as a question, not
        // in the mix: the last slot.
        match STAGES.iter().position(|s| Some(*s) == q.stage) {
            Some(i) => m.0[i] += 1,
            None => m.0[4] += 1,
        }
        m.1.insert(q.asker);
    }
    months
        .into_iter()
        .map(|(month, (counts, askers))| {
            let total: usize = counts.iter().sum();
            let staged: usize = counts[..4].iter().sum();
            match suppressed(askers.len(), min) {
                Some(r) => QuestionMonth {
                    month,
                    questions: total,
                    mix: Vec::new(),
                    suppressed: Some(r),
                },
                None => QuestionMonth {
                    month,
                    questions: total,
                    mix: STAGES
                        .iter()
                        .zip(&counts)
                        .map(|(s, &c)| (s.as_str().to_owned(), c as f64 / staged.max(1) as f64))
                        .collect(),
                    suppressed: None,
                },
            }
        })
        .collect()
}

/// Demand events in the `days` days ending `t`.
fn demand(ctx: &Ctx<'_>, t: NaiveDate, days: i64) -> Vec<(u32, NaiveDate, bool)> {
    ctx.pop.demand(t - Duration::days(days - 1), t)
}

/// Organic demand is counted over a quarter: it is sparse by nature.
pub const ORGANIC_DAYS: i64 = 91;

fn organic(ctx: &Ctx<'_>, t: NaiveDate, min: usize) -> Organic {
    let pop = ctx.pop;
    let events = demand(ctx, t, ORGANIC_DAYS);
    let (mut requests, mut questions, mut org_req, mut org_q) = (0, 0, 0, 0);
    let mut dept_people: BTreeMap<String, HashSet<u32>> = BTreeMap::new();
    let mut site_people: BTreeMap<String, HashSet<u32>> = BTreeMap::new();
    let mut organic_people: HashSet<u32> = HashSet::new();
    for &(p, day, is_request) in &events {
        if is_request {
            requests += 1;
        } else {
            questions += 1;
        }
        if !ctx.organic(p, day) {
            continue;
        }
        organic_people.insert(p);
        if is_request {
            org_req += 1;
        } else {
            org_q += 1;
        }
        let person = &pop.people[p as usize];
        if let Some(d) = pop.departments.get(person.department as usize) {
            dept_people.entry(d.clone()).or_default().insert(p);
        }
        if ctx.any_waves && !ctx.wave_come(p, day) {
            if let Some(s) = person.site.and_then(|s| pop.sites.get(s as usize)) {
                site_people.entry(s.clone()).or_default().insert(p);
            }
        }
    }
    let cells = |m: BTreeMap<String, HashSet<u32>>| -> Vec<(String, Cell)> {
        let mut v: Vec<(String, Cell)> = m
            .into_iter()
            .map(|(k, ps)| (k, Cell::of(Some(ps.len() as f64), ps.len(), min)))
            .collect();
        v.sort_by(|a, b| {
            b.1.value
                .unwrap_or(-1.0)
                .total_cmp(&a.1.value.unwrap_or(-1.0))
                .then_with(|| a.0.cmp(&b.0))
        });
        v
    };
    let all_people: HashSet<u32> = events.iter().map(|e| e.0).collect();
    Organic {
        window_days: ORGANIC_DAYS,
        requests,
        questions,
        organic_requests: org_req,
        organic_questions: org_q,
        organic_share: Cell::of(
            (!events.is_empty()).then(|| (org_req + org_q) as f64 / events.len() as f64),
            all_people.len(),
            min,
        ),
        by_department: cells(dept_people),
        by_site_before_wave: cells(site_people),
    }
}

fn teaching(ctx: &Ctx<'_>, t: NaiveDate, levels: &[u8], min: usize) -> Teaching {
    let from = t - Duration::days(WINDOW_DAYS - 1);
    let inside = |d: NaiveDate| d >= from && d <= t;
    let qs = ctx.pop.questions_between(from, t);
    let askers: HashSet<u32> = qs.iter().map(|q| q.asker).collect();
    let answered = qs.iter().filter(|q| q.answered).count();
    let helps: Vec<_> = ctx.pop.help.iter().filter(|h| inside(h.day)).collect();
    let active = levels.iter().filter(|&&l| l >= 4).count();
    let helpers: HashSet<u32> = helps
        .iter()
        .map(|h| h.helper)
        .filter(|&h| levels.get(h as usize).is_some_and(|&l| l >= 4))
        .collect();
    Teaching {
        questions: qs.len(),
        answered_share: Cell::of(
            (!qs.is_empty()).then(|| answered as f64 / qs.len() as f64),
            askers.len(),
            min,
        ),
        helps_per_100_active: Cell::of(
            (active > 0).then(|| 100.0 * helps.len() as f64 / active as f64),
            active,
            min,
        ),
        helper_share: Cell::ratio(helpers.len(), active, min),
    }
}

fn reuse(pop: &Population, t: NaiveDate) -> Reuse {
    let unspecified = pop.features.iter().position(String::is_empty);
    let mut depts: HashMap<(u32, u32), HashSet<u32>> = HashMap::new();
    for u in pop
        .usage
        .iter()
        .filter(|u| u.count > 0 && u.day <= t && unspecified != Some(u.feature as usize))
    {
        depts
            .entry((u.tool, u.feature))
            .or_default()
            .insert(pop.people[u.person as usize].department);
    }
    let total: usize = depts.values().map(HashSet::len).sum();
    Reuse {
        use_cases: depts.len(),
        reused_across_departments: depts.values().filter(|d| d.len() > 1).count(),
        mean_departments_per_use_case: (!depts.is_empty())
            .then(|| total as f64 / depts.len() as f64),
    }
}

/// The `q`-quantile of sorted values (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[i])
}

fn time_to_use(ctx: &Ctx<'_>, t: NaiveDate, min: usize) -> TimeToUse {
    let pop = ctx.pop;
    let mut first: HashMap<(u32, u32), NaiveDate> = HashMap::new();
    for u in pop.usage.iter().filter(|u| u.count > 0 && u.day <= t) {
        first
            .entry((u.person, u.tool))
            .and_modify(|d| *d = (*d).min(u.day))
            .or_insert(u.day);
    }
    let mut grants = 0;
    let mut days: Vec<f64> = Vec::new();
    let mut people: HashSet<u32> = HashSet::new();
    for a in &pop.access {
        let Some(g) = a.granted.filter(|g| *g <= t) else {
            continue;
        };
        grants += 1;
        people.insert(a.person);
        if let Some(f) = first.get(&(a.person, a.tool)) {
            days.push((*f - g).num_days().max(0) as f64);
        }
    }
    days.sort_by(f64::total_cmp);
    let same_day = days.iter().filter(|d| **d == 0.0).count();
    let mut waits: Vec<f64> = pop
        .requests
        .iter()
        .filter_map(|r| Some((r.granted? - r.day).num_days().max(0) as f64))
        .collect();
    waits.sort_by(f64::total_cmp);
    let requesters: HashSet<u32> = pop.requests.iter().map(|r| r.person).collect();
    TimeToUse {
        grants,
        used: days.len(),
        median_days: Cell::of(quantile(&days, 0.5), days.len(), min),
        p75_days: Cell::of(quantile(&days, 0.75), days.len(), min),
        same_day_share: Cell::of(
            (grants > 0).then(|| same_day as f64 / grants as f64),
            people.len(),
            min,
        ),
        requests_decided: waits.len(),
        median_request_days: Cell::of(quantile(&waits, 0.5), requesters.len(), min),
    }
}

/// The Gini coefficient of non-negative values (mean absolute difference / 2·mean).
pub fn gini(values: &[f64]) -> Option<f64> {
    let n = values.len();
    let sum: f64 = values.iter().sum();
    if n == 0 || sum <= 0.0 {
        return (n > 0).then_some(0.0);
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    // Σ_i (2i − n − 1)·x_(i) / (n·Σx), i from 1: the sorted form of the pairwise mean.
    let weighted: f64 = v
        .iter()
        .enumerate()
        .map(|(i, x)| (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x)
        .sum();
    Some(weighted / (n as f64 * sum))
}

/// Teams (people's own units) with their department, size and active count.
fn team_rates(pop: &Population, levels: &[u8]) -> Vec<(u32, u32, usize, usize)> {
    let mut teams: BTreeMap<u32, (u32, usize, usize)> = BTreeMap::new();
    for (p, person) in pop.people.iter().enumerate() {
        let Some(u) = person.unit else { continue };
        let e = teams.entry(u).or_insert((person.department, 0, 0));
        e.1 += 1;
        e.2 += usize::from(levels.get(p).is_some_and(|&l| l >= 4));
    }
    teams
        .into_iter()
        .map(|(u, (d, size, active))| (u, d, size, active))
        .collect()
}

fn inequality(pop: &Population, levels: &[u8], min: usize) -> Inequality {
    let all = team_rates(pop, levels);
    let shown: Vec<_> = all.iter().filter(|t| t.2 >= min).collect();
    let rates: Vec<f64> = shown.iter().map(|t| t.3 as f64 / t.2 as f64).collect();
    let mut laggards = Vec::new();
    for &&(u, d, size, active) in &shown {
        let (peer_size, peer_active) = shown
            .iter()
            .filter(|t| t.1 == d && t.0 != u)
            .fold((0, 0), |acc, t| (acc.0 + t.2, acc.1 + t.3));
        if peer_size < min {
            continue;
        }
        let p0 = peer_active as f64 / peer_size as f64;
        let share = active as f64 / size as f64;
        let se = (p0 * (1.0 - p0) / size as f64).sqrt();
        if se <= 0.0 {
            continue;
        }
        let z = (share - p0) / se;
        if z < -1.645 && share <= p0 - 0.10 {
            laggards.push(Laggard {
                team: pop.units[u as usize].path.clone(),
                department: pop.departments[d as usize].clone(),
                people: size,
                active_share: share,
                peers_active_share: p0,
                z,
            });
        }
    }
    laggards.sort_by(|a, b| a.z.total_cmp(&b.z));
    Inequality {
        teams: shown.len(),
        teams_suppressed: all.len() - shown.len(),
        gini: gini(&rates),
        laggards,
    }
}

fn quiet_power(ctx: &Ctx<'_>, t: NaiveDate, levels: &[u8], individuals: bool) -> QuietPower {
    let active: Vec<(usize, usize)> = levels
        .iter()
        .enumerate()
        .filter(|(_, &l)| l >= 4)
        .map(|(p, _)| (p, ctx.active_days(p, t)))
        .collect();
    let mut days: Vec<f64> = active.iter().map(|a| a.1 as f64).collect();
    days.sort_by(f64::total_cmp);
    let threshold = quantile(&days, 0.9).unwrap_or(f64::INFINITY);
    let quiet: Vec<i64> = active
        .iter()
        .filter(|a| a.1 as f64 >= threshold && ctx.contributed[a.0].iter().all(|d| *d > t))
        .map(|a| ctx.pop.people[a.0].id)
        .collect();
    QuietPower {
        min_active_days: if threshold.is_finite() {
            threshold as usize
        } else {
            0
        },
        count: quiet.len(),
        people: if individuals { quiet } else { Vec::new() },
    }
}

fn incidents(pop: &Population, t: NaiveDate) -> Incidents {
    let from = t - Duration::days(WINDOW_DAYS - 1);
    let mut hours: Vec<f64> = pop
        .incidents
        .iter()
        .filter_map(|i| Some((i.intervened? - i.reported).num_minutes().max(0) as f64 / 60.0))
        .collect();
    hours.sort_by(f64::total_cmp);
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for i in &pop.incidents {
        *by.entry(i.severity.clone()).or_default() += 1;
    }
    Incidents {
        total: pop.incidents.len(),
        in_window: pop
            .incidents
            .iter()
            .filter(|i| i.reported.date_naive() >= from)
            .count(),
        open: pop
            .incidents
            .iter()
            .filter(|i| i.intervened.is_none())
            .count(),
        median_hours_to_intervene: quantile(&hours, 0.5),
        by_severity: by.into_iter().collect(),
    }
}

/// The index's parts at day `t`, from everyone's levels that day.
fn index_parts(ctx: &Ctx<'_>, t: NaiveDate, levels: &[u8], min: usize) -> Vec<Part> {
    let pop = ctx.pop;
    let mut f = Funnel::default();
    levels.iter().for_each(|&l| f.add(l));
    let ratio = |a: usize, b: usize| Cell::ratio(a, b, min).value;
    let week = t - Duration::days(6);
    let wau = (0..pop.len())
        .filter(|&p| !ctx.uses_in(p, week, t).is_empty())
        .count();
    // Growth: of the eligible people who had not tried a month ago, the share who have now.
    let before = t - Duration::days(WINDOW_DAYS);
    let (mut untried, mut converted) = (0, 0);
    for (p, &l) in levels.iter().enumerate() {
        if l >= 1 && ctx.level(p, before, None) < 3 {
            untried += 1;
            converted += usize::from(l >= 3);
        }
    }
    let qs = pop.questions_between(t - Duration::days(WINDOW_DAYS - 1), t);
    let askers = qs.iter().map(|q| q.asker).collect::<HashSet<_>>().len();
    let q_share = |pred: &dyn Fn(QuestionStage) -> bool| {
        Cell::of(
            (!qs.is_empty()).then(|| {
                qs.iter().filter(|q| q.stage.is_some_and(pred)).count() as f64 / qs.len() as f64
            }),
            askers,
            min,
        )
        .value
    };
    let teams = team_rates(pop, levels);
    let rates: Vec<f64> = teams
        .iter()
        .filter(|x| x.2 >= min)
        .map(|x| x.3 as f64 / x.2 as f64)
        .collect();
    let events = demand(ctx, t, ORGANIC_DAYS);
    let organic = events.iter().filter(|e| ctx.organic(e.0, e.1)).count();
    let demand_people = events.iter().map(|e| e.0).collect::<HashSet<_>>().len();
    let part = |name, from, value: Option<f64>, target: f64| Part {
        name,
        from,
        value,
        target,
        score: value.map(|v| (v / target).clamp(0.0, 1.0)),
    };
    vec![
        part(
            "reach",
            "active ÷ eligible",
            ratio(f.active, f.eligible),
            0.6,
        ),
        part(
            "habit",
            "habitual ÷ active",
            ratio(f.habitual, f.active),
            0.7,
        ),
        part(
            "stickiness",
            "weekly ÷ monthly active",
            ratio(wau, f.active),
            0.7,
        ),
        part(
            "growth",
            "share of last month's untried eligible people who tried since",
            ratio(converted, untried),
            0.15,
        ),
        part(
            "peer_teaching",
            "share of the window's questions answered",
            Cell::of(
                (!qs.is_empty())
                    .then(|| qs.iter().filter(|q| q.answered).count() as f64 / qs.len() as f64),
                askers,
                min,
            )
            .value,
            0.9,
        ),
        part(
            "maturity",
            "share of the window's questions at how-to or frontier stage",
            q_share(&|s| s >= QuestionStage::HowTo),
            0.6,
        ),
        part(
            "equality",
            "1 − Gini of teams' active shares",
            gini(&rates).filter(|_| rates.len() >= 2).map(|g| 1.0 - g),
            0.85,
        ),
        part(
            "organic_demand",
            "organic share of the quarter's requests and questions",
            Cell::of(
                (!events.is_empty()).then(|| organic as f64 / events.len() as f64),
                demand_people,
                min,
            )
            .value,
            0.3,
        ),
    ]
}

fn index_of(parts: &[Part]) -> Option<f64> {
    let scores: Vec<f64> = parts.iter().filter_map(|p| p.score).collect();
    (!scores.is_empty()).then(|| 100.0 * scores.iter().sum::<f64>() / scores.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gini_brute(v: &[f64]) -> Option<f64> {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        if v.is_empty() || mean == 0.0 {
            return (!v.is_empty()).then_some(0.0);
        }
        let mut s = 0.0;
        for a in v {
            for b in v {
                s += (a - b).abs();
            }
        }
        Some(s / (2.0 * n * n * mean))
    }

    #[test]
    fn gini_of_known_distributions() {
        assert_eq!(gini(&[1.0, 1.0, 1.0]), Some(0.0));
        // All in one of four: (n − 1) / n.
        assert!((gini(&[0.0, 0.0, 0.0, 1.0]).unwrap_or(0.0) - 0.75).abs() < 1e-12);
        assert_eq!(gini(&[]), None);
    }

    proptest! {
        #[test]
        fn gini_matches_the_pairwise_definition(v in proptest::collection::vec(0.0f64..1.0, 1..40)) {
            let (a, b) = (gini(&v), gini_brute(&v));
            prop_assert!(a.zip(b).is_some_and(|(a, b)| (a - b).abs() < 1e-9), "{a:?} {b:?}");
        }
    }

    #[test]
    fn unsure_questions_count_as_questions_of_no_stage() {
        use crate::population::Question;
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default();
        let q = |asker: u32, stage: Option<QuestionStage>| Question {
            asker,
            day,
            stage,
            answered: false,
        };
        let pop = Population {
            questions: vec![
                q(0, Some(QuestionStage::Access)),
                q(1, Some(QuestionStage::Access)),
                q(2, Some(QuestionStage::HowTo)),
                q(3, None),
                q(4, Some(QuestionStage::Frontier)),
            ],
            ..Population::default()
        };
        let months = question_months(&pop, 5);
        assert_eq!(months.len(), 1);
        // Five questions; the mix is over the four with a stage.
        assert_eq!(months[0].questions, 5);
        let share = |s: &str| months[0].mix.iter().find(|(k, _)| k == s).map(|(_, v)| *v);
        assert_eq!(share("access"), Some(0.5));
        assert_eq!(share("how_to"), Some(0.25));
        assert_eq!(share("awareness"), Some(0.0));
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.0));
        assert_eq!(quantile(&v, 0.75), Some(3.0));
        assert_eq!(quantile(&v, 1.0), Some(4.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
