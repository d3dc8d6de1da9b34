//! Program analytics on the demo company through the CLI: momentum, interventions.

use crate::{demo, flywheel, json, ok};

fn as_u64(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn momentum_shows_its_parts_and_withholds_small_groups() {
    let (db, _truth, _dir) = demo("800", "5");
    let m = json(&db, &["momentum", "--json"]);
    // The funnel narrows stage by stage at every snapshot, and adoption grew over time.
    let funnel = m["funnel"].as_array().expect("funnel");
    assert!(funnel.len() >= 5, "{} snapshots", funnel.len());
    for f in funnel {
        let stages: Vec<u64> = [
            "eligible", "access", "tried", "active", "habitual", "builder",
        ]
        .iter()
        .map(|k| as_u64(&f[*k]))
        .collect();
        assert!(stages.windows(2).all(|w| w[0] >= w[1]), "{stages:?}");
    }
    let tried = |f: &serde_json::Value| as_u64(&f["tried"]);
    assert!(tried(&funnel[funnel.len() - 1]) > 2 * tried(&funnel[0]));
    // The index is the mean of its parts' scores, each shown with value and target.
    let parts = m["index"]["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 8);
    let scores: Vec<f64> = parts.iter().filter_map(|p| p["score"].as_f64()).collect();
    let mean = 100.0 * scores.iter().sum::<f64>() / scores.len() as f64;
    let index = m["index"]["value"].as_f64().expect("index");
    assert!((index - mean).abs() < 1e-9, "{index} vs {mean}");
    assert!(parts
        .iter()
        .all(|p| p["target"].as_f64().is_some() && p["from"].is_string()));
    // The demo's trainings and waves make part of the demand organic; the demo planted
    // pull (people asking before their site's wave).
    assert!(
        as_u64(&m["organic"]["organic_requests"]) > 0,
        "{}",
        m["organic"]
    );
    assert!(
        m["organic"]["by_site_before_wave"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{}",
        m["organic"]
    );
    // The question mix matures: frontier and how-to questions grow month over month.
    let months = m["questions"].as_array().expect("questions");
    let late = |i: usize| -> f64 {
        months[i]["mix"]
            .as_array()
            .map(|mix| mix[2][1].as_f64().unwrap_or(0.0) + mix[3][1].as_f64().unwrap_or(0.0))
            .unwrap_or(0.0)
    };
    let shown: Vec<usize> = (0..months.len())
        .filter(|&i| months[i]["suppressed"].is_null())
        .collect();
    assert!(late(shown[shown.len() - 1]) > late(shown[0]), "{months:?}");
    assert_eq!(as_u64(&m["basis"]["min_group_size"]), 5);
    // The executive office (the CEO and a few) is below the minimum: withheld, with why.
    let exec = m["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|x| x["group"] == "Executive Office"))
        .expect("executive office row");
    assert!(exec["funnel"].as_array().is_some_and(Vec::is_empty));
    assert!(exec["suppressed"]
        .as_str()
        .is_some_and(|s| s.contains("fewer than 5 people")));
    // Quiet power users are counted; their ids only on request (and audited).
    assert!(m["quiet_power_users"]["people"].is_null());
    let mi = json(&db, &["momentum", "--json", "--individuals"]);
    assert_eq!(
        mi["quiet_power_users"]["people"].as_array().map(Vec::len),
        Some(as_u64(&mi["quiet_power_users"]["count"]) as usize)
    );

    // Raising the minimum group size withholds every group below it, and says so.
    ok(&db, &["admin", "min-group-size", "100"]);
    let m = json(&db, &["momentum", "--json", "--by", "site"]);
    assert_eq!(as_u64(&m["basis"]["min_group_size"]), 100);
    let groups = m["groups"].as_array().expect("groups");
    assert!(!groups.is_empty());
    for g in groups {
        match g["people"].as_u64() {
            Some(n) => assert!(n >= 100 && g["suppressed"].is_null(), "{g}"),
            None => assert!(
                g["suppressed"]
                    .as_str()
                    .is_some_and(|s| s.contains("fewer than 100")),
                "{g}"
            ),
        }
    }
    assert!(groups.iter().any(|g| !g["suppressed"].is_null()));
    let teams = json(&db, &["momentum", "--json", "--by", "team"]);
    assert!(
        as_u64(&teams["inequality"]["teams_suppressed"]) > 0
            && as_u64(&teams["inequality"]["teams"]) == 0,
        "{}",
        teams["inequality"]
    );
    // Tables for people, with every section.
    let text = ok(&db, &["momentum", "--by", "tool"]);
    for section in [
        "MOMENTUM INDEX",
        "FUNNEL",
        "BY TOOL",
        "ORGANIC DEMAND",
        "INEQUALITY",
        "QUIET POWER USERS",
    ] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
    let bad = flywheel(&db, &["admin", "min-group-size", "1"]);
    assert!(!bad.status.success());
}

#[test]
fn interventions_are_recorded_once_and_name_what_is_unknown() {
    let (db, truth, _dir) = demo("300", "3");
    // The demo recorded its two trainings.
    let list = json(&db, &["interventions", "list", "--json"]);
    let trained: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["unit_path"].as_str())
        .collect();
    let planted: Vec<&str> = truth["trainings"]
        .as_array()
        .expect("trainings")
        .iter()
        .filter_map(|t| t["department"].as_str())
        .collect();
    assert_eq!(trained, planted);
    let add = [
        "interventions",
        "add",
        "--kind",
        "training",
        "--site",
        "London",
        "--day",
        "2026-03-02",
    ];
    assert!(ok(&db, &add).contains("recorded intervention"));
    assert!(ok(&db, &add).contains("already recorded"));
    let n = json(&db, &["interventions", "list", "--json"])
        .as_array()
        .map(Vec::len);
    assert_eq!(n, Some(3));
    let bad = flywheel(
        &db,
        &[
            "interventions",
            "add",
            "--kind",
            "training",
            "--unit",
            "Nowhere",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no unit with path \"Nowhere\""));
    let bad = flywheel(&db, &["interventions", "add", "--kind", "training"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("needs a scope"));
}
