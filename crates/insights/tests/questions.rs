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
    classify, classify_rules, classify_with, development_set, parse_labelled,
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

fn cross_validated_with(
    set: &[(QuestionStage, &str)],
    folds: usize,
    params: Params,
) -> Vec<QuestionStage> {
    let mut predicted = vec![QuestionStage::Awareness; set.len()];
    for k in 0..folds {
        let train: Vec<(QuestionStage, &str)> = set
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != k)
            .map(|(_, x)| *x)
            .collect();
        let m = Model::train_with(&train, params);
        for (i, (_, q)) in set.iter().enumerate().filter(|(i, _)| i % folds == k) {
            predicted[i] = classify_with(&m, q).stage;
        }
    }
    predicted
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
