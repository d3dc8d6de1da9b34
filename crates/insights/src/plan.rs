//! Champion-network plans: who should be a champion, chosen by constrained influence
//! maximization among volunteers (or, before anyone volunteered, among the suggested
//! natural champions), compared in simulation with the ways champions are usually
//! appointed — by seniority, by usage, at random.
//!
//! Stages differ in size and in what must be covered:
//!
//! * **walk**: 10–15 champions across departments, one per department at least while the
//!   departments are few enough, at most `cap` per department;
//! * **run**: per-site networks, one champion per ~150 people, every site covered;
//! * **scale**: thousands (Citi: about 4,000 for 182,000 people, one per ~45), every
//!   department covered, at most twice a fair share per department.
//!
//! The guarantee: without per-group limits the greedy choice on RR samples is within
//! 1 − 1/e − ε of the best set's expected spread; with them (a partition matroid) greedy
//! gives 1/2 − ε. Both hold with probability 1 − δ under the simulation model — which is
//! a model: independent cascade with weighted-cascade probabilities (1/number of contacts)
//! on the collaboration network.

use crate::{InsightError, InsightResult};
use chrono::NaiveDate;
use flywheel_netsci::diffusion::{simulate, ArcProbability, Model, SimOptions, Simulation};
use flywheel_netsci::im::{select_seeds, Constraints, ImModel, SeedOptions};
use flywheel_netsci::Groups;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::champions::ChampionEvidence;
use crate::population::Population;

/// A program stage a champion network is planned for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Walk,
    Run,
    Scale,
}

impl Stage {
    pub fn parse(s: &str) -> Option<Stage> {
        match s {
            "walk" => Some(Stage::Walk),
            "run" => Some(Stage::Run),
            "scale" => Some(Stage::Scale),
            _ => None,
        }
    }
}

/// Plan settings; `None` takes the stage's default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanOptions {
    pub stage: Stage,
    pub k: Option<u32>,
    /// At most this many champions per group (department, or site for `run`).
    pub cap: Option<u32>,
    /// Before anyone volunteered: how many suggested people to consider (the invite list).
    pub invite: Option<u32>,
    /// Term length: champions serving longer are flagged for rotation.
    pub term_days: u32,
    pub runs: u32,
    pub epsilon: f64,
    pub seed: u64,
}

impl PlanOptions {
    pub fn new(stage: Stage) -> PlanOptions {
        PlanOptions {
            stage,
            k: None,
            cap: None,
            invite: None,
            term_days: 365,
            runs: 200,
            epsilon: 0.1,
            seed: 1,
        }
    }
}

/// One planned champion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Planned {
    pub person: u32,
    pub group: String,
    /// Expected additional adopters this person brings to those chosen before them.
    pub marginal_gain: f64,
    pub evidence_index: f64,
    pub volunteer: bool,
}

/// One way of choosing champions, simulated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arm {
    pub name: &'static str,
    pub how: String,
    pub seeds: Vec<u32>,
    pub groups_covered: u32,
    pub simulation: Simulation,
}

/// Rotation flags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rotation {
    pub term_days: u32,
    /// Champions serving longer than the term: (person, since, days).
    pub past_term: Vec<(u32, NaiveDate, i64)>,
    /// Departments whose help comes mostly from one person: (department, person, share of
    /// the help given in that department, replies).
    pub single_points: Vec<(String, u32, f64, u32)>,
}

/// A champion-network plan with its comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub stage: Stage,
    pub k: u32,
    pub grouped_by: &'static str,
    pub groups: u32,
    pub min_per_group: u32,
    pub cap: u32,
    /// Who could be chosen: "volunteers" or "invite list of the N best-evidenced people".
    pub candidates: String,
    pub candidate_count: u32,
    pub champions: Vec<Planned>,
    pub expected_spread: f64,
    pub spread_interval: (f64, f64),
    pub guarantee: f64,
    pub model: String,
    /// The plan and the baselines, simulated on the same model and random seeds.
    pub comparison: Vec<Arm>,
    pub rotation: Rotation,
}

