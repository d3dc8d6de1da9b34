//! Natural champions: the evidence for each person, in parts with their numbers, and a
//! suggestion list ranked by those parts.
//!
//! A natural champion already does what the program needs: adopted early for their unit,
//! uses AI broadly and habitually, helps colleagues (across units), shares wins, is followed
//! by their contacts, and sits between departments. Each of these is measured separately;
//! the ranking is the mean of the six strongest parts' percentiles (of eight; see
//! [`STRONGEST`]), and every suggestion carries all its
//! parts and a sentence with the numbers. People who opted out are never suggested, and
//! people who never used AI are not suggested either (a champion of a tool they do not use
//! would not be believed).

use crate::InsightResult;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use flywheel_netsci::brokerage::gould_fernandez;
use flywheel_netsci::learn::expectation_maximization;
use flywheel_netsci::Groups;
use serde::Serialize;

use crate::population::Population;

/// How long after someone adopted a contact's adoption counts as following them.
pub const FOLLOW_DAYS: i64 = 21;

/// How many of a person's parts count towards their index: the strongest six of eight. A
/// natural champion need not show everything (one who helps a lot and is followed by
/// their contacts may never post a win, or use one tool only), and a weak part should not
/// bury strong ones; on the demo companies this finds more of the planted champions than
/// the mean of all eight (11 and 12 of 15 against 9 and 11, seeds 21 and 5).
pub const STRONGEST: usize = 6;

/// The parts of the evidence, in the order they are shown.
pub const PARTS: [&str; 8] = [
    "early adoption",
    "breadth",
    "habit",
    "intensity",
    "help given",
    "wins shared",
    "measured influence",
    "network position",
];

/// One person's evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Index into [`Population::people`].
    pub person: u32,
    pub first_use: Option<NaiveDate>,
    /// Share of the other adopters in their department who adopted later (1 = first).
    pub earlier_than: f64,
    pub department_adopters: u32,
    pub tools: u32,
    /// Distinct (tool, feature) pairs used.
    pub features: u32,
    pub active_days: u32,
    pub weeks_active: u32,
    /// Weeks from first use to the as-of day (the weeks they could have been active).
    pub weeks_since_first_use: u32,
    pub uses_per_active_day: f64,
    /// Intensity compared within each tool (tools count use differently: a prompt, a
    /// suggestion accepted, an active day): the mean over their tools of their uses per
    /// active day's percentile among that tool's users.
    pub intensity_within_tools: f64,
    pub answers: u32,
    pub colleagues_helped: u32,
    /// Departments other than their own that the people they helped belong to.
    pub other_departments_helped: u32,
    pub wins: u32,
    pub win_reactions: u32,
    pub contacts: u32,
    /// Contacts who had not adopted when this person did.
    pub exposed: u32,
    /// Of those, how many adopted within [`FOLLOW_DAYS`] after them.
    pub followed: u32,
    /// Expected contacts activated, from the learned influence probabilities (Σ p_uv).
    pub influence: f64,
    /// Open two-paths between different departments through this person (Gould–Fernandez
    /// roles other than coordinator).
    pub brokerage: u64,
    /// Percentile (0–1) of each part among everyone, in [`PARTS`] order.
    pub percentiles: [f64; 8],
    /// The mean of the [`STRONGEST`] highest percentiles: what suggestions are ranked by.
    pub index: f64,
    pub explanation: String,
}

/// What the evidence was computed from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Basis {
    pub as_of: Option<NaiveDate>,
    pub first_day_of_use: Option<NaiveDate>,
    pub people: u32,
    pub adopters: u32,
    pub opted_out: u32,
    pub ties: u32,
    pub usage_days: u32,
    pub help_replies: u32,
    pub wins: u32,
    /// Influence probabilities: EM on the adoption history in weekly steps.
    pub influence_model: String,
}

/// Evidence for everyone, and the basis it rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChampionEvidence {
    pub basis: Basis,
    pub people: Vec<Evidence>,
}

