//! Random graphs for tests, demos and benchmarks (deterministic for a seed).

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
}
