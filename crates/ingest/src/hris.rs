//! Org-chart exports from HR systems (Workday, SAP SuccessFactors, Oracle HCM, BambooHR,
//! spreadsheets…) as CSV.
//!
//! Columns are found by header name, whatever their order: each field has the names common
//! exports give it, compared without case, spaces or punctuation ("Employee_ID",
//! "Employee ID" and "employeeid" are the same). `--map field=Column` overrides any of them.
//! The delimiter (`,` `;` tab `|`) is taken from the header line; a byte-order mark is
//! skipped; a file that is not UTF-8 is read as Windows-1252, as Excel writes it.

use std::collections::HashMap;
use std::io::{Read, Write};

use chrono::NaiveDate;
use flywheel_domain::org::{unit_path, unit_path_segments};
use flywheel_domain::org_import::HrisRecord;

use crate::dates::{infer_order, parse_date, DateOrder};
use crate::error::{IngestError, Located, Problems};

/// The fields Flywheel reads from an org chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    EmployeeId,
    ManagerId,
    FirstName,
    LastName,
    FullName,
    Email,
    Title,
    Department,
    Team,
    Site,
    Country,
    HireDate,
}

impl Field {
    pub const ALL: [Field; 12] = [
        Self::EmployeeId,
        Self::ManagerId,
        Self::FirstName,
        Self::LastName,
        Self::FullName,
        Self::Email,
        Self::Title,
        Self::Department,
        Self::Team,
        Self::Site,
        Self::Country,
        Self::HireDate,
    ];

    /// The name used in `--map field=Column`.
    pub fn key(self) -> &'static str {
        match self {
            Self::EmployeeId => "employee_id",
            Self::ManagerId => "manager_id",
            Self::FirstName => "first_name",
            Self::LastName => "last_name",
            Self::FullName => "full_name",
            Self::Email => "email",
            Self::Title => "title",
            Self::Department => "department",
            Self::Team => "team",
            Self::Site => "site",
            Self::Country => "country",
            Self::HireDate => "hire_date",
        }
    }

    pub fn parse(key: &str) -> Option<Field> {
        Self::ALL.into_iter().find(|f| f.key() == key.trim())
    }

    /// Header names of common exports, most specific first, in normalised form.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Self::EmployeeId => &[
                "employeeid",
                "eid",
                "workerid",
                "employeenumber",
                "empid",
                "empno",
                "personnumber",
                "personid",
                "staffid",
                "employeecode",
                "userid",
                "id",
            ],
            Self::ManagerId => &[
                "managerid",
                "supervisoreid",
                "supervisorid",
                "manageremployeeid",
                "managereid",
                "managerworkerid",
                "reportstoid",
                "reportsto",
                "managernumber",
                "lineManagerid",
                "linemanagerid",
                "supervisoremployeeid",
                "manager",
            ],
            Self::FirstName => &[
                "firstname",
                "givenname",
                "preferredfirstname",
                "legalfirstname",
                "forename",
            ],
            Self::LastName => &["lastname", "surname", "familyname", "legallastname"],
            Self::FullName => &[
                "fullname",
                "employeename",
                "workername",
                "displayname",
                "preferredname",
                "name",
            ],
            Self::Email => &[
                "workemail",
                "workemailaddress",
                "businessemail",
                "emailaddress",
                "email",
                "userprincipalname",
                "upn",
                "primaryworkemail",
                "mail",
            ],
            Self::Title => &[
                "jobtitle",
                "businesstitle",
                "title",
                "positiontitle",
                "position",
                "jobname",
                "job",
            ],
            Self::Department => &[
                "department",
                "supervisoryorganization",
                "departmentname",
                "dept",
                "orgunit",
                "organization",
                "organisation",
                "costcenter",
                "division",
            ],
            Self::Team => &["team", "teamname", "subdepartment", "subteam"],
            Self::Site => &[
                "location",
                "site",
                "worklocation",
                "office",
                "locationname",
                "officelocation",
                "city",
            ],
            Self::Country => &["country", "countrycode", "countryname", "workcountry"],
            Self::HireDate => &[
                "hiredate",
                "originalhiredate",
                "startdate",
                "dateofhire",
                "hiringdate",
                "dateofjoining",
                "joindate",
            ],
        }
    }
}

