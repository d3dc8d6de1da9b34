//! Microsoft 365 Copilot usage user detail: the CSV report (version 1 and 2 columns, any
//! order, mapped by header name) and the JSON of the beta endpoint (`{"value": [...]}`).
//!
//! The report holds, per licensed user, the last day of activity overall and per app, and
//! (version 2) prompt counts and active usage days over the report period. Each last
//! activity date becomes one active day (feature = the app); period counts become one
//! record over the period; every row is also a licence (access). Columns are recognised
//! by pattern (`… Last Activity Date`, `… Prompt…`, `… Active … Days`), so columns
//! Microsoft adds later are read, and unknown ones ignored. Concealed names are counted
//! and skipped, never joined.

use std::io::Read;

use chrono::{Duration, NaiveDate};
use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::{AccessRecord, UsageRecord};
use serde_json::Value;

use crate::csvrows::CsvRows;
use crate::error::{IngestError, Located};
use crate::hris::normalize_header;
use crate::parsed::{is_concealed, Parsed, CONCEALED};

/// The tool name Microsoft 365 Copilot usage is stored under.
pub const TOOL: &str = "Microsoft 365 Copilot";

/// What a column of the report means.
#[derive(Debug, Clone, PartialEq)]
enum Col {
    Refresh,
    Upn,
    LastActivity,
    /// Last activity in one app (its canonical name).
    AppActivity(String),
    Period,
    /// A count over the report period (prompts, active days), with its feature name.
    PeriodCount(String),
    Ignored,
}

/// Canonical app names, so the CSV's "Microsoft Teams Copilot …" and the JSON's
/// "microsoftTeamsCopilot…" are the same feature.
fn app_name(prefix: &str) -> String {
    let known = [
        ("copilotchat", "Copilot Chat"),
        ("microsoftteamscopilot", "Teams"),
        ("teamscopilot", "Teams"),
        ("wordcopilot", "Word"),
        ("excelcopilot", "Excel"),
        ("powerpointcopilot", "PowerPoint"),
        ("outlookcopilot", "Outlook"),
        ("onenotecopilot", "OneNote"),
        ("loopcopilot", "Loop"),
    ];
    known
        .iter()
        .find(|(k, _)| *k == prefix)
        .map_or_else(|| prefix.to_owned(), |(_, v)| (*v).to_owned())
}

fn classify(header: &str) -> Col {
    let n = normalize_header(header);
    match n.as_str() {
        "reportrefreshdate" => Col::Refresh,
        "userprincipalname" => Col::Upn,
        "lastactivitydate" => Col::LastActivity,
        "reportperiod" => Col::Period,
        _ if n.ends_with("lastactivitydate") => {
            Col::AppActivity(app_name(&n[..n.len() - "lastactivitydate".len()]))
        }
        _ if n.contains("prompt") => Col::PeriodCount(format!("prompts:{n}")),
        _ if n.contains("active") && n.contains("days") => {
            Col::PeriodCount(format!("active_days:{n}"))
        }
        _ => Col::Ignored,
    }
}

fn parse_period(s: &str) -> Result<Option<u32>, String> {
    let t = s.trim().trim_start_matches(['D', 'd']);
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(None);
    }
    t.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("{s:?} is not a report period (7, 28, 30, 90, 180, D7…, ALL)"))
}

