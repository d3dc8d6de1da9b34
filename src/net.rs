//! `flywheel net …`: the network-science engine on any SNAP-style edge list.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::output::{emit, Report};
use crate::progress;
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use flywheel_netsci::brokerage::{constraint, gould_fernandez, Roles};
use flywheel_netsci::centrality::{
    betweenness_approx, betweenness_exact, core_numbers, pagerank, PageRankOptions,
};
use flywheel_netsci::community::{leiden, LeidenOptions};
use flywheel_netsci::diffusion::{
    simulate, ArcProbability, Model, SimOptions, Thresholds, QUANTILES,
};
use flywheel_netsci::edgelist::{self, EdgeList, GroupLabels, ReadOptions};
use flywheel_netsci::im::{select_seeds, Constraints, ImModel, SeedOptions};
use flywheel_netsci::opinion::{binary_agreement, mean_field_critical_fraction, Population};
use serde::Serialize;

/// Network analysis of an edge list: a SNAP-style file with `#` comments and one edge per
/// line as `u v [weight]` (whitespace-separated; node names are any text without spaces).
/// Lines are read as undirected edges (two arcs) unless `--directed`; parallel edges are
/// merged with their weights added and self-loops dropped (both counted in the output).
#[derive(Debug, Subcommand)]
pub enum NetCommand {
    /// PageRank (weighted, power iteration to an L1 change below 1e-10).
    Pagerank {
        #[command(flatten)]
        input: Input,
        /// Probability of following an arc rather than jumping.
        #[arg(long, default_value_t = 0.85)]
        damping: f64,
        /// Ignore weights.
        #[arg(long)]
        unweighted: bool,
    },
    /// Betweenness over hop-count shortest paths, normalised by n(n-1). Sampled
    /// (Riondato–Kornaropoulos): with probability 1-δ every node's estimate is within ε.
    Betweenness {
        #[command(flatten)]
        input: Input,
        /// ε: the largest error allowed at any node.
        #[arg(long = "eps", default_value_t = 0.01)]
        epsilon: f64,
        /// δ: the probability that the guarantee fails.
        #[arg(long, default_value_t = 0.1)]
        delta: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Exact (Brandes, O(nm)): for small graphs.
        #[arg(long, conflicts_with_all = ["epsilon", "delta"])]
        exact: bool,
    },
    /// Communities by Leiden for modularity; every community is connected.
    Communities {
        #[command(flatten)]
        input: Input,
        /// γ: higher gives more, smaller communities.
        #[arg(long, default_value_t = 1.0)]
        resolution: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write `node community` lines here (usable as a --groups file).
        #[arg(long, value_name = "FILE")]
        membership: Option<PathBuf>,
        /// Leiden iterations at most, each starting from the last partition (it stops early
        /// when one changes nothing). Two, as leidenalg's default, usually reach all but
        /// the fourth decimal of modularity.
        #[arg(long, default_value_t = 2)]
        iterations: u32,
    },
    /// Monte Carlo diffusion from a seed set: adoption curve with mean and quantile bands,
    /// the final-spread distribution, and per-group results with --groups.
    Simulate {
        #[command(flatten)]
        input: Input,
        /// ic: independent cascade; lt: linear threshold (thresholds uniform on [0, 1]);
        /// threshold: fractional-threshold complex contagion (see --threshold).
        #[arg(long, value_parser = ["ic", "lt", "threshold"])]
        model: String,
        /// Seed nodes: a file of node names (whitespace- or line-separated, # comments) or
        /// a comma-separated list.
        #[arg(long, value_name = "FILE_OR_LIST")]
        seeds: String,
        #[arg(long, default_value_t = 100)]
        runs: u32,
        /// IC arc probabilities: wc (weighted cascade, 1/in-degree), uniform:P,
        /// trivalency (0.1/0.01/0.001 at random), or given (the weights).
        #[arg(long, default_value = "wc", value_name = "RULE")]
        probability: String,
        /// Thresholds of --model threshold: fixed:θ, uniform:LO:HI or normal:MEAN:SD
        /// (clipped to [0, 1]); a node adopts once that weighted fraction of its contacts
        /// has.
        #[arg(long, default_value = "fixed:0.25", value_name = "DIST")]
        threshold: String,
        /// Lines `node group`, for adoption per group.
        #[arg(long, value_name = "FILE")]
        groups: Option<PathBuf>,
        #[arg(long, default_value_t = 10_000)]
        max_steps: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Choose k seeds that maximise expected spread (reverse-reachable sampling, OPIM-C):
    /// a (1 − 1/e − ε)-approximation with probability 1 − δ; with --groups limits or
    /// --eligible, (1/2 − ε) of the best allowed set (greedy over a matroid). Prints each
    /// seed's marginal gain, the estimated spread with its interval, and the ratio to the
    /// optimum certified on the samples.
    Seeds {
        #[command(flatten)]
        input: Input,
        #[arg(long)]
        k: u32,
        #[arg(long, value_parser = ["ic", "lt"])]
        model: String,
        /// ε of the guarantee.
        #[arg(long = "eps", default_value_t = 0.1)]
        epsilon: f64,
        /// δ: the probability that the guarantee fails.
        #[arg(long, default_value_t = 0.01)]
        delta: f64,
        /// IC arc probabilities: wc, uniform:P, trivalency or given.
        #[arg(long, default_value = "wc", value_name = "RULE")]
        probability: String,
        /// Lines `node group` for the per-group limits.
        #[arg(long, value_name = "FILE")]
        groups: Option<PathBuf>,
        #[arg(long, default_value_t = 0, requires = "groups")]
        min_per_group: u32,
        #[arg(long, requires = "groups")]
        max_per_group: Option<u32>,
        /// Only these nodes may be chosen: a file of node names or a comma-separated list.
        #[arg(long, value_name = "FILE_OR_LIST")]
        eligible: Option<String>,
        /// Also simulate the seeds and the k highest-degree nodes with this many Monte
        /// Carlo runs, for comparison.
        #[arg(long, default_value_t = 0, value_name = "RUNS")]
        compare: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write a generated company graph (Pareto department sizes in [20, 2000], lognormal
    /// degrees with mean 17, 80% of ties inside the department) as an edge list, with its
    /// departments as a groups file: inputs for benchmarks and trials at any scale.
    Generate {
        /// People.
        #[arg(long)]
        company: u32,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Write `node department` lines here.
        #[arg(long, value_name = "FILE")]
        groups: Option<PathBuf>,
        /// Mean number of ties per person.
        #[arg(long, default_value_t = 17.0)]
        mean_degree: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The binary agreement model with a committed minority (Xie et al., Phys. Rev. E 84,
    /// 011130, 2011) on a complete or Erdős–Rényi graph: does the minority's opinion take
    /// over, and how fast (time in units of n interactions)?
    CommittedMinority {
        #[arg(long, value_parser = ["complete", "er"])]
        graph: String,
        #[arg(long)]
        n: u32,
        /// Share of nodes committed to the new opinion.
        #[arg(long)]
        fraction: f64,
        /// Mean degree of the Erdős–Rényi graph.
        #[arg(long, default_value_t = 10.0)]
        degree: f64,
        #[arg(long, default_value_t = 20)]
        runs: u32,
        /// Give up after this many time units.
        #[arg(long, default_value_t = 500.0)]
        max_time: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// Core numbers (k-core decomposition) of the undirected view.
    Kcore {
        #[command(flatten)]
        input: Input,
    },
    /// Burt's constraint, and Gould–Fernandez brokerage roles across the groups of a
    /// labels file.
    Brokerage {
        #[command(flatten)]
        input: Input,
        /// Lines `node group`; nodes not listed share one "(unlabelled)" group. Without
        /// it, only constraint is computed.
        #[arg(long, value_name = "FILE")]
        groups: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct Input {
    /// The edge list.
    #[arg(long, value_name = "FILE")]
    edges: PathBuf,
    /// Read each line as one arc u -> v.
    #[arg(long)]
    directed: bool,
    /// How many nodes to list (highest first).
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct GraphSummary {
    file: String,
    nodes: u32,
    arcs: u64,
    edge_lines: u64,
    directed: bool,
    symmetric: bool,
    weighted: bool,
    self_loops_dropped: u64,
    parallel_arcs_merged: u64,
    memory_bytes: usize,
    read_seconds: f64,
}

#[derive(Serialize)]
struct Ranked<T: Serialize> {
    node: String,
    score: T,
}

pub fn run(cmd: NetCommand) -> anyhow::Result<()> {
    match cmd {
        NetCommand::Pagerank {
            input,
            damping,
            unweighted,
        } => pagerank_cmd(&input, damping, unweighted),
        NetCommand::Betweenness {
            input,
            epsilon,
            delta,
            seed,
            exact,
        } => betweenness_cmd(&input, epsilon, delta, seed, exact),
        NetCommand::Communities {
            input,
            resolution,
            seed,
            membership,
            iterations,
        } => communities_cmd(&input, resolution, seed, membership, iterations),
        NetCommand::Simulate {
            input,
            model,
            seeds,
            runs,
            probability,
            threshold,
            groups,
            max_steps,
            seed,
        } => {
            let model = parse_model(&model, &probability, &threshold)?;
            simulate_cmd(
                &input,
                model,
                &seeds,
                runs,
                groups.as_deref(),
                max_steps,
                seed,
            )
        }
        NetCommand::Seeds {
            input,
            k,
            model,
            epsilon,
            delta,
            probability,
            groups,
            min_per_group,
            max_per_group,
            eligible,
            compare,
            seed,
        } => {
            let sim_model = parse_model(&model, &probability, "fixed:0")?;
            let opts = SeedArgs {
                k,
                epsilon,
                delta,
                min_per_group,
                max_per_group,
                compare,
                seed,
            };
            seeds_cmd(
                &input,
                sim_model,
                groups.as_deref(),
                eligible.as_deref(),
                &opts,
            )
        }
        NetCommand::Generate {
            company,
            out,
            groups,
            mean_degree,
            seed,
        } => generate_cmd(company, &out, groups.as_deref(), mean_degree, seed),
        NetCommand::CommittedMinority {
            graph,
            n,
            fraction,
            degree,
            runs,
            max_time,
            seed,
            json,
        } => {
            let r = committed_minority(&graph, n, fraction, degree, runs, max_time, seed)?;
            emit(json, &r)
        }
        NetCommand::Kcore { input } => kcore_cmd(&input),
        NetCommand::Brokerage { input, groups } => brokerage_cmd(&input, groups.as_deref()),
    }
}

/// `net pagerank`.
#[derive(Serialize)]
struct PagerankReport {
    graph: GraphSummary,
    seconds: f64,
    iterations: u32,
    converged: bool,
    residual: f64,
    damping: f64,
    top: Vec<Ranked<f64>>,
}

impl Report for PagerankReport {
    fn text(&self) {
        println!(
            "PageRank (damping {}): {} iterations, L1 change {:.1e}{}",
            self.damping,
            self.iterations,
            self.residual,
            if self.converged {
                ""
            } else {
                " (not converged)"
            }
        );
        print_ranked(&self.top, |x| format!("{x:.6e}"));
    }
}

fn pagerank_cmd(input: &Input, damping: f64, unweighted: bool) -> anyhow::Result<()> {
    if !(0.0..1.0).contains(&damping) {
        bail!("--damping must be in [0, 1), got {damping}");
    }
    let (e, graph) = load(input)?;
    let t = Instant::now();
    let pb = progress::step("PageRank");
    let pr = pagerank(
        &e.graph,
        PageRankOptions {
            damping,
            weighted: !unweighted,
            ..PageRankOptions::default()
        },
    );
    progress::done(pb, format!("PageRank: {} iterations", pr.iterations));
    let report = PagerankReport {
        graph,
        seconds: t.elapsed().as_secs_f64(),
        iterations: pr.iterations,
        converged: pr.converged,
        residual: pr.residual,
        damping,
        top: top_by(&e, &pr.scores, input.top),
    };
    emit(input.json, &report)
}

/// What a betweenness estimate guarantees: exact, or within ε with probability 1 − δ.
#[derive(Serialize)]
#[serde(untagged)]
enum Guarantee {
    Exact(&'static str),
    Sampled {
        epsilon: f64,
        delta: f64,
        samples: u64,
        vertex_diameter_bound: u64,
        seed: u64,
    },
}

/// `net betweenness`.
#[derive(Serialize)]
struct BetweennessReport {
    graph: GraphSummary,
    seconds: f64,
    normalisation: &'static str,
    guarantee: Guarantee,
    top: Vec<Ranked<f64>>,
}

impl Report for BetweennessReport {
    fn text(&self) {
        match &self.guarantee {
            Guarantee::Exact(_) => println!("Betweenness (exact, normalised by n(n-1))"),
            Guarantee::Sampled {
                epsilon,
                delta,
                samples,
                vertex_diameter_bound,
                ..
            } => println!(
                "Betweenness (normalised by n(n-1)): every value within ±{epsilon} with probability {:.0}% ({samples} sampled shortest paths, vertex diameter ≤ {vertex_diameter_bound})",
                (1.0 - delta) * 100.0,
            ),
        }
        print_ranked(&self.top, |x| format!("{x:.6}"));
    }
}

fn betweenness_cmd(
    input: &Input,
    epsilon: f64,
    delta: f64,
    seed: u64,
    exact: bool,
) -> anyhow::Result<()> {
    let open_unit = |x: f64| x > 0.0 && x < 1.0;
    let valid = exact || (open_unit(epsilon) && open_unit(delta));
    if !valid {
        bail!("--eps and --delta must be between 0 and 1");
    }
    let (e, graph) = load(input)?;
    let t = Instant::now();
    let pb = progress::step(if exact {
        "exact betweenness".to_owned()
    } else {
        format!("betweenness, ε = {epsilon}, δ = {delta}")
    });
    let (scores, guarantee) = if exact {
        (betweenness_exact(&e.graph), Guarantee::Exact("exact"))
    } else {
        let est = betweenness_approx(&e.graph, epsilon, delta, seed);
        let g = Guarantee::Sampled {
            epsilon,
            delta,
            samples: est.samples,
            vertex_diameter_bound: est.vertex_diameter_bound,
            seed,
        };
        (est.scores, g)
    };
    progress::done(pb, "betweenness");
    let report = BetweennessReport {
        graph,
        seconds: t.elapsed().as_secs_f64(),
        normalisation: "n(n-1) ordered pairs",
        guarantee,
        top: top_by(&e, &scores, input.top),
    };
    emit(input.json, &report)
}

#[derive(Serialize)]
struct CommunitySize {
    community: u32,
    size: u64,
}

/// `net communities`.
#[derive(Serialize)]
struct CommunitiesReport {
    graph: GraphSummary,
    seconds: f64,
    communities: u32,
    modularity: f64,
    resolution: f64,
    iterations: u32,
    largest: Vec<CommunitySize>,
    membership_file: Option<String>,
}

impl Report for CommunitiesReport {
    fn text(&self) {
        println!(
            "{} communities, modularity {:.6} (resolution {}, {} iterations)",
            self.communities, self.modularity, self.resolution, self.iterations
        );
        println!("{:>10}  {:>10}", "community", "nodes");
        for c in &self.largest {
            println!("{:>10}  {:>10}", c.community, c.size);
        }
        if let Some(p) = &self.membership_file {
            println!("membership written to {p}");
        }
    }
}

fn communities_cmd(
    input: &Input,
    resolution: f64,
    seed: u64,
    membership: Option<PathBuf>,
    iterations: u32,
) -> anyhow::Result<()> {
    if !(resolution.is_finite() && resolution > 0.0) {
        bail!("--resolution must be a positive number");
    }
    let (e, graph) = load(input)?;
    let t = Instant::now();
    let pb = progress::step("Leiden");
    let c = leiden(
        &e.graph,
        LeidenOptions {
            resolution,
            seed,
            max_iterations: iterations.max(1),
        },
    );
    progress::done(pb, format!("Leiden: {} communities", c.count));
    let mut sizes = vec![0u64; c.count as usize];
    for &m in &c.membership {
        sizes[m as usize] += 1;
    }
    if let Some(path) = &membership {
        write_membership(path, &e, &c.membership)?;
    }
    let mut largest: Vec<CommunitySize> = sizes
        .iter()
        .copied()
        .enumerate()
        .map(|(i, size)| CommunitySize {
            community: i as u32,
            size,
        })
        .collect();
    largest.sort_by(|a, b| b.size.cmp(&a.size).then(a.community.cmp(&b.community)));
    largest.truncate(input.top);
    let report = CommunitiesReport {
        graph,
        seconds: t.elapsed().as_secs_f64(),
        communities: c.count,
        modularity: c.modularity,
        resolution,
        iterations: c.iterations,
        largest,
        membership_file: membership.as_ref().map(|p| p.display().to_string()),
    };
    emit(input.json, &report)
}

#[derive(Serialize)]
struct CurvePoint {
    step: usize,
    mean: f64,
    quantiles: [u32; 5],
}

#[derive(Serialize)]
struct GroupSpread {
    group: String,
    members: u32,
    mean_adopters: f64,
    share: f64,
}

/// `net simulate`.
#[derive(Serialize)]
struct SimulateReport {
    graph: GraphSummary,
    seconds: f64,
    model: String,
    seeds: usize,
    runs: u32,
    mean: f64,
    sd: f64,
    ci95: f64,
    quantile_levels: [f64; 5],
    curve: Vec<CurvePoint>,
    final_spread: Vec<u32>,
    per_group: Vec<GroupSpread>,
}

impl Report for SimulateReport {
    fn text(&self) {
        let n = f64::from(self.graph.nodes);
        println!(
            "{} from {} seeds, {} runs: {:.1} adopters on average (±{:.1} at 95%), {:.2}% of {} nodes",
            self.model,
            self.seeds,
            self.runs,
            self.mean,
            self.ci95,
            100.0 * self.mean / n,
            self.graph.nodes
        );
        println!(
            "{:>5} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "step", "mean", "5%", "25%", "50%", "75%", "95%"
        );
        let steps = self.curve.len();
        let every = steps.div_ceil(30).max(1);
        for p in &self.curve {
            if p.step % every == 0 || p.step + 1 == steps {
                let b = p.quantiles;
                println!(
                    "{:>5} {:>10.1} {:>8} {:>8} {:>8} {:>8} {:>8}",
                    p.step, p.mean, b[0], b[1], b[2], b[3], b[4]
                );
            }
        }
        if !self.per_group.is_empty() {
            println!(
                "{:<24} {:>8} {:>12} {:>7}",
                "group", "members", "adopters", "share"
            );
            for g in &self.per_group {
                println!(
                    "{:<24} {:>8} {:>12.1} {:>6.1}%",
                    g.group,
                    g.members,
                    g.mean_adopters,
                    100.0 * g.share
                );
            }
        }
    }
}

fn simulate_cmd(
    input: &Input,
    model: Model,
    seeds: &str,
    runs: u32,
    groups: Option<&Path>,
    max_steps: u32,
    seed: u64,
) -> anyhow::Result<()> {
    let (e, graph) = load(input)?;
    let seed_ids = read_names(seeds, &e, "--seeds")?;
    let labels = groups.map(|p| load_groups(p, &e)).transpose()?;
    let t = Instant::now();
    let pb = progress::step(format!("{runs} runs"));
    let sim = simulate(
        &e.graph,
        model,
        &seed_ids,
        labels.as_ref().map(|l| &l.groups),
        SimOptions {
            runs,
            max_steps,
            seed,
        },
    )?;
    progress::done(pb, format!("{runs} runs"));
    let per_group = labels
        .as_ref()
        .map(|l| {
            sim.per_group
                .iter()
                .enumerate()
                .map(|(i, (members, mean))| GroupSpread {
                    group: l.names[i].clone(),
                    members: *members,
                    mean_adopters: *mean,
                    share: mean / f64::from((*members).max(1)),
                })
                .collect()
        })
        .unwrap_or_default();
    let report = SimulateReport {
        graph,
        seconds: t.elapsed().as_secs_f64(),
        model: format!("{model:?}"),
        seeds: seed_ids.len(),
        runs,
        mean: sim.mean,
        sd: sim.sd,
        ci95: sim.ci95,
        quantile_levels: QUANTILES,
        curve: sim
            .mean_curve
            .iter()
            .zip(&sim.bands)
            .enumerate()
            .map(|(step, (mean, b))| CurvePoint {
                step,
                mean: *mean,
                quantiles: *b,
            })
            .collect(),
        final_spread: sim.final_spread,
        per_group,
    };
    emit(input.json, &report)
}

/// The numbers of `net seeds` other than its input and model.
struct SeedArgs {
    k: u32,
    epsilon: f64,
    delta: f64,
    min_per_group: u32,
    max_per_group: Option<u32>,
    compare: u32,
    seed: u64,
}

#[derive(Serialize)]
struct Spread {
    mean: f64,
    ci95: f64,
}

/// Monte Carlo spread of the chosen seeds beside the highest-degree nodes.
#[derive(Serialize)]
struct Comparison {
    runs: u32,
    seeds: Spread,
    highest_degree: Spread,
    ratio: f64,
}

#[derive(Serialize)]
struct SeedRow {
    node: String,
    marginal_gain: f64,
    group: Option<String>,
}

/// `net seeds`.
#[derive(Serialize)]
struct SeedsReport {
    graph: GraphSummary,
    seconds: f64,
    model: String,
    k: u32,
    epsilon: f64,
    delta: f64,
    seeds: Vec<SeedRow>,
    spread: f64,
    spread_interval: [f64; 2],
    guarantee: f64,
    certified_ratio: f64,
    constrained: bool,
    rr_sets: u64,
    rr_nodes: u64,
    sampling_seconds: f64,
    highest_degree_spread: f64,
    chosen_by: String,
    iterations: u32,
    comparison: Option<Comparison>,
    #[serde(skip)]
    grouped: bool,
}

impl Report for SeedsReport {
    fn text(&self) {
        let [low, high] = self.spread_interval;
        println!(
            "{} seeds for {}: expected spread {:.1} (between {low:.1} and {high:.1} with probability {:.0}%)",
            self.k,
            self.model,
            self.spread,
            100.0 * (1.0 - self.delta)
        );
        println!(
            "guarantee: at least {:.3} × the best {}set with probability {:.0}%; certified on these samples: {:.3} ({} RR sets)",
            self.guarantee,
            if self.constrained { "allowed " } else { "" },
            100.0 * (1.0 - self.delta),
            self.certified_ratio,
            self.rr_sets
        );
        println!(
            "{:>5}  {:<24} {:>14} {}",
            "rank",
            "node",
            "marginal gain",
            if self.grouped { "group" } else { "" }
        );
        for (i, s) in self.seeds.iter().enumerate() {
            println!(
                "{:>5}  {:<24} {:>14.2} {}",
                i + 1,
                s.node,
                s.marginal_gain,
                s.group.as_deref().unwrap_or_default()
            );
        }
        if let Some(c) = &self.comparison {
            println!(
                "Monte Carlo ({} runs): these seeds {:.1} ± {:.1}, the {} highest-degree nodes {:.1} ± {:.1} (ratio {:.2})",
                c.runs,
                c.seeds.mean,
                c.seeds.ci95,
                self.k,
                c.highest_degree.mean,
                c.highest_degree.ci95,
                c.ratio
            );
        }
    }
}

fn seeds_cmd(
    input: &Input,
    sim_model: Model,
    groups: Option<&Path>,
    eligible: Option<&str>,
    a: &SeedArgs,
) -> anyhow::Result<()> {
    let im_model = match sim_model {
        Model::IndependentCascade(rule) => ImModel::IndependentCascade(rule),
        Model::Threshold(_) => ImModel::LinearThreshold,
    };
    let (e, graph) = load(input)?;
    let labels = groups.map(|p| load_groups(p, &e)).transpose()?;
    let eligible_flags = eligible
        .map(|spec| -> anyhow::Result<Vec<bool>> {
            let mut flags = vec![false; e.graph.node_count() as usize];
            for v in read_names(spec, &e, "--eligible")? {
                flags[v as usize] = true;
            }
            Ok(flags)
        })
        .transpose()?;
    let t = Instant::now();
    let pb = progress::step(format!("choosing {} seeds", a.k));
    let chosen = select_seeds(
        &e.graph,
        SeedOptions {
            k: a.k,
            epsilon: a.epsilon,
            delta: a.delta,
            model: im_model,
            seed: a.seed,
        },
        Constraints {
            groups: labels.as_ref().map(|l| &l.groups),
            min_per_group: a.min_per_group,
            max_per_group: a.max_per_group,
            eligible: eligible_flags.as_deref(),
        },
    )?;
    progress::done(pb, format!("{} seeds from {} RR sets", a.k, chosen.rr_sets));
    let seconds = t.elapsed().as_secs_f64();
    let nodes: Vec<u32> = chosen.seeds.iter().map(|s| s.node).collect();
    let comparison = (a.compare > 0)
        .then(|| compare_with_degree(&e, sim_model, &nodes, a))
        .transpose()?;
    let group_of = |v: u32| {
        labels
            .as_ref()
            .map(|l| l.names[l.groups.of(v) as usize].clone())
    };
    let report = SeedsReport {
        graph,
        seconds,
        model: format!("{sim_model:?}"),
        k: a.k,
        epsilon: a.epsilon,
        delta: a.delta,
        seeds: chosen
            .seeds
            .iter()
            .map(|s| SeedRow {
                node: e.names.name(s.node),
                marginal_gain: s.marginal_gain,
                group: group_of(s.node),
            })
            .collect(),
        spread: chosen.spread,
        spread_interval: [chosen.spread_low, chosen.spread_high],
        guarantee: chosen.guarantee,
        certified_ratio: chosen.certified_ratio,
        constrained: chosen.constrained,
        rr_sets: chosen.rr_sets,
        rr_nodes: chosen.rr_nodes,
        sampling_seconds: chosen.sampling_seconds,
        highest_degree_spread: chosen.baseline_spread,
        chosen_by: chosen.chosen_by.to_string(),
        iterations: chosen.iterations,
        comparison,
        grouped: labels.is_some(),
    };
    emit(input.json, &report)
}

/// Simulates the chosen seeds and the `k` highest-degree nodes alike.
fn compare_with_degree(
    e: &EdgeList,
    model: Model,
    seeds: &[u32],
    a: &SeedArgs,
) -> anyhow::Result<Comparison> {
    let mut by_degree: Vec<u32> = (0..e.graph.node_count()).collect();
    by_degree.sort_by_key(|v| (std::cmp::Reverse(e.graph.out_degree(*v)), *v));
    by_degree.truncate(a.k as usize);
    let options = SimOptions {
        runs: a.compare,
        seed: a.seed,
        ..SimOptions::default()
    };
    let ours = simulate(&e.graph, model, seeds, None, options)?;
    let degree = simulate(&e.graph, model, &by_degree, None, options)?;
    Ok(Comparison {
        runs: a.compare,
        seeds: Spread {
            mean: ours.mean,
            ci95: ours.ci95,
        },
        highest_degree: Spread {
            mean: degree.mean,
            ci95: degree.ci95,
        },
        ratio: ours.mean / degree.mean.max(f64::MIN_POSITIVE),
    })
}

fn generate_cmd(
    company: u32,
    out: &Path,
    groups: Option<&Path>,
    mean_degree: f64,
    seed: u64,
) -> anyhow::Result<()> {
    use std::io::Write;
    if company < 20 {
        bail!("--company needs at least 20 people");
    }
    let pb = progress::step(format!("generating a company of {company}"));
    let c = flywheel_netsci::generate::company(company, mean_degree, seed);
    progress::done(
        pb,
        format!("{} edges in {} departments", c.edges.len(), c.departments),
    );
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "# flywheel net generate --company {company} --seed {seed}: {} nodes, {} undirected edges, {} departments", c.nodes, c.edges.len(), c.departments)?;
    for (u, v) in &c.edges {
        writeln!(w, "{u}\t{v}")?;
    }
    w.flush()
        .with_context(|| format!("writing {}", out.display()))?;
    if let Some(path) = groups {
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = std::io::BufWriter::new(file);
        for (v, d) in c.department.iter().enumerate() {
            writeln!(w, "{v}\td{d}")?;
        }
        w.flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "wrote {} nodes, {} edges, {} departments to {}",
        c.nodes,
        c.edges.len(),
        c.departments,
        out.display()
    );
    Ok(())
}

/// `net committed-minority`.
#[derive(Serialize)]
struct CommittedMinorityReport {
    graph: String,
    nodes: u32,
    committed: u32,
    fraction: f64,
    runs: u32,
    max_time: f64,
    consensus_share: f64,
    median_consensus_time: Option<f64>,
    mean_field_critical_fraction: Option<f64>,
    results: Vec<flywheel_netsci::opinion::Run>,
    seconds: f64,
}

impl Report for CommittedMinorityReport {
    fn text(&self) {
        println!(
            "{} of {} nodes committed ({:.1}%): consensus on their opinion in {:.0}% of {} runs{}",
            self.committed,
            self.nodes,
            100.0 * self.fraction,
            100.0 * self.consensus_share,
            self.runs,
            self.median_consensus_time
                .map_or(String::new(), |t| format!(
                    ", median time {t:.1} (units of n interactions)"
                ))
        );
        if let Some(f) = self.mean_field_critical_fraction {
            println!("mean-field critical fraction (Xie et al. 2011): {f:.4}");
        }
        let mean_b =
            self.results.iter().map(|x| x.final_b).sum::<f64>() / f64::from(self.runs.max(1));
        println!(
            "share still holding only the old opinion at the end: {:.1}% on average",
            100.0 * mean_b
        );
    }
}

fn committed_minority(
    graph: &str,
    n: u32,
    fraction: f64,
    degree: f64,
    runs: u32,
    max_time: f64,
    seed: u64,
) -> anyhow::Result<CommittedMinorityReport> {
    let er;
    let population = if graph == "complete" {
        Population::Complete(n)
    } else {
        if !(degree > 0.0 && degree < f64::from(n)) {
            bail!("--degree must be between 0 and n");
        }
        er = flywheel_netsci::generate::erdos_renyi(n, degree, seed);
        Population::Graph(&er)
    };
    let t = Instant::now();
    let pb = progress::step(format!("{runs} runs"));
    let r = binary_agreement(population, fraction, runs, max_time, seed)?;
    progress::done(pb, format!("{runs} runs"));
    Ok(CommittedMinorityReport {
        graph: graph.to_owned(),
        nodes: r.nodes,
        committed: r.committed,
        fraction,
        runs,
        max_time,
        consensus_share: r.consensus_share,
        median_consensus_time: r.median_consensus_time,
        mean_field_critical_fraction: (graph == "complete")
            .then(|| mean_field_critical_fraction(1e-4)),
        results: r.runs,
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// `net kcore`.
#[derive(Serialize)]
struct KcoreReport {
    graph: GraphSummary,
    seconds: f64,
    max_core: u32,
    nodes_in_max_core: usize,
    top: Vec<Ranked<f64>>,
}

impl Report for KcoreReport {
    fn text(&self) {
        println!(
            "largest core: k = {}, {} nodes",
            self.max_core, self.nodes_in_max_core
        );
        print_ranked(&self.top, |x| format!("{x}"));
    }
}

fn kcore_cmd(input: &Input) -> anyhow::Result<()> {
    let (e, graph) = load(input)?;
    let t = Instant::now();
    let cores = core_numbers(&e.graph);
    let max_core = cores.iter().copied().max().unwrap_or(0);
    let nodes_in_max_core = cores.iter().filter(|c| **c == max_core).count();
    let scores: Vec<f64> = cores.iter().map(|c| f64::from(*c)).collect();
    let report = KcoreReport {
        graph,
        seconds: t.elapsed().as_secs_f64(),
        max_core,
        nodes_in_max_core,
        top: top_by(&e, &scores, input.top),
    };
    emit(input.json, &report)
}

#[derive(Serialize)]
struct BrokerRow {
    node: String,
    constraint: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Roles>,
}

#[derive(Serialize)]
struct GroupCount {
    count: usize,
    unlabelled_nodes: u64,
}

/// `net brokerage`.
#[derive(Serialize)]
struct BrokerageReport {
    graph: GraphSummary,
    seconds: f64,
    groups: Option<GroupCount>,
    ranked_by: &'static str,
    top: Vec<BrokerRow>,
}

impl Report for BrokerageReport {
    fn text(&self) {
        if self.groups.is_some() {
            println!(
                "{:<24} {:>10} {:>11} {:>9} {:>14} {:>10} {:>8}",
                "node",
                "constraint",
                "coordinator",
                "itinerant",
                "representative",
                "gatekeeper",
                "liaison"
            );
        } else {
            println!("{:<24} {:>10}", "node", "constraint");
        }
        for r in &self.top {
            let c = r.constraint.map_or("-".into(), |x| format!("{x:.4}"));
            match &r.roles {
                Some(x) => println!(
                    "{:<24} {c:>10} {:>11} {:>9} {:>14} {:>10} {:>8}",
                    r.node, x.coordinator, x.itinerant, x.representative, x.gatekeeper, x.liaison
                ),
                None => println!("{:<24} {c:>10}", r.node),
            }
        }
    }
}

fn brokerage_cmd(input: &Input, groups: Option<&Path>) -> anyhow::Result<()> {
    let (e, graph) = load(input)?;
    let labels = groups.map(|p| load_groups(p, &e)).transpose()?;
    let t = Instant::now();
    let pb = progress::step("brokerage");
    let c = constraint(&e.graph);
    let roles = labels
        .as_ref()
        .map(|l| gould_fernandez(&e.graph, &l.groups))
        .transpose()?;
    progress::done(pb, "brokerage");
    // Most brokering first: lowest constraint, or most brokerage across groups.
    let mut order: Vec<u32> = (0..e.graph.node_count())
        .filter(|v| c[*v as usize].is_some())
        .collect();
    match &roles {
        Some(r) => order.sort_by(|a, b| {
            r[*b as usize]
                .across_groups()
                .cmp(&r[*a as usize].across_groups())
                .then(a.cmp(b))
        }),
        None => order.sort_by(|a, b| {
            c[*a as usize]
                .unwrap_or(f64::INFINITY)
                .total_cmp(&c[*b as usize].unwrap_or(f64::INFINITY))
                .then(a.cmp(b))
        }),
    }
    order.truncate(input.top);
    let report = BrokerageReport {
        graph,
        seconds: t.elapsed().as_secs_f64(),
        groups: labels.as_ref().map(|l| GroupCount {
            count: l.names.len(),
            unlabelled_nodes: l.unlabelled,
        }),
        ranked_by: if roles.is_some() {
            "brokerage across groups"
        } else {
            "constraint, lowest first"
        },
        top: order
            .iter()
            .map(|&v| BrokerRow {
                node: e.names.name(v),
                constraint: c[v as usize],
                roles: roles.as_ref().map(|r| r[v as usize]),
            })
            .collect(),
    };
    emit(input.json, &report)
}

fn parse_model(model: &str, probability: &str, threshold: &str) -> anyhow::Result<Model> {
    let number = |x: &str, what: &str| -> anyhow::Result<f64> {
        x.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .with_context(|| format!("{what}: {x:?} is not a number"))
    };
    Ok(match model {
        "ic" => Model::IndependentCascade(
            match probability.split(':').collect::<Vec<_>>().as_slice() {
                ["wc"] => ArcProbability::WeightedCascade,
                ["uniform", p] => ArcProbability::Uniform(number(p, "--probability")?),
                ["trivalency"] => ArcProbability::Trivalency(0),
                ["given"] => ArcProbability::Given,
                _ => bail!(
                    "--probability must be wc, uniform:P, trivalency or given, got {probability:?}"
                ),
            },
        ),
        "lt" => Model::LINEAR_THRESHOLD,
        _ => Model::Threshold(match threshold.split(':').collect::<Vec<_>>().as_slice() {
            ["fixed", x] => Thresholds::Fixed(number(x, "--threshold")?),
            ["uniform", lo, hi] => Thresholds::Uniform {
                lo: number(lo, "--threshold")?,
                hi: number(hi, "--threshold")?,
            },
            ["normal", m, sd] => Thresholds::Normal {
                mean: number(m, "--threshold")?,
                sd: number(sd, "--threshold")?,
            },
            _ => bail!(
                "--threshold must be fixed:θ, uniform:LO:HI or normal:MEAN:SD, got {threshold:?}"
            ),
        }),
    })
}

/// Node names from a file (whitespace- or line-separated, `#` comments) or a
/// comma-separated list; every name must be a node. `what` names the option in errors.
fn read_names(spec: &str, e: &EdgeList, what: &str) -> anyhow::Result<Vec<u32>> {
    let path = Path::new(spec);
    let (text, source) = if path.is_file() {
        (
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
            path.display().to_string(),
        )
    } else {
        (spec.replace(',', " "), what.to_owned())
    };
    let mut seeds = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        for name in line.split_whitespace() {
            let Some(v) = e.names.id(name) else {
                bail!(
                    "{source}: line {}: {name:?} is not a node of the edge list",
                    i + 1
                );
            };
            if !seeds.contains(&v) {
                seeds.push(v);
            }
        }
    }
    if seeds.is_empty() {
        bail!("{source}: no nodes");
    }
    Ok(seeds)
}

/// Reads the edge list with a progress bar over its bytes.
fn load(input: &Input) -> anyhow::Result<(EdgeList, GraphSummary)> {
    let path = &input.edges;
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = progress::bytes(len, "reading edges");
    let t = Instant::now();
    let e = edgelist::read_with_progress(
        BufReader::with_capacity(1 << 20, file),
        ReadOptions {
            directed: input.directed,
        },
        |b| pb.set_position(b),
    )
    .with_context(|| format!("{}", path.display()))?;
    let read_seconds = t.elapsed().as_secs_f64();
    progress::done(
        pb,
        format!(
            "read {} nodes, {} arcs from {}",
            e.graph.node_count(),
            e.graph.arc_count(),
            path.display()
        ),
    );
    if e.graph.node_count() == 0 {
        bail!("{}: no edges", path.display());
    }
    let summary = GraphSummary {
        file: path.display().to_string(),
        nodes: e.graph.node_count(),
        arcs: e.graph.arc_count(),
        edge_lines: e.edges,
        directed: input.directed,
        symmetric: e.graph.is_symmetric(),
        weighted: e.graph.is_weighted(),
        self_loops_dropped: e.report.self_loops_dropped,
        parallel_arcs_merged: e.report.parallel_arcs_merged,
        memory_bytes: e.graph.memory_bytes(),
        read_seconds,
    };
    Ok((e, summary))
}

fn load_groups(path: &Path, e: &EdgeList) -> anyhow::Result<GroupLabels> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    edgelist::read_groups(BufReader::new(file), &e.names)
        .with_context(|| format!("{}", path.display()))
}

fn write_membership(path: &Path, e: &EdgeList, membership: &[u32]) -> anyhow::Result<()> {
    use std::io::Write;
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "# node\tcommunity (Leiden, flywheel net communities)")?;
    for (v, c) in membership.iter().enumerate() {
        writeln!(out, "{}\t{c}", e.names.name(v as u32))?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))
}

/// The `top` highest-scoring nodes, ties by node id.
fn top_by(e: &EdgeList, scores: &[f64], top: usize) -> Vec<Ranked<f64>> {
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    let k = top.min(order.len());
    let cmp = |a: &u32, b: &u32| {
        scores[*b as usize]
            .total_cmp(&scores[*a as usize])
            .then(a.cmp(b))
    };
    if k < order.len() && k > 0 {
        order.select_nth_unstable_by(k - 1, cmp);
    }
    order.truncate(k);
    order.sort_by(cmp);
    order
        .into_iter()
        .map(|v| Ranked {
            node: e.names.name(v),
            score: scores[v as usize],
        })
        .collect()
}

fn print_ranked(rows: &[Ranked<f64>], fmt: impl Fn(f64) -> String) {
    println!("{:>5}  {:<24} {:>14}", "rank", "node", "score");
    for (i, r) in rows.iter().enumerate() {
        println!("{:>5}  {:<24} {:>14}", i + 1, r.node, fmt(r.score));
    }
}
