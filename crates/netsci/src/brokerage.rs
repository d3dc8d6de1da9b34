//! Brokerage: who bridges otherwise separate people and groups.

use crate::InvalidInput;
use rayon::prelude::*;
use serde::Serialize;

use crate::graph::{Graph, Groups};

/// Burt's constraint (Structural Holes, 1992) of every node, on the symmetrized graph with
/// the tie strength `a_ij` from [`Graph::symmetrized`]:
/// `c_i = Σ_{j ∈ N(i)} (p_ij + Σ_{q ∈ N(i), q ≠ j} p_iq p_qj)²` with `p_ij = a_ij / Σ_k a_ik`.
/// Low constraint means contacts who do not know each other (a broker); a node whose
/// contacts are all tied to each other scores high. `None` for nodes without contacts, for
/// whom it is undefined. O(Σ deg²), in parallel over nodes.
pub fn constraint(g: &Graph) -> Vec<Option<f64>> {
    let g = g.symmetrized();
    let n = g.node_count() as usize;
    let strength: Vec<f64> = (0..n as u32)
        .into_par_iter()
        .map(|v| g.out_strength(v))
        .collect();
    (0..n as u32)
        .into_par_iter()
        .map_init(
            || (vec![0.0f64; n], vec![0.0f64; n]),
            |(p, indirect), i| {
                let si = strength[i as usize];
                if si == 0.0 {
                    return None;
                }
                for (j, w) in g.out_arcs(i) {
                    p[j as usize] = f64::from(w) / si;
                }
                for (q, _) in g.out_arcs(i) {
                    let pq = p[q as usize];
                    let sq = strength[q as usize];
                    for (j, w) in g.out_arcs(q) {
                        if p[j as usize] > 0.0 {
                            indirect[j as usize] += pq * f64::from(w) / sq;
                        }
                    }
                }
                let mut c = 0.0;
                for &j in g.out_neighbors(i) {
                    let j = j as usize;
                    let x = p[j] + indirect[j];
                    c += x * x;
                    p[j] = 0.0;
                    indirect[j] = 0.0;
                }
                Some(c)
            },
        )
        .collect()
}

/// Gould and Fernandez's brokerage roles (Sociological Methodology 19, 1989) of one node:
/// how often it is the middle `b` of an open two-path `a → b → c` (no arc `a → c`, `a ≠ c`),
/// by the groups of the three.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Roles {
    /// All three in one group.
    pub coordinator: u64,
    /// `a` and `c` in one group, the broker in another (also called consultant).
    pub itinerant: u64,
    /// The broker in `a`'s group passes to another group.
    pub representative: u64,
    /// The broker in `c`'s group lets another group in.
    pub gatekeeper: u64,
    /// Three different groups.
    pub liaison: u64,
}

impl Roles {
    pub fn total(&self) -> u64 {
        self.coordinator + self.itinerant + self.representative + self.gatekeeper + self.liaison
    }

    /// Brokerage between groups: every role but coordinator.
    pub fn across_groups(&self) -> u64 {
        self.total() - self.coordinator
    }
}

/// The brokerage roles of every node. On a symmetric graph each open path `a – b – c` is
/// counted in both directions, so a broker between two groups is representative once and
/// gatekeeper once. Returns an error when `groups` does not label every node.
/// O(Σ_b in(b)·out(b)·log deg), in parallel over brokers.
pub fn gould_fernandez(g: &Graph, groups: &Groups) -> Result<Vec<Roles>, InvalidInput> {
    if groups.len() != g.node_count() as usize {
        return Err(InvalidInput(format!(
            "{} group labels for {} nodes",
            groups.len(),
            g.node_count()
        )));
    }
    Ok((0..g.node_count())
        .into_par_iter()
        .map(|b| {
            let gb = groups.of(b);
            let mut r = Roles::default();
            for &a in g.in_neighbors(b) {
                let ga = groups.of(a);
                let from_a = g.out_neighbors(a);
                for &c in g.out_neighbors(b) {
                    if c == a || from_a.binary_search(&c).is_ok() {
                        continue;
                    }
                    let gc = groups.of(c);
                    match (ga == gb, gb == gc, ga == gc) {
                        (true, true, _) => r.coordinator += 1,
                        (false, false, true) => r.itinerant += 1,
                        (true, false, _) => r.representative += 1,
                        (false, true, _) => r.gatekeeper += 1,
                        (false, false, false) => r.liaison += 1,
                    }
                }
            }
            r
        })
        .collect())
}
