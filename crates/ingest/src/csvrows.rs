//! CSV with a header, as the usage readers need it: header names trimmed and free of a
//! byte-order mark, records numbered by the line they start on, width checked.

use std::io::Read;

use crate::error::{IngestError, Located};
use crate::limits::RecordLimit;

/// The message of a field over the limit.
pub(crate) fn too_long_field(len: usize, max: usize) -> String {
    format!("{len} bytes is longer than {max}, the limit for one field (set FLYWHEEL_MAX_FIELD_BYTES to raise it)")
}

/// Refuses a header in which two columns have the same name once case, spaces and
/// punctuation are set aside ("Employee ID" and "employee_id"): whichever a reader took,
/// the other's values would be silently lost or used in its place.
pub(crate) fn refuse_duplicate_headers(
    headers: &[String],
    source: &str,
) -> Result<(), IngestError> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let key = crate::hris::normalize_header(h);
        if key.is_empty() {
            continue;
        }
        if let Some(&first) = seen.get(&key) {
            return Err(IngestError::Structure {
                source_name: source.to_owned(),
                message: format!(
                    "the header is ambiguous: column {} ({:?}) and column {} ({:?}) both read as {key:?}; rename or remove one of them",
                    first + 1,
                    headers[first],
                    i + 1,
                    h
                ),
            });
        }
        seen.insert(key, i);
    }
    Ok(())
}

/// A CSV reader past its header, yielding `(line, record or located error)`.
pub(crate) struct CsvRows<R: Read> {
    rdr: csv::Reader<RecordLimit<R>>,
    pub headers: Vec<String>,
    source: String,
    line: u64,
    strict_width: bool,
    max_field: usize,
    /// After an IO error (a record over the limit) the reader cannot go on.
    done: bool,
}

impl<R: Read> CsvRows<R> {
    /// Reads the header. With `strict_width`, a record whose field count differs from the
    /// header's is an error; otherwise missing fields read as absent.
    pub fn open(input: R, source: &str, strict_width: bool) -> Result<Self, IngestError> {
        let limits = crate::limits::get();
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(RecordLimit::csv(input, limits.max_record));
        let headers = rdr
            .headers()
            .map_err(|e| IngestError::Structure {
                source_name: source.to_owned(),
                message: format!("cannot read the header: {e}"),
            })?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_owned())
            .collect::<Vec<_>>();
        refuse_duplicate_headers(&headers, source)?;
        Ok(CsvRows {
            rdr,
            headers,
            source: source.to_owned(),
            line: 1,
            strict_width,
            max_field: limits.max_field,
            done: false,
        })
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = (u64, Result<csv::StringRecord, Located>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut rec = csv::StringRecord::new();
        let line = self.line + 1;
        let err = |message: String| Located {
            source: self.source.clone(),
            line,
            field: None,
            value: None,
            message,
        };
        match self.rdr.read_record(&mut rec) {
            Ok(false) => None,
            Err(e) => {
                self.line += 1;
                if let csv::ErrorKind::Io(io) = e.kind() {
                    self.done = true;
                    return Some((line, Err(err(io.to_string()))));
                }
                Some((line, Err(err(format!("malformed CSV: {e}")))))
            }
            Ok(true) => {
                // One record per line, unless a quoted field spans lines.
                self.line += 1 + rec
                    .iter()
                    .map(|f| f.matches('\n').count() as u64)
                    .sum::<u64>();
                if self.strict_width && rec.len() != self.headers.len() {
                    return Some((
                        line,
                        Err(err(format!(
                            "row has {} fields, the header has {}",
                            rec.len(),
                            self.headers.len()
                        ))),
                    ));
                }
                if let Some(i) = rec.iter().position(|f| f.len() > self.max_field) {
                    let field = self.headers.get(i).cloned();
                    return Some((
                        line,
                        Err(Located {
                            source: self.source.clone(),
                            line,
                            field: field.or_else(|| Some(format!("column {}", i + 1))),
                            value: None,
                            message: too_long_field(rec.get(i).map_or(0, str::len), self.max_field),
                        }),
                    ));
                }
                Some((line, Ok(rec)))
            }
        }
    }
}
