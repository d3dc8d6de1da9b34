//! GitHub Copilot exports: user-level usage metrics (NDJSON, one object per user and day;
//! or the report envelope whose `download_links` name such files) and the seat assignment
//! list (`{"total_seats": n, "seats": [...]}`).
//!
//! GitHub keeps adding fields to these reports, so rows are read as JSON values and only
//! the fields Flywheel uses are required: `day` and `user_login`.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, NaiveDate};
use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::{AccessRecord, UsageRecord};
use serde_json::Value;

use crate::error::{IngestError, Located};
use crate::parsed::Parsed;

/// The tool name GitHub Copilot usage and seats are stored under.
pub const TOOL: &str = "GitHub Copilot";

/// What a GitHub Copilot file turned out to be.
#[derive(Debug)]
pub enum GithubFile {
    /// Usage rows from NDJSON, streamed: one [`Parsed`] per JSON object.
    Usage(UsageRows),
    /// The files an envelope's `download_links` point at, resolved to local paths.
    Envelope(Vec<PathBuf>),
    /// Seat assignments, with the `total_seats` the file announces (pages may hold fewer).
    Seats {
        seats: Vec<AccessRecord>,
        total_seats: Option<u64>,
    },
}

fn count(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn date_of(v: Option<&Value>) -> Option<NaiveDate> {
    let s = v?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.naive_utc().date())
        .ok()
        .or_else(|| NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok())
}

/// Usage records of one user-level row: the day's total and one per feature. The count is
/// what the person did: prompts they started plus suggestions they accepted.
fn usage_of_row(
    v: &Value,
    at: &dyn Fn(&str, Option<String>, String) -> Located,
) -> Result<Vec<UsageRecord>, Located> {
    let login = v
        .get("user_login")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| at("user_login", None, "missing".into()))?;
    let day_text = v
        .get("day")
        .and_then(Value::as_str)
        .ok_or_else(|| at("day", None, "missing".into()))?;
    let day = NaiveDate::parse_from_str(day_text, "%Y-%m-%d").map_err(|_| {
        at(
            "day",
            Some(day_text.to_owned()),
            "not a date (expected YYYY-MM-DD)".into(),
        )
    })?;
    let acted = |x: &Value| {
        count(x, "user_initiated_interaction_count") + count(x, "code_acceptance_activity_count")
    };
    let mut out = vec![UsageRecord {
        identity_kind: IdentityKind::Github,
        identity: login.to_owned(),
        tool: TOOL.to_owned(),
        day,
        period_days: 1,
        feature: String::new(),
        count: acted(v),
    }];
    if let Some(features) = v.get("totals_by_feature").and_then(Value::as_array) {
        for f in features {
            let Some(name) = f
                .get("feature")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
            else {
                continue;
            };
            out.push(UsageRecord {
                identity_kind: IdentityKind::Github,
                identity: login.to_owned(),
                tool: TOOL.to_owned(),
                day,
                period_days: 1,
                feature: name.to_owned(),
                count: acted(f),
            });
        }
    }
    Ok(out)
}

/// Resolves a download link to a file beside the envelope: a URL's last path segment, or
/// a relative path that stays inside the envelope's directory.
fn local_link(dir: &Path, link: &str) -> Result<PathBuf, String> {
    let rel = if link.contains("://") {
        let path = link.split(['?', '#']).next().unwrap_or("");
        let name = path.rsplit('/').next().unwrap_or("");
        if name.is_empty() {
            return Err(format!("{link:?}: no file name in the link"));
        }
        PathBuf::from(name)
    } else {
        PathBuf::from(link)
    };
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!(
            "{link:?}: links must stay inside the envelope's directory"
        ));
    }
    let p = dir.join(&rel);
    if !p.is_file() {
        return Err(format!(
            "{link:?}: download it to {} first (Flywheel does not fetch URLs)",
            p.display()
        ));
    }
    Ok(p)
}

