//! Diffusion by Monte Carlo: independent cascade, linear threshold, and fractional-threshold
//! complex contagion, from a seed set, with adoption curves, bands and per-group results.
//!
//! Run `r` draws from its own generator seeded by `(seed, r)` and runs are combined with
//! integer sums or in run order, so results are identical whatever the number of threads.

use crate::InvalidInput;
use fixedbitset::FixedBitSet;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::graph::{Graph, Groups};

/// How independent-cascade arc probabilities are set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArcProbability {
    /// `p_uv = w_uv / Σ_x w_xv` (Kempe et al.'s weighted cascade: 1/in-degree when
    /// unweighted).
    WeightedCascade,
    /// The same `p` on every arc.
    Uniform(f64),
    /// Each arc one of 0.1, 0.01, 0.001 at random (Chen et al.'s trivalency), fixed by the
    /// seed given here.
    Trivalency(u64),
    /// The arc weights are the probabilities (each must be ≤ 1).
    Given,
}

/// Per-node thresholds of a threshold model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Thresholds {
    /// Uniform on [lo, hi], drawn afresh in every run (lo = 0, hi = 1 is the linear
    /// threshold model of Kempe, Kleinberg and Tardos).
    Uniform { lo: f64, hi: f64 },
    /// Normal with mean and standard deviation, clipped to [0, 1], drawn in every run.
    Normal { mean: f64, sd: f64 },
    /// The same θ for everyone (Centola and Macy's complex contagion).
    Fixed(f64),
}

/// A diffusion model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// A newly active node gets one chance to activate each inactive out-neighbour, with
    /// the arc's probability.
    IndependentCascade(ArcProbability),
    /// A node activates once the weighted fraction of its active in-neighbours,
    /// `Σ_active w_uv / Σ_u w_uv`, reaches its threshold. With uniform [0, 1] thresholds this
    /// is the linear threshold model; with fixed or narrow thresholds, complex contagion.
    Threshold(Thresholds),
}

impl Model {
    /// The linear threshold model.
    pub const LINEAR_THRESHOLD: Model = Model::Threshold(Thresholds::Uniform { lo: 0.0, hi: 1.0 });
}

/// Monte Carlo settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimOptions {
    pub runs: u32,
    /// Steps at most per run (the cascade usually dies out far sooner).
    pub max_steps: u32,
    pub seed: u64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            runs: 100,
            max_steps: 10_000,
            seed: 1,
        }
    }
}

/// Quantile levels of the bands.
pub const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// What a simulation found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    pub runs: u32,
    /// Mean number of adopters after each step (step 0: the seeds).
    pub mean_curve: Vec<f64>,
    /// Per step, the adopters at the [`QUANTILES`] over runs.
    pub bands: Vec<[u32; 5]>,
    /// Final adopters of every run, in run order.
    pub final_spread: Vec<u32>,
    pub mean: f64,
    pub sd: f64,
    /// Half-width of the 95% confidence interval of the mean (normal approximation).
    pub ci95: f64,
    /// Per group: (members, mean adopters).
    pub per_group: Vec<(u32, f64)>,
}

/// Arc probabilities of a rule, computed where they are used: materialising one per arc
/// would cost more than a hundred simulation runs on a large graph.
#[derive(Debug, Clone)]
pub(crate) struct ArcProbs {
    rule: ArcProbability,
    /// Weighted cascade on a weighted graph: the weight into each node. Empty otherwise
    /// (an unweighted graph's in-strength is its in-degree, read from the offsets: a
    /// table of `n` floats would cost more to build than a short simulation takes).
    in_strength: Vec<f32>,
}

