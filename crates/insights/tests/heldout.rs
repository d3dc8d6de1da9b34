//! The frozen held-out sets of issue 20 (`heldout/`), measured with the readers as they
//! are: question detection, stage, and time saved. Run with `--nocapture` for the numbers.
//!
//! The sets were written and committed before any change to the readers; nothing is tuned
//! on them. Until the readers reach the targets, each number is held at least at
//! its first measurement (a ratchet: a change that makes a reader worse on text it never
//! saw fails the build); once a target is met, the target becomes the floor.

use flywheel_domain::usage::QuestionStage;
use flywheel_insights::questions::{classify, is_question};
use flywheel_insights::wins::time_saved;

fn rows(file: &str) -> Vec<Vec<String>> {
    let path = format!("{}/heldout/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn stage(label: &str) -> Option<QuestionStage> {
    match label {
        "awareness" => Some(QuestionStage::Awareness),
        "access" => Some(QuestionStage::Access),
        "howto" => Some(QuestionStage::HowTo),
        "frontier" => Some(QuestionStage::Frontier),
        "none" => None,
        other => panic!("unknown label {other:?}"),
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[test]
fn question_detection_and_stage_on_the_frozen_held_out_set() {
    let set = rows("questions.tsv");
    assert!(set.len() >= 150, "{} items", set.len());
    let truth: Vec<(Option<QuestionStage>, &str)> =
        set.iter().map(|r| (stage(&r[0]), r[1].as_str())).collect();
    // Detection: is it a request for help at all?
    let detected: Vec<bool> = truth.iter().map(|(_, t)| is_question(t)).collect();
    let tp = truth
        .iter()
        .zip(&detected)
        .filter(|((s, _), d)| s.is_some() && **d)
        .count();
    let fp = truth
        .iter()
        .zip(&detected)
        .filter(|((s, _), d)| s.is_none() && **d)
        .count();
    let questions = truth.iter().filter(|(s, _)| s.is_some()).count();
    let (precision, recall) = (ratio(tp, tp + fp), ratio(tp, questions));
    println!("detection on {} posts ({questions} questions): precision {precision:.3}, recall {recall:.3}", truth.len());
    let unsure = truth
        .iter()
        .zip(&detected)
        .filter(|((_, t), d)| **d && classify(t).unsure)
        .count();
    println!("  {unsure} detected questions of no stage (the classifier unsure)");
    // Stage, end to end: a question counts when it is detected and its stage is right.
    let mut worst = (1.0f64, 1.0f64);
    let mut right = 0;
    for s in [
        QuestionStage::Awareness,
        QuestionStage::Access,
        QuestionStage::HowTo,
        QuestionStage::Frontier,
    ] {
        // An unsure stage is said of no stage: it counts against recall, never precision.
        let predicted: Vec<Option<QuestionStage>> = truth
            .iter()
            .zip(&detected)
            .map(|((_, t), d)| {
                d.then(|| classify(t))
                    .filter(|c| !c.unsure)
                    .map(|c| c.stage)
            })
            .collect();
        let hit = truth
            .iter()
            .zip(&predicted)
            .filter(|((t, _), p)| *t == Some(s) && **p == Some(s))
            .count();
        let said = predicted.iter().filter(|p| **p == Some(s)).count();
        let real = truth.iter().filter(|(t, _)| *t == Some(s)).count();
        let (p, r) = (ratio(hit, said), ratio(hit, real));
        println!("  {s:?}: precision {p:.3}, recall {r:.3} (of {real})");
        worst = (worst.0.min(p), worst.1.min(r));
        right += hit;
    }
    println!("  {right} of {questions} questions detected with the right stage");
    // The targets are 0.95 (detection) and 0.85 per stage. First measured (2026-12-07):
    // detection 0.989 / 0.701, the worst stage 0.741 / 0.469. With the scored detector
    // (2026-12-08): detection 0.976 / 0.969. Both are held at the target.
    assert!(
        precision >= 0.95 && recall >= 0.95,
        "detection fell: {precision:.3} / {recall:.3}"
    );
    // The stages, end to end (detected, sure and right). 2026-12-08, with the new
    // detector, the stems, the added training questions and the unsure outcome: 109 of 127
    // right; the worst precision 0.848 (awareness), the worst recall 0.844 (access). A stage
    // is 30-odd questions, so one question moves a cell by 0.03: the count is held at its
    // level, each cell within one question of it.
    assert!(right >= 109, "fewer questions right: {right}");
    assert!(
        worst.0 >= 0.81 && worst.1 >= 0.81,
        "a stage fell: {worst:?}"
    );
}

#[test]
fn time_saved_on_the_frozen_held_out_set() {
    let set = rows("wins.tsv");
    assert!(set.len() >= 150, "{} items", set.len());
    let (mut stated, mut exact, mut wrong, mut missed, mut invented, mut on_notwins) =
        (0, 0, 0, 0, 0, 0);
    for r in &set {
        let read = time_saved(&r[5]);
        let want: Option<(f64, &str)> = r[3].parse::<f64>().ok().map(|m| (m, r[4].as_str()));
        match (r[0].as_str(), want, read) {
            ("win", Some((m, per)), Some(got)) => {
                stated += 1;
                if (got.minutes_saved - m).abs() < 0.5 && got.per.as_str() == per {
                    exact += 1;
                } else {
                    wrong += 1;
                }
            }
            ("win", Some(_), None) => {
                stated += 1;
                missed += 1;
            }
            ("win", None, Some(_)) => invented += 1,
            ("notwin", _, Some(_)) => on_notwins += 1,
            _ => {}
        }
    }
    println!(
        "time saved on {} posts: {exact} of {stated} stated figures exact ({:.3}), {wrong} wrong numbers, {missed} missed, {invented} figures read from wins that state none, {on_notwins} from posts that are not wins",
        set.len(),
        ratio(exact, stated)
    );
    // The target is 0.90 exact and no wrong number. First measured (2026-12-07): 41 of 114
    // exact (0.360), 10 wrong numbers, 2 figures from posts that are not wins. With the
    // duration grammar (2026-12-08): 107 of 114 (0.939), 2 wrong, 1 from a post that is
    // not a win. The exact share is held at the target, the wrong numbers at their level
    // until they reach none.
    assert!(
        ratio(exact, stated) >= 0.90,
        "exact fell below the target: {exact} of {stated}"
    );
    assert!(wrong <= 2, "more wrong numbers: {wrong}");
    assert!(
        on_notwins <= 1,
        "more figures from posts that are not wins: {on_notwins}"
    );
    assert_eq!(invented, 0, "figures read from wins that state none");
}
