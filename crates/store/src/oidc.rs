//! OpenID Connect sign-in: sign-ins begun and not yet finished (shared by every server on
//! the database, taken once), and accounts made or found for a provider's subject.

use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::users::{insert_user, user_row};
use crate::{now_text, Role, Store, StoreError, User, NO_PASSWORD};

/// How long a begun sign-in waits for the provider to send the browser back.
pub const PENDING_MINUTES: i64 = 10;

/// What a begun sign-in keeps until the provider sends the browser back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where to go once signed in (a same-site path).
    pub next: String,
}

/// How an account is tied to a person of the org chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonKey {
    /// The person whose work email this is.
    Email(String),
    /// The person with this HRIS id (a configured claim carries it).
    HrisId(String),
}

/// A verified identity, as the account rules need it.
#[derive(Debug, Clone)]
pub struct OidcLogin {
    pub issuer: String,
    pub subject: String,
    /// The verified email (the account's name).
    pub email: String,
    pub person: Option<PersonKey>,
    /// The role the groups give, when roles follow groups; `None` keeps an existing
    /// account's role and gives a new one `employee`.
    pub role: Option<Role>,
}

/// What a sign-in did to the accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcOutcome {
    pub user: User,
    /// The account was made just now.
    pub created: bool,
    /// The role it had before, when the groups changed it (its other sessions ended).
    pub role_before: Option<Role>,
}