impl ChampionEvidence {
    /// Suggestions: adopters who did not opt out, best index first (ties by person index).
    pub fn suggestions(&self, pop: &Population) -> Vec<&Evidence> {
        let mut out: Vec<&Evidence> = self
            .people
            .iter()
            .filter(|e| e.first_use.is_some() && !pop.people[e.person as usize].opted_out)
            .collect();
        out.sort_by(|a, b| b.index.total_cmp(&a.index).then(a.person.cmp(&b.person)));
        out
    }
}

/// Per person: tools, (tool, feature) pairs and active days used, total uses, and the
/// (sum, count) of their percentiles of uses per active day within each tool they use.
struct UsageStats {
    tools: Vec<HashSet<u32>>,
    features: Vec<HashSet<(u32, u32)>>,
    days: Vec<HashSet<NaiveDate>>,
    volume: Vec<u64>,
    within_tools: Vec<(f64, u32)>,
}

fn usage_stats(pop: &Population) -> UsageStats {
    let n = pop.len();
    // Usage: tools, features, active days, weeks, volume.
    let mut tools: Vec<HashSet<u32>> = vec![HashSet::new(); n];
    let mut features: Vec<HashSet<(u32, u32)>> = vec![HashSet::new(); n];
    let mut days: Vec<HashSet<NaiveDate>> = vec![HashSet::new(); n];
    let mut volume = vec![0u64; n];
    // Per (person, tool): uses and active days.
    let mut per_tool: HashMap<(u32, u32), (u64, HashSet<NaiveDate>)> = HashMap::new();
    for u in pop.usage.iter().filter(|u| u.count > 0) {
        let p = u.person as usize;
        tools[p].insert(u.tool);
        features[p].insert((u.tool, u.feature));
        days[p].insert(u.day);
        volume[p] += u64::from(u.count);
        let slot = per_tool.entry((u.person, u.tool)).or_default();
        slot.0 += u64::from(u.count);
        slot.1.insert(u.day);
    }
    let mut within_tools = vec![(0.0f64, 0u32); n];
    let mut by_tool: HashMap<u32, Vec<(u32, f64)>> = HashMap::new();
    for ((person, tool), (uses, active)) in &per_tool {
        by_tool
            .entry(*tool)
            .or_default()
            .push((*person, *uses as f64 / active.len() as f64));
    }
    for users in by_tool.values() {
        let rates: Vec<f64> = users.iter().map(|u| u.1).collect();
        for ((person, _), pct) in users.iter().zip(percentiles(&rates)) {
            let slot = &mut within_tools[*person as usize];
            slot.0 += pct;
            slot.1 += 1;
        }
    }
    UsageStats {
        tools,
        features,
        days,
        volume,
        within_tools,
    }
}

/// Each part's percentile among everyone, the index (the mean of the strongest parts)
/// and the explanation.
fn rank(people: &mut [Evidence], pop: &Population) {
    // Percentiles of each part.
    let parts: [fn(&Evidence) -> f64; 8] = [
        |e| e.earlier_than,
        |e| f64::from(e.features) + f64::from(e.tools),
        |e| f64::from(e.weeks_active),
        |e| e.intensity_within_tools,
        |e| f64::from(e.colleagues_helped) + 0.01 * f64::from(e.answers),
        |e| f64::from(e.wins) + 0.01 * f64::from(e.win_reactions),
        |e| f64::from(e.followed) + e.influence,
        |e| e.brokerage as f64,
    ];
    for (i, part) in parts.iter().enumerate() {
        let values: Vec<f64> = people.iter().map(part).collect();
        let pct = percentiles(&values);
        for (e, p) in people.iter_mut().zip(pct) {
            e.percentiles[i] = p;
        }
    }
    for e in people.iter_mut() {
        let mut best = e.percentiles;
        best.sort_by(|a, b| b.total_cmp(a));
        e.index = best[..STRONGEST].iter().sum::<f64>() / STRONGEST as f64;
        e.explanation = explain(e, pop);
    }
}

/// The share of the department's other adopters who adopted after `first_use` (sorted
/// `dept_days`: the department's first days of use).
fn earlier_than(first_use: Option<NaiveDate>, dept_days: &[NaiveDate]) -> f64 {
    match first_use {
        Some(d) if dept_days.len() > 1 => {
            let later = dept_days.len() - dept_days.partition_point(|x| *x <= d);
            later as f64 / (dept_days.len() - 1) as f64
        }
        Some(_) => 1.0,
        None => 0.0,
    }
}