/// Lower-case letters and digits only: how header names are compared.
pub fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How to read a file beyond what its header tells.
#[derive(Debug, Clone, Default)]
pub struct HrisOptions {
    /// `(field, column header)` overrides, from `--map field=Column`.
    pub overrides: Vec<(Field, String)>,
    /// Day/month order of slash dates; inferred from the column when `None`.
    pub date_order: Option<DateOrder>,
}

/// A read org chart, with what the reader decided on the way.
#[derive(Debug, Clone)]
pub struct HrisFile {
    pub records: Vec<HrisRecord>,
    /// Which column each field was read from.
    pub mapping: Vec<(Field, String)>,
    /// Columns no field uses.
    pub ignored_columns: Vec<String>,
    pub delimiter: char,
    /// `Some(order)` when the file had slash dates; `ambiguous` when no value told the order.
    pub date_order: Option<(DateOrder, bool)>,
    /// The file was not UTF-8 and was read as Windows-1252.
    pub decoded_windows_1252: bool,
}

/// Values that exports write for "nothing".
fn is_null(v: &str) -> bool {
    // Case matters: "Na" and "None" can be names; these spellings are what exporters write.
    matches!(v, "" | "NULL" | "null" | "N/A" | "n/a" | "#N/A" | "-")
}

fn clean(v: Option<&str>) -> Option<String> {
    let v = v?.trim();
    (!is_null(v)).then(|| v.to_owned())
}

/// Windows-1252 code points for the bytes 0x80..=0x9F (the rest are Latin-1).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// Decodes Windows-1252 by table: the one legacy encoding spreadsheet exports commonly use;
/// a full encoding crate would be a large dependency for 32 code points.
/// Why `bytes` cannot be a Windows-1252 text of an org chart, if they cannot: a byte that
/// Windows-1252 leaves undefined (Shift-JIS, GBK and UTF-16 are full of them), a NUL byte
/// (UTF-16), or more non-ASCII bytes than a Latin-script table has (over a quarter of the
/// letters: Cyrillic or Greek code pages, or another multi-byte encoding).
pub fn not_windows_1252(bytes: &[u8]) -> Option<String> {
    let line_of = |i: usize| 1 + bytes[..i].iter().filter(|&&b| b == b'\n').count();
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Some(format!(
            "it has a NUL byte on line {} (UTF-16 looks like this)",
            line_of(i)
        ));
    }
    if let Some(i) = bytes
        .iter()
        .position(|&b| matches!(b, 0x81 | 0x8d | 0x8f | 0x90 | 0x9d))
    {
        return Some(format!(
            "byte 0x{:02X} on line {} is undefined in Windows-1252 (Shift-JIS or GBK look like this)",
            bytes[i],
            line_of(i)
        ));
    }
    let letters = bytes
        .iter()
        .filter(|b| b.is_ascii_alphabetic() || **b >= 0x80)
        .count();
    let high = bytes.iter().filter(|&&b| b >= 0x80).count();
    if letters > 0 && high * 4 > letters {
        return Some(format!(
            "{high} of its {letters} letters are outside ASCII, more than a Latin-script table has"
        ));
    }
    None
}

fn decode_windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if (0x80..=0x9f).contains(&b) {
                CP1252_HIGH[usize::from(b - 0x80)]
            } else {
                char::from(b)
            }
        })
        .collect()
}

fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let mut best = (b',', 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let n = header.bytes().filter(|&c| c == d).count();
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

/// Line numbers from byte offsets. The csv crate's own line counter is off by one after a
/// CRLF line end (it reports the `\n` of the previous line as the record's start), and
/// Windows exports use CRLF, so lines are counted here from the byte offset instead. A line
/// ends at `\n`, `\r\n` or a lone `\r` (old Mac exports), as the csv crate reads them.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The 1-based line of the record starting at `byte` (offsets must not decrease).
    fn line_at(&mut self, byte: u64) -> u64 {
        let text = self.text;
        let mut target = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
        if text.get(target) == Some(&b'\n') {
            target += 1;
        }
        if target > self.byte {
            let breaks = (self.byte..target)
                .filter(|&i| {
                    text[i] == b'\n' || (text[i] == b'\r' && text.get(i + 1) != Some(&b'\n'))
                })
                .count();
            self.line += breaks as u64;
            self.byte = target;
        }
        self.line
    }
}

/// The whole document as text: UTF-8, or Windows-1252 when it is not UTF-8 but is valid
/// Windows-1252 (and whether it was).
fn decode(
    input: &mut impl Read,
    max_document: u64,
    structure: &impl Fn(String) -> IngestError,
) -> Result<(String, bool), IngestError> {
    let bytes = crate::limits::read_document(input, max_document)
        .map_err(|e| structure(format!("cannot read: {e}")))?;
    let (text, decoded_windows_1252) = match String::from_utf8(bytes) {
        Ok(s) => (s, false),
        Err(e) => {
            let bytes = e.into_bytes();
            if let Some(why) = not_windows_1252(&bytes) {
                return Err(structure(format!(
                    "the file is not UTF-8, and {why}, so it is not Windows-1252 either; save it as UTF-8 (CSV UTF-8 in Excel) and import it again"
                )));
            }
            (decode_windows_1252(&bytes), true)
        }
    };
    Ok((text, decoded_windows_1252))
}