/// Reads a GitHub Copilot file of any of the three kinds. `dir` is where an envelope's
/// links are looked for. Usage rows stream ([`UsageRows`]); seats and envelopes are small
/// and read whole.
pub fn read_github<R: Read + 'static>(
    input: R,
    source: &str,
    dir: &Path,
) -> Result<GithubFile, IngestError> {
    let limited = crate::limits::RecordLimit::lines(input, crate::limits::get().max_record);
    let mut stream = serde_json::Deserializer::from_reader(limited).into_iter::<Value>();
    let structure = |message: String| IngestError::Structure {
        source_name: source.to_owned(),
        message,
    };
    let first = match stream.next() {
        // A report with no records is a quiet period (nobody used Copilot that day or
        // week), not an error: it imports as zero records.
        None => {
            return Ok(GithubFile::Usage(UsageRows {
                source: source.to_owned(),
                first: None,
                rest: Box::new(stream),
                record: 0,
                done: true,
            }))
        }
        Some(Err(e)) => return Err(structure(format!("record 1: not JSON: {e}"))),
        Some(Ok(v)) => v,
    };
    if let Some(seats) = first.get("seats").and_then(Value::as_array) {
        let mut out = Vec::with_capacity(seats.len());
        for (i, s) in seats.iter().enumerate() {
            let login = s
                .pointer("/assignee/login")
                .and_then(Value::as_str)
                .filter(|l| !l.is_empty());
            let Some(login) = login else {
                return Err(structure(format!("seats[{i}]: assignee.login is missing")));
            };
            out.push(AccessRecord {
                identity_kind: IdentityKind::Github,
                identity: login.to_owned(),
                tool: TOOL.to_owned(),
                granted_on: date_of(s.get("created_at")),
                last_activity_on: date_of(s.get("last_activity_at")),
                ends_on: date_of(s.get("pending_cancellation_date")),
            });
        }
        return Ok(GithubFile::Seats {
            seats: out,
            total_seats: first.get("total_seats").and_then(Value::as_u64),
        });
    }
    if let Some(links) = first.get("download_links").and_then(Value::as_array) {
        let mut paths = Vec::with_capacity(links.len());
        for (i, l) in links.iter().enumerate() {
            let link = l
                .as_str()
                .ok_or_else(|| structure(format!("download_links[{i}] is not a string")))?;
            paths.push(
                local_link(dir, link)
                    .map_err(|m| structure(format!("download_links[{i}]: {m}")))?,
            );
        }
        return Ok(GithubFile::Envelope(paths));
    }
    Ok(GithubFile::Usage(UsageRows {
        source: source.to_owned(),
        first: Some(first),
        rest: Box::new(stream),
        record: 0,
        done: false,
    }))
}

/// The user-level rows of an NDJSON file, parsed one JSON object at a time (memory does not
/// grow with the file).
pub struct UsageRows {
    source: String,
    first: Option<Value>,
    rest: Box<dyn Iterator<Item = serde_json::Result<Value>>>,
    record: u64,
    done: bool,
}

impl std::fmt::Debug for UsageRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UsageRows({}, at record {})", self.source, self.record)
    }
}

impl Iterator for UsageRows {
    type Item = Result<Parsed, Located>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match self.first.take() {
            Some(v) => Ok(v),
            None => self.rest.next()?,
        };
        self.record += 1;
        let (source, line) = (&self.source, self.record);
        let at = |f: &str, value: Option<String>, message: String| Located {
            source: source.clone(),
            line,
            field: Some(f.to_owned()),
            value,
            message,
        };
        Some(match item {
            Ok(v) => usage_of_row(&v, &at).map(|usage| Parsed {
                usage,
                access: None,
                skipped: None,
            }),
            Err(e) => {
                // The stream cannot resynchronise after malformed JSON.
                self.done = true;
                Err(at("json", None, format!("not JSON: {e}")))
            }
        })
    }
}

