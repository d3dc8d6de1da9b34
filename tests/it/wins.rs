//! One concept of a win: a post in a wins channel becomes a win of the library, so that
//! `/wins`, the digest, verification and badges work for it as for a win posted on
//! Flywheel. Re-importing changes nothing; an edited post updates its win; a post by a
//! member nobody knows yet becomes a win once their identity is mapped.

use flywheel_testkit::{both_backends, tempdir};

use crate::web::{call, hidden, Client};
use crate::{json, ok, oracle, write};

/// A Slack export whose `#ai-wins` has three posts from yesterday (so that they fall in
/// this week's digest): Neena's with figures, Steven's without, and one by a member whose
/// profile has no email.
fn export(dir: &std::path::Path, name: &str, neena_text: &str) -> String {
    let yesterday = chrono::Utc::now()
        .date_naive()
        .pred_opt()
        .expect("yesterday");
    let noon = yesterday
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc()
        .timestamp();
    let ts = |offset: i64| format!("{}.000{offset}00", noon + offset);
    let users = r#"[{"id":"UASK","name":"asker","profile":{"email":"SKing@example.com"}},
        {"id":"UHLP","name":"helper","profile":{"email":"nyang@example.com"}},
        {"id":"UOTH","name":"other","profile":{}}]"#;
    let channels = r#"[{"id":"C2WINS","name":"ai-wins"}]"#;
    let wins = format!(
        r#"[{{"ts":"{}","user":"UHLP","text":{},"reactions":[{{"name":"tada","users":["UASK","UOTH"],"count":2}}]}},
            {{"ts":"{}","user":"UASK","text":"Loving the meeting recaps"}},
            {{"ts":"{}","user":"UOTH","text":"Copilot wrote my test plan, saved 2 hours"}}]"#,
        ts(1),
        serde_json::Value::String(neena_text.into()),
        ts(2),
        ts(3)
    );
    let day = yesterday;
    let path = dir.join(name);
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    for (n, data) in [
        ("users.json".to_owned(), users.to_owned()),
        ("channels.json".to_owned(), channels.to_owned()),
        (format!("ai-wins/{day}.json"), wins),
    ] {
        use std::io::Write;
        z.start_file(n, zip::write::SimpleFileOptions::default())
            .expect("start");
        z.write_all(data.as_bytes()).expect("write");
    }
    z.finish().expect("finish");
    path.display().to_string()
}

fn slack_wins(base: &str, who: (&str, &str)) -> Vec<serde_json::Value> {
    let (code, v) = call(
        "GET",
        &format!("{base}/api/v1/wins?per_page=100"),
        Some(who),
        None,
    );
    assert_eq!(code, 200, "{v}");
    let mut items: Vec<serde_json::Value> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|w| w["source"] == "slack")
        .cloned()
        .collect();
    items.sort_by_key(|w| w["author"].as_str().unwrap_or_default().to_owned());
    items
}

