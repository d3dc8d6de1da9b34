//! `flywheel net …` on edge lists written here, through the binary.

use serde_json::Value;

use crate::write;

fn net(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .env("FLYWHEEL_CREATE", "1")
        .arg("net")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run flywheel: {e}"))
}

fn net_json(args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = net(&all);
    assert!(
        out.status.success(),
        "flywheel net {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"))
}

/// Three cliques of five people (text names), joined in a ring by one edge each; a
/// comment, a duplicate edge and a self-loop.
fn cliques(dir: &std::path::Path) -> String {
    let mut text = String::from("# three teams\n% matrix-market style comment\n\n");
    for team in ["ops", "eng", "law"] {
        for i in 0..5 {
            for j in i + 1..5 {
                text.push_str(&format!("{team}{i}\t{team}{j}\n"));
            }
        }
    }
    text.push_str("ops0 eng1\neng0 law1\nlaw0 ops1\nops0 eng1\nops2 ops2\n");
    write(dir, "cliques.txt", &text)
}

/// The `field` strings of the objects in a JSON array.
fn strings<'a>(array: &'a Value, field: &str) -> Vec<&'a str> {
    array
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {array}"))
        .iter()
        .filter_map(|x| x[field].as_str())
        .collect()
}

/// The labels file of [`cliques`]: each node's team.
fn teams(dir: &std::path::Path) -> String {
    let text: String = ["ops", "eng", "law"]
        .iter()
        .flat_map(|t| (0..5).map(move |i| format!("{t}{i} {t}\n")))
        .collect();
    write(dir, "teams.txt", &text)
}

