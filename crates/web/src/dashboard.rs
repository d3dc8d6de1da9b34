//! The program dashboard: stage gates, momentum, funnel, question maturity, inequality,
//! organic demand, the champion plan against its baselines, the forecast and the rollout
//! waves, each as an SVG chart with the same numbers in a table beside it.
//!
//! Computing it reads the whole population and runs the analytics (a second on the demo
//! company, much longer on a large one), so it is cached: the first request computes it,
//! later ones get the cached copy, and a copy older than [`TTL`] is served while a fresh
//! one is computed in the background. Every section that cannot be computed (no usage
//! yet, no gates) says why instead of failing the page. Everything here is aggregate:
//! the champion plan shows its arms, never the people chosen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse};
pub use flywheel_app::dashboard::{Arm, Dashboard, Part, PlanSummary};
use flywheel_insights::momentum::Momentum;
use flywheel_insights::privacy::Cell;

use crate::api::ApiCaller;
use crate::chart::{self, hbars, hbars_interval, lines, stacked, Lines};
use crate::error::{ApiError, ErrorCode};
use crate::page::PageCaller;
use crate::page::{render, Nav, PageError};
use crate::AppState;

/// How long a computed dashboard is served before it is recomputed in the background.
pub const TTL: Duration = Duration::from_secs(600);

/// A section of the page: a chart, the numbers in a table, and a note.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub id: &'static str,
    pub title: String,
    pub lead: String,
    pub chart: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub note: String,
    pub unavailable: String,
}

fn pct(v: f64) -> String {
    format!("{:.0}%", 100.0 * v)
}

fn cell(c: &Cell, f: &dyn Fn(f64) -> String) -> String {
    match (&c.suppressed, c.value) {
        (Some(_), _) => "withheld".to_owned(),
        (None, Some(v)) => f(v),
        (None, None) => "—".to_owned(),
    }
}

fn unavailable<T>(id: &'static str, title: &str, part: &Part<T>) -> Option<Section> {
    part.unavailable.as_ref().map(|e| Section {
        id,
        title: title.to_owned(),
        unavailable: e.clone(),
        ..Default::default()
    })
}

fn status_section(d: &Dashboard) -> Section {
    if let Some(s) = unavailable("status", "Program status", &d.stages) {
        return s;
    }
    let Some(e) = &d.stages.value else {
        return Section::default();
    };
    let reached = e.reached.clone().unwrap_or_else(|| "none yet".into());
    let next = e.stages.iter().find(|s| !s.pass);
    let mut s = Section {
        id: "status",
        title: "Program status".into(),
        lead: match &e.next {
            Some(n) => format!("Stage reached: {reached}. Next: {n}."),
            None => format!("Stage reached: {reached}. Every stage's gate is passed."),
        },
        head: vec![
            "Criterion".into(),
            "Value".into(),
            "Threshold".into(),
            "Verdict".into(),
            "Evidence".into(),
        ],
        ..Default::default()
    };
    let stage = next.or(e.stages.last());
    if let Some(st) = stage {
        s.note = format!("The criteria of {} ({}).", st.name, st.about);
        let bars: Vec<(String, f64)> = st
            .criteria
            .iter()
            .filter_map(|c| {
                let t = c.at_least?;
                let v = c.value?;
                (t > 0.0).then(|| (c.label.clone(), (v / t).min(2.0)))
            })
            .collect();
        s.chart = hbars(
            "status-chart",
            &format!(
                "{}: each criterion's value as a share of its threshold",
                st.name
            ),
            &bars,
            &|v| pct(v),
            Some((1.0, "threshold")),
        );
        for c in &st.criteria {
            s.rows.push(vec![
                c.label.clone(),
                c.value.map_or("—".into(), |v| format!("{v:.2}")),
                match (c.at_least, c.at_most) {
                    (Some(a), _) => format!("≥ {a}"),
                    (None, Some(b)) => format!("≤ {b}"),
                    _ => "—".into(),
                },
                if c.pass {
                    "pass".into()
                } else {
                    "not yet".into()
                },
                c.detail.clone(),
            ]);
        }
    }
    s
}

