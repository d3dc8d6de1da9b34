//! Single sign-on with OpenID Connect: its settings, the rules of who may sign in with it
//! and with which role, password sign-in as a setting, and the break-glass sign-in.
//!
//! The protocol (discovery, PKCE, ID token checks) is `flywheel-sso`'s, called by `web`;
//! what a verified identity may do is decided here:
//! * the email must be verified by the provider;
//! * the account is the one tied to the provider's subject, else the one of that email,
//!   else a new one (no password), linked to the HRIS person of the same email (or of the
//!   configured claim's HRIS id);
//! * when a group is configured for any role, the role follows the groups on every
//!   sign-in (admin, then champion, then viewer, else employee), and a change ends the
//!   account's other sessions;
//! * password sign-in can be switched off only when an admin can still come in through the
//!   provider; the operator can always make a single-use break-glass link.

use std::collections::HashMap;
use std::path::PathBuf;

use flywheel_domain::program::{Role, RoleGroups};
use flywheel_store::{LinkPurpose, OidcLogin, OidcOutcome, PersonKey, User};
use serde::{Deserialize, Serialize};

use crate::{App, AppError, AppResult};

/// How long a break-glass link works.
pub const BREAK_GLASS_MINUTES: i64 = 60;

/// Where the client secret is read from, at each use (so rotating it needs no restart).
/// The secret itself is never stored, printed or audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
}

impl SecretSource {
    /// The secret, read now (trimmed; empty is an error). `what` names it in errors.
    pub fn read(&self, what: &str) -> AppResult<String> {
        let secret = match self {
            SecretSource::File(p) => std::fs::read_to_string(p).map_err(|e| {
                AppError::Invalid(format!("cannot read {what} from {}: {e}", p.display()))
            })?,
            SecretSource::Env(v) => std::env::var(v).map_err(|_| {
                AppError::Invalid(format!("the environment variable {v} ({what}) is not set"))
            })?,
        };
        let secret = secret.trim().to_owned();
        if secret.is_empty() {
            return Err(AppError::Invalid(format!("{what} in {self} is empty")));
        }
        Ok(secret)
    }
}

impl std::fmt::Display for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::File(p) => write!(f, "the file {}", p.display()),
            SecretSource::Env(v) => write!(f, "the environment variable {v}"),
        }
    }
}

/// The identity provider Flywheel signs people in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcSettings {
    /// The issuer URL (discovery is at `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    pub secret: SecretSource,
    /// The name on the login page's button ("Sign in with Okta").
    pub name: String,
    /// Scopes beyond `openid`.
    pub scopes: Vec<String>,
    /// The claim that lists groups (`groups` for Okta and Keycloak, `groups` or `roles`
    /// for Entra ID).
    pub groups_claim: Option<String>,
    pub admin_group: Option<String>,
    pub champion_group: Option<String>,
    pub viewer_group: Option<String>,
    /// A claim holding the HRIS id to link the account by (instead of the email).
    pub link_claim: Option<String>,
    /// Take the provider's email as verified even without `email_verified` (Entra ID
    /// sends none; its emails come from the tenant's verified domains).
    #[serde(default)]
    pub trust_email: bool,
}

impl OidcSettings {
    /// The groups that give roles.
    pub fn role_groups(&self) -> RoleGroups {
        RoleGroups {
            admin: self.admin_group.clone(),
            champion: self.champion_group.clone(),
            viewer: self.viewer_group.clone(),
        }
    }

    /// Whether roles follow the provider's groups.
    pub fn roles_follow_groups(&self) -> bool {
        self.role_groups().any()
    }

    /// The role `groups` give ([`RoleGroups::role_for`]).
    pub fn role_for(&self, groups: &[String]) -> Option<Role> {
        self.role_groups().role_for(groups)
    }

    /// The client secret, read now.
    pub fn client_secret(&self) -> AppResult<String> {
        self.secret.read("the client secret")
    }

    fn check(&self) -> AppResult<()> {
        let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
            .iter()
            .any(|p| self.issuer.starts_with(p));
        if !self.issuer.starts_with("https://") && !local {
            return Err(AppError::Invalid(format!(
                "the issuer {:?} must be an https:// URL (http:// only on this machine, for tests)",
                self.issuer
            )));
        }
        if self.client_id.trim().is_empty() {
            return Err(AppError::Invalid("the client id is empty".into()));
        }
        if self.roles_follow_groups() && self.groups_claim.is_none() {
            return Err(AppError::Invalid(
                "roles follow groups, so name the claim that lists them (--groups-claim)".into(),
            ));
        }
        self.client_secret().map(drop)
    }
}

