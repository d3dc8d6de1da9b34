//! The generic usage format, for any AI tool without an importer of its own.
//!
//! CSV (with a header) or JSON Lines (one object per line). Fields, by header or key name:
//!
//! | field | required | meaning |
//! |---|---|---|
//! | `person` (or `email`, `user`, `upn`) | yes | who: an email/UPN, or `kind:value` with kind `email`, `hris`, `slack`, `github` |
//! | `tool` | yes, unless `--tool` | the tool's name |
//! | `day` (or `date`) | one of the two | `YYYY-MM-DD` |
//! | `timestamp` (or `time`, `ts`) | one of the two | RFC 3339 (`2026-03-01T09:30:00Z`); counted on its UTC day |
//! | `count` | no (default 1) | events on that day: prompts, messages, completions |
//! | `feature` | no | the feature or surface used |
//!
//! A bare identifier without `@` or `kind:` is read as an HRIS id. Rows of the same person,
//! tool, day and feature add up within one file; a later file with the same day replaces
//! that day's count (so overlapping exports never double count).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use chrono::{DateTime, NaiveDate};
use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::UsageRecord;
use serde_json::Value;

use crate::csvrows::CsvRows;
use crate::error::{IngestError, Located};
use crate::hris::normalize_header;

/// Parses `kind:value` or a bare identifier (email if it has `@`, else HRIS id).
pub(crate) fn parse_identity(s: &str) -> Result<(IdentityKind, String), String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("the person is empty".into());
    }
    if let Some((k, v)) = s.split_once(':') {
        if let Ok(kind) = IdentityKind::parse(k.trim()) {
            if v.trim().is_empty() {
                return Err(format!("{s:?}: nothing after {k}:"));
            }
            return Ok((kind, v.trim().to_owned()));
        }
    }
    if s.contains('@') {
        Ok((IdentityKind::Email, s.to_owned()))
    } else {
        Ok((IdentityKind::Hris, s.to_owned()))
    }
}

/// The fields of one row, however the source spelled them.
#[derive(Default)]
struct Raw {
    person: Option<String>,
    tool: Option<String>,
    day: Option<String>,
    timestamp: Option<String>,
    count: Option<String>,
    feature: Option<String>,
}

fn field_of(name: &str) -> Option<usize> {
    match normalize_header(name).as_str() {
        "person" | "email" | "user" | "upn" | "userprincipalname" | "identity" => Some(0),
        "tool" | "app" | "product" => Some(1),
        "day" | "date" => Some(2),
        "timestamp" | "time" | "ts" | "datetime" => Some(3),
        "count" | "events" | "n" => Some(4),
        "feature" | "surface" => Some(5),
        _ => None,
    }
}

fn to_record(
    raw: Raw,
    default_tool: Option<&str>,
    at: &dyn Fn(&str, Option<String>, String) -> Located,
) -> Result<UsageRecord, Located> {
    let person = raw
        .person
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| at("person", None, "the person is missing".into()))?;
    let (identity_kind, identity) =
        parse_identity(&person).map_err(|m| at("person", Some(person.clone()), m))?;
    let tool = raw
        .tool
        .filter(|t| !t.trim().is_empty())
        .or_else(|| default_tool.map(str::to_owned))
        .ok_or_else(|| {
            at(
                "tool",
                None,
                "the tool is missing (add a tool column or pass --tool)".into(),
            )
        })?;
    let day = match (
        raw.day.filter(|d| !d.trim().is_empty()),
        raw.timestamp.filter(|t| !t.trim().is_empty()),
    ) {
        (Some(d), _) => NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
            at(
                "day",
                Some(d.clone()),
                "not a date (expected YYYY-MM-DD)".into(),
            )
        })?,
        (None, Some(t)) => DateTime::parse_from_rfc3339(t.trim())
            .map(|dt| dt.naive_utc().date())
            .map_err(|_| {
                at(
                    "timestamp",
                    Some(t.clone()),
                    "not an RFC 3339 timestamp (e.g. 2026-03-01T09:30:00Z)".into(),
                )
            })?,
        (None, None) => return Err(at("day", None, "neither a day nor a timestamp".into())),
    };
    let count = match raw.count.filter(|c| !c.trim().is_empty()) {
        None => 1,
        Some(c) => c
            .trim()
            .parse::<u64>()
            .map_err(|_| at("count", Some(c.clone()), "not a whole number ≥ 0".into()))?,
    };
    Ok(UsageRecord {
        identity_kind,
        identity,
        tool: tool.trim().to_owned(),
        day,
        period_days: 1,
        feature: raw.feature.map(|f| f.trim().to_owned()).unwrap_or_default(),
        count,
    })
}

