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
use flywheel_netsci::edgelist::{self, EdgeList, GroupLabels, ReadOptions};
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
                    ..LeidenOptions::default()
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
