use thiserror::Error;

/// Why a store operation failed.
///
/// Database errors are classified once, here, when they leave sqlx: a full disk is
/// [`StoreError::Full`], a database that cannot be reached or written for now is
/// [`StoreError::Unavailable`], and everything else stays [`StoreError::Sql`]. Callers map
/// the class to what they answer (a stable API error code, a CLI exit), never a message.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database configuration: {0}")]
    Config(String),
    /// A SQLite file that does not exist, opened without asking to create it.
    #[error("no database at {0}; create it with `flywheel init` or pass --create")]
    NoDatabase(String),
    #[error("cannot connect to the {backend} database: {message}")]
    Connect {
        backend: &'static str,
        message: String,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The disk (or the filesystem) holding the database is full: nothing was written.
    #[error("the database's storage is full, nothing was written: {0}")]
    Full(String),
    /// The database cannot be reached or written for now (IO error, lock held too long,
    /// connection lost, server shutting down): nothing was written; retrying may succeed.
    #[error("the database is unavailable, nothing was written: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Sql(sqlx::Error),
    #[error(transparent)]
    Domain(#[from] flywheel_domain::DomainError),
    #[error("{0}")]
    Invalid(String),
    /// Refused as a probable accident that would destroy data; the message says how to
    /// do it on purpose.
    #[error("{0}")]
    Refused(String),
    /// The object named does not exist: `what` names its kind ("win", "unit"), `id` the
    /// key it was asked by.
    #[error("no {what} {id}")]
    NotFound { what: &'static str, id: String },
    /// The request lost a race or asks for a transition the current state forbids; the
    /// message names the current state.
    #[error("{0}")]
    Conflict(String),
    /// The caller's signing step inside a write failed (a credential that could not be
    /// signed): nothing was written.
    #[error("cannot sign: {0}")]
    Signing(Box<dyn std::error::Error + Send + Sync>),
}

/// The class of a database error (see [`StoreError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Full,
    Unavailable,
    Other,
}

/// SQLite's primary result codes (the low byte of an extended code) that mean the storage
/// failed rather than the statement: <https://www.sqlite.org/rescode.html>.
fn sqlite_class(code: i64) -> Class {
    match code & 0xff {
        13 => Class::Full, // SQLITE_FULL
        // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_READONLY, SQLITE_IOERR,
        // SQLITE_CANTOPEN, SQLITE_PROTOCOL
        5 | 6 | 7 | 8 | 10 | 14 | 15 => Class::Unavailable,
        _ => Class::Other,
    }
}

/// PostgreSQL's SQLSTATE classes that mean the server could not do it for now:
/// <https://www.postgresql.org/docs/current/errcodes-appendix.html>.
fn postgres_class(state: &str) -> Class {
    match state {
        "53100" => Class::Full, // disk_full
        _ if state.starts_with("53") // insufficient resources
            || state.starts_with("08") // connection exception
            || state.starts_with("57P") // operator intervention: shutdown, cannot connect now
            || state == "40001" // serialization failure
            || state == "40P01" // deadlock detected
            || state == "55P03" =>
        // lock not available
        {
            Class::Unavailable
        }
        _ => Class::Other,
    }
}

fn classify(e: &sqlx::Error) -> Class {
    match e {
        sqlx::Error::Io(io) if io.raw_os_error() == Some(28) => Class::Full, // ENOSPC
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Class::Unavailable,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else {
                return Class::Other;
            };
            match code.parse::<i64>() {
                // SQLite reports its extended result code as a number; SQLSTATEs are five
                // characters and only some are all digits, so tell them apart by length.
                Ok(n) if code.len() != 5 => sqlite_class(n),
                _ => postgres_class(&code),
            }
        }
        _ => Class::Other,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match classify(&e) {
            Class::Full => StoreError::Full(e.to_string()),
            Class::Unavailable => StoreError::Unavailable(e.to_string()),
            Class::Other => StoreError::Sql(e),
        }
    }
}

impl StoreError {
    /// A [`StoreError::NotFound`] for `what` asked by `id`.
    pub fn not_found(what: &'static str, id: impl std::fmt::Display) -> StoreError {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// A unique or primary-key violation: the row is there already.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Sql(sqlx::Error::Database(db)) if db.is_unique_violation())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(sqlite_class(13), Class::Full);
        assert_eq!(sqlite_class(5), Class::Unavailable);
        assert_eq!(sqlite_class(10 | (3 << 8)), Class::Unavailable); // SQLITE_IOERR_WRITE
        assert_eq!(sqlite_class(19 | (8 << 8)), Class::Other); // SQLITE_CONSTRAINT_UNIQUE
        assert_eq!(postgres_class("53100"), Class::Full);
        assert_eq!(postgres_class("57P01"), Class::Unavailable);
        assert_eq!(postgres_class("23505"), Class::Other);
        let io = sqlx::Error::Io(std::io::Error::from_raw_os_error(28));
        assert!(matches!(StoreError::from(io), StoreError::Full(_)));
        assert!(matches!(
            StoreError::from(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
    }
}
