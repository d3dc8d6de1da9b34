//! `flywheel chat slack connect|status`: connects Flywheel to a Slack workspace (the bot
//! token checked with `auth.test`) and shows the connection. The secrets are read from
//! files at each use and never printed, logged or audited.

use std::path::PathBuf;

use clap::Subcommand;
use flywheel_app::chat::SlackSettings;
use flywheel_app::sso::SecretSource;
use serde::Serialize;

use crate::output::{emit, Report};

#[derive(Debug, Subcommand)]
pub enum ChatCommand {
    /// Slack: the app's manifest, connect a workspace, see the connection.
    #[command(subcommand)]
    Slack(SlackCommand),
    /// Microsoft Teams: an outgoing webhook for "Can I?", an incoming webhook or Workflows
    /// URL for the digest.
    #[command(subcommand)]
    Teams(TeamsCommand),
}

#[derive(Debug, Subcommand)]
pub enum TeamsCommand {
    /// Keep where the outgoing webhook's security token (and the incoming webhook or
    /// Workflows URL) are read from; both are read at each use, never stored or printed.
    Connect {
        /// A file holding the security token Teams shows once when the outgoing webhook is
        /// created (base64).
        #[arg(long, value_name = "FILE")]
        secret_file: PathBuf,
        /// A file holding an incoming webhook or Workflows URL the digest is posted to.
        #[arg(long, value_name = "FILE")]
        webhook_url_file: Option<PathBuf>,
        /// A file holding an incoming webhook or Workflows URL of a channel (e.g. the
        /// champions') that nudges go to: questions unanswered in the help channel.
        #[arg(long, value_name = "FILE")]
        nudges_url_file: Option<PathBuf>,
    },
    /// Where the secrets are read from (never the secrets).
    Status,
}

#[derive(Debug, Subcommand)]
pub enum SlackCommand {
    /// Print the Slack app manifest (JSON) for a Flywheel reached at `--url`: paste it in
    /// api.slack.com/apps → "Create New App" → "From an app manifest". It names the scopes,
    /// the events, the `/cani` command, the "Share as a win" shortcut, App Home and the
    /// request URLs (`/chat/slack/events`, `/chat/slack/commands`,
    /// `/chat/slack/interactions`).
    Manifest {
        /// Where Slack reaches this Flywheel (`https://flywheel.example.com`).
        #[arg(long, value_name = "URL")]
        url: String,
        /// The app's name in Slack.
        #[arg(long, default_value = "Flywheel")]
        name: String,
    },
    /// Check the bot token with Slack (`auth.test`) and keep the settings. The token and
    /// the signing secret are read from the files at each use.
    Connect(Box<ConnectArgs>),
    /// The connected workspace and channels (never the secrets).
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// A file holding the bot token (`xoxb-…`, from "OAuth & Permissions").
    #[arg(long, value_name = "FILE")]
    bot_token_file: PathBuf,
    /// A file holding the app's signing secret ("Basic Information").
    #[arg(long, value_name = "FILE")]
    signing_secret_file: PathBuf,
    /// A channel id (C…) whose questions and answers are help signals; repeat for more.
    #[arg(long = "help-channel", value_name = "CHANNEL")]
    help_channels: Vec<String>,
    /// The channel id where wins are shared.
    #[arg(long, value_name = "CHANNEL")]
    wins_channel: Option<String>,
    /// The channel id the weekly digest is posted to.
    #[arg(long, value_name = "CHANNEL")]
    digest_channel: Option<String>,
    /// Slack's Web API, or an Enterprise Grid / GovSlack host's.
    #[arg(long, value_name = "URL", default_value = flywheel_chat::slack_api::DEFAULT_BASE)]
    api_base_url: String,
    /// Keep the text of questions and wins seen live (by default only derived signals
    /// are kept: who asked, at which stage, who answered, time saved).
    #[arg(long)]
    keep_text: bool,
    /// The workspace's time zone (an IANA name such as America/Chicago): messages seen
    /// live are filed by its local date, as `import slack --tz` files an export's.
    #[arg(long, value_name = "ZONE")]
    tz: Option<String>,
}

#[derive(Serialize)]
struct Status {
    team: String,
    team_id: String,
    bot_user_id: String,
    api_base_url: String,
    bot_token_from: String,
    signing_secret_from: String,
    help_channels: Vec<String>,
    wins_channel: Option<String>,
    digest_channel: Option<String>,
    keep_text: bool,
    time_zone: String,
}

impl From<SlackSettings> for Status {
    fn from(s: SlackSettings) -> Self {
        let named = |c: &String| match s.channel_names.get(c) {
            Some(n) => format!("{c} (#{n})"),
            None => c.clone(),
        };
        let help_channels = s.help_channels.iter().map(named).collect();
        let wins_channel = s.wins_channel.as_ref().map(named);
        let digest_channel = s.digest_channel.as_ref().map(named);
        let time_zone = s.zone().name().to_owned();
        Status {
            bot_token_from: s.bot_token.to_string(),
            signing_secret_from: s.signing_secret.to_string(),
            team: s.team,
            team_id: s.team_id,
            bot_user_id: s.bot_user_id,
            api_base_url: s.api_base_url,
            help_channels,
            wins_channel,
            digest_channel,
            keep_text: s.keep_text,
            time_zone,
        }
    }
}