fn momentum_sections(d: &Dashboard) -> Vec<Section> {
    if let Some(s) = unavailable("momentum", "Momentum", &d.momentum) {
        return vec![s];
    }
    let Some(m) = &d.momentum.value else {
        return vec![];
    };
    let mut out = vec![index_section(m)];
    out.extend(funnel_section(m));
    out.extend(questions_section(m, d.min_group_size));
    out.push(inequality_section(m));
    out.push(organic_section(m));
    out
}

/// The momentum index and its parts.
fn index_section(m: &Momentum) -> Section {
    let bars: Vec<(String, f64)> = m
        .index
        .parts
        .iter()
        .filter_map(|p| p.score.map(|s| (p.name.to_owned(), s * 100.0)))
        .collect();
    Section {
        id: "momentum",
        title: "Momentum index".into(),
        lead: m
            .index
            .value
            .map_or("The index has no value yet.".into(), |v| format!("Momentum index: {v:.0} of 100.")),
        chart: hbars("momentum-chart", "Momentum index: the score of each part (of 100)", &bars, &|v| format!("{v:.0}"), None),
        head: vec!["Part".into(), "Value".into(), "Target".into(), "Score".into(), "From".into()],
        rows: m
            .index
            .parts
            .iter()
            .map(|p| {
                vec![
                    p.name.to_owned(),
                    p.value.map_or("—".into(), |v| format!("{v:.2}")),
                    format!("{:.2}", p.target),
                    p.score.map_or("—".into(), |s| format!("{:.0}", s * 100.0)),
                    p.from.to_owned(),
                ]
            })
            .collect(),
        note: "The index is the mean of its parts' scores; each part scores its value against a target (docs/METRICS.md).".into(),
        ..Default::default()
    }
}

/// The funnel now and over time.
fn funnel_section(m: &Momentum) -> Option<Section> {
    let labels: Vec<String> = m
        .snapshots
        .iter()
        .map(|d| d.format("%b %d").to_string())
        .collect();
    let f = m.funnel.last()?;
    let stages = [
        ("eligible", f.eligible),
        ("access", f.access),
        ("tried", f.tried),
        ("active (28 days)", f.active),
        ("habitual", f.habitual),
        ("builder", f.builder),
    ];
    let series: Vec<(String, Vec<Option<f64>>)> = vec![
        (
            "tried".into(),
            m.funnel.iter().map(|f| Some(f.tried as f64)).collect(),
        ),
        (
            "active".into(),
            m.funnel.iter().map(|f| Some(f.active as f64)).collect(),
        ),
        (
            "habitual".into(),
            m.funnel.iter().map(|f| Some(f.habitual as f64)).collect(),
        ),
        (
            "builder".into(),
            m.funnel.iter().map(|f| Some(f.builder as f64)).collect(),
        ),
    ];
    let over_time = lines(&Lines {
        id: "funnel-time",
        title: "The funnel every 28 days",
        x_labels: &labels,
        series: &series,
        band: None,
        hline: None,
        y_max: None,
    });
    let eligible = f.eligible.max(1) as f64;
    Some(Section {
        id: "funnel",
        title: "Adoption funnel".into(),
        lead: format!(
            "{} of {} eligible people are active, {} habitual.",
            f.active, f.eligible, f.habitual
        ),
        chart: format!(
            "{}{}",
            hbars(
                "funnel-chart",
                "Adoption funnel today",
                &stages
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), *v as f64))
                    .collect::<Vec<_>>(),
                &|v| format!("{v:.0}"),
                None
            ),
            over_time
        ),
        head: vec!["Stage".into(), "People".into(), "Share of eligible".into()],
        rows: stages
            .iter()
            .map(|(n, v)| vec![(*n).to_owned(), v.to_string(), pct(*v as f64 / eligible)])
            .collect(),
        ..Default::default()
    })
}

