//! The dashboard as `GET /api/v1/dashboard` sends it: the stage gates, the momentum, the
//! forecasts, the rollout waves and the champion plan in aggregate, converted from
//! `insights`' values field by field. Aggregates only: the momentum's quiet power users are
//! a count here, never ids. docs/METRICS.md defines every number.
//!
//! Pairs (`["Sales", cell]`) stay JSON arrays, as they were sent before these types.

use chrono::NaiveDate;
use flywheel_insights::forecast as f;
use flywheel_insights::gates as g;
use flywheel_insights::momentum as m;
use flywheel_insights::privacy::Cell as InsightCell;
use flywheel_insights::waves as w;
use serde::Serialize;
use utoipa::ToSchema;

/// Converts each element.
fn all<T, W: From<T>>(v: Vec<T>) -> Vec<W> {
    v.into_iter().map(W::from).collect()
}

/// Converts the second of each pair.
fn pairs<T, W: From<T>>(v: Vec<(String, T)>) -> Vec<(String, W)> {
    v.into_iter().map(|(k, x)| (k, W::from(x))).collect()
}

/// A number over people, withheld (`value` null, `suppressed` the reason) below the
/// minimum group size; `value` is also null, without a reason, when it cannot be computed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cell {
    pub value: Option<f64>,
    pub suppressed: Option<String>,
}

impl From<InsightCell> for Cell {
    fn from(c: InsightCell) -> Cell {
        Cell {
            value: c.value,
            suppressed: c.suppressed,
        }
    }
}

// ---------------------------------------------------------------- momentum

/// The funnel's stages, each contained in the one before.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funnel {
    pub eligible: usize,
    pub access: usize,
    pub tried: usize,
    pub active: usize,
    pub habitual: usize,
    pub builder: usize,
}

impl From<m::Funnel> for Funnel {
    fn from(x: m::Funnel) -> Funnel {
        Funnel {
            eligible: x.eligible,
            access: x.access,
            tried: x.tried,
            active: x.active,
            habitual: x.habitual,
            builder: x.builder,
        }
    }
}

/// A group's funnel at every snapshot, or why it is withheld.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupFunnel {
    pub group: String,
    /// `null` when withheld.
    pub people: Option<usize>,
    pub suppressed: Option<String>,
    /// One per snapshot (empty when withheld).
    pub funnel: Vec<Funnel>,
}

impl From<m::GroupFunnel> for GroupFunnel {
    fn from(x: m::GroupFunnel) -> GroupFunnel {
        GroupFunnel {
            group: x.group,
            people: x.people,
            suppressed: x.suppressed,
            funnel: all(x.funnel),
        }
    }
}

/// Weekly and monthly actives.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Activity {
    pub day: NaiveDate,
    pub wau: usize,
    pub mau: usize,
    /// WAU / MAU.
    pub stickiness: Cell,
}

impl From<m::Activity> for Activity {
    fn from(x: m::Activity) -> Activity {
        Activity {
            day: x.day,
            wau: x.wau,
            mau: x.mau,
            stickiness: x.stickiness.into(),
        }
    }
}

/// Distinct tools and use cases per active person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Breadth {
    pub tools_per_active: Cell,
    pub use_cases_per_active: Cell,
    pub multi_tool_share: Cell,
}

impl From<m::Breadth> for Breadth {
    fn from(x: m::Breadth) -> Breadth {
        Breadth {
            tools_per_active: x.tools_per_active.into(),
            use_cases_per_active: x.use_cases_per_active.into(),
            multi_tool_share: x.multi_tool_share.into(),
        }
    }
}

/// A calendar month's questions by maturity stage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionMonth {
    pub month: String,
    pub questions: usize,
    /// Shares of awareness, access, how-to and frontier questions; empty when withheld.
    pub mix: Vec<(String, f64)>,
    pub suppressed: Option<String>,
}

impl From<m::QuestionMonth> for QuestionMonth {
    fn from(x: m::QuestionMonth) -> QuestionMonth {
        QuestionMonth {
            month: x.month,
            questions: x.questions,
            mix: x.mix,
            suppressed: x.suppressed,
        }
    }
}

