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
    Text(Option<String>),
}

fn bind_arg<'q>(
    q: Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    a: Arg,
) -> Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    match a {
        Arg::Int(v) => q.bind(v),
        Arg::Real(v) => q.bind(v),
        Arg::Text(v) => q.bind(v),
    }
}

/// Bound parameters per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_PARAMS: usize = 30_000;

/// Inserts `rows` into `table (columns)`, `suffix` appended to each statement (e.g. an
/// `ON CONFLICT` clause). Runs on the given connection, so inside the caller's transaction.
pub(crate) async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    suffix: &str,
    rows: Vec<Vec<Arg>>,
) -> Result<u64, StoreError> {
    let per_stmt = (MAX_PARAMS / columns.len()).clamp(1, 500);
    let mut written = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<Vec<Arg>> = rows.by_ref().take(per_stmt).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
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
                sql.push_str(&format!("${n}"));
            }
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
