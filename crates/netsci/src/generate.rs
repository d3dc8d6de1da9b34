//! Random graphs for tests, demos and benchmarks (deterministic for a seed).

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::graph::Graph;

/// An undirected Erdős–Rényi G(n, p) graph with `p = degree / (n − 1)`, by geometric
/// skipping over the pairs (Batagelj and Brandes 2005): O(n + m) rather than O(n²).
pub fn erdos_renyi(n: u32, degree: f64, seed: u64) -> Graph {
    let p = (degree / f64::from(n.max(2) - 1)).clamp(0.0, 1.0);
    let mut edges = Vec::new();
    if p > 0.0 && n > 1 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let log_q = (1.0 - p).ln();
        let n = i64::from(n);
        let (mut v, mut w) = (1i64, -1i64);
        while v < n {
            let r: f64 = 1.0 - rng.random::<f64>();
            let skip = if p >= 1.0 {
                0
            } else {
                (r.ln() / log_q).floor() as i64
            };
            w += 1 + skip;
            while w >= v && v < n {
                w -= v;
                v += 1;
            }
            if v < n {
                edges.push((v as u32, w as u32, 1.0));
            }
        }
    }
    Graph::undirected_from_edges(n, &edges).0
}

/// A company-like collaboration graph: departments, and ties mostly inside them.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    pub nodes: u32,
    /// Undirected edges (each once, no duplicates, no self-loops).
    pub edges: Vec<(u32, u32)>,
    /// Department of each node.
    pub department: Vec<u32>,
    pub departments: u32,
}

/// Generates a company of `n` people: department sizes from a Pareto law (exponent 0.86)
/// truncated to [20, 2000] (about 17,800 departments for 2 million people), target
/// degrees lognormal with mean `mean_degree` (σ = 1, capped at 2,000; 17 gives the 17M
/// edges of a 2M-person company), 80% of each person's ties
/// inside their department (paired at random within it, configuration-model style) and
/// the rest across the company. Duplicate pairs and self-pairs are dropped, so the edge
/// count is a little under n·mean_degree/2. O(n + m) time, deterministic for a seed.
pub fn company(n: u32, mean_degree: f64, seed: u64) -> Company {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (lo, hi, alpha) = (20.0f64, 2000.0f64, 0.86f64);
    let mut department = Vec::with_capacity(n as usize);
    let mut d = 0u32;
    while (department.len() as u32) < n {
        // Inverse CDF of the Pareto law truncated to [lo, hi].
        let u: f64 = rng.random();
        let size = (lo.powf(-alpha) - u * (lo.powf(-alpha) - hi.powf(-alpha))).powf(-1.0 / alpha);
        let left = n - department.len() as u32;
        let mut size = (size.round() as u32).min(left);
        if left - size < 20 {
            size = left;
        }
        department.extend(std::iter::repeat_n(d, size as usize));
        d += 1;
    }
    let mu = mean_degree.max(1.0).ln() - 0.5;
    let degree: Vec<u32> = (0..n)
        .map(|_| {
            let (u1, u2) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            ((mu + z).exp().round() as u32).clamp(1, 2000)
        })
        .collect();
    let mut edges: Vec<(u32, u32)> = Vec::with_capacity((n as usize) * 9);
    let mut outside: Vec<u32> = Vec::new();
    let mut start = 0usize;
    while start < n as usize {
        let dept = department[start];
        let end = department[start..]
            .iter()
            .position(|x| *x != dept)
            .map_or(n as usize, |p| start + p);
        let mut stubs: Vec<u32> = Vec::new();
        for (v, &d) in degree.iter().enumerate().take(end).skip(start) {
            let inside = (f64::from(d) * 0.8).round() as u32;
            stubs.extend(std::iter::repeat_n(v as u32, inside as usize));
            outside.extend(std::iter::repeat_n(v as u32, (d - inside) as usize));
        }
        pair(&mut stubs, &mut rng, &mut edges);
        start = end;
    }
    pair(&mut outside, &mut rng, &mut edges);
    for e in &mut edges {
        if e.0 > e.1 {
            *e = (e.1, e.0);
        }
    }
    edges.sort_unstable();
    edges.dedup();
    Company {
        nodes: n,
        edges,
        department,
        departments: d,
    }
}

/// Shuffles the stubs and pairs neighbours, dropping self-pairs.
fn pair(stubs: &mut [u32], rng: &mut ChaCha8Rng, edges: &mut Vec<(u32, u32)>) {
    stubs.shuffle(rng);
    for p in stubs.chunks_exact(2) {
        if p[0] != p[1] {
            edges.push((p[0], p[1]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erdos_renyi_has_the_expected_number_of_edges() {
        let g = erdos_renyi(2000, 10.0, 3);
        let m = g.arc_count() as f64 / 2.0;
        // Binomial(n(n-1)/2, p): mean 10,000, sd ≈ 100.
        assert!((m - 10_000.0).abs() < 500.0, "{m}");
        assert_eq!(erdos_renyi(5, 4.0, 1).arc_count(), 20, "p = 1: complete");
        assert_eq!(erdos_renyi(2000, 10.0, 3), g);
    }

    #[test]
    fn a_company_has_departments_of_the_right_sizes_and_mostly_internal_ties() {
        let c = company(100_000, 17.0, 1);
        assert_eq!(c.department.len(), 100_000);
        let mut sizes = vec![0u32; c.departments as usize];
        for d in &c.department {
            sizes[*d as usize] += 1;
        }
        assert!(
            sizes.iter().all(|s| (20..=2000).contains(s)),
            "sizes within bounds"
        );
        let per_dept = 100_000.0 / f64::from(c.departments);
        assert!((90.0..140.0).contains(&per_dept), "mean size {per_dept}");
        let mean_degree = 2.0 * c.edges.len() as f64 / 100_000.0;
        assert!(
            (14.0..17.5).contains(&mean_degree),
            "mean degree {mean_degree}"
        );
        let inside = c
            .edges
            .iter()
            .filter(|(u, v)| c.department[*u as usize] == c.department[*v as usize])
            .count();
        let share = inside as f64 / c.edges.len() as f64;
        assert!((0.75..0.85).contains(&share), "share inside {share}");
        assert!(c.edges.windows(2).all(|w| w[0] < w[1]) && c.edges.iter().all(|(u, v)| u < v));
    }
}
