//! `flywheel champions`: natural-champion evidence, champion-network plans, and statuses.

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use std::collections::BTreeMap;

use flywheel_insights::champions::{Basis, ChampionEvidence, Evidence, PARTS};
use flywheel_insights::plan::{Plan, PlanOptions, Stage};
use flywheel_insights::population::Population;
use flywheel_store::ChampionStatus;
use serde::Serialize;

use crate::output::{emit, Report};

#[derive(Debug, Subcommand)]
pub enum ChampionsCommand {
    /// Suggest natural champions, each with the evidence in parts and in words: early
    /// adoption (within their department), breadth, habit, intensity (within each tool),
    /// help given, wins shared, measured influence (contacts who followed within 3 weeks,
    /// and influence probabilities learned from the adoption history) and network position
    /// (brokerage between departments). Ranked by the mean of each person's six strongest
    /// percentiles.
    /// Individual-level data: admins only; every run is recorded in the audit log.
    /// People who opted out or never used AI are not suggested.
    Suggest {
        /// How many suggestions to print.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Use only data up to this day (YYYY-MM-DD); default: all of it.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// Plan a champion network for a stage by constrained influence maximization among
    /// volunteers (or, before anyone volunteered, the suggested natural champions), and
    /// compare it in simulation with champions chosen by seniority, by usage and at random.
    ///
    /// walk: 10–15 across departments (at most --cap per department, default 2);
    /// run: per-site networks, one per ~150 people, every site covered;
    /// scale: one per ~45 people (Citi: 4,000 for 182,000), every department covered.
    /// Guarantee: 1 − 1/e − ε of the best set's expected spread without per-group limits,
    /// 1/2 − ε with them (greedy on a partition matroid), with probability 95%, under the
    /// model (independent cascade, weighted cascade, on the collaboration network).
    Plan {
        #[arg(long, value_parser = ["walk", "run", "scale"])]
        stage: String,
        /// Number of champions (default: by stage).
        #[arg(long)]
        k: Option<u32>,
        /// At most this many champions per department (per site for run).
        #[arg(long)]
        cap: Option<u32>,
        /// Before anyone volunteered: how many suggested people to consider (default 3k).
        #[arg(long)]
        invite: Option<u32>,
        /// Term length in days: serving champions past it are flagged for rotation.
        #[arg(long, default_value_t = 365)]
        term_days: u32,
        /// Simulation runs per compared choice.
        #[arg(long, default_value_t = 200)]
        runs: u32,
        /// Approximation slack ε of the seed selection.
        #[arg(long, default_value_t = 0.1)]
        eps: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Invite the planned champions who are not champions yet (they see the invitation
        /// on the Champions page and volunteer or decline there). Audited.
        #[arg(long)]
        send_invitations: bool,
        #[arg(long)]
        json: bool,
    },
    /// Record that a person volunteered, serves as a champion, opted out, or stopped.
    Set {
        /// The person's id (as `flywheel people` lists it).
        #[arg(long)]
        person: i64,
        #[arg(long, value_parser = ["volunteer", "active", "opted-out", "former"])]
        status: String,
        /// From this day (default: today).
        #[arg(long)]
        since: Option<NaiveDate>,
    },
}

pub async fn run(cmd: ChampionsCommand, url: &str) -> anyhow::Result<()> {
    let store = crate::open(url).await?;
    match cmd {
        ChampionsCommand::Set {
            person,
            status,
            since,
        } => set_status(&store, person, &status, since).await,
        ChampionsCommand::Suggest { top, as_of, json } => {
            let pb = crate::progress::step(
                "reading the program's data, weighing the evidence".to_owned(),
            );
            let a = crate::operator(&store).champion_evidence(as_of).await?;
            crate::progress::done(pb, format!("{} people", a.population.len()));
            emit(json, &suggestions(&a.population, &a.result, top))
        }
        ChampionsCommand::Plan {
            stage,
            k,
            cap,
            invite,
            term_days,
            runs,
            eps,
            seed,
            as_of,
            send_invitations,
            json,
        } => {
            let stage = Stage::parse(&stage).context("unknown stage")?;
            let mut options = PlanOptions::new(stage);
            options.k = k;
            options.cap = cap;
            options.invite = invite;
            options.term_days = term_days;
            options.runs = runs;
            options.epsilon = eps;
            options.seed = seed;
            let pb = crate::progress::step(
                "reading the program's data, weighing the evidence, choosing and simulating"
                    .to_owned(),
            );
            let a = crate::operator(&store)
                .plan_champions(as_of, options)
                .await?;
            let (pop, (ev, p)) = (a.population, a.result);
            crate::progress::done(pb, format!("{} champions planned", p.champions.len()));
            if send_invitations {
                send(&store, &pop, &p).await?;
            }
            emit(json, &plan_report(&pop, &ev, &p, options.runs))
        }
    }
}

async fn set_status(
    store: &flywheel_store::Store,
    person: i64,
    status: &str,
    since: Option<NaiveDate>,
) -> anyhow::Result<()> {
    let parsed = ChampionStatus::parse(&status.replace('-', "_"))?;
    let since = since.unwrap_or_else(|| chrono::Utc::now().date_naive());
    crate::operator(store)
        .set_champion_status(person, parsed, since)
        .await?;
    println!("person {person}: {} since {since}", parsed.as_str());
    Ok(())
}

/// A suggested champion.
#[derive(Serialize)]
struct SuggestionRow<'a> {
    person: i64,
    name: &'a str,
    department: &'a str,
    site: Option<&'a str>,
    volunteer: bool,
    index: f64,
    /// Each part's percentile, by the part's name.
    percentiles: BTreeMap<&'static str, f64>,
    evidence: &'a Evidence,
}

/// `champions suggest`.
#[derive(Serialize)]
struct SuggestReport<'a> {
    basis: &'a Basis,
    suggestions: Vec<SuggestionRow<'a>>,
}