/// A streaming reader of the generic format: yields each row's record or its located error.
pub struct EventsReader<R: Read> {
    source: String,
    default_tool: Option<String>,
    inner: Inner<R>,
}

enum Inner<R: Read> {
    Csv {
        rows: CsvRows<R>,
        cols: HashMap<usize, usize>,
    },
    Jsonl {
        lines: std::io::Lines<BufReader<crate::limits::RecordLimit<R>>>,
        line: u64,
    },
}

impl<R: Read> EventsReader<R> {
    /// `jsonl` chooses the JSON Lines form; otherwise CSV (with the delimiter `,`).
    pub fn new(
        input: R,
        source: &str,
        jsonl: bool,
        default_tool: Option<String>,
    ) -> Result<Self, IngestError> {
        let inner = if jsonl {
            Inner::Jsonl {
                lines: BufReader::new(crate::limits::RecordLimit::lines(
                    input,
                    crate::limits::get().max_record,
                ))
                .lines(),
                line: 0,
            }
        } else {
            let rows = CsvRows::open(input, source, false)?;
            let headers = rows.headers.clone();
            let cols: HashMap<usize, usize> = headers
                .iter()
                .enumerate()
                .filter_map(|(i, h)| field_of(h).map(|f| (f, i)))
                .collect();
            if !cols.contains_key(&0) {
                return Err(IngestError::Structure {
                    source_name: source.to_owned(),
                    message: format!(
                        "no person column (person, email, user or upn) among {headers:?}"
                    ),
                });
            }
            if !cols.contains_key(&2) && !cols.contains_key(&3) {
                return Err(IngestError::Structure {
                    source_name: source.to_owned(),
                    message: format!("no day or timestamp column among {headers:?}"),
                });
            }
            Inner::Csv { rows, cols }
        };
        Ok(EventsReader {
            source: source.to_owned(),
            default_tool,
            inner,
        })
    }
}

impl<R: Read> Iterator for EventsReader<R> {
    type Item = Result<UsageRecord, Located>;

    fn next(&mut self) -> Option<Self::Item> {
        let source = self.source.clone();
        let tool = self.default_tool.clone();
        match &mut self.inner {
            Inner::Csv { rows, cols } => {
                let (line, rec) = rows.next()?;
                match rec {
                    Err(e) => Some(Err(e)),
                    Ok(rec) => {
                        let headers = rows.headers.clone();
                        let at = move |f: &str, value: Option<String>, message: String| {
                            let field = cols_name(&headers, f).unwrap_or_else(|| f.to_owned());
                            Located {
                                source: source.clone(),
                                line,
                                field: Some(field),
                                value,
                                message,
                            }
                        };
                        let get =
                            |f: usize| cols.get(&f).and_then(|&i| rec.get(i)).map(str::to_owned);
                        let raw = Raw {
                            person: get(0),
                            tool: get(1),
                            day: get(2),
                            timestamp: get(3),
                            count: get(4),
                            feature: get(5),
                        };
                        Some(to_record(raw, tool.as_deref(), &at))
                    }
                }
            }
            Inner::Jsonl { lines, line } => loop {
                let next = lines.next()?;
                *line += 1;
                let n = *line;
                let at = |f: &str, value: Option<String>, message: String| Located {
                    source: source.clone(),
                    line: n,
                    field: Some(f.to_owned()),
                    value,
                    message,
                };
                let text = match next {
                    Ok(t) => t,
                    Err(e) => return Some(Err(at("line", None, format!("cannot read: {e}")))),
                };
                if text.trim().is_empty() {
                    continue;
                }
                let v: Value = match serde_json::from_str(&text) {
                    Ok(v) => v,
                    Err(e) => return Some(Err(at("json", None, format!("not JSON: {e}")))),
                };
                let Some(obj) = v.as_object() else {
                    return Some(Err(at("json", None, "expected an object per line".into())));
                };
                let mut raw = Raw::default();
                for (k, val) in obj {
                    let Some(f) = field_of(k) else { continue };
                    let s = match val {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Null => continue,
                        other => {
                            return Some(Err(at(
                                k,
                                Some(other.to_string()),
                                "expected a string or a number".into(),
                            )))
                        }
                    };
                    match f {
                        0 => raw.person = Some(s),
                        1 => raw.tool = Some(s),
                        2 => raw.day = Some(s),
                        3 => raw.timestamp = Some(s),
                        4 => raw.count = Some(s),
                        _ => raw.feature = Some(s),
                    }
                }
                return Some(to_record(raw, tool.as_deref(), &at));
            },
        }
    }
}

