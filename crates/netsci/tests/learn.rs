//! Learned influence probabilities recover planted ones.

use flywheel_netsci::diffusion::{cascade, ArcProbability, Model};
use flywheel_netsci::learn::{bernoulli, expectation_maximization};
use flywheel_netsci::Graph;
use rand::{Rng, SeedableRng};

/// A directed random graph whose arc weights are the planted IC probabilities, and
/// episodes simulated on it from two random seeds each.
fn planted(episodes: u32) -> (Graph, Vec<Vec<(u32, u32)>>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
    let n = 300u32;
    let mut arcs = Vec::new();
    for u in 0..n {
        for _ in 0..4 {
            let v = rng.random_range(0..n);
            arcs.push((u, v, 0.05 + 0.5 * rng.random::<f32>()));
        }
    }
    let (g, _) = Graph::from_arcs(n, arcs);
    let model = Model::IndependentCascade(ArcProbability::Given);
    let eps = (0..episodes)
        .map(|i| {
            let seeds = [rng.random_range(0..n), rng.random_range(0..n)];
            cascade(&g, model, &seeds, u64::from(i)).expect("valid")
        })
        .collect();
    (g, eps)
}

#[test]
fn em_recovers_planted_probabilities_and_beats_the_bernoulli_baseline() {
    let (g, episodes) = planted(4000);
    assert!(
        episodes.iter().any(|e| e.iter().any(|(_, t)| *t >= 3)),
        "cascades run several steps"
    );
    let em = expectation_maximization(&g, &episodes, 500, 1e-7).expect("valid");
    let bern = bernoulli(&g, &episodes, 1).expect("valid");
    let planted: Vec<f64> = g.arcs().map(|(_, _, w)| f64::from(w)).collect();
    let well_observed: Vec<usize> = (0..planted.len())
        .filter(|a| em.trials[*a] >= 200)
        .collect();
    assert!(
        well_observed.len() > 200,
        "{} arcs with 200 trials",
        well_observed.len()
    );
    let mae = |est: &[f64]| {
        well_observed
            .iter()
            .map(|a| (est[*a] - planted[*a]).abs())
            .sum::<f64>()
            / well_observed.len() as f64
    };
    let (e, b) = (mae(&em.probability), mae(&bern.probability));
    println!(
        "{} well-observed arcs: EM mean absolute error {e:.4}, Bernoulli {b:.4}",
        well_observed.len()
    );
    assert!(e < 0.03, "EM mean absolute error {e}");
    assert!(e < b, "EM {e} should beat Bernoulli {b}");
    // Correlation with the planted values.
    let m = well_observed.len() as f64;
    let (mx, my) = (
        well_observed
            .iter()
            .map(|a| em.probability[*a])
            .sum::<f64>()
            / m,
        well_observed.iter().map(|a| planted[*a]).sum::<f64>() / m,
    );
    let cov: f64 = well_observed
        .iter()
        .map(|a| (em.probability[*a] - mx) * (planted[*a] - my))
        .sum();
    let vx: f64 = well_observed
        .iter()
        .map(|a| (em.probability[*a] - mx).powi(2))
        .sum();
    let vy: f64 = well_observed
        .iter()
        .map(|a| (planted[*a] - my).powi(2))
        .sum();
    let r = cov / (vx * vy).sqrt();
    println!("correlation with the planted probabilities {r:.4}");
    assert!(r > 0.97, "correlation {r}");
    let (u, v, w) = g.arcs().next().expect("an arc");
    assert_eq!(em.get(&g, u, v), Some(em.probability[0]));
    let _ = w;
}

#[test]
fn a_single_parent_gets_its_success_frequency_and_bad_episodes_are_refused() {
    // 0 -> 1 only: p = share of episodes in which 1 followed 0.
    let (g, _) = Graph::from_arcs(2, vec![(0, 1, 1.0)]);
    let episodes = vec![
        vec![(0, 0), (1, 1)],
        vec![(0, 0)],
        vec![(0, 0)],
        vec![(0, 0), (1, 1)],
        vec![(1, 0)],
    ];
    let em = expectation_maximization(&g, &episodes, 100, 1e-12).expect("valid");
    assert!((em.probability[0] - 0.5).abs() < 1e-12);
    assert_eq!(em.trials[0], 4);
    assert!(expectation_maximization(&g, &[vec![(0, 0), (0, 1)]], 10, 1e-9).is_err());
    assert!(expectation_maximization(&g, &[vec![(5, 0)]], 10, 1e-9).is_err());
}
