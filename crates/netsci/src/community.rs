//! Communities: Leiden for modularity (Traag, Waltman and van Eck, "From Louvain to Leiden:
//! guaranteeing well-connected communities", Scientific Reports 9, 5233, 2019), and
//! modularity itself.
//!
//! Both work on the symmetrized graph ([`Graph::symmetrized`]): a directed graph's arcs
//! are read as undirected ties.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::graph::Graph;

/// Modularity with resolution `γ` of a partition (`membership[v]` = community of `v`):
/// `Q = Σ_c [ in_c / 2m − γ (tot_c / 2m)² ]`, where `in_c` is the weight of arcs inside `c`
/// (each undirected edge twice), `tot_c` the total degree of `c` and `2m` the total degree
/// of the graph. 0 for a graph without edges.
pub fn modularity(g: &Graph, membership: &[u32], resolution: f64) -> f64 {
    let g = g.symmetrized();
    let communities = membership
        .iter()
        .copied()
        .max()
        .map_or(0, |c| c as usize + 1);
    let mut inside = vec![0.0f64; communities];
    let mut total = vec![0.0f64; communities];
    let mut two_m = 0.0;
    for v in 0..g.node_count() {
        let cv = membership[v as usize] as usize;
        for (u, w) in g.out_arcs(v) {
            let w = f64::from(w);
            two_m += w;
            total[cv] += w;
            if membership[u as usize] as usize == cv {
                inside[cv] += w;
            }
        }
    }
    if two_m == 0.0 {
        return 0.0;
    }
    inside
        .iter()
        .zip(&total)
        .map(|(i, t)| i / two_m - resolution * (t / two_m) * (t / two_m))
        .sum()
}

/// Leiden settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeidenOptions {
    /// γ: larger gives more, smaller communities (1 is classic modularity).
    pub resolution: f64,
    /// Outer iterations at most; each starts from the previous partition. The run stops
    /// early when an iteration changes nothing.
    pub max_iterations: u32,
    pub seed: u64,
}

impl Default for LeidenOptions {
    fn default() -> Self {
        LeidenOptions {
            resolution: 1.0,
            max_iterations: 10,
            seed: 1,
        }
    }
}

/// A partition into communities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Communities {
    /// Community of each node, numbered `0..count` by first appearance.
    pub membership: Vec<u32>,
    pub count: u32,
    pub modularity: f64,
    pub resolution: f64,
    pub iterations: u32,
}

/// Leiden for modularity. Every community it returns induces a connected subgraph: the
/// algorithm guarantees it (refinement only merges a node into a community it is tied to),
/// and a final pass splits any community that is not, which can only raise modularity
/// (parts without ties between them lose `−γ·2·tot_a·tot_b/(2m)²` by being together).
pub fn leiden(g: &Graph, options: LeidenOptions) -> Communities {
    let sym = g.symmetrized();
    let base = Level::from_graph(&sym);
    let n = base.len();
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut membership: Vec<u32> = (0..n as u32).collect();
    let mut iterations = 0;
    while iterations < options.max_iterations {
        iterations += 1;
        let next = one_iteration(&base, &membership, options.resolution, &mut rng);
        let next = renumber(&split_disconnected(&sym, &next));
        let changed = next != membership;
        membership = next;
        if !changed {
            break;
        }
    }
    let count = membership.iter().copied().max().map_or(0, |c| c + 1);
    Communities {
        modularity: modularity(&sym, &membership, options.resolution),
        membership,
        count,
        resolution: options.resolution,
        iterations,
    }
}

/// One Leiden iteration from `start` on the original graph: move, refine, aggregate,
/// repeat until moving leaves every (aggregate) node alone.
fn one_iteration(base: &Level, start: &[u32], gamma: f64, rng: &mut ChaCha8Rng) -> Vec<u32> {
    // `of[v]`: the aggregate node the original node `v` sits in at the current level.
    let mut of: Vec<u32> = (0..base.len() as u32).collect();
    let mut level = base.clone();
    let mut partition = start.to_vec();
    loop {
        let communities = partition.iter().copied().max().map_or(0, |c| c + 1) as usize;
        move_nodes(
            &level,
            &mut partition,
            communities.max(level.len()),
            gamma,
            rng,
        );
        let partition_r = renumber(&partition);
        let distinct = partition_r.iter().copied().max().map_or(0, |c| c + 1) as usize;
        if distinct == level.len() {
            return of.iter().map(|&a| partition_r[a as usize]).collect();
        }
        let refined = refine(&level, &partition_r, gamma, rng);
        let refined_count = refined.iter().copied().max().map_or(0, |c| c + 1) as usize;
        if refined_count == level.len() {
            // Refinement merged nothing: aggregating would not shrink the graph.
            return of.iter().map(|&a| partition_r[a as usize]).collect();
        }
        // Each refined community becomes a node, starting in its unrefined community.
        let mut start_of = vec![0u32; refined_count];
        for (v, &r) in refined.iter().enumerate() {
            start_of[r as usize] = partition_r[v];
        }
        level = level.aggregate(&refined, refined_count);
        for a in &mut of {
            *a = refined[*a as usize];
        }
        partition = start_of;
    }
}

