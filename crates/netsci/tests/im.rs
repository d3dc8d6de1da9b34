//! Seed selection against the brute-force optimum on tiny graphs, and against the obvious
//! baseline (highest degree) on a larger one.

use flywheel_netsci::diffusion::{simulate, ArcProbability, Model, SimOptions};
use flywheel_netsci::im::{select_seeds, Constraints, ImModel, SeedOptions, SeedSet};
use flywheel_netsci::{generate, Graph, Groups};
use proptest::prelude::*;

mod common;
use common::{arb_tiny, exact_ic, exact_lt};

fn subsets(n: u32, k: usize) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    fn rec(start: u32, n: u32, k: usize, cur: &mut Vec<u32>, out: &mut Vec<Vec<u32>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for v in start..n {
            cur.push(v);
            rec(v + 1, n, k, cur, out);
            cur.pop();
        }
    }
    rec(0, n, k, &mut cur, &mut out);
    out
}

fn options(k: u32, model: ImModel, seed: u64) -> SeedOptions {
    SeedOptions {
        k,
        epsilon: 0.1,
        delta: 0.01,
        model,
        seed,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// (1 − 1/e − ε) of the brute-force optimum, and a spread interval that holds the true
    /// spread of the chosen set.
    #[test]
    fn unconstrained_seeds_reach_the_guarantee(g in arb_tiny(true), lt in any::<bool>(), seed in 0u64..100) {
        let rule = ArcProbability::Uniform(0.4);
        let model = if lt { ImModel::LinearThreshold } else { ImModel::IndependentCascade(rule) };
        let exact = |s: &[u32]| if lt { exact_lt(&g, s) } else { exact_ic(&g, rule, s) };
        let k = 2;
        let best = subsets(g.node_count(), k).iter().map(|s| exact(s)).fold(0.0, f64::max);
        let got = select_seeds(&g, options(k as u32, model, seed), Constraints::default()).expect("feasible");
        let nodes: Vec<u32> = got.seeds.iter().map(|s| s.node).collect();
        prop_assert_eq!(nodes.len(), k);
        let value = exact(&nodes);
        prop_assert!(value >= (1.0 - (-1.0f64).exp() - 0.1) * best - 1e-9, "{value} vs optimum {best}");
        prop_assert!(got.spread_low <= value + 1e-6 && value <= got.spread_high + 1e-6,
            "true spread {value} outside [{}, {}]", got.spread_low, got.spread_high);
        let gains: f64 = got.seeds.iter().map(|s| s.marginal_gain).sum();
        prop_assert!(gains > 0.0);
        prop_assert!(got.certified_ratio >= got.guarantee || got.iterations > 1);
    }

    /// With one seed at most and at least per group and only eligible candidates: feasible,
    /// and within (1/2 − ε) of the best feasible set.
    #[test]
    fn constrained_seeds_are_feasible_and_reach_one_half(g in arb_tiny(false), seed in 0u64..100) {
        let n = g.node_count();
        let labels: Vec<u32> = (0..n).map(|v| v % 2).collect();
        let groups = Groups::new(&labels);
        let eligible: Vec<bool> = (0..n).map(|v| v != 0).collect();
        let rule = ArcProbability::WeightedCascade;
        let feasible = |s: &[u32]| s.iter().all(|v| eligible[*v as usize])
            && (0..2).all(|grp| s.iter().filter(|v| labels[**v as usize] == grp).count() == 1);
        let best = subsets(n, 2).iter().filter(|s| feasible(s)).map(|s| exact_ic(&g, rule, s)).fold(0.0, f64::max);
        let c = Constraints { groups: Some(&groups), min_per_group: 1, max_per_group: Some(1), eligible: Some(&eligible) };
        let got = select_seeds(&g, options(2, ImModel::IndependentCascade(rule), seed), c).expect("feasible");
        let nodes: Vec<u32> = got.seeds.iter().map(|s| s.node).collect();
        prop_assert!(feasible(&nodes), "{nodes:?}");
        prop_assert!(got.constrained);
        prop_assert!((got.guarantee - 0.4).abs() < 1e-12);
        let value = exact_ic(&g, rule, &nodes);
        prop_assert!(value >= 0.4 * best - 1e-9, "{value} vs feasible optimum {best}");
    }
}

#[test]
fn infeasible_constraints_are_refused_with_a_reason() {
    let g = generate::erdos_renyi(30, 4.0, 1);
    let groups = Groups::new(&(0..30).map(|v| v % 5).collect::<Vec<_>>());
    let opts = options(4, ImModel::LinearThreshold, 1);
    let err = |c: Constraints<'_>| select_seeds(&g, opts, c).expect_err("infeasible");
    let e = err(Constraints {
        groups: Some(&groups),
        min_per_group: 1,
        ..Constraints::default()
    });
    assert!(e.0.contains("need 5 seeds, more than k = 4"), "{e}");
    let e = err(Constraints {
        groups: Some(&groups),
        max_per_group: Some(0),
        ..Constraints::default()
    });
    assert!(e.0.contains("room for only 0"), "{e}");
    let few = vec![false; 30];
    let e = err(Constraints {
        eligible: Some(&few),
        ..Constraints::default()
    });
    assert!(e.0.contains("only 0 eligible"), "{e}");
    let e = err(Constraints {
        min_per_group: 1,
        ..Constraints::default()
    });
    assert!(e.0.contains("need group labels"), "{e}");
    assert!(select_seeds(&g, SeedOptions { k: 31, ..opts }, Constraints::default()).is_err());
}

/// On a 3,000-node graph with hubs, the chosen 20 spread further (by independent Monte
/// Carlo) than the 20 highest-degree nodes, and the result does not depend on the number
/// of threads.
#[test]
fn seeds_beat_the_highest_degree_nodes_and_ignore_thread_count() {
    // Communities of 100 with a few hubs tied to many communities: degree picks the hubs,
    // which overlap; coverage picks spread-out seeds.
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let n = 3000u32;
    let mut edges = Vec::new();
    for v in 0..n {
        for _ in 0..3 {
            let u = v / 100 * 100 + rng.random_range(0..100);
            edges.push((v, u, 1.0));
        }
    }
    for hub in 0..10u32 {
        for _ in 0..150 {
            edges.push((hub, rng.random_range(0..300), 1.0));
        }
    }
    let g = Graph::undirected_from_edges(n, &edges).0;
    let rule = ArcProbability::WeightedCascade;
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| {
                select_seeds(
                    &g,
                    options(20, ImModel::IndependentCascade(rule), 3),
                    Constraints::default(),
                )
                .expect("ok")
            })
    };
    let timeless = |mut s: SeedSet| {
        s.sampling_seconds = 0.0;
        s
    };
    let got = run(2);
    assert!(got.sampling_seconds > 0.0);
    assert_eq!(timeless(got.clone()), timeless(run(1)));
    assert_eq!(got.chosen_by, "greedy");
    assert!(got.spread > got.baseline_spread);
    let ours: Vec<u32> = got.seeds.iter().map(|s| s.node).collect();
    let mut by_degree: Vec<u32> = (0..n).collect();
    by_degree.sort_by_key(|v| (std::cmp::Reverse(g.out_degree(*v)), *v));
    by_degree.truncate(20);
    let mc = |seeds: &[u32]| {
        simulate(
            &g,
            Model::IndependentCascade(rule),
            seeds,
            None,
            SimOptions {
                runs: 2000,
                seed: 8,
                ..SimOptions::default()
            },
        )
        .expect("ok")
    };
    let (a, b) = (mc(&ours), mc(&by_degree));
    assert!(
        a.mean > b.mean + a.ci95 + b.ci95,
        "ours {} ± {} vs degree {} ± {}",
        a.mean,
        a.ci95,
        b.mean,
        b.ci95
    );
    assert!(
        (a.mean - got.spread).abs() <= a.ci95 + (got.spread_high - got.spread_low),
        "MC {} vs RR estimate {}",
        a.mean,
        got.spread
    );
    assert!(
        got.seeds
            .windows(2)
            .all(|w| w[0].marginal_gain >= w[1].marginal_gain),
        "greedy gains fall"
    );
}

