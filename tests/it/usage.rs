//! Usage, seat, identity and edge imports through the CLI, on both backends.

use crate::oracle;
use flywheel_store::Store;
use flywheel_testkit::{both_backends, fixture, tempdir};

use crate::{flywheel, ok, write};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Everything usage imports touch, as comparable text.
async fn usage_state(url: &str) -> String {
    let store = Store::open(url).await.expect("open");
    let mut out = format!(
        "usage={} tools={} access={} identities={} imports={} interactions={}\n",
        store.count("usage").await.expect("count"),
        store.count("tools").await.expect("count"),
        store.count("tool_access").await.expect("count"),
        store.count("identities").await.expect("count"),
        store.count("imports").await.expect("count"),
        store.count("interactions").await.expect("count"),
    );
    for r in store.usage_rows().await.expect("rows") {
        out.push_str(&format!("{r:?}\n"));
    }
    out
}

both_backends! {
    async fn github_seats_and_usage_attach_when_mapped(url: String) {
        oracle(&url);
        let seats = fixture("github-copilot/organization_seats_response_sample.json").display().to_string();
        let usage = fixture("github-copilot/example-schema.user-level.ndjson").display().to_string();
        let v = json(&ok(&url, &["import", "github-copilot", &seats, "--json"]));
        assert_eq!((v["seats_stored"].as_u64(), v["identities"]["unmatched"].as_u64()), (Some(9), Some(9)));
        let v = json(&ok(&url, &["import", "github-copilot", &usage, "--json"]));
        assert_eq!((v["read"].as_u64(), v["stored"].as_u64()), (Some(1), Some(2)), "the day's total and one feature");
        let rows = Store::open(&url).await.expect("open").usage_rows().await.expect("rows");
        assert!(rows.iter().all(|r| r.2.is_none()), "login1 is nobody yet");

        let dir = tempdir();
        let ids = write(dir.path(), "ids.csv", "kind,value,person\ngithub,login1,101\ngithub,MonaLisa,sking@EXAMPLE.com\n");
        let v = json(&ok(&url, &["import", "identities", &ids, "--json"]));
        assert_eq!(v["attached_earlier"].as_u64(), Some(3), "two usage rows and one seat");
        let rows = Store::open(&url).await.expect("open").usage_rows().await.expect("rows");
        assert!(rows.iter().all(|r| r.2.is_some()), "usage kept while unmatched is attached now: {rows:?}");

        let before = usage_state(&url).await;
        for f in [&seats, &usage] {
            let v = json(&ok(&url, &["import", "github-copilot", f, "--json"]));
            assert_eq!(v["import_id"], serde_json::Value::Null, "re-import of {f} writes nothing");
        }
        assert_eq!(usage_state(&url).await, before);
    }

    async fn events_merge_without_double_counting_and_fail_whole(url: String) {
        oracle(&url);
        let dir = tempdir();
        let first = write(dir.path(), "march.csv", "person,tool,timestamp,count,feature\n\
            SKING@example.com,Claude,2026-03-01T09:00:00Z,2,\n\
            sking@example.com,Claude,2026-03-01T17:00:00Z,3,\n\
            github:login9,Claude,2026-03-02T10:00:00Z,1,chat\n\
            101,Claude,2026-03-02T10:00:00Z,,\n");
        let v = json(&ok(&url, &["import", "events", &first, "--json"]));
        assert_eq!((v["read"].as_u64(), v["records"].as_u64(), v["stored"].as_u64()), (Some(4), Some(3), Some(3)));
        assert_eq!((v["identities"]["matched"].as_u64(), v["identities"]["unmatched"].as_u64()), (Some(2), Some(1)));
        let rows = Store::open(&url).await.expect("open").usage_rows().await.expect("rows");
        let king = rows.iter().find(|r| r.1 == "email:sking@example.com").expect("King's day");
        assert_eq!((king.3.as_str(), king.6), ("2026-03-01", 5), "events of one day add up");

        // A weekly file overlapping March 1st restates that day: it replaces, never adds.
        let overlap = write(dir.path(), "week.jsonl", "{\"person\":\"sking@example.com\",\"tool\":\"Claude\",\"day\":\"2026-03-01\",\"count\":5}\n\
            {\"person\":\"sking@example.com\",\"tool\":\"Claude\",\"day\":\"2026-03-03\",\"count\":1}\n");
        let v = json(&ok(&url, &["import", "events", &overlap, "--json"]));
        assert_eq!((v["stored"].as_u64(), v["updated"].as_u64(), v["unchanged"].as_u64()), (Some(1), Some(0), Some(1)));
        let before = usage_state(&url).await;
        let v = json(&ok(&url, &["import", "events", &first, "--json"]));
        assert_eq!(v["import_id"], serde_json::Value::Null);
        assert_eq!(usage_state(&url).await, before);

        // Broken variants: each names its place and changes nothing.
        let cases: Vec<(String, &str)> = vec![
            (write(dir.path(), "bad-date.csv", "person,tool,day\na@x.org,T,2026-03-01\nb@x.org,T,01/03/2026\n"),
             "bad-date.csv:3: column \"day\": value \"01/03/2026\": not a date"),
            (write(dir.path(), "bad-count.csv", "person,tool,day,count\na@x.org,T,2026-03-01,many\n"),
             "bad-count.csv:2: column \"count\": value \"many\""),
            (write(dir.path(), "truncated.jsonl", "{\"person\":\"a@x.org\",\"tool\":\"T\",\"day\":\"2026-03-01\"}\n{\"person\":\"b@x.org\",\"to"),
             "truncated.jsonl:2: column \"json\": not JSON"),
            (write(dir.path(), "no-person.csv", "tool,day\nT,2026-03-01\n"), "no person column"),
        ];
        for (file, want) in &cases {
            let out = flywheel(&url, &["import", "events", file]);
            assert!(!out.status.success(), "{file} must fail");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(want) && err.contains("nothing was imported"), "{file}: {err}");
        }
        let latin1 = dir.path().join("latin1.csv");
        std::fs::write(&latin1, b"person,tool,day\nren\xe9@x.org,T,2026-03-01\n").expect("write");
        let out = flywheel(&url, &["import", "events", &latin1.display().to_string()]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("latin1.csv:2"), "{}", String::from_utf8_lossy(&out.stderr));
        let truncated = write(dir.path(), "trunc.ndjson", "{\"day\":\"2026-01-02\",\"user_login\":\"a\"}\n{\"day\":\"2026-01-0");
        let out = flywheel(&url, &["import", "github-copilot", &truncated]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("trunc.ndjson:2: column \"json\""));
        assert_eq!(usage_state(&url).await, before, "failed imports left the database as it was");
    }

    async fn edges_import_by_email_and_report_strangers(url: String) {
        oracle(&url);
        let dir = tempdir();
        let f = write(dir.path(), "g.txt", "# a graph\nsking@example.com\tnyang@example.com\t2\nNYANG@example.com lgarcia@example.com\nx@y.z sking@example.com 1\n");
        let out = ok(&url, &["import", "edges", &f, "--node-id", "email", "--at", "2026-01-01"]);
        assert!(out.contains("3 edges read, 2 new"), "{out}");
        assert!(out.contains("1 node names match nobody") && out.contains("x@y.z"), "{out}");
        let again = ok(&url, &["import", "edges", &f, "--node-id", "email", "--at", "2026-01-01"]);
        assert!(again.contains("no changes"), "{again}");
        let bad = write(dir.path(), "bad.txt", "1 2\n3 4 0\n");
        let out = flywheel(&url, &["import", "edges", &bad]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("bad.txt:2: column \"weight\": value \"0\""));
    }
}