/// Question maturity by month (months with too few questions withheld).
fn questions_section(m: &Momentum, min_group_size: usize) -> Option<Section> {
    let shown: Vec<_> = m
        .questions
        .iter()
        .filter(|q| q.suppressed.is_none())
        .collect();
    if shown.is_empty() {
        return None;
    }
    let names: Vec<String> = shown[0].mix.iter().map(|(n, _)| n.clone()).collect();
    let months: Vec<String> = shown.iter().map(|q| q.month.clone()).collect();
    let parts: Vec<(String, Vec<f64>)> = names
        .iter()
        .enumerate()
        .map(|(k, n)| {
            (
                n.clone(),
                shown
                    .iter()
                    .map(|q| q.mix.get(k).map_or(0.0, |x| x.1))
                    .collect(),
            )
        })
        .collect();
    Some(Section {
        id: "questions",
        title: "Question maturity".into(),
        lead:
            "From \"what is this?\" to \"how do I build…?\": the mix of questions asked each month."
                .into(),
        chart: stacked(
            "questions-chart",
            "Question maturity by month (share of questions)",
            &months,
            &parts,
        ),
        head: std::iter::once("Month".to_owned())
            .chain(std::iter::once("Questions".to_owned()))
            .chain(names.iter().cloned())
            .collect(),
        rows: shown
            .iter()
            .map(|q| {
                let mut r = vec![q.month.clone(), q.questions.to_string()];
                r.extend(q.mix.iter().map(|(_, v)| pct(*v)));
                r
            })
            .collect(),
        note: format!(
            "{} months withheld (fewer than {} questions).",
            m.questions.len() - shown.len(),
            min_group_size
        ),
        ..Default::default()
    })
}

/// Inequality across teams: the Gini and the laggard teams.
fn inequality_section(m: &Momentum) -> Section {
    let ineq = &m.inequality;
    Section {
        id: "inequality",
        title: "Inequality across teams".into(),
        lead: format!(
            "Gini of the teams' active shares: {} over {} teams ({} withheld as too small). {} laggard team{}.",
            ineq.gini.map_or("—".into(), |g| format!("{g:.2}")),
            ineq.teams,
            ineq.teams_suppressed,
            ineq.laggards.len(),
            if ineq.laggards.len() == 1 { "" } else { "s" }
        ),
        chart: if ineq.laggards.is_empty() {
            String::new()
        } else {
            let mut worst: Vec<_> = ineq.laggards.iter().collect();
            worst.sort_by(|a, b| a.z.total_cmp(&b.z));
            worst.truncate(12);
            hbars(
                "inequality-chart",
                &format!(
                    "Laggard teams furthest behind ({} of {}): active share",
                    worst.len(),
                    ineq.laggards.len()
                ),
                &worst.iter().map(|l| (l.team.clone(), l.active_share * 100.0)).collect::<Vec<_>>(),
                &|v| format!("{v:.0}%"),
                None,
            )
        },
        head: vec!["Team".into(), "Department".into(), "People".into(), "Active".into(), "Rest of department".into(), "z".into()],
        rows: ineq
            .laggards
            .iter()
            .map(|l| {
                vec![
                    l.team.clone(),
                    l.department.clone(),
                    l.people.to_string(),
                    pct(l.active_share),
                    pct(l.peers_active_share),
                    format!("{:.1}", l.z),
                ]
            })
            .collect(),
        note: "A laggard is a team below the rest of its department with z < −1.645 and at least 10 points behind.".into(),
        ..Default::default()
    }
}

