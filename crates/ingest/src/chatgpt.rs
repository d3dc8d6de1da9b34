//! ChatGPT Enterprise user-engagement exports (weekly or monthly), mapped by header name.
//!
//! Traps of the format handled here: `*_to_messages` and `groups` hold Python dict text
//! (single quotes); `department` holds a JSON array as text; empty differs from 0 (invited
//! users have empty `is_active` and `messages`: they have access but never used it);
//! deleted users appear and keep their history.

use std::collections::HashMap;
use std::io::Read;

use chrono::NaiveDate;
use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::{AccessRecord, UsageRecord};

use crate::csvrows::CsvRows;
use crate::error::{IngestError, Located};
use crate::hris::normalize_header;
use crate::parsed::Parsed;
use crate::pydict::parse_counts;

/// The tool name ChatGPT Enterprise usage is stored under.
pub const TOOL: &str = "ChatGPT Enterprise";

/// Reason recorded for invited users who never used the tool (their access is kept).
pub const INVITED: &str = "invited, never active (access recorded, no usage)";

const REQUIRED: [&str; 3] = ["email", "periodstart", "periodend"];

/// One row of the export, with what names its fields in errors.
struct Row<'a> {
    index: &'a HashMap<String, usize>,
    headers: &'a [String],
    source: &'a str,
    line: u64,
    rec: &'a csv::StringRecord,
}

impl Row<'_> {
    fn at(&self, field: &str, value: Option<String>, message: String) -> Located {
        Located {
            source: self.source.to_owned(),
            line: self.line,
            field: Some(field.to_owned()),
            value,
            message,
        }
    }

    /// The trimmed value of the column with normalised name `k` ("" when absent).
    fn get(&self, k: &str) -> &str {
        self.index
            .get(k)
            .and_then(|&i| self.rec.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    /// The column's name as the file spells it.
    fn name(&self, k: &str) -> String {
        self.index
            .get(k)
            .map_or_else(|| k.to_owned(), |&i| self.headers[i].clone())
    }

    fn date(&self, k: &str) -> Result<Option<NaiveDate>, Located> {
        let v = self.get(k);
        if v.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(v.get(..10).unwrap_or(v), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                self.at(
                    &self.name(k),
                    Some(v.to_owned()),
                    "not a date (expected YYYY-MM-DD)".into(),
                )
            })
    }

    fn count(&self, k: &str) -> Result<Option<u64>, Located> {
        let v = self.get(k);
        if v.is_empty() {
            return Ok(None);
        }
        // Exports written through pandas sometimes turn counts into floats ("12.0").
        let t = v.strip_suffix(".0").unwrap_or(v);
        t.parse::<u64>().map(Some).map_err(|_| {
            self.at(
                &self.name(k),
                Some(v.to_owned()),
                "not a whole number ≥ 0".into(),
            )
        })
    }

    fn parse(&self) -> Result<Parsed, Located> {
        let email = self.get("email");
        if email.is_empty() {
            return Err(self.at(&self.name("email"), None, "the email is empty".into()));
        }
        let start = self
            .date("periodstart")?
            .ok_or_else(|| self.at(&self.name("periodstart"), None, "missing".into()))?;
        let end = self
            .date("periodend")?
            .ok_or_else(|| self.at(&self.name("periodend"), None, "missing".into()))?;
        if end < start {
            return Err(self.at(
                &self.name("periodend"),
                Some(self.get("periodend").to_owned()),
                format!("before period_start {start}"),
            ));
        }
        let department = self.get("department");
        let is_array =
            |v: &str| serde_json::from_str::<serde_json::Value>(v).is_ok_and(|j| j.is_array());
        if !department.is_empty() && !is_array(department) {
            return Err(self.at(
                &self.name("department"),
                Some(department.to_owned()),
                "expected a JSON array such as [\"Sales\"]".into(),
            ));
        }
        let mut dicts = Vec::new();
        for k in [
            "modeltomessages",
            "gpttomessages",
            "tooltomessages",
            "projecttomessages",
            "groups",
        ] {
            let v = self.get(k);
            if k == "groups" {
                // Groups map ids to names, not counts: checked for shape only.
                if !(v.is_empty() || v.starts_with('{') && v.ends_with('}')) {
                    return Err(self.at(
                        &self.name(k),
                        Some(v.to_owned()),
                        "expected a Python dict such as {'id': 'name'}".into(),
                    ));
                }
                continue;
            }
            let parsed = parse_counts(v).map_err(|m| {
                self.at(
                    &self.name(k),
                    Some(v.to_owned()),
                    format!("not a Python dict of counts: {m}"),
                )
            })?;
            dicts.push((k, parsed));
        }
        let access = AccessRecord {
            identity_kind: IdentityKind::Email,
            identity: email.to_owned(),
            tool: TOOL.to_owned(),
            granted_on: self.date("createdorinviteddate")?,
            last_activity_on: self.date("lastdayactive")?,
            ends_on: (self.get("userstatus").eq_ignore_ascii_case("deleted")).then_some(end),
        };
        let Some(messages) = self.count("messages")? else {
            return Ok(Parsed {
                usage: vec![],
                access: Some(access),
                skipped: Some(INVITED),
            });
        };
        let days = u32::try_from((end - start).num_days() + 1).unwrap_or(1);
        let rec = |feature: String, n: u64| UsageRecord {
            identity_kind: IdentityKind::Email,
            identity: email.to_owned(),
            tool: TOOL.to_owned(),
            day: start,
            period_days: days,
            feature,
            count: n,
        };
        let mut usage = vec![rec(String::new(), messages)];
        for (k, entries) in dicts {
            let prefix = match k {
                "modeltomessages" => "model",
                "gpttomessages" => "gpt",
                "tooltomessages" => "tool",
                _ => "project",
            };
            usage.extend(
                entries
                    .into_iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(key, n)| rec(format!("{prefix}:{key}"), n)),
            );
        }
        Ok(Parsed {
            usage,
            access: Some(access),
            skipped: None,
        })
    }
}

