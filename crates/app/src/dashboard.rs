//! The program dashboard as one use case: the stage gates, momentum, the forecasts, the
//! rollout waves and the champion plan in aggregate, computed from one snapshot of the
//! population with the program's minimum group size. Every part that cannot be computed
//! says why instead of failing the whole. Aggregates only: the champion plan keeps its
//! arms, never the people chosen, so the dashboard is for every role.

use std::sync::Arc;

use flywheel_insights::champions::evidence;
use flywheel_insights::forecast::{forecast, Forecast, ForecastOptions};
use flywheel_insights::gates::{evaluate, Evaluation, GateConfig};
use flywheel_insights::momentum::{momentum, GroupBy, Momentum, Options};
use flywheel_insights::plan::{plan, PlanOptions, Stage};
use flywheel_insights::population::Population;
use flywheel_insights::waves::{waves, WaveOptions, Waves, PULL_PER_100};
use flywheel_insights::{InsightError, InsightResult};

use crate::{App, AppError, AppResult};

impl App {
    /// Computes the dashboard as of the last day with data, evaluating `gates` (the
    /// analytics run on a blocking thread: seconds on a large company). Any caller: it
    /// holds aggregates only.
    pub async fn dashboard(&self, gates: Option<Arc<GateConfig>>) -> AppResult<Dashboard> {
        let min = self.min_group_size().await?;
        let population = self.store().population(None).await?;
        let computed_at = self
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        tokio::task::spawn_blocking(move || build(&population, min, gates.as_deref(), computed_at))
            .await
            .map_err(|e| AppError::Internal(format!("the dashboard computation failed: {e}")))
    }
}

/// A part of the dashboard: its value, or why there is none.
#[derive(Debug, Clone)]
pub struct Part<T> {
    pub value: Option<T>,
    pub unavailable: Option<String>,
}

impl<T> Part<T> {
    fn of(r: InsightResult<T>) -> Part<T> {
        match r {
            Ok(v) => Part {
                value: Some(v),
                unavailable: None,
            },
            Err(e) => Part {
                value: None,
                unavailable: Some(e.to_string()),
            },
        }
    }
}

/// One simulated way of choosing champions.
#[derive(Debug, Clone)]
pub struct Arm {
    pub name: String,
    pub how: String,
    /// Mean adopters reached in simulation, and the half-width of its 95% interval.
    pub mean: f64,
    pub ci95: f64,
    pub groups_covered: u32,
}

/// The champion plan in aggregate: how much it reaches against the usual ways.
#[derive(Debug, Clone)]
pub struct PlanSummary {
    pub stage: String,
    pub champions: usize,
    pub candidates: String,
    pub guarantee: f64,
    pub arms: Vec<Arm>,
}

/// Everything the dashboard shows (the API sends it as [`crate::wire::dashboard::Dashboard`]).
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub computed_at: String,
    pub people: usize,
    pub min_group_size: usize,
    pub stages: Part<Evaluation>,
    pub momentum: Part<Momentum>,
    pub forecast: Part<Forecast>,
    pub waves: Part<Waves>,
    pub champion_plan: Part<PlanSummary>,
}

/// Computes the dashboard from a population (pure).
pub fn build(
    pop: &Population,
    min: usize,
    gates: Option<&GateConfig>,
    computed_at: String,
) -> Dashboard {
    let m = momentum(
        pop,
        &Options {
            as_of: None,
            by: GroupBy::Department,
            min_group_size: min,
            individuals: false,
        },
    );
    let stages = match (&m, gates) {
        (Ok(m), Some(g)) => evaluate(g, pop, m),
        (Err(e), _) => Err(e.clone()),
        (_, None) => Err(InsightError::Invalid(
            "no stage gates are configured".to_owned(),
        )),
    };
    let f = forecast(
        pop,
        &ForecastOptions {
            as_of: None,
            critical_share: 0.5,
            horizon_weeks: 26,
            runs: 200,
            seed: 1,
            min_group_size: min,
        },
    );
    let w = waves(
        pop,
        &WaveOptions {
            as_of: None,
            min_group_size: min,
            plan_from: None,
            replan: false,
            per_month: 3,
            pull_per_100: PULL_PER_100,
        },
    );
    let p = evidence(pop).and_then(|ev| plan(pop, &ev, PlanOptions::new(Stage::Walk)));
    let champion_plan = p.map(|p| PlanSummary {
        stage: format!("{:?}", p.stage).to_lowercase(),
        champions: p.champions.len(),
        candidates: p.candidates,
        guarantee: p.guarantee,
        arms: p
            .comparison
            .iter()
            .map(|a| Arm {
                name: a.name.to_owned(),
                how: a.how.clone(),
                mean: a.simulation.mean,
                ci95: a.simulation.ci95,
                groups_covered: a.groups_covered,
            })
            .collect(),
    });
    Dashboard {
        computed_at,
        people: pop.len(),
        min_group_size: min,
        stages: Part::of(stages),
        momentum: Part::of(m),
        forecast: Part::of(f),
        waves: Part::of(w),
        champion_plan: Part::of(champion_plan),
    }
}
