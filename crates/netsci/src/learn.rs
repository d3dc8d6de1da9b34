//! Learning influence probabilities from observed adoptions.
//!
//! An episode is one observed cascade: which nodes adopted, and at which discrete step
//! (weeks since the program started, say). Two estimators of the independent-cascade
//! probability `p_uv` of every arc:
//!
//! * [`expectation_maximization`]: Saito, Nakano and Kimura ("Prediction of information
//!   diffusion probabilities for independent cascade model", KES 2008). When `v` adopts at
//!   step t + 1 with several in-neighbours adopted at step t, the credit is shared in
//!   proportion to each arc's current probability; an in-neighbour that adopted at step t
//!   while `v` did not adopt at t + 1 counts as a failed trial. The maximum-likelihood
//!   estimate of the IC model on the episodes, by EM.
//! * [`bernoulli`]: Goyal, Bonchi and Lakshmanan's static Bernoulli estimate ("Learning
//!   influence probabilities in social networks", WSDM 2010): the share of `u`'s adoptions
//!   that `v` followed within `window` steps, with full credit to every candidate. Simple
//!   and biased upwards when several contacts adopted together; kept as the baseline.

use crate::InvalidInput;
use serde::Serialize;

use crate::graph::Graph;

/// One observed cascade: `(node, step)` for every node that adopted (each node once).
pub type Episode = Vec<(u32, u32)>;

/// Learned probabilities, aligned with the graph's out-arcs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Learned {
    /// `p_uv` per out-arc (in out-adjacency order; see [`Graph::out_offset`]).
    pub probability: Vec<f64>,
    /// How many times each arc had the chance to act (its `u` adopted while `v` had not).
    pub trials: Vec<u32>,
    pub iterations: u32,
}

impl Learned {
    /// The probability of arc `u → v`, if the graph has that arc.
    pub fn get(&self, g: &Graph, u: u32, v: u32) -> Option<f64> {
        let i = g.out_neighbors(u).binary_search(&v).ok()?;
        Some(self.probability[g.out_offset(u) + i])
    }
}

/// Adoption step per node in one episode (`u32::MAX` = never).
fn steps(n: usize, episode: &Episode) -> Result<Vec<u32>, InvalidInput> {
    let mut at = vec![u32::MAX; n];
    for &(v, t) in episode {
        let slot = at
            .get_mut(v as usize)
            .ok_or_else(|| format!("node {v} is not in the graph ({n} nodes)"))?;
        if *slot != u32::MAX {
            return Err(InvalidInput(format!(
                "node {v} adopts twice in one episode"
            )));
        }
        if t == u32::MAX {
            return Err(InvalidInput(format!("node {v} has an impossible step")));
        }
        *slot = t;
    }
    Ok(at)
}

/// Saito et al.'s EM. Stops when no probability moves by more than `tolerance` or after
/// `max_iterations`.
pub fn expectation_maximization(
    g: &Graph,
    episodes: &[Episode],
    max_iterations: u32,
    tolerance: f64,
) -> Result<Learned, InvalidInput> {
    let n = g.node_count() as usize;
    let arcs = g.arc_count() as usize;
    let mut trials = vec![0u32; arcs];
    // Each success event: the arcs of the in-neighbours that adopted one step before.
    let mut events: Vec<Vec<u32>> = Vec::new();
    for episode in episodes {
        let at = steps(n, episode)?;
        for &(v, t) in episode {
            if t == 0 {
                continue;
            }
            let parents: Vec<u32> = g
                .in_neighbors(v)
                .iter()
                .filter(|u| at[**u as usize] == t - 1)
                .map(|&u| arc_index(g, u, v))
                .collect();
            if !parents.is_empty() {
                events.push(parents);
            }
        }
        for &(u, t) in episode {
            let base = g.out_offset(u);
            for (j, &v) in g.out_neighbors(u).iter().enumerate() {
                let tv = at[v as usize];
                // A trial when v had not adopted by step t; failed unless v adopted at t + 1.
                if tv > t {
                    trials[base + j] += 1;
                }
            }
        }
    }
    let mut p: Vec<f64> = vec![0.5; arcs];
    let mut acc = vec![0.0f64; arcs];
    let mut iterations = 0;
    while iterations < max_iterations {
        iterations += 1;
        acc.iter_mut().for_each(|a| *a = 0.0);
        for e in &events {
            let fail: f64 = e.iter().map(|a| 1.0 - p[*a as usize]).product();
            let success = (1.0 - fail).max(f64::MIN_POSITIVE);
            for &a in e {
                acc[a as usize] += p[a as usize] / success;
            }
        }
        let mut change = 0.0f64;
        for a in 0..arcs {
            let next = if trials[a] == 0 {
                0.0
            } else {
                (acc[a] / f64::from(trials[a])).min(1.0)
            };
            change = change.max((next - p[a]).abs());
            p[a] = next;
        }
        if change < tolerance {
            break;
        }
    }
    Ok(Learned {
        probability: p,
        trials,
        iterations,
    })
}

/// Goyal et al.'s Bernoulli estimate: `p_uv` = (episodes where `v` adopted within
/// `window` steps after `u`) / (episodes where `u` adopted before `v`, or without `v`).
pub fn bernoulli(g: &Graph, episodes: &[Episode], window: u32) -> Result<Learned, InvalidInput> {
    let n = g.node_count() as usize;
    let arcs = g.arc_count() as usize;
    let mut trials = vec![0u32; arcs];
    let mut followed = vec![0u32; arcs];
    for episode in episodes {
        let at = steps(n, episode)?;
        for &(u, t) in episode {
            let base = g.out_offset(u);
            for (j, &v) in g.out_neighbors(u).iter().enumerate() {
                let tv = at[v as usize];
                if tv > t {
                    trials[base + j] += 1;
                    if tv != u32::MAX && tv - t <= window {
                        followed[base + j] += 1;
                    }
                }
            }
        }
    }
    Ok(Learned {
        probability: followed
            .iter()
            .zip(&trials)
            .map(|(f, t)| {
                if *t == 0 {
                    0.0
                } else {
                    f64::from(*f) / f64::from(*t)
                }
            })
            .collect(),
        trials,
        iterations: 1,
    })
}

fn arc_index(g: &Graph, u: u32, v: u32) -> u32 {
    let i = g.out_neighbors(u).binary_search(&v).unwrap_or(0);
    (g.out_offset(u) + i) as u32
}
