//! The CLI end to end, on both backends.

use flywheel_testkit::{both_backends, fixture, tempdir};

use crate::{flywheel, ok, people_json, write};

both_backends! {
    async fn hris_fixture_imports_and_reimport_changes_nothing(url: String) {
        let file = fixture("hris/oracle-hr_as_hris_orgchart.csv").display().to_string();
        let out = ok(&url, &["import", "hris", &file, "--as-of", "2024-01-01"]);
        assert!(out.contains("107 hires"), "{out}");
        let people = people_json(&url);
        assert_eq!(people.len(), 107);
        let again = ok(&url, &["import", "hris", &file, "--as-of", "2024-02-01", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&again).expect("json");
        assert_eq!(v["outcome"]["import_id"], serde_json::Value::Null);
        assert_eq!(v["outcome"]["unchanged"], 107);
        assert_eq!(people_json(&url), people, "a second import changes nothing");
    }

    async fn broken_csv_names_the_place_and_changes_nothing(url: String) {
        let dir = tempdir();
        let good = write(dir.path(), "good.csv", "Employee ID,Name,Department,Hire Date\n1,Ada,Eng,2020-01-01\n2,Bob,Eng,2021-05-06\n");
        ok(&url, &["import", "hris", &good, "--as-of", "2024-01-01"]);
        let before = people_json(&url);
        let bad = write(dir.path(), "bad.csv", "Employee ID,Name,Department,Hire Date\n1,Ada,Ops,2020-01-01\n2,Bob,Eng,2021-05-06\n3,Cy,Eng,31.02.2022\n");
        let out = flywheel(&url, &["import", "hris", &bad, "--as-of", "2024-03-01"]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.csv:4: column \"Hire Date\": value \"31.02.2022\": not a date"), "{err}");
        assert!(err.contains("nothing was imported"), "{err}");
        assert_eq!(people_json(&url), before, "the database is as it was");
    }

    async fn newer_file_records_moves_and_departures(url: String) {
        let dir = tempdir();
        let v1 = write(dir.path(), "v1.csv", "EID,Full Name,Supervisory_Organization,Supervisor EID,Site\n1,Ada,Eng,,Lyon\n2,Bob,Eng,1,Lyon\n3,Cy,Eng,1,Oslo\n");
        let v2 = write(dir.path(), "v2.csv", "EID,Full Name,Supervisory_Organization,Supervisor EID,Site\n1,Ada,Eng,,Lyon\n2,Bob,Sales,1,Oslo\n");
        ok(&url, &["import", "hris", &v1, "--as-of", "2024-01-01"]);
        let dry = ok(&url, &["import", "hris", &v2, "--as-of", "2024-06-01", "--dry-run"]);
        assert!(dry.contains("would import") && dry.contains("1 moves") && dry.contains("1 departures"), "{dry}");
        assert_eq!(people_json(&url).iter().filter(|p| p["left_on"].is_null()).count(), 3, "a dry run writes nothing");
        let out = ok(&url, &["import", "hris", &v2, "--as-of", "2024-06-01"]);
        assert!(out.contains("1 moves") && out.contains("1 departures"), "{out}");
        let people = people_json(&url);
        let cy = people.iter().find(|p| p["hris_id"] == "3").expect("Cy is kept");
        assert_eq!(cy["left_on"], "2024-06-01");
        let bob = people.iter().find(|p| p["hris_id"] == "2").expect("Bob");
        assert_eq!((bob["unit"].as_str(), bob["site"].as_str()), (Some("Sales"), Some("Oslo")));
    }

    async fn column_overrides_and_flagged_managers(url: String) {
        let dir = tempdir();
        let f = write(dir.path(), "odd.csv", "Personnel No;Boss;Org Unit;Mail\n10;;HQ;a@x.org\n11;12;HQ;b@x.org\n12;11;HQ;c@x.org\n13;99;HQ;d@x.org\n");
        let out = flywheel(&url, &["import", "hris", &f]);
        assert!(!out.status.success(), "no id column is recognised without --map");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--map employee_id=COLUMN"));
        let out = ok(&url, &["import", "hris", &f, "--map", "employee_id=Personnel No", "--map", "manager_id=Boss", "--map", "department=Org Unit"]);
        assert!(out.contains("4 hires"), "{out}");
        assert!(out.contains("3 manager links flagged"), "{out}");
        assert!(out.contains("employee 11: manager cycle 11 -> 12 -> 11"), "{out}");
        assert!(out.contains("employee 13: manager 99 is not in the org chart"), "{out}");
        let bad_map = flywheel(&url, &["import", "hris", &f, "--map", "boss=Boss"]);
        assert!(!bad_map.status.success());
        assert!(String::from_utf8_lossy(&bad_map.stderr).contains("is not a field"));
    }
}

