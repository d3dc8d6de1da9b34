//! The question-maturity classifier measured on the labelled set: per-stage precision and
//! recall must each be at least 0.85. Run with `--nocapture` to see the table and the
//! misclassified questions.

use flywheel_domain::usage::QuestionStage;
use flywheel_insights::questions::classify;

fn stage(s: &str) -> QuestionStage {
    match s {
        "awareness" => QuestionStage::Awareness,
        "access" => QuestionStage::Access,
        "howto" => QuestionStage::HowTo,
        "frontier" => QuestionStage::Frontier,
        other => panic!("unknown stage {other:?} in the labelled set"),
    }
}

/// The (stage, question) pairs of a labelled TSV file.
fn load(data: &str) -> Vec<(QuestionStage, &str)> {
    data.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (s, q) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("no tab in {l:?}"));
            (stage(s), q)
        })
        .collect()
}

#[test]
fn precision_and_recall_per_stage() {
    let data = include_str!("data/questions.tsv");
    let labelled = load(data);
    assert!(
        labelled.len() >= 200,
        "the labelled set has {} questions",
        labelled.len()
    );
    let stages = [
        QuestionStage::Awareness,
        QuestionStage::Access,
        QuestionStage::HowTo,
        QuestionStage::Frontier,
    ];
    let predicted: Vec<QuestionStage> = labelled.iter().map(|(_, q)| classify(q).stage).collect();
    let mut failures = Vec::new();
    println!("stage        precision  recall  support");
    for s in stages {
        let tp = labelled
            .iter()
            .zip(&predicted)
            .filter(|((t, _), p)| *t == s && **p == s)
            .count() as f64;
        let predicted_s = predicted.iter().filter(|p| **p == s).count() as f64;
        let actual_s = labelled.iter().filter(|(t, _)| *t == s).count() as f64;
        let (p, r) = (tp / predicted_s.max(1.0), tp / actual_s.max(1.0));
        println!("{:<12} {p:>9.3}  {r:>6.3}  {actual_s:>7}", format!("{s:?}"));
        if p < 0.85 || r < 0.85 {
            failures.push(format!("{s:?}: precision {p:.3}, recall {r:.3}"));
        }
    }
    for ((t, q), p) in labelled.iter().zip(&predicted) {
        if t != p {
            println!("  {t:?} taken as {p:?}: {q}   {:?}", classify(q).cues);
        }
    }
    assert!(failures.is_empty(), "below 0.85: {failures:?}");
}

/// Held-out questions written after the rules were fixed: reported, with a floor that
/// catches regressions rather than the 0.85 target (which the tuned set meets).
#[test]
fn held_out_set() {
    let data = include_str!("data/questions_heldout.tsv");
    let labelled = load(data);
    let predicted: Vec<QuestionStage> = labelled.iter().map(|(_, q)| classify(q).stage).collect();
    let correct = labelled
        .iter()
        .zip(&predicted)
        .filter(|((t, _), p)| t == *p)
        .count();
    println!("held out: {correct}/{} correct", labelled.len());
    for s in [
        QuestionStage::Awareness,
        QuestionStage::Access,
        QuestionStage::HowTo,
        QuestionStage::Frontier,
    ] {
        let tp = labelled
            .iter()
            .zip(&predicted)
            .filter(|((t, _), p)| *t == s && **p == s)
            .count() as f64;
        let pred = predicted.iter().filter(|p| **p == s).count() as f64;
        let act = labelled.iter().filter(|(t, _)| *t == s).count() as f64;
        println!(
            "{:<12} precision {:.3}  recall {:.3}",
            format!("{s:?}"),
            tp / pred.max(1.0),
            tp / act.max(1.0)
        );
    }
    for ((t, q), p) in labelled.iter().zip(&predicted) {
        if t != p {
            println!("  {t:?} taken as {p:?}: {q}");
        }
    }
    assert!(
        correct as f64 / labelled.len() as f64 >= 0.6,
        "held-out accuracy fell below 0.6"
    );
}
