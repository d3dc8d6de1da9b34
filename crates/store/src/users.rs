//! Login accounts. Passwords are stored as Argon2id PHC strings, never in clear.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Serialize;
use sqlx::Row;

use crate::{now_text, Store, StoreError};

pub use flywheel_domain::program::Role;

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The person of the org chart this account belongs to, if linked.
    pub person_id: Option<i64>,
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;

/// The longest password accepted (a passphrase, not a file).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// The lowest strength accepted, on zxcvbn's scale of 0 (guessed at once) to 4.
pub const MIN_PASSWORD_SCORE: u8 = 3;

/// Checks a new password for the account of `email`: at least [`MIN_PASSWORD_LEN`]
/// characters, and hard enough to guess (zxcvbn's estimate at least
/// [`MIN_PASSWORD_SCORE`], with the email's words counted as known): repeats, keyboard
/// rows, common passwords and the email itself are refused, with the reason.
pub fn check_password(password: &str, email: &str) -> Result<(), StoreError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(StoreError::Invalid(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(StoreError::Invalid(format!(
            "the password must have at most {MAX_PASSWORD_LEN} characters"
        )));
    }
    // The estimate's cost grows with the length; 100 characters of anything that passes
    // the first 100 are not weaker.
    let head: String = password.chars().take(100).collect();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or("");
    let known: Vec<&str> = [email.as_str(), local]
        .into_iter()
        .chain(email.split(['@', '.', '_', '-', '+']))
        .filter(|w| w.len() >= 3)
        .collect();
    let estimate = zxcvbn::zxcvbn(&head, &known);
    if u8::from(estimate.score()) >= MIN_PASSWORD_SCORE {
        return Ok(());
    }
    let why = if local.len() >= 3 && head.to_lowercase().contains(local) {
        "it is built on the account's email address".to_owned()
    } else {
        estimate
            .feedback()
            .and_then(zxcvbn::feedback::Feedback::warning)
            .map_or_else(
                || "it follows a common pattern".to_owned(),
                |w| w.to_string(),
            )
    };
    Err(StoreError::Invalid(format!(
        "the password is too easy to guess: {}. Use a few unrelated words, or let a password manager make one",
        why.trim_end_matches('.')
    )))
}

/// An Argon2id PHC string for a new `password` of the account `email` (checked with
/// [`check_password`]), with a fresh random salt.
pub(crate) fn hash_password(password: &str, email: &str) -> Result<String, StoreError> {
    check_password(password, email)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("cannot hash the password: {e}")))
}

