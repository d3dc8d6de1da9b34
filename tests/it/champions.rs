//! Natural champions and champion-network plans on the demo company, through the CLI.

use std::collections::{HashMap, HashSet};

use crate::{demo, flywheel, json, ok, people_json};

/// `flywheel champions plan --json` with `args`.
fn plan_json(db: &str, args: &[&str]) -> serde_json::Value {
    json(db, &[&["champions", "plan", "--json"], args].concat())
}

/// `flywheel champions set --person ID --status STATUS` with any further `args`.
fn set(db: &str, person: &str, status: &str, args: &[&str]) {
    ok(
        db,
        &[
            &["champions", "set", "--person", person, "--status", status],
            args,
        ]
        .concat(),
    );
}

/// The top suggestions, as many as were planted, find most of them, and explain
/// themselves; the suggested people, best first.
fn suggestions_find_the_planted(db: &str, planted: &HashSet<i64>) -> Vec<i64> {
    let top = planted.len().to_string();
    let s = json(db, &["champions", "suggest", "--json", "--top", &top]);
    let suggested: Vec<i64> = s["suggestions"]
        .as_array()
        .expect("suggestions")
        .iter()
        .filter_map(|x| x["person"].as_i64())
        .collect();
    let found = suggested.iter().filter(|p| planted.contains(p)).count();
    assert!(
        found * 10 >= planted.len() * 6,
        "found {found} of {} planted champions among the top {top}",
        planted.len()
    );
    // Every suggestion explains itself with its numbers and shows all its parts.
    let first = &s["suggestions"][0];
    assert_eq!(
        first["percentiles"].as_object().map(serde_json::Map::len),
        Some(8)
    );
    let why = first["evidence"]["explanation"].as_str().unwrap_or("");
    assert!(
        why.contains("close contacts started using AI within 3 weeks") && why.contains("active in"),
        "{why}"
    );
    assert!(
        s["basis"]["adopters"].as_u64().unwrap_or(0) > 100,
        "{}",
        s["basis"]
    );

    // The text output is a readable table with the same people.
    let text = ok(db, &["champions", "suggest", "--top", "3"]);
    assert!(
        text.contains("rank") && text.contains("six strongest of eight percentiles"),
        "{text}"
    );
    suggested
}

/// The Walk plan (nobody volunteered: the invite list) beats seniority and random in
/// simulation, and covers every department.
fn walk_plan_beats_appointed_ones(db: &str) {
    let p = plan_json(db, &["--stage", "walk", "--runs", "300"]);
    let arm = |name: &str| {
        p["comparison"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"].as_str() == Some(name)))
            .unwrap_or_else(|| panic!("no arm {name}: {p}"))
            .clone()
    };
    let (plan, seniority, random) = (
        arm("natural champions (plan)"),
        arm("seniority"),
        arm("random"),
    );
    let mean = |a: &serde_json::Value| a["mean_adopters"].as_f64().unwrap_or(0.0);
    let ci = |a: &serde_json::Value| a["ci95"].as_f64().unwrap_or(0.0);
    assert!(
        mean(&plan) - ci(&plan) > mean(&seniority) + ci(&seniority),
        "plan {} ± {} vs seniority {} ± {}",
        mean(&plan),
        ci(&plan),
        mean(&seniority),
        ci(&seniority)
    );
    assert!(mean(&plan) > mean(&random));
    let k = p["k"].as_u64().unwrap_or(0);
    assert!((10..=15).contains(&k), "walk plans 10–15: {k}");
    assert_eq!(p["champions"].as_array().map(Vec::len), Some(k as usize));
    assert_eq!(
        plan["groups_covered"], p["groups"],
        "every department covered"
    );
    assert!(p["candidates"]
        .as_str()
        .unwrap_or("")
        .starts_with("invite list"));
    assert_eq!(
        p["guarantee"].as_f64().map(|g| (g * 100.0).round()),
        Some(40.0),
        "1/2 − ε"
    );
    let bands = plan["bands"].as_array().expect("bands");
    assert!(!bands.is_empty() && bands.iter().all(|b| b.as_array().map(Vec::len) == Some(5)));
}

#[test]
fn natural_champions_are_found_and_their_plan_beats_appointed_ones() {
    let (db, truth, _dir) = demo("1500", "21");
    // Store ids of the planted champions (the ground truth names HRIS ids).
    let by_hris: HashMap<String, i64> = people_json(&db)
        .iter()
        .filter_map(|p| Some((p["hris_id"].as_str()?.to_owned(), p["id"].as_i64()?)))
        .collect();
    let planted: HashSet<i64> = truth["champions"]
        .as_array()
        .expect("champions")
        .iter()
        .filter_map(|h| by_hris.get(h.as_str()?).copied())
        .collect();
    assert!(planted.len() >= 10, "{} planted", planted.len());

    let suggested = suggestions_find_the_planted(&db, &planted);
    walk_plan_beats_appointed_ones(&db);

    // Opting out removes a person from suggestions and plans; volunteers become the pool.
    let top_person = suggested[0].to_string();
    set(&db, &top_person, "opted-out", &[]);
    let s2 = json(&db, &["champions", "suggest", "--json", "--top", "1000"]);
    assert!(s2["suggestions"]
        .as_array()
        .expect("suggestions")
        .iter()
        .all(|x| x["person"].as_i64() != Some(suggested[0])));
    let volunteers: Vec<String> = suggested[1..].iter().take(6).map(i64::to_string).collect();
    for v in &volunteers {
        set(&db, v, "volunteer", &[]);
    }
    let p2 = plan_json(&db, &["--stage", "walk", "--runs", "50"]);
    assert_eq!(p2["candidates"], "volunteers");
    let chosen: Vec<String> = p2["champions"]
        .as_array()
        .expect("champions")
        .iter()
        .filter_map(|c| c["person"].as_i64().map(|x| x.to_string()))
        .collect();
    assert!(
        !chosen.is_empty() && chosen.iter().all(|c| volunteers.contains(c)),
        "{chosen:?}"
    );

    // Serving champions past their term are flagged for rotation.
    set(&db, &volunteers[0], "active", &["--since", "2025-01-01"]);
    let p3 = plan_json(
        &db,
        &["--stage", "run", "--runs", "20", "--term-days", "180"],
    );
    let past = p3["rotation"]["past_term"].as_array().expect("past_term");
    assert!(
        past.iter()
            .any(|x| x["person"].as_i64().map(|i| i.to_string()) == Some(volunteers[0].clone())),
        "{}",
        p3["rotation"]
    );
    // Reading individual-level evidence and changing statuses are audited.
    let actions: Vec<String> = flywheel_testkit::block_on(async {
        let store = flywheel_store::Store::open(&db).await.expect("open");
        store.audit_log(1000).await.expect("audit log")
    })
    .into_iter()
    .map(|e| e.action)
    .collect();
    for action in ["champions.suggest", "champions.plan", "champion.status"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    // An unknown person is a clear error.
    let bad = flywheel(
        &db,
        &[
            "champions",
            "set",
            "--person",
            "999999",
            "--status",
            "volunteer",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no person with id 999999"));
}