/// One report row as (column meaning, value) pairs; `at` locates errors.
fn row_to_parsed(
    cells: &[(Col, String, String)],
    at: &dyn Fn(&str, Option<String>, String) -> Located,
) -> Result<Parsed, Located> {
    let get = |want: &Col| {
        cells
            .iter()
            .find(|(c, _, _)| c == want)
            .map(|(_, h, v)| (h.clone(), v.trim().to_owned()))
    };
    let date = |h: &str, v: &str| -> Result<Option<NaiveDate>, Located> {
        if v.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(v.get(..10).unwrap_or(v), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                at(
                    h,
                    Some(v.to_owned()),
                    "not a date (expected YYYY-MM-DD)".into(),
                )
            })
    };
    let (upn_h, upn) =
        get(&Col::Upn).ok_or_else(|| at("User Principal Name", None, "missing".into()))?;
    if upn.is_empty() {
        return Err(at(&upn_h, None, "the user principal name is empty".into()));
    }
    if is_concealed(&upn) {
        return Ok(Parsed {
            skipped: Some(CONCEALED),
            ..Default::default()
        });
    }
    let refresh = match get(&Col::Refresh) {
        Some((h, v)) => date(&h, &v)?,
        None => None,
    };
    let period = match get(&Col::Period) {
        Some((h, v)) if !v.is_empty() => {
            parse_period(&v).map_err(|m| at(&h, Some(v.clone()), m))?
        }
        _ => None,
    };
    let rec = |day, period_days, feature: String, count| UsageRecord {
        identity_kind: IdentityKind::Email,
        identity: upn.clone(),
        tool: TOOL.to_owned(),
        day,
        period_days,
        feature,
        count,
    };
    let mut usage = Vec::new();
    let mut last = None;
    for (col, h, v) in cells {
        match col {
            Col::LastActivity => {
                if let Some(d) = date(h, v)? {
                    last = Some(d);
                    usage.push(rec(d, 1, String::new(), 1));
                }
            }
            Col::AppActivity(app) => {
                if let Some(d) = date(h, v)? {
                    usage.push(rec(d, 1, app.clone(), 1));
                }
            }
            Col::PeriodCount(feature) if !v.trim().is_empty() => {
                let n: u64 = v
                    .trim()
                    .parse()
                    .map_err(|_| at(h, Some(v.clone()), "not a whole number ≥ 0".into()))?;
                // A count over the period needs its first day: the refresh date and a
                // numeric period give it; period ALL has none, so the count is not kept.
                if let (Some(r), Some(p)) = (refresh, period) {
                    if p >= 1 {
                        usage.push(rec(
                            r - Duration::days(i64::from(p) - 1),
                            p,
                            feature.clone(),
                            n,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    usage.sort_by(|a, b| (a.day, &a.feature).cmp(&(b.day, &b.feature)));
    Ok(Parsed {
        usage,
        access: Some(AccessRecord {
            identity_kind: IdentityKind::Email,
            identity: upn.clone(),
            tool: TOOL.to_owned(),
            granted_on: None,
            last_activity_on: last,
            ends_on: None,
        }),
        skipped: None,
    })
}

/// Reads the CSV report (streaming) or, when the first character is `{`, the JSON.
pub fn read_m365<R: Read + 'static>(
    input: R,
    source: &str,
) -> Result<Box<dyn Iterator<Item = Result<Parsed, Located>>>, IngestError> {
    let mut input = std::io::BufReader::new(input);
    let first = {
        use std::io::BufRead;
        let buf = input.fill_buf().map_err(|e| IngestError::Structure {
            source_name: source.into(),
            message: format!("cannot read: {e}"),
        })?;
        let text = String::from_utf8_lossy(&buf[..buf.len().min(16)])
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next();
        text
    };
    if first == Some('{') {
        return read_json(input, source);
    }
    let rows = CsvRows::open(input, source, true)?;
    let headers = rows.headers.clone();
    let cols: Vec<Col> = headers.iter().map(|h| classify(h)).collect();
    if !cols.contains(&Col::Upn) {
        return Err(IngestError::Structure {
            source_name: source.into(),
            message: format!("not a Microsoft 365 Copilot usage report: no \"User Principal Name\" column among {headers:?}"),
        });
    }
    let source = source.to_owned();
    Ok(Box::new(rows.map(move |(n, rec)| {
        let src = source.clone();
        let at = move |f: &str, value: Option<String>, message: String| Located {
            source: src.clone(),
            line: n,
            field: Some(f.to_owned()),
            value,
            message,
        };
        let rec = rec?;
        let cells: Vec<(Col, String, String)> = cols
            .iter()
            .zip(&headers)
            .zip(rec.iter())
            .map(|((c, h), v)| (c.clone(), h.clone(), v.to_owned()))
            .collect();
        row_to_parsed(&cells, &at)
    })))
}

fn read_json<R: Read>(
    input: R,
    source: &str,
) -> Result<Box<dyn Iterator<Item = Result<Parsed, Located>>>, IngestError> {
    let structure = |message: String| IngestError::Structure {
        source_name: source.to_owned(),
        message,
    };
    let bytes = crate::limits::read_document(input, crate::limits::get().max_document)
        .map_err(|e| structure(e.to_string()))?;
    let v: Value =
        serde_json::from_slice(&bytes).map_err(|e| structure(format!("not JSON: {e}")))?;
    drop(bytes);
    let rows = v
        .get("value")
        .and_then(Value::as_array)
        .ok_or_else(|| structure("expected {\"value\": [...]}".into()))?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let at = |f: &str, value: Option<String>, message: String| Located {
            source: source.to_owned(),
            line: i as u64 + 1,
            field: Some(f.to_owned()),
            value,
            message,
        };
        let Some(obj) = row.as_object() else {
            out.push(Err(at("value", None, "expected an object".into())));
            continue;
        };
        let mut cells = Vec::new();
        for (k, val) in obj {
            let text = match val {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Array(a) if normalize_header(k) == "copilotactivityuserdetailsbyperiod" => {
                    if let Some(p) = a.first().and_then(|p| p.get("reportPeriod")) {
                        cells.push((
                            Col::Period,
                            "reportPeriod".to_owned(),
                            p.to_string().trim_matches('"').to_owned(),
                        ));
                    }
                    continue;
                }
                _ => continue,
            };
            cells.push((classify(k), k.clone(), text));
        }
        out.push(row_to_parsed(&cells, &at));
    }
    Ok(Box::new(out.into_iter()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &'static str) -> Vec<Parsed> {
        read_m365(text.as_bytes(), "m365")
            .expect("opens")
            .map(|r| r.expect("row"))
            .collect()
    }

    fn fixture(p: &str) -> std::fs::File {
        std::fs::File::open(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/fixtures/m365")
                .join(p),
        )
        .expect("fixture")
    }

    #[test]
    fn fixtures_are_concealed_and_skipped() {
        for f in [
            "doc-example_copilot-usage-user-detail_v1.csv",
            "doc-example_copilot-usage-user-detail_beta.json",
        ] {
            let rows: Vec<Parsed> = read_m365(fixture(f), f)
                .expect("opens")
                .map(|r| r.expect("row"))
                .collect();
            assert_eq!(rows.len(), 1, "{f}");
            assert_eq!(rows[0].skipped, Some(CONCEALED), "{f}");
        }
    }

    #[test]
    fn v1_v2_and_json_agree() {
        let v1 = "\u{feff}Report Period,User Principal Name,Report Refresh Date,Last Activity Date,Word Copilot Last Activity Date,Microsoft Teams Copilot Last Activity Date,Future App Copilot Last Activity Date,Unknown\n\
                  7,Ada@Example.com,2026-07-03,2026-07-02,,2026-07-02,2026-06-30,x\n";
        let rows = all(v1);
        let feats: Vec<(&str, String)> = rows[0]
            .usage
            .iter()
            .map(|u| (u.feature.as_str(), u.day.to_string()))
            .collect();
        assert_eq!(
            feats,
            vec![
                ("futureappcopilot", "2026-06-30".to_owned()),
                ("", "2026-07-02".into()),
                ("Teams", "2026-07-02".into())
            ]
        );
        assert_eq!(
            rows[0].access.as_ref().and_then(|a| a.last_activity_on),
            NaiveDate::from_ymd_opt(2026, 7, 2)
        );

        let v2 = "Report Refresh Date,User Principal Name,Display Name,Last Activity Date,Microsoft Teams Copilot Last Activity Date,Copilot Chat Prompts Submitted Count,Active Usage Days,Report Period\n\
                  2026-07-28,ada@example.com,Ada,2026-07-27,2026-07-27,42,9,D28\n";
        let rows = all(v2);
        let prompts = rows[0]
            .usage
            .iter()
            .find(|u| u.feature.starts_with("prompts:"))
            .expect("prompts");
        assert_eq!(
            (
                prompts.count,
                prompts.period_days,
                prompts.day.to_string().as_str()
            ),
            (42, 28, "2026-07-01")
        );
        assert!(rows[0]
            .usage
            .iter()
            .any(|u| u.feature.starts_with("active_days:") && u.count == 9));

        let json = r#"{"value":[{"reportRefreshDate":"2026-07-03","userPrincipalName":"Ada@Example.com","lastActivityDate":"2026-07-02",
            "wordCopilotLastActivityDate":"","microsoftTeamsCopilotLastActivityDate":"2026-07-02","futureAppCopilotLastActivityDate":"2026-06-30",
            "excelCopilotLastActivityDate":null,"copilotActivityUserDetailsByPeriod":[{"reportPeriod":7}]}]}"#;
        let from_json: Vec<Parsed> = read_m365(json.as_bytes(), "j")
            .expect("opens")
            .map(|r| r.expect("row"))
            .collect();
        assert_eq!(
            from_json,
            all(v1),
            "the JSON and the CSV of one report give the same records"
        );
    }

    #[test]
    fn errors_are_located() {
        let bad = "User Principal Name,Last Activity Date,Report Period\nada@x.org,07/02/2026,7\nbo@x.org,2026-07-02,weekly\n";
        let errs: Vec<String> = read_m365(bad.as_bytes(), "m.csv")
            .expect("opens")
            .filter_map(Result::err)
            .map(|e| e.to_string())
            .collect();
        assert_eq!(errs.len(), 2);
        assert!(
            errs[0].starts_with("m.csv:2: column \"Last Activity Date\": value \"07/02/2026\""),
            "{errs:?}"
        );
        assert!(
            errs[1].starts_with("m.csv:3: column \"Report Period\": value \"weekly\""),
            "{errs:?}"
        );
        assert!(read_m365(&b"Email,Date\n"[..], "m.csv").is_err());
        assert!(read_m365(&b"{\"value\": 3}"[..], "m.json").is_err());
    }
}

/// The version 1 apps, as the report's column names spell them.
pub const V1_APPS: [&str; 8] = [
    "Copilot Chat",
    "Microsoft Teams Copilot",
    "Word Copilot",
    "Excel Copilot",
    "PowerPoint Copilot",
    "Outlook Copilot",
    "OneNote Copilot",
    "Loop Copilot",
];

/// One user of a report to write: UPN, last activity overall, and last activity per app
/// (index into [`V1_APPS`]).
pub struct ReportRow {
    pub upn: String,
    pub last_activity: Option<NaiveDate>,
    pub apps: Vec<(usize, NaiveDate)>,
}

/// Writes a usage user detail report in the version 1 CSV layout (with the UTF-8
/// byte-order mark Microsoft's exports carry).
pub fn write_report<W: std::io::Write>(
    out: W,
    refresh: NaiveDate,
    period_days: u32,
    rows: &[ReportRow],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec![
        "\u{feff}Report Refresh Date".to_owned(),
        "User Principal Name".into(),
        "Display Name".into(),
        "Last Activity Date".into(),
    ];
    header.extend(V1_APPS.iter().map(|a| format!("{a} Last Activity Date")));
    header.push("Report Period".into());
    w.write_record(&header)?;
    let date = |d: Option<NaiveDate>| {
        d.map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    for r in rows {
        let mut rec = vec![
            date(Some(refresh)),
            r.upn.clone(),
            r.upn.split('@').next().unwrap_or("").to_owned(),
            date(r.last_activity),
        ];
        for i in 0..V1_APPS.len() {
            rec.push(date(r.apps.iter().find(|(a, _)| *a == i).map(|(_, d)| *d)));
        }
        rec.push(period_days.to_string());
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod writer_tests {
    use super::*;

    #[test]
    fn written_reports_read_back() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let rows = vec![
            ReportRow {
                upn: "ada@example.com".into(),
                last_activity: Some(d("2026-03-05")),
                apps: vec![(1, d("2026-03-05")), (2, d("2026-03-02"))],
            },
            ReportRow {
                upn: "bo@example.com".into(),
                last_activity: None,
                apps: vec![],
            },
        ];
        let mut buf = Vec::new();
        write_report(&mut buf, d("2026-03-06"), 7, &rows).expect("write");
        assert!(buf.starts_with("\u{feff}".as_bytes()));
        let back: Vec<Parsed> = read_m365(std::io::Cursor::new(buf), "w")
            .expect("opens")
            .map(|r| r.expect("row"))
            .collect();
        let feats: Vec<(String, NaiveDate)> = back[0]
            .usage
            .iter()
            .map(|u| (u.feature.clone(), u.day))
            .collect();
        assert_eq!(
            feats,
            vec![
                ("Word".to_owned(), d("2026-03-02")),
                (String::new(), d("2026-03-05")),
                ("Teams".to_owned(), d("2026-03-05"))
            ]
        );
        assert!(
            back[1].usage.is_empty() && back[1].access.is_some(),
            "a licensed user without activity"
        );
    }
}
