//! Secrets at rest: the issuer's signing keys in key files outside the database, and the
//! SQLite database files readable by their owner only.
//!
//! A key file holds the hex of one Ed25519 seed, in a directory of mode 0700, the file
//! 0600, named after a hash of the key's `did:key`. The directory is `FLYWHEEL_KEY_DIR`
//! when set; otherwise, for SQLite, `<database file>.keys/` beside the database; for
//! PostgreSQL, `$XDG_DATA_HOME/flywheel/keys/<host>_<port>_<database>/` (or under
//! `~/.local/share`). Back it up with the database: without it no new credential can be
//! signed (issued ones still verify: a `did:key` carries its public key).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{now_text, Backend, Store, StoreError};

/// Where the key files of a database live (see the module docs).
pub(crate) fn key_dir_for(url: &str, backend: Backend, sqlite_path: Option<&Path>) -> PathBuf {
    if let Some(dir) = std::env::var_os("FLYWHEEL_KEY_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    match (backend, sqlite_path) {
        (Backend::Sqlite, Some(p)) => {
            let mut name = p.file_name().unwrap_or_default().to_os_string();
            name.push(".keys");
            p.with_file_name(name)
        }
        _ => {
            let base = std::env::var_os("XDG_DATA_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
                .unwrap_or_else(|| PathBuf::from("."));
            // host, port and database name from postgres://user@host:port/db?…
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
            let rest = rest.split('?').next().unwrap_or(rest);
            let ident: String = rest
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            base.join("flywheel/keys").join(ident)
        }
    }
}

fn file_name(did: &str) -> String {
    let h = Sha256::digest(did.as_bytes());
    let hex: String = h.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("issuer-{hex}.key")
}

fn io_err(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Config(format!("key file {}: {e}", path.display()))
}

/// Makes `path` readable and writable by its owner only (0600), when it exists.
pub(crate) fn owner_only(path: &Path) -> Result<bool, std::io::Error> {
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            Ok(true)
        }
        Ok(_) => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Creates the SQLite file `path` with mode 0600 if it does not exist, and takes the group
/// and others' access away from it and its `-wal` and `-shm` files if they have any (SQLite
/// gives the log files the database file's mode).
pub(crate) fn secure_sqlite_files(path: &Path) -> Result<(), StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", parent.display())))?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(StoreError::Config(format!(
                "cannot create {}: {e}",
                path.display()
            )))
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        match owner_only(&p) {
            Ok(true) => tracing::warn!(
                "{} was readable by other users; it is now readable by its owner only (0600)",
                p.display()
            ),
            Ok(false) => {}
            Err(e) => {
                return Err(StoreError::Config(format!(
                    "cannot restrict {}: {e}",
                    p.display()
                )))
            }
        }
    }
    Ok(())
}

impl Store {
    /// The directory of the issuer's key files.
    pub fn key_dir(&self) -> &Path {
        &self.key_dir
    }

