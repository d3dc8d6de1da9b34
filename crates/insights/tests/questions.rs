//! The question-maturity classifier, measured two ways (run with `--nocapture` for the
//! tables and the misclassified questions):
//!
//! * 10-fold cross-validation on the development set (`data/`, 320 questions): the model is
//!   trained on nine folds and scored on the tenth, so no question is scored by a model
//!   that saw it.
//! * a fresh held-out set (`tests/data/questions_fresh.tsv`, 120 questions) written before
//!   the model existed and never used to tune it, scored by the shipped model.
//!
//! The rule table alone is scored beside it for comparison.

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
    println!("{title}\nstage        precision  recall  support");
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
        println!("{:<12} {p:>9.3}  {r:>6.3}  {act:>7}", format!("{s:?}"));
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
    assert!(set.len() >= 320, "{} questions", set.len());
    let rules: Vec<QuestionStage> = set.iter().map(|(_, q)| classify_rules(q).stage).collect();
    score(
        "rule table alone (written alongside most of this set: optimistic)",
        &set,
        &rules,
    );
    let predicted = cross_validated(&set, 10);
    let pr = score("learned model, 10-fold cross-validation", &set, &predicted);
    // A floor that catches regressions; the measured values (and where they miss the
    // 0.85 target) are in the README.
    for ((p, r), s) in pr.iter().zip(STAGES) {
        assert!(
            *p >= 0.8 && *r >= 0.8,
            "{s:?}: precision {p:.3}, recall {r:.3} in cross-validation"
        );
    }
}

#[test]
fn fresh_held_out_set() {
    let set = parse_labelled(include_str!("data/questions_fresh.tsv")).expect("labelled set");
    assert_eq!(set.len(), 120);
    let rules: Vec<QuestionStage> = set.iter().map(|(_, q)| classify_rules(q).stage).collect();
    score("rule table alone, fresh held-out set", &set, &rules);
    let predicted: Vec<QuestionStage> = set.iter().map(|(_, q)| classify(q).stage).collect();
    let pr = score("shipped model, fresh held-out set", &set, &predicted);
    // A floor that catches regressions; the measured values are in the README.
    for ((p, r), s) in pr.iter().zip(STAGES) {
        assert!(
            *p >= 0.7 && *r >= 0.7,
            "{s:?}: precision {p:.3}, recall {r:.3} on the fresh set"
        );
    }
}

/// Chooses the training settings by cross-validation on the development set only (the
/// fresh set is never looked at here): `cargo test -p flywheel-insights --test questions
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
