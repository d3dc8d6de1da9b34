//! Diffusion against exact expectations on tiny graphs, and committed-minority dynamics
//! against Xie et al. 2011.

use flywheel_netsci::diffusion::{
    arc_probabilities, simulate, ArcProbability, Model, SimOptions, Thresholds,
};
use flywheel_netsci::opinion::{binary_agreement, mean_field_critical_fraction, Population};
use flywheel_netsci::{Graph, Groups};
use proptest::prelude::*;

fn arb_tiny(directed: bool) -> impl Strategy<Value = Graph> {
    (3u32..=6)
        .prop_flat_map(|n| {
            (
                Just(n),
                prop::collection::vec((0..n, 0..n, prop::sample::select(vec![1.0f32, 2.0])), 1..8),
            )
        })
        .prop_map(move |(n, e)| {
            if directed {
                Graph::from_arcs(n, e).0
            } else {
                Graph::undirected_from_edges(n, &e).0
            }
        })
        .prop_filter("at most 12 arcs", |g| {
            g.arc_count() <= 12 && g.arc_count() > 0
        })
}

fn arcs_with_p(g: &Graph, rule: ArcProbability) -> Vec<(u32, u32, f64)> {
    let p = arc_probabilities(g, rule).expect("valid");
    g.arcs()
        .zip(p)
        .map(|((u, v, _), p)| (u, v, f64::from(p)))
        .collect()
}

fn reach(n: usize, live: &[(u32, u32)], seeds: &[u32]) -> usize {
    let mut on = vec![false; n];
    let mut stack: Vec<u32> = seeds.to_vec();
    for s in seeds {
        on[*s as usize] = true;
    }
    while let Some(u) = stack.pop() {
        for &(a, b) in live {
            if a == u && !on[b as usize] {
                on[b as usize] = true;
                stack.push(b);
            }
        }
    }
    on.iter().filter(|x| **x).count()
}

/// Exact expected IC spread: every subset of arcs is a live-edge world.
fn exact_ic(g: &Graph, rule: ArcProbability, seeds: &[u32]) -> f64 {
    let arcs = arcs_with_p(g, rule);
    let m = arcs.len();
    let mut total = 0.0;
    for world in 0u32..(1 << m) {
        let mut p = 1.0;
        let mut live = Vec::new();
        for (i, &(u, v, q)) in arcs.iter().enumerate() {
            if world & (1 << i) != 0 {
                p *= q;
                live.push((u, v));
            } else {
                p *= 1.0 - q;
            }
        }
        total += p * reach(g.node_count() as usize, &live, seeds) as f64;
    }
    total
}

/// Exact expected LT spread: each node keeps one in-arc `u → v` with probability
/// `w_uv / Σ w_xv`, or none (Kempe, Kleinberg and Tardos's live-edge equivalence; with
/// normalised weights "none" has probability 0 for nodes with in-arcs).
fn exact_lt(g: &Graph, seeds: &[u32]) -> f64 {
    let n = g.node_count() as usize;
    let arcs = arcs_with_p(g, ArcProbability::WeightedCascade);
    let choices: Vec<Vec<(Option<u32>, f64)>> = (0..n as u32)
        .map(|v| {
            let ins: Vec<(Option<u32>, f64)> = arcs
                .iter()
                .filter(|a| a.1 == v)
                .map(|a| (Some(a.0), a.2))
                .collect();
            let rest = 1.0 - ins.iter().map(|x| x.1).sum::<f64>();
            let mut c = ins;
            if rest > 1e-12 || c.is_empty() {
                c.push((None, rest.max(0.0)));
            }
            c
        })
        .collect();
    let mut total = 0.0;
    let mut pick = vec![0usize; n];
    loop {
        let mut p = 1.0;
        let mut live = Vec::new();
        for v in 0..n {
            let (u, q) = choices[v][pick[v]];
            p *= q;
            if let Some(u) = u {
                live.push((u, v as u32));
            }
        }
        total += p * reach(n, &live, seeds) as f64;
        let mut i = 0;
        loop {
            if i == n {
                return total;
            }
            pick[i] += 1;
            if pick[i] < choices[i].len() {
                break;
            }
            pick[i] = 0;
            i += 1;
        }
    }
}