/// Which column holds each field: `--map` overrides first, then synonyms in priority
/// order (a column serves one field).
fn map_columns(
    headers: &[String],
    opts: &HrisOptions,
    structure: &impl Fn(String) -> IngestError,
) -> Result<HashMap<Field, usize>, IngestError> {
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    let mut col: HashMap<Field, usize> = HashMap::new();
    for (field, name) in &opts.overrides {
        let want = normalize_header(name);
        let i = headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
            .or_else(|| normalized.iter().position(|h| *h == want))
            .ok_or_else(|| {
                structure(format!(
                    "--map {}={name}: no such column; the columns are {}",
                    field.key(),
                    headers
                        .iter()
                        .map(|h| format!("{h:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        col.insert(*field, i);
    }
    for field in Field::ALL {
        if col.contains_key(&field) {
            continue;
        }
        let taken: Vec<usize> = col.values().copied().collect();
        if let Some(i) = field.synonyms().iter().find_map(|syn| {
            normalized
                .iter()
                .enumerate()
                .position(|(i, h)| h == syn && !taken.contains(&i))
        }) {
            col.insert(field, i);
        }
    }
    Ok(col)
}

/// The rows with as many fields as the header and none too long, with their line numbers;
/// the others become problems.
fn raw_rows<R: Read>(
    rdr: &mut csv::Reader<R>,
    text: &str,
    headers: &[String],
    source: &str,
    problems: &mut Problems,
) -> Vec<(u64, csv::StringRecord)> {
    let limits = crate::limits::get();
    let mut rows: Vec<(u64, csv::StringRecord)> = Vec::new();
    let mut lines = LineCounter::new(text);
    for result in rdr.records() {
        match result {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| lines.line_at(p.byte()));
                if rec.iter().all(|v| v.trim().is_empty()) {
                    continue; // blank line
                }
                if rec.len() != headers.len() {
                    problems.push(Located {
                        source: source.to_owned(),
                        line,
                        field: None,
                        value: None,
                        message: format!(
                            "row has {} fields, the header has {}",
                            rec.len(),
                            headers.len()
                        ),
                    });
                    continue;
                }
                if let Some(i) = rec.iter().position(|v| v.len() > limits.max_field) {
                    problems.push(Located {
                        source: source.to_owned(),
                        line,
                        field: Some(headers[i].clone()),
                        value: None,
                        message: crate::csvrows::too_long_field(
                            rec.get(i).map_or(0, str::len),
                            limits.max_field,
                        ),
                    });
                    continue;
                }
                rows.push((line, rec));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                problems.push(Located {
                    source: source.to_owned(),
                    line,
                    field: None,
                    value: None,
                    message: format!("malformed CSV: {e}"),
                });
            }
        }
    }

    rows
}

/// The unit path of a department and a team (a team only under a department).
fn unit_of(department: Option<String>, team: Option<String>) -> Option<String> {
    let mut segments: Vec<String> = Vec::new();
    if let Some(dept) = department {
        segments.extend(unit_path_segments(&dept).into_iter().map(str::to_owned));
    }
    if let Some(team) = team {
        if !segments.is_empty() {
            segments.extend(unit_path_segments(&team).into_iter().map(str::to_owned));
        }
    }
    (!segments.is_empty())
        .then(|| unit_path(&segments.iter().map(String::as_str).collect::<Vec<_>>()))
}

/// Where each field is, to read a row's fields and name them in problems.
struct Columns<'a> {
    col: &'a HashMap<Field, usize>,
    headers: &'a [String],
    source: &'a str,
}

impl Columns<'_> {
    fn get(&self, rec: &csv::StringRecord, f: Field) -> Option<String> {
        self.col.get(&f).and_then(|&i| clean(rec.get(i)))
    }

    fn at(&self, line: u64, f: Field, value: Option<String>, message: String) -> Located {
        Located {
            source: self.source.to_owned(),
            line,
            field: self.col.get(&f).map(|&i| self.headers[i].clone()),
            value,
            message,
        }
    }

    /// The record of row `rec` on `line`, or the first problem with it (a missing or
    /// repeated id, an email that is not one, a date that is not one). `first_line`
    /// remembers the line of each id.
    fn record(
        &self,
        line: u64,
        rec: &csv::StringRecord,
        order: DateOrder,
        first_line: &mut HashMap<String, u64>,
    ) -> Result<HrisRecord, Located> {
        let get = |f: Field| self.get(rec, f);
        let Some(hris_id) = get(Field::EmployeeId) else {
            return Err(self.at(
                line,
                Field::EmployeeId,
                None,
                "employee id is missing".into(),
            ));
        };
        if let Some(prev) = first_line.insert(hris_id.clone(), line) {
            return Err(self.at(
                line,
                Field::EmployeeId,
                Some(hris_id),
                format!("duplicate employee id (first on line {prev})"),
            ));
        }
        let email = get(Field::Email);
        if let Some(e) = &email {
            let ok = e.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && !d.is_empty() && !e.contains(char::is_whitespace)
            });
            if !ok {
                return Err(self.at(
                    line,
                    Field::Email,
                    Some(e.clone()),
                    "not an email address".into(),
                ));
            }
        }
        let hire_date = match get(Field::HireDate) {
            None => None,
            Some(v) => match parse_date(&v, order) {
                Some(d) => Some(d),
                None => return Err(self.at(
                    line,
                    Field::HireDate,
                    Some(v),
                    "not a date (expected e.g. 2024-03-31, 03/31/2024, 31.03.2024 or 31-MAR-2024)"
                        .into(),
                )),
            },
        };
        let display_name = get(Field::FullName)
            .or_else(|| {
                let parts: Vec<String> = [get(Field::FirstName), get(Field::LastName)]
                    .into_iter()
                    .flatten()
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            })
            .unwrap_or_else(|| hris_id.clone());
        Ok(HrisRecord {
            line,
            display_name,
            email,
            title: get(Field::Title),
            unit_path: unit_of(get(Field::Department), get(Field::Team)),
            site: get(Field::Site),
            country: get(Field::Country),
            manager_hris: get(Field::ManagerId),
            hire_date,
            hris_id,
        })
    }
}