/// Organic demand: requests and questions from units not yet trained or rolled out.
fn organic_section(m: &Momentum) -> Section {
    let o = &m.organic;
    let bars: Vec<(String, f64)> = o
        .by_department
        .iter()
        .filter_map(|(n, c)| {
            c.value
                .filter(|_| c.suppressed.is_none())
                .map(|v| (n.clone(), v * 100.0))
        })
        .collect();
    Section {
        id: "organic",
        title: "Organic demand".into(),
        lead: format!(
            "{} of the last {} days' requests and questions came unprompted ({} of {} requests, {} of {} questions).",
            cell(&o.organic_share, &|v| pct(v)),
            o.window_days,
            o.organic_requests,
            o.requests,
            o.organic_questions,
            o.questions
        ),
        chart: hbars("organic-chart", "Organic share of demand by department", &bars, &|v| format!("{v:.0}%"), None),
        head: vec!["Department".into(), "Organic share".into()],
        rows: o
            .by_department
            .iter()
            .map(|(n, c)| vec![n.clone(), cell(c, &|v| pct(v))])
            .collect(),
        note: "Organic: from a unit with no training yet, or a site before its rollout wave.".into(),
        ..Default::default()
    }
}

fn plan_section(d: &Dashboard) -> Section {
    if let Some(s) = unavailable(
        "plan",
        "Champion plan against the usual ways",
        &d.champion_plan,
    ) {
        return s;
    }
    let Some(p) = &d.champion_plan.value else {
        return Section::default();
    };
    let rows: Vec<(String, f64, f64, f64)> = p
        .arms
        .iter()
        .map(|a| (a.name.clone(), a.mean, a.mean - a.ci95, a.mean + a.ci95))
        .collect();
    Section {
        id: "plan",
        title: "Champion plan against the usual ways".into(),
        lead: format!(
            "A {} network of {} champions chosen from {} reaches, in simulation, the numbers below; the guarantee is {:.2} of the best possible set.",
            p.stage, p.champions, p.candidates, p.guarantee
        ),
        chart: hbars_interval("plan-chart", "Adopters reached in simulation (mean and 95% interval)", &rows),
        head: vec!["Choice".into(), "Adopters reached".into(), "95% interval".into(), "Groups covered".into(), "How".into()],
        rows: p
            .arms
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    format!("{:.0}", a.mean),
                    format!("±{:.0}", a.ci95),
                    a.groups_covered.to_string(),
                    a.how.clone(),
                ]
            })
            .collect(),
        note: "Who is planned is individual-level: admins see it with `flywheel champions plan`.".into(),
        ..Default::default()
    }
}

fn forecast_section(d: &Dashboard) -> Section {
    if let Some(s) = unavailable("forecast", "Forecast", &d.forecast) {
        return s;
    }
    let Some(f) = &d.forecast.value else {
        return Section::default();
    };
    let Some(curve) = &f.bass_curve else {
        return Section {
            id: "forecast",
            title: "Forecast".into(),
            unavailable: "the weekly adoption counts do not identify a Bass curve yet".into(),
            ..Default::default()
        };
    };
    let n = curve.week.len();
    let labels: Vec<String> = curve
        .week
        .iter()
        .map(|w| {
            (f.start + chrono::Duration::weeks(*w as i64))
                .format("%b %d")
                .to_string()
        })
        .collect();
    let observed: Vec<Option<f64>> = (0..n)
        .map(|i| f.observed.get(i).map(|v| *v as f64))
        .collect();
    let median: Vec<Option<f64>> = curve.median.iter().map(|v| Some(*v)).collect();
    let series = vec![
        ("observed".to_owned(), observed),
        ("Bass median".to_owned(), median),
    ];
    let critical = f.people as f64 * 0.5;
    let chart = lines(&Lines {
        id: "forecast-chart",
        title: "Cumulative adopters: observed, and the Bass forecast with its 90% band",
        x_labels: &labels,
        series: &series,
        band: Some((&curve.low, &curve.high, "90% band")),
        hline: Some((critical, "critical mass (50%)")),
        y_max: None,
    });
    let cm = f.bass_critical_mass.as_ref();
    let lead = match cm {
        Some(c) if c.already => "Critical mass (half of everyone) is already reached.".to_owned(),
        Some(c) => match c.dates {
            Some([lo, mid, hi]) => format!("Critical mass (half of everyone) expected {mid} (90%: {lo} to {hi}), in {:.0}% of refits.", c.reached_share * 100.0),
            None => "Critical mass is not reached within the horizon.".to_owned(),
        },
        None => String::new(),
    };
    let mut rows = Vec::new();
    for i in (0..n).step_by((n / 12).max(1)) {
        rows.push(vec![
            labels[i].clone(),
            f.observed.get(i).map_or("—".into(), ToString::to_string),
            format!("{:.0}", curve.median[i]),
            format!("{:.0}–{:.0}", curve.low[i], curve.high[i]),
        ]);
    }
    Section {
        id: "forecast",
        title: "Forecast".into(),
        lead,
        chart,
        head: vec!["Week of".into(), "Observed".into(), "Bass median".into(), "90% band".into()],
        rows,
        note: "Bass fitted by least squares; the band comes from parametric-bootstrap refits (docs/METRICS.md).".into(),
        ..Default::default()
    }
}

