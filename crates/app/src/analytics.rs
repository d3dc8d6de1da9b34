//! The program's analytics as use cases. Each reads the population in one snapshot, with
//! the program's minimum group size, and runs the pure analysis from `insights`.
//! Aggregates are for everyone who may read; individual-level results (champion evidence
//! and plans, quiet power users) are for admins, and every read of them is audited.

use chrono::NaiveDate;
use flywheel_insights::champions::{evidence, ChampionEvidence};
use flywheel_insights::forecast::{forecast, Forecast, ForecastOptions};
use flywheel_insights::impact::{impact, Impact};
use flywheel_insights::momentum::{momentum, GroupBy, Momentum, Options};
use flywheel_insights::plan::{plan, Plan, PlanOptions};
use flywheel_insights::population::Population;
use flywheel_insights::waves::{waves, WaveOptions, Waves};

use crate::{App, AppError, AppResult};

/// An analysis and the population it was computed from (front doors name people and
/// groups from it).
pub struct Analysed<T> {
    pub population: Population,
    pub result: T,
}

impl App {
    /// The minimum group size in force (at least 1).
    pub async fn min_group_size(&self) -> AppResult<usize> {
        let min = self.store().min_group_size().await?;
        usize::try_from(min)
            .ok()
            .filter(|m| *m >= 1)
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "setting min_group_size must be at least 1, not {min}"
                ))
            })
    }

    /// The population as of `as_of` (default: the last day with data), in one snapshot.
    async fn population(&self, as_of: Option<NaiveDate>) -> AppResult<Population> {
        Ok(self.store().population(as_of).await?)
    }

    /// Momentum, grouped `by`; with `individuals` (admins only, audited) the quiet power
    /// users by name.
    pub async fn momentum(
        &self,
        as_of: Option<NaiveDate>,
        by: GroupBy,
        individuals: bool,
    ) -> AppResult<Analysed<Momentum>> {
        if individuals {
            self.require_admin("list quiet power users")?;
        }
        let population = self.population(as_of).await?;
        let opts = Options {
            as_of,
            by,
            min_group_size: self.min_group_size().await?,
            individuals,
        };
        let result = momentum(&population, &opts)?;
        if individuals {
            self.audit(
                "momentum.individuals",
                &format!(
                    "{} quiet power users listed",
                    result.quiet_power_users.people.len()
                ),
            )
            .await?;
        }
        Ok(Analysed { population, result })
    }

    /// The adoption forecast (`opts.min_group_size` is the program's, whatever is passed).
    pub async fn forecast(&self, mut opts: ForecastOptions) -> AppResult<Analysed<Forecast>> {
        let population = self.population(opts.as_of).await?;
        opts.min_group_size = self.min_group_size().await?;
        let result = forecast(&population, &opts)?;
        Ok(Analysed { population, result })
    }

    /// Rollout waves per site as of `opts.as_of` (default: the last day with data, else
    /// today), and with `plan` a plan of the waves to come from its start (default: the
    /// first of the month after that day). `opts.min_group_size` and `opts.plan_from` are
    /// set here.
    pub async fn waves(
        &self,
        mut opts: WaveOptions,
        plan: Option<Option<NaiveDate>>,
    ) -> AppResult<Analysed<Waves>> {
        use chrono::{Datelike, Months};
        let population = self.population(opts.as_of).await?;
        let as_of = opts
            .as_of
            .or(population.as_of)
            .unwrap_or_else(|| self.now().date_naive());
        opts.as_of = Some(as_of);
        opts.plan_from = plan.map(|start| {
            start.unwrap_or_else(|| {
                as_of
                    .with_day(1)
                    .and_then(|d| d.checked_add_months(Months::new(1)))
                    .unwrap_or(as_of)
            })
        });
        opts.min_group_size = self.min_group_size().await?;
        let result = waves(&population, &opts)?;
        Ok(Analysed { population, result })
    }

    /// Schedules the planned waves (admins; audited): each site's wave starts on its day.
    pub async fn apply_waves(&self, w: &Waves) -> AppResult<usize> {
        self.require_admin("schedule rollout waves")?;
        let planned: Vec<(String, NaiveDate)> = w
            .plan
            .iter()
            .flat_map(|wave| wave.sites.iter().map(|s| (s.clone(), wave.starts_on)))
            .collect();
        self.store().set_waves(&planned).await?;
        let by = self.caller().user().map(|u| u.id);
        self.store()
            .audit(
                by,
                "waves.apply",
                "rollout",
                &format!("{} sites scheduled", planned.len()),
            )
            .await?;
        Ok(planned.len())
    }

    /// Whether intervention `id` worked (difference in differences).
    pub async fn impact(&self, as_of: Option<NaiveDate>, id: i64) -> AppResult<Analysed<Impact>> {
        let population = self.population(as_of).await?;
        let result = impact(&population, id, self.min_group_size().await?)?;
        Ok(Analysed { population, result })
    }

    /// Every person's evidence as a natural champion (admins; audited).
    pub async fn champion_evidence(
        &self,
        as_of: Option<NaiveDate>,
    ) -> AppResult<Analysed<ChampionEvidence>> {
        self.require_admin("read individual champion evidence")?;
        let population = self.population(as_of).await?;
        let result = evidence(&population)?;
        self.audit(
            "champions.suggest",
            &format!("evidence of {} people read", result.people.len()),
        )
        .await?;
        Ok(Analysed { population, result })
    }

    /// A champion network for `options.stage`, with the evidence it rests on (admins;
    /// audited).
    pub async fn plan_champions(
        &self,
        as_of: Option<NaiveDate>,
        options: PlanOptions,
    ) -> AppResult<Analysed<(ChampionEvidence, Plan)>> {
        self.require_admin("plan champions")?;
        let population = self.population(as_of).await?;
        let ev = evidence(&population)?;
        let p = plan(&population, &ev, options)?;
        self.audit(
            "champions.plan",
            &format!("{:?} plan of {} champions", p.stage, p.champions.len()),
        )
        .await?;
        Ok(Analysed {
            population,
            result: (ev, p),
        })
    }

    /// Records a read of individual-level data in the audit log, by the caller (the CLI's
    /// operator as `cli`).
    async fn audit(&self, action: &str, detail: &str) -> AppResult<()> {
        let by = self.caller().user().map(|u| u.id);
        let subject = if by.is_some() { "web" } else { "cli" };
        Ok(self.store().audit(by, action, subject, detail).await?)
    }
}

