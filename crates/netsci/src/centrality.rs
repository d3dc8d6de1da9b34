//! Centrality: PageRank, k-core, and betweenness (exact, and sampled with a guarantee).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::graph::Graph;

/// Nodes per parallel work item. Sums are taken per chunk and the chunk sums added in
/// order, so results do not depend on how rayon splits the work.
const CHUNK: usize = 4096;

/// PageRank settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageRankOptions {
    /// The probability of following an arc rather than jumping (0.85 by convention).
    pub damping: f64,
    /// Stop when the L1 distance between successive score vectors is below this.
    pub tolerance: f64,
    pub max_iterations: u32,
    /// Follow arcs in proportion to their weight (otherwise every arc counts 1).
    pub weighted: bool,
}

impl Default for PageRankOptions {
    fn default() -> Self {
        PageRankOptions {
            damping: 0.85,
            tolerance: 1e-10,
            max_iterations: 200,
            weighted: true,
        }
    }
}

/// PageRank scores (summing to 1) and how they converged.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PageRank {
    pub scores: Vec<f64>,
    pub iterations: u32,
    /// L1 distance of the last iteration.
    pub residual: f64,
    pub converged: bool,
}

/// PageRank by power iteration, pulling along in-arcs in parallel. A node without out-arcs
/// (dangling) hands its score to every node equally, the usual convention (NetworkX,
/// igraph's PRPACK); the random jump is uniform.
pub fn pagerank(g: &Graph, options: PageRankOptions) -> PageRank {
    let n = g.node_count() as usize;
    if n == 0 {
        return PageRank {
            scores: Vec::new(),
            iterations: 0,
            residual: 0.0,
            converged: true,
        };
    }
    let weighted = options.weighted && g.is_weighted();
    let strength: Vec<f64> = (0..n as u32)
        .into_par_iter()
        .map(|v| {
            if weighted {
                g.out_strength(v)
            } else {
                f64::from(g.out_degree(v))
            }
        })
        .collect();
    let d = options.damping;
    let mut scores = vec![1.0 / n as f64; n];
    let mut next = vec![0.0; n];
    // Shares are pulled along every arc in near-random order, so while far from the fixed
    // point they are kept as f32: half the table (8 MB at two million nodes) stays in the
    // last-level cache, which made an iteration three times faster there. f32 shares put
    // a floor under the L1 residual (about 10⁻⁹ there, 10⁻⁷ on a tiny graph), so the
    // last iterations pull f64 shares and converge to any tolerance: from the first
    // residual below `PRECISE`, or that shrank by less than the damping factor (in exact
    // arithmetic the step is a contraction by d in L1, so that is the floor showing).
    const PRECISE: f64 = 1e-7;
    let mut share32 = vec![0.0f32; n];
    let mut share64: Vec<f64> = Vec::new();
    let (mut iterations, mut residual) = (0, f64::INFINITY);
    let mut previous = f64::INFINITY;
    while iterations < options.max_iterations && residual > options.tolerance {
        iterations += 1;
        let dangling: f64 = chunked_sum(&scores, |v, x| if strength[v] == 0.0 { x } else { 0.0 });
        let base = (1.0 - d) / n as f64 + d * dangling / n as f64;
        let share_of = |x: &f64, k: &f64| if *k > 0.0 { x / k } else { 0.0 };
        let precise = !share64.is_empty() || residual <= PRECISE || residual > d * previous;
        previous = residual;
        if !precise {
            share32
                .par_iter_mut()
                .zip(scores.par_iter())
                .zip(strength.par_iter())
                .for_each(|((s, x), k)| *s = share_of(x, k) as f32);
            pull(g, weighted, &share32, base, d, &mut next);
        } else {
            share64.resize(n, 0.0);
            share64
                .par_iter_mut()
                .zip(scores.par_iter())
                .zip(strength.par_iter())
                .for_each(|((s, x), k)| *s = share_of(x, k));
            pull(g, weighted, &share64, base, d, &mut next);
        }
        residual = chunked_sum(&next, |v, x| (x - scores[v]).abs());
        std::mem::swap(&mut scores, &mut next);
    }
    PageRank {
        scores,
        iterations,
        residual,
        converged: residual <= options.tolerance,
    }
}

