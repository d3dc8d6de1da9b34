//! The question-maturity classifier, measured two ways (run with `--nocapture` for the
//! tables, with 95% Wilson intervals, and the misclassified questions):
//!
//! * 10-fold cross-validation on the development set (`data/`, 620 questions): the model is
//!   trained on nine folds and scored on the tenth, so no question is scored by a model
//!   that saw it.
//! * a held-out set (`tests/data/questions_heldout.tsv`, 160 questions) written and
//!   committed before the development set last grew and the settings were last chosen, and
//!   never used for either; scored by the shipped model.
//!
//! The rule table alone is scored beside it for comparison. Both assert the target
//! of 0.85 precision and recall per stage.

use flywheel_domain::usage::QuestionStage;
use flywheel_insights::questions::model::{Model, Params, STAGES};
use flywheel_insights::questions::{
    calibrate, classify, classify_rules, classify_with, development_set, parse_labelled,
    TEMPERATURE, UNSURE_BELOW,
};

/// Per-stage (precision, recall), printed as a table with the misclassified questions.
fn score(
    title: &str,
    truth: &[(QuestionStage, &str)],
    predicted: &[QuestionStage],
) -> Vec<(f64, f64)> {
    println!("{title}\nstage        precision [95% CI]     recall [95% CI]        support");
    let mut out = Vec::new();
    for s in STAGES {
        let tp = truth
            .iter()
            .zip(predicted)
            .filter(|((t, _), p)| *t == s && **p == s)
            .count() as f64;
        let pred = predicted.iter().filter(|p| **p == s).count() as f64;
        let act = truth.iter().filter(|(t, _)| *t == s).count() as f64;
        let (p, r) = (tp / pred.max(1.0), tp / act.max(1.0));
        let ((pl, ph), (rl, rh)) = (wilson(tp, pred), wilson(tp, act));
        println!(
            "{:<12} {p:.3} [{pl:.2}, {ph:.2}]  {r:.3} [{rl:.2}, {rh:.2}]  {act:>7}",
            format!("{s:?}")
        );
        out.push((p, r));
    }
    let correct = truth
        .iter()
        .zip(predicted)
        .filter(|((t, _), p)| t == *p)
        .count();
    println!("accuracy {correct}/{}", truth.len());
    for ((t, q), p) in truth.iter().zip(predicted) {
        if t != p {
            println!("  {t:?} taken as {p:?}: {q}");
        }
    }
    out
}

/// The Wilson score interval (95%) of a proportion `k / n`: with 40 questions per stage a
/// measured 0.95 is compatible with anything from about 0.83 to 0.99, which the README
/// says beside the point estimates.
fn wilson(k: f64, n: f64) -> (f64, f64) {
    if n == 0.0 {
        return (0.0, 1.0);
    }
    let z = 1.959_964f64;
    let p = k / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    (centre - half, centre + half)
}

fn cross_validated(set: &[(QuestionStage, &str)], folds: usize) -> Vec<QuestionStage> {
    cross_validated_with(set, folds, Params::default())
}

/// Each question of the set read by a model trained on the other folds: `read(model,
/// question)` for every question, in order.
fn out_of_fold<T: Clone>(
    set: &[(QuestionStage, &str)],
    folds: usize,
    params: Params,
    read: impl Fn(&Model, &str) -> T,
    empty: T,
) -> Vec<T> {
    let mut out = vec![empty; set.len()];
    for k in 0..folds {
        let train: Vec<(QuestionStage, &str)> = set
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != k)
            .map(|(_, x)| *x)
            .collect();
        let m = Model::train_with(&train, params);
        for (i, (_, q)) in set.iter().enumerate().filter(|(i, _)| i % folds == k) {
            out[i] = read(&m, q);
        }
    }
    out
}

fn cross_validated_with(
    set: &[(QuestionStage, &str)],
    folds: usize,
    params: Params,
) -> Vec<QuestionStage> {
    out_of_fold(
        set,
        folds,
        params,
        |m, q| classify_with(m, q).stage,
        QuestionStage::Awareness,
    )
}

#[test]
fn cross_validated_on_the_development_set() {
    let set = development_set();
    assert!(set.len() >= 620, "{} questions", set.len());
    let rules: Vec<QuestionStage> = set.iter().map(|(_, q)| classify_rules(q).stage).collect();
    score(
        "rule table alone (written alongside most of this set: optimistic)",
        &set,
        &rules,
    );
    let predicted = cross_validated(&set, 10);
    let pr = score("learned model, 10-fold cross-validation", &set, &predicted);
    // The target, asserted; the measured values are in the README.
    for ((p, r), s) in pr.iter().zip(STAGES) {
        assert!(
            *p >= 0.85 && *r >= 0.85,
            "{s:?}: precision {p:.3}, recall {r:.3} in cross-validation"
        );
    }
}

#[test]
fn held_out_set() {
    let set = parse_labelled(include_str!("data/questions_heldout.tsv")).expect("labelled set");
    assert_eq!(set.len(), 160);
    let rules: Vec<QuestionStage> = set.iter().map(|(_, q)| classify_rules(q).stage).collect();
    score("rule table alone, held-out set", &set, &rules);
    let predicted: Vec<QuestionStage> = set.iter().map(|(_, q)| classify(q).stage).collect();
    let pr = score("shipped model, held-out set", &set, &predicted);
    // The target, asserted; the measured values are in the README.
    for ((p, r), s) in pr.iter().zip(STAGES) {
        assert!(
            *p >= 0.85 && *r >= 0.85,
            "{s:?}: precision {p:.3}, recall {r:.3} on the held-out set"
        );
    }
}

