//! Program analytics on the demo company through the CLI: momentum, interventions.

use crate::{demo, flywheel, json, ok};

fn as_u64(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// The departments the demo trained (its ground truth), in order.
fn trained_departments(truth: &serde_json::Value) -> Vec<&str> {
    truth["trainings"]
        .as_array()
        .expect("trainings")
        .iter()
        .filter_map(|t| t["department"].as_str())
        .collect()
}

/// The id of the intervention recorded for the unit at `path`.
fn intervention_id(db: &str, path: &str) -> String {
    let list = json(db, &["interventions", "list", "--json"]);
    list.as_array()
        .and_then(|l| l.iter().find(|i| i["unit_path"] == path))
        .and_then(|i| i["id"].as_i64())
        .unwrap_or_else(|| panic!("no intervention for {path}: {list}"))
        .to_string()
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
    let planted = trained_departments(&truth);
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

#[test]
fn stage_gates_show_their_evidence_and_keep_a_history() {
    let (db, truth, dir) = demo("800", "5");
    let e = json(&db, &["stages", "--json"]);
    let stages = e["stages"].as_array().expect("stages");
    let names: Vec<&str> = stages.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["crawl", "walk", "run", "fly"]);
    for s in stages {
        for c in s["criteria"].as_array().expect("criteria") {
            assert!(c["label"].is_string() && c["detail"].is_string(), "{c}");
            assert!(c["at_least"].is_number() || c["at_most"].is_number(), "{c}");
            assert!(c["pass"].is_boolean());
        }
    }
    let criterion = |e: &serde_json::Value, metric: &str| {
        e["stages"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| s["criteria"].as_array().into_iter().flatten())
            .find(|c| c["metric"] == metric)
            .unwrap_or_else(|| panic!("no {metric}"))
            .clone()
    };
    // The demo's pilot works (the CEO among the first users) and its planted champions
    // serve, but too few and in too few departments: Crawl is reached, Walk is not, and
    // says why.
    assert_eq!(e["reached"], "crawl", "{e}");
    assert_eq!(e["next"], "walk");
    assert_eq!(criterion(&e, "ceo_active")["value"], 1.0);
    let planted = truth["champions"]
        .as_array()
        .map(Vec::len)
        .expect("champions");
    let serving = criterion(&e, "champions_serving");
    assert_eq!(
        (serving["value"].as_f64(), serving["pass"].as_bool()),
        (Some(planted as f64), Some(false))
    );
    let coverage = criterion(&e, "champion_department_coverage");
    assert!(coverage["pass"].as_bool() == Some(false), "{coverage}");
    assert!(criterion(&e, "organic_demand_untrained")["pass"].as_bool() == Some(true));
    let first_id = e["saved_as"].as_i64().expect("stored");

    // Appoint one champion in each department (two where there is room): Walk's champion
    // criteria pass.
    let s = json(&db, &["champions", "suggest", "--json", "--top", "400"]);
    let mut per_dept: std::collections::HashMap<String, usize> = Default::default();
    let mut appointed = 0;
    for x in s["suggestions"].as_array().expect("suggestions") {
        let dept = x["department"].as_str().unwrap_or("").to_owned();
        let n = per_dept.entry(dept).or_default();
        if *n < 2 && appointed < 15 {
            *n += 1;
            appointed += 1;
            let id = x["person"].to_string();
            ok(
                &db,
                &["champions", "set", "--person", &id, "--status", "active"],
            );
        }
    }
    let e2 = json(&db, &["stages", "--json"]);
    let coverage = criterion(&e2, "champion_department_coverage");
    assert!(coverage["pass"].as_bool() == Some(true), "{coverage}");
    assert!(criterion(&e2, "champions_serving")["pass"].as_bool() == Some(true));
    // Every evaluation is stored, newest first.
    let h = json(&db, &["stages", "--history", "10", "--json"]);
    let ids: Vec<i64> = h
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[1], first_id);
    assert_eq!(
        h[0]["evaluation"]["stages"].as_array().map(Vec::len),
        Some(4)
    );
    let _ = json(&db, &["stages", "--json", "--no-save"]);
    assert_eq!(
        json(&db, &["stages", "--history", "10", "--json"])
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // The gates come from TOML: the defaults round-trip, and mistakes are named.
    let defaults = ok(&db, &["stages", "--print-defaults"]);
    let path = crate::write(dir.path(), "stages.toml", &defaults);
    let e3 = json(&db, &["stages", "--json", "--no-save", "--config", &path]);
    assert_eq!(e3["reached"], e2["reached"]);
    let strict = defaults.replace("at_least = 50", "at_least = 100000");
    let path = crate::write(dir.path(), "strict.toml", &strict);
    let e4 = json(&db, &["stages", "--json", "--no-save", "--config", &path]);
    assert_eq!(criterion(&e4, "active_users")["pass"], false);
    let bad = defaults.replace("metric = \"wins_shared\"", "metric = \"vibes\"");
    let path = crate::write(dir.path(), "bad.toml", &bad);
    let out = flywheel(&db, &["stages", "--config", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("bad.toml")
            && err.contains("unknown metric \"vibes\""),
        "{err}"
    );
    let path = crate::write(dir.path(), "broken.toml", "[[stage]\nname = 1\n");
    let out = flywheel(&db, &["stages", "--config", &path]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("broken.toml") && err.contains("line 1"),
        "{err}"
    );
    let text = ok(&db, &["stages", "--no-save"]);
    assert!(
        text.contains("WALK") && text.contains("threshold") && text.contains("evidence"),
        "{text}"
    );
}

#[test]
fn waves_detect_pull_and_plan_sites_by_it() {
    let (db, _truth, _dir) = demo("800", "5");
    // Early in the history, most sites' waves are still ahead; people at some of them
    // already ask and start on their own (the demo plants this pull).
    let w = json(&db, &["waves", "--json", "--as-of", "2026-02-01"]);
    let sites = w["sites"].as_array().expect("sites");
    let threshold = w["pull_per_100"].as_f64().expect("threshold");
    let flagged: Vec<&serde_json::Value> =
        sites.iter().filter(|s| s["move_forward"] == true).collect();
    assert!(!flagged.is_empty(), "{w}");
    for s in &flagged {
        assert_eq!(s["started"], false);
        assert!(s["pull_per_100"].as_f64().unwrap_or(0.0) >= threshold);
    }
    // Plan the sites not started into waves of 3, pull first, and store it.
    let p = json(
        &db,
        &[
            "waves",
            "--json",
            "--as-of",
            "2026-02-01",
            "--plan",
            "--replan",
            "--per-month",
            "3",
            "--start",
            "2026-03-01",
            "--apply",
        ],
    );
    let plan = p["plan"].as_array().expect("plan");
    let not_started = sites.iter().filter(|s| s["started"] == false).count();
    assert_eq!(
        plan.iter()
            .map(|x| x["sites"].as_array().map_or(0, Vec::len))
            .sum::<usize>(),
        not_started
    );
    assert!(plan
        .iter()
        .all(|x| x["sites"].as_array().is_some_and(|s| s.len() <= 3)));
    assert_eq!(plan[0]["starts_on"], "2026-03-01");
    assert_eq!(plan[1]["starts_on"], "2026-04-01");
    let top_pull = sites
        .iter()
        .filter(|s| s["started"] == false)
        .max_by(|a, b| {
            a["pull_per_100"]
                .as_f64()
                .unwrap_or(0.0)
                .total_cmp(&b["pull_per_100"].as_f64().unwrap_or(0.0))
        })
        .expect("a site");
    assert_eq!(
        plan[0]["sites"][0], top_pull["site"],
        "the site that pulls most goes first"
    );
    let after = json(&db, &["waves", "--json", "--as-of", "2026-02-01"]);
    let wave_of = |name: &serde_json::Value| {
        after["sites"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| &s["site"] == name)
            .map(|s| s["wave"].clone())
    };
    assert_eq!(
        wave_of(&top_pull["site"]),
        Some(serde_json::json!("2026-03-01"))
    );
    let text = ok(&db, &["waves", "--as-of", "2026-02-01"]);
    assert!(
        text.contains("PULL: move forward") || flagged.is_empty(),
        "{text}"
    );
}

#[test]
fn forecast_has_bands_and_impact_finds_the_planted_training_effect() {
    let (db, truth, _dir) = demo("1500", "21");
    forecast_has_bands(&db);
    impact_finds_the_planted_training_effect(&db, &truth);
}

/// Forecast from the first half of the history: both models give bands, see critical mass
/// coming, and fit departments one by one.
fn forecast_has_bands(db: &str) {
    // Forecast from the first half of the history: both models give bands, and the Bass fit
    // its parameters with intervals.
    let f = json(
        db,
        &[
            "forecast",
            "--json",
            "--as-of",
            "2026-03-15",
            "--runs",
            "100",
            "--horizon",
            "20",
        ],
    );
    let fit = &f["bass"]["fit"];
    for k in ["p", "q", "m"] {
        let (lo, v, hi) = (
            fit[k]["low"].as_f64(),
            fit[k]["value"].as_f64(),
            fit[k]["high"].as_f64(),
        );
        assert!(
            matches!((lo, v, hi), (Some(a), Some(b), Some(c)) if a <= b && b <= c && b > 0.0),
            "{k}: {fit}"
        );
    }
    assert!(
        fit["m"]["value"].as_f64().unwrap_or(f64::MAX) <= 1500.0,
        "m is at most everyone"
    );
    for curve in [&f["bass_curve"], &f["network"]["curve"]] {
        let (lo, mid, hi) = (
            curve["low"].as_array().expect("low"),
            curve["median"].as_array().expect("median"),
            curve["high"].as_array().expect("high"),
        );
        assert!(!lo.is_empty() && lo.len() == mid.len() && mid.len() == hi.len());
        assert!(lo
            .iter()
            .zip(mid)
            .zip(hi)
            .all(|((a, b), c)| a.as_f64() <= b.as_f64() && b.as_f64() <= c.as_f64()));
        let last = |v: &Vec<serde_json::Value>| {
            v.last().and_then(serde_json::Value::as_f64).unwrap_or(0.0)
        };
        assert!(last(hi) > last(lo), "a band, not a line: {curve}");
    }
    // Critical mass (half the company) was reached in the real history around May: both
    // forecasts from mid-March see it coming within the horizon.
    for cm in [&f["bass_critical_mass"], &f["network"]["critical_mass"]] {
        assert!(cm["reached_share"].as_f64().unwrap_or(0.0) > 0.5, "{cm}");
        assert!(cm["dates"].as_array().is_some_and(|d| d.len() == 3), "{cm}");
    }
    assert!(
        f["network"]["alpha"].as_f64().unwrap_or(0.0) > 0.0
            && f["network"]["beta"].as_f64().unwrap_or(0.0) > 0.0
    );
    // Departments are fitted one by one; the executive office is withheld.
    let depts = f["by_department"].as_array().expect("departments");
    assert!(
        depts.iter().filter(|d| d["fit"].is_object()).count() >= 3,
        "{depts:?}"
    );
    assert!(depts.iter().any(|d| d["note"]
        .as_str()
        .is_some_and(|n| n.contains("fewer than 5"))));
    let text = ok(db, &["forecast", "--runs", "20"]);
    assert!(
        text.contains("BASS") && text.contains("NETWORK SIMULATION") && text.contains("95%"),
        "{text}"
    );
}

fn impact_finds_the_planted_training_effect(db: &str, truth: &serde_json::Value) {
    // The demo trained two departments, and training made people start on their own six
    // times as often: difference-in-differences finds a positive effect, and the
    // pre-trends check passes.
    let first_training = truth["trainings"][0]["department"]
        .as_str()
        .expect("trained")
        .to_owned();
    let id = intervention_id(db, &first_training);
    let i = json(db, &["impact", "--intervention", &id, "--json"]);
    let ci = |i: &serde_json::Value| {
        (
            i["ci95"][0].as_f64().unwrap_or(0.0),
            i["ci95"][1].as_f64().unwrap_or(0.0),
        )
    };
    let effect = i["effect"].as_f64().expect("effect");
    assert!(
        ci(&i).0 > 0.0,
        "the planted effect is found: {effect} {:?}",
        ci(&i)
    );
    assert_eq!(i["parallel_pre_trends"], true, "{i}");
    assert!(i["pre_weeks"].as_u64() >= Some(3) && i["post_weeks"].as_u64() >= Some(3));
    // A placebo: the same day in a department nobody trained shows a smaller effect than the
    // real training.
    let trained = trained_departments(truth);
    let placebo_dept = [
        "Legal",
        "Finance",
        "Operations",
        "IT",
        "Marketing",
        "Product",
    ]
    .into_iter()
    .find(|d| !trained.contains(d))
    .expect("an untrained department");
    let day = truth["trainings"][0]["day"].as_str().expect("day");
    ok(
        db,
        &[
            "interventions",
            "add",
            "--kind",
            "training",
            "--unit",
            placebo_dept,
            "--day",
            day,
        ],
    );
    let placebo_id = intervention_id(db, placebo_dept);
    let p = json(db, &["impact", "--intervention", &placebo_id, "--json"]);
    assert!(
        p["effect"].as_f64().unwrap_or(f64::MAX) < effect,
        "placebo {} vs real {effect}",
        p["effect"]
    );
    let text = ok(db, &["impact", "--intervention", &id]);
    assert!(
        text.contains("pre-trend") && text.contains("comparison"),
        "{text}"
    );
    let bad = flywheel(db, &["impact", "--intervention", "9999"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no intervention with id 9999"));
}