both_backends! {
    async fn a_win_shared_in_the_wins_channel_is_a_win_everywhere(url: String) {
        oracle(&url);
        ok(&url, &["badges", "load", concat!(env!("CARGO_MANIFEST_DIR"), "/config/learning.toml")]);
        let dir = tempdir();
        let first = export(dir.path(), "first.zip", "Supplier report in 20 minutes instead of 4 hours!");
        // A workspace address that is not https://host is refused before anything is read.
        let bad = crate::flywheel(&url, &["import", "slack", &first, "--workspace-url", "http://acme.slack.com"]);
        let err = String::from_utf8_lossy(&bad.stderr);
        assert!(!bad.status.success() && err.contains("must start with https://"), "{err}");
        let v = json(&url, &["import", "slack", &first, "--workspace-url", "https://acme.slack.com/", "--json"]);
        assert_eq!(v["wins_stored"].as_u64(), Some(3), "the refused run stored nothing: {v}");
        assert_eq!(v["wins"].as_u64(), Some(3), "{v}");

        let neena = ("nyang@example.com", "a long employee password");
        let bruce = ("bmiller@example.com", "a long champion password");
        crate::http::admin_linked(&url, neena.0, neena.1, "employee", "101");
        crate::http::admin_linked(&url, bruce.0, bruce.1, "champion", "104");
        let s = crate::http::start(&url);

        // Two of the three posts have a known author; the third waits for its identity.
        let wins = slack_wins(&s.base, bruce);
        assert_eq!(wins.len(), 2, "{wins:?}");
        let (ada, steven) = (&wins[0], &wins[1]);
        assert_eq!(ada["author"], "Neena Yang", "{ada}");
        assert_eq!((ada["minutes_before"].as_i64(), ada["minutes_after"].as_i64()), (Some(240), Some(20)), "{ada}");
        assert_eq!(ada["time_stated"], "before_after");
        assert_eq!(ada["reactions"].as_i64(), Some(2));
        let link = ada["link"].as_str().expect("a link to the post");
        let digits = link.strip_prefix("https://acme.slack.com/archives/C2WINS/p").unwrap_or_default();
        assert!(digits.len() == 16 && digits.chars().all(|c| c.is_ascii_digit()), "Slack's permalink: {link}");
        assert!(ada["title"].as_str().expect("title").contains("4 hours"), "{ada}");
        assert_eq!(steven["author"], "Steven King");
        assert_eq!(steven["time_stated"], "unknown");
        assert_eq!(steven["minutes_saved_per_month"], serde_json::Value::Null, "no invented saving: {steven}");
        let win_id = ada["id"].as_i64().expect("id");

        // The pages show it, with where it was shared, and the digest counts it.
        let mut b = Client::new(&s.base);
        assert_eq!(b.login(bruce.0, bruce.1).status, 303);
        let page = b.get("/wins");
        assert!(page.body.contains(&format!("/wins/{win_id}")) && page.body.contains("shared in chat"), "{}", page.body);
        assert!(page.body.contains("240 → 20 min, once") && page.body.contains("no time stated"), "{}", page.body);
        let digest = b.get("/digest");
        assert!(digest.body.contains(&format!("/wins/{win_id}")), "{}", digest.body);
        assert!(digest.body.contains("220 minutes a month") || digest.body.contains("minutes a month"), "{}", digest.body);

        // Re-importing the same export changes nothing.
        assert!(ok(&url, &["import", "slack", &first, "--workspace-url", "https://acme.slack.com"]).contains("no changes"));
        assert_eq!(slack_wins(&s.base, bruce), wins);

        // A champion verifies it; that earns Neena the campaign badge.
        let win_page = b.get(&format!("/wins/{win_id}"));
        assert!(win_page.body.contains("the post</a>"), "{}", win_page.body);
        let r = b.post(
            &format!("/wins/{win_id}/verify"),
            &[("csrf", &hidden(&win_page.body, "csrf")), ("evidence", "Saw the supplier report built live")],
            None,
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let (_, mine) = call("GET", &format!("{}/api/v1/me/badges", s.base), Some(neena), None);
        let held: Vec<&str> = mine["awards"].as_array().expect("awards").iter().filter_map(|a| a["badge"].as_str()).collect();
        assert_eq!(held, ["sprinter"], "{mine}");

        // The post edited in a later export updates its win (same id, verification kept).
        let edited = export(dir.path(), "edited.zip", "Supplier report in 15 minutes instead of 4 hours!");
        let v = json(&url, &["import", "slack", &edited, "--workspace-url", "https://acme.slack.com", "--json"]);
        assert_eq!(v["wins_updated"].as_u64(), Some(1), "{v}");
        let after = slack_wins(&s.base, bruce);
        assert_eq!((after[0]["id"].as_i64(), after[0]["minutes_after"].as_i64()), (Some(win_id), Some(15)), "{after:?}");
        assert!(b.get(&format!("/wins/{win_id}")).body.contains("a champion on"));

        // The third author is mapped: their post becomes a win, with the saving it stated.
        let ids = write(dir.path(), "ids.csv", "kind,value,person\nslack,UOTH,108\n");
        ok(&url, &["import", "identities", &ids]);
        let all = slack_wins(&s.base, bruce);
        assert_eq!(all.len(), 3, "{all:?}");
        let nancy = all.iter().find(|w| w["author"] == "Nancy Gruenberg").expect("Nancy's win");
        assert_eq!((nancy["time_stated"].as_str(), nancy["minutes_before"].as_i64(), nancy["minutes_after"].as_i64()), (Some("saved"), Some(120), Some(0)), "{nancy}");
    }
}