/// A verified identity from the provider (`web` converts `flywheel-sso`'s).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub groups: Vec<String>,
    pub claims: HashMap<String, serde_json::Value>,
}

impl App {
    /// The settings kept as JSON under `key`, if any.
    pub(crate) async fn stored_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> AppResult<Option<T>> {
        let text = self.store().setting(key, "").await?;
        if text.is_empty() {
            return Ok(None);
        }
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| AppError::Internal(format!("the stored {key} settings do not parse: {e}")))
    }

    /// Keeps `value` as JSON under `key`.
    pub(crate) async fn store_json<T: Serialize>(&self, key: &str, value: &T) -> AppResult<()> {
        let text = serde_json::to_string(value)
            .map_err(|e| AppError::Internal(format!("{key} settings: {e}")))?;
        Ok(self.store().set_setting(key, &text).await?)
    }
}

/// Why a verified identity may not sign in; `code` is stable (audit log, tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAllowed {
    pub code: &'static str,
    pub message: String,
}

impl App {
    /// The identity provider, if one is configured.
    pub async fn oidc(&self) -> AppResult<Option<OidcSettings>> {
        self.stored_json("oidc").await
    }

    /// Configures the identity provider (admins; audited without the secret). The secret
    /// must be readable now.
    pub async fn set_oidc(&self, settings: &OidcSettings) -> AppResult<()> {
        self.require_admin("configure single sign-on")?;
        settings.check()?;
        self.store_json("oidc", settings).await?;
        let by = self.caller().user().map(|u| u.id);
        let detail = format!(
            "issuer {}, client {}, secret from {}, groups claim {}, admin group {}, champion group {}, viewer group {}",
            settings.issuer,
            settings.client_id,
            settings.secret,
            settings.groups_claim.as_deref().unwrap_or("-"),
            settings.admin_group.as_deref().unwrap_or("-"),
            settings.champion_group.as_deref().unwrap_or("-"),
            settings.viewer_group.as_deref().unwrap_or("-"),
        );
        Ok(self
            .store()
            .audit(by, "settings.oidc", "settings", &detail)
            .await?)
    }