/// Who may be chosen: volunteers, else the invite list (the `invite` best suggestions
/// overall, and the best two of every group so that coverage stays possible); never
/// anyone who opted out. Also says which, in words.
fn candidates(
    pop: &Population,
    evidence: &ChampionEvidence,
    groups: &Groups,
    invite: usize,
    grouped_by: &str,
) -> (Vec<bool>, String) {
    let n = pop.len() as u32;
    let group_count = groups.count();
    // Candidates: volunteers, else the invite list (the best suggestions overall, and the
    // best two of every group so that coverage stays possible).
    let suggestions = evidence.suggestions(pop);
    let volunteers: Vec<u32> = (0..n)
        .filter(|&v| pop.people[v as usize].volunteer && !pop.people[v as usize].opted_out)
        .collect();
    let mut eligible = vec![false; n as usize];
    let candidates = if !volunteers.is_empty() {
        for &v in &volunteers {
            eligible[v as usize] = true;
        }
        "volunteers".to_owned()
    } else {
        for e in suggestions.iter().take(invite) {
            eligible[e.person as usize] = true;
        }
        let mut per_group = vec![0u32; group_count as usize];
        for e in &suggestions {
            let l = groups.of(e.person) as usize;
            if per_group[l] < 2 {
                per_group[l] += 1;
                eligible[e.person as usize] = true;
            }
        }
        format!("invite list: the {invite} best-evidenced people and the best two of every {grouped_by} (nobody has volunteered yet)")
    };
    for (v, p) in pop.people.iter().enumerate() {
        if p.opted_out {
            eligible[v] = false;
        }
    }
    (eligible, candidates)
}

/// The baselines' orders of preference, from everyone who did not opt out: by seniority,
/// by usage, at random.
fn baseline_orders(pop: &Population, seed: u64) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let n = pop.len() as u32;
    let allowed: Vec<u32> = (0..n)
        .filter(|v| !pop.people[*v as usize].opted_out)
        .collect();
    let mut by_seniority = allowed.clone();
    by_seniority.sort_by_key(|&v| {
        let p = &pop.people[v as usize];
        (p.level, std::cmp::Reverse(p.span), v)
    });
    let mut volume = vec![0u64; n as usize];
    for u in &pop.usage {
        volume[u.person as usize] += u64::from(u.count);
    }
    let mut by_usage = allowed.clone();
    by_usage.sort_by_key(|&v| (std::cmp::Reverse(volume[v as usize]), v));
    let mut at_random = allowed;
    at_random.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ 0x5EED));
    (by_seniority, by_usage, at_random)
}

/// The labels people are grouped by for coverage (departments; sites for Run, with one
/// more label for people without a site), the groups' names, and what a group is.
fn grouping(pop: &Population, stage: Stage) -> (Vec<u32>, &[String], &'static str) {
    match stage {
        Stage::Run => (
            pop.people
                .iter()
                .map(|p| p.site.unwrap_or(pop.sites.len() as u32))
                .collect(),
            &pop.sites,
            "site",
        ),
        Stage::Walk | Stage::Scale => (
            pop.people.iter().map(|p| p.department).collect(),
            &pop.departments,
            "department",
        ),
    }
}