/// Reads the export, streaming: one [`Parsed`] per row.
pub fn read_chatgpt<R: Read + 'static>(
    input: R,
    source: &str,
) -> Result<Box<dyn Iterator<Item = Result<Parsed, Located>>>, IngestError> {
    let rows = CsvRows::open(input, source, true)?;
    let headers = rows.headers.clone();
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (normalize_header(h), i))
        .collect();
    if let Some(missing) = REQUIRED.iter().find(|r| !index.contains_key(**r)) {
        return Err(IngestError::Structure {
            source_name: source.into(),
            message: format!("not a ChatGPT Enterprise user-engagement export: no {missing:?} column among {headers:?}"),
        });
    }
    let source = source.to_owned();
    Ok(Box::new(rows.map(move |(line, rec)| {
        let rec = rec?;
        Row {
            index: &index,
            headers: &headers,
            source: &source,
            line,
            rec: &rec,
        }
        .parse()
    })))
}

/// One user of an engagement export to write. `messages: None` is an invited user who
/// never used the tool (written with empty `is_active` and `messages`, as the export does).
pub struct EngagementRow {
    pub email: String,
    pub name: String,
    pub department: String,
    pub invited_on: NaiveDate,
    pub messages: Option<u64>,
    pub first_active: Option<NaiveDate>,
    pub last_active: Option<NaiveDate>,
    /// Messages per model (written as Python dict text, single quotes).
    pub models: Vec<(String, u64)>,
    /// Last day active ever.
    pub last_day_active: Option<NaiveDate>,
}

/// The 30 columns of the user-engagement export, in the export's order.
pub const COLUMNS: [&str; 30] = [
    "cadence",
    "period_start",
    "period_end",
    "account_id",
    "public_id",
    "name",
    "email",
    "role",
    "user_role",
    "department",
    "groups",
    "user_status",
    "created_or_invited_date",
    "is_active",
    "first_day_active_in_period",
    "last_day_active_in_period",
    "messages",
    "messages_rank",
    "model_to_messages",
    "gpt_messages",
    "gpts_messaged",
    "gpt_to_messages",
    "tool_messages",
    "tools_messaged",
    "tool_to_messages",
    "project_messages",
    "projects_messaged",
    "project_to_messages",
    "projects_created",
    "last_day_active",
];