fn waves_section(d: &Dashboard) -> Section {
    if let Some(s) = unavailable("waves", "Rollout waves and pull", &d.waves) {
        return s;
    }
    let Some(w) = &d.waves.value else {
        return Section::default();
    };
    let bars: Vec<(String, f64)> = w
        .sites
        .iter()
        .filter_map(|s| s.pull_per_100.map(|p| (s.site.clone(), p)))
        .collect();
    let flagged = w.sites.iter().filter(|s| s.move_forward).count();
    Section {
        id: "waves",
        title: "Rollout waves and pull".into(),
        lead: format!(
            "{} sites; {} pulling at least {} per 100 people before their wave: move them forward.",
            w.sites.len(),
            flagged,
            w.pull_per_100
        ),
        chart: hbars(
            "waves-chart",
            "Pull before the wave: people asking or starting, per 100",
            &bars,
            &|v| format!("{v:.1}"),
            Some((w.pull_per_100, "move forward")),
        ),
        head: vec![
            "Site".into(),
            "People".into(),
            "Wave".into(),
            "Pull per 100".into(),
            "Signal".into(),
        ],
        rows: w
            .sites
            .iter()
            .map(|s| {
                vec![
                    s.site.clone(),
                    s.people.to_string(),
                    s.wave.map_or("not scheduled".into(), |d| {
                        format!("{d}{}", if s.started { " (started)" } else { "" })
                    }),
                    match (&s.suppressed, s.pull_per_100) {
                        (Some(_), _) => "withheld".into(),
                        (None, Some(p)) => format!("{p:.1}"),
                        (None, None) => "—".into(),
                    },
                    if s.move_forward {
                        "move forward".into()
                    } else {
                        String::new()
                    },
                ]
            })
            .collect(),
        ..Default::default()
    }
}

/// The dashboard rendered into sections (done once per computation, not per request).
pub struct Built {
    pub at: Instant,
    pub dashboard: Dashboard,
    pub sections: Vec<Section>,
    /// The page's body, rendered once.
    pub body: String,
    /// The dashboard as JSON, serialised once.
    pub json: axum::body::Bytes,
}

fn sections(d: &Dashboard) -> Vec<Section> {
    let mut s = vec![status_section(d)];
    s.extend(momentum_sections(d));
    s.push(forecast_section(d));
    s.push(plan_section(d));
    s.push(waves_section(d));
    s
}

/// The cached dashboard.
#[derive(Default)]
pub struct Cache {
    current: RwLock<Option<Arc<Built>>>,
    computing: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
}