/// One PageRank step: `next[v] = base + d · Σ_{u → v} share[u] · w_uv`.
fn pull<S: Copy + Into<f64> + Sync>(
    g: &Graph,
    weighted: bool,
    share: &[S],
    base: f64,
    d: f64,
    next: &mut [f64],
) {
    next.par_chunks_mut(CHUNK).enumerate().for_each(|(c, out)| {
        for (i, slot) in out.iter_mut().enumerate() {
            let v = (c * CHUNK + i) as u32;
            let pulled: f64 = match (weighted, g.in_weights(v)) {
                (true, Some(w)) => g
                    .in_neighbors(v)
                    .iter()
                    .zip(w)
                    .map(|(u, w)| share[*u as usize].into() * f64::from(*w))
                    .sum(),
                _ => g
                    .in_neighbors(v)
                    .iter()
                    .map(|u| share[*u as usize].into())
                    .sum(),
            };
            *slot = base + d * pulled;
        }
    });
}

/// `Σ f(i, x[i])`, summed per chunk in parallel and the chunk sums in order: the same
/// result whatever the number of threads.
fn chunked_sum(x: &[f64], f: impl Fn(usize, f64) -> f64 + Sync) -> f64 {
    let parts: Vec<f64> = x
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, xs)| {
            xs.iter()
                .enumerate()
                .map(|(i, v)| f(c * CHUNK + i, *v))
                .sum()
        })
        .collect();
    parts.iter().sum()
}

/// Core numbers (k-core decomposition) of the symmetrized graph: node `v` has core number
/// `k` when it belongs to a subgraph in which everyone has at least `k` neighbours, and to
/// none with `k + 1`. Batagelj and Zaversnik's O(m) bucket algorithm.
pub fn core_numbers(g: &Graph) -> Vec<u32> {
    let g = g.symmetrized();
    let n = g.node_count() as usize;
    let mut degree: Vec<u32> = (0..n as u32).map(|v| g.out_degree(v)).collect();
    let max = degree.iter().copied().max().unwrap_or(0) as usize;
    // Nodes sorted by degree, with the start of each degree's bucket.
    let mut start = vec![0usize; max + 2];
    for &d in &degree {
        start[d as usize + 1] += 1;
    }
    for i in 0..=max {
        start[i + 1] += start[i];
    }
    let mut order = vec![0u32; n];
    let mut pos = vec![0usize; n];
    let mut fill = start.clone();
    for v in 0..n {
        let d = degree[v] as usize;
        pos[v] = fill[d];
        order[fill[d]] = v as u32;
        fill[d] += 1;
    }
    for i in 0..n {
        let v = order[i];
        for &u in g.out_neighbors(v) {
            let u = u as usize;
            if degree[u] > degree[v as usize] {
                // Move u to the front of its bucket, then shrink the bucket past it.
                let du = degree[u] as usize;
                let first = start[du].max(i + 1);
                let w = order[first] as usize;
                if w != u {
                    order.swap(pos[u], first);
                    pos[w] = pos[u];
                    pos[u] = first;
                }
                start[du] = first + 1;
                degree[u] -= 1;
            }
        }
    }
    degree
}