/// A graph level: CSR with f64 weights, no self-loops in the lists, and each node's degree
/// (including what aggregation folded into it).
#[derive(Debug, Clone)]
struct Level {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f64>,
    degree: Vec<f64>,
    two_m: f64,
}

impl Level {
    #[inline(never)]
    fn from_graph(g: &Graph) -> Level {
        let n = g.node_count() as usize;
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0);
        let mut targets = Vec::with_capacity(g.arc_count() as usize);
        let mut weights = Vec::with_capacity(g.arc_count() as usize);
        let mut degree = Vec::with_capacity(n);
        for v in 0..n as u32 {
            let mut k = 0.0;
            for (u, w) in g.out_arcs(v) {
                targets.push(u);
                weights.push(f64::from(w));
                k += f64::from(w);
            }
            degree.push(k);
            offsets.push(targets.len());
        }
        let two_m = degree.iter().sum();
        Level {
            offsets,
            targets,
            weights,
            degree,
            two_m,
        }
    }

    fn len(&self) -> usize {
        self.degree.len()
    }

    fn arcs(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.offsets[v]..self.offsets[v + 1];
        self.targets[r.clone()]
            .iter()
            .zip(&self.weights[r])
            .map(|(t, w)| (*t as usize, *w))
    }

    /// The graph of `parts` (`parts[v]` in `0..count`): ties between parts summed, ties
    /// inside a part dropped (they live on in the degrees).
    #[inline(never)]
    fn aggregate(&self, parts: &[u32], count: usize) -> Level {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (v, &p) in parts.iter().enumerate() {
            members[p as usize].push(v);
        }
        let mut offsets = Vec::with_capacity(count + 1);
        offsets.push(0);
        let (mut targets, mut weights) = (Vec::new(), Vec::new());
        let mut degree = vec![0.0; count];
        let mut acc = vec![0.0f64; count];
        let mut touched: Vec<usize> = Vec::new();
        for (p, vs) in members.iter().enumerate() {
            for &v in vs {
                degree[p] += self.degree[v];
                for (u, w) in self.arcs(v) {
                    let q = parts[u] as usize;
                    if q == p {
                        continue;
                    }
                    if acc[q] == 0.0 {
                        touched.push(q);
                    }
                    acc[q] += w;
                }
            }
            touched.sort_unstable();
            for &q in &touched {
                targets.push(q as u32);
                weights.push(acc[q]);
                acc[q] = 0.0;
            }
            touched.clear();
            offsets.push(targets.len());
        }
        Level {
            offsets,
            targets,
            weights,
            degree,
            two_m: self.two_m,
        }
    }
}

/// Leiden's fast local moving: nodes are visited from a queue (all nodes in random order
/// first); a node moves to the neighbouring community (or an empty one) with the largest
/// modularity gain, and its neighbours outside that community are queued again.
#[inline(never)]
fn move_nodes(
    level: &Level,
    partition: &mut [u32],
    slots: usize,
    gamma: f64,
    rng: &mut ChaCha8Rng,
) {
    let n = level.len();
    let mut total = vec![0.0f64; slots];
    let mut size = vec![0u32; slots];
    for v in 0..n {
        total[partition[v] as usize] += level.degree[v];
        size[partition[v] as usize] += 1;
    }
    let mut empty: Vec<u32> = (0..slots as u32)
        .filter(|c| size[*c as usize] == 0)
        .collect();
    let mut queue: std::collections::VecDeque<usize> = {
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(rng);
        order.into()
    };
    let mut queued = vec![true; n];
    let mut weight_to = vec![0.0f64; slots];
    let mut touched: Vec<usize> = Vec::new();
    let scale = gamma / level.two_m.max(f64::MIN_POSITIVE);
    while let Some(v) = queue.pop_front() {
        queued[v] = false;
        let own = partition[v] as usize;
        let kv = level.degree[v];
        for (u, w) in level.arcs(v) {
            let c = partition[u] as usize;
            if weight_to[c] == 0.0 {
                touched.push(c);
            }
            weight_to[c] += w;
        }
        total[own] -= kv;
        size[own] -= 1;
        let gain =
            |c: usize, weight_to: &[f64], total: &[f64]| weight_to[c] - scale * kv * total[c];
        let own_gain = gain(own, &weight_to, &total);
        let (mut best, mut best_gain) = (own, own_gain);
        for &c in &touched {
            let g = gain(c, &weight_to, &total);
            if g > best_gain || (g == best_gain && c < best && c != own && best != own) {
                best = c;
                best_gain = g;
            }
        }
        // An empty community gains 0; it is only better when every tie loses.
        if best_gain < 0.0 && size[own] > 0 {
            if let Some(c) = empty.pop() {
                best = c as usize;
                best_gain = 0.0;
            }
        }
        let moved = best != own && best_gain > own_gain + 1e-12 * kv.max(1.0);
        let target = if moved { best } else { own };
        if !moved && best != own && best_gain == 0.0 && size[best] == 0 {
            empty.push(best as u32);
        }
        total[target] += kv;
        size[target] += 1;
        partition[v] = target as u32;
        if moved {
            if size[own] == 0 {
                empty.push(own as u32);
            }
            for (u, _) in level.arcs(v) {
                if !queued[u] && partition[u] as usize != target {
                    queued[u] = true;
                    queue.push_back(u);
                }
            }
        }
        for &c in &touched {
            weight_to[c] = 0.0;
        }
        touched.clear();
    }
}

