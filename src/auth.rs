//! `flywheel auth token create|list|revoke` (API tokens for scripts), `flywheel auth
//! basic [on|off]` (whether HTTP Basic is accepted), `flywheel auth oidc set|show|clear`
//! (single sign-on), `flywheel auth scim-token create|list|revoke` (SCIM provisioning),
//! `flywheel auth password [on|off]` and `flywheel auth break-glass`.

use clap::Subcommand;
use flywheel_app::sso::{OidcSettings, SecretSource};
use flywheel_store::{ApiToken, Role};
use serde::Serialize;

use crate::output::{emit, Report};

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// API tokens for scripts (`Authorization: Bearer fw_…` on every /api/v1 route).
    #[command(subcommand)]
    Token(TokenCommand),
    /// SCIM tokens for the identity provider's provisioning (`/scim/v2`, and nothing
    /// else): hashed at rest, shown once, revocable.
    #[command(subcommand)]
    ScimToken(ScimTokenCommand),
    /// Show, or turn on or off, HTTP Basic on the API (an account's email and password on
    /// every request). Off for new installs: scripts use API tokens. Audited.
    Basic {
        #[arg(value_parser = ["on", "off"])]
        state: Option<String>,
    },
    /// Single sign-on with the company's OpenID Connect provider (Entra ID, Okta, Google,
    /// Keycloak…): the login page then shows "Sign in with NAME".
    #[command(subcommand)]
    Oidc(OidcCommand),
    /// Show, or turn on or off, password sign-in (the login form and HTTP Basic). Off needs
    /// single sign-on through which an admin can sign in (an admin group, or an admin who
    /// signed in with it once). Audited.
    Password {
        #[arg(value_parser = ["on", "off"])]
        state: Option<String>,
    },
    /// Print a single-use link (valid one hour) that signs EMAIL in as an admin once,
    /// whatever the sign-in settings: for an admin locked out by the identity provider or
    /// the settings. The account is made, or made admin, if needed. Audited.
    BreakGlass {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScimTokenCommand {
    /// Create a SCIM token named NAME (printed once) for the account
    /// scim@tokens.flywheel.invalid; give it to the identity provider with the base URL
    /// https://HOST/scim/v2.
    Create {
        #[arg(long, default_value = "identity-provider")]
        name: String,
        /// How long it is valid: Nd, Nw or Nh, or `never` (identity providers keep a token
        /// for a long time; rotate it yearly).
        #[arg(long, default_value = "365d", value_parser = parse_validity)]
        expires: Validity,
        #[arg(long)]
        json: bool,
    },
    /// The SCIM tokens (never the tokens themselves).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a SCIM token by its id; it stops working at once.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum OidcCommand {
    /// Configure the provider. The issuer's discovery document is fetched first; register
    /// the redirect and post-logout URIs this prints at the provider. The secret is read
    /// from the file (or variable) at each sign-in, never stored, printed or audited.
    Set(Box<OidcArgs>),
    /// The configured provider (never the secret).
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Remove single sign-on (refused while password sign-in is off).
    Clear,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("secret").required(true).args(["client_secret_file", "client_secret_env"])))]
pub struct OidcArgs {
    /// The issuer URL, e.g. https://login.microsoftonline.com/TENANT/v2.0.
    #[arg(long)]
    issuer: String,
    #[arg(long)]
    client_id: String,
    /// A file holding the client secret (read at each sign-in).
    #[arg(long, value_name = "FILE")]
    client_secret_file: Option<std::path::PathBuf>,
    /// An environment variable of the `serve` process holding the client secret.
    #[arg(long, value_name = "VAR")]
    client_secret_env: Option<String>,
    /// The provider's name on the login page's button (default: the issuer's host).
    #[arg(long)]
    name: Option<String>,
    /// Scopes to ask for besides `openid` (repeat; default: email and profile).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// The claim that lists the person's groups (roles follow it when a group is set).
    #[arg(long, value_name = "CLAIM")]
    groups_claim: Option<String>,
    #[arg(long, value_name = "GROUP")]
    admin_group: Option<String>,
    #[arg(long, value_name = "GROUP")]
    champion_group: Option<String>,
    #[arg(long, value_name = "GROUP")]
    viewer_group: Option<String>,
    /// A claim carrying the HRIS id to link accounts by (default: the verified email).
    #[arg(long, value_name = "CLAIM")]
    link_claim: Option<String>,
    /// Take the provider's emails as verified although it sends no `email_verified`
    /// (Entra ID, whose emails come from the tenant's verified domains).
    #[arg(long)]
    trust_email: bool,
    /// Keep the settings without fetching the discovery document first.
    #[arg(long)]
    no_check: bool,
}