/// Demand nobody pushed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organic {
    pub window_days: i64,
    pub requests: usize,
    pub questions: usize,
    pub organic_requests: usize,
    pub organic_questions: usize,
    pub organic_share: Cell,
    /// Distinct people asking, per department.
    pub by_department: Vec<(String, Cell)>,
    /// Distinct people asking, per site not yet in its wave.
    pub by_site_before_wave: Vec<(String, Cell)>,
}

impl From<m::Organic> for Organic {
    fn from(x: m::Organic) -> Organic {
        Organic {
            window_days: x.window_days,
            requests: x.requests,
            questions: x.questions,
            organic_requests: x.organic_requests,
            organic_questions: x.organic_questions,
            organic_share: x.organic_share.into(),
            by_department: pairs(x.by_department),
            by_site_before_wave: pairs(x.by_site_before_wave),
        }
    }
}

/// How much colleagues teach each other.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Teaching {
    pub questions: usize,
    pub answered_share: Cell,
    pub helps_per_100_active: Cell,
    pub helper_share: Cell,
}

impl From<m::Teaching> for Teaching {
    fn from(x: m::Teaching) -> Teaching {
        Teaching {
            questions: x.questions,
            answered_share: x.answered_share.into(),
            helps_per_100_active: x.helps_per_100_active.into(),
            helper_share: x.helper_share.into(),
        }
    }
}

/// Use cases and how far they travelled across departments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reuse {
    pub use_cases: usize,
    pub reused_across_departments: usize,
    pub mean_departments_per_use_case: Option<f64>,
}

impl From<m::Reuse> for Reuse {
    fn from(x: m::Reuse) -> Reuse {
        Reuse {
            use_cases: x.use_cases,
            reused_across_departments: x.reused_across_departments,
            mean_departments_per_use_case: x.mean_departments_per_use_case,
        }
    }
}

/// From access granted to first use, in days.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeToUse {
    pub grants: usize,
    pub used: usize,
    pub median_days: Cell,
    pub p75_days: Cell,
    pub same_day_share: Cell,
    pub requests_decided: usize,
    pub median_request_days: Cell,
}

impl From<m::TimeToUse> for TimeToUse {
    fn from(x: m::TimeToUse) -> TimeToUse {
        TimeToUse {
            grants: x.grants,
            used: x.used,
            median_days: x.median_days.into(),
            p75_days: x.p75_days.into(),
            same_day_share: x.same_day_share.into(),
            requests_decided: x.requests_decided,
            median_request_days: x.median_request_days.into(),
        }
    }
}

/// A team well behind the teams of its function.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Laggard {
    pub team: String,
    pub department: String,
    pub people: usize,
    pub active_share: f64,
    pub peers_active_share: f64,
    pub z: f64,
}

impl From<m::Laggard> for Laggard {
    fn from(x: m::Laggard) -> Laggard {
        Laggard {
            team: x.team,
            department: x.department,
            people: x.people,
            active_share: x.active_share,
            peers_active_share: x.peers_active_share,
            z: x.z,
        }
    }
}

/// How evenly adoption spreads across teams.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inequality {
    pub teams: usize,
    pub teams_suppressed: usize,
    pub gini: Option<f64>,
    pub laggards: Vec<Laggard>,
}

impl From<m::Inequality> for Inequality {
    fn from(x: m::Inequality) -> Inequality {
        Inequality {
            teams: x.teams,
            teams_suppressed: x.teams_suppressed,
            gini: x.gini,
            laggards: all(x.laggards),
        }
    }
}

/// Heavy users who never shared a win nor answered a colleague: a count (who they are is
/// for admins, through `flywheel momentum --individuals`, never on the dashboard).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuietPower {
    pub min_active_days: usize,
    pub count: usize,
}

impl From<m::QuietPower> for QuietPower {
    fn from(x: m::QuietPower) -> QuietPower {
        QuietPower {
            min_active_days: x.min_active_days,
            count: x.count,
        }
    }
}

/// Incidents and how fast someone intervened.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Incidents {
    pub total: usize,
    pub in_window: usize,
    pub open: usize,
    pub median_hours_to_intervene: Option<f64>,
    pub by_severity: Vec<(String, usize)>,
}

impl From<m::Incidents> for Incidents {
    fn from(x: m::Incidents) -> Incidents {
        Incidents {
            total: x.total,
            in_window: x.in_window,
            open: x.open,
            median_hours_to_intervene: x.median_hours_to_intervene,
            by_severity: x.by_severity,
        }
    }
}

