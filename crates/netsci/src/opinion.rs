//! Committed-minority dynamics: the binary agreement model of Xie, Sreenivasan, Korniss,
//! Zhang, Lim and Szymanski ("Social consensus through the influence of committed
//! minorities", Phys. Rev. E 84, 011130, 2011).
//!
//! Every node holds opinion A, B, or both (AB). A committed minority holds A and never
//! changes; everyone else starts with B. At each interaction a random speaker voices an
//! opinion from its list (one of the two at random when it holds AB) to a random neighbour.
//! If the listener holds that opinion, both collapse to it (committed nodes stay A);
//! otherwise the listener adds it (B → AB, A → AB). Time is counted in units of n
//! interactions. Above a critical committed fraction (≈ 0.0979 on a complete graph) the
//! whole population adopts A in a time growing like ln n; below it, the B majority holds for
//! a time exponential in n.

use crate::InvalidInput;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::diffusion::mix;
use crate::graph::Graph;

/// Where the interactions happen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Population<'g> {
    /// Everyone can talk to everyone (the mean-field case).
    Complete(u32),
    /// A graph: listeners are out-neighbours of the speaker.
    Graph(&'g Graph),
}

impl Population<'_> {
    fn len(&self) -> u32 {
        match self {
            Population::Complete(n) => *n,
            Population::Graph(g) => g.node_count(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opinion {
    A,
    B,
    Both,
}

/// One run's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Run {
    /// Time (in units of n interactions) when everyone held A only, if it happened.
    pub consensus_time: Option<f64>,
    /// Densities of A only, B only and AB at the end (committed nodes count as A).
    pub final_a: f64,
    pub final_b: f64,
    pub final_ab: f64,
}

/// Runs of the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub nodes: u32,
    pub committed: u32,
    pub runs: Vec<Run>,
    /// Share of runs that reached consensus on A within the time limit.
    pub consensus_share: f64,
    /// Median consensus time over the runs that reached it.
    pub median_consensus_time: Option<f64>,
}

/// Simulates `runs` runs with `fraction` of the nodes committed to A (chosen at random in
/// each run), for at most `max_time` units of n interactions.
pub fn binary_agreement(
    population: Population<'_>,
    fraction: f64,
    runs: u32,
    max_time: f64,
    seed: u64,
) -> Result<Agreement, InvalidInput> {
    let n = population.len();
    if n < 2 {
        return Err(InvalidInput::from(
            "the population needs at least two nodes",
        ));
    }
    if !(0.0..=1.0).contains(&fraction) {
        return Err(InvalidInput(format!(
            "the committed fraction {fraction} is not within [0, 1]"
        )));
    }
    let committed = (fraction * f64::from(n)).round() as u32;
    let results: Vec<Run> = (0..runs)
        .into_par_iter()
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, u64::from(r)));
            one_run(population, committed, max_time, &mut rng)
        })
        .collect();
    let mut times: Vec<f64> = results.iter().filter_map(|r| r.consensus_time).collect();
    times.sort_by(f64::total_cmp);
    let median = (!times.is_empty()).then(|| times[(times.len() - 1) / 2]);
    Ok(Agreement {
        nodes: n,
        committed,
        consensus_share: times.len() as f64 / f64::from(runs.max(1)),
        median_consensus_time: median,
        runs: results,
    })
}