/// The header name in the file for a field named `f` (`person`, `day`, …).
fn cols_name(headers: &[String], f: &str) -> Option<String> {
    let want = field_of(f)?;
    headers.iter().find(|h| field_of(h) == Some(want)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, jsonl: bool) -> Vec<Result<UsageRecord, Located>> {
        EventsReader::new(text.as_bytes(), "ev", jsonl, None)
            .expect("opens")
            .collect()
    }

    #[test]
    fn csv_and_jsonl_read_the_same() {
        let csv = "person,tool,timestamp,count,feature\nAda@X.org,Claude,2026-03-01T23:30:00-02:00,3,chat\ngithub:octo,Copilot,2026-03-02T10:00:00Z,,\n";
        let jsonl = "{\"email\":\"Ada@X.org\",\"tool\":\"Claude\",\"ts\":\"2026-03-01T23:30:00-02:00\",\"count\":3,\"feature\":\"chat\"}\n\n{\"person\":\"github:octo\",\"tool\":\"Copilot\",\"time\":\"2026-03-02T10:00:00Z\",\"extra\":true}\n";
        let a: Vec<UsageRecord> = all(csv, false)
            .into_iter()
            .map(|r| r.expect("ok"))
            .collect();
        let b: Vec<UsageRecord> = all(jsonl, true)
            .into_iter()
            .map(|r| r.expect("ok"))
            .collect();
        assert_eq!(a, b);
        assert_eq!(
            a[0].day,
            NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"),
            "counted on the UTC day"
        );
        assert_eq!(
            (a[0].identity_kind, a[0].count, a[0].feature.as_str()),
            (IdentityKind::Email, 3, "chat")
        );
        assert_eq!(
            (a[1].identity_kind, a[1].identity.as_str(), a[1].count),
            (IdentityKind::Github, "octo", 1)
        );
    }

    #[test]
    fn errors_name_line_field_and_value() {
        let csv = "user,tool,day,count\na@x.org,T,2026-01-01,1\na@x.org,T,2026-13-01,1\n,T,2026-01-01,1\nb@x.org,T,2026-01-01,-4\n";
        let errs: Vec<String> = all(csv, false)
            .into_iter()
            .filter_map(Result::err)
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            errs,
            vec![
                "ev:3: column \"day\": value \"2026-13-01\": not a date (expected YYYY-MM-DD)"
                    .to_owned(),
                "ev:4: column \"user\": the person is missing".to_owned(),
                "ev:5: column \"count\": value \"-4\": not a whole number ≥ 0".to_owned(),
            ]
        );
        let errs: Vec<String> = all(
            "{\"person\":\"a@x\",\"day\":\"2026-01-01\"}\nnot json\n",
            true,
        )
        .into_iter()
        .filter_map(Result::err)
        .map(|e| e.to_string())
        .collect();
        assert!(errs[0].contains("ev:1: column \"tool\""), "{errs:?}");
        assert!(errs[1].starts_with("ev:2: column \"json\""), "{errs:?}");
        assert!(EventsReader::new(&b"tool,day\nT,2026-01-01\n"[..], "ev", false, None).is_err());
    }

    #[test]
    fn identities() {
        assert_eq!(
            parse_identity("slack:U123"),
            Ok((IdentityKind::Slack, "U123".into()))
        );
        assert_eq!(
            parse_identity("E0042"),
            Ok((IdentityKind::Hris, "E0042".into()))
        );
        assert_eq!(
            parse_identity("mailto:x"),
            Ok((IdentityKind::Hris, "mailto:x".into()))
        );
        assert!(parse_identity("github:").is_err());
    }
}