#[test]
fn demo_writes_real_exports_and_a_database_people_lists() {
    let dir = tempdir();
    let out_dir = dir.path().join("d");
    let d = out_dir.display().to_string();
    // The same demo, run twice: the second run must change nothing.
    let run_demo = || crate::run_demo(&d, "500", "9");
    let out = run_demo();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("admin login: admin@example.com / "),
        "{stdout}"
    );
    let db = format!("sqlite://{}/flywheel.db", d);
    let people = people_json(&db);
    assert_eq!(people.len(), 500);
    // The org chart went through the real importer from a real file.
    let csv = std::fs::read_to_string(out_dir.join("hris_orgchart.csv")).expect("csv written");
    assert!(csv.starts_with("Employee_ID,Full Name,Work Email"));
    assert_eq!(csv.lines().count(), 501);
    // Re-running the same demo changes no people.
    let again = run_demo();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout)
        .contains("0 hires, 0 moves, 0 departures, 500 unchanged"));
    assert_eq!(people_json(&db), people);
    assert!(String::from_utf8_lossy(&again.stdout).contains(
        "imported 0 M365 Copilot records from 26 weekly reports and 0 GitHub Copilot records"
    ));
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("chat: 0 ChatGPT Enterprise records from 6 monthly exports; Slack: ")
            && String::from_utf8_lossy(&again.stdout)
                .contains(" 0 questions in #ai-help, 0 wins in #ai-wins, 0 ties"),
        "re-importing the chat history changes nothing: {}",
        String::from_utf8_lossy(&again.stdout)
    );

    // Six months of history, written as real exports and imported through the importers.
    assert_eq!(
        std::fs::read_dir(out_dir.join("m365"))
            .expect("m365 dir")
            .count(),
        26,
        "26 weekly reports"
    );
    assert!(out_dir.join("github-copilot/report.json").is_file());
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("ground_truth.json")).expect("ground truth"),
    )
    .expect("json");
    let champions = truth["champions"].as_array().map(Vec::len).unwrap_or(0);
    assert!(champions >= 3, "{truth}");
    assert!(
        truth["adopted_on"][truth["ceo"].as_str().unwrap_or("")].is_string(),
        "the CEO adopted"
    );
    let (rows, questions, wins) = flywheel_testkit::block_on(async {
        let store = flywheel_store::Store::open(&db).await.expect("open");
        (
            store.usage_rows().await.expect("usage"),
            store.chat_questions().await.expect("questions"),
            store.chat_wins().await.expect("wins"),
        )
    });
    // The chat history came through the Slack importer: every generated question was
    // detected, asked by a matched person, and no text was kept.
    let chat = &truth["chat"];
    assert_eq!(
        Some(questions.len() as u64),
        chat["help_questions"].as_u64()
    );
    assert_eq!(Some(wins.len() as u64), chat["wins"].as_u64());
    assert!(questions.iter().all(|q| q.2.is_some() && q.5.is_none()));
    assert_eq!(
        questions.iter().filter(|q| q.4 > 0).count() as u64,
        chat["answered"].as_u64().unwrap_or(0)
    );
    assert_eq!(
        wins.iter().filter(|w| w.1.is_some()).count() as u64,
        chat["wins_stating_time_saved"].as_u64().unwrap_or(0),
        "time saved read from every win that states it"
    );
    // The classified mix matures: "how do I build" grows, "what is this" fades.
    let stages: Vec<&str> = questions.iter().map(|q| q.3.as_str()).collect();
    let share = |qs: &[&str], stage: &str| {
        qs.iter().filter(|q| **q == stage).count() as f64 / qs.len().max(1) as f64
    };
    let (first, last) = stages.split_at(stages.len() / 3);
    let last = &last[last.len() / 2..];
    assert!(share(last, "frontier") > 2.0 * share(first, "frontier"));
    assert!(share(first, "awareness") > 2.0 * share(last, "awareness"));
    for tool in [
        "Microsoft 365 Copilot",
        "GitHub Copilot",
        "ChatGPT Enterprise",
    ] {
        let of_tool: Vec<_> = rows.iter().filter(|r| r.0 == tool).collect();
        assert!(of_tool.len() > 100, "{tool}: {} rows", of_tool.len());
        assert!(
            of_tool.iter().all(|r| r.2.is_some()),
            "{tool}: every row matched to a person"
        );
    }
}