    /// Removes the identity provider (admins); refused while password sign-in is off, which
    /// would leave nobody a way in.
    pub async fn clear_oidc(&self) -> AppResult<()> {
        self.require_admin("configure single sign-on")?;
        if !self.password_login().await? {
            return Err(AppError::Conflict(
                "password sign-in is off, so removing single sign-on would lock everyone out; run `flywheel auth password on` first".into(),
            ));
        }
        self.store().set_setting("oidc", "").await?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self
            .store()
            .audit(by, "settings.oidc", "settings", "removed")
            .await?)
    }

    /// Whether people may sign in with a password (on unless switched off).
    pub async fn password_login(&self) -> AppResult<bool> {
        Ok(self.store().password_login().await?)
    }

    /// Switches password sign-in (web form and HTTP Basic) on or off (admins; audited).
    /// Off needs an identity provider through which an admin can sign in: an admin group,
    /// or an admin account that has signed in with it.
    pub async fn set_password_login(&self, on: bool) -> AppResult<()> {
        self.require_admin("change how people sign in")?;
        if !on {
            let Some(oidc) = self.oidc().await? else {
                return Err(AppError::Conflict(
                    "no identity provider is configured, so nobody could sign in; run `flywheel auth oidc set` first".into(),
                ));
            };
            let (_, via_oidc) = self.store().admin_counts(&oidc.issuer).await?;
            if oidc.admin_group.is_none() && via_oidc == 0 {
                return Err(AppError::Conflict(format!(
                    "no admin has signed in with {} and no admin group is set, so nobody could administer Flywheel; sign in once as an admin through it, or set --admin-group",
                    oidc.name
                )));
            }
        }
        let value = if on { "on" } else { "off" };
        self.store().set_setting("password_login", value).await?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self
            .store()
            .audit(by, "settings.password_login", "settings", value)
            .await?)
    }

    /// The account of a verified identity (made, linked, its role following its groups),
    /// or why it may not sign in. Anyone: the provider vouched for the identity.
    pub async fn oidc_sign_in(&self, id: &SignedIn) -> AppResult<Result<OidcOutcome, NotAllowed>> {
        let Some(settings) = self.oidc().await? else {
            return Ok(Err(NotAllowed {
                code: "not_configured",
                message: "single sign-on is not configured".into(),
            }));
        };
        let email = match (&id.email, id.email_verified || settings.trust_email) {
            (Some(e), true) if e.contains('@') => e.trim().to_lowercase(),
            (Some(e), _) => {
                return Ok(Err(NotAllowed {
                    code: "unverified_email",
                    message: format!(
                        "{} has not verified the email address {e}; verify it there, or ask its administrator to",
                        settings.name
                    ),
                }))
            }
            (None, _) => {
                return Ok(Err(NotAllowed {
                    code: "no_email",
                    message: format!(
                        "{} sent no email address; an administrator must grant Flywheel the `email` scope",
                        settings.name
                    ),
                }))
            }
        };
        let person = match &settings.link_claim {
            Some(claim) => id
                .claims
                .get(claim)
                .and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .map(PersonKey::HrisId),
            None => Some(PersonKey::Email(email.clone())),
        };
        let login = OidcLogin {
            issuer: id.issuer.clone(),
            subject: id.subject.clone(),
            email,
            person,
            role: settings.role_for(&id.groups),
        };
        Ok(Ok(self.store().oidc_account(&login).await?))
    }

    /// Records a refused sign-in in the audit log.
    pub async fn audit_refused_sign_in(&self, code: &str, detail: &str) -> AppResult<()> {
        Ok(self
            .store()
            .audit(None, "session.oidc_refused", code, detail)
            .await?)
    }

    /// A single-use sign-in link, valid [`BREAK_GLASS_MINUTES`] minutes, for the admin
    /// account of `email` (made, or made admin, if needed). The operator only: whoever runs
    /// commands on the server already holds the database.
    pub async fn break_glass(&self, email: &str) -> AppResult<(User, String)> {
        if !matches!(self.caller(), crate::Caller::Operator) {
            return Err(AppError::Forbidden(
                "break-glass links are made on the server's command line only".into(),
            ));
        }
        let mut user = self.store().invited_account(email, Role::Admin).await?;
        if user.role != Role::Admin {
            user = self
                .store()
                .set_role(&user.email, Role::Admin, None)
                .await?;
        }
        let expires = self.now() + chrono::Duration::minutes(BREAK_GLASS_MINUTES);
        let token = self
            .store()
            .create_account_link(&user, LinkPurpose::SignIn, expires, None)
            .await?;
        Ok((user, token))
    }

    /// Spends a break-glass link: the account to open a session for (anyone holding it,
    /// once).
    pub async fn use_signin_link(&self, token: &str) -> AppResult<User> {
        Ok(self.store().use_signin_link(token).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(admin: Option<&str>, champion: Option<&str>, viewer: Option<&str>) -> OidcSettings {
        OidcSettings {
            issuer: "https://idp.example".into(),
            client_id: "flywheel".into(),
            secret: SecretSource::Env("FW_TEST_NONE".into()),
            name: "IdP".into(),
            scopes: vec![],
            groups_claim: Some("groups".into()),
            admin_group: admin.map(str::to_owned),
            champion_group: champion.map(str::to_owned),
            viewer_group: viewer.map(str::to_owned),
            link_claim: None,
            trust_email: false,
        }
    }

    #[test]
    fn roles_follow_groups_in_order_of_rights() {
        let s = settings(Some("fw-admins"), Some("fw-champions"), Some("fw-viewers"));
        let g = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            s.role_for(&g(&["fw-champions", "fw-admins"])),
            Some(Role::Admin)
        );
        assert_eq!(s.role_for(&g(&["fw-champions"])), Some(Role::Champion));
        assert_eq!(s.role_for(&g(&["fw-viewers", "other"])), Some(Role::Viewer));
        assert_eq!(s.role_for(&g(&["other"])), Some(Role::Employee));
        assert_eq!(s.role_for(&[]), Some(Role::Employee));
        assert_eq!(
            settings(None, None, None).role_for(&g(&["fw-admins"])),
            None
        );
    }

    #[test]
    fn settings_are_checked_before_they_are_kept() {
        let mut s = settings(Some("a"), None, None);
        s.issuer = "http://idp.example".into();
        assert!(s
            .check()
            .expect_err("http")
            .to_string()
            .contains("https://"));
        s.issuer = "https://idp.example".into();
        s.groups_claim = None;
        assert!(s
            .check()
            .expect_err("claim")
            .to_string()
            .contains("--groups-claim"));
        s.groups_claim = Some("groups".into());
        let e = s.check().expect_err("no secret").to_string();
        assert!(e.contains("FW_TEST_NONE"), "{e}");
    }
}
