//! The chat front door's settings: the Slack workspace Flywheel is connected to (checked
//! with `auth.test` by whoever connects it), its channels, and where its secrets are read
//! from. The secrets themselves are never stored, printed or audited.

use serde::{Deserialize, Serialize};

use crate::sso::SecretSource;
use crate::{App, AppError, AppResult};

/// A connected Slack workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackSettings {
    pub bot_token: SecretSource,
    pub signing_secret: SecretSource,
    /// Channel ids (`C…`) whose questions and answers are help signals.
    pub help_channels: Vec<String>,
    pub wins_channel: Option<String>,
    pub digest_channel: Option<String>,
    /// Slack's Web API, an Enterprise or GovSlack host, or a test stand-in.
    pub api_base_url: String,
    /// What `auth.test` said when it was connected.
    pub team: String,
    pub team_id: String,
    pub bot_user_id: String,
    /// Channel names by id (`conversations.info` at connect time): questions, wins and
    /// ties are filed by name, as an export files them by folder.
    #[serde(default)]
    pub channel_names: std::collections::BTreeMap<String, String>,
    /// The workspace's address (`https://acme.slack.com/`, from `auth.test`): wins seen
    /// live link to their post, as an import given `--workspace-url` does.
    #[serde(default)]
    pub workspace_url: String,
    /// The workspace's time zone (IANA), by whose local date messages are filed; UTC when
    /// none.
    #[serde(default)]
    pub tz: Option<String>,
    /// Keep the text of questions and wins seen live (off: derived signals only).
    #[serde(default)]
    pub keep_text: bool,
}

/// Checks a Slack channel id (`C…` or `G…`), before anything asks Slack about it.
pub fn channel(c: &str) -> AppResult<()> {
    let ok = c.len() >= 9
        && c.len() <= 20
        && c.starts_with(['C', 'G'])
        && c.chars().all(|x| x.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "{c:?} is not a Slack channel id (C… or G…; in Slack: the channel's details, at the bottom)"
        )))
    }
}

impl SlackSettings {
    /// The workspace's time zone (UTC when none or unreadable).
    pub fn zone(&self) -> flywheel_ingest::slack::Zone {
        self.tz
            .as_deref()
            .and_then(|t| flywheel_ingest::slack::Zone::parse(t).ok())
            .unwrap_or_default()
    }
}

impl App {
    /// The connected Slack workspace, if any.
    pub async fn slack(&self) -> AppResult<Option<SlackSettings>> {
        self.stored_json("slack").await
    }

    /// Keeps the Slack settings (admins; audited without the secrets). Both secrets must be
    /// readable now.
    pub async fn set_slack(&self, s: &SlackSettings) -> AppResult<()> {
        self.require_admin("connect Slack")?;
        s.bot_token.read("the bot token")?;
        s.signing_secret.read("the signing secret")?;
        if let Some(tz) = &s.tz {
            flywheel_ingest::slack::Zone::parse(tz).map_err(AppError::Invalid)?;
        }
        for c in s
            .help_channels
            .iter()
            .chain(&s.wins_channel)
            .chain(&s.digest_channel)
        {
            channel(c)?;
        }
        self.store_json("slack", s).await?;
        let by = self.caller().user().map(|u| u.id);
        let detail = format!(
            "workspace {} ({}), bot {}, API {}, token from {}, signing secret from {}, help channels {}, wins {}, digest {}",
            s.team,
            s.team_id,
            s.bot_user_id,
            s.api_base_url,
            s.bot_token,
            s.signing_secret,
            if s.help_channels.is_empty() { "-".to_owned() } else { s.help_channels.join(" ") },
            s.wins_channel.as_deref().unwrap_or("-"),
            s.digest_channel.as_deref().unwrap_or("-"),
        );
        Ok(self
            .store()
            .audit(by, "settings.slack", "settings", &detail)
            .await?)
    }
}