fn chatgpt_header() -> String {
    std::fs::read_to_string(fixture(
        "chatgpt-enterprise/user-engagement_header_verbatim.csv",
    ))
    .expect("fixture")
    .trim_end()
    .to_owned()
}

/// A ChatGPT row in the fixture's layout from named values.
fn chatgpt_row(values: &[(&str, &str)]) -> String {
    let h = chatgpt_header();
    let cols: Vec<String> = h
        .split(',')
        .map(|c| {
            values
                .iter()
                .find(|(k, _)| *k == c)
                .map_or(String::new(), |(_, v)| {
                    if v.contains(',') || v.contains('"') {
                        format!("\"{}\"", v.replace('"', "\"\""))
                    } else {
                        (*v).to_owned()
                    }
                })
        })
        .collect();
    cols.join(",")
}

both_backends! {
    async fn m365_fixtures_and_reports_match_people(url: String) {
        oracle(&url);
        for f in ["m365/doc-example_copilot-usage-user-detail_v1.csv", "m365/doc-example_copilot-usage-user-detail_beta.json"] {
            let v = json(&ok(&url, &["import", "m365-copilot", &fixture(f).display().to_string(), "--json"]));
            assert_eq!(v["read"].as_u64(), Some(1), "{f}");
            let skipped: u64 = v["skipped"].as_object().map(|m| m.values().filter_map(serde_json::Value::as_u64).sum()).unwrap_or(0);
            assert_eq!(skipped, 1, "{f}: the concealed user is counted and skipped: {v}");
            assert_eq!(v["stored"].as_u64(), Some(0), "{f}");
        }
        let dir = tempdir();
        let v2 = write(dir.path(), "m365-v2.csv", "\u{feff}Report Refresh Date,User Principal Name,Display Name,Last Activity Date,Microsoft Teams Copilot Last Activity Date,Word Copilot Last Activity Date,Copilot Chat Prompts Submitted Count,Active Usage Days,Report Period\n\
            2026-07-28,SKING@example.com,Steven King,2026-07-27,2026-07-27,2026-07-02,42,9,D28\n\
            2026-07-28,nyang@example.com,Neena Yang,,,,,,D28\n\
            2026-07-28,0123456789ABCDEF0123456789ABCDEF,0123456789ABCDEF0123456789ABCDEF,2026-07-20,,,3,1,D28\n");
        let v = json(&ok(&url, &["import", "m365-copilot", &v2, "--json"]));
        assert_eq!((v["read"].as_u64(), v["seats_stored"].as_u64()), (Some(3), Some(2)), "{v}");
        assert_eq!((v["identities"]["matched"].as_u64(), v["identities"]["unmatched"].as_u64()), (Some(2), Some(0)));
        let rows = Store::open(&url).await.expect("open").usage_rows().await.expect("rows");
        assert_eq!(rows.len(), 5, "King: overall, Teams and Word days, prompts, active days: {rows:?}");
        assert!(rows.iter().all(|r| r.2.is_some() && r.1 == "email:sking@example.com"));
        let prompts = rows.iter().find(|r| r.5.starts_with("prompts:")).expect("prompts");
        assert_eq!((prompts.3.as_str(), prompts.4, prompts.6), ("2026-07-01", 28, 42));
        let before = usage_state(&url).await;
        assert!(ok(&url, &["import", "m365-copilot", &v2]).contains("no changes"));
        let bad = write(dir.path(), "bad.csv", "User Principal Name,Last Activity Date,Report Period\nsking@example.com,2026-07-27,7\nnyang@example.com,27/07/2026,7\n");
        let out = flywheel(&url, &["import", "m365-copilot", &bad]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("bad.csv:3: column \"Last Activity Date\": value \"27/07/2026\""));
        let truncated = write(dir.path(), "t.json", "{\"value\": [{\"userPrincipalName\": \"sking@example.com\", \"lastActivityDate\": \"2026-0");
        let out = flywheel(&url, &["import", "m365-copilot", &truncated]);
        assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not JSON"));
        assert_eq!(usage_state(&url).await, before);
    }

    async fn chatgpt_export_with_invited_and_deleted_users(url: String) {
        oracle(&url);
        let dir = tempdir();
        let p = [("cadence", "monthly"), ("period_start", "2026-03-01"), ("period_end", "2026-03-31")];
        let rows = [
            chatgpt_row(&[p[0], p[1], p[2], ("email", "sking@example.com"), ("is_active", "True"), ("messages", "120"),
                ("model_to_messages", "{'gpt-4o': 100, 'o3': 20}"), ("tool_to_messages", "{'canvas': 7}"),
                ("department", "[\"Executive\", \"Board\"]"), ("groups", "{'g1': 'Pilots, wave 1'}"), ("user_status", "enabled"),
                ("created_or_invited_date", "2026-01-10"), ("last_day_active", "2026-03-30")]),
            chatgpt_row(&[p[0], p[1], p[2], ("email", "nyang@example.com"), ("user_status", "pending"), ("created_or_invited_date", "2026-03-20")]),
            chatgpt_row(&[p[0], p[1], p[2], ("email", "gone@example.com"), ("is_active", "False"), ("messages", "0"), ("user_status", "deleted")]),
        ];
        let file = write(dir.path(), "gpt.csv", &format!("{}\n{}\n", chatgpt_header(), rows.join("\n")));
        let v = json(&ok(&url, &["import", "chatgpt", &file, "--json"]));
        assert_eq!((v["read"].as_u64(), v["seats_stored"].as_u64(), v["stored"].as_u64()), (Some(3), Some(3), Some(5)), "{v}");
        assert_eq!((v["identities"]["matched"].as_u64(), v["identities"]["unmatched"].as_u64()), (Some(2), Some(1)));
        assert_eq!(v["skipped"]["invited, never active (access recorded, no usage)"].as_u64(), Some(1));
        let before = usage_state(&url).await;
        assert!(ok(&url, &["import", "chatgpt", &file]).contains("no changes"));
        let bad = write(dir.path(), "bad.csv", &format!("{}\n{}\n{}\n", chatgpt_header(), rows[0],
            chatgpt_row(&[p[0], p[1], p[2], ("email", "x@example.com"), ("messages", "3"), ("tool_to_messages", "{'canvas': three}")])));
        let out = flywheel(&url, &["import", "chatgpt", &bad]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.csv:3: column \"tool_to_messages\"") && err.contains("nothing was imported"), "{err}");
        assert_eq!(usage_state(&url).await, before);
    }
}