/// Of a person's contacts not using AI when they started (`exposed`), how many started
/// within [`FOLLOW_DAYS`] after them (`followed`).
fn followers(
    first_use: Option<NaiveDate>,
    contacts: &[u32],
    first: &[Option<NaiveDate>],
) -> (u32, u32) {
    let (mut exposed, mut followed) = (0, 0);
    let Some(t) = first_use else {
        return (0, 0);
    };
    for &c in contacts {
        match first[c as usize] {
            Some(tc) if tc <= t => {}
            Some(tc) => {
                exposed += 1;
                if (tc - t).num_days() <= FOLLOW_DAYS {
                    followed += 1;
                }
            }
            None => exposed += 1,
        }
    }
    (exposed, followed)
}

/// The evidence for every person of `pop`.
pub fn evidence(pop: &Population) -> InsightResult<ChampionEvidence> {
    let n = pop.len();
    let g = pop.graph();
    let first = pop.first_use();
    let start = pop.start();
    let as_of = pop
        .as_of
        .or_else(|| pop.usage.iter().map(|u| u.day).max())
        .or(start);

    // Early adoption within the department.
    let mut by_department: HashMap<u32, Vec<NaiveDate>> = HashMap::new();
    for (p, d) in pop.people.iter().zip(&first) {
        if let Some(d) = d {
            by_department.entry(p.department).or_default().push(*d);
        }
    }
    for days in by_department.values_mut() {
        days.sort_unstable();
    }
    let UsageStats {
        tools,
        features,
        days,
        volume,
        within_tools,
    } = usage_stats(pop);
    // Help and wins.
    let mut answers = vec![0u32; n];
    let mut helped: Vec<HashSet<u32>> = vec![HashSet::new(); n];
    for h in &pop.help {
        answers[h.helper as usize] += 1;
        helped[h.helper as usize].insert(h.helped);
    }
    let mut wins = vec![0u32; n];
    let mut reactions = vec![0u32; n];
    for w in &pop.wins {
        wins[w.author as usize] += 1;
        reactions[w.author as usize] += w.reactions;
    }
    // Influence: contacts following, and learned probabilities.
    let week = |d: NaiveDate| start.map_or(0, |s| ((d - s).num_days().max(0) / 7) as u32);
    let episode: Vec<(u32, u32)> = first
        .iter()
        .enumerate()
        .filter_map(|(v, d)| d.map(|d| (v as u32, week(d))))
        .collect();
    let learned = expectation_maximization(&g, &[episode], 50, 1e-6)?;
    let departments = Groups::new(&pop.people.iter().map(|p| p.department).collect::<Vec<_>>());
    let roles = gould_fernandez(&g, &departments)?;

    let mut people: Vec<Evidence> = (0..n)
        .map(|v| {
            let person = &pop.people[v];
            let fu = first[v];
            let dept_days = by_department
                .get(&person.department)
                .map_or(&[][..], |d| &d[..]);
            let earlier_than = earlier_than(fu, dept_days);
            let weeks: HashSet<u32> = days[v].iter().map(|d| week(*d)).collect();
            let contacts = g.out_neighbors(v as u32);
            let (exposed, followed) = followers(fu, contacts, &first);
            let range = g.out_offset(v as u32)..g.out_offset(v as u32) + contacts.len();
            let influence: f64 = learned.probability[range].iter().sum();
            let other_departments: HashSet<u32> = helped[v]
                .iter()
                .map(|h| pop.people[*h as usize].department)
                .filter(|d| *d != person.department)
                .collect();
            Evidence {
                person: v as u32,
                first_use: fu,
                earlier_than,
                department_adopters: dept_days.len() as u32,
                tools: tools[v].len() as u32,
                features: features[v].len() as u32,
                active_days: days[v].len() as u32,
                weeks_active: weeks.len() as u32,
                weeks_since_first_use: match (fu, as_of) {
                    (Some(f), Some(a)) => ((a - f).num_days().max(0) / 7 + 1) as u32,
                    _ => 0,
                },
                uses_per_active_day: if days[v].is_empty() {
                    0.0
                } else {
                    volume[v] as f64 / days[v].len() as f64
                },
                intensity_within_tools: if within_tools[v].1 == 0 {
                    0.0
                } else {
                    within_tools[v].0 / f64::from(within_tools[v].1)
                },
                answers: answers[v],
                colleagues_helped: helped[v].len() as u32,
                other_departments_helped: other_departments.len() as u32,
                wins: wins[v],
                win_reactions: reactions[v],
                contacts: contacts.len() as u32,
                exposed,
                followed,
                influence,
                brokerage: roles[v].across_groups(),
                percentiles: [0.0; 8],
                index: 0.0,
                explanation: String::new(),
            }
        })
        .collect();

    rank(&mut people, pop);
    let basis = Basis {
        as_of,
        first_day_of_use: start,
        people: n as u32,
        adopters: first.iter().filter(|f| f.is_some()).count() as u32,
        opted_out: pop.people.iter().filter(|p| p.opted_out).count() as u32,
        ties: pop.ties.len() as u32,
        usage_days: pop.usage.len() as u32,
        help_replies: pop.help.len() as u32,
        wins: pop.wins.len() as u32,
        influence_model: format!(
            "independent cascade, probabilities learned by EM (Saito et al. 2008) from one episode of {} adoptions in weekly steps, {} iterations",
            first.iter().filter(|f| f.is_some()).count(),
            learned.iterations
        ),
    };
    Ok(ChampionEvidence { basis, people })
}