impl Report for Status {
    fn text(&self) {
        let or = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        println!("workspace:       {} ({})", self.team, self.team_id);
        println!("bot user:        {}", self.bot_user_id);
        println!("Web API:         {}", self.api_base_url);
        println!("bot token:       read from {}", self.bot_token_from);
        println!("signing secret:  read from {}", self.signing_secret_from);
        println!(
            "help channels:   {}",
            if self.help_channels.is_empty() {
                "-".to_owned()
            } else {
                self.help_channels.join(" ")
            }
        );
        println!("wins channel:    {}", or(&self.wins_channel));
        println!("digest channel:  {}", or(&self.digest_channel));
        println!("time zone:       {}", self.time_zone);
        println!(
            "message text:    {}",
            if self.keep_text {
                "kept (--keep-text)"
            } else {
                "not kept (derived signals only)"
            }
        );
    }
}

pub async fn run(cmd: ChatCommand, url: &str) -> anyhow::Result<()> {
    if let ChatCommand::Slack(SlackCommand::Manifest { url, name }) = &cmd {
        let u = url.trim();
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            anyhow::bail!("--url {u:?}: give the address Slack reaches, as https://HOST");
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&flywheel_chat::slack::manifest(u, name))?
        );
        return Ok(());
    }
    let store = crate::open(url).await?;
    let app = crate::operator(&store);
    match cmd {
        ChatCommand::Slack(SlackCommand::Connect(args)) => {
            for c in args
                .help_channels
                .iter()
                .chain(&args.wins_channel)
                .chain(&args.digest_channel)
            {
                flywheel_app::chat::channel(c)?;
            }
            let bot_token = SecretSource::File(args.bot_token_file.clone());
            let token = bot_token.read("the bot token")?;
            let client = flywheel_chat::slack_api::Client::new(&args.api_base_url, &token);
            let who = client.auth_test().await?;
            // Signals are filed by channel name, as an export files them by folder.
            let mut channel_names = std::collections::BTreeMap::new();
            for c in args
                .help_channels
                .iter()
                .chain(&args.wins_channel)
                .chain(&args.digest_channel)
            {
                let name = client.channel_name(c).await.map_err(|e| {
                    anyhow::anyhow!(
                        "{e}: channel {c}: check the id, and invite the app to a private channel (/invite @Flywheel)"
                    )
                })?;
                channel_names.insert(c.clone(), name);
            }
            let settings = SlackSettings {
                bot_token,
                signing_secret: SecretSource::File(args.signing_secret_file.clone()),
                help_channels: args.help_channels.clone(),
                wins_channel: args.wins_channel.clone(),
                digest_channel: args.digest_channel.clone(),
                api_base_url: args.api_base_url.trim_end_matches('/').to_owned(),
                team: who.team,
                team_id: who.team_id,
                bot_user_id: who.bot_user_id,
                channel_names,
                workspace_url: who.url,
                tz: args.tz.clone(),
                keep_text: args.keep_text,
            };
            app.set_slack(&settings).await?;
            eprintln!("connected: the token works (auth.test)");
            emit(false, &Status::from(settings))
        }
        ChatCommand::Slack(SlackCommand::Manifest { .. }) => Ok(()),
        ChatCommand::Teams(TeamsCommand::Connect {
            secret_file,
            webhook_url_file,
            nudges_url_file,
        }) => {
            let t = flywheel_app::chat_push::TeamsSettings {
                secret: SecretSource::File(secret_file),
                webhook_url: webhook_url_file.map(SecretSource::File),
                nudges_url: nudges_url_file.map(SecretSource::File),
            };
            app.set_teams(&t).await?;
            println!("connected: the token reads as Teams' base64");
            Ok(())
        }
        ChatCommand::Teams(TeamsCommand::Status) => {
            match app.teams().await? {
                Some(t) => {
                    println!("security token:  read from {}", t.secret);
                    let from = |u: Option<SecretSource>| {
                        u.map_or("-".to_owned(), |u| format!("read from {u}"))
                    };
                    println!("digest webhook:  {}", from(t.webhook_url));
                    println!("nudges webhook:  {}", from(t.nudges_url));
                }
                None => println!("Teams is not connected (`flywheel chat teams connect --help`)"),
            }
            Ok(())
        }
        ChatCommand::Slack(SlackCommand::Status { json }) => match app.slack().await? {
            Some(s) => emit(json, &Status::from(s)),
            None => {
                println!("Slack is not connected (`flywheel chat slack connect --help`)");
                Ok(())
            }
        },
    }
}