fn suggestions<'a>(pop: &'a Population, ev: &'a ChampionEvidence, top: usize) -> SuggestReport<'a> {
    let suggestions = ev
        .suggestions(pop)
        .into_iter()
        .take(top)
        .map(|e| {
            let p = &pop.people[e.person as usize];
            SuggestionRow {
                person: p.id,
                name: &p.name,
                department: &pop.departments[p.department as usize],
                site: p.site.map(|s| pop.sites[s as usize].as_str()),
                volunteer: p.volunteer,
                index: e.index,
                percentiles: PARTS.iter().copied().zip(e.percentiles).collect(),
                evidence: e,
            }
        })
        .collect();
    SuggestReport {
        basis: &ev.basis,
        suggestions,
    }
}

impl Report for SuggestReport<'_> {
    fn text(&self) {
        let b = self.basis;
        println!(
            "natural champions from {} people ({} adopters, {} opted out) as of {}: {} usage days, {} help replies, {} wins, {} ties",
            b.people,
            b.adopters,
            b.opted_out,
            b.as_of.map_or("-".to_owned(), |d| d.to_string()),
            b.usage_days,
            b.help_replies,
            b.wins,
            b.ties
        );
        println!(
            "ranked by the mean of each person's six strongest of eight percentiles: {}",
            PARTS.join(", ")
        );
        println!();
        println!(
            "{:>4}  {:>6}  {:<24}  {:<18}  {:>5}  parts (percentile ×100, in the order above)",
            "rank", "id", "name", "department", "index"
        );
        for (i, s) in self.suggestions.iter().enumerate() {
            let parts: Vec<String> = s
                .evidence
                .percentiles
                .iter()
                .map(|x| format!("{:>3.0}", 100.0 * x))
                .collect();
            println!(
                "{:>4}  {:>6}  {:<24}  {:<18}  {:>5.2}  {}",
                i + 1,
                s.person,
                truncate(s.name, 24),
                truncate(s.department, 18),
                s.index,
                parts.join(" ")
            );
            println!("{:>14}{}", "", s.evidence.explanation);
        }
    }
}

/// Invites the planned people who are not champions, opted out or invited already.
async fn send(store: &flywheel_store::Store, pop: &Population, p: &Plan) -> anyhow::Result<()> {
    let ids: Vec<i64> = p
        .champions
        .iter()
        .map(|c| pop.people[c.person as usize].id)
        .collect();
    let sent = crate::operator(store)
        .invite_champions(&ids, &format!("from the {:?} plan", p.stage))
        .await?;
    eprintln!(
        "invitations: {} sent ({} planned people are champions already, opted out or invited)",
        sent.len(),
        ids.len() - sent.len()
    );
    Ok(())
}

/// A person as plans name them.
#[derive(Serialize)]
struct PersonRef<'a> {
    person: i64,
    name: &'a str,
    department: &'a str,
}

fn person_ref(pop: &Population, v: u32) -> PersonRef<'_> {
    let x = &pop.people[v as usize];
    PersonRef {
        person: x.id,
        name: &x.name,
        department: &pop.departments[x.department as usize],
    }
}

#[derive(Serialize)]
struct ChampionRow<'a> {
    #[serde(flatten)]
    who: PersonRef<'a>,
    group: &'a str,
    marginal_gain: f64,
    evidence_index: f64,
    volunteer: bool,
}

#[derive(Serialize)]
struct ArmRow<'a> {
    name: &'static str,
    how: &'a str,
    people: Vec<i64>,
    groups_covered: u32,
    mean_adopters: f64,
    ci95: f64,
    mean_curve: &'a [f64],
    bands: &'a [[u32; 5]],
}

#[derive(Serialize)]
struct PastTerm<'a> {
    #[serde(flatten)]
    who: PersonRef<'a>,
    since: NaiveDate,
    days: i64,
}

#[derive(Serialize)]
struct SinglePoint<'a> {
    department: &'a str,
    helper: PersonRef<'a>,
    share: f64,
    replies: u32,
}

#[derive(Serialize)]
struct RotationOut<'a> {
    term_days: u32,
    past_term: Vec<PastTerm<'a>>,
    single_points: Vec<SinglePoint<'a>>,
}