impl OidcArgs {
    fn lift(self) -> OidcSettings {
        let name = self.name.unwrap_or_else(|| {
            let host = self.issuer.split("://").nth(1).unwrap_or(&self.issuer);
            host.split(['/', ':']).next().unwrap_or(host).to_owned()
        });
        let scopes = if self.scopes.is_empty() {
            vec!["email".to_owned(), "profile".to_owned()]
        } else {
            self.scopes
        };
        let secret = match (self.client_secret_file, self.client_secret_env) {
            (Some(f), _) => SecretSource::File(f),
            (None, Some(v)) => SecretSource::Env(v),
            // clap's group requires one of the two.
            (None, None) => SecretSource::Env(String::new()),
        };
        OidcSettings {
            issuer: self.issuer.trim_end_matches('/').to_owned(),
            client_id: self.client_id,
            secret,
            name,
            scopes,
            groups_claim: self.groups_claim,
            admin_group: self.admin_group,
            champion_group: self.champion_group,
            viewer_group: self.viewer_group,
            link_claim: self.link_claim,
            trust_email: self.trust_email,
        }
    }
}

/// The provider as printed (never the secret).
#[derive(Serialize)]
struct OidcOut {
    issuer: String,
    client_id: String,
    client_secret_from: String,
    name: String,
    scopes: Vec<String>,
    groups_claim: Option<String>,
    admin_group: Option<String>,
    champion_group: Option<String>,
    viewer_group: Option<String>,
    link_claim: Option<String>,
    redirect_uri: String,
    post_logout_redirect_uri: String,
    password_login: bool,
}

impl OidcOut {
    fn of(s: OidcSettings, public: &str, password_login: bool) -> OidcOut {
        OidcOut {
            client_secret_from: s.secret.to_string(),
            issuer: s.issuer,
            client_id: s.client_id,
            name: s.name,
            scopes: s.scopes,
            groups_claim: s.groups_claim,
            admin_group: s.admin_group,
            champion_group: s.champion_group,
            viewer_group: s.viewer_group,
            link_claim: s.link_claim,
            redirect_uri: format!("{public}/auth/oidc/callback"),
            post_logout_redirect_uri: format!("{public}/login?signed_out=1"),
            password_login,
        }
    }
}

impl Report for OidcOut {
    fn text(&self) {
        let or = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        println!("provider:        {} ({})", self.name, self.issuer);
        println!("client id:       {}", self.client_id);
        println!("client secret:   read from {}", self.client_secret_from);
        println!("scopes:          openid {}", self.scopes.join(" "));
        println!("groups claim:    {}", or(&self.groups_claim));
        println!(
            "roles by group:  admin {}, champion {}, viewer {}",
            or(&self.admin_group),
            or(&self.champion_group),
            or(&self.viewer_group)
        );
        println!(
            "accounts linked: {}",
            self.link_claim
                .as_ref()
                .map_or("by verified email".to_owned(), |c| format!(
                    "by the HRIS id in claim {c}"
                ))
        );
        println!(
            "password sign-in: {}",
            if self.password_login { "on" } else { "off" }
        );
        println!("register at the provider:");
        println!("  redirect URI:             {}", self.redirect_uri);
        println!(
            "  post-logout redirect URI: {}",
            self.post_logout_redirect_uri
        );
    }
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a service account NAME@tokens.flywheel.invalid with ROLE (made
    /// when missing; nobody signs in with it). The token is printed once: only a keyed hash
    /// of it is stored. Every use of an admin's token is audited.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["admin", "champion", "employee", "viewer"])]
        role: String,
        /// How long it is valid: Nd (days), Nw (weeks) or Nh (hours), or `never`.
        #[arg(long, default_value = "90d", value_parser = parse_validity)]
        expires: Validity,
        #[arg(long)]
        json: bool,
    },
    /// Every token (never the tokens themselves): account, role, state, last use.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id (from `list`); it stops working at once.
    Revoke { id: i64 },
}

/// How long a token is valid.
#[derive(Debug, Clone, Copy)]
pub struct Validity(Option<chrono::Duration>);

fn parse_validity(s: &str) -> Result<Validity, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("never") {
        return Ok(Validity(None));
    }
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        format!("{s:?}: expected a number of days (90d), weeks (12w) or hours (8h), or never")
    })?;
    let d = match unit {
        "d" => chrono::Duration::days(n),
        "w" => chrono::Duration::weeks(n),
        "h" => chrono::Duration::hours(n),
        _ => return Err(format!("{s:?}: the unit is d, w or h")),
    };
    if d > chrono::Duration::days(3650) {
        return Err(format!("{s:?}: at most ten years"));
    }
    Ok(Validity(Some(d)))
}

/// A token as printed.
#[derive(Serialize)]
struct TokenOut {
    id: i64,
    name: String,
    account: String,
    role: &'static str,
    state: &'static str,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
}

