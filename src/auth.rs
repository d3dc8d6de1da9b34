//! `flywheel auth token create|list|revoke` (API tokens for scripts) and `flywheel auth
//! basic [on|off]` (whether HTTP Basic is accepted).

use clap::Subcommand;
use flywheel_store::{ApiToken, Role};
use serde::Serialize;

use crate::output::{emit, Report};

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// API tokens for scripts (`Authorization: Bearer fw_…` on every /api/v1 route).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Show, or turn on or off, HTTP Basic on the API (an account's email and password on
    /// every request). Off for new installs: scripts use API tokens. Audited.
    Basic {
        #[arg(value_parser = ["on", "off"])]
        state: Option<String>,
    },
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
