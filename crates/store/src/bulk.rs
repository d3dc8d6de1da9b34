//! Multi-row inserts. One statement per row costs a round trip each; batching rows into
//! one `INSERT … VALUES (…), (…)` makes a 200,000-person import take seconds, not minutes.

use sqlx::any::Any;
use sqlx::query::Query;
use sqlx::AnyConnection;

use crate::StoreError;

/// A value to bind.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Real(f64),
    /// A nullable real (bound as a typed NULL, which PostgreSQL needs).
    RealOpt(Option<f64>),
    Text(Option<String>),
}

fn bind_arg<'q>(
    q: Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    a: Arg,
) -> Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    match a {
        Arg::Int(v) => q.bind(v),
        Arg::Real(v) => q.bind(v),
        Arg::RealOpt(v) => q.bind(v),
        Arg::Text(v) => q.bind(v),
    }
}

/// Bound parameters per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_PARAMS: usize = 30_000;

/// Inserts `rows` into `table (columns)`, `suffix` appended to each statement (e.g. an
/// `ON CONFLICT` clause). Runs on the given connection, so inside the caller's transaction.
/// Rows are drawn lazily, one statement's worth at a time.
pub(crate) async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    suffix: &str,
    rows: impl IntoIterator<Item = Vec<Arg>>,
) -> Result<u64, StoreError> {
    insert_rows_with(conn, table, columns, &[], suffix, rows).await
}

/// Like [`insert_rows`], with `constants`: `(column, SQL literal)` pairs the same for every
/// row, written into the statement instead of bound per row. Literals must come from the
/// program (enum names, formatted dates, ids), never from input.
pub(crate) async fn insert_rows_with(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    constants: &[(&str, String)],
    suffix: &str,
    rows: impl IntoIterator<Item = Vec<Arg>>,
) -> Result<u64, StoreError> {
    // Rows per statement. SQLite plans a multi-row VALUES as a compound SELECT, which gets
    // superlinear past a few hundred rows (measured on 20,000 people: 100 rows 3.0 s,
    // 2,000 rows 10.4 s); PostgreSQL gains from fewer round trips.
    let sqlite = conn.backend_name() == "SQLite";
    let per_stmt = (MAX_PARAMS / columns.len()).clamp(1, if sqlite { 100 } else { 1000 });
    // `?N` for SQLite (numbered; `$N` is a named parameter there), `$N` for PostgreSQL.
    let mark = if sqlite { '?' } else { '$' };
    let all_columns: Vec<&str> = columns
        .iter()
        .copied()
        .chain(constants.iter().map(|(c, _)| *c))
        .collect();
    let literals: String = constants.iter().map(|(_, v)| format!(", {v}")).collect();
    let mut written = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<Vec<Arg>> = rows.by_ref().take(per_stmt).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", all_columns.join(", "));
        let mut n = 0;
        for (i, row) in batch.iter().enumerate() {
            if row.len() != columns.len() {
                return Err(StoreError::Invalid(format!(
                    "insert into {table}: row has {} values for {} columns",
                    row.len(),
                    columns.len()
                )));
            }
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..row.len() {
                n += 1;
                if j > 0 {
                    sql.push_str(", ");
                }
                sql.push(mark);
                sql.push_str(&n.to_string());
            }
            sql.push_str(&literals);
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(suffix);
        let mut q = sqlx::query(&sql);
        for row in batch {
            for a in row {
                q = bind_arg(q, a);
            }
        }
        written += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(written)
}

/// The SQL type of a column filled by [`JsonBatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonCol {
    Int,
    Text,
}

/// Rows collected as one JSON array of arrays and inserted with a single bound parameter:
/// the database unpacks it (`json_each` in SQLite, `json_array_elements` in PostgreSQL).
/// Per-value binding through the driver costs microseconds a value; this costs one string
/// a few thousand rows, so staging millions of rows is bounded by the database, not by
/// the binding. Memory is bounded by `rows_per_statement`.
pub(crate) struct JsonBatch {
    table: &'static str,
    columns: &'static [(&'static str, JsonCol)],
    buf: String,
    rows: usize,
    rows_per_statement: usize,
}