impl TokenOut {
    fn of(t: ApiToken, now: &str) -> TokenOut {
        TokenOut {
            state: t.state(now),
            id: t.id,
            name: t.name,
            account: t.email,
            role: t.role.as_str(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// `auth token create`: the token, once.
#[derive(Serialize)]
struct Created {
    token: String,
    #[serde(flatten)]
    record: TokenOut,
}

impl Report for Created {
    fn text(&self) {
        println!("{}", self.token);
        eprintln!(
            "token {} ({}) for {} as {}, expires {}: shown once, store it now",
            self.record.id,
            self.record.name,
            self.record.account,
            self.record.role,
            self.record.expires_at.as_deref().unwrap_or("never")
        );
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Listed(Vec<TokenOut>);

impl Report for Listed {
    fn text(&self) {
        if self.0.is_empty() {
            println!("no tokens");
        }
        for t in &self.0 {
            println!(
                "{:>4}  {:<8} {:<20} {:<40} {:<8} expires {:<20} last used {}",
                t.id,
                t.state,
                t.name,
                t.account,
                t.role,
                t.expires_at.as_deref().unwrap_or("never"),
                t.last_used_at.as_deref().unwrap_or("never")
            );
        }
    }
}

pub async fn run(cmd: AuthCommand, url: &str) -> anyhow::Result<()> {
    let app = crate::operator(&crate::open(url).await?);
    let now = app.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    match cmd {
        AuthCommand::Token(TokenCommand::Create {
            name,
            role,
            expires,
            json,
        }) => {
            let (token, record) = app
                .create_service_token(&name, Role::parse(&role)?, expires.0)
                .await?;
            emit(
                json,
                &Created {
                    token,
                    record: TokenOut::of(record, &now),
                },
            )
        }
        AuthCommand::Token(TokenCommand::List { json }) => {
            let all = app.tokens(true).await?;
            emit(
                json,
                &Listed(all.into_iter().map(|t| TokenOut::of(t, &now)).collect()),
            )
        }
        AuthCommand::Basic { state } => {
            if let Some(s) = state {
                app.set_http_basic(s == "on").await?;
            }
            println!(
                "HTTP Basic on the API: {}",
                if app.http_basic().await? {
                    "on"
                } else {
                    "off (scripts use API tokens)"
                }
            );
            Ok(())
        }
        AuthCommand::Oidc(cmd) => oidc(&app, cmd).await,
        AuthCommand::ScimToken(ScimTokenCommand::Create {
            name,
            expires,
            json,
        }) => {
            let (token, record) = app.create_scim_token(&name, expires.0).await?;
            emit(
                json,
                &Created {
                    token,
                    record: TokenOut::of(record, &now),
                },
            )
        }
        AuthCommand::ScimToken(ScimTokenCommand::List { json }) => {
            let all = app.tokens(true).await?;
            let scim = all
                .into_iter()
                .filter(|t| t.scope == "scim")
                .map(|t| TokenOut::of(t, &now))
                .collect();
            emit(json, &Listed(scim))
        }
        AuthCommand::ScimToken(ScimTokenCommand::Revoke { id }) => {
            if app.revoke_token(id).await? {
                println!("revoked SCIM token {id}");
            } else {
                println!("token {id} was already revoked");
            }
            Ok(())
        }
        AuthCommand::Password { state } => {
            if let Some(s) = state {
                app.set_password_login(s == "on").await?;
            }
            let on = app.password_login().await?;
            println!(
                "password sign-in: {}",
                if on {
                    "on"
                } else {
                    "off (people sign in with single sign-on; `flywheel auth break-glass` for emergencies)"
                }
            );
            Ok(())
        }
        AuthCommand::BreakGlass { email } => {
            let (user, token) = app.break_glass(&email).await?;
            let public = app.issuer_url().await?;
            println!("{}/account/setup/{token}", public.trim_end_matches('/'));
            eprintln!(
                "signs {} in as an admin once, within {} minutes; recorded in the audit log",
                user.email,
                flywheel_app::sso::BREAK_GLASS_MINUTES
            );
            Ok(())
        }
        AuthCommand::Token(TokenCommand::Revoke { id }) => {
            if app.revoke_token(id).await? {
                println!("revoked token {id}");
            } else {
                println!("token {id} was already revoked");
            }
            Ok(())
        }
    }
}

async fn oidc(app: &flywheel_app::App, cmd: OidcCommand) -> anyhow::Result<()> {
    let public = app.issuer_url().await?;
    let public = public.trim_end_matches('/');
    match cmd {
        OidcCommand::Set(args) => {
            let check = !args.no_check;
            let settings = (*args).lift();
            if check {
                let found = flywheel_sso::Oidc::new()
                    .check(&settings.issuer)
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!("{e} (pass --no-check to keep the settings anyway)")
                    })?;
                eprintln!(
                    "found {}: authorization at {}, {} signing key(s){}",
                    settings.issuer,
                    found.authorization,
                    found.keys,
                    if found.end_session.is_some() {
                        ", RP-initiated logout"
                    } else {
                        ""
                    }
                );
            }
            app.set_oidc(&settings).await?;
            let on = app.password_login().await?;
            emit(false, &OidcOut::of(settings, public, on))
        }
        OidcCommand::Show { json } => match app.oidc().await? {
            Some(s) => emit(json, &OidcOut::of(s, public, app.password_login().await?)),
            None => {
                println!("single sign-on is not configured (`flywheel auth oidc set --help`)");
                Ok(())
            }
        },
        OidcCommand::Clear => {
            app.clear_oidc().await?;
            println!("single sign-on removed; people sign in with passwords");
            Ok(())
        }
    }
}