/// What the analytics rest on that the program records: its interventions and its stage
/// evaluations.
impl App {
    /// Records an intervention (a training, a champion, a tool approved) for a unit, site
    /// or tool on a day (admins; audited when new); its id and whether it is new.
    pub async fn record_intervention(
        &self,
        new: &flywheel_store::NewIntervention<'_>,
    ) -> AppResult<(i64, bool)> {
        self.require_admin("record interventions")?;
        let (id, fresh) = self.store().record_intervention(new).await?;
        if fresh {
            let by = self.caller().user().map(|u| u.id);
            self.store()
                .audit(
                    by,
                    "intervention.add",
                    &format!("intervention:{id}"),
                    new.kind,
                )
                .await?;
        }
        Ok((id, fresh))
    }

    /// Every recorded intervention.
    pub async fn interventions(&self) -> AppResult<Vec<flywheel_store::InterventionRow>> {
        Ok(self.store().intervention_rows().await?)
    }

    /// Stores a stage evaluation (the reached stage, the gates' source, the evaluation as
    /// JSON), for the history; its id.
    pub async fn save_stage_evaluation(
        &self,
        as_of: NaiveDate,
        reached: &str,
        config: &str,
        detail: &str,
    ) -> AppResult<i64> {
        self.require_admin("store stage evaluations")?;
        Ok(self
            .store()
            .save_stage_evaluation(as_of, reached, config, detail)
            .await?)
    }

    /// The last `limit` stored stage evaluations, newest first.
    pub async fn stage_history(
        &self,
        limit: u32,
    ) -> AppResult<Vec<flywheel_store::StageEvaluationRow>> {
        Ok(self.store().stage_evaluations(limit).await?)
    }
}