impl JsonBatch {
    pub(crate) fn new(
        table: &'static str,
        columns: &'static [(&'static str, JsonCol)],
        rows_per_statement: usize,
    ) -> JsonBatch {
        JsonBatch {
            table,
            columns,
            buf: String::from("["),
            rows: 0,
            rows_per_statement: rows_per_statement.max(1),
        }
    }

    /// Adds a row (values in column order: ints as numbers, texts as JSON strings); runs
    /// the statement when the batch is full.
    pub(crate) async fn push(
        &mut self,
        conn: &mut AnyConnection,
        row: &[JsonValue<'_>],
    ) -> Result<(), StoreError> {
        if row.len() != self.columns.len() {
            return Err(StoreError::Invalid(format!(
                "insert into {}: row has {} values for {} columns",
                self.table,
                row.len(),
                self.columns.len()
            )));
        }
        self.buf.push_str(if self.rows == 0 { "[" } else { ",[" });
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            match v {
                JsonValue::Int(n) => {
                    use std::fmt::Write;
                    let _ = write!(self.buf, "{n}");
                }
                JsonValue::Text(s) => push_json_string(&mut self.buf, s),
            }
        }
        self.buf.push(']');
        self.rows += 1;
        if self.rows >= self.rows_per_statement {
            self.flush(conn).await?;
        }
        Ok(())
    }

    /// Inserts what is pending.
    pub(crate) async fn flush(&mut self, conn: &mut AnyConnection) -> Result<u64, StoreError> {
        if self.rows == 0 {
            return Ok(0);
        }
        self.buf.push(']');
        let sqlite = conn.backend_name() == "SQLite";
        let names: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        let values: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| match (sqlite, ty) {
                (true, _) => format!("value ->> {i}"),
                (false, JsonCol::Int) => format!("(x ->> {i})::bigint"),
                (false, JsonCol::Text) => format!("x ->> {i}"),
            })
            .collect();
        let sql = if sqlite {
            format!(
                "INSERT INTO {} ({}) SELECT {} FROM json_each(?1)",
                self.table,
                names.join(", "),
                values.join(", ")
            )
        } else {
            format!(
                "INSERT INTO {} ({}) SELECT {} FROM json_array_elements($1::json) AS j(x)",
                self.table,
                names.join(", "),
                values.join(", ")
            )
        };
        let body = std::mem::replace(&mut self.buf, String::from("["));
        self.rows = 0;
        Ok(sqlx::query(&sql)
            .bind(body)
            .execute(&mut *conn)
            .await?
            .rows_affected())
    }
}

/// A value of a [`JsonBatch`] row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JsonValue<'a> {
    Int(i64),
    Text(&'a str),
}

/// Appends `s` as a JSON string literal (RFC 8259 escaping).
fn push_json_string(buf: &mut String, s: &str) {
    buf.push('"');
    for c in s.chars() {
        match c {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                use std::fmt::Write;
                let _ = write!(buf, "\\u{:04x}", c as u32);
            }
            c => buf.push(c),
        }
    }
    buf.push('"');
}

/// Rows of integers inserted as literal `VALUES` lists, unprepared. Integers formatted by
/// the program cannot inject anything, and the database parses a literal faster than it
/// binds or unpacks a value: the fastest way to stage millions of interned rows. Rows per
/// statement stay in the hundreds, where SQLite's compound-select planning is still linear.
pub(crate) struct IntBatch {
    head: String,
    sql: String,
    rows: usize,
    columns: usize,
}

const INT_ROWS_PER_STATEMENT: usize = 500;

impl IntBatch {
    pub(crate) fn new(table: &str, columns: &[&str]) -> IntBatch {
        let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        IntBatch {
            sql: head.clone(),
            head,
            rows: 0,
            columns: columns.len(),
        }
    }

    /// Adds a row; runs the statement when the batch is full.
    pub(crate) async fn push(
        &mut self,
        conn: &mut AnyConnection,
        row: &[i64],
    ) -> Result<(), StoreError> {
        use std::fmt::Write;
        if row.len() != self.columns {
            return Err(StoreError::Invalid(format!(
                "{}: row has {} values for {} columns",
                self.head,
                row.len(),
                self.columns
            )));
        }
        self.sql.push_str(if self.rows == 0 { "(" } else { ",(" });
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                self.sql.push(',');
            }
            let _ = write!(self.sql, "{v}");
        }
        self.sql.push(')');
        self.rows += 1;
        if self.rows >= INT_ROWS_PER_STATEMENT {
            self.flush(conn).await?;
        }
        Ok(())
    }

    /// Inserts what is pending.
    pub(crate) async fn flush(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        if self.rows == 0 {
            return Ok(());
        }
        let sql = std::mem::replace(&mut self.sql, self.head.clone());
        self.rows = 0;
        sqlx::raw_sql(&sql).execute(&mut *conn).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn json_strings_round_trip(s in "\\PC*|[\\x00-\\x1f\"\\\\]*") {
            let mut buf = String::new();
            push_json_string(&mut buf, &s);
            let back: String = serde_json::from_str(&buf).expect("valid JSON");
            proptest::prop_assert_eq!(back, s);
        }
    }
}