/// Exact betweenness (Brandes 2001) over hop-count shortest paths, normalised by the
/// number of ordered pairs `n (n - 1)`: `b(v) = Σ_{s≠v≠t} σ_st(v) / σ_st / (n (n - 1))`.
/// O(nm): for small graphs and as the reference the sampled estimate is tested against.
pub fn betweenness_exact(g: &Graph) -> Vec<f64> {
    let n = g.node_count() as usize;
    if n < 3 {
        return vec![0.0; n];
    }
    let sources: Vec<u32> = (0..n as u32).collect();
    let parts: Vec<Vec<f64>> = sources
        .par_chunks(64)
        .map(|chunk| {
            let mut acc = vec![0.0; n];
            let mut dist = vec![u32::MAX; n];
            let mut sigma = vec![0.0f64; n];
            let mut delta = vec![0.0f64; n];
            let mut stack = Vec::with_capacity(n);
            let mut queue = std::collections::VecDeque::new();
            for &s in chunk {
                for &v in &stack {
                    let v: u32 = v;
                    dist[v as usize] = u32::MAX;
                    sigma[v as usize] = 0.0;
                    delta[v as usize] = 0.0;
                }
                stack.clear();
                dist[s as usize] = 0;
                sigma[s as usize] = 1.0;
                queue.push_back(s);
                while let Some(v) = queue.pop_front() {
                    stack.push(v);
                    let dv = dist[v as usize];
                    for &w in g.out_neighbors(v) {
                        let w = w as usize;
                        if dist[w] == u32::MAX {
                            dist[w] = dv + 1;
                            queue.push_back(w as u32);
                        }
                        if dist[w] == dv + 1 {
                            sigma[w] += sigma[v as usize];
                        }
                    }
                }
                for &w in stack.iter().rev() {
                    let w = w as usize;
                    for &v in g.in_neighbors(w as u32) {
                        let v = v as usize;
                        if dist[v] != u32::MAX && dist[v] + 1 == dist[w] {
                            delta[v] += sigma[v] / sigma[w] * (1.0 + delta[w]);
                        }
                    }
                    if w != s as usize {
                        acc[w] += delta[w];
                    }
                }
            }
            acc
        })
        .collect();
    let norm = (n * (n - 1)) as f64;
    (0..n)
        .map(|v| parts.iter().map(|p| p[v]).sum::<f64>() / norm)
        .collect()
}

/// Sampled betweenness with its guarantee.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BetweennessEstimate {
    /// Estimates of the normalised betweenness (as [`betweenness_exact`]).
    pub scores: Vec<f64>,
    pub epsilon: f64,
    pub delta: f64,
    /// Shortest paths sampled.
    pub samples: u64,
    /// The upper bound on the vertex diameter the sample size was computed from.
    pub vertex_diameter_bound: u64,
}

/// Approximate betweenness by sampling shortest paths (Riondato and Kornaropoulos, "Fast
/// approximation of betweenness centrality through sampling", WSDM 2014): with
/// probability at least `1 − δ`, every node's estimate is within `ε` of its normalised
/// betweenness, from `r = ⌈(c/ε²)(⌊log₂(VD − 2)⌋ + 1 + ln(1/δ))⌉` samples (c = 0.5), VD
/// being the vertex diameter.
///
/// VD is bounded from above, which keeps the guarantee: on a symmetric graph by twice the
/// eccentricity of one node per connected component, plus one; on a directed graph by the
/// size of the largest weakly connected component (a shortest path visits each node at
/// most once). Each sample picks a pair `(s, t)` uniformly, finds the shortest paths by a
/// balanced bidirectional breadth-first search (the side whose frontier has fewer arcs
/// expands, as in KADABRA), and picks one path uniformly. Sample `i` draws from its own
/// generator seeded by `(seed, i)`, so the estimate is the same whatever the number of
/// threads.
pub fn betweenness_approx(g: &Graph, epsilon: f64, delta: f64, seed: u64) -> BetweennessEstimate {
    let n = g.node_count() as usize;
    let vd = vertex_diameter_bound(g);
    let samples = sample_size(epsilon, delta, vd);
    let mut scores = vec![0.0; n];
    if n < 3 {
        return BetweennessEstimate {
            scores,
            epsilon,
            delta,
            samples: 0,
            vertex_diameter_bound: vd,
        };
    }
    let counts: Vec<Vec<(u32, u32)>> = crate::par::map_with_scratch(
        samples.div_ceil(256),
        || PathSampler::new(n),
        |sampler, b| {
            let mut hits: Vec<u32> = Vec::new();
            for i in b * 256..((b + 1) * 256).min(samples) {
                let mut rng =
                    ChaCha8Rng::seed_from_u64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let s = rng.random_range(0..n as u32);
                let mut t = rng.random_range(0..n as u32 - 1);
                if t >= s {
                    t += 1;
                }
                sampler.sample(g, s, t, &mut rng, &mut hits);
            }
            hits.sort_unstable();
            let mut out: Vec<(u32, u32)> = Vec::new();
            for v in hits {
                match out.last_mut() {
                    Some((u, c)) if *u == v => *c += 1,
                    _ => out.push((v, 1)),
                }
            }
            out
        },
    );
    for block in counts {
        for (v, c) in block {
            scores[v as usize] += f64::from(c);
        }
    }
    for s in &mut scores {
        *s /= samples as f64;
    }
    BetweennessEstimate {
        scores,
        epsilon,
        delta,
        samples,
        vertex_diameter_bound: vd,
    }
}

