//! CSV with a header, as the usage readers need it: header names trimmed and free of a
//! byte-order mark, records numbered by the line they start on, width checked.

use std::io::Read;

use crate::error::{IngestError, Located};

/// A CSV reader past its header, yielding `(line, record or located error)`.
pub(crate) struct CsvRows<R: Read> {
    rdr: csv::Reader<R>,
    pub headers: Vec<String>,
    source: String,
    line: u64,
    strict_width: bool,
}

impl<R: Read> CsvRows<R> {
    /// Reads the header. With `strict_width`, a record whose field count differs from the
    /// header's is an error; otherwise missing fields read as absent.
    pub fn open(input: R, source: &str, strict_width: bool) -> Result<Self, IngestError> {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let headers = rdr
            .headers()
            .map_err(|e| IngestError::Structure {
                source_name: source.to_owned(),
                message: format!("cannot read the header: {e}"),
            })?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_owned())
            .collect();
        Ok(CsvRows {
            rdr,
            headers,
            source: source.to_owned(),
            line: 1,
            strict_width,
        })
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = (u64, Result<csv::StringRecord, Located>);

    fn next(&mut self) -> Option<Self::Item> {
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
                Some((line, Ok(rec)))
            }
        }
    }
}