/// For each value, the share of the others with a strictly smaller value plus half of those
/// with an equal one (the mid-rank percentile, 0–1). Zeros share the bottom.
fn percentiles(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n <= 1 {
        return vec![0.5; n];
    }
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    values
        .iter()
        .map(|x| {
            let below = sorted.partition_point(|y| y < x);
            let equal = sorted.partition_point(|y| y <= x) - below - 1;
            (below as f64 + 0.5 * equal as f64) / (n - 1) as f64
        })
        .collect()
}

/// A sentence with the numbers behind the strongest parts.
fn explain(e: &Evidence, pop: &Population) -> String {
    let mut bits = Vec::new();
    if e.answers > 0 {
        let mut s = format!(
            "answered {} question{} from {} colleague{}",
            e.answers,
            plural(e.answers),
            e.colleagues_helped,
            plural(e.colleagues_helped)
        );
        if e.other_departments_helped > 0 {
            s += &format!(
                " (in {} other department{})",
                e.other_departments_helped,
                plural(e.other_departments_helped)
            );
        }
        bits.push(s);
    }
    if e.exposed > 0 {
        bits.push(format!(
            "{} of {} close contacts started using AI within {} weeks of them",
            e.followed,
            e.exposed,
            FOLLOW_DAYS / 7
        ));
    }
    if let Some(d) = e.first_use {
        let dept = &pop.departments[pop.people[e.person as usize].department as usize];
        bits.push(format!(
            "started on {d}, before {:.0}% of {dept}'s {} adopters",
            100.0 * e.earlier_than,
            e.department_adopters
        ));
        bits.push(format!(
            "active in {} of {} weeks, {:.1} uses a day",
            e.weeks_active, e.weeks_since_first_use, e.uses_per_active_day
        ));
        bits.push(format!(
            "uses {} tool{} ({} feature{})",
            e.tools,
            plural(e.tools),
            e.features,
            plural(e.features)
        ));
    } else {
        bits.push("has not used AI yet".to_owned());
    }
    if e.wins > 0 {
        bits.push(format!(
            "shared {} win{} ({} reaction{})",
            e.wins,
            plural(e.wins),
            e.win_reactions,
            plural(e.win_reactions)
        ));
    }
    if e.brokerage > 0 {
        bits.push(format!(
            "links departments on {} paths between people who have no tie",
            e.brokerage
        ));
    }
    bits.join("; ")
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_mid_ranks() {
        let p = percentiles(&[0.0, 0.0, 1.0, 2.0]);
        assert_eq!(p, vec![1.0 / 6.0, 1.0 / 6.0, 2.0 / 3.0, 1.0]);
        assert_eq!(percentiles(&[5.0]), vec![0.5]);
    }
}