/// The Riondato–Kornaropoulos sample size.
pub fn sample_size(epsilon: f64, delta: f64, vertex_diameter: u64) -> u64 {
    let c = 0.5;
    let log_vd = (vertex_diameter.saturating_sub(2).max(1) as f64)
        .log2()
        .floor();
    ((c / (epsilon * epsilon)) * (log_vd + 1.0 + (1.0 / delta).ln())).ceil() as u64
}

/// An upper bound on the number of nodes on any shortest path (see
/// [`betweenness_approx`]).
pub fn vertex_diameter_bound(g: &Graph) -> u64 {
    let n = g.node_count() as usize;
    let sym = g.symmetrized();
    let mut seen = vec![false; n];
    let mut level = vec![0u32; n];
    let mut best = 0u64;
    let mut queue = std::collections::VecDeque::new();
    for root in 0..n {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        queue.push_back(root as u32);
        let (mut size, mut ecc) = (0u64, 0u32);
        while let Some(v) = queue.pop_front() {
            size += 1;
            ecc = ecc.max(level[v as usize]);
            for &w in sym.out_neighbors(v) {
                if !seen[w as usize] {
                    seen[w as usize] = true;
                    level[w as usize] = level[v as usize] + 1;
                    queue.push_back(w);
                }
            }
        }
        let bound = if g.is_symmetric() {
            2 * u64::from(ecc) + 1
        } else {
            size
        };
        best = best.max(bound.min(size));
    }
    best
}

/// Scratch space of the bidirectional search, reset by the lists of what it touched.
struct PathSampler {
    ds: Vec<u32>,
    dt: Vec<u32>,
    ss: Vec<f64>,
    st: Vec<f64>,
    touched_s: Vec<u32>,
    touched_t: Vec<u32>,
    front_s: Vec<u32>,
    front_t: Vec<u32>,
    next: Vec<u32>,
    meet: Vec<(u32, f64)>,
}

const UNSEEN: u32 = u32::MAX;

impl PathSampler {
    fn new(n: usize) -> PathSampler {
        PathSampler {
            ds: vec![UNSEEN; n],
            dt: vec![UNSEEN; n],
            ss: vec![0.0; n],
            st: vec![0.0; n],
            touched_s: Vec::new(),
            touched_t: Vec::new(),
            front_s: Vec::new(),
            front_t: Vec::new(),
            next: Vec::new(),
            meet: Vec::new(),
        }
    }

    fn reset(&mut self) {
        for &v in &self.touched_s {
            self.ds[v as usize] = UNSEEN;
            self.ss[v as usize] = 0.0;
        }
        for &v in &self.touched_t {
            self.dt[v as usize] = UNSEEN;
            self.st[v as usize] = 0.0;
        }
        self.touched_s.clear();
        self.touched_t.clear();
        self.meet.clear();
    }