/// Leiden's refinement: inside each community, start from singletons and merge each
/// well-connected singleton into the well-connected sub-community (tied to it, inside the
/// same community) with the largest non-negative gain. The paper picks randomly with
/// probability growing with the gain; taking the largest is its limit θ → 0 and keeps the
/// guarantee, which comes from merging only along ties. Returns refined labels, dense.
#[inline(never)]
fn refine(level: &Level, partition: &[u32], gamma: f64, rng: &mut ChaCha8Rng) -> Vec<u32> {
    let n = level.len();
    let scale = gamma / level.two_m.max(f64::MIN_POSITIVE);
    let communities = partition.iter().copied().max().map_or(0, |c| c + 1) as usize;
    let mut community_total = vec![0.0f64; communities];
    for v in 0..n {
        community_total[partition[v] as usize] += level.degree[v];
    }
    let mut refined: Vec<u32> = (0..n as u32).collect();
    let mut total: Vec<f64> = level.degree.clone();
    let mut singleton = vec![true; n];
    // Weight from each sub-community (and node) to the rest of its community.
    let mut external = vec![0.0f64; n];
    for (v, slot) in external.iter_mut().enumerate() {
        *slot = level
            .arcs(v)
            .filter(|(u, _)| partition[*u] == partition[v])
            .map(|(_, w)| w)
            .sum();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut weight_to = vec![0.0f64; n];
    let mut touched: Vec<usize> = Vec::new();
    for v in order {
        if !singleton[v] {
            continue;
        }
        let s = partition[v] as usize;
        let kv = level.degree[v];
        let well_connected =
            |ext: f64, tot: f64| ext >= scale * tot * (community_total[s] - tot) - 1e-12;
        if !well_connected(external[v], kv) {
            continue;
        }
        for (u, w) in level.arcs(v) {
            if partition[u] as usize != s {
                continue;
            }
            let r = refined[u] as usize;
            if weight_to[r] == 0.0 {
                touched.push(r);
            }
            weight_to[r] += w;
        }
        let own = refined[v] as usize;
        let (mut best, mut best_gain) = (own, 0.0);
        for &r in &touched {
            if r == own || !well_connected(external[r], total[r]) {
                continue;
            }
            let g = weight_to[r] - scale * kv * total[r];
            if g > best_gain {
                best = r;
                best_gain = g;
            }
        }
        if best != own {
            // v joins `best`: its ties to `best` become internal.
            for (u, w) in level.arcs(v) {
                if partition[u] as usize == s {
                    let r = refined[u] as usize;
                    if r == best {
                        external[best] -= w;
                    } else {
                        external[best] += w;
                    }
                }
            }
            total[best] += kv;
            total[own] = 0.0;
            refined[v] = best as u32;
            singleton[v] = false;
            for (u, _) in level.arcs(v) {
                if refined[u] as usize == best {
                    singleton[u] = false;
                }
            }
        }
        for &r in &touched {
            weight_to[r] = 0.0;
        }
        touched.clear();
    }
    renumber(&refined)
}

/// Labels renumbered `0..count` by first appearance.
#[inline(never)]
fn renumber(labels: &[u32]) -> Vec<u32> {
    let mut map: rustc_hash::FxHashMap<u32, u32> = Default::default();
    labels
        .iter()
        .map(|l| {
            let next = map.len() as u32;
            *map.entry(*l).or_insert(next)
        })
        .collect()
}

/// Splits every community into its connected components (within the community).
#[inline(never)]
fn split_disconnected(g: &Graph, membership: &[u32]) -> Vec<u32> {
    let n = g.node_count() as usize;
    let mut out = vec![u32::MAX; n];
    let mut next = 0u32;
    let mut stack = Vec::new();
    for root in 0..n {
        if out[root] != u32::MAX {
            continue;
        }
        out[root] = next;
        stack.push(root as u32);
        while let Some(v) = stack.pop() {
            for &u in g.out_neighbors(v) {
                if out[u as usize] == u32::MAX && membership[u as usize] == membership[v as usize] {
                    out[u as usize] = next;
                    stack.push(u);
                }
            }
        }
        next += 1;
    }
    out
}