/// One part of the momentum index.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndexPart {
    pub name: &'static str,
    pub from: &'static str,
    pub value: Option<f64>,
    pub target: f64,
    pub score: Option<f64>,
}

impl From<m::Part> for IndexPart {
    fn from(x: m::Part) -> IndexPart {
        IndexPart {
            name: x.name,
            from: x.from,
            value: x.value,
            target: x.target,
            score: x.score,
        }
    }
}

/// The momentum index: the mean of its parts' scores, ×100.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Index {
    pub value: Option<f64>,
    pub parts: Vec<IndexPart>,
    /// The index at every snapshot, oldest first.
    pub history: Vec<(NaiveDate, Option<f64>)>,
}

impl From<m::Index> for Index {
    fn from(x: m::Index) -> Index {
        Index {
            value: x.value,
            parts: all(x.parts),
            history: x.history,
        }
    }
}

/// What the momentum was computed from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Basis {
    pub as_of: NaiveDate,
    pub window_days: i64,
    pub people: usize,
    pub min_group_size: usize,
    #[schema(schema_with = group_by)]
    pub grouped_by: &'static str,
    pub groups_suppressed: usize,
    pub waves_scheduled: usize,
    pub trainings: usize,
}

fn group_by() -> utoipa::openapi::Object {
    super::words(
        ["department", "team", "site", "tool"],
        "How the groups are formed.",
    )
}

impl From<m::Basis> for Basis {
    fn from(x: m::Basis) -> Basis {
        Basis {
            as_of: x.as_of,
            window_days: x.window_days,
            people: x.people,
            min_group_size: x.min_group_size,
            grouped_by: x.grouped_by.as_str(),
            groups_suppressed: x.groups_suppressed,
            waves_scheduled: x.waves_scheduled,
            trainings: x.trainings,
        }
    }
}

/// The program's momentum as of one day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Momentum {
    pub basis: Basis,
    pub snapshots: Vec<NaiveDate>,
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

impl From<m::Momentum> for Momentum {
    fn from(x: m::Momentum) -> Momentum {
        Momentum {
            basis: x.basis.into(),
            snapshots: x.snapshots,
            funnel: all(x.funnel),
            groups: all(x.groups),
            activity: all(x.activity),
            breadth: x.breadth.into(),
            questions: all(x.questions),
            organic: x.organic.into(),
            teaching: x.teaching.into(),
            reuse: x.reuse.into(),
            time_to_first_use: x.time_to_first_use.into(),
            inequality: x.inequality.into(),
            quiet_power_users: x.quiet_power_users.into(),
            incidents: x.incidents.into(),
            index: x.index.into(),
        }
    }
}

// ---------------------------------------------------------------- stages

/// A criterion as evaluated.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Criterion {
    pub metric: String,
    pub label: String,
    pub value: Option<f64>,
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
    pub pass: bool,
    /// What the value rests on, or why there is none.
    pub detail: String,
}

impl From<g::CriterionResult> for Criterion {
    fn from(x: g::CriterionResult) -> Criterion {
        Criterion {
            metric: x.metric,
            label: x.label,
            value: x.value,
            at_least: x.at_least,
            at_most: x.at_most,
            pass: x.pass,
            detail: x.detail,
        }
    }
}

/// A stage and its criteria.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stage {
    pub name: String,
    pub about: String,
    pub pass: bool,
    pub criteria: Vec<Criterion>,
}

impl From<g::StageResult> for Stage {
    fn from(x: g::StageResult) -> Stage {
        Stage {
            name: x.name,
            about: x.about,
            pass: x.pass,
            criteria: all(x.criteria),
        }
    }
}

/// The stage gates as evaluated.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stages {
    pub as_of: NaiveDate,
    pub people: usize,
    pub min_group_size: usize,
    /// The last stage whose criteria, and all earlier stages', pass; `null` before the first.
    pub reached: Option<String>,
    /// The first stage not passed.
    pub next: Option<String>,
    pub stages: Vec<Stage>,
}