/// Each arm's seeds simulated the same way, with the groups they cover.
fn compare(
    g: &flywheel_netsci::Graph,
    groups: &Groups,
    arms: Vec<(&'static str, String, Vec<u32>)>,
    model: Model,
    sim_options: SimOptions,
) -> InsightResult<Vec<Arm>> {
    let covered = |seeds: &[u32]| {
        let mut seen: Vec<u32> = seeds.iter().map(|s| groups.of(*s)).collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len() as u32
    };
    let mut comparison = Vec::with_capacity(arms.len());
    for (name, how, seeds) in arms {
        let simulation = simulate(g, model, &seeds, None, sim_options)?;
        comparison.push(Arm {
            name,
            how,
            groups_covered: covered(&seeds),
            seeds,
            simulation,
        });
    }
    Ok(comparison)
}

/// How many champions (`k`) and at most how many per group (`cap`): the options' own, or
/// the stage's defaults (Walk 10–15 with two per department; Run one per 150 people and at
/// least one per site; Scale Citi's 4,000 per 182,000).
fn size(options: &PlanOptions, n: u32, group_count: u32) -> (u32, u32) {
    let k = options
        .k
        .unwrap_or(match options.stage {
            Stage::Walk => group_count.clamp(10, 15),
            Stage::Run => n.div_ceil(150).max(group_count),
            Stage::Scale => (f64::from(n) * 4_000.0 / 182_000.0).ceil() as u32,
        })
        .clamp(1, n);
    let cap = options.cap.unwrap_or(match options.stage {
        Stage::Walk => 2,
        Stage::Run | Stage::Scale => (2 * k).div_ceil(group_count.max(1)).max(1),
    });
    (k, cap)
}

/// Plans a champion network for `options.stage`.
pub fn plan(
    pop: &Population,
    evidence: &ChampionEvidence,
    options: PlanOptions,
) -> InsightResult<Plan> {
    let n = pop.len() as u32;
    if n == 0 {
        return Err(InsightError::TooLittleData(
            "no people: import an org chart first".into(),
        ));
    }
    let g = pop.graph();
    let (labels, names, grouped_by) = grouping(pop, options.stage);
    let group_name = |l: u32| {
        names
            .get(l as usize)
            .cloned()
            .unwrap_or_else(|| "(no site)".to_owned())
    };
    let groups = Groups::new(&labels);
    let group_count = groups.count();
    let (k, cap) = size(&options, n, group_count);
    let min_per_group = u32::from(group_count <= k);

    let (eligible, candidates) = candidates(
        pop,
        evidence,
        &groups,
        options.invite.unwrap_or(3 * k).max(k) as usize,
        grouped_by,
    );
    let candidate_count = eligible.iter().filter(|e| **e).count() as u32;
    // Coverage is required only of groups that have a candidate.
    let mut has_candidate = vec![false; group_count as usize];
    for v in (0..n).filter(|v| eligible[*v as usize]) {
        has_candidate[groups.of(v) as usize] = true;
    }
    let coverable = has_candidate.iter().filter(|h| **h).count() as u32;
    let min_per_group = if coverable == group_count {
        min_per_group
    } else {
        0
    };
    let k = k.min(candidate_count.max(1));
    let rule = ArcProbability::WeightedCascade;
    let chosen = select_seeds(
        &g,
        SeedOptions {
            k,
            epsilon: options.epsilon,
            delta: 0.05,
            model: ImModel::IndependentCascade(rule),
            seed: options.seed,
        },
        Constraints {
            groups: Some(&groups),
            min_per_group,
            max_per_group: Some(cap),
            eligible: Some(&eligible),
        },
    )?;
    let index_of: std::collections::HashMap<u32, f64> = evidence
        .people
        .iter()
        .map(|e| (e.person, e.index))
        .collect();
    let champions: Vec<Planned> = chosen
        .seeds
        .iter()
        .map(|s| Planned {
            person: s.node,
            group: group_name(labels[s.node as usize]),
            marginal_gain: s.marginal_gain,
            evidence_index: index_of.get(&s.node).copied().unwrap_or(0.0),
            volunteer: pop.people[s.node as usize].volunteer,
        })
        .collect();
    let plan_seeds: Vec<u32> = champions.iter().map(|c| c.person).collect();

    let (by_seniority, by_usage, at_random) = baseline_orders(pop, options.seed);
    let pick = |order: &[u32]| pick_covering(order, k, &groups, min_per_group, cap);

    let model = Model::IndependentCascade(rule);
    let sim_options = SimOptions {
        runs: options.runs,
        seed: options.seed,
        ..SimOptions::default()
    };
    let arms: Vec<(&'static str, String, Vec<u32>)> = vec![
        (
            "natural champions (plan)",
            format!("constrained influence maximization among the {candidates}"),
            plan_seeds,
        ),
        (
            "seniority",
            format!("the most senior people of the org chart (highest level, then largest span), covering {grouped_by}s the same way"),
            pick(&by_seniority),
        ),
        (
            "top usage",
            "the heaviest users of AI tools".to_owned(),
            pick(&by_usage),
        ),
        ("random", "people drawn at random".to_owned(), pick(&at_random)),
    ];
    let comparison = compare(&g, &groups, arms, model, sim_options)?;
    Ok(Plan {
        stage: options.stage,
        k,
        grouped_by,
        groups: group_count,
        min_per_group,
        cap,
        candidates,
        candidate_count,
        champions,
        expected_spread: chosen.spread,
        spread_interval: (chosen.spread_low, chosen.spread_high),
        guarantee: chosen.guarantee,
        model: "independent cascade on the collaboration network, weighted cascade (each contact's pull is 1 / number of contacts)".to_owned(),
        comparison,
        rotation: rotation(pop, options.term_days),
    })
}

/// The first `k` of `order` such that every group gets `min` first (the best of each group
/// by `order`) and no group more than `cap`.
fn pick_covering(order: &[u32], k: u32, groups: &Groups, min: u32, cap: u32) -> Vec<u32> {
    let mut count = vec![0u32; groups.count() as usize];
    let mut out = Vec::with_capacity(k as usize);
    let mut taken = std::collections::HashSet::new();
    if min > 0 {
        for &v in order {
            let g = groups.of(v) as usize;
            if count[g] < min && out.len() < k as usize {
                count[g] += 1;
                out.push(v);
                taken.insert(v);
            }
        }
    }
    for &v in order {
        if out.len() >= k as usize {
            break;
        }
        let g = groups.of(v) as usize;
        if !taken.contains(&v) && count[g] < cap {
            count[g] += 1;
            out.push(v);
            taken.insert(v);
        }
    }
    out
}

/// Champions past their term, and departments whose know-how sits in one person.
fn rotation(pop: &Population, term_days: u32) -> Rotation {
    let as_of = pop.as_of;
    let past_term = pop
        .people
        .iter()
        .enumerate()
        .filter_map(|(v, p)| {
            let since = p.champion_since?;
            let days = (as_of? - since).num_days();
            (days > i64::from(term_days)).then_some((v as u32, since, days))
        })
        .collect();
    // Help received by people of each department, by helper.
    let mut help: std::collections::BTreeMap<u32, std::collections::HashMap<u32, u32>> =
        Default::default();
    for h in &pop.help {
        let d = pop.people[h.helped as usize].department;
        *help.entry(d).or_default().entry(h.helper).or_default() += 1;
    }
    let mut single_points = Vec::new();
    for (d, by_helper) in help {
        let total: u32 = by_helper.values().sum();
        if let Some((&helper, &most)) = by_helper
            .iter()
            .max_by_key(|(h, c)| (**c, std::cmp::Reverse(**h)))
        {
            let share = f64::from(most) / f64::from(total);
            if total >= 5 && share >= 0.5 {
                single_points.push((pop.departments[d as usize].clone(), helper, share, total));
            }
        }
    }
    Rotation {
        term_days,
        past_term,
        single_points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_cover_groups_first_and_respect_caps() {
        // Groups: 0 0 0 0 1 1 2; order prefers group 0.
        let groups = Groups::new(&[0, 0, 0, 0, 1, 1, 2]);
        let order = [0, 1, 2, 3, 4, 5, 6];
        assert_eq!(pick_covering(&order, 4, &groups, 1, 2), vec![0, 4, 6, 1]);
        assert_eq!(pick_covering(&order, 5, &groups, 0, 2), vec![0, 1, 4, 5, 6]);
        assert_eq!(
            pick_covering(&order, 2, &groups, 1, 2),
            vec![0, 4],
            "k bounds coverage"
        );
    }
}