    /// Pushes the inner nodes of one uniformly chosen shortest `s → t` path onto `hits`
    /// (nothing when `t` is unreachable).
    fn sample(&mut self, g: &Graph, s: u32, t: u32, rng: &mut ChaCha8Rng, hits: &mut Vec<u32>) {
        self.reset();
        self.ds[s as usize] = 0;
        self.ss[s as usize] = 1.0;
        self.touched_s.push(s);
        self.dt[t as usize] = 0;
        self.st[t as usize] = 1.0;
        self.touched_t.push(t);
        self.front_s.clear();
        self.front_s.push(s);
        self.front_t.clear();
        self.front_t.push(t);
        let (mut ls, mut lt) = (0u32, 0u32);
        loop {
            if self.front_s.is_empty() || self.front_t.is_empty() {
                return;
            }
            let cost_s: u64 = self
                .front_s
                .iter()
                .map(|&v| u64::from(g.out_degree(v)))
                .sum();
            let cost_t: u64 = self
                .front_t
                .iter()
                .map(|&v| u64::from(g.in_degree(v)))
                .sum();
            let forward = cost_s <= cost_t;
            self.next.clear();
            if forward {
                for &v in &self.front_s {
                    let sv = self.ss[v as usize];
                    for &w in g.out_neighbors(v) {
                        let wi = w as usize;
                        if self.ds[wi] == UNSEEN {
                            self.ds[wi] = ls + 1;
                            self.touched_s.push(w);
                            self.next.push(w);
                        }
                        if self.ds[wi] == ls + 1 {
                            self.ss[wi] += sv;
                        }
                    }
                }
                ls += 1;
                std::mem::swap(&mut self.front_s, &mut self.next);
                for &w in &self.front_s {
                    if self.dt[w as usize] != UNSEEN {
                        self.meet
                            .push((w, self.ss[w as usize] * self.st[w as usize]));
                    }
                }
            } else {
                for &v in &self.front_t {
                    let sv = self.st[v as usize];
                    for &w in g.in_neighbors(v) {
                        let wi = w as usize;
                        if self.dt[wi] == UNSEEN {
                            self.dt[wi] = lt + 1;
                            self.touched_t.push(w);
                            self.next.push(w);
                        }
                        if self.dt[wi] == lt + 1 {
                            self.st[wi] += sv;
                        }
                    }
                }
                lt += 1;
                std::mem::swap(&mut self.front_t, &mut self.next);
                for &w in &self.front_t {
                    if self.ds[w as usize] != UNSEEN {
                        self.meet
                            .push((w, self.ss[w as usize] * self.st[w as usize]));
                    }
                }
            }
            if !self.meet.is_empty() {
                break;
            }
        }
        // Every meeting node lies at distance ls from s and lt from t; pick one in
        // proportion to the paths through it, then walk back to each end.
        let total: f64 = self.meet.iter().map(|m| m.1).sum();
        let mut x = rng.random::<f64>() * total;
        let mut mid = self.meet[self.meet.len() - 1].0;
        for &(v, w) in &self.meet {
            if x < w {
                mid = v;
                break;
            }
            x -= w;
        }
        if mid != s && mid != t {
            hits.push(mid);
        }
        let mut v = mid;
        while self.ds[v as usize] > 1 {
            let d = self.ds[v as usize];
            v = pick(
                g.in_neighbors(v),
                |u| self.ds[u as usize] == d - 1,
                |u| self.ss[u as usize],
                self.ss[v as usize],
                rng,
            );
            hits.push(v);
        }
        let mut v = mid;
        while self.dt[v as usize] > 1 {
            let d = self.dt[v as usize];
            v = pick(
                g.out_neighbors(v),
                |u| self.dt[u as usize] == d - 1,
                |u| self.st[u as usize],
                self.st[v as usize],
                rng,
            );
            hits.push(v);
        }
    }
}

/// A neighbour satisfying `on_path`, chosen with probability `weight / total`.
fn pick(
    neighbors: &[u32],
    on_path: impl Fn(u32) -> bool,
    weight: impl Fn(u32) -> f64,
    total: f64,
    rng: &mut ChaCha8Rng,
) -> u32 {
    let mut x = rng.random::<f64>() * total;
    let mut last = neighbors[0];
    for &u in neighbors {
        if on_path(u) {
            last = u;
            let w = weight(u);
            if x < w {
                return u;
            }
            x -= w;
        }
    }
    last
}
