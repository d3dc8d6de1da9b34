//! Imports cannot destroy the organisation by accident: a snapshot that would mark most
//! people departed, an ambiguous header, undecodable text, an endless line or field, and a
//! Slack folder whose links lead out of it are all refused, naming where, and nothing is
//! stored.

use std::process::Command;

use crate::oracle;
use flywheel_testkit::both_backends;

use crate::{flywheel, ok, people_json, write};

fn departed(db: &str) -> usize {
    people_json(db)
        .iter()
        .filter(|p| !p["left_on"].is_null())
        .count()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

both_backends! {
    async fn a_snapshot_that_empties_the_organisation_is_refused(url: String) {
        oracle(&url);
        let dir = flywheel_testkit::tempdir();
        let header = "Employee ID,First Name,Last Name,Work Email,Job Title,Department,Manager ID,Location,Country,Hire Date\n";
        let header_only = write(dir.path(), "header-only.csv", header);
        let one_row = write(dir.path(), "one-row.csv", &format!("{header}100,Steven,King,sking@example.com,President,Executive,,Seattle,US,2013-06-17\n"));
        for file in [&header_only, &one_row] {
            let out = flywheel(&url, &["import", "hris", file, "--as-of", "2024-02-01"]);
            let err = stderr(&out);
            assert!(!out.status.success(), "{err}");
            assert!(err.contains("as departed, more than the 20% limit") && err.contains("--allow-mass-departures"), "{err}");
            assert!(err.contains("Shipping 45") || err.contains("Shipping"), "counts by unit: {err}");
            assert!(err.contains("nothing was imported"), "{err}");
            assert_eq!(departed(&url), 0, "nothing changed");
        }
        // A dry run warns; a stricter share refuses less; the flag imports on purpose.
        let out = flywheel(&url, &["import", "hris", &one_row, "--as-of", "2024-02-01", "--dry-run"]);
        assert!(out.status.success() && stderr(&out).contains("would be refused"), "{}", stderr(&out));
        let text = ok(&url, &["import", "hris", &one_row, "--as-of", "2024-02-01", "--allow-mass-departures"]);
        assert!(text.contains("106 departures") && text.contains("departures by department: Shipping 45"), "{text}");
        assert_eq!(departed(&url), 106);
    }
}

#[test]
fn ambiguous_headers_and_undecodable_text_are_refused_in_every_csv_importer() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("i.db").display());
    let hris = write(
        dir.path(),
        "dup.csv",
        "Employee ID,Work Email,employee_id\n1,a@example.com,2\n",
    );
    let out = flywheel(&db, &["import", "hris", &hris]);
    assert!(
        stderr(&out).contains(
            "column 1 (\"Employee ID\") and column 3 (\"employee_id\") both read as \"employeeid\""
        ),
        "{}",
        stderr(&out)
    );
    let events = write(
        dir.path(),
        "dup-events.csv",
        "person,tool,day,Person\na@example.com,X,2026-01-01,b@example.com\n",
    );
    let out = flywheel(&db, &["import", "events", &events]);
    assert!(
        !out.status.success() && stderr(&out).contains("the header is ambiguous"),
        "{}",
        stderr(&out)
    );
    let ids = write(
        dir.path(),
        "dup-ids.csv",
        "kind,value,person,Kind\nemail,a@example.com,1,x\n",
    );
    let out = flywheel(&db, &["import", "identities", &ids]);
    assert!(
        !out.status.success() && stderr(&out).contains("the header is ambiguous"),
        "{}",
        stderr(&out)
    );
    let chatgpt = write(
        dir.path(),
        "dup-chatgpt.csv",
        "email,name,Email\na@example.com,A,b@example.com\n",
    );
    let out = flywheel(&db, &["import", "chatgpt", &chatgpt]);
    assert!(
        !out.status.success() && stderr(&out).contains("the header is ambiguous"),
        "{}",
        stderr(&out)
    );
    // Shift-JIS is neither UTF-8 nor Windows-1252.
    let sjis = dir.path().join("sjis.csv");
    std::fs::write(
        &sjis,
        b"Employee ID,Name\n1,\x93\x63\x92\x86\n2,\x8f\xac\x97\xd1\n",
    )
    .expect("write");
    let out = flywheel(&db, &["import", "hris", &sjis.display().to_string()]);
    assert!(
        !out.status.success() && stderr(&out).contains("not Windows-1252 either"),
        "{}",
        stderr(&out)
    );
    assert_eq!(people_json(&db).len(), 0, "nothing was imported");
}

/// Runs an import with small limits so that hostile sizes are cheap to make.
fn limited(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .env("FLYWHEEL_CREATE", "1")
        .arg("--db")
        .arg(db)
        .args(args)
        .env("FLYWHEEL_MAX_RECORD_BYTES", "2000")
        .env("FLYWHEEL_MAX_FIELD_BYTES", "300")
        .env("FLYWHEEL_MAX_DOCUMENT_BYTES", "100000")
        .env_remove("FLYWHEEL_DB")
        .output()
        .expect("run flywheel")
}