fn digest(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn cutoff() -> String {
    (Utc::now() - Duration::minutes(PENDING_MINUTES))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Store {
    /// Remembers a begun sign-in under its `state` (kept as a hash); sweeps the ones that
    /// were never finished.
    pub async fn begin_oidc(&self, state: &str, pending: &PendingSignIn) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query("DELETE FROM oidc_pending WHERE created_at < $1")
            .bind(cutoff())
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO oidc_pending (state_hash, nonce, pkce_verifier, next, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(digest(state))
            .bind(&pending.nonce)
            .bind(&pending.pkce_verifier)
            .bind(&pending.next)
            .bind(now_text())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes the sign-in begun under `state`: it is gone afterwards, so a replayed `state`
    /// finds nothing (as does one older than [`PENDING_MINUTES`]). Of two takes at once,
    /// one gets it.
    pub async fn take_oidc(&self, state: &str) -> Result<Option<PendingSignIn>, StoreError> {
        let _turn = self.write_turn().await;
        let row = sqlx::query(
            "DELETE FROM oidc_pending WHERE state_hash = $1 RETURNING nonce, pkce_verifier, next, created_at",
        )
        .bind(digest(state))
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let created: String = r.try_get("created_at")?;
        if created < cutoff() {
            return Ok(None);
        }
        Ok(Some(PendingSignIn {
            nonce: r.try_get("nonce")?,
            pkce_verifier: r.try_get("pkce_verifier")?,
            next: r.try_get("next")?,
        }))
    }

    /// The account of a verified identity, in one transaction: the account already tied to
    /// the subject, else the account of the email (tied now), else a new one without a
    /// password. An account without a person is linked to `login.person` when it names one.
    /// When `login.role` differs from the account's, the role changes and the account's
    /// sessions end. Audited.
    pub async fn oidc_account(&self, login: &OidcLogin) -> Result<OidcOutcome, StoreError> {
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let person = person_of(&mut tx, login.person.as_ref()).await?;
        let by_subject = sqlx::query(
            "SELECT u.id, u.email, u.role, u.person_id FROM oidc_subjects o JOIN users u ON u.id = o.user_id \
             WHERE o.issuer = $1 AND o.subject = $2",
        )
        .bind(&login.issuer)
        .bind(&login.subject)
        .fetch_optional(&mut *tx)
        .await?;
        let mut created = false;
        let user = match by_subject {
            Some(r) => user_row(&r)?,
            None => {
                let by_email =
                    sqlx::query("SELECT id, email, role, person_id FROM users WHERE email = $1")
                        .bind(&login.email)
                        .fetch_optional(&mut *tx)
                        .await?;
                let user = match by_email {
                    Some(r) => user_row(&r)?,
                    None => {
                        created = true;
                        let user = User {
                            id: 0,
                            email: login.email.clone(),
                            role: login.role.unwrap_or(Role::Employee),
                            person_id: person,
                        };
                        let detail = format!(
                            "made at first sign-in with {} (subject {}), role {}",
                            login.issuer,
                            login.subject,
                            user.role.as_str()
                        );
                        insert_user(&mut tx, user, NO_PASSWORD, "user.oidc_create", &detail).await?
                    }
                };
                sqlx::query("INSERT INTO oidc_subjects (issuer, subject, user_id, created_at, last_seen) VALUES ($1, $2, $3, $4, $4)")
                    .bind(&login.issuer)
                    .bind(&login.subject)
                    .bind(user.id)
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                user
            }
        };
        sqlx::query("UPDATE oidc_subjects SET last_seen = $1 WHERE issuer = $2 AND subject = $3")
            .bind(&now)
            .bind(&login.issuer)
            .bind(&login.subject)
            .execute(&mut *tx)
            .await?;
        let disabled: Option<String> =
            sqlx::query_scalar("SELECT disabled_at FROM users WHERE id = $1")
                .bind(user.id)
                .fetch_one(&mut *tx)
                .await?;
        if disabled.is_some() {
            return Err(StoreError::Conflict(format!(
                "the account {} is disabled (by the identity provider's provisioning, or an admin)",
                user.email
            )));
        }
        let mut user = user;
        if user.person_id.is_none() && person.is_some() {
            sqlx::query("UPDATE users SET person_id = $1 WHERE id = $2")
                .bind(person)
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
            user.person_id = person;
        }
        let role_before = match login.role.filter(|r| *r != user.role) {
            Some(role) => {
                let before = user.role;
                change_role(&mut tx, &user, role).await?;
                user.role = role;
                Some(before)
            }
            None => None,
        };
        crate::audit::audit_in(
            &mut tx,
            Some(user.id),
            "session.oidc",
            &format!("user:{}", user.id),
            &format!("signed in with {}", login.issuer),
        )
        .await?;
        tx.commit().await?;
        Ok(OidcOutcome {
            user,
            created,
            role_before,
        })
    }

    /// How many accounts are admins, and how many of those have signed in with the
    /// identity provider `issuer`.
    pub async fn admin_counts(&self, issuer: &str) -> Result<(i64, i64), StoreError> {
        let all: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")
            .fetch_one(&self.pool)
            .await?;
        let oidc: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT u.id) FROM users u JOIN oidc_subjects o ON o.user_id = u.id \
             WHERE u.role = 'admin' AND o.issuer = $1",
        )
        .bind(issuer)
        .fetch_one(&self.pool)
        .await?;
        Ok((all, oidc))
    }
}

pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The person a key names, if any.
pub(crate) async fn person_of(
    tx: &mut Tx,
    key: Option<&PersonKey>,
) -> Result<Option<i64>, StoreError> {
    Ok(match key {
        Some(PersonKey::Email(e)) => {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM people WHERE LOWER(email) = $1 ORDER BY id LIMIT 1",
            )
            .bind(e.trim().to_lowercase())
            .fetch_optional(&mut **tx)
            .await?
        }
        Some(PersonKey::HrisId(h)) => {
            sqlx::query_scalar::<_, i64>("SELECT id FROM people WHERE hris_id = $1")
                .bind(h)
                .fetch_optional(&mut **tx)
                .await?
        }
        None => None,
    })
}

/// Gives `user` the role its groups give; its sessions end. Audited.
pub(crate) async fn change_role(tx: &mut Tx, user: &User, role: Role) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(user.id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.id)
        .execute(&mut **tx)
        .await?;
    crate::audit::audit_in(
        tx,
        Some(user.id),
        "user.role",
        &format!("user:{}", user.id),
        &format!(
            "{}: {} -> {} (groups at the identity provider)",
            user.email,
            user.role.as_str(),
            role.as_str()
        ),
    )
    .await
}
