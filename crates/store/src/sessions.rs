//! Server-side login sessions. The cookie carries a random 256-bit token; the table keeps
//! only its SHA-256, and each session has its own CSRF token.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::users::user_row;
use crate::{Store, StoreError, User};

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    /// The token every form and cookie-authenticated API write must echo.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
    /// How it began: `password`, `oidc` or `link`.
    pub via: String,
}

/// 32 random bytes from the operating system, as 64 hex digits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn at_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Store {
    /// Opens a session for `user` lasting `ttl`, begun with a password; returns the cookie
    /// token and the session.
    pub async fn create_session(
        &self,
        user: &User,
        ttl: Duration,
    ) -> Result<(String, Session), StoreError> {
        self.create_session_via(user, ttl, "password").await
    }

    /// Opens a session for `user` lasting `ttl`, begun `via` (`password`, `oidc`, `link`).
    pub async fn create_session_via(
        &self,
        user: &User,
        ttl: Duration,
        via: &str,
    ) -> Result<(String, Session), StoreError> {
        let token = random_token();
        let csrf = random_token();
        let now = Utc::now();
        let expires_at = now + ttl;
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at, via) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash(&token))
        .bind(user.id)
        .bind(&csrf)
        .bind(at_text(now))
        .bind(at_text(expires_at))
        .bind(via)
        .execute(&self.pool)
        .await?;
        // Expired sessions are swept on every login: the table stays small without a timer.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(at_text(now))
            .execute(&self.pool)
            .await?;
        Ok((
            token,
            Session {
                user: user.clone(),
                csrf,
                expires_at,
                via: via.to_owned(),
            },
        ))
    }

    /// The session of a cookie token, if it exists and has not expired.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, StoreError> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT u.id, u.email, u.role, u.person_id, s.csrf, s.expires_at, s.via
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled_at IS NULL",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let expires: String = r.try_get("expires_at")?;
        let expires_at = DateTime::parse_from_rfc3339(&expires)
            .map_err(|e| StoreError::Invalid(format!("session expiry {expires:?}: {e}")))?
            .with_timezone(&Utc);
        if expires_at <= Utc::now() {
            return Ok(None);
        }
        Ok(Some(Session {
            user: user_row(&r)?,
            csrf: r.try_get("csrf")?,
            expires_at,
            via: r.try_get("via")?,
        }))
    }

    /// Ends a session (logout). Unknown tokens are ignored.
    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every session of an account (after a password or role change).
    pub async fn end_sessions_of(&self, user_id: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
