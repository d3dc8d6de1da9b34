//! Accounts and settings, for admins and the server's operator: creating an account (with
//! a password, optionally linked to a person of the org chart), setting a password or a
//! role (each ends the account's sessions), linking an account to a person, the minimum
//! group size, and reading the audit log.

use flywheel_domain::program::Role;
use flywheel_store::{ApiToken, AuditEntry, LinkPurpose, User};

use crate::{App, AppError, AppResult};

impl App {
    /// Refuses an HRIS id that names nobody (checked before an account is made, so a typo
    /// makes nothing).
    async fn person_exists(&self, person: Option<&str>) -> AppResult<()> {
        if let Some(p) = person {
            if !self.store().person_ids_by_hris().await?.contains_key(p) {
                return Err(AppError::Invalid(format!("no person with HRIS id {p:?}")));
            }
        }
        Ok(())
    }

    /// Creates an account; linked to the person with HRIS id `person` when given (checked
    /// first, so a typo creates nothing).
    pub async fn create_account(
        &self,
        email: &str,
        password: &str,
        role: Role,
        person: Option<&str>,
    ) -> AppResult<User> {
        self.require_admin("create accounts")?;
        self.person_exists(person).await?;
        let user = self.store().create_user(email, password, role).await?;
        match person {
            Some(p) => Ok(self.store().link_person(&user.email, p).await?),
            None => Ok(user),
        }
    }

    /// Sets an account's password; its sessions end.
    pub async fn set_password(&self, email: &str, password: &str) -> AppResult<()> {
        self.require_admin("set passwords")?;
        Ok(self.store().set_password(email, password).await?)
    }

    /// Links an account to the person with HRIS id `person`.
    pub async fn link_account(&self, email: &str, person: &str) -> AppResult<User> {
        self.require_admin("link accounts")?;
        Ok(self.store().link_person(email, person).await?)
    }

    /// Changes an account's role (audited with who did it); its sessions end, so the new
    /// role applies at once.
    pub async fn set_role(&self, email: &str, role: Role) -> AppResult<User> {
        self.require_admin("change roles")?;
        let by = self.caller().user().map(|u| u.id);
        if role != Role::Admin {
            let current = self.store().user_by_email(email).await?;
            if current.is_some_and(|u| u.role == Role::Admin) {
                let (admins, _) = self.store().admin_counts("").await?;
                if admins <= 1 {
                    return Err(AppError::Conflict(format!(
                        "{} is the last admin; make another admin first (or use `flywheel auth break-glass`)",
                        email.trim()
                    )));
                }
            }
        }
        let user = self.store().set_role(email, role, by).await?;
        self.store().end_sessions_of(user.id).await?;
        Ok(user)
    }

    /// Sets the minimum group size (at least 1; audited).
    pub async fn set_min_group_size(&self, value: u32) -> AppResult<()> {
        self.require_admin("change the minimum group size")?;
        if value == 0 {
            return Err(AppError::Invalid(
                "the minimum group size is at least 1".into(),
            ));
        }
        let by = self.caller().user().map(|u| u.id);
        self.store()
            .set_setting("min_group_size", &value.to_string())
            .await?;
        Ok(self
            .store()
            .audit(
                by,
                "settings.min_group_size",
                "settings",
                &value.to_string(),
            )
            .await?)
    }

    /// Whether HTTP Basic is accepted on the API.
    pub async fn http_basic(&self) -> AppResult<bool> {
        Ok(self.store().http_basic().await?)
    }

    /// Turns HTTP Basic on or off (admins; audited).
    pub async fn set_http_basic(&self, on: bool) -> AppResult<()> {
        self.require_admin("change how scripts sign in")?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self.store().set_http_basic(on, by).await?)
    }

    /// The last `limit` entries of the audit log, newest first.
    pub async fn audit_log(&self, limit: u32) -> AppResult<Vec<AuditEntry>> {
        self.require_admin("read the audit log")?;
        Ok(self.store().audit_log(limit).await?)
    }
}

/// API tokens: an account's own (any role), and for admins the tokens of service accounts
/// and everyone's list.
impl App {
    /// A token for the caller's own account, valid for `valid` (forever when `None`); the
    /// token (shown once) and its record.
    pub async fn create_own_token(
        &self,
        name: &str,
        valid: Option<chrono::Duration>,
    ) -> AppResult<(String, ApiToken)> {
        let user = self.require_user("creating API tokens")?.clone();
        let expires = valid.map(|v| self.now() + v);
        Ok(self
            .store()
            .create_api_token(&user, name, expires, Some(user.id))
            .await?)
    }