impl UsageRows {
    /// All records and the number of rows, or every problem (for small files and tests).
    pub fn collect_all(self) -> Result<(Vec<UsageRecord>, u64), IngestError> {
        let mut records = Vec::new();
        let mut rows = 0;
        let mut problems = crate::error::Problems::default();
        for r in self {
            rows += 1;
            match r {
                Ok(p) => records.extend(p.usage),
                Err(e) => problems.push(e),
            }
        }
        problems.into_result((records, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(p: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/github-copilot")
            .join(p)
    }

    #[test]
    fn fixture_rows_and_seats() {
        let f = std::fs::File::open(fixture("example-schema.user-level.ndjson")).expect("fixture");
        match read_github(f, "gh.ndjson", Path::new(".")).expect("reads") {
            GithubFile::Usage(u) => {
                let (rows, n) = u.collect_all().expect("rows");
                assert_eq!(n, 1);
                assert_eq!(rows[0].identity, "login1");
                assert_eq!(
                    rows[0].day,
                    NaiveDate::from_ymd_opt(2025, 10, 1).expect("date")
                );
                assert_eq!(rows[0].count, 1, "0 prompts + 1 acceptance");
                assert!(rows.iter().any(|r| r.feature == "code_completion"));
            }
            other => panic!("expected usage, got {other:?}"),
        }
        let f = std::fs::File::open(fixture("organization_seats_response_sample.json"))
            .expect("fixture");
        match read_github(f, "seats.json", Path::new(".")).expect("reads") {
            GithubFile::Seats { seats, total_seats } => {
                assert_eq!((seats.len(), total_seats), (9, Some(9)));
                let newbie = seats
                    .iter()
                    .find(|s| s.identity == "newjoiner")
                    .expect("newjoiner");
                assert_eq!(newbie.last_activity_on, None);
                assert_eq!(newbie.granted_on, NaiveDate::from_ymd_opt(2026, 4, 28));
            }
            other => panic!("expected seats, got {other:?}"),
        }
    }

    #[test]
    fn ndjson_stream_tolerates_new_fields_and_locates_errors() {
        let text = "{\"day\":\"2026-01-02\",\"user_login\":\"a\",\"user_initiated_interaction_count\":4,\"brand_new\":{\"x\":1}}\n\
                    {\"day\":\"2026-01-02\",\"user_login\":\"\"}\n{\"day\":\"02/01/2026\",\"user_login\":\"b\"}\n";
        let usage = |bytes: Vec<u8>, name: &str| match read_github(
            std::io::Cursor::new(bytes),
            name,
            Path::new("."),
        )? {
            GithubFile::Usage(u) => u.collect_all(),
            other => panic!("{other:?}"),
        };
        let err = usage(text.as_bytes().to_vec(), "u.ndjson")
            .expect_err("bad rows")
            .to_string();
        assert!(
            err.contains("u.ndjson:2: column \"user_login\": missing"),
            "{err}"
        );
        assert!(
            err.contains("u.ndjson:3: column \"day\": value \"02/01/2026\""),
            "{err}"
        );
        let (records, rows) = usage(
            text.as_bytes()[..text.find('\n').unwrap_or(0)].to_vec(),
            "u",
        )
        .expect("one row");
        assert!(rows == 1 && records[0].count == 4);
        assert!(
            read_github(&b"{\"day\": \"2026-01-0"[..], "t", Path::new(".")).is_err(),
            "truncated"
        );
        let truncated_later = format!(
            "{}\n{{\"day\": \"2026-01-0",
            &text[..text.find('\n').unwrap_or(0)]
        );
        let err = usage(truncated_later.into_bytes(), "t")
            .expect_err("truncated")
            .to_string();
        assert!(err.contains("t:2") && err.contains("not JSON"), "{err}");
    }

    #[test]
    fn envelope_links_stay_local() {
        let dir = tempdir_here();
        std::fs::write(dir.join("part1.ndjson"), "").expect("write");
        let env = r#"{"download_links":["https://example.invalid/reports/part1.ndjson?sig=abc"],"report_start_day":"2026-01-01"}"#;
        match read_github(env.as_bytes(), "env.json", &dir).expect("reads") {
            GithubFile::Envelope(p) => assert_eq!(p, vec![dir.join("part1.ndjson")]),
            other => panic!("{other:?}"),
        }
        for bad in [
            r#"{"download_links":["../etc/passwd"]}"#,
            r#"{"download_links":["/etc/passwd"]}"#,
            r#"{"download_links":["https://x/missing.ndjson"]}"#,
        ] {
            assert!(
                read_github(bad.as_bytes(), "env.json", &dir).is_err(),
                "{bad}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempdir_here() -> PathBuf {
        let d = std::env::temp_dir().join(format!("fw-gh-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }
}

/// One user-day of usage to write in the user-level NDJSON layout.
pub struct DayRow {
    pub login: String,
    pub day: NaiveDate,
    pub prompts: u64,
    pub acceptances: u64,
    /// Feature name, prompts, acceptances.
    pub features: Vec<(String, u64, u64)>,
}

/// Writes user-level usage metrics as NDJSON, one object per user and day, with the
/// fields GitHub's reports carry (those Flywheel reads and a few it does not).
pub fn write_ndjson<W: std::io::Write>(mut out: W, rows: &[DayRow]) -> std::io::Result<()> {
    for r in rows {
        let features: Vec<Value> = r
            .features
            .iter()
            .map(|(f, p, a)| {
                serde_json::json!({
                    "feature": f, "user_initiated_interaction_count": p, "code_acceptance_activity_count": a,
                    "code_generation_activity_count": a * 2, "loc_added_sum": a * 6,
                })
            })
            .collect();
        let v = serde_json::json!({
            "day": r.day.format("%Y-%m-%d").to_string(),
            "user_login": r.login,
            "user_initiated_interaction_count": r.prompts,
            "code_acceptance_activity_count": r.acceptances,
            "code_generation_activity_count": r.acceptances * 2,
            "loc_added_sum": r.acceptances * 6,
            "used_chat": r.prompts > 0,
            "totals_by_feature": features,
        });
        serde_json::to_writer(&mut out, &v)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod writer_tests {
    use super::*;

    #[test]
    fn written_rows_read_back() {
        let rows = vec![DayRow {
            login: "ada-lee".into(),
            day: NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"),
            prompts: 3,
            acceptances: 5,
            features: vec![
                ("code_completion".into(), 0, 5),
                ("chat_panel_ask_mode".into(), 3, 0),
            ],
        }];
        let mut buf = Vec::new();
        write_ndjson(&mut buf, &rows).expect("write");
        match read_github(std::io::Cursor::new(buf), "w", Path::new(".")).expect("reads") {
            GithubFile::Usage(u) => {
                let (records, rows) = u.collect_all().expect("rows");
                assert_eq!(rows, 1);
                assert_eq!(records[0].count, 8);
                assert_eq!(records.len(), 3);
            }
            other => panic!("{other:?}"),
        }
    }
}