/// An expected-spread function of a seed set.
type Spread<'a> = dyn Fn(&[u32]) -> f64 + 'a;

fn runs(runs: u32, seed: u64) -> SimOptions {
    SimOptions {
        runs,
        seed,
        ..SimOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn ic_monte_carlo_matches_live_edge_enumeration(g in arb_tiny(true), rule in prop::sample::select(vec![0usize, 1, 2])) {
        let rule = [ArcProbability::WeightedCascade, ArcProbability::Uniform(0.3), ArcProbability::Trivalency(5)][rule];
        let seeds = [0u32];
        let exact = exact_ic(&g, rule, &seeds);
        let sim = simulate(&g, Model::IndependentCascade(rule), &seeds, None, runs(20_000, 9)).expect("valid");
        // Five standard errors: a correct simulator misses this about once in 3.5 million.
        let tol = 5.0 * sim.sd / 20_000f64.sqrt() + 1e-5; // f32 probabilities
        prop_assert!((sim.mean - exact).abs() <= tol, "MC {} vs exact {exact} (±{tol})", sim.mean);
    }

    #[test]
    fn lt_monte_carlo_matches_live_edge_enumeration(g in arb_tiny(true)) {
        let seeds = [0u32];
        let exact = exact_lt(&g, &seeds);
        let sim = simulate(&g, Model::LINEAR_THRESHOLD, &seeds, None, runs(20_000, 4)).expect("valid");
        let tol = 5.0 * sim.sd / 20_000f64.sqrt() + 1e-5; // f32 probabilities
        prop_assert!((sim.mean - exact).abs() <= tol, "MC {} vs exact {exact} (±{tol})", sim.mean);
    }

    /// The expected spread σ(S) is monotone and submodular under IC and LT (Kempe et al.
    /// 2003): σ(S ∪ {x}) ≥ σ(S) and σ(S ∪ {x}) − σ(S) ≥ σ(T ∪ {x}) − σ(T) for S ⊆ T.
    #[test]
    fn expected_spread_is_monotone_and_submodular(g in arb_tiny(false), x in 0u32..3) {
        let n = g.node_count();
        let s: Vec<u32> = vec![(x + 1) % n];
        let t: Vec<u32> = vec![(x + 1) % n, (x + 2) % n];
        let with = |set: &[u32]| { let mut v = set.to_vec(); if !v.contains(&x) { v.push(x); } v };
        let ic = |set: &[u32]| exact_ic(&g, ArcProbability::Uniform(0.4), set);
        let lt = |set: &[u32]| exact_lt(&g, set);
        let models: [&Spread; 2] = [&ic, &lt];
        for f in models {
            let (fs, ft, fsx, ftx) = (f(&s), f(&t), f(&with(&s)), f(&with(&t)));
            prop_assert!(fsx >= fs - 1e-9 && ft >= fs - 1e-9);
            prop_assert!(fsx - fs >= ftx - ft - 1e-9, "gain {} then {}", fsx - fs, ftx - ft);
        }
    }

    /// With a fixed θ, complex contagion is deterministic: compare with synchronous
    /// iteration of the definition on the dense matrix.
    #[test]
    fn fixed_threshold_contagion_matches_the_definition(g in arb_tiny(false), theta in prop::sample::select(vec![0.2, 0.34, 0.5, 0.67, 1.0])) {
        let n = g.node_count() as usize;
        let mut w = vec![vec![0.0f64; n]; n];
        for (u, v, x) in g.arcs() { w[u as usize][v as usize] = f64::from(x); }
        let mut on = vec![false; n];
        on[0] = true;
        let mut curve = vec![1u32];
        loop {
            let next: Vec<bool> = (0..n).map(|v| {
                let total: f64 = (0..n).map(|u| w[u][v]).sum();
                let active: f64 = (0..n).filter(|u| on[*u]).map(|u| w[u][v]).sum();
                on[v] || (total > 0.0 && active / total >= theta - 1e-9)
            }).collect();
            if next == on { break; }
            on = next;
            curve.push(on.iter().filter(|x| **x).count() as u32);
        }
        let sim = simulate(&g, Model::Threshold(Thresholds::Fixed(theta)), &[0], None, runs(3, 1)).expect("valid");
        prop_assert_eq!(sim.final_spread, vec![*curve.last().unwrap_or(&1); 3]);
        let mean_curve: Vec<u32> = sim.mean_curve.iter().map(|x| *x as u32).collect();
        prop_assert_eq!(mean_curve, curve);
    }
}

#[test]
fn curves_bands_groups_and_threads() {
    // Two cliques of 30 joined by one edge; seeds in the first.
    let mut edges = Vec::new();
    for c in 0..2u32 {
        for i in 0..30 {
            for j in i + 1..30 {
                edges.push((c * 30 + i, c * 30 + j, 1.0));
            }
        }
    }
    edges.push((0, 30, 1.0));
    let g = Graph::undirected_from_edges(60, &edges).0;
    let groups = Groups::new(&(0..60).map(|v| v / 30).collect::<Vec<_>>());
    let model = Model::IndependentCascade(ArcProbability::Uniform(0.05));
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| simulate(&g, model, &[1, 2], Some(&groups), runs(500, 3)).expect("valid"))
    };
    let sim = run(2);
    assert_eq!(sim, run(1), "the same whatever the number of threads");
    assert_eq!(sim.mean_curve[0], 2.0);
    assert!(
        sim.mean_curve.windows(2).all(|w| w[1] >= w[0]),
        "curves only grow"
    );
    for b in &sim.bands {
        assert!(
            b.windows(2).all(|w| w[0] <= w[1]),
            "quantiles ordered: {b:?}"
        );
    }
    let total: f64 = sim.per_group.iter().map(|g| g.1).sum();
    assert!((total - sim.mean).abs() < 1e-9);
    assert!(
        sim.per_group[0].1 > sim.per_group[1].1 * 2.0,
        "{:?}",
        sim.per_group
    );
    assert_eq!(sim.per_group[0].0, 30);
    assert!(simulate(&g, model, &[60], None, runs(1, 1)).is_err());
    assert!(simulate(
        &g,
        Model::Threshold(Thresholds::Fixed(1.5)),
        &[0],
        None,
        runs(1, 1)
    )
    .is_err());
    let given = Graph::undirected_from_edges(2, &[(0, 1, 2.0)]).0;
    assert!(simulate(
        &given,
        Model::IndependentCascade(ArcProbability::Given),
        &[0],
        None,
        runs(1, 1)
    )
    .is_err());
}