/// Two hubs in one group would be the unconstrained choice; at most one per group forces
/// the second seed into the other group, and eligibility removes the better hub.
#[test]
fn caps_and_eligibility_bind() {
    let mut edges = Vec::new();
    for leaf in 0..12 {
        edges.push((0, 10 + leaf, 1.0));
    }
    for leaf in 0..10 {
        edges.push((1, 30 + leaf, 1.0));
    }
    edges.push((2, 3, 1.0));
    let g = Graph::undirected_from_edges(40, &edges).0;
    let groups = Groups::new(&(0..40).map(|v| u32::from(v >= 2)).collect::<Vec<_>>());
    let model = ImModel::IndependentCascade(ArcProbability::Uniform(0.9));
    let pick = |c: Constraints<'_>| -> Vec<u32> {
        let mut s: Vec<u32> = select_seeds(&g, options(2, model, 1), c)
            .expect("feasible")
            .seeds
            .iter()
            .map(|s| s.node)
            .collect();
        s.sort_unstable();
        s
    };
    assert_eq!(pick(Constraints::default()), vec![0, 1]);
    let capped = pick(Constraints {
        groups: Some(&groups),
        max_per_group: Some(1),
        ..Constraints::default()
    });
    assert_eq!(capped.len(), 2);
    assert_eq!(capped[0], 0, "the bigger hub stays");
    assert!(
        capped[1] >= 2,
        "the second seed comes from the other group: {capped:?}"
    );
    let mut eligible = vec![true; 40];
    eligible[0] = false;
    let e = pick(Constraints {
        eligible: Some(&eligible),
        ..Constraints::default()
    });
    assert!(e.contains(&1) && !e.contains(&0), "{e:?}");
}
