//! `flywheel net …`: the network-science engine on any SNAP-style edge list.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
use serde_json::json;

use crate::progress;

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
        } => {
            if !(0.0..1.0).contains(&damping) {
                bail!("--damping must be in [0, 1), got {damping}");
            }
            let (e, summary) = load(&input)?;
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
            let top = top_by(&e, &pr.scores, input.top);
            output(
                &input,
                json!({
                    "graph": summary,
                    "seconds": t.elapsed().as_secs_f64(),
                    "iterations": pr.iterations,
                    "converged": pr.converged,
                    "residual": pr.residual,
                    "damping": damping,
                    "top": top,
                }),
                || {
                    println!(
                        "PageRank (damping {damping}): {} iterations, L1 change {:.1e}{}",
                        pr.iterations,
                        pr.residual,
                        if pr.converged { "" } else { " (not converged)" }
                    );
                    print_ranked(&top, |x| format!("{x:.6e}"));
                },
            )
        }
        NetCommand::Betweenness {
            input,
            epsilon,
            delta,
            seed,
            exact,
        } => {
            let open_unit = |x: f64| x > 0.0 && x < 1.0;
            let valid = exact || (open_unit(epsilon) && open_unit(delta));
            if !valid {
                bail!("--eps and --delta must be between 0 and 1");
            }
            let (e, summary) = load(&input)?;
            let t = Instant::now();
            let pb = progress::step(if exact {
                "exact betweenness".to_owned()
            } else {
                format!("betweenness, ε = {epsilon}, δ = {delta}")
            });
            let (scores, guarantee) = if exact {
                (betweenness_exact(&e.graph), json!("exact"))
            } else {
                let est = betweenness_approx(&e.graph, epsilon, delta, seed);
                let g = json!({
                    "epsilon": epsilon,
                    "delta": delta,
                    "samples": est.samples,
                    "vertex_diameter_bound": est.vertex_diameter_bound,
                    "seed": seed,
                });
                (est.scores, g)
            };
            progress::done(pb, "betweenness");
            let top = top_by(&e, &scores, input.top);
            output(
                &input,
                json!({
                    "graph": summary,
                    "seconds": t.elapsed().as_secs_f64(),
                    "normalisation": "n(n-1) ordered pairs",
                    "guarantee": guarantee,
                    "top": top,
                }),
                || {
                    if exact {
                        println!("Betweenness (exact, normalised by n(n-1))");
                    } else {
                        println!(
                            "Betweenness (normalised by n(n-1)): every value within ±{epsilon} with probability {:.0}% ({} sampled shortest paths, vertex diameter ≤ {})",
                            (1.0 - delta) * 100.0,
                            guarantee["samples"],
                            guarantee["vertex_diameter_bound"]
                        );
                    }
                    print_ranked(&top, |x| format!("{x:.6}"));
                },
            )
        }
        NetCommand::Communities {
            input,
            resolution,
            seed,
            membership,
            iterations,
        } => {
            if !(resolution.is_finite() && resolution > 0.0) {
                bail!("--resolution must be a positive number");
            }
            let (e, summary) = load(&input)?;
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
            let mut largest: Vec<(u32, u64)> = sizes
                .iter()
                .copied()
                .enumerate()
                .map(|(i, s)| (i as u32, s))
                .collect();
            largest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            largest.truncate(input.top);
            output(
                &input,
                json!({
                    "graph": summary,
                    "seconds": t.elapsed().as_secs_f64(),
                    "communities": c.count,
                    "modularity": c.modularity,
                    "resolution": resolution,
                    "iterations": c.iterations,
                    "largest": largest.iter().map(|(id, size)| json!({"community": id, "size": size})).collect::<Vec<_>>(),
                    "membership_file": membership.as_ref().map(|p| p.display().to_string()),
                }),
                || {
                    println!(
                        "{} communities, modularity {:.6} (resolution {resolution}, {} iterations)",
                        c.count, c.modularity, c.iterations
                    );
                    println!("{:>10}  {:>10}", "community", "nodes");
                    for (id, size) in &largest {
                        println!("{id:>10}  {size:>10}");
                    }
                    if let Some(p) = &membership {
                        println!("membership written to {}", p.display());
                    }
                },
            )
        }
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
            let (e, summary) = load(&input)?;
            let seed_ids = read_names(&seeds, &e, "--seeds")?;
            let labels = groups.as_deref().map(|p| load_groups(p, &e)).transpose()?;
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
            )
            .map_err(anyhow::Error::msg)?;
            progress::done(pb, format!("{runs} runs"));
            let n = f64::from(e.graph.node_count());
            let per_group: Vec<serde_json::Value> = labels
                .as_ref()
                .map(|l| {
                    sim.per_group
                        .iter()
                        .enumerate()
                        .map(|(i, (members, mean))| {
                            json!({"group": l.names[i], "members": members, "mean_adopters": mean, "share": mean / f64::from((*members).max(1))})
                        })
                        .collect()
                })
                .unwrap_or_default();
            output(
                &input,
                json!({
                    "graph": summary,
                    "seconds": t.elapsed().as_secs_f64(),
                    "model": format!("{model:?}"),
                    "seeds": seed_ids.len(),
                    "runs": runs,
                    "mean": sim.mean,
                    "sd": sim.sd,
                    "ci95": sim.ci95,
                    "quantile_levels": QUANTILES,
                    "curve": sim.mean_curve.iter().zip(&sim.bands).enumerate().map(|(t, (m, b))| json!({"step": t, "mean": m, "quantiles": b})).collect::<Vec<_>>(),
                    "final_spread": sim.final_spread,
                    "per_group": per_group,
                }),
                || {
                    println!(
                        "{model:?} from {} seeds, {runs} runs: {:.1} adopters on average (±{:.1} at 95%), {:.2}% of {} nodes",
                        seed_ids.len(),
                        sim.mean,
                        sim.ci95,
                        100.0 * sim.mean / n,
                        e.graph.node_count()
                    );
                    println!(
                        "{:>5} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}",
                        "step", "mean", "5%", "25%", "50%", "75%", "95%"
                    );
                    let steps = sim.mean_curve.len();
                    let every = steps.div_ceil(30).max(1);
                    for (t, (m, b)) in sim.mean_curve.iter().zip(&sim.bands).enumerate() {
                        if t % every == 0 || t + 1 == steps {
                            println!(
                                "{t:>5} {m:>10.1} {:>8} {:>8} {:>8} {:>8} {:>8}",
                                b[0], b[1], b[2], b[3], b[4]
                            );
                        }
                    }
                    if !per_group.is_empty() {
                        println!(
                            "{:<24} {:>8} {:>12} {:>7}",
                            "group", "members", "adopters", "share"
                        );
                        for g in &per_group {
                            println!(
                                "{:<24} {:>8} {:>12.1} {:>6.1}%",
                                g["group"].as_str().unwrap_or(""),
                                g["members"],
                                g["mean_adopters"].as_f64().unwrap_or(0.0),
                                100.0 * g["share"].as_f64().unwrap_or(0.0)
                            );
                        }
                    }
                },
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
            let im_model = match sim_model {
                Model::IndependentCascade(rule) => ImModel::IndependentCascade(rule),
                Model::Threshold(_) => ImModel::LinearThreshold,
            };
            let (e, summary) = load(&input)?;
            let labels = groups.as_deref().map(|p| load_groups(p, &e)).transpose()?;
            let eligible_flags = eligible
                .as_deref()
                .map(|spec| -> anyhow::Result<Vec<bool>> {
                    let mut flags = vec![false; e.graph.node_count() as usize];
                    for v in read_names(spec, &e, "--eligible")? {
                        flags[v as usize] = true;
                    }
                    Ok(flags)
                })
                .transpose()?;
            let t = Instant::now();
            let pb = progress::step(format!("choosing {k} seeds"));
            let chosen = select_seeds(
                &e.graph,
                SeedOptions {
                    k,
                    epsilon,
                    delta,
                    model: im_model,
                    seed,
                },
                Constraints {
                    groups: labels.as_ref().map(|l| &l.groups),
                    min_per_group,
                    max_per_group,
                    eligible: eligible_flags.as_deref(),
                },
            )
            .map_err(anyhow::Error::msg)?;
            progress::done(pb, format!("{k} seeds from {} RR sets", chosen.rr_sets));
            let seconds = t.elapsed().as_secs_f64();
            let comparison = if compare > 0 {
                let nodes: Vec<u32> = chosen.seeds.iter().map(|s| s.node).collect();
                let mut by_degree: Vec<u32> = (0..e.graph.node_count()).collect();
                by_degree.sort_by_key(|v| (std::cmp::Reverse(e.graph.out_degree(*v)), *v));
                by_degree.truncate(k as usize);
                let options = SimOptions {
                    runs: compare,
                    seed,
                    ..SimOptions::default()
                };
                let ours = simulate(&e.graph, sim_model, &nodes, None, options)
                    .map_err(anyhow::Error::msg)?;
                let degree = simulate(&e.graph, sim_model, &by_degree, None, options)
                    .map_err(anyhow::Error::msg)?;
                Some(json!({
                    "runs": compare,
                    "seeds": {"mean": ours.mean, "ci95": ours.ci95},
                    "highest_degree": {"mean": degree.mean, "ci95": degree.ci95},
                    "ratio": ours.mean / degree.mean.max(f64::MIN_POSITIVE),
                }))
            } else {
                None
            };
            let group_of = |v: u32| {
                labels
                    .as_ref()
                    .map(|l| l.names[l.groups.of(v) as usize].clone())
            };
            let rows: Vec<serde_json::Value> = chosen
                .seeds
                .iter()
                .map(|s| json!({"node": e.names.name(s.node), "marginal_gain": s.marginal_gain, "group": group_of(s.node)}))
                .collect();
            output(
                &input,
                json!({
                    "graph": summary,
                    "seconds": seconds,
                    "model": format!("{sim_model:?}"),
                    "k": k,
                    "epsilon": epsilon,
                    "delta": delta,
                    "seeds": rows,
                    "spread": chosen.spread,
                    "spread_interval": [chosen.spread_low, chosen.spread_high],
                    "guarantee": chosen.guarantee,
                    "certified_ratio": chosen.certified_ratio,
                    "constrained": chosen.constrained,
                    "rr_sets": chosen.rr_sets,
                    "rr_nodes": chosen.rr_nodes,
                    "sampling_seconds": chosen.sampling_seconds,
                    "highest_degree_spread": chosen.baseline_spread,
                    "chosen_by": chosen.chosen_by,
                    "iterations": chosen.iterations,
                    "comparison": comparison,
                }),
                || {
                    println!(
                        "{k} seeds for {sim_model:?}: expected spread {:.1} (between {:.1} and {:.1} with probability {:.0}%)",
                        chosen.spread, chosen.spread_low, chosen.spread_high, 100.0 * (1.0 - delta)
                    );
                    println!(
                        "guarantee: at least {:.3} × the best {}set with probability {:.0}%; certified on these samples: {:.3} ({} RR sets)",
                        chosen.guarantee,
                        if chosen.constrained { "allowed " } else { "" },
                        100.0 * (1.0 - delta),
                        chosen.certified_ratio,
                        chosen.rr_sets
                    );
                    println!(
                        "{:>5}  {:<24} {:>14} {}",
                        "rank",
                        "node",
                        "marginal gain",
                        if labels.is_some() { "group" } else { "" }
                    );
                    for (i, s) in chosen.seeds.iter().enumerate() {
                        println!(
                            "{:>5}  {:<24} {:>14.2} {}",
                            i + 1,
                            e.names.name(s.node),
                            s.marginal_gain,
                            group_of(s.node).unwrap_or_default()
                        );
                    }
                    if let Some(c) = &comparison {
                        println!(
                            "Monte Carlo ({compare} runs): these seeds {:.1} ± {:.1}, the {k} highest-degree nodes {:.1} ± {:.1} (ratio {:.2})",
                            c["seeds"]["mean"].as_f64().unwrap_or(0.0),
                            c["seeds"]["ci95"].as_f64().unwrap_or(0.0),
                            c["highest_degree"]["mean"].as_f64().unwrap_or(0.0),
                            c["highest_degree"]["ci95"].as_f64().unwrap_or(0.0),
                            c["ratio"].as_f64().unwrap_or(0.0)
                        );
                    }
                },
            )
        }
        NetCommand::Generate {
            company,
            out,
            groups,
            mean_degree,
            seed,
        } => {
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
            let file = std::fs::File::create(&out)
                .with_context(|| format!("creating {}", out.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            writeln!(w, "# flywheel net generate --company {company} --seed {seed}: {} nodes, {} undirected edges, {} departments", c.nodes, c.edges.len(), c.departments)?;
            for (u, v) in &c.edges {
                writeln!(w, "{u}\t{v}")?;
            }
            w.flush()
                .with_context(|| format!("writing {}", out.display()))?;
            if let Some(path) = &groups {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("creating {}", path.display()))?;
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
        NetCommand::CommittedMinority {
            graph,
            n,
            fraction,
            degree,
            runs,
            max_time,
            seed,
            json: as_json,
        } => {
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
            let r = binary_agreement(population, fraction, runs, max_time, seed)
                .map_err(anyhow::Error::msg)?;
            progress::done(pb, format!("{runs} runs"));
            let v = json!({
                "graph": graph,
                "nodes": r.nodes,
                "committed": r.committed,
                "fraction": fraction,
                "runs": runs,
                "max_time": max_time,
                "consensus_share": r.consensus_share,
                "median_consensus_time": r.median_consensus_time,
                "mean_field_critical_fraction": if graph == "complete" { Some(mean_field_critical_fraction(1e-4)) } else { None },
                "results": r.runs,
                "seconds": t.elapsed().as_secs_f64(),
            });
            if as_json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "{} of {} nodes committed ({:.1}%): consensus on their opinion in {:.0}% of {runs} runs{}",
                    r.committed,
                    r.nodes,
                    100.0 * fraction,
                    100.0 * r.consensus_share,
                    r.median_consensus_time.map_or(String::new(), |t| format!(", median time {t:.1} (units of n interactions)"))
                );
                if graph == "complete" {
                    println!(
                        "mean-field critical fraction (Xie et al. 2011): {:.4}",
                        mean_field_critical_fraction(1e-4)
                    );
                }
                let mean_b = r.runs.iter().map(|x| x.final_b).sum::<f64>() / f64::from(runs.max(1));
                println!(
                    "share still holding only the old opinion at the end: {:.1}% on average",
                    100.0 * mean_b
                );
            }
            Ok(())
        }
        NetCommand::Kcore { input } => {
            let (e, summary) = load(&input)?;
            let t = Instant::now();
            let cores = core_numbers(&e.graph);
            let max = cores.iter().copied().max().unwrap_or(0);
            let in_max = cores.iter().filter(|c| **c == max).count();
            let scores: Vec<f64> = cores.iter().map(|c| f64::from(*c)).collect();
            let top = top_by(&e, &scores, input.top);
            output(
                &input,
                json!({
                    "graph": summary,
                    "seconds": t.elapsed().as_secs_f64(),
                    "max_core": max,
                    "nodes_in_max_core": in_max,
                    "top": top,
                }),
                || {
                    println!("largest core: k = {max}, {in_max} nodes");
                    print_ranked(&top, |x| format!("{x}"));
                },
            )
        }
        NetCommand::Brokerage { input, groups } => {
            let (e, summary) = load(&input)?;
            let labels = groups.as_deref().map(|p| load_groups(p, &e)).transpose()?;
            let t = Instant::now();
            let pb = progress::step("brokerage");
            let c = constraint(&e.graph);
            let roles = labels
                .as_ref()
                .map(|l| gould_fernandez(&e.graph, &l.groups))
                .transpose()
                .map_err(anyhow::Error::msg)?;
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
            #[derive(Serialize)]
            struct Row {
                node: String,
                constraint: Option<f64>,
                #[serde(skip_serializing_if = "Option::is_none")]
                roles: Option<Roles>,
            }
            let rows: Vec<Row> = order
                .iter()
                .map(|&v| Row {
                    node: e.names.name(v),
                    constraint: c[v as usize],
                    roles: roles.as_ref().map(|r| r[v as usize]),
                })
                .collect();
            output(
                &input,
                json!({
                    "graph": summary,
                    "seconds": t.elapsed().as_secs_f64(),
                    "groups": labels.as_ref().map(|l| json!({"count": l.names.len(), "unlabelled_nodes": l.unlabelled})),
                    "ranked_by": if roles.is_some() { "brokerage across groups" } else { "constraint, lowest first" },
                    "top": rows,
                }),
                || {
                    if roles.is_some() {
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
                    for r in &rows {
                        let c = r.constraint.map_or("-".into(), |x| format!("{x:.4}"));
                        match &r.roles {
                            Some(x) => println!(
                                "{:<24} {c:>10} {:>11} {:>9} {:>14} {:>10} {:>8}",
                                r.node,
                                x.coordinator,
                                x.itinerant,
                                x.representative,
                                x.gatekeeper,
                                x.liaison
                            ),
                            None => println!("{:<24} {c:>10}", r.node),
                        }
                    }
                },
            )
        }
    }
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

fn output(input: &Input, json: serde_json::Value, text: impl FnOnce()) -> anyhow::Result<()> {
    if input.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        text();
    }
    Ok(())
}
