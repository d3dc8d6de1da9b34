//! Communities: Leiden for modularity (Traag, Waltman and van Eck, "From Louvain to Leiden:
//! guaranteeing well-connected communities", Scientific Reports 9, 5233, 2019), and
//! modularity itself.
//!
//! Both work on the symmetrized graph ([`Graph::symmetrized`]): a directed graph's arcs
//! are read as undirected ties.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
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
    // The first level is the base itself, borrowed: copying it cost 350 MB of writes per
    // iteration at two million nodes.
    let mut level = std::borrow::Cow::Borrowed(base);
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
        level = std::borrow::Cow::Owned(level.aggregate(&refined, refined_count));
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
        let (start, members) = group_by_label(parts, count, 0..parts.len());
        // Rows are independent: blocks of parts in parallel, each with its own
        // accumulator, concatenated in order (the same result on any number of threads).
        const ROWS: u64 = 4096;
        let blocks = crate::par::map_with_scratch(
            (count as u64).div_ceil(ROWS),
            || (vec![0.0f64; count], Vec::<usize>::new()),
            |(acc, touched), b| {
                let rows = (b * ROWS) as usize..(((b + 1) * ROWS) as usize).min(count);
                let mut row = Row::default();
                for p in rows {
                    let mut degree = 0.0;
                    for &v in &members[start[p]..start[p + 1]] {
                        let v = v as usize;
                        degree += self.degree[v];
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
                    for &q in touched.iter() {
                        row.targets.push(q as u32);
                        row.weights.push(acc[q]);
                        acc[q] = 0.0;
                    }
                    touched.clear();
                    row.lens.push(row.targets.len());
                    row.degree.push(degree);
                }
                row
            },
        );
        let arcs = blocks.iter().map(|b| b.targets.len()).sum();
        let mut offsets = Vec::with_capacity(count + 1);
        offsets.push(0);
        let (mut targets, mut weights) = (Vec::with_capacity(arcs), Vec::with_capacity(arcs));
        let mut degree = Vec::with_capacity(count);
        for b in blocks {
            let base = targets.len();
            offsets.extend(b.lens.iter().map(|l| base + l));
            targets.extend_from_slice(&b.targets);
            weights.extend_from_slice(&b.weights);
            degree.extend_from_slice(&b.degree);
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

/// A block of rows of an aggregate level (`lens`: cumulative arcs within the block).
#[derive(Default)]
struct Row {
    targets: Vec<u32>,
    weights: Vec<f64>,
    lens: Vec<usize>,
    degree: Vec<f64>,
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
    let mut queue: std::collections::VecDeque<usize> = visiting_order(n, rng).into();
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
    // Refinement never looks across communities, so each community is refined on its own,
    // in parallel, with its members in the global visiting order: the result is the one a
    // single sequential pass gives, on any number of threads. Members of each community in
    // visiting order come from a stable counting sort; `local[v]` is v's index there.
    let order = visiting_order(n, rng);
    let (start, members) = group_by_label(partition, communities, order.into_iter());
    let mut local = vec![0u32; n];
    for c in 0..communities {
        for (i, &v) in members[start[c]..start[c + 1]].iter().enumerate() {
            local[v as usize] = i as u32;
        }
    }
    let leaders: Vec<Vec<u32>> = (0..communities)
        .into_par_iter()
        .map(|c| {
            let part = Part {
                level,
                partition,
                local: &local,
                community: c as u32,
                members: &members[start[c]..start[c + 1]],
            };
            part.refine(scale)
        })
        .collect();
    let mut refined = vec![0u32; n];
    for (c, leaders) in leaders.iter().enumerate() {
        for (&v, &r) in members[start[c]..start[c + 1]].iter().zip(leaders) {
            refined[v as usize] = r;
        }
    }
    renumber(&refined)
}

/// One community during refinement; arrays are indexed by position in `members`.
struct Part<'a> {
    level: &'a Level,
    partition: &'a [u32],
    local: &'a [u32],
    community: u32,
    /// The community's nodes in visiting order.
    members: &'a [u32],
}

impl Part<'_> {
    /// Ties of member `v` inside the community, as (local index, weight).
    fn ties(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.level
            .arcs(v)
            .filter(|(u, _)| self.partition[*u] == self.community)
            .map(|(u, w)| (self.local[u] as usize, w))
    }

    /// Starting from singletons, merges each well-connected singleton into the
    /// well-connected sub-community tied to it with the largest non-negative gain.
    /// Returns, per member, the node id of its sub-community's first member.
    fn refine(&self, scale: f64) -> Vec<u32> {
        let k = self.members.len();
        let degree = |i: usize| self.level.degree[self.members[i] as usize];
        let community_total: f64 = (0..k).map(degree).sum();
        let mut refined: Vec<u32> = (0..k as u32).collect();
        let mut total: Vec<f64> = (0..k).map(degree).collect();
        let mut singleton = vec![true; k];
        // Weight from each sub-community (and node) to the rest of its community.
        let mut external: Vec<f64> = self
            .members
            .iter()
            .map(|&v| self.ties(v as usize).map(|(_, w)| w).sum())
            .collect();
        let mut weight_to = vec![0.0f64; k];
        let mut touched: Vec<usize> = Vec::new();
        let well_connected =
            |ext: f64, tot: f64| ext >= scale * tot * (community_total - tot) - 1e-12;
        for i in 0..k {
            if !singleton[i] {
                continue;
            }
            let v = self.members[i] as usize;
            let kv = degree(i);
            if !well_connected(external[i], kv) {
                continue;
            }
            for (j, w) in self.ties(v) {
                let r = refined[j] as usize;
                if weight_to[r] == 0.0 {
                    touched.push(r);
                }
                weight_to[r] += w;
            }
            let own = refined[i] as usize;
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
                for (j, w) in self.ties(v) {
                    if refined[j] as usize == best {
                        external[best] -= w;
                        singleton[j] = false;
                    } else {
                        external[best] += w;
                    }
                }
                total[best] += kv;
                total[own] = 0.0;
                refined[i] = best as u32;
                singleton[i] = false;
            }
            for &r in &touched {
                weight_to[r] = 0.0;
            }
            touched.clear();
        }
        refined.iter().map(|&r| self.members[r as usize]).collect()
    }
}

