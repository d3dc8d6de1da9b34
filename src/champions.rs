//! `flywheel champions`: natural-champion evidence, champion-network plans, and statuses.

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use flywheel_insights::champions::{evidence, PARTS};
use flywheel_insights::plan::{plan, PlanOptions, Stage};
use flywheel_store::ChampionStatus;
use serde_json::json;

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
        } => {
            let parsed = ChampionStatus::parse(&status)
                .with_context(|| format!("unknown status {status:?}"))?;
            let since = since.unwrap_or_else(|| chrono::Utc::now().date_naive());
            store.set_champion_status(person, parsed, since).await?;
            store
                .audit(
                    None,
                    "champion.status",
                    &format!("person:{person}"),
                    &format!("{} since {since} (cli)", parsed.as_str()),
                )
                .await?;
            println!("person {person}: {} since {since}", parsed.as_str());
            Ok(())
        }
        ChampionsCommand::Suggest { top, as_of, json } => {
            let pb = crate::progress::step("reading the program's data".to_owned());
            let pop = store.population(as_of).await?;
            crate::progress::done(pb, format!("{} people", pop.len()));
            let pb = crate::progress::step("weighing the evidence".to_owned());
            let ev = evidence(&pop).map_err(anyhow::Error::msg)?;
            crate::progress::done(pb, "evidence weighed".to_owned());
            let suggestions = ev.suggestions(&pop);
            store
                .audit(
                    None,
                    "champions.suggest",
                    "cli",
                    &format!("{} suggestions shown", suggestions.len().min(top)),
                )
                .await?;
            if json {
                let rows: Vec<serde_json::Value> = suggestions
                    .iter()
                    .take(top)
                    .map(|e| {
                        let p = &pop.people[e.person as usize];
                        let parts: serde_json::Map<String, serde_json::Value> = PARTS
                            .iter()
                            .zip(e.percentiles)
                            .map(|(k, v)| ((*k).to_owned(), json!(v)))
                            .collect();
                        json!({
                            "person": p.id,
                            "name": p.name,
                            "department": pop.departments[p.department as usize],
                            "site": p.site.map(|s| pop.sites[s as usize].clone()),
                            "volunteer": p.volunteer,
                            "index": e.index,
                            "percentiles": parts,
                            "evidence": e,
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"basis": ev.basis, "suggestions": rows}))?
                );
                return Ok(());
            }
            let b = &ev.basis;
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
            for (i, e) in suggestions.iter().take(top).enumerate() {
                let p = &pop.people[e.person as usize];
                let parts: Vec<String> = e
                    .percentiles
                    .iter()
                    .map(|x| format!("{:>3.0}", 100.0 * x))
                    .collect();
                println!(
                    "{:>4}  {:>6}  {:<24}  {:<18}  {:>5.2}  {}",
                    i + 1,
                    p.id,
                    truncate(&p.name, 24),
                    truncate(&pop.departments[p.department as usize], 18),
                    e.index,
                    parts.join(" ")
                );
                println!("{:>14}{}", "", e.explanation);
            }
            Ok(())
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
            let pb = crate::progress::step("reading the program's data".to_owned());
            let pop = store.population(as_of).await?;
            crate::progress::done(pb, format!("{} people", pop.len()));
            let pb =
                crate::progress::step("weighing the evidence, choosing and simulating".to_owned());
            let ev = evidence(&pop).map_err(anyhow::Error::msg)?;
            let mut options = PlanOptions::new(stage);
            options.k = k;
            options.cap = cap;
            options.invite = invite;
            options.term_days = term_days;
            options.runs = runs;
            options.epsilon = eps;
            options.seed = seed;
            let p = plan(&pop, &ev, options).map_err(anyhow::Error::msg)?;
            crate::progress::done(pb, format!("{} champions planned", p.champions.len()));
            store
                .audit(
                    None,
                    "champions.plan",
                    "cli",
                    &format!("{:?} plan of {} champions", p.stage, p.champions.len()),
                )
                .await?;
            if send_invitations {
                let ids: Vec<i64> = p
                    .champions
                    .iter()
                    .map(|c| pop.people[c.person as usize].id)
                    .collect();
                let sent = store
                    .invite_champions(&ids, &format!("from the {:?} plan", p.stage), None)
                    .await?;
                eprintln!(
                    "invitations: {} sent ({} planned people are champions already, opted out or invited)",
                    sent.len(),
                    ids.len() - sent.len()
                );
            }
            let person = |v: u32| {
                let x = &pop.people[v as usize];
                json!({"person": x.id, "name": x.name, "department": pop.departments[x.department as usize]})
            };
            if json {
                let champions: Vec<serde_json::Value> = p
                    .champions
                    .iter()
                    .map(|c| {
                        let mut v = person(c.person);
                        v["group"] = json!(c.group);
                        v["marginal_gain"] = json!(c.marginal_gain);
                        v["evidence_index"] = json!(c.evidence_index);
                        v["volunteer"] = json!(c.volunteer);
                        v
                    })
                    .collect();
                let comparison: Vec<serde_json::Value> = p
                    .comparison
                    .iter()
                    .map(|a| {
                        json!({
                            "name": a.name,
                            "how": a.how,
                            "people": a.seeds.iter().map(|s| pop.people[*s as usize].id).collect::<Vec<_>>(),
                            "groups_covered": a.groups_covered,
                            "mean_adopters": a.simulation.mean,
                            "ci95": a.simulation.ci95,
                            "mean_curve": a.simulation.mean_curve,
                            "bands": a.simulation.bands,
                        })
                    })
                    .collect();
                let rotation = json!({
                    "term_days": p.rotation.term_days,
                    "past_term": p.rotation.past_term.iter().map(|(v, since, days)| {
                        let mut x = person(*v);
                        x["since"] = json!(since);
                        x["days"] = json!(days);
                        x
                    }).collect::<Vec<_>>(),
                    "single_points": p.rotation.single_points.iter().map(|(d, v, share, replies)| {
                        json!({"department": d, "helper": person(*v), "share": share, "replies": replies})
                    }).collect::<Vec<_>>(),
                });
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "stage": p.stage,
                        "k": p.k,
                        "grouped_by": p.grouped_by,
                        "groups": p.groups,
                        "min_per_group": p.min_per_group,
                        "cap": p.cap,
                        "candidates": p.candidates,
                        "candidate_count": p.candidate_count,
                        "champions": champions,
                        "expected_spread": p.expected_spread,
                        "spread_interval": [p.spread_interval.0, p.spread_interval.1],
                        "guarantee": p.guarantee,
                        "model": p.model,
                        "comparison": comparison,
                        "rotation": rotation,
                        "basis": ev.basis,
                    }))?
                );
                return Ok(());
            }
            println!(
                "{:?} plan: {} champions, at least {} and at most {} per {} ({} {}s); candidates: {} ({})",
                p.stage, p.k, p.min_per_group, p.cap, p.grouped_by, p.groups, p.grouped_by, p.candidates, p.candidate_count
            );
            println!(
                "expected adopters reached: {:.1} (between {:.1} and {:.1}, 95%); guarantee {:.3} of the best allowed set",
                p.expected_spread, p.spread_interval.0, p.spread_interval.1, p.guarantee
            );
            println!("model: {}", p.model);
            println!();
            println!(
                "{:>6}  {:<24}  {:<20}  {:>8}  {:>5}  volunteer",
                "id", "name", p.grouped_by, "gain", "index"
            );
            for c in &p.champions {
                let x = &pop.people[c.person as usize];
                println!(
                    "{:>6}  {:<24}  {:<20}  {:>8.2}  {:>5.2}  {}",
                    x.id,
                    truncate(&x.name, 24),
                    truncate(&c.group, 20),
                    c.marginal_gain,
                    c.evidence_index,
                    if c.volunteer { "yes" } else { "invite" }
                );
            }
            println!();
            println!(
                "simulated adopters ({} runs each, same random seeds):",
                options.runs
            );
            println!(
                "{:<26}  {:>9}  {:>7}  {:>11}  {:>8}  how",
                "choice", "mean", "±95%", "5–95%", "covers"
            );
            for a in &p.comparison {
                let last = a.simulation.bands.last().copied().unwrap_or([0; 5]);
                println!(
                    "{:<26}  {:>9.1}  {:>7.1}  {:>5}–{:<5}  {:>8}  {}",
                    a.name,
                    a.simulation.mean,
                    a.simulation.ci95,
                    last[0],
                    last[4],
                    a.groups_covered,
                    a.how
                );
            }
            println!();
            if p.rotation.past_term.is_empty() {
                println!(
                    "rotation: no champion is past the {}-day term",
                    p.rotation.term_days
                );
            }
            for (v, since, days) in &p.rotation.past_term {
                let x = &pop.people[*v as usize];
                println!(
                    "rotation: {} (id {}) has served since {since} ({days} days, term {})",
                    x.name, x.id, p.rotation.term_days
                );
            }
            for (d, v, share, replies) in &p.rotation.single_points {
                let x = &pop.people[*v as usize];
                println!(
                    "know-how in one person: {:.0}% of the {replies} help replies in {d} came from {} (id {})",
                    100.0 * share,
                    x.name,
                    x.id
                );
            }
            Ok(())
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
