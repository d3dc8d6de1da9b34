//! Diffusion against exact expectations on tiny graphs, and committed-minority dynamics
//! against Xie et al. 2011.

use flywheel_netsci::diffusion::{simulate, ArcProbability, Model, SimOptions, Thresholds};
use flywheel_netsci::opinion::{binary_agreement, mean_field_critical_fraction, Population};
use flywheel_netsci::{Graph, Groups};
use proptest::prelude::*;

mod common;
use common::{arb_tiny, exact_ic, exact_lt};

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
        let models: [&Spread<'_>; 2] = [&ic, &lt];
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

#[test]
fn threshold_models_count_arcs_as_they_sum_weights() {
    // Unweighted graphs take a counting path (arcs against θ·d); weighting every edge 2
    // gives the same shares 1/d through the summing path. Thresholds such as 0.2 with
    // d = 25 (5 × f32(1/25) < 0.2) check that both paths agree at exact ties.
    let c = flywheel_netsci::generate::company(3_000, 12.0, 5);
    let edges =
        |w: f32| -> Vec<(u32, u32, f32)> { c.edges.iter().map(|&(u, v)| (u, v, w)).collect() };
    let g = Graph::undirected_from_edges(c.nodes, &edges(1.0)).0;
    let weighted = Graph::undirected_from_edges(c.nodes, &edges(2.0)).0;
    assert!(weighted.is_weighted() && !g.is_weighted());
    let seeds: Vec<u32> = (0..60).map(|i| i * 50).collect();
    for t in [
        Thresholds::Fixed(0.2),
        Thresholds::Fixed(0.5),
        Thresholds::Uniform { lo: 0.0, hi: 1.0 },
        Thresholds::Normal { mean: 0.3, sd: 0.1 },
    ] {
        let sim = |g: &Graph| simulate(g, Model::Threshold(t), &seeds, None, runs(40, 9));
        let (a, b) = (sim(&g).expect("valid"), sim(&weighted).expect("valid"));
        assert_eq!(a.final_spread, b.final_spread, "{t:?}");
        assert_eq!(a.mean_curve, b.mean_curve, "{t:?}");
        assert!(a.mean > seeds.len() as f64, "{t:?} spreads: {}", a.mean);
    }
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