/// Nodes grouped by label with a stable counting sort, in the order `order` yields them:
/// the members of label `c` are `members[start[c]..start[c + 1]]`.
fn group_by_label(
    labels: &[u32],
    count: usize,
    order: impl Iterator<Item = usize>,
) -> (Vec<usize>, Vec<u32>) {
    let mut start = vec![0usize; count + 1];
    for &c in labels {
        start[c as usize + 1] += 1;
    }
    for c in 0..count {
        start[c + 1] += start[c];
    }
    let mut fill = start.clone();
    let mut members = vec![0u32; labels.len()];
    for v in order {
        let c = labels[v] as usize;
        members[fill[c]] = v as u32;
        fill[c] += 1;
    }
    (start, members)
}

/// The order nodes are first visited in: runs of [`RUN`] consecutive ids, the runs
/// shuffled. The paper visits in uniformly random order; on two million nodes that makes
/// nearly every access a cache miss, and ids are rarely random (people are numbered by
/// first appearance, often department by department), so consecutive ids keep neighbours
/// close. Shuffling the runs keeps the order random at a coarser grain.
fn visiting_order(n: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    const RUN: usize = 512;
    let mut runs: Vec<usize> = (0..n.div_ceil(RUN)).collect();
    runs.shuffle(rng);
    runs.iter()
        .flat_map(|r| r * RUN..((r + 1) * RUN).min(n))
        .collect()
}

/// Labels renumbered `0..count` by first appearance.
#[inline(never)]
fn renumber(labels: &[u32]) -> Vec<u32> {
    let slots = labels.iter().copied().max().map_or(0, |c| c as usize + 1);
    let mut map = vec![u32::MAX; slots];
    let mut next = 0;
    labels
        .iter()
        .map(|&l| {
            let m = &mut map[l as usize];
            if *m == u32::MAX {
                *m = next;
                next += 1;
            }
            *m
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
