//! API tokens for scripts (`Authorization: Bearer fw_…`).
//!
//! A token is 32 random bytes, shown once. The store keeps only a keyed hash of it
//! (HMAC-SHA256 under the install's `api_token_key` setting), so a token is checked with
//! one hash and one indexed lookup, not with Argon2 (which a password needs because people
//! choose guessable ones; a token has 256 bits nobody chose). The key is per install and
//! shared by every server on the database, so a table of hashes is worth nothing against
//! another install. A token acts as its account, with the account's role; it may expire
//! and may be revoked, and records when it was last used (to the minute).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::Row;

use crate::users::{insert_user, user_row};
use crate::{now_text, random_token, Role, Store, StoreError, User, NO_PASSWORD};

/// What every token starts with (so leaked ones are easy to search for).
pub const TOKEN_PREFIX: &str = "fw_";

/// The domain of the accounts made for tokens created on the command line: reserved, so
/// no one can sign in with one or receive mail at it.
pub const SERVICE_DOMAIN: &str = "tokens.flywheel.invalid";

/// A token as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// What it may call: `api` (the JSON API) or `scim` (provisioning only).
    pub scope: String,
}

impl ApiToken {
    /// `active`, `expired` or `revoked` at `now` (RFC 3339).
    pub fn state(&self, now: &str) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.as_deref().is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

fn token_row(r: &sqlx::any::AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        user_id: r.try_get("user_id")?,
        email: r.try_get("email")?,
        role: Role::parse(&r.try_get::<String, _>("role")?)?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
        scope: r.try_get("scope")?,
    })
}

const TOKEN_COLUMNS: &str = "t.id, t.name, t.user_id, u.email, u.role, t.created_at, \
     t.expires_at, t.last_used_at, t.revoked_at, t.scope";

/// A token's name: 1–64 letters, digits, `-`, `_` or `.`.
fn check_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(name)
    } else {
        Err(StoreError::Invalid(format!(
            "token name {name:?}: use 1 to 64 letters, digits, '-', '_' or '.'"
        )))
    }
}

impl Store {
    /// The install's token key, made on first use (every server then reads the same one).
    async fn token_key(&self) -> Result<Vec<u8>, StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ('api_token_key', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(random_token())
        .execute(&self.pool)
        .await?;
        let key = self.setting("api_token_key", "").await?;
        if key.len() < 32 {
            return Err(StoreError::Invalid(
                "setting api_token_key is too short".into(),
            ));
        }
        Ok(key.into_bytes())
    }

    fn keyed_hash(key: &[u8], token: &str) -> Result<String, StoreError> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key)
            .map_err(|e| StoreError::Invalid(format!("the token key: {e}")))?;
        mac.update(token.as_bytes());
        Ok(mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect())
    }

    /// Creates a token `name` for `user`, valid until `expires` (never when `None`);
    /// audited with `by`. The token, to be shown once, and its record.
    pub async fn create_api_token(
        &self,
        user: &User,
        name: &str,
        expires: Option<DateTime<Utc>>,
        by: Option<i64>,
    ) -> Result<(String, ApiToken), StoreError> {
        self.create_token_in_scope(user, name, expires, by, "api")
            .await
    }

    /// A token that may call only `scope` (`api` or `scim`); otherwise as
    /// [`Store::create_api_token`].
    pub async fn create_token_in_scope(
        &self,
        user: &User,
        name: &str,
        expires: Option<DateTime<Utc>>,
        by: Option<i64>,
        scope: &str,
    ) -> Result<(String, ApiToken), StoreError> {
        let name = check_name(name)?;
        let token = format!("{TOKEN_PREFIX}{}", random_token());
        let hash = Self::keyed_hash(&self.token_key().await?, &token)?;
        let expires_at = expires.map(|e| e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let mut tx = self.begin_write().await?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM api_tokens WHERE user_id = $1 AND name = $2")
                .bind(user.id)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "{} already has a token named {name:?}; revoke it or choose another name",
                user.email
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at, scope) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user.id)
        .bind(name)
        .bind(&hash)
        .bind(now_text())
        .bind(&expires_at)
        .bind(scope)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'token.create', $3, $4)")
            .bind(now_text())
            .bind(by)
            .bind(format!("token:{id}"))
            .bind(format!(
                "{name} for {} ({}, scope {scope}), expires {}",
                user.email,
                user.role.as_str(),
                expires_at.as_deref().unwrap_or("never")
            ))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let record = self
            .api_tokens(Some(user.id))
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| StoreError::not_found("token", id))?;
        Ok((token, record))
    }

    /// The account of tokens made on the command line: `name@tokens.flywheel.invalid`
    /// with `role` and no password (nobody signs in with it), made when missing. An
    /// existing one keeps its role unless it differs, which is refused.
    pub async fn service_account(&self, name: &str, role: Role) -> Result<User, StoreError> {
        let name = check_name(name)?.to_lowercase();
        let email = format!("{name}@{SERVICE_DOMAIN}");
        if let Some(u) = self.user_by_email(&email).await? {
            if u.role != role {
                return Err(StoreError::Conflict(format!(
                    "the token account {email} is {}, not {}",
                    u.role.as_str(),
                    role.as_str()
                )));
            }
            return Ok(u);
        }
        let mut tx = self.begin_write().await?;
        let user = User {
            id: 0,
            email,
            role,
            person_id: None,
        };
        let detail = format!("{} (for API tokens)", role.as_str());
        let user = insert_user(&mut tx, user, NO_PASSWORD, "user.create", &detail).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Tokens, newest first: all, or those of one account.
    pub async fn api_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE $1 IS NULL OR t.user_id = $1 ORDER BY t.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token_row).collect()
    }

    /// Revokes token `id` (of `user_id` only, when given); false when it was revoked
    /// already. Audited with `by`.
    pub async fn revoke_api_token(
        &self,
        id: i64,
        user_id: Option<i64>,
        by: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let found: Option<(i64, Option<String>)> = sqlx::query_as(
            "SELECT user_id, revoked_at FROM api_tokens WHERE id = $1 AND ($2 IS NULL OR user_id = $2)",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((_, revoked)) = found else {
            return Err(StoreError::not_found("token", id));
        };
        if revoked.is_some() {
            return Ok(false);
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
            .bind(now_text())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'token.revoke', $3, '')")
            .bind(now_text())
            .bind(by)
            .bind(format!("token:{id}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The account a bearer `token` acts as, with the token's record: `None` for a token
    /// that is unknown, revoked or expired. Records the use (at most once a minute).
    pub async fn user_by_api_token(
        &self,
        token: &str,
    ) -> Result<Option<(User, ApiToken)>, StoreError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
            return Ok(None);
        }
        let hash = Self::keyed_hash(&self.token_key().await?, token)?;
        let now = now_text();
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, u.person_id FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL \
             AND (t.expires_at IS NULL OR t.expires_at > $2)"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(&hash)
            .bind(&now)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let record = token_row(&row)?;
        let user = user_row(&row)?;
        let user = User {
            id: record.user_id,
            ..user
        };
        let a_minute_ago = (Utc::now() - chrono::Duration::minutes(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if record
            .last_used_at
            .as_deref()
            .is_none_or(|t| t < a_minute_ago.as_str())
        {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(&now)
                .bind(record.id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some((user, record)))
    }
}
