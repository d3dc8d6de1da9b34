//! Single-use links to set a password: an invitation (for an account made without one) or
//! a reset. The link carries a random 256-bit token; only its SHA-256 is stored. Using a
//! link sets the password (checked like every password), ends the account's sessions, and
//! spends every open link of that account, in one transaction.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::users::{hash_password, user_row};
use crate::{now_text, random_token, Store, StoreError, User};

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Invite,
    Reset,
    /// A break-glass sign-in made on the server's command line: one session, no password.
    SignIn,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invite => "invite",
            LinkPurpose::Reset => "reset",
            LinkPurpose::SignIn => "signin",
        }
    }
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// A new link for `user`, valid until `expires`; its token (for the URL, shown once).
    /// Audited with `by`.
    pub async fn create_account_link(
        &self,
        user: &User,
        purpose: LinkPurpose,
        expires: DateTime<Utc>,
        by: Option<i64>,
    ) -> Result<String, StoreError> {
        let token = random_token();
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO account_links (user_id, purpose, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user.id)
            .bind(purpose.as_str())
            .bind(digest(&token))
            .bind(now_text())
            .bind(expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, $3, $4, '')")
            .bind(now_text())
            .bind(by)
            .bind(format!("user.{}_link", purpose.as_str()))
            .bind(&user.email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The account and purpose of an open link (unused, unexpired); `None` otherwise.
    pub async fn account_link(
        &self,
        token: &str,
    ) -> Result<Option<(User, LinkPurpose)>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.role, u.person_id, l.purpose FROM account_links l JOIN users u ON u.id = l.user_id \
             WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2",
        )
        .bind(digest(token))
        .bind(now_text())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let purpose: String = sqlx::Row::try_get(&row, "purpose")?;
        let purpose = match purpose.as_str() {
            "invite" => LinkPurpose::Invite,
            "signin" => LinkPurpose::SignIn,
            _ => LinkPurpose::Reset,
        };
        Ok(Some((user_row(&row)?, purpose)))
    }

    /// Sets the password of an open link's account, in one transaction: the link (and every
    /// other open link of the account) is spent, the account's sessions end. A link used
    /// twice, or after it expired, is refused; so is a weak password, and then the link
    /// stays open. The account.
    pub async fn use_account_link(&self, token: &str, password: &str) -> Result<User, StoreError> {
        let gone = || {
            StoreError::Conflict(
                "this link was used already or has expired; ask an admin for a new one".into(),
            )
        };
        let (user, purpose) = self.account_link(token).await?.ok_or_else(gone)?;
        if purpose == LinkPurpose::SignIn {
            return Err(StoreError::Invalid(
                "this link signs in once; it does not set a password".into(),
            ));
        }
        let hash = hash_password(password, &user.email)?;
        let now = now_text();
        let mut tx = self.begin_write().await?;
        if !spend(&mut tx, token, &now).await? {
            return Err(gone());
        }
        sqlx::query("UPDATE account_links SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
            .bind(&now)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'user.password', $3, 'set from a link')")
            .bind(&now)
            .bind(user.id)
            .bind(&user.email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Spends a break-glass sign-in link: its account, once (audited). Of two uses at once,
    /// one wins.
    pub async fn use_signin_link(&self, token: &str) -> Result<User, StoreError> {
        let gone = || {
            StoreError::Conflict(
                "this link was used already or has expired; make a new one with `flywheel auth break-glass`".into(),
            )
        };
        let (user, purpose) = self.account_link(token).await?.ok_or_else(gone)?;
        if purpose != LinkPurpose::SignIn {
            return Err(gone());
        }
        let now = now_text();
        let mut tx = self.begin_write().await?;
        if !spend(&mut tx, token, &now).await? {
            return Err(gone());
        }
        crate::audit::audit_in(
            &mut tx,
            Some(user.id),
            "session.break_glass",
            &user.email,
            "signed in with a break-glass link",
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// An account for `email` with `role` and no password (nobody signs in with it until a
    /// link sets one), made when missing; an existing account is returned as it is.
    pub async fn invited_account(
        &self,
        email: &str,
        role: crate::Role,
    ) -> Result<User, StoreError> {
        if let Some(u) = self.user_by_email(email).await? {
            return Ok(u);
        }
        let email = email.trim().to_lowercase();
        if !email.contains('@') {
            return Err(StoreError::Invalid(format!(
                "{email:?} is not an email address"
            )));
        }
        let mut tx = self.begin_write().await?;
        let user = User {
            id: 0,
            email,
            role,
            person_id: None,
        };
        let user = crate::users::insert_user(
            &mut tx,
            user,
            crate::NO_PASSWORD,
            "user.invite",
            role.as_str(),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }
}

/// Spends the open link of `token` at `now`, conditionally: of two uses at once, one wins.
/// Whether this use did.
async fn spend(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    token: &str,
    now: &str,
) -> Result<bool, StoreError> {
    let spent = sqlx::query(
        "UPDATE account_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(digest(token))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(spent == 1)
}