#[test]
fn communities_find_the_teams_and_write_a_membership_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let edges = cliques(dir.path());
    let membership = dir.path().join("m.txt").display().to_string();
    let v = net_json(&[
        "communities",
        "--edges",
        &edges,
        "--membership",
        &membership,
    ]);
    assert_eq!(v["communities"], 3);
    assert_eq!(v["graph"]["nodes"], 15);
    assert_eq!(v["graph"]["self_loops_dropped"], 2, "one loop, two arcs");
    assert_eq!(v["graph"]["parallel_arcs_merged"], 2);
    // 3 cliques of 10 edges, 3 ring edges, one of them listed twice (weight 2): 2m = 68,
    // 20 inside each clique, total degrees 23, 23 and 22.
    let q = v["modularity"].as_f64().expect("number");
    let expected = 60.0 / 68.0 - (23.0f64.powi(2) * 2.0 + 22.0f64.powi(2)) / 68.0f64.powi(2);
    assert!((q - expected).abs() < 1e-12, "{q} vs {expected}");
    let text = std::fs::read_to_string(&membership).expect("membership written");
    let of: std::collections::HashMap<&str, &str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .collect();
    assert_eq!(of.len(), 15);
    for team in ["ops", "eng", "law"] {
        let first = of[format!("{team}0").as_str()];
        assert!(
            (1..5).all(|i| of[format!("{team}{i}").as_str()] == first),
            "{team}"
        );
    }
    assert_ne!(of["ops3"], of["eng3"]);

    // The membership file is a groups file: brokers between teams are the ring's ends.
    let v = net_json(&[
        "brokerage",
        "--edges",
        &edges,
        "--groups",
        &membership,
        "--top",
        "3",
    ]);
    let top: Vec<&str> = strings(&v["top"], "node");
    assert!(
        top.iter().all(|n| n.ends_with('0') || n.ends_with('1')),
        "{top:?}"
    );
    assert!(v["top"][0]["roles"]["representative"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn pagerank_betweenness_and_kcore_on_a_star_with_a_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    // hub - a, b, c, d; d - e (a tail): the hub leads every measure.
    let edges = write(dir.path(), "star.txt", "hub a\nhub b\nhub c\nhub d\nd e\n");
    let v = net_json(&["pagerank", "--edges", &edges, "--top", "2"]);
    assert_eq!(v["top"][0]["node"], "hub");
    assert_eq!(v["converged"], true);
    let v = net_json(&["betweenness", "--edges", &edges, "--exact"]);
    assert_eq!(v["top"][0]["node"], "hub");
    // hub lies on every path between {a, b, c, d, e} except d–e: 9 pairs, both ways,
    // over n(n-1) = 30.
    let b = v["top"][0]["score"].as_f64().expect("number");
    assert!((b - 18.0 / 30.0).abs() < 1e-12, "{b}");
    let v = net_json(&[
        "betweenness",
        "--edges",
        &edges,
        "--eps",
        "0.05",
        "--delta",
        "0.1",
    ]);
    let b = v["top"][0]["score"].as_f64().expect("number");
    assert!((b - 0.6).abs() <= 0.05, "{b}");
    assert!(v["guarantee"]["samples"].as_u64().unwrap_or(0) > 100);
    let v = net_json(&["kcore", "--edges", &edges]);
    assert_eq!(v["max_core"], 1);

    // Directed: a -> hub only; hub has no out-arcs.
    let v = net_json(&["pagerank", "--edges", &edges, "--directed", "--top", "1"]);
    assert_eq!(v["graph"]["symmetric"], false);
    assert_eq!(v["graph"]["arcs"], 5);
}

#[test]
fn bad_input_names_file_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let edges = write(dir.path(), "bad.txt", "a b\nb c 0.5\nc d heavy\n");
    let out = net(&["pagerank", "--edges", &edges]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.txt")
            && err.contains("line 3")
            && err.contains("weight")
            && err.contains("heavy"),
        "{err}"
    );

    let edges = write(dir.path(), "ok.txt", "a b\n");
    let groups = write(dir.path(), "groups.txt", "a Sales\nzed Legal\n");
    let out = net(&["brokerage", "--edges", &edges, "--groups", &groups]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("groups.txt")
            && err.contains("line 2")
            && err.contains("zed"),
        "{err}"
    );

    let empty = write(dir.path(), "empty.txt", "# nothing\n");
    let out = net(&["kcore", "--edges", &empty]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no edges"));
    let out = net(&["pagerank", "--edges", &edges, "--damping", "1.5"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--damping"));
}

#[test]
fn simulate_spreads_within_the_seeded_team_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let edges = cliques(dir.path());
    let groups = teams(dir.path());
    let seeds = write(dir.path(), "seeds.txt", "# the ops lead\nops3\n");
    let args = [
        "simulate",
        "--edges",
        &edges,
        "--model",
        "ic",
        "--probability",
        "uniform:0.3",
        "--seeds",
        &seeds,
        "--runs",
        "400",
        "--groups",
        &groups,
    ];
    let v = net_json(&args);
    assert_eq!(v["runs"], 400);
    assert_eq!(v["curve"][0]["mean"], 1.0);
    assert_eq!(v["final_spread"].as_array().map(Vec::len), Some(400));
    let share = |g: &str| {
        v["per_group"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|x| x["group"] == g)
            .and_then(|x| x["share"].as_f64())
            .expect("share")
    };
    assert!(
        share("ops") > share("eng") + 0.2 && share("ops") > share("law") + 0.2,
        "{}",
        v["per_group"]
    );
    // Deterministic for a seed.
    let again = net_json(&args);
    assert_eq!(v["final_spread"], again["final_spread"]);

    // Complex contagion with θ = 0.5: two seeds in a 5-clique (each other node sees 2 of
    // its 4 or 5 contacts) take the whole team but cannot cross a single tie.
    let v = net_json(&[
        "simulate",
        "--edges",
        &edges,
        "--model",
        "threshold",
        "--threshold",
        "fixed:0.5",
        "--seeds",
        "eng2,eng3",
        "--runs",
        "3",
    ]);
    assert_eq!(v["mean"], 5.0);
    let v = net_json(&[
        "simulate", "--edges", &edges, "--model", "lt", "--seeds", "eng2", "--runs", "50",
    ]);
    assert!(v["mean"].as_f64().unwrap_or(0.0) >= 1.0);

    let out = net(&[
        "simulate",
        "--edges",
        &edges,
        "--model",
        "ic",
        "--seeds",
        "eng2,nobody",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"nobody\" is not a node"));
    let out = net(&[
        "simulate",
        "--edges",
        &edges,
        "--model",
        "ic",
        "--seeds",
        "eng2",
        "--probability",
        "uniform:2",
    ]);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("outside [0, 1]")
    );
}

#[test]
fn committed_minority_takes_over_above_the_critical_fraction_only() {
    let above = net_json(&[
        "committed-minority",
        "--graph",
        "complete",
        "--n",
        "500",
        "--fraction",
        "0.2",
        "--runs",
        "4",
    ]);
    assert_eq!(above["consensus_share"], 1.0);
    let p_c = above["mean_field_critical_fraction"]
        .as_f64()
        .expect("number");
    assert!((p_c - 0.098).abs() < 0.001, "{p_c}");
    let below = net_json(&[
        "committed-minority",
        "--graph",
        "er",
        "--n",
        "500",
        "--degree",
        "12",
        "--fraction",
        "0.03",
        "--runs",
        "3",
        "--max-time",
        "50",
    ]);
    assert_eq!(below["consensus_share"], 0.0);
    assert_eq!(below["committed"], 15);
}

#[test]
fn seeds_respect_groups_and_eligibility_and_report_their_guarantee() {
    let dir = tempfile::tempdir().expect("tempdir");
    let edges = cliques(dir.path());
    let groups = teams(dir.path());
    let v = net_json(&[
        "seeds",
        "--edges",
        &edges,
        "--k",
        "3",
        "--model",
        "ic",
        "--probability",
        "uniform:0.2",
        "--groups",
        &groups,
        "--min-per-group",
        "1",
        "--compare",
        "200",
    ]);
    let teams: std::collections::BTreeSet<&str> =
        strings(&v["seeds"], "group").into_iter().collect();
    assert_eq!(teams.len(), 3, "one seed per team: {}", v["seeds"]);
    assert_eq!(v["constrained"], true);
    assert!((v["guarantee"].as_f64().unwrap_or(0.0) - 0.4).abs() < 1e-12);
    assert!(v["certified_ratio"].as_f64().unwrap_or(0.0) >= 0.4);
    let interval = v["spread_interval"].as_array().expect("interval");
    let spread = v["spread"].as_f64().expect("spread");
    assert!(
        interval[0].as_f64().unwrap_or(f64::MAX) <= spread
            && spread <= interval[1].as_f64().unwrap_or(0.0)
    );
    assert!(v["comparison"]["seeds"]["mean"].as_f64().unwrap_or(0.0) >= 3.0);

    let v = net_json(&[
        "seeds",
        "--edges",
        &edges,
        "--k",
        "2",
        "--model",
        "lt",
        "--eligible",
        "law3,law4,eng2",
    ]);
    let names: Vec<&str> = strings(&v["seeds"], "node");
    assert!(
        names.iter().all(|n| ["law3", "law4", "eng2"].contains(n)),
        "{names:?}"
    );
    assert!((v["guarantee"].as_f64().unwrap_or(0.0) - 0.4).abs() < 1e-12);
    let v = net_json(&["seeds", "--edges", &edges, "--k", "2", "--model", "ic"]);
    assert!((v["guarantee"].as_f64().unwrap_or(0.0) - (1.0 - (-1.0f64).exp() - 0.1)).abs() < 1e-12);

    let out = net(&[
        "seeds",
        "--edges",
        &edges,
        "--k",
        "2",
        "--model",
        "ic",
        "--groups",
        &groups,
        "--min-per-group",
        "1",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("need 3 seeds, more than k = 2"),
        "{err}"
    );
}