fn zip_file(path: &std::path::Path, entries: &[(&str, &[u8])]) {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    for (n, data) in entries {
        z.start_file(*n, zip::write::SimpleFileOptions::default())
            .expect("start");
        z.write_all(data).expect("write");
    }
    z.finish().expect("finish");
}

both_backends! {
    async fn slack_export_ties_attach_when_mapped_and_hostile_zips_fail(url: String) {
        oracle(&url);
        let zip = fixture("slack/testarchive.zip").display().to_string();
        let v = json(&ok(&url, &["import", "slack", &zip, "--json"]));
        assert_eq!((v["users"].as_u64(), v["messages"].as_u64()), (Some(4), Some(158)), "{v}");
        let ties = v["ties_stored"].as_u64().unwrap_or(0);
        assert!(ties > 0, "{v}");
        assert_eq!((v["members_matched"].as_u64(), v["members_unmatched"].as_u64()), (Some(0), Some(4)));
        let store = Store::open(&url).await.expect("open");
        let rows = store.chat_ties().await.expect("ties");
        assert!(rows.iter().all(|t| t.3.is_none() && t.4.is_none()), "nobody is matched yet");
        assert!(rows.iter().any(|t| t.0 == "mention" && t.1 == "U0BMQB6JE" && t.2 == "U0BMYT2FL"), "{rows:?}");
        assert!(rows.iter().all(|t| t.0 != "mention" || t.1 != t.2), "no self ties (joins mention the joiner)");

        let dir = tempdir();
        let ids = write(dir.path(), "ids.csv", "kind,value,person\nslack,U0BMQB6JE,100\nslack,U0BMYT2FL,nyang@example.com\n");
        let v = json(&ok(&url, &["import", "identities", &ids, "--json"]));
        assert!(v["attached_earlier"].as_u64().unwrap_or(0) > 0, "{v}");
        let rows = store.chat_ties().await.expect("ties");
        let m = rows.iter().find(|t| t.0 == "mention" && t.1 == "U0BMQB6JE" && t.2 == "U0BMYT2FL").expect("mention");
        assert!(m.3.is_some() && m.4.is_some(), "the mapped members' ties are attached: {m:?}");

        let before = usage_state(&url).await + format!("{:?}", store.chat_ties().await.expect("ties")).as_str();
        let v = json(&ok(&url, &["import", "slack", &zip, "--json"]));
        assert_eq!(v["import_id"], serde_json::Value::Null, "re-import writes nothing: {v}");

        let trav = dir.path().join("trav.zip");
        zip_file(&trav, &[("users.json", b"[]"), ("channels.json", b"[]"), ("../../etc/cron.d/x", b"boom")]);
        let out = flywheel(&url, &["import", "slack", &trav.display().to_string()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("path escapes the archive") && err.contains("nothing was imported"), "{err}");
        let bomb = dir.path().join("bomb.zip");
        let zeros = vec![b'0'; 32 << 20];
        zip_file(&bomb, &[("users.json", b"[]"), ("channels.json", br#"[{"name":"c"}]"#), ("c/2020-01-01.json", &zeros)]);
        let out = flywheel(&url, &["import", "slack", &bomb.display().to_string()]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("compression ratio"), "{}", String::from_utf8_lossy(&out.stderr));
        let broken = dir.path().join("broken.zip");
        zip_file(&broken, &[("users.json", b"[{\"id\":\"U1\",\"name\":\"a\"}]"), ("channels.json", br#"[{"name":"c"}]"#),
            ("c/2020-01-01.json", br#"[{"ts":"1577836800.000100","user":"U1","text":"hi <@U2>"}]"#),
            ("c/2020-01-02.json", br#"[{"ts":"1577923200.0001","user":"U1","text":"trunc"#)]);
        let out = flywheel(&url, &["import", "slack", &broken.display().to_string()]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("c/2020-01-02.json: not JSON"), "{}", String::from_utf8_lossy(&out.stderr));
        let after = usage_state(&url).await + format!("{:?}", store.chat_ties().await.expect("ties")).as_str();
        assert_eq!(after, before, "failed imports changed nothing");
    }
}

both_backends! {
    async fn slack_help_and_wins_channels_become_questions_help_ties_and_wins(url: String) {
        oracle(&url);
        let dir = tempdir();
        let users = br#"[{"id":"UASK","name":"asker","profile":{"email":"SKing@example.com"}},
            {"id":"UHLP","name":"helper","profile":{"email":"nyang@example.com"}},
            {"id":"UOTH","name":"other","profile":{}},
            {"id":"UBOT","name":"bot","is_bot":true,"profile":{}}]"#;
        let channels = br#"[{"id":"C1","name":"ai-help"},{"id":"C2","name":"ai-wins"},{"id":"C3","name":"random"}]"#;
        // Day files follow the workspace's time zone: this one is named the 2nd but its
        // first message is on the 1st in UTC.
        let help = br#"[
            {"ts":"1772406000.000100","user":"UASK","text":"How do I get access to Copilot?","thread_ts":"1772406000.000100","reply_count":2},
            {"ts":"1772406060.000200","user":"UHLP","text":"Request it in the portal","thread_ts":"1772406000.000100","parent_user_id":"UASK"},
            {"ts":"1772406120.000300","user":"UBOT","subtype":"bot_message","text":"Ticket created","thread_ts":"1772406000.000100"},
            {"ts":"1772409600.000400","user":"UOTH","text":"Can we build a bot that answers HR questions from the wiki?"},
            {"ts":"1772409700.000500","user":"UOTH","text":"thanks all"}
        ]"#;
        let wins = br#"[
            {"ts":"1772496000.000100","user":"UHLP","text":"Supplier report in 20 minutes instead of 4 hours!","reactions":[{"name":"tada","users":["UASK","UOTH"],"count":2}]},
            {"ts":"1772496100.000200","user":"UASK","text":"Loving the meeting recaps"}
        ]"#;
        let random = br#"[{"ts":"1772496200.000100","user":"UOTH","text":"How do I get access to the gym?"}]"#;
        let zip = dir.path().join("export.zip");
        zip_file(&zip, &[("users.json", users), ("channels.json", channels), ("ai-help/2026-03-02.json", help),
            ("ai-wins/2026-03-03.json", wins), ("random/2026-03-03.json", random)]);
        let z = zip.display().to_string();
        let v = json(&ok(&url, &["import", "slack", &z, "--json"]));
        assert_eq!((v["questions"].as_u64(), v["wins"].as_u64(), v["wins_with_time_saved"].as_u64()), (Some(2), Some(2), Some(1)), "{v}");
        assert_eq!(v["questions_by_stage"]["access"].as_u64(), Some(1));
        assert_eq!(v["questions_by_stage"]["frontier"].as_u64(), Some(1));
        assert_eq!(v["matched_by_email"].as_u64(), Some(2), "members matched through their export email");

        let store = Store::open(&url).await.expect("open");
        let qs = store.chat_questions().await.expect("questions");
        assert_eq!(qs.len(), 2, "questions only from help channels, only top-level asks: {qs:?}");
        assert_eq!((qs[0].1.as_str(), qs[0].3.as_str(), qs[0].4), ("UASK", "access", 1), "the bot's reply is no answer");
        assert!(qs[0].2.is_some() && qs[0].5.is_none(), "asker resolved, text not kept");
        let ties = store.chat_ties().await.expect("ties");
        let help_tie = ties.iter().find(|t| t.0 == "help").expect("a help tie");
        assert_eq!((help_tie.1.as_str(), help_tie.2.as_str(), help_tie.5.as_str()), ("UHLP", "UASK", "2026-03-01"), "dated by ts (UTC), not by the file name");
        let ws = store.chat_wins().await.expect("wins");
        assert_eq!((ws[0].1, ws[0].2.as_deref(), ws[0].3), (Some(220.0), Some("once"), 2));
        assert_eq!(ws[1].1, None, "a win without figures is still a win");

        let before = format!("{:?}{:?}{:?}", qs, ties, ws);
        assert!(ok(&url, &["import", "slack", &z]).contains("no changes"));
        let v = json(&ok(&url, &["import", "slack", &z, "--keep-text", "--json"]));
        assert_eq!(v["questions_updated"].as_u64(), Some(2), "{v}");
        let qs = store.chat_questions().await.expect("questions");
        assert_eq!(qs[0].5.as_deref(), Some("How do I get access to Copilot?"));
        assert_ne!(before, format!("{:?}", qs));
    }
}
