//! Question detection on its development set (`data/detection.tsv`, plus every labelled
//! question of `data/questions*.tsv` as a request); the frozen held-out set is measured in
//! `heldout.rs`. Run with `--nocapture` for the numbers and every miss.

use flywheel_insights::questions::{development_set, is_question};

#[test]
fn detection_on_the_development_set() {
    let mut set: Vec<(bool, &str)> = include_str!("../data/detection.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (label, text) = l.split_once('\t').expect("label<TAB>text");
            assert!(matches!(label, "q" | "none"), "{l}");
            (label == "q", text)
        })
        .collect();
    set.extend(development_set().into_iter().map(|(_, q)| (true, q)));
    let (mut tp, mut fp, mut missed) = (0usize, 0usize, 0usize);
    for (want, text) in &set {
        match (want, is_question(text)) {
            (true, true) => tp += 1,
            (false, true) => {
                fp += 1;
                println!("  taken for a request: {text}");
            }
            (true, false) => {
                missed += 1;
                println!("  missed: {text}");
            }
            (false, false) => {}
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + missed).max(1) as f64;
    println!(
        "development set ({} posts): precision {precision:.3}, recall {recall:.3}",
        set.len()
    );
    assert!(
        precision >= 0.97 && recall >= 0.97,
        "{precision:.3} / {recall:.3}"
    );
}