impl Store {
    /// Creates an account; the email must be new.
    pub async fn create_user(
        &self,
        email: &str,
        password: &str,
        role: Role,
    ) -> Result<User, StoreError> {
        let email = email.trim().to_lowercase();
        if !email.contains('@') {
            return Err(StoreError::Invalid(format!(
                "{email:?} is not an email address"
            )));
        }
        let hash = hash_password(password, &email)?;
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Invalid(format!(
                "an account for {email} already exists"
            )));
        }
        let user = User {
            id: 0,
            email,
            role,
            person_id: None,
        };
        let detail = format!("created {} with role {}", user.email, role.as_str());
        let user = insert_user(&mut tx, user, &hash, "user.create", &detail).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// The account of person `person_id`, created without a password ([`NO_PASSWORD`])
    /// under the person's work email if there is none; an existing account of that email
    /// is linked to the person if it was not linked yet, and keeps its role. Audited.
    pub async fn provision_user(&self, person_id: i64, role: Role) -> Result<User, StoreError> {
        let email: Option<Option<String>> =
            sqlx::query_scalar("SELECT email FROM people WHERE id = $1")
                .bind(person_id)
                .fetch_optional(&self.pool)
                .await?;
        let email = email
            .ok_or_else(|| StoreError::not_found("person", person_id))?
            .map(|e| e.trim().to_lowercase())
            .filter(|e| e.contains('@'))
            .ok_or_else(|| StoreError::Invalid(format!("person {person_id} has no work email")))?;
        let mut tx = self.begin_write().await?;
        let existing = sqlx::query("SELECT id, email, role, person_id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(r) = existing {
            let user = user_row(&r)?;
            if user.person_id.is_some() {
                return Ok(user);
            }
            sqlx::query("UPDATE users SET person_id = $1 WHERE id = $2")
                .bind(person_id)
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(User {
                person_id: Some(person_id),
                ..user
            });
        }
        let detail = format!(
            "created {email} for person {person_id} with role {}, without a password",
            role.as_str()
        );
        let user = User {
            id: 0,
            email,
            role,
            person_id: Some(person_id),
        };
        let user = insert_user(&mut tx, user, NO_PASSWORD, "user.provision", &detail).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Sets a new password for an existing account and ends its sessions (a reset after a
    /// leak must lock out whoever holds one). Audited.
    pub async fn set_password(&self, email: &str, password: &str) -> Result<(), StoreError> {
        let email = email.trim().to_lowercase();
        let hash = hash_password(password, &email)?;
        let mut tx = self.begin_write().await?;
        let id: Option<i64> =
            sqlx::query_scalar("UPDATE users SET password_hash = $1 WHERE email = $2 RETURNING id")
                .bind(&hash)
                .bind(&email)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(id) = id else {
            return Err(StoreError::not_found("account", &email));
        };
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, NULL, 'user.password', $2, 'password set')")
            .bind(now_text())
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account for `email` if `password` is right. Takes the same time whether or not
    /// the account exists (a dummy hash is verified), so timing does not reveal accounts.
    /// The hashing runs on the blocking pool; servers bound how many run at once with
    /// [`Store::credentials`] and [`verify_password`] instead.
    pub async fn authenticate(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let found = self.credentials(email).await?;
        let hash = found
            .as_ref()
            .map_or_else(|| DUMMY_HASH.to_owned(), |(_, h)| h.clone());
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
            .await
            .map_err(|e| StoreError::Unavailable(format!("password check: {e}")))?;
        Ok(found.filter(|_| ok).map(|(u, _)| u))
    }

    /// The account with `email` and its password hash (or `None`; verify [`DUMMY_HASH`]
    /// then, so that timing does not tell whether the account exists).
    pub async fn credentials(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        let email = email.trim().to_lowercase();
        let row = sqlx::query(
            "SELECT id, email, role, person_id, password_hash FROM users WHERE email = $1 AND disabled_at IS NULL",
        )
        .bind(&email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((user_row(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    /// The account with id `id` and its current password hash.
    pub async fn credentials_by_id(&self, id: i64) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, role, person_id, password_hash FROM users WHERE id = $1 AND disabled_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((user_row(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }
}

/// A valid Argon2id hash of no one's password, verified when an account does not exist.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2nHq1H7vCkR5xVH7Ak2Q9Qp5w2Xe8yKzv3w1Zl0rJ6s";

/// Whether `password` matches the Argon2id PHC string `hash`. CPU-heavy (tens of
/// milliseconds, 19 MiB): run it off the async workers.
pub fn verify_password(hash: &str, password: &str) -> bool {
    let argon = Argon2::default();
    match PasswordHash::new(hash) {
        Ok(h) => argon.verify_password(password.as_bytes(), &h).is_ok(),
        // An account without a password ([`NO_PASSWORD`]) takes as long to refuse as any
        // other, so the time of a refusal does not tell which accounts have none.
        Err(_) => {
            if let Ok(h) = PasswordHash::new(DUMMY_HASH) {
                let _ = argon.verify_password(password.as_bytes(), &h);
            }
            false
        }
    }
}

/// The stored hash of an account that has no password: no password verifies against it.
/// Such an account signs in through the identity provider, or once an admin sets a
/// password.
pub const NO_PASSWORD: &str = "!";

impl Store {
    /// The account with `email`, if any.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let email = email.trim().to_lowercase();
        let row = sqlx::query("SELECT id, email, role, person_id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| user_row(&r)).transpose()
    }

    /// The accounts of a win's author: the account that posted it and any account linked
    /// to its person (who earn badges from its verification).
    pub async fn win_author_users(&self, win_id: i64) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.role, u.person_id FROM users u JOIN wins w ON w.id = $1
             WHERE u.id = w.user_id OR u.person_id = w.person_id ORDER BY u.id",
        )
        .bind(win_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_row).collect()
    }

    /// The person who posted win `id` (for a win shared in chat, its mapped author).
    pub async fn win_author_person(&self, win_id: i64) -> Result<Option<i64>, StoreError> {
        let row: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT COALESCE(w.person_id, u.person_id) FROM wins w LEFT JOIN users u ON u.id = w.user_id WHERE w.id = $1",
        )
        .bind(win_id)
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or_else(|| StoreError::not_found("win", win_id))
    }

    /// Every account, by email.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT id, email, role, person_id FROM users ORDER BY email")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_row).collect()
    }

    /// Changes an account's role; audited with who did it.
    pub async fn set_role(
        &self,
        email: &str,
        role: Role,
        by: Option<i64>,
    ) -> Result<User, StoreError> {
        let user = self
            .user_by_email(email)
            .await?
            .ok_or_else(|| StoreError::Invalid(format!("no account for {}", email.trim())))?;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'user.role', $3, $4)")
            .bind(now_text())
            .bind(by)
            .bind(format!("user:{}", user.id))
            .bind(format!("{}: {} -> {}", user.email, user.role.as_str(), role.as_str()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(User { role, ..user })
    }

    /// Links an account to the person with HRIS id `hris_id` (their unit and site then
    /// shape what they see and what the policies decide for them).
    pub async fn link_person(&self, email: &str, hris_id: &str) -> Result<User, StoreError> {
        let user = self
            .user_by_email(email)
            .await?
            .ok_or_else(|| StoreError::Invalid(format!("no account for {}", email.trim())))?;
        let person: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE hris_id = $1")
            .bind(hris_id)
            .fetch_optional(&self.pool)
            .await?;
        let person = person
            .ok_or_else(|| StoreError::Invalid(format!("no person with HRIS id {hris_id:?}")))?;
        sqlx::query("UPDATE users SET person_id = $1 WHERE id = $2")
            .bind(person)
            .bind(user.id)
            .execute(&self.pool)
            .await?;
        Ok(User {
            person_id: Some(person),
            ..user
        })
    }
}

/// Inserts `user` (its `id` is assigned) with the password hash `hash`, and its audit
/// entry `action` with `detail`, inside `tx`.
pub(crate) async fn insert_user(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user: User,
    hash: &str,
    action: &str,
    detail: &str,
) -> Result<User, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, role, person_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&user.email)
    .bind(hash)
    .bind(user.role.as_str())
    .bind(user.person_id)
    .bind(now_text())
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, NULL, $2, $3, $4)")
        .bind(now_text())
        .bind(action)
        .bind(format!("user:{id}"))
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    Ok(User { id, ..user })
}

pub(crate) fn user_row(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        role: Role::parse(&r.try_get::<String, _>("role")?)?,
        person_id: r.try_get("person_id")?,
    })
}

#[cfg(test)]
mod password_tests {
    use super::check_password;

    #[test]
    fn weak_passwords_are_refused_with_the_reason_and_passphrases_pass() {
        for (weak, why) in [
            ("short", "at least 12"),
            ("aaaaaaaaaaaa", "Repeats"),
            ("password1234", "common"),
            ("1234567890123", "too easy to guess"),
            ("bo.smith2024", "email address"),
        ] {
            let e = check_password(weak, "bo.smith@example.com")
                .expect_err(weak)
                .to_string();
            assert!(e.contains(why), "{weak:?}: {e}");
        }
        let long = "x".repeat(2000);
        assert!(
            check_password(&long, "a@b.c").is_err(),
            "over 1024 characters"
        );
        for good in [
            "correct horse battery staple",
            "a long employee password",
            "Tr0ub4dor&3xyz",
        ] {
            check_password(good, "bo.smith@example.com").expect(good);
        }
    }
}
