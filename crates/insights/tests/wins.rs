//! The time-saved reader on its development set (`data/wins.tsv`, written to tune the
//! duration grammar; the frozen held-out set is measured in `heldout.rs`). Run with
//! `--nocapture` for the numbers and every miss.

use flywheel_insights::wins::time_saved;

#[test]
fn time_saved_on_the_development_set() {
    let (mut stated, mut exact, mut wrong, mut invented, mut on_notwins) = (0, 0, 0, 0, 0);
    let data = include_str!("../data/wins.tsv");
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let r: Vec<&str> = line.split('\t').collect();
        assert_eq!(r.len(), 6, "{line}");
        let read = time_saved(r[5]);
        let want = r[3].parse::<f64>().ok().map(|m| (m, r[4]));
        match (r[0], want, &read) {
            ("win", Some((m, per)), Some(got)) => {
                stated += 1;
                if (got.minutes_saved - m).abs() < 0.5 && got.per.as_str() == per {
                    exact += 1;
                } else {
                    wrong += 1;
                    println!(
                        "  wrong: {m} {per} read as {} {}: {}",
                        got.minutes_saved,
                        got.per.as_str(),
                        r[5]
                    );
                }
            }
            ("win", Some((m, per)), None) => {
                stated += 1;
                println!("  missed: {m} {per}: {}", r[5]);
            }
            ("win", None, Some(got)) => {
                invented += 1;
                println!("  invented: {}: {}", got.minutes_saved, r[5]);
            }
            ("notwin", _, Some(got)) => {
                on_notwins += 1;
                println!("  not a win, read {}: {}", got.minutes_saved, r[5]);
            }
            _ => {}
        }
    }
    println!("development set: {exact} of {stated} exact, {wrong} wrong, {invented} invented, {on_notwins} on posts that are not wins");
    assert!(
        f64::from(exact) >= 0.95 * f64::from(stated),
        "{exact} of {stated}"
    );
    assert_eq!((wrong, invented, on_notwins), (0, 0, 0));
}