/// Cross-validated probabilities (uncalibrated) of the development set.
fn cross_validated_probabilities(set: &[(QuestionStage, &str)], folds: usize) -> Vec<[f32; 4]> {
    out_of_fold(
        set,
        folds,
        Params::default(),
        |m, q| m.predict(q).0,
        [0.25; 4],
    )
}

fn log_loss(set: &[(QuestionStage, &str)], probs: &[[f32; 4]], t: f32) -> f64 {
    set.iter()
        .zip(probs)
        .map(|((s, _), p)| {
            let c = calibrate(*p, t);
            let i = STAGES.iter().position(|x| x == s).unwrap_or(0);
            -f64::from(c[i].max(1e-9)).ln()
        })
        .sum::<f64>()
        / set.len() as f64
}

/// Expected calibration error over ten equal-width confidence bins: the gap between how
/// sure the model says it is and how often it is right, weighted by the bin's share.
fn expected_calibration_error(set: &[(QuestionStage, &str)], probs: &[[f32; 4]], t: f32) -> f64 {
    let mut bins = [(0usize, 0.0f64, 0usize); 10];
    for ((s, _), p) in set.iter().zip(probs) {
        let c = calibrate(*p, t);
        let best = (0..4).max_by(|a, b| c[*a].total_cmp(&c[*b])).unwrap_or(0);
        let b = ((c[best] * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += f64::from(c[best]);
        bins[b].2 += usize::from(STAGES[best] == *s);
    }
    bins.iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, conf, right)| {
            (*n as f64 / set.len() as f64) * (conf / *n as f64 - *right as f64 / *n as f64).abs()
        })
        .sum()
}

/// The confidence is calibrated: the shipped temperature minimises the cross-validated log
/// loss (within a grid step), the expected calibration error is small, and the questions
/// called "unsure" are the ones the model gets wrong most.
#[test]
fn calibrated_on_the_development_set() {
    let set = development_set();
    let probs = cross_validated_probabilities(&set, 10);
    let grid: Vec<f32> = (3..=20).map(|i| i as f32 * 0.1).collect();
    let (best_t, best_loss) = grid
        .iter()
        .map(|t| (*t, log_loss(&set, &probs, *t)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((1.0, f64::MAX));
    let (raw_ece, ece) = (
        expected_calibration_error(&set, &probs, 1.0),
        expected_calibration_error(&set, &probs, TEMPERATURE),
    );
    let shipped_loss = log_loss(&set, &probs, TEMPERATURE);
    println!("log loss: raw {:.3}, at T={TEMPERATURE} {shipped_loss:.3}, best T={best_t:.1} {best_loss:.3}", log_loss(&set, &probs, 1.0));
    println!("expected calibration error: raw {raw_ece:.3}, calibrated {ece:.3}");
    let (mut sure, mut sure_right, mut unsure, mut unsure_right) = (0u32, 0u32, 0u32, 0u32);
    for ((s, _), p) in set.iter().zip(&probs) {
        let c = calibrate(*p, TEMPERATURE);
        let best = (0..4).max_by(|a, b| c[*a].total_cmp(&c[*b])).unwrap_or(0);
        let right = u32::from(STAGES[best] == *s);
        if c[best] < UNSURE_BELOW {
            unsure += 1;
            unsure_right += right;
        } else {
            sure += 1;
            sure_right += right;
        }
    }
    println!("sure: {sure_right}/{sure} right; unsure (below {UNSURE_BELOW}): {unsure_right}/{unsure} right");
    for threshold in [0.4f32, 0.5, 0.6, 0.7, 0.8] {
        let (mut n, mut right) = (0, 0);
        for ((s, _), p) in set.iter().zip(&probs) {
            let c = calibrate(*p, TEMPERATURE);
            let best = (0..4).max_by(|a, b| c[*a].total_cmp(&c[*b])).unwrap_or(0);
            if c[best] >= threshold {
                n += 1;
                right += usize::from(STAGES[best] == *s);
            }
        }
        println!(
            "  at {threshold}: {n} of {} sure, {right} of them right",
            set.len()
        );
    }
    assert!(
        shipped_loss <= best_loss + 0.005,
        "the temperature is no longer the best: {best_t}"
    );
    assert!(ece <= 0.05, "calibration error {ece:.3}");
    assert!(
        f64::from(sure_right) / f64::from(sure)
            > f64::from(unsure_right) / f64::from(unsure.max(1)),
        "unsure answers are not the weaker ones"
    );
}

/// Chooses the training settings by cross-validation on the development set only (the
/// held-out set is never looked at here): `cargo test -p flywheel-insights --test questions
/// -- --ignored tune --nocapture`.
#[test]
#[ignore = "a parameter search, run by hand"]
fn tune() {
    let set = development_set();
    for char_grams in [false, true] {
        for epochs in [20, 40, 80] {
            for learning_rate in [0.05f32, 0.2, 0.5] {
                for l2 in [0.0f32, 1e-4, 1e-3, 1e-2] {
                    let params = Params {
                        epochs,
                        learning_rate,
                        l2,
                        char_grams,
                    };
                    let p = cross_validated_with(&set, 10, params);
                    let correct = set.iter().zip(&p).filter(|((t, _), p)| t == *p).count();
                    println!("{correct}/{}  {params:?}", set.len());
                }
            }
        }
    }
}