/// Reads an org chart. `source` names the input in errors.
pub fn read_hris<R: Read>(
    mut input: R,
    source: &str,
    opts: &HrisOptions,
) -> Result<HrisFile, IngestError> {
    let structure = |message: String| IngestError::Structure {
        source_name: source.to_owned(),
        message,
    };
    let limits = crate::limits::get();
    let (text, decoded_windows_1252) = decode(&mut input, limits.max_document, &structure)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        return Err(structure(
            "the file is empty (expected a header line and rows)".into(),
        ));
    }
    let delimiter = sniff_delimiter(text);
    // One record is bounded like any streamed record, so a giant field fails before the
    // parser copies it.
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(crate::limits::RecordLimit::csv(
            text.as_bytes(),
            limits.max_record,
        ));
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| structure(format!("cannot read the header line: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();

    crate::csvrows::refuse_duplicate_headers(&headers, source)?;
    let col = map_columns(&headers, opts, &structure)?;
    let Some(&id_col) = col.get(&Field::EmployeeId) else {
        return Err(structure(format!(
            "no employee id column found among {}; name it with --map employee_id=COLUMN",
            headers
                .iter()
                .map(|h| format!("{h:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    let mut mapping: Vec<(Field, String)> =
        col.iter().map(|(f, &i)| (*f, headers[i].clone())).collect();
    mapping.sort();
    let ignored_columns = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| !col.values().any(|c| c == i))
        .map(|(_, h)| h.clone())
        .collect();

    // First pass: raw rows. Dates wait until the whole column has told its day/month order.
    let mut problems = Problems::default();
    let rows = raw_rows(&mut rdr, text, &headers, source, &mut problems);
    let get = |rec: &csv::StringRecord, f: Field| col.get(&f).and_then(|&i| clean(rec.get(i)));
    let date_values: Vec<String> = rows
        .iter()
        .filter_map(|(_, r)| get(r, Field::HireDate))
        .collect();
    let has_slash = date_values.iter().any(|v| v.contains('/'));
    let date_order = if has_slash {
        Some(match opts.date_order {
            Some(o) => (o, false),
            None => infer_order(date_values.iter().map(String::as_str)),
        })
    } else {
        None
    };
    let order = date_order.map_or(DateOrder::MonthFirst, |(o, _)| o);

    let cols = Columns {
        col: &col,
        headers: &headers,
        source,
    };
    let mut records = Vec::with_capacity(rows.len());
    let mut first_line: HashMap<String, u64> = HashMap::with_capacity(rows.len());
    for (line, rec) in &rows {
        match cols.record(*line, rec, order, &mut first_line) {
            Ok(r) => records.push(r),
            Err(problem) => problems.push(problem),
        }
    }
    let _ = id_col;
    problems.into_result(HrisFile {
        records,
        mapping,
        ignored_columns,
        delimiter: char::from(delimiter),
        date_order,
        decoded_windows_1252,
    })
}

/// The header the demo writes: a Workday-like shape, deliberately different from the Oracle
/// fixture so both paths of header detection are exercised end to end.
pub const DEMO_HEADER: [&str; 10] = [
    "Employee_ID",
    "Full Name",
    "Work Email",
    "Business_Title",
    "Supervisory_Organization",
    "Team",
    "Manager_ID",
    "Location",
    "Country",
    "Hire Date",
];

/// Writes records as an org-chart CSV with [`DEMO_HEADER`], hire dates as `MM/DD/YYYY`
/// (as US exports do). The unit path's first segment is the organisation, the rest the team.
pub fn write_hris<W: Write>(out: W, records: &[HrisRecord]) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(DEMO_HEADER)?;
    for r in records {
        let segs = r
            .unit_path
            .as_deref()
            .map(unit_path_segments)
            .unwrap_or_default();
        let (dept, team) = match segs.split_first() {
            Some((d, rest)) => (d.to_string(), rest.join(" > ")),
            None => (String::new(), String::new()),
        };
        let date = r
            .hire_date
            .map(|d: NaiveDate| d.format("%m/%d/%Y").to_string())
            .unwrap_or_default();
        w.write_record([
            r.hris_id.as_str(),
            &r.display_name,
            r.email.as_deref().unwrap_or(""),
            r.title.as_deref().unwrap_or(""),
            &dept,
            &team,
            r.manager_hris.as_deref().unwrap_or(""),
            r.site.as_deref().unwrap_or(""),
            r.country.as_deref().unwrap_or(""),
            &date,
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture(path: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures")
            .join(path)
    }

    fn read(text: &str) -> Result<HrisFile, IngestError> {
        read_hris(text.as_bytes(), "test.csv", &HrisOptions::default())
    }

    #[test]
    fn oracle_fixture() {
        let path = fixture("hris/oracle-hr_as_hris_orgchart.csv");
        let file = std::fs::File::open(&path).expect("fixture present");
        let f = read_hris(file, "oracle.csv", &HrisOptions::default()).expect("reads");
        assert_eq!(f.records.len(), 107);
        let roots: Vec<_> = f
            .records
            .iter()
            .filter(|r| r.manager_hris.is_none())
            .collect();
        assert_eq!(roots.len(), 1, "one root without a manager");
        let homeless: Vec<_> = f
            .records
            .iter()
            .filter(|r| r.unit_path.is_none() && r.site.is_none())
            .collect();
        assert_eq!(
            homeless.len(),
            1,
            "one person without department or location"
        );
        assert!(f
            .records
            .iter()
            .all(|r| r.hire_date.is_some() && r.email.is_some()));
        assert!(f
            .mapping
            .contains(&(Field::ManagerId, "Manager ID".to_owned())));
        assert!(f.mapping.contains(&(Field::Country, "Country".to_owned())));
        assert!(f.ignored_columns.is_empty(), "{:?}", f.ignored_columns);
        let first = &f.records[0];
        assert_eq!(first.display_name, "Steven King");
        assert_eq!(
            f.records.iter().map(|r| r.line).take(3).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
    }

    /// Header names of several exporters, each with what the reader must map.
    #[test]
    fn text_that_is_neither_utf8_nor_windows_1252_is_refused() {
        // "Müller" in Windows-1252 is fine.
        let latin = b"Employee ID,Name\n1,M\xfcller\n".to_vec();
        assert!(read_hris(&latin[..], "l.csv", &HrisOptions::default()).is_ok());
        // Shift-JIS "田中" (0x93 0x63 0x92 0x86) and "山田" (0x8E 0x52 0x93 0x63).
        let sjis =
            b"Employee ID,Name\n1,\x93\x63\x92\x86\n2,\x8e\x52\x93\x63\n3,\x8f\xac\x97\xd1\n"
                .to_vec();
        let e = read_hris(&sjis[..], "s.csv", &HrisOptions::default()).expect_err("refused");
        assert!(e.to_string().contains("not Windows-1252 either"), "{e}");
        assert!(e.to_string().contains("line 4"), "names the line: {e}");
        // UTF-16LE.
        let utf16: Vec<u8> = "Employee ID,Name\n1,Ann\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .chain([0xff])
            .collect();
        let e = read_hris(&utf16[..], "u.csv", &HrisOptions::default()).expect_err("refused");
        assert!(e.to_string().contains("UTF-16"), "{e}");
    }

    #[test]
    fn duplicated_headers_are_refused_naming_both_columns() {
        let text = "Employee ID,Work Email,employee_id\n1,a@x.com,2\n";
        let e =
            read_hris(text.as_bytes(), "d.csv", &HrisOptions::default()).expect_err("ambiguous");
        assert!(
            e.to_string()
                .contains("column 1 (\"Employee ID\") and column 3 (\"employee_id\")"),
            "{e}"
        );
    }

    #[test]
    fn header_variants() {
        let cases = [
            ("EID,Supervisor EID,First Name,Last Name,Job Title,Site,Hire_Date\n7,,A,B,Dev,Lyon,2020-01-02\n",
                (Field::ManagerId, "Supervisor EID")),
            ("Worker ID;Manager_ID;Full Name;Business_Title;Supervisory_Organization;Location\n7;;Ann Lee;Dev;R&D;Oslo\n",
                (Field::Department, "Supervisory_Organization")),
            ("Employee_ID\tManager ID\tName\tWork Email\n7\t\tAnn\tann@x.org\n", (Field::Email, "Work Email")),
        ];
        for (text, expect) in cases {
            let f = read(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(f.records.len(), 1);
            assert!(
                f.mapping
                    .iter()
                    .any(|(fld, h)| *fld == expect.0 && h == expect.1),
                "{text}: {:?}",
                f.mapping
            );
        }
    }

    #[test]
    fn overrides_and_teams() {
        let text = "Person,Boss,Org,Squad\n1,,Eng,Core\n2,1,Eng > Web,\n";
        let opts = HrisOptions {
            overrides: vec![
                (Field::EmployeeId, "Person".into()),
                (Field::ManagerId, "Boss".into()),
                (Field::Department, "Org".into()),
                (Field::Team, "squad".into()),
            ],
            date_order: None,
        };
        let f = read_hris(text.as_bytes(), "t", &opts).expect("reads");
        assert_eq!(f.records[0].unit_path.as_deref(), Some("Eng > Core"));
        assert_eq!(f.records[1].unit_path.as_deref(), Some("Eng > Web"));
        assert_eq!(f.records[1].manager_hris.as_deref(), Some("1"));
        let err = read_hris(
            text.as_bytes(),
            "t",
            &HrisOptions {
                overrides: vec![(Field::Email, "Mail".into())],
                date_order: None,
            },
        )
        .expect_err("unknown column");
        assert!(
            err.to_string().contains("--map email=Mail: no such column"),
            "{err}"
        );
    }

    #[test]
    fn dates_by_column_order_bom_and_cp1252() {
        let f = read("\u{feff}Employee ID,Hire Date\n1,03/04/2020\n2,25/12/2019\n").expect("reads");
        assert_eq!(f.date_order, Some((DateOrder::DayFirst, false)));
        assert_eq!(f.records[0].hire_date, NaiveDate::from_ymd_opt(2020, 4, 3));
        let mut bytes = b"Employee ID,Full Name\n1,Ren\xe9e M\x9Cller\n".to_vec();
        bytes.extend_from_slice(b"2,NULL\n");
        let f = read_hris(&bytes[..], "t", &HrisOptions::default()).expect("reads");
        assert!(f.decoded_windows_1252);
        assert_eq!(f.records[0].display_name, "Renée Mœller");
        assert_eq!(
            f.records[1].display_name, "2",
            "a null name falls back to the id"
        );
    }

    /// Broken files: each error names the file, line, column and value.
    #[test]
    fn broken_files_name_the_place() {
        let cases = [
            ("Employee ID,Hire Date\n1,2020-01-01\n2,2020-13-45\n", "test.csv:3: column \"Hire Date\": value \"2020-13-45\": not a date"),
            ("Employee ID,Work Email\n1,a@b.c\n1,d@e.f\n", "test.csv:3: column \"Employee ID\": value \"1\": duplicate employee id (first on line 2)"),
            ("Employee ID,Work Email\n1,nobody\n", "test.csv:2: column \"Work Email\": value \"nobody\": not an email address"),
            ("Employee ID,Name\n,Ann\n", "test.csv:2: column \"Employee ID\": employee id is missing"),
            ("Employee ID,Name\n1,Ann,extra\n", "test.csv:2: row has 3 fields, the header has 2"),
            ("Name,Title\nAnn,Dev\n", "no employee id column found among \"Name\", \"Title\""),
            ("", "the file is empty"),
            ("Employee ID,Hire Date\r\n1,2020-01-01\r\n2,someday\r\n", "test.csv:3: column \"Hire Date\": value \"someday\""),
            ("Employee ID,Hire Date\r1,2020-01-01\r2,someday\r", "test.csv:3: column \"Hire Date\": value \"someday\""),
            ("Employee ID,Name\n1,\"two\nlines\"\n1,dup\n", "test.csv:4: column \"Employee ID\": value \"1\": duplicate employee id (first on line 2)"),
        ];
        for (text, want) in cases {
            let err = read(text).expect_err(text).to_string();
            assert!(
                err.contains(want),
                "for {text:?}\n got: {err}\nwant: {want}"
            );
        }
        let many: String = std::iter::once("Employee ID,Hire Date\n".to_owned())
            .chain((0..80).map(|i| format!("{i},bad\n")))
            .collect();
        match read(&many) {
            Err(IngestError::Rows { problems, total }) => {
                assert_eq!(total, 80);
                assert_eq!(problems.len(), crate::error::MAX_REPORTED);
            }
            other => panic!("expected row errors, got {other:?}"),
        }
    }

    fn arb_record() -> impl Strategy<Value = HrisRecord> {
        let text = "[A-Za-z][A-Za-z ,\"';é-]{0,12}[A-Za-z]";
        (
            "[0-9]{1,6}",
            text,
            proptest::option::of("[a-z]{1,8}@[a-z]{1,8}\\.com"),
            proptest::option::of(text),
            proptest::option::of(prop::collection::vec(
                "[A-Za-z][A-Za-z &]{0,8}[A-Za-z]",
                1..3,
            )),
            proptest::option::of(text),
            proptest::option::of("[0-9]{1,6}"),
            proptest::option::of((1990i32..2030, 1u32..13, 1u32..29)),
        )
            .prop_map(
                |(id, name, email, title, unit, site, mgr, date)| HrisRecord {
                    line: 0,
                    hris_id: id,
                    display_name: name,
                    email,
                    title,
                    unit_path: unit
                        .map(|segs| unit_path(&segs.iter().map(|s| s.trim()).collect::<Vec<_>>())),
                    site,
                    country: None,
                    manager_hris: mgr,
                    hire_date: date.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                },
            )
    }

    proptest! {
        /// What the writer writes, the reader reads back unchanged.
        #[test]
        fn write_read_round_trip(recs in prop::collection::vec(arb_record(), 1..20)) {
            let mut seen = std::collections::HashSet::new();
            let recs: Vec<HrisRecord> = recs.into_iter().filter(|r| seen.insert(r.hris_id.clone())).collect();
            let mut buf = Vec::new();
            write_hris(&mut buf, &recs).expect("write");
            let back = read_hris(&buf[..], "rt.csv", &HrisOptions { overrides: vec![], date_order: Some(DateOrder::MonthFirst) })
                .expect("read back");
            let strip = |mut r: HrisRecord| { r.line = 0; r };
            prop_assert_eq!(back.records.into_iter().map(strip).collect::<Vec<_>>(), recs);
        }

        /// Arbitrary bytes give records or an error, never a panic.
        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = read_hris(&bytes[..], "fuzz.csv", &HrisOptions::default());
        }

        /// CSV-shaped noise too; records never claim the header line (found by cargo fuzz
        /// with a lone `\r` line end).
        #[test]
        fn never_panics_on_csvish(text in "(Employee ID|Manager ID|Hire Date|Name|[a-z,;\"\r\n\t/0-9-]){0,60}") {
            if let Ok(f) = read(&text) {
                for r in &f.records {
                    prop_assert!(r.line >= 2, "record on line {} of {:?}", r.line, text);
                }
            }
        }
    }
}