impl ArcProbs {
    pub(crate) fn new(g: &Graph, rule: ArcProbability) -> Result<ArcProbs, InvalidInput> {
        match rule {
            ArcProbability::Uniform(q) if !(0.0..=1.0).contains(&q) => {
                return Err(InvalidInput(format!("probability {q} is outside [0, 1]")));
            }
            ArcProbability::Given => {
                if let Some((u, v, w)) = g.arcs().find(|a| a.2 > 1.0) {
                    return Err(InvalidInput(format!(
                        "arc {u} -> {v} has probability {w}, outside [0, 1]"
                    )));
                }
            }
            _ => {}
        }
        let in_strength = match rule {
            ArcProbability::WeightedCascade if g.is_weighted() => (0..g.node_count())
                .into_par_iter()
                .map(|v| match g.in_weights(v) {
                    Some(w) => w.iter().sum::<f32>(),
                    None => g.in_degree(v) as f32,
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(ArcProbs { rule, in_strength })
    }

    /// The probability of arc `u → v` of weight `w`.
    #[inline]
    pub(crate) fn p(&self, g: &Graph, u: u32, v: u32, w: f32) -> f32 {
        match self.rule {
            ArcProbability::WeightedCascade => match self.in_strength.get(v as usize) {
                Some(s) => w / s,
                None => w / g.in_degree(v) as f32,
            },
            ArcProbability::Uniform(q) => q as f32,
            ArcProbability::Trivalency(seed) => {
                let h = mix(seed, (u64::from(u) << 32) | u64::from(v));
                [0.1, 0.01, 0.001][(h % 3) as usize]
            }
            ArcProbability::Given => w,
        }
    }

    /// True when every in-arc of `v` has the same probability (what geometric skipping
    /// needs).
    pub(crate) fn uniform_into(&self, g: &Graph, v: u32) -> bool {
        match self.rule {
            ArcProbability::Uniform(_) => true,
            ArcProbability::Trivalency(_) => g.in_degree(v) <= 1,
            ArcProbability::WeightedCascade | ArcProbability::Given => {
                g.in_weights(v).is_none_or(|w| w.iter().all(|x| *x == w[0]))
            }
        }
    }
}

/// The arc probabilities of independent cascade, in out-adjacency order.
pub fn arc_probabilities(g: &Graph, rule: ArcProbability) -> Result<Vec<f32>, InvalidInput> {
    let probs = ArcProbs::new(g, rule)?;
    Ok(g.arcs().map(|(u, v, w)| probs.p(g, u, v, w)).collect())
}

/// A 64-bit mix (SplitMix64's finaliser) to derive independent seeds.
pub(crate) fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed
        ^ i.wrapping_add(0x9E37_79B9_7F4A_7C15)
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Simulates `model` from `seeds`. `groups`, when given, must label every node.
pub fn simulate(
    g: &Graph,
    model: Model,
    seeds: &[u32],
    groups: Option<&Groups>,
    options: SimOptions,
) -> Result<Simulation, InvalidInput> {
    let n = g.node_count() as usize;
    if let Some(s) = seeds.iter().find(|s| **s as usize >= n) {
        return Err(InvalidInput(format!(
            "seed {s} is not a node (the graph has {n})"
        )));
    }
    if let Some(gr) = groups {
        if gr.len() != n {
            return Err(InvalidInput(format!(
                "{} group labels for {n} nodes",
                gr.len()
            )));
        }
    }
    let engine = Engine::new(g, model)?;
    let group_count = groups.map_or(0, |g| g.count() as usize);
    let runs: Vec<(Vec<u32>, Vec<u32>)> = crate::par::map_with_scratch(
        u64::from(options.runs),
        || Scratch::new(n),
        |scratch, r| {
            let mut rng = ChaCha8Rng::seed_from_u64(mix(options.seed, r));
            let curve = engine.run(seeds, options.max_steps, &mut rng, scratch);
            let mut per_group = vec![0u32; group_count];
            if let Some(gr) = groups {
                for &v in &scratch.active {
                    per_group[gr.of(v) as usize] += 1;
                }
            }
            (curve, per_group)
        },
    );
    Ok(summarise(runs, groups, options.runs))
}

fn summarise(runs: Vec<(Vec<u32>, Vec<u32>)>, groups: Option<&Groups>, count: u32) -> Simulation {
    let steps = runs.iter().map(|r| r.0.len()).max().unwrap_or(1);
    let at = |curve: &Vec<u32>, t: usize| curve.get(t).or(curve.last()).copied().unwrap_or(0);
    let mut mean_curve = Vec::with_capacity(steps);
    let mut bands = Vec::with_capacity(steps);
    let mut column = Vec::with_capacity(runs.len());
    for t in 0..steps {
        column.clear();
        column.extend(runs.iter().map(|r| at(&r.0, t)));
        let sum: u64 = column.iter().map(|x| u64::from(*x)).sum();
        mean_curve.push(sum as f64 / runs.len().max(1) as f64);
        column.sort_unstable();
        bands.push(QUANTILES.map(|q| quantile(&column, q)));
    }
    let final_spread: Vec<u32> = runs.iter().map(|r| at(&r.0, steps - 1)).collect();
    let k = final_spread.len().max(1) as f64;
    let mean = final_spread.iter().map(|x| f64::from(*x)).sum::<f64>() / k;
    let var = final_spread
        .iter()
        .map(|x| (f64::from(*x) - mean).powi(2))
        .sum::<f64>()
        / (k - 1.0).max(1.0);
    let per_group = match groups {
        Some(gr) => {
            let mut members = vec![0u32; gr.count() as usize];
            for &l in gr.labels() {
                members[l as usize] += 1;
            }
            (0..gr.count() as usize)
                .map(|c| {
                    let total: u64 = runs.iter().map(|r| u64::from(r.1[c])).sum();
                    (members[c], total as f64 / k)
                })
                .collect()
        }
        None => Vec::new(),
    };
    Simulation {
        runs: count,
        mean_curve,
        bands,
        final_spread,
        mean,
        sd: var.sqrt(),
        ci95: 1.959_964 * (var / k).sqrt(),
        per_group,
    }
}

/// Nearest-rank quantile of sorted values.
fn quantile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Per-thread state of a run, reset through the list of what it touched.
///
/// A run usually touches a few thousand of millions of nodes, so its state must be cheap
/// to create and to keep in cache. The active set is a bit set (250 KB at two million
/// nodes, where a `Vec<bool>` would be 2 MB). The threshold models' state (accumulated
/// fraction, drawn threshold) lives in a hash map of the nodes a run has touched: dense
/// arrays cost 32 MB per worker whose page faults alone took longer than a hundred runs,
/// while the map of a typical run fits in the second-level cache.
pub(crate) struct Scratch {
    is_active: FixedBitSet,
    /// Active nodes in activation order.
    pub(crate) active: Vec<u32>,
    /// Threshold models: node → (accumulated fraction, threshold), drawn on first touch;
    /// on unweighted graphs (arcs counted, threshold × in-degree).
    pressure: FxHashMap<u32, (f64, f64)>,
}

impl Scratch {
    pub(crate) fn new(n: usize) -> Scratch {
        Scratch {
            is_active: FixedBitSet::with_capacity(n),
            active: Vec::new(),
            pressure: FxHashMap::default(),
        }
    }

    fn reset(&mut self) {
        for &v in &self.active {
            self.is_active.remove(v as usize);
        }
        self.active.clear();
        self.pressure.clear();
    }
}

/// A model prepared for a graph.
pub(crate) struct Engine<'g> {
    g: &'g Graph,
    model: Model,
    /// IC: the arc probabilities; threshold models: `w_uv / Σ_x w_xv` per arc.
    probs: ArcProbs,
}

impl<'g> Engine<'g> {
    pub(crate) fn new(g: &'g Graph, model: Model) -> Result<Engine<'g>, InvalidInput> {
        let probs = match model {
            Model::IndependentCascade(rule) => ArcProbs::new(g, rule)?,
            Model::Threshold(t) => {
                let ok = match t {
                    Thresholds::Uniform { lo, hi } => {
                        (0.0..=1.0).contains(&lo) && (lo..=1.0).contains(&hi)
                    }
                    Thresholds::Normal { mean, sd } => {
                        mean.is_finite() && sd.is_finite() && sd >= 0.0
                    }
                    Thresholds::Fixed(x) => (0.0..=1.0).contains(&x),
                };
                if !ok {
                    return Err(InvalidInput(format!(
                        "thresholds {t:?} are not within [0, 1]"
                    )));
                }
                ArcProbs::new(g, ArcProbability::WeightedCascade)?
            }
        };
        Ok(Engine { g, model, probs })
    }

    fn draw_threshold(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self.model {
            Model::Threshold(Thresholds::Uniform { lo, hi }) => {
                lo + (hi - lo) * rng.random::<f64>()
            }
            Model::Threshold(Thresholds::Normal { mean, sd }) => {
                // Box–Muller.
                let (u1, u2) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                (mean + sd * z).clamp(0.0, 1.0)
            }
            Model::Threshold(Thresholds::Fixed(x)) => x,
            Model::IndependentCascade(_) => 0.0,
        }
    }

    /// One run; returns the cumulative adopters after each step and leaves the active set
    /// in `scratch.active`.
    pub(crate) fn run(
        &self,
        seeds: &[u32],
        max_steps: u32,
        rng: &mut ChaCha8Rng,
        s: &mut Scratch,
    ) -> Vec<u32> {
        s.reset();
        for &v in seeds {
            if !s.is_active.put(v as usize) {
                s.active.push(v);
            }
        }
        let mut curve = vec![s.active.len() as u32];
        let mut start = 0;
        for _ in 0..max_steps {
            let end = s.active.len();
            if start == end {
                break;
            }
            for i in start..end {
                let u = s.active[i];
                for (v, w) in self.g.out_arcs(u) {
                    let vi = v as usize;
                    if s.is_active.contains(vi) {
                        continue;
                    }
                    // A tolerance in the threshold models so that, e.g., 5 × 1/25 reaches
                    // θ = 0.2 although the f32 nearest 1/25 is below it: sums of f32
                    // shares of at most 1 are off by less than 2⁻²⁴ ≈ 6·10⁻⁸.
                    const TOLERANCE: f64 = 1e-6;
                    let fire = match self.model {
                        Model::IndependentCascade(_) => {
                            rng.random::<f64>() < f64::from(self.probs.p(self.g, u, v, w))
                        }
                        Model::Threshold(_) if !self.g.is_weighted() => {
                            // Every in-arc of v carries 1/d(v): count arcs against θ·d(v),
                            // so d(v) — a cache miss, most of a run's time — is read once
                            // per node instead of once per arc.
                            let (count, need) = s.pressure.entry(v).or_insert_with(|| {
                                let d = f64::from(self.g.in_degree(v));
                                (0.0, (self.draw_threshold(rng) - TOLERANCE) * d)
                            });
                            *count += 1.0;
                            *count >= *need
                        }
                        Model::Threshold(_) => {
                            let (pressure, threshold) = s
                                .pressure
                                .entry(v)
                                .or_insert_with(|| (0.0, self.draw_threshold(rng)));
                            *pressure += f64::from(self.probs.p(self.g, u, v, w));
                            *pressure >= *threshold - TOLERANCE
                        }
                    };
                    if fire {
                        s.is_active.insert(vi);
                        s.active.push(v);
                    }
                }
            }
            start = end;
            if s.active.len() > end {
                curve.push(s.active.len() as u32);
            }
        }
        curve
    }
}

/// One run of `model` from `seeds`, as an episode: every adopter with the step it adopted
/// at (seeds at step 0). What [`crate::learn`] learns from, when generated data is needed.
pub fn cascade(
    g: &Graph,
    model: Model,
    seeds: &[u32],
    seed: u64,
) -> Result<Vec<(u32, u32)>, InvalidInput> {
    let n = g.node_count() as usize;
    if let Some(s) = seeds.iter().find(|s| **s as usize >= n) {
        return Err(InvalidInput(format!(
            "seed {s} is not a node (the graph has {n})"
        )));
    }
    let engine = Engine::new(g, model)?;
    let mut scratch = Scratch::new(n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let curve = engine.run(seeds, u32::MAX, &mut rng, &mut scratch);
    let mut step = 0u32;
    Ok(scratch
        .active
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            while curve[step as usize] as usize <= i {
                step += 1;
            }
            (v, step)
        })
        .collect())
}
