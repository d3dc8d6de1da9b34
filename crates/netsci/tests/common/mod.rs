//! Exact expectations on tiny graphs, shared by the diffusion and seed-selection tests.
#![allow(dead_code)]

use flywheel_netsci::diffusion::{arc_probabilities, ArcProbability};
use flywheel_netsci::Graph;
use proptest::prelude::*;

pub fn arb_tiny(directed: bool) -> impl Strategy<Value = Graph> {
    (3u32..=6)
        .prop_flat_map(|n| {
            (
                Just(n),
                prop::collection::vec((0..n, 0..n, prop::sample::select(vec![1.0f32, 2.0])), 1..8),
            )
        })
        .prop_map(move |(n, e)| {
            if directed {
                Graph::from_arcs(n, e).0
            } else {
                Graph::undirected_from_edges(n, &e).0
            }
        })
        .prop_filter("at most 12 arcs", |g| {
            g.arc_count() <= 12 && g.arc_count() > 0
        })
}

pub fn arcs_with_p(g: &Graph, rule: ArcProbability) -> Vec<(u32, u32, f64)> {
    let p = arc_probabilities(g, rule).expect("valid");
    g.arcs()
        .zip(p)
        .map(|((u, v, _), p)| (u, v, f64::from(p)))
        .collect()
}

pub fn reach(n: usize, live: &[(u32, u32)], seeds: &[u32]) -> usize {
    let mut on = vec![false; n];
    let mut stack: Vec<u32> = seeds.to_vec();
    for s in seeds {
        on[*s as usize] = true;
    }
    while let Some(u) = stack.pop() {
        for &(a, b) in live {
            if a == u && !on[b as usize] {
                on[b as usize] = true;
                stack.push(b);
            }
        }
    }
    on.iter().filter(|x| **x).count()
}

/// Exact expected IC spread: every subset of arcs is a live-edge world.
pub fn exact_ic(g: &Graph, rule: ArcProbability, seeds: &[u32]) -> f64 {
    let arcs = arcs_with_p(g, rule);
    let m = arcs.len();
    let mut total = 0.0;
    for world in 0u32..(1 << m) {
        let mut p = 1.0;
        let mut live = Vec::new();
        for (i, &(u, v, q)) in arcs.iter().enumerate() {
            if world & (1 << i) != 0 {
                p *= q;
                live.push((u, v));
            } else {
                p *= 1.0 - q;
            }
        }
        total += p * reach(g.node_count() as usize, &live, seeds) as f64;
    }
    total
}

/// Exact expected LT spread: each node keeps one in-arc `u → v` with probability
/// `w_uv / Σ w_xv`, or none (Kempe, Kleinberg and Tardos's live-edge equivalence; with
/// normalised weights "none" has probability 0 for nodes with in-arcs).
pub fn exact_lt(g: &Graph, seeds: &[u32]) -> f64 {
    let n = g.node_count() as usize;
    let arcs = arcs_with_p(g, ArcProbability::WeightedCascade);
    let choices: Vec<Vec<(Option<u32>, f64)>> = (0..n as u32)
        .map(|v| {
            let ins: Vec<(Option<u32>, f64)> = arcs
                .iter()
                .filter(|a| a.1 == v)
                .map(|a| (Some(a.0), a.2))
                .collect();
            let rest = 1.0 - ins.iter().map(|x| x.1).sum::<f64>();
            let mut c = ins;
            if rest > 1e-12 || c.is_empty() {
                c.push((None, rest.max(0.0)));
            }
            c
        })
        .collect();
    let mut total = 0.0;
    let mut pick = vec![0usize; n];
    loop {
        let mut p = 1.0;
        let mut live = Vec::new();
        for v in 0..n {
            let (u, q) = choices[v][pick[v]];
            p *= q;
            if let Some(u) = u {
                live.push((u, v as u32));
            }
        }
        total += p * reach(n, &live, seeds) as f64;
        let mut i = 0;
        loop {
            if i == n {
                return total;
            }
            pick[i] += 1;
            if pick[i] < choices[i].len() {
                break;
            }
            pick[i] = 0;
            i += 1;
        }
    }
}
