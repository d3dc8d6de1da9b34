//! "Can I?" in plain words, measured on two sets: the development set
//! (`crates/insights/data/can_i.tsv`, written to tune the reader's tables; every miss is
//! printed) and the frozen held-out set of issue 20 (`crates/insights/heldout/can_i.tsv`,
//! committed before any change to the reader and never tuned on; only its counts are
//! printed). Questions are read by `ask_words::read_question` against the demo catalog and
//! decided by `ask_words::resolve` with the default policies, as `/cani`, the Teams webhook
//! and `flywheel can-i "…"` do. Run with `--nocapture` for the numbers.

use flywheel_app::ask_words::{read_question, resolve, AskCatalog, Resolved};
use flywheel_domain::program::Tool;
use flywheel_policy::{Asker, Decider, Policies};

#[derive(serde::Deserialize)]
struct Catalog {
    tool: Vec<Tool>,
}

/// Counts of one set: right, wrong Yes, asked back instead of deciding, No instead of Yes
/// or a choice.
struct Counts {
    items: usize,
    right: usize,
    wrong_yes: usize,
    asked_instead: usize,
    no_instead: usize,
}

fn measure(file: &str, show_misses: bool) -> Counts {
    let root = env!("CARGO_MANIFEST_DIR");
    let catalog: Catalog = toml::from_str(
        &std::fs::read_to_string(format!("{root}/../../config/catalog.toml")).expect("catalog"),
    )
    .expect("the demo catalog");
    let policies = Policies::defaults().expect("the default policies");
    let decider = Decider::new(&policies, &catalog.tool).expect("decider");
    let words = AskCatalog::of(&catalog.tool);
    let asker = Asker {
        role: "employee".into(),
        ..Asker::default()
    };
    let set: Vec<Vec<String>> = std::fs::read_to_string(format!("{root}/../insights/{file}"))
        .expect("the set")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    let mut c = Counts {
        items: set.len(),
        right: 0,
        wrong_yes: 0,
        asked_instead: 0,
        no_instead: 0,
    };
    for r in &set {
        let want = r[0].as_str();
        let reading = read_question(&r[4], &words);
        let got = match resolve(&reading, &words, |q| {
            decider.ask(&asker, q).is_ok_and(|a| a.allowed)
        }) {
            Resolved::Decided { allowed: true, .. } => "yes",
            Resolved::Decided { allowed: false, .. } => "no",
            Resolved::Ask => "ask",
        };
        if got == want {
            c.right += 1;
            continue;
        }
        match got {
            "yes" => c.wrong_yes += 1,
            "ask" => c.asked_instead += 1,
            _ => c.no_instead += 1,
        }
        if show_misses {
            println!(
                "  {want} taken as {got}: {} (read {:?} / {:?} / {:?}, could be {:?})",
                r[4], reading.tool, reading.purpose, reading.data_class, reading.tool_candidates
            );
        }
    }
    println!(
        "\"Can I?\" on {file}: {} questions, {} right ({:.3}), {} wrong Yes, {} asked back instead of deciding, {} No instead of Yes or a choice",
        c.items,
        c.right,
        c.right as f64 / c.items as f64,
        c.wrong_yes,
        c.asked_instead,
        c.no_instead
    );
    c
}

#[test]
fn can_i_in_plain_words_on_the_development_set() {
    let c = measure("data/can_i.tsv", true);
    assert!(c.items >= 50);
    assert!(
        c.right as f64 >= 0.95 * c.items as f64,
        "{} right of {}",
        c.right,
        c.items
    );
    assert_eq!(c.wrong_yes, 0);
}

#[test]
fn can_i_in_plain_words_on_the_frozen_held_out_set() {
    let c = measure("heldout/can_i.tsv", false);
    assert!(c.items >= 150, "{} items", c.items);
    let share = c.right as f64 / c.items as f64;
    // First measured on 2026-12-07: 59 of 154 right (0.383), 1 wrong Yes, 94 asked back
    // (the reader decided almost nothing). With the alias, purpose and data-class tables
    // (2026-12-08): 132 right (0.857), 2 wrong Yes, 19 asked back. The target is 0.95 and
    // no wrong Yes; both are held at their latest level until then.
    assert!(share >= 0.85, "fell to {share:.3}");
    assert!(c.wrong_yes <= 2, "{} wrong Yes", c.wrong_yes);
}