fn one_run(population: Population<'_>, committed: u32, max_time: f64, rng: &mut ChaCha8Rng) -> Run {
    let n = population.len() as usize;
    // Committed nodes: a random sample (partial Fisher–Yates).
    let mut ids: Vec<u32> = (0..n as u32).collect();
    for i in 0..committed as usize {
        let j = rng.random_range(i..n);
        ids.swap(i, j);
    }
    let mut is_committed = vec![false; n];
    for &v in &ids[..committed as usize] {
        is_committed[v as usize] = true;
    }
    let mut state: Vec<Opinion> = (0..n)
        .map(|v| {
            if is_committed[v] {
                Opinion::A
            } else {
                Opinion::B
            }
        })
        .collect();
    let (mut count_a, mut count_b) = (committed as usize, n - committed as usize);
    let mut count_ab = 0usize;
    let limit = (max_time * n as f64) as u64;
    let mut consensus_time = (count_a == n).then_some(0.0);
    let mut t = 0u64;
    while consensus_time.is_none() && t < limit {
        t += 1;
        let s = rng.random_range(0..n);
        let l = match population {
            Population::Complete(_) => {
                let x = rng.random_range(0..n - 1);
                if x >= s {
                    x + 1
                } else {
                    x
                }
            }
            Population::Graph(g) => {
                let nb = g.out_neighbors(s as u32);
                if nb.is_empty() {
                    continue;
                }
                nb[rng.random_range(0..nb.len())] as usize
            }
        };
        let said = match state[s] {
            Opinion::Both => {
                if rng.random::<bool>() {
                    Opinion::A
                } else {
                    Opinion::B
                }
            }
            o => o,
        };
        let mut set = |v: usize, o: Opinion, state: &mut Vec<Opinion>| {
            if is_committed[v] || state[v] == o {
                return;
            }
            match state[v] {
                Opinion::A => count_a -= 1,
                Opinion::B => count_b -= 1,
                Opinion::Both => count_ab -= 1,
            }
            match o {
                Opinion::A => count_a += 1,
                Opinion::B => count_b += 1,
                Opinion::Both => count_ab += 1,
            }
            state[v] = o;
        };
        let listener_has = state[l] == said || state[l] == Opinion::Both;
        if listener_has {
            set(s, said, &mut state);
            set(l, said, &mut state);
        } else {
            set(l, Opinion::Both, &mut state);
        }
        if count_a == n {
            consensus_time = Some(t as f64 / n as f64);
        }
    }
    let nf = n as f64;
    Run {
        consensus_time,
        final_a: count_a as f64 / nf,
        final_b: count_b as f64 / nf,
        final_ab: count_ab as f64 / nf,
    }
}

/// The mean-field equations of the model on a complete graph, derived from the rules above
/// (they are equation (1) of the paper), for the densities `a`, `b` of uncommitted A and B
/// nodes with `p` committed and `ab = 1 − p − a − b`:
/// `da/dt = −ab + ab² + a·ab + (3/2) p·ab`, `db/dt = −ab + ab² + b·ab − p·b`.
fn mean_field(p: f64, a: f64, b: f64) -> (f64, f64) {
    let c = 1.0 - p - a - b;
    (
        -a * b + c * c + a * c + 1.5 * p * c,
        -a * b + c * c + b * c - p * b,
    )
}

/// Integrates the mean-field equations from everyone-B (RK4) and reports whether B dies
/// out (density below 1e-6) within `time`.
pub fn mean_field_consensus(p: f64, time: f64) -> bool {
    let (mut a, mut b) = (0.0, 1.0 - p);
    let h = 0.05;
    let steps = (time / h) as usize;
    for _ in 0..steps {
        let (k1a, k1b) = mean_field(p, a, b);
        let (k2a, k2b) = mean_field(p, a + h / 2.0 * k1a, b + h / 2.0 * k1b);
        let (k3a, k3b) = mean_field(p, a + h / 2.0 * k2a, b + h / 2.0 * k2b);
        let (k4a, k4b) = mean_field(p, a + h * k3a, b + h * k3b);
        a += h / 6.0 * (k1a + 2.0 * k2a + 2.0 * k3a + k4a);
        b += h / 6.0 * (k1b + 2.0 * k2b + 2.0 * k3b + k4b);
        if b < 1e-6 {
            return true;
        }
    }
    false
}

/// The critical committed fraction of the mean-field equations, by bisection to within
/// `tolerance`.
pub fn mean_field_critical_fraction(tolerance: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 0.5);
    while hi - lo > tolerance {
        let mid = (lo + hi) / 2.0;
        if mean_field_consensus(mid, 5_000.0) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    (lo + hi) / 2.0
}
