//! The frozen "Can I?" held-out set of issue 20 (`crates/insights/heldout/can_i.tsv`):
//! plain-words questions read by `chat_ask::read_question` against the demo catalog and
//! decided by the default policies, as `/cani` and the Teams webhook do. Run with
//! `--nocapture` for the numbers. The set was committed before any change to the reader;
//! nothing is tuned on it. The first measurement is the floor until the target (95% right,
//! no wrong Yes) is met.

use flywheel_app::chat_ask::read_question;
use flywheel_domain::program::Tool;
use flywheel_policy::{Asker, Decider, Policies, Question};

#[derive(serde::Deserialize)]
struct Catalog {
    tool: Vec<Tool>,
}

#[test]
fn can_i_in_plain_words_on_the_frozen_held_out_set() {
    let root = env!("CARGO_MANIFEST_DIR");
    let catalog: Catalog = toml::from_str(
        &std::fs::read_to_string(format!("{root}/../../config/catalog.toml")).expect("catalog"),
    )
    .expect("the demo catalog");
    let policies = Policies::defaults().expect("the default policies");
    let decider = Decider::new(&policies, &catalog.tool).expect("decider");
    let tools: Vec<String> = catalog.tool.iter().map(|t| t.name.clone()).collect();
    let purposes = decider.purposes();
    let asker = Asker {
        role: "employee".into(),
        ..Asker::default()
    };
    let set: Vec<Vec<String>> =
        std::fs::read_to_string(format!("{root}/../insights/heldout/can_i.tsv"))
            .expect("the set")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect();
    assert!(set.len() >= 150, "{} items", set.len());
    let (mut right, mut wrong_yes, mut asked_instead, mut no_instead) =
        (0usize, 0usize, 0usize, 0usize);
    for r in &set {
        let want = r[0].as_str();
        let reading = read_question(&r[4], &tools, &purposes);
        let got = match (&reading.tool, &reading.purpose, &reading.data_class) {
            (Some(tool), Some(purpose), Some(class)) => {
                let q = Question {
                    tool: tool.clone(),
                    purpose: purpose.clone(),
                    data_class: class.clone(),
                };
                if decider.ask(&asker, &q).expect("a decision").allowed {
                    "yes"
                } else {
                    "no"
                }
            }
            _ => "ask",
        };
        if got == want {
            right += 1;
        } else if got == "yes" {
            wrong_yes += 1;
        } else if got == "ask" {
            asked_instead += 1;
        } else {
            no_instead += 1;
        }
    }
    let share = right as f64 / set.len() as f64;
    println!(
        "\"Can I?\" on {} questions: {right} right ({share:.3}), {wrong_yes} wrong Yes, {asked_instead} asked back instead of deciding, {no_instead} No instead of Yes or a choice",
        set.len()
    );
    // First measured on 2026-12-07: 59 of 154 right (0.383), 1 wrong Yes, 94 asked back.
    // The target is 0.95 and no wrong Yes.
    assert!(share >= 0.38, "fell to {share:.3}");
    assert!(wrong_yes <= 1, "{wrong_yes} wrong Yes");
}