#[test]
fn endless_lines_fields_and_documents_fail_at_their_place() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("l.db").display());
    let long = "x".repeat(5000);
    let cases: Vec<(Vec<&str>, String, &str)> = vec![
        (vec!["import", "events"], write(dir.path(), "e.csv", &format!("person,tool,day\na@example.com,X,2026-01-01\nb@example.com,{long},2026-01-01\n")), "a record starting on line 3 is longer than 2000 bytes"),
        (vec!["import", "events", "--jsonl"], write(dir.path(), "e.jsonl", &format!("{{\"person\":\"a@example.com\",\"tool\":\"X\",\"day\":\"2026-01-01\"}}\n{{\"person\":\"{long}\"}}\n")), "a line starting on line 2 is longer than 2000 bytes"),
        (vec!["import", "github-copilot"], write(dir.path(), "g.ndjson", &format!("{{\"user_login\":\"{long}\"}}\n")), "line 1 is longer than 2000 bytes"),
        (vec!["import", "m365-copilot"], write(dir.path(), "m.csv", &format!("Report Refresh Date,User Principal Name,Display Name\n2026-01-01,a@example.com,\"{}\n{}\"\n", "y".repeat(1500), "y".repeat(1500))), "a record starting on line 2 is longer than 2000 bytes"),
        (vec!["import", "events"], write(dir.path(), "f.csv", &format!("person,tool,day\na@example.com,{},2026-01-01\n", "t".repeat(400))), "longer than 300, the limit for one field"),
        (vec!["import", "hris"], write(dir.path(), "h.csv", &format!("Employee ID,First Name,Job Title\n1,Ann,{}\n", "t".repeat(400))), "longer than 300, the limit for one field"),
        (vec!["import", "hris"], write(dir.path(), "big.csv", &format!("Employee ID,First Name\n{}", (0..20000).map(|i| format!("{i},N\n")).collect::<String>())), "limit for a file read whole"),
        (vec!["import", "m365-copilot"], write(dir.path(), "m.json", &format!("{{\"value\": [\n{}\n]}}", (0..5000).map(|_| "{\"userPrincipalName\": \"a@example.com\"}").collect::<Vec<_>>().join(",\n"))), "limit for a file read whole"),
    ];
    for (args, file, want) in cases {
        let mut all = args.clone();
        all.push(&file);
        let out = limited(&db, &all);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?}: {err}");
        assert!(
            err.contains(want),
            "{args:?} {file}: wanted {want:?} in {err}"
        );
        assert!(
            err.contains(&file)
                || err.contains(
                    std::path::Path::new(&file)
                        .file_name()
                        .and_then(|f| f.to_str())
                        .unwrap_or("")
                ),
            "names the file: {err}"
        );
    }
    assert_eq!(people_json(&db).len(), 0);
}

#[test]
fn a_slack_folder_export_never_follows_links_out_of_it() {
    let dir = flywheel_testkit::tempdir();
    let db = format!("sqlite://{}", dir.path().join("s.db").display());
    let export = dir.path().join("export");
    std::fs::create_dir_all(export.join("general")).expect("mkdir");
    std::fs::write(export.join("users.json"), br#"[{"id":"U1","name":"a"}]"#).expect("write");
    std::fs::write(
        export.join("channels.json"),
        br#"[{"id":"C1","name":"general"},{"id":"C2","name":"secrets"}]"#,
    )
    .expect("write");
    std::fs::write(
        export.join("general/2020-01-01.json"),
        br#"[{"ts":"1577836800.000100","user":"U1","text":"hi"}]"#,
    )
    .expect("write");
    // A channel folder that is a link to a folder elsewhere, and a day file linking out.
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(
        outside.join("2020-01-02.json"),
        br#"[{"ts":"1577923200.000100","user":"U1","text":"private"}]"#,
    )
    .expect("write");
    std::os::unix::fs::symlink(&outside, export.join("secrets")).expect("symlink");
    let out = flywheel(&db, &["import", "slack", &export.display().to_string()]);
    let err = stderr(&out);
    assert!(
        !out.status.success() && err.contains("outside the export folder"),
        "{err}"
    );
    std::fs::remove_file(export.join("secrets")).expect("unlink");
    std::os::unix::fs::symlink(
        outside.join("2020-01-02.json"),
        export.join("general/2020-01-02.json"),
    )
    .expect("symlink");
    let out = flywheel(&db, &["import", "slack", &export.display().to_string()]);
    let err = stderr(&out);
    assert!(
        !out.status.success()
            && err.contains("general/2020-01-02.json")
            && err.contains("outside the export folder"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
}