impl From<g::Evaluation> for Stages {
    fn from(x: g::Evaluation) -> Stages {
        Stages {
            as_of: x.as_of,
            people: x.people,
            min_group_size: x.min_group_size,
            reached: x.reached,
            next: x.next,
            stages: all(x.stages),
        }
    }
}

// ---------------------------------------------------------------- forecast

/// An estimate with its 95% confidence interval.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl From<f::Estimate> for Estimate {
    fn from(x: f::Estimate) -> Estimate {
        Estimate {
            value: x.value,
            low: x.low,
            high: x.high,
        }
    }
}

/// A fitted Bass model (periods are weeks).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BassFit {
    /// Coefficient of innovation.
    pub p: Estimate,
    /// Coefficient of imitation.
    pub q: Estimate,
    /// Market potential.
    pub m: Estimate,
    pub weeks: usize,
    pub rmse: f64,
}

impl From<f::BassFit> for BassFit {
    fn from(x: f::BassFit) -> BassFit {
        BassFit {
            p: x.p.into(),
            q: x.q.into(),
            m: x.m.into(),
            weeks: x.weeks,
            rmse: x.rmse,
        }
    }
}

/// When a target number of adopters is reached.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriticalMass {
    pub share: f64,
    pub people: f64,
    pub reached_share: f64,
    /// Weeks at the 5%, 50% and 95% quantiles.
    pub weeks: Option<[f64; 3]>,
    pub dates: Option<[NaiveDate; 3]>,
    pub already: bool,
}

impl From<f::CriticalMass> for CriticalMass {
    fn from(x: f::CriticalMass) -> CriticalMass {
        CriticalMass {
            share: x.share,
            people: x.people,
            reached_share: x.reached_share,
            weeks: x.weeks,
            dates: x.dates,
            already: x.already,
        }
    }
}

/// Cumulative adopters per week with 5–50–95% bands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Curve {
    pub week: Vec<usize>,
    pub low: Vec<f64>,
    pub median: Vec<f64>,
    pub high: Vec<f64>,
}

impl From<f::Curve> for Curve {
    fn from(x: f::Curve) -> Curve {
        Curve {
            week: x.week,
            low: x.low,
            median: x.median,
            high: x.high,
        }
    }
}

/// The Bass forecast of one group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BassForecast {
    pub group: String,
    pub people: usize,
    pub adopters: usize,
    pub fit: Option<BassFit>,
    /// Why there is no fit.
    pub note: Option<String>,
}

impl From<f::BassForecast> for BassForecast {
    fn from(x: f::BassForecast) -> BassForecast {
        BassForecast {
            group: x.group,
            people: x.people,
            adopters: x.adopters,
            fit: x.fit.map(BassFit::from),
            note: x.note,
        }
    }
}

/// The network simulation's calibration and forecast.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkForecast {
    pub alpha: f64,
    pub beta: f64,
    pub runs: u32,
    pub curve: Curve,
    pub critical_mass: CriticalMass,
    pub model: &'static str,
}

impl From<f::NetworkForecast> for NetworkForecast {
    fn from(x: f::NetworkForecast) -> NetworkForecast {
        NetworkForecast {
            alpha: x.alpha,
            beta: x.beta,
            runs: x.runs,
            curve: x.curve.into(),
            critical_mass: x.critical_mass.into(),
            model: x.model,
        }
    }
}

/// Both forecasts, and what they rest on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Forecast {
    pub as_of: NaiveDate,
    pub start: NaiveDate,
    pub people: usize,
    pub adopters: usize,
    pub horizon_weeks: usize,
    pub min_group_size: usize,
    pub observed: Vec<usize>,
    pub bass: BassForecast,
    pub bass_curve: Option<Curve>,
    pub bass_critical_mass: Option<CriticalMass>,
    pub by_department: Vec<BassForecast>,
    pub network: NetworkForecast,
}

impl From<f::Forecast> for Forecast {
    fn from(x: f::Forecast) -> Forecast {
        Forecast {
            as_of: x.as_of,
            start: x.start,
            people: x.people,
            adopters: x.adopters,
            horizon_weeks: x.horizon_weeks,
            min_group_size: x.min_group_size,
            observed: x.observed,
            bass: x.bass.into(),
            bass_curve: x.bass_curve.map(Curve::from),
            bass_critical_mass: x.bass_critical_mass.map(CriticalMass::from),
            by_department: all(x.by_department),
            network: x.network.into(),
        }
    }
}