    /// A token for a service account `name` with `role` (made when missing; nobody signs
    /// in with it), for scripts (admins).
    pub async fn create_service_token(
        &self,
        name: &str,
        role: Role,
        valid: Option<chrono::Duration>,
    ) -> AppResult<(String, ApiToken)> {
        self.require_admin("create tokens for scripts")?;
        let account = self.store().service_account(name, role).await?;
        let by = self.caller().user().map(|u| u.id);
        let expires = valid.map(|v| self.now() + v);
        Ok(self
            .store()
            .create_api_token(&account, name, expires, by)
            .await?)
    }

    /// A SCIM token named `name` for the identity provider's provisioning (admins): its
    /// account is `scim@tokens.flywheel.invalid`, an admin whose tokens work on `/scim/v2`
    /// only, and never on the API.
    pub async fn create_scim_token(
        &self,
        name: &str,
        valid: Option<chrono::Duration>,
    ) -> AppResult<(String, ApiToken)> {
        self.require_admin("create SCIM tokens")?;
        let account = self.store().service_account("scim", Role::Admin).await?;
        let by = self.caller().user().map(|u| u.id);
        let expires = valid.map(|v| self.now() + v);
        Ok(self
            .store()
            .create_token_in_scope(&account, name, expires, by, "scim")
            .await?)
    }

    /// The caller's tokens; with `everyone` (admins), every token.
    pub async fn tokens(&self, everyone: bool) -> AppResult<Vec<ApiToken>> {
        if everyone {
            self.require_admin("list everyone's tokens")?;
            return Ok(self.store().api_tokens(None).await?);
        }
        let user = self.require_user("listing API tokens")?;
        Ok(self.store().api_tokens(Some(user.id)).await?)
    }

    /// Revokes one of the caller's own tokens (another account's is not found); false when
    /// it was revoked already.
    pub async fn revoke_own_token(&self, id: i64) -> AppResult<bool> {
        let user = self.require_user("revoking API tokens")?;
        Ok(self
            .store()
            .revoke_api_token(id, Some(user.id), Some(user.id))
            .await?)
    }

    /// Revokes token `id`: the caller's own, or any for admins; false when it was revoked
    /// already.
    pub async fn revoke_token(&self, id: i64) -> AppResult<bool> {
        let by = self.caller().user().map(|u| u.id);
        let only = if self.caller().is_admin() {
            None
        } else {
            Some(self.require_user("revoking API tokens")?.id)
        };
        Ok(self.store().revoke_api_token(id, only, by).await?)
    }
}

/// How long an invitation link works.
pub const INVITE_DAYS: i64 = 7;
/// How long a password-reset link works.
pub const RESET_HOURS: i64 = 24;

/// Links to set a password: invitations and resets (made by admins; used by anyone who
/// holds one, once).
impl App {
    /// Refuses a link to set a password nobody could sign in with.
    async fn passwords_in_use(&self) -> AppResult<()> {
        if self.password_login().await? {
            return Ok(());
        }
        Err(AppError::Conflict(
            "password sign-in is off: people sign in with single sign-on, and their accounts are made at their first sign-in".into(),
        ))
    }

    /// Invites `email`: its account (made without a password when missing, linked to
    /// `person` when given) and a link, valid [`INVITE_DAYS`] days, to set a password.
    pub async fn invite(
        &self,
        email: &str,
        role: Role,
        person: Option<&str>,
    ) -> AppResult<(User, String)> {
        self.require_admin("invite people")?;
        self.passwords_in_use().await?;
        self.person_exists(person).await?;
        let mut user = self.store().invited_account(email, role).await?;
        if let Some(p) = person {
            user = self.store().link_person(&user.email, p).await?;
        }
        let by = self.caller().user().map(|u| u.id);
        let expires = self.now() + chrono::Duration::days(INVITE_DAYS);
        let token = self
            .store()
            .create_account_link(&user, LinkPurpose::Invite, expires, by)
            .await?;
        Ok((user, token))
    }

    /// A link, valid [`RESET_HOURS`] hours, for the account of `email` to set a new
    /// password.
    pub async fn reset_link(&self, email: &str) -> AppResult<String> {
        self.require_admin("reset passwords")?;
        self.passwords_in_use().await?;
        let user =
            self.store().user_by_email(email).await?.ok_or_else(|| {
                flywheel_store::StoreError::not_found("account for", email.trim())
            })?;
        let by = self.caller().user().map(|u| u.id);
        let expires = self.now() + chrono::Duration::hours(RESET_HOURS);
        Ok(self
            .store()
            .create_account_link(&user, LinkPurpose::Reset, expires, by)
            .await?)
    }

    /// The account and purpose of an open link (anyone holding it).
    pub async fn open_link(&self, token: &str) -> AppResult<Option<(User, LinkPurpose)>> {
        Ok(self.store().account_link(token).await?)
    }

    /// Sets a password with a link (anyone holding it, once).
    pub async fn use_link(&self, token: &str, password: &str) -> AppResult<User> {
        Ok(self.store().use_account_link(token, password).await?)
    }
}