/// Xie et al. 2011: on a complete graph the critical committed fraction is p_c ≈ 0.0979.
/// The mean-field equations give it to three decimals; the agent-based simulation (2,000
/// nodes, 8 runs per fraction, consensus within 200 time units) must put it within ±0.01.
#[test]
fn committed_minority_critical_fraction_on_a_complete_graph() {
    let p = mean_field_critical_fraction(1e-4);
    assert!((p - 0.0979).abs() < 0.001, "mean field: {p}");

    let mut estimate = None;
    for i in 0..=16 {
        let fraction = 0.06 + 0.005 * f64::from(i);
        let r =
            binary_agreement(Population::Complete(2000), fraction, 8, 200.0, 17).expect("valid");
        if r.consensus_share >= 0.5 {
            estimate = Some(fraction);
            break;
        }
    }
    let estimate = estimate.expect("consensus at some fraction up to 0.14");
    assert!(
        (estimate - 0.098).abs() <= 0.01,
        "simulated p_c ≈ {estimate}"
    );

    // Well above: fast consensus, time growing slowly with n; well below: none.
    let above = binary_agreement(Population::Complete(1000), 0.2, 4, 200.0, 1).expect("valid");
    assert_eq!(above.consensus_share, 1.0);
    assert!(above.median_consensus_time.unwrap_or(f64::MAX) < 30.0);
    let below = binary_agreement(Population::Complete(1000), 0.05, 4, 100.0, 1).expect("valid");
    assert_eq!(below.consensus_share, 0.0);
    assert!(
        below.runs.iter().all(|r| r.final_b > 0.5),
        "the B majority holds"
    );
}