#[test]
fn help_documents_every_command() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .env("FLYWHEEL_CREATE", "1")
        .arg("--help")
        .output()
        .expect("help");
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "demo",
        "serve",
        "import",
        "people",
        "champions",
        "net",
        "admin",
    ] {
        assert!(text.contains(cmd), "--help lists {cmd}:\n{text}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .env("FLYWHEEL_CREATE", "1")
        .args(["import", "hris", "--help"])
        .output()
        .expect("help");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Supervisor EID") && text.contains("--map") && text.contains("--as-of"),
        "{text}"
    );
}

/// Runs `flywheel` with `stdin` on standard input, without `FLYWHEEL_CREATE`.
fn run_plain(args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .env_remove("FLYWHEEL_CREATE")
        .env_remove("FLYWHEEL_DB")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("output")
}

#[test]
fn a_mistyped_database_is_refused_and_accounts_start_safe() {
    let dir = tempdir();
    let path = dir.path().join("typo.db");
    let db = format!("sqlite://{}", path.display());
    // A command on a database that does not exist refuses, creates nothing, and says how.
    for args in [vec!["people"], vec!["momentum"], vec!["admin", "audit"]] {
        let mut all = vec!["--db", db.as_str()];
        all.extend(args.iter().copied());
        let out = run_plain(&all, "");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("no database at") && err.contains("flywheel init"),
            "{err}"
        );
        assert!(!path.exists(), "{args:?} created {}", path.display());
    }
    let out = run_plain(&["--db", &db, "init"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("database ready"));
    assert!(path.exists());
    // Weak passwords are refused with the reason; nothing is created.
    for (weak, why) in [
        ("aaaaaaaaaaaaaaaa", "Repeats"),
        ("password1234", "common"),
        ("qwertyuiop123", "common"),
        ("ana.lopez2024", "email address"),
    ] {
        let out = run_plain(
            &[
                "--db",
                &db,
                "admin",
                "create",
                "--email",
                "ana.lopez@example.com",
                "--password-stdin",
            ],
            &format!("{weak}\n"),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{weak:?} was accepted");
        assert!(
            err.contains("too easy to guess") && err.contains(why),
            "{weak:?}: {err}"
        );
    }
    // Without --role, an account is an employee's, and the command says so.
    let out = run_plain(
        &[
            "--db",
            &db,
            "admin",
            "create",
            "--email",
            "ana.lopez@example.com",
            "--password-stdin",
        ],
        "four unrelated words here\n",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("created employee account ana.lopez@example.com"),
        "{text}"
    );
}