// ---------------------------------------------------------------- waves

/// A site's readiness and pull.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteStatus {
    pub site: String,
    pub people: usize,
    pub wave: Option<NaiveDate>,
    pub started: bool,
    pub pull_people: Option<usize>,
    pub pull_per_100: Option<f64>,
    pub suppressed: Option<String>,
    pub move_forward: bool,
}

impl From<w::SiteStatus> for SiteStatus {
    fn from(x: w::SiteStatus) -> SiteStatus {
        SiteStatus {
            site: x.site,
            people: x.people,
            wave: x.wave,
            started: x.started,
            pull_people: x.pull_people,
            pull_per_100: x.pull_per_100,
            suppressed: x.suppressed,
            move_forward: x.move_forward,
        }
    }
}

/// A planned wave.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Wave {
    pub starts_on: NaiveDate,
    pub sites: Vec<String>,
}

impl From<w::Wave> for Wave {
    fn from(x: w::Wave) -> Wave {
        Wave {
            starts_on: x.starts_on,
            sites: x.sites,
        }
    }
}

/// Site statuses and planned waves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Waves {
    pub as_of: NaiveDate,
    pub min_group_size: usize,
    pub sites: Vec<SiteStatus>,
    pub plan: Vec<Wave>,
    pub per_month: usize,
    pub pull_per_100: f64,
    pub order: &'static str,
}

impl From<w::Waves> for Waves {
    fn from(x: w::Waves) -> Waves {
        Waves {
            as_of: x.as_of,
            min_group_size: x.min_group_size,
            sites: all(x.sites),
            plan: all(x.plan),
            per_month: x.per_month,
            pull_per_100: x.pull_per_100,
            order: x.order,
        }
    }
}

// ---------------------------------------------------------------- the whole

/// A part of the dashboard: its value, or why it is unavailable (too little data, withheld,
/// not configured).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Part<T> {
    Value { value: T },
    Unavailable { unavailable: String },
}

impl<T> Part<T> {
    fn of<I>(p: crate::dashboard::Part<I>) -> Part<T>
    where
        T: From<I>,
    {
        match (p.value, p.unavailable) {
            (Some(v), _) => Part::Value { value: v.into() },
            (None, why) => Part::Unavailable {
                unavailable: why.unwrap_or_default(),
            },
        }
    }
}

/// One simulated way of choosing champions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Arm {
    pub name: String,
    pub how: String,
    /// Mean adopters reached in simulation, and the half-width of its 95% interval.
    pub mean: f64,
    pub ci95: f64,
    pub groups_covered: u32,
}

/// The champion plan in aggregate: how much it reaches against the usual ways (who the
/// champions are is for admins, never on the dashboard).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanSummary {
    pub stage: String,
    pub champions: usize,
    pub candidates: String,
    pub guarantee: f64,
    pub arms: Vec<Arm>,
}

impl From<crate::dashboard::PlanSummary> for PlanSummary {
    fn from(p: crate::dashboard::PlanSummary) -> PlanSummary {
        PlanSummary {
            stage: p.stage,
            champions: p.champions,
            candidates: p.candidates,
            guarantee: p.guarantee,
            arms: p
                .arms
                .into_iter()
                .map(|a| Arm {
                    name: a.name,
                    how: a.how,
                    mean: a.mean,
                    ci95: a.ci95,
                    groups_covered: a.groups_covered,
                })
                .collect(),
        }
    }
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    pub computed_at: String,
    pub people: usize,
    pub min_group_size: usize,
    pub stages: Part<Stages>,
    pub momentum: Part<Momentum>,
    pub forecast: Part<Forecast>,
    pub waves: Part<Waves>,
    pub champion_plan: Part<PlanSummary>,
}

impl From<crate::dashboard::Dashboard> for Dashboard {
    fn from(d: crate::dashboard::Dashboard) -> Dashboard {
        Dashboard {
            computed_at: d.computed_at,
            people: d.people,
            min_group_size: d.min_group_size,
            stages: Part::of(d.stages),
            momentum: Part::of(d.momentum),
            forecast: Part::of(d.forecast),
            waves: Part::of(d.waves),
            champion_plan: Part::of(d.champion_plan),
        }
    }
}