/// `champions plan`.
#[derive(Serialize)]
struct PlanReport<'a> {
    stage: Stage,
    k: u32,
    grouped_by: &'static str,
    groups: u32,
    min_per_group: u32,
    cap: u32,
    candidates: &'a str,
    candidate_count: u32,
    champions: Vec<ChampionRow<'a>>,
    expected_spread: f64,
    spread_interval: [f64; 2],
    guarantee: f64,
    model: &'a str,
    comparison: Vec<ArmRow<'a>>,
    rotation: RotationOut<'a>,
    basis: &'a Basis,
    /// Simulation runs per arm (for the text).
    #[serde(skip)]
    runs: u32,
}

fn plan_report<'a>(
    pop: &'a Population,
    ev: &'a ChampionEvidence,
    p: &'a Plan,
    runs: u32,
) -> PlanReport<'a> {
    PlanReport {
        stage: p.stage,
        k: p.k,
        grouped_by: p.grouped_by,
        groups: p.groups,
        min_per_group: p.min_per_group,
        cap: p.cap,
        candidates: &p.candidates,
        candidate_count: p.candidate_count,
        champions: p
            .champions
            .iter()
            .map(|c| ChampionRow {
                who: person_ref(pop, c.person),
                group: &c.group,
                marginal_gain: c.marginal_gain,
                evidence_index: c.evidence_index,
                volunteer: c.volunteer,
            })
            .collect(),
        expected_spread: p.expected_spread,
        spread_interval: [p.spread_interval.0, p.spread_interval.1],
        guarantee: p.guarantee,
        model: &p.model,
        comparison: p
            .comparison
            .iter()
            .map(|a| ArmRow {
                name: a.name,
                how: &a.how,
                people: a.seeds.iter().map(|s| pop.people[*s as usize].id).collect(),
                groups_covered: a.groups_covered,
                mean_adopters: a.simulation.mean,
                ci95: a.simulation.ci95,
                mean_curve: &a.simulation.mean_curve,
                bands: &a.simulation.bands,
            })
            .collect(),
        rotation: RotationOut {
            term_days: p.rotation.term_days,
            past_term: p
                .rotation
                .past_term
                .iter()
                .map(|(v, since, days)| PastTerm {
                    who: person_ref(pop, *v),
                    since: *since,
                    days: *days,
                })
                .collect(),
            single_points: p
                .rotation
                .single_points
                .iter()
                .map(|(d, v, share, replies)| SinglePoint {
                    department: d,
                    helper: person_ref(pop, *v),
                    share: *share,
                    replies: *replies,
                })
                .collect(),
        },
        basis: &ev.basis,
        runs,
    }
}

impl Report for PlanReport<'_> {
    fn text(&self) {
        println!(
            "{:?} plan: {} champions, at least {} and at most {} per {} ({} {}s); candidates: {} ({})",
            self.stage, self.k, self.min_per_group, self.cap, self.grouped_by, self.groups, self.grouped_by, self.candidates, self.candidate_count
        );
        println!(
            "expected adopters reached: {:.1} (between {:.1} and {:.1}, 95%); guarantee {:.3} of the best allowed set",
            self.expected_spread, self.spread_interval[0], self.spread_interval[1], self.guarantee
        );
        println!("model: {}", self.model);
        println!();
        println!(
            "{:>6}  {:<24}  {:<20}  {:>8}  {:>5}  volunteer",
            "id", "name", self.grouped_by, "gain", "index"
        );
        for c in &self.champions {
            println!(
                "{:>6}  {:<24}  {:<20}  {:>8.2}  {:>5.2}  {}",
                c.who.person,
                truncate(c.who.name, 24),
                truncate(c.group, 20),
                c.marginal_gain,
                c.evidence_index,
                if c.volunteer { "yes" } else { "invite" }
            );
        }
        println!();
        println!(
            "simulated adopters ({} runs each, same random seeds):",
            self.runs
        );
        println!(
            "{:<26}  {:>9}  {:>7}  {:>11}  {:>8}  how",
            "choice", "mean", "±95%", "5–95%", "covers"
        );
        for a in &self.comparison {
            let last = a.bands.last().copied().unwrap_or([0; 5]);
            println!(
                "{:<26}  {:>9.1}  {:>7.1}  {:>5}–{:<5}  {:>8}  {}",
                a.name, a.mean_adopters, a.ci95, last[0], last[4], a.groups_covered, a.how
            );
        }
        println!();
        let r = &self.rotation;
        if r.past_term.is_empty() {
            println!("rotation: no champion is past the {}-day term", r.term_days);
        }
        for x in &r.past_term {
            println!(
                "rotation: {} (id {}) has served since {} ({} days, term {})",
                x.who.name, x.who.person, x.since, x.days, r.term_days
            );
        }
        for s in &r.single_points {
            println!(
                "know-how in one person: {:.0}% of the {} help replies in {} came from {} (id {})",
                100.0 * s.share,
                s.replies,
                s.department,
                s.helper.name,
                s.helper.person
            );
        }
    }
}

pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