/// Writes a user-engagement export (`cadence` "monthly" or "weekly") for one period.
pub fn write_export<W: std::io::Write>(
    out: W,
    cadence: &str,
    start: NaiveDate,
    end: NaiveDate,
    rows: &[EngagementRow],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS)?;
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut ranked: Vec<u64> = rows.iter().filter_map(|r| r.messages).collect();
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    for (i, r) in rows.iter().enumerate() {
        let dict = |entries: &[(String, u64)]| {
            let inner: Vec<String> = entries.iter().map(|(k, n)| format!("'{k}': {n}")).collect();
            format!("{{{}}}", inner.join(", "))
        };
        let active = r.messages.map(|m| (m > 0).to_string()).unwrap_or_default();
        let rank = r
            .messages
            .and_then(|m| ranked.iter().position(|&x| x == m))
            .map(|p| (p + 1).to_string())
            .unwrap_or_default();
        let used = r.messages.is_some();
        let zero = |v: &str| if used { v.to_owned() } else { String::new() };
        let rec: [String; 30] = [
            cadence.to_owned(),
            start.to_string(),
            end.to_string(),
            "acct-demo".into(),
            format!("user-{:06}", i + 1),
            r.name.clone(),
            r.email.clone(),
            "standard-user".into(),
            "standard-user".into(),
            serde_json::json!([r.department]).to_string(),
            "{}".into(),
            "enabled".into(),
            r.invited_on.to_string(),
            active,
            date(r.first_active),
            date(r.last_active),
            r.messages.map(|m| m.to_string()).unwrap_or_default(),
            rank,
            if used { dict(&r.models) } else { String::new() },
            zero("0"),
            zero("0"),
            zero("{}"),
            zero("0"),
            zero("0"),
            zero("{}"),
            zero("0"),
            zero("0"),
            zero("{}"),
            zero("0"),
            date(r.last_day_active),
        ];
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../../shared/fixtures/chatgpt-enterprise/user-engagement_header_verbatim.csv",
        );
        std::fs::read_to_string(p)
            .expect("fixture")
            .trim_end()
            .to_owned()
    }

    /// A row in the fixture's 30-column layout, from the named values (others empty).
    fn row(values: &[(&str, &str)]) -> String {
        let h = header();
        let cols: Vec<&str> = h.split(',').collect();
        let mut w = csv::Writer::from_writer(vec![]);
        let rec: Vec<String> = cols
            .iter()
            .map(|c| {
                values
                    .iter()
                    .find(|(k, _)| k == c)
                    .map_or(String::new(), |(_, v)| (*v).to_owned())
            })
            .collect();
        w.write_record(&rec).expect("write");
        String::from_utf8(w.into_inner().expect("flush")).expect("utf8")
    }

    fn read(text: String) -> Vec<Result<Parsed, Located>> {
        read_chatgpt(std::io::Cursor::new(text.into_bytes()), "gpt.csv")
            .expect("opens")
            .collect()
    }

    #[test]
    fn written_exports_read_back() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let rows = vec![
            EngagementRow {
                email: "ada@example.com".into(),
                name: "Ada Lovelace".into(),
                department: "Legal".into(),
                invited_on: d("2026-01-05"),
                messages: Some(40),
                first_active: Some(d("2026-02-02")),
                last_active: Some(d("2026-02-20")),
                models: vec![("gpt-4o".into(), 30), ("o3".into(), 10)],
                last_day_active: Some(d("2026-02-20")),
            },
            EngagementRow {
                email: "bo@example.com".into(),
                name: "Bo".into(),
                department: "Legal".into(),
                invited_on: d("2026-02-10"),
                messages: None,
                first_active: None,
                last_active: None,
                models: vec![],
                last_day_active: None,
            },
        ];
        let mut buf = Vec::new();
        write_export(&mut buf, "monthly", d("2026-02-01"), d("2026-02-28"), &rows).expect("write");
        let text = String::from_utf8(buf.clone()).expect("utf-8");
        assert_eq!(
            text.lines().next(),
            header().lines().next(),
            "the export's header"
        );
        let back: Vec<Parsed> = read(text).into_iter().map(|r| r.expect("row")).collect();
        let got: Vec<(String, u64)> = back[0]
            .usage
            .iter()
            .map(|u| (u.feature.clone(), u.count))
            .collect();
        assert_eq!(
            got,
            vec![
                (String::new(), 40),
                ("model:gpt-4o".into(), 30),
                ("model:o3".into(), 10)
            ]
        );
        assert_eq!(back[0].usage[0].period_days, 28);
        assert!(back[1].usage.is_empty() && back[1].skipped == Some(INVITED));
    }

    #[test]
    fn the_fixture_header_is_recognised() {
        assert_eq!(header().split(',').count(), 30);
        assert_eq!(read(format!("{}\n", header())).len(), 0);
    }

    #[test]
    fn active_invited_and_deleted_users() {
        let base = [
            ("cadence", "monthly"),
            ("period_start", "2026-03-01"),
            ("period_end", "2026-03-31"),
        ];
        let active = row(&[
            base[0],
            base[1],
            base[2],
            ("email", "Ada@Example.com"),
            ("is_active", "True"),
            ("messages", "120"),
            ("model_to_messages", "{'gpt-4o': 100, 'o3': 20}"),
            ("tool_to_messages", "{'canvas': 7, 'dalle': 0}"),
            ("department", "[\"Engineering\"]"),
            ("groups", "{'g1': 'AI pilots'}"),
            ("created_or_invited_date", "2026-01-10"),
            ("last_day_active", "2026-03-30"),
            ("user_status", "enabled"),
        ]);
        let invited = row(&[
            base[0],
            base[1],
            base[2],
            ("email", "bo@example.com"),
            ("user_status", "pending"),
            ("created_or_invited_date", "2026-03-20"),
        ]);
        let deleted = row(&[
            base[0],
            base[1],
            base[2],
            ("email", "cy@example.com"),
            ("is_active", "False"),
            ("messages", "0.0"),
            ("user_status", "deleted"),
        ]);
        let rows: Vec<Parsed> = read(format!("{}\n{active}{invited}{deleted}", header()))
            .into_iter()
            .map(|r| r.expect("row"))
            .collect();
        let a = &rows[0];
        assert_eq!(
            (
                a.usage[0].count,
                a.usage[0].period_days,
                a.usage[0].feature.as_str()
            ),
            (120, 31, "")
        );
        let feats: Vec<&str> = a.usage.iter().map(|u| u.feature.as_str()).collect();
        assert_eq!(
            feats,
            vec!["", "model:gpt-4o", "model:o3", "tool:canvas"],
            "zero counts are not kept"
        );
        assert_eq!(
            a.access.as_ref().and_then(|x| x.granted_on),
            NaiveDate::from_ymd_opt(2026, 1, 10)
        );
        assert_eq!(
            (rows[1].usage.len(), rows[1].skipped),
            (0, Some(INVITED)),
            "empty messages is not 0"
        );
        assert!(rows[1].access.is_some(), "the invitation is access");
        assert_eq!(
            rows[2].usage[0].count, 0,
            "0 is kept: the user had access and did not use it"
        );
        assert_eq!(
            rows[2].access.as_ref().and_then(|x| x.ends_on),
            NaiveDate::from_ymd_opt(2026, 3, 31)
        );
    }

    #[test]
    fn errors_name_line_column_value() {
        let base = [
            ("period_start", "2026-03-01"),
            ("period_end", "2026-03-31"),
            ("email", "a@x.org"),
        ];
        let cases = [
            (
                row(&[base[0], base[1], base[2], ("messages", "lots")]),
                "gpt.csv:2: column \"messages\": value \"lots\"",
            ),
            (
                row(&[
                    base[0],
                    base[1],
                    base[2],
                    ("tool_to_messages", "{'canvas': seven}"),
                ]),
                "gpt.csv:2: column \"tool_to_messages\"",
            ),
            (
                row(&[base[0], base[1], base[2], ("department", "Engineering")]),
                "gpt.csv:2: column \"department\": value \"Engineering\"",
            ),
            (
                row(&[
                    ("period_start", "2026-03-31"),
                    ("period_end", "2026-03-01"),
                    ("email", "a@x.org"),
                ]),
                "column \"period_end\": value \"2026-03-01\": before",
            ),
        ];
        for (r, want) in cases {
            let got = read(format!("{}\n{r}", header()));
            let msg = got[0].as_ref().expect_err("bad row").to_string();
            assert!(msg.contains(want), "{msg}\nwant {want}");
        }
        assert!(read_chatgpt(std::io::Cursor::new(b"name,messages\n".to_vec()), "x").is_err());
    }
}
