//! Size limits on what one record of an input may be, so that memory is bounded by the
//! record size, never by the file: a file of one endless line, or one endless quoted CSV
//! field, fails with its place instead of growing a buffer until the machine gives up.
//!
//! The limits are process-wide (the binary sets them once from `FLYWHEEL_MAX_*`
//! variables; readers take them with [`get`]); the defaults fit every real export seen.

use std::io::{self, Read};
use std::sync::OnceLock;

/// The limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one line of a line-based format (NDJSON, JSON Lines) or one CSV record.
    pub max_record: usize,
    /// Bytes of one field of a CSV record or one string of a record.
    pub max_field: usize,
    /// Bytes of a format read as one whole document (an org chart, a JSON report, one
    /// file of a Slack export).
    pub max_document: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record: 4 << 20,
            max_field: 64 << 10,
            max_document: 64 << 20,
        }
    }
}

static LIMITS: OnceLock<Limits> = OnceLock::new();

/// Sets the limits for the process (once; later calls change nothing and say so).
pub fn set(l: Limits) -> bool {
    LIMITS.set(l).is_ok()
}

/// The limits in force.
pub fn get() -> Limits {
    *LIMITS.get_or_init(Limits::default)
}

/// A reader that fails, naming the line, once one record is longer than `max` bytes. A
/// record ends at a newline; for CSV (`csv_quotes`), only at a newline outside double
/// quotes (a quoted field may span lines, and `""` inside one toggles twice).
pub struct RecordLimit<R> {
    inner: R,
    max: usize,
    csv_quotes: bool,
    in_quotes: bool,
    record_bytes: usize,
    line: u64,
    record_line: u64,
    /// Once over the limit the input ends there: the error was reported once, and the
    /// rest of an endless record is not read.
    failed: bool,
}

impl<R: Read> RecordLimit<R> {
    pub fn lines(inner: R, max: usize) -> Self {
        Self::new(inner, max, false)
    }

    pub fn csv(inner: R, max: usize) -> Self {
        Self::new(inner, max, true)
    }

    fn new(inner: R, max: usize, csv_quotes: bool) -> Self {
        RecordLimit {
            inner,
            max,
            csv_quotes,
            in_quotes: false,
            record_bytes: 0,
            line: 1,
            record_line: 1,
            failed: false,
        }
    }
}

/// The message of a record over the limit (also matched by readers to keep it whole).
pub fn too_long(what: &str, line: u64, max: usize) -> String {
    format!(
        "{what} starting on line {line} is longer than {max} bytes, the limit for one record (set FLYWHEEL_MAX_RECORD_BYTES to raise it)"
    )
}

impl<R: Read> Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'"' && self.csv_quotes {
                self.in_quotes = !self.in_quotes;
            }
            if b == b'\n' {
                self.line += 1;
                if !self.in_quotes {
                    self.record_bytes = 0;
                    self.record_line = self.line;
                    continue;
                }
            }
            self.record_bytes += 1;
            if self.record_bytes > self.max {
                self.failed = true;
                let what = if self.csv_quotes {
                    "a record"
                } else {
                    "a line"
                };
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    too_long(what, self.record_line, self.max),
                ));
            }
        }
        Ok(n)
    }
}

/// Reads a whole document of at most `max` bytes, or fails saying so.
pub fn read_document<R: Read>(input: R, max: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "longer than {max} bytes, the limit for a file read whole (set FLYWHEEL_MAX_DOCUMENT_BYTES to raise it)"
            ),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(mut r: impl Read) -> io::Result<usize> {
        let mut buf = [0u8; 7];
        let mut total = 0;
        loop {
            match r.read(&mut buf)? {
                0 => return Ok(total),
                n => total += n,
            }
        }
    }

    #[test]
    fn long_lines_and_records_fail_with_their_line() {
        assert!(drain(RecordLimit::lines(&b"ab\ncd\n"[..], 2)).is_ok());
        let e = drain(RecordLimit::lines(&b"ab\ncde\n"[..], 2)).expect_err("too long");
        assert!(e.to_string().contains("line 2"), "{e}");
        // A quoted CSV field spanning lines is one record.
        let csv = b"a,\"x\ny\nz\"\nb,c\n";
        assert!(drain(RecordLimit::csv(&csv[..], 9)).is_ok());
        let e = drain(RecordLimit::csv(&csv[..], 8)).expect_err("too long");
        assert!(e.to_string().contains("a record starting on line 1"), "{e}");
        // Escaped quotes do not end the field.
        let csv = b"\"a\"\"b\nc\",d\ne\n";
        let e = drain(RecordLimit::csv(&csv[..], 6)).expect_err("one record");
        assert!(e.to_string().contains("line 1"), "{e}");
        // After the error the input ends: the rest of an endless record is never read.
        let mut r = RecordLimit::lines(&b"abcdef\nxyz\n"[..], 2);
        let mut buf = [0u8; 64];
        assert!(r.read(&mut buf).is_err());
        assert_eq!(r.read(&mut buf).expect("end"), 0);
        assert!(read_document(&b"12345"[..], 5).is_ok());
        assert!(read_document(&b"123456"[..], 5).is_err());
    }
}