    /// Writes a new key file for `did` (refusing to overwrite one).
    pub(crate) fn write_key(&self, did: &str, seed_hex: &str) -> Result<PathBuf, StoreError> {
        let dir = &self.key_dir;
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io_err(dir, e))?;
        let path = dir.join(file_name(did));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        f.write_all(format!("{seed_hex}\n").as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| io_err(&path, e))?;
        // The directory entry too, so the file survives a crash right after.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(path)
    }

    /// The seed (hex) of the key `did`, from its key file.
    pub fn read_key(&self, did: &str) -> Result<String, StoreError> {
        let path = self.key_dir.join(file_name(did));
        let text = std::fs::read_to_string(&path).map_err(|e| {
            StoreError::Config(format!(
                "the issuer's signing key {} cannot be read ({e}); restore the key directory from a backup, or point FLYWHEEL_KEY_DIR at it",
                path.display()
            ))
        })?;
        let seed = text.trim().to_owned();
        if seed.len() != 64 || !seed.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Config(format!(
                "{}: not a key file (expected 64 hex digits)",
                path.display()
            )));
        }
        Ok(seed)
    }

    /// Moves a seed still stored in the database (before migration 0013) into its key
    /// file, then empties the column. Idempotent.
    pub(crate) async fn move_seed_out(&self) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT seed, did FROM issuer WHERE id = 1 AND seed <> ''")
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(()) };
        let seed: String = row.try_get("seed")?;
        let did: String = row.try_get("did")?;
        if !self.key_dir.join(file_name(&did)).exists() {
            self.write_key(&did, &seed)?;
        }
        if self.read_key(&did)? != seed {
            return Err(StoreError::Config(format!(
                "the key file of {did} in {} does not hold the key stored in the database",
                self.key_dir.display()
            )));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE issuer SET seed = '' WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO issuer_keys (did, first_index, created_at) VALUES ($1, 0, $2) ON CONFLICT (did) DO NOTHING",
        )
        .bind(&did)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, NULL, 'badges.key', 'issuer', $2)")
            .bind(now_text())
            .bind(format!("signing key {did} moved out of the database into {}", self.key_dir.display()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every key the issuer has signed with: `(did, first status index)`, oldest first.
    pub async fn issuer_keys(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT did, first_index FROM issuer_keys ORDER BY first_index, created_at",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("did")?, r.try_get("first_index")?)))
            .collect()
    }

    /// The key that signed the credential with status index `index` (and so signs its
    /// status list).
    pub async fn key_for_index(&self, index: i64) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT did FROM issuer_keys WHERE first_index <= $1 ORDER BY first_index DESC LIMIT 1",
        )
        .bind(index)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Replaces the issuer's signing key: the new key's file is written first, then the
    /// issuer signs with it, starting a new status list at the multiple of `list_bits`
    /// after the last index used (a list is signed by one key). The old key file is kept:
    /// it still signs the status lists of the credentials it issued, which keep verifying.
    /// Audited.
    pub async fn rotate_issuer_key(
        &self,
        new_did: &str,
        new_seed_hex: &str,
        list_bits: i64,
        by: Option<i64>,
    ) -> Result<i64, StoreError> {
        self.move_seed_out().await?;
        self.write_key(new_did, new_seed_hex)?;
        let mut tx = self.begin_write().await?;
        self.serialize(&mut tx, crate::TxLock::StatusIndex).await?;
        let old: Option<String> = sqlx::query_scalar("SELECT did FROM issuer WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        let Some(old) = old else {
            return Err(StoreError::not_found("issuer", "yet: nothing to rotate"));
        };
        let next: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(status_index), -1) + 1 FROM awards")
                .fetch_one(&mut *tx)
                .await?;
        let floor: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(first_index), 0) FROM issuer_keys")
                .fetch_one(&mut *tx)
                .await?;
        // The first whole status list after everything used so far.
        let bits = list_bits.max(1);
        let want = next.max(floor + 1);
        let first = (want + bits - 1).div_euclid(bits) * bits;
        let now = now_text();
        sqlx::query(
            "INSERT INTO issuer_keys (did, first_index, created_at) VALUES ($1, 0, $2) ON CONFLICT (did) DO NOTHING",
        )
        .bind(&old)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE issuer_keys SET retired_at = $2 WHERE did = $1")
            .bind(&old)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO issuer_keys (did, first_index, created_at) VALUES ($1, $2, $3)")
            .bind(new_did)
            .bind(first)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE issuer SET did = $1, seed = '' WHERE id = 1")
            .bind(new_did)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'badges.rotate_key', 'issuer', $3)")
            .bind(&now)
            .bind(by)
            .bind(format!("{old} retired; {new_did} signs from status index {first}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(first)
    }

    /// The first status index the current key may use.
    pub(crate) async fn current_first_index(
        conn: &mut sqlx::AnyConnection,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COALESCE((SELECT k.first_index FROM issuer_keys k JOIN issuer i ON i.did = k.did WHERE i.id = 1), 0)",
        )
        .fetch_one(&mut *conn)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_dirs() {
        let d = key_dir_for(
            "sqlite:///x/y/f.db",
            Backend::Sqlite,
            Some(Path::new("/x/y/f.db")),
        );
        if std::env::var_os("FLYWHEEL_KEY_DIR").is_none() {
            assert_eq!(d, PathBuf::from("/x/y/f.db.keys"));
            let p = key_dir_for("postgres://u@h:5432/db?x=1", Backend::Postgres, None);
            assert!(p.ends_with("flywheel/keys/h_5432_db"), "{}", p.display());
        }
        assert_ne!(file_name("did:key:a"), file_name("did:key:b"));
    }
}