/// Computes and renders the dashboard. The server computes it for whoever asks next (it
/// holds aggregates only, which every role may read).
async fn compute(st: &AppState) -> Result<Arc<Built>, ApiError> {
    let dashboard = st
        .core
        .app(flywheel_app::Caller::Operator)
        .dashboard(st.gates.clone())
        .await?;
    let org = chart::shown_summary(&st.core.app(flywheel_app::Caller::Operator)).await?;
    let built = tokio::task::spawn_blocking(move || {
        let sections = sections(&dashboard);
        let body = Body {
            dashboard: &dashboard,
            sections: &sections,
            headcount: chart::bar_chart("Headcount by department", &org.bars),
            headcount_rows: &org.bars,
            people: org.org.people,
            units: org.org.units,
            sites: org.org.sites,
            departed: org.org.departed,
            without_unit: org.org.without_unit,
            flagged: org.org.flagged_manager_links,
            suppressed: org.suppressed,
        }
        .render()
        .map_err(|e| format!("the dashboard's page: {e}"))?;
        let json = serde_json::to_vec(&crate::wire::dashboard::Dashboard::from(dashboard.clone()))
            .map_err(|e| format!("the dashboard as JSON: {e}"))?;
        Ok::<Built, String>(Built {
            at: Instant::now(),
            sections,
            dashboard,
            body,
            json: json.into(),
        })
    })
    .await
    .map_err(|e| {
        ApiError::new(
            ErrorCode::Internal,
            format!("the dashboard computation failed: {e}"),
        )
    })?
    .map_err(|e| ApiError::new(ErrorCode::Internal, e))?;
    Ok(Arc::new(built))
}

impl Cache {
    fn cached(&self) -> Option<Arc<Built>> {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn store(&self, b: Arc<Built>) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(b);
    }

    /// The dashboard: cached, or computed now (once, however many ask at the same time).
    /// A copy computed under another minimum group size is never served: raising the
    /// setting takes effect on the next request.
    pub async fn get(st: &AppState) -> Result<Arc<Built>, ApiError> {
        let cache = &st.dashboard;
        let min = usize::try_from(st.store.min_group_size().await?)
            .unwrap_or(5)
            .max(1);
        let usable = |b: &Arc<Built>| b.dashboard.min_group_size == min;
        if let Some(b) = cache.cached().filter(usable) {
            if b.at.elapsed() >= TTL && !cache.refreshing.swap(true, Ordering::SeqCst) {
                let st2 = st.clone();
                tokio::spawn(async move {
                    match compute(&st2).await {
                        Ok(fresh) => st2.dashboard.store(fresh),
                        Err(e) => tracing::error!("refreshing the dashboard: {}", e.message),
                    }
                    st2.dashboard.refreshing.store(false, Ordering::SeqCst);
                });
            }
            return Ok(b);
        }
        let _one = cache.computing.lock().await;
        if let Some(b) = cache.cached().filter(usable) {
            return Ok(b);
        }
        let b = compute(st).await?;
        cache.store(b.clone());
        Ok(b)
    }
}

#[derive(Template)]
#[template(path = "dashboard_body.html")]
struct Body<'a> {
    dashboard: &'a Dashboard,
    sections: &'a [Section],
    headcount: String,
    headcount_rows: &'a [(String, i64)],
    people: i64,
    units: i64,
    sites: i64,
    departed: i64,
    without_unit: i64,
    flagged: i64,
    suppressed: usize,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    nav: Nav,
    body: &'a str,
    /// The first-run checklist, for admins while a step is left.
    steps: Vec<flywheel_app::setup::SetupStep>,
    steps_done: usize,
}

/// `GET /`: the dashboard (its body rendered once per computation).
pub async fn page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
) -> Result<Html<String>, PageError> {
    let built = Cache::get(&st).await?;
    // Read on every visit (a few counts), not cached with the dashboard: a step done is
    // shown done at once.
    let mut steps = if caller.is_admin() {
        st.app(&caller).setup_steps().await?
    } else {
        Vec::new()
    };
    let steps_done = steps.iter().filter(|s| s.done).count();
    if steps_done == steps.len() {
        steps.clear();
    }
    render(&DashboardPage {
        nav: Nav::of(&caller, "/"),
        body: &built.body,
        steps,
        steps_done,
    })
}

/// The dashboard's numbers
///
/// Who: any role (aggregates only).
#[utoipa::path(get, path = "/dashboard", responses((status = 200, body = crate::wire::dashboard::Dashboard), crate::wire::Read))]
pub async fn api(State(st): State<AppState>, _: ApiCaller) -> Result<impl IntoResponse, ApiError> {
    let b = Cache::get(&st).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        b.json.clone(),
    ))
}
