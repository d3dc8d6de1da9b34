//! What Flywheel pushes to channels: the weekly digest (the `digest.post` job, on a
//! schedule) to the Slack digest channel and to a Teams incoming webhook or Workflows URL;
//! and Teams' settings (the outgoing webhook's security token, the incoming URL), kept as
//! where to read them, never the secrets.

use flywheel_chat::blocks::{escape, Block};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::digest::Digest;
use crate::sso::SecretSource;
use crate::{App, AppError, AppResult};

/// The job that posts the digest.
pub const DIGEST_JOB: &str = "digest.post";

/// Microsoft Teams, connected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamsSettings {
    /// The outgoing webhook's security token (base64, as Teams shows it once).
    pub secret: SecretSource,
    /// An incoming webhook or Workflows URL for the digest (a secret: whoever holds it
    /// may post to the channel).
    pub webhook_url: Option<SecretSource>,
    /// An incoming webhook or Workflows URL for nudges to a channel (e.g. the champions'):
    /// unanswered questions are posted there too.
    #[serde(default)]
    pub nudges_url: Option<SecretSource>,
}

/// The digest as sections of lines: one reading for every format (Slack blocks, Teams
/// cards), so both say the same. Counts below the minimum group size are withheld.
pub fn digest_sections(d: &Digest) -> (String, Vec<(String, Vec<String>)>) {
    let title = format!(
        "This week in AI: {} to {}",
        d.from.format("%b %-d"),
        d.to.format("%b %-d")
    );
    let saved = |m: Option<f64>| {
        m.map_or("no time stated".to_owned(), |m| {
            format!("{m:.0} minutes a month")
        })
    };
    let mut s = Vec::new();
    s.push((
        format!("{} wins shared", d.wins_posted),
        d.top_wins
            .iter()
            .map(|w| {
                format!(
                    "{} — {} ({}){}, {}",
                    w.title,
                    w.author,
                    w.department,
                    w.tool
                        .as_deref()
                        .map(|t| format!(", {t}"))
                        .unwrap_or_default(),
                    saved(w.minutes_saved_per_month)
                )
            })
            .collect(),
    ));
    if !d.most_tried.is_empty() {
        s.push((
            "Most tried".to_owned(),
            d.most_tried
                .iter()
                .map(|w| format!("{} — tried by {} colleagues", w.title, w.tried_too))
                .collect(),
        ));
    }
    if !d.new_use_cases.is_empty() {
        s.push((
            "New in the use-case library".to_owned(),
            d.new_use_cases.iter().map(|u| u.title.clone()).collect(),
        ));
    }
    if !d.badges_awarded.is_empty() {
        s.push((
            "Badges earned".to_owned(),
            d.badges_awarded
                .iter()
                .map(|(b, n)| match n {
                    Some(n) => format!("{b}: {n}"),
                    None => format!("{b}: fewer than {} (withheld)", d.min_group_size),
                })
                .collect(),
        ));
    }
    if !d.top_questions.is_empty() {
        s.push((
            "Most asked \"Can I?\"".to_owned(),
            d.top_questions
                .iter()
                .take(5)
                .map(|q| {
                    format!(
                        "{} for {} with {} data — {} asked, {}",
                        q.tool,
                        q.purpose,
                        q.data_class,
                        q.questions,
                        if q.allowed { "yes" } else { "no" }
                    )
                })
                .collect(),
        ));
    }
    s.push((
        format!("{} champions listed", d.champions_listed),
        Vec::new(),
    ));
    (title, s)
}

impl App {
    /// Teams, if connected.
    pub async fn teams(&self) -> AppResult<Option<TeamsSettings>> {
        self.stored_json("teams").await
    }

    /// Connects Teams (admins; audited without the secrets). The token must be readable and
    /// base64; a webhook URL, readable and `https`.
    pub async fn set_teams(&self, t: &TeamsSettings) -> AppResult<()> {
        self.require_admin("connect Teams")?;
        let token = t.secret.read("the Teams security token")?;
        base64_token(&token)?;
        for u in t.webhook_url.iter().chain(&t.nudges_url) {
            let url = u.read("the Teams webhook URL")?;
            let url = url.trim();
            // https, or plain http to this machine only (a local relay, a test stand-in).
            let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| url.starts_with(p));
            if !url.starts_with("https://") && !local {
                return Err(AppError::Invalid(
                    "the Teams webhook URL must start with https:// (plain http only to this machine)".into(),
                ));
            }
        }
        self.store_json("teams", t).await?;
        let by = self.caller().user().map(|u| u.id);
        let from =
            |u: &Option<SecretSource>| u.as_ref().map_or("-".to_owned(), ToString::to_string);
        let detail = format!(
            "token from {}, digest URL from {}, nudges URL from {}",
            t.secret,
            from(&t.webhook_url),
            from(&t.nudges_url)
        );
        Ok(self
            .store()
            .audit(by, "settings.teams", "settings", &detail)
            .await?)
    }

    /// Checks an outgoing webhook's request from Teams; `Ok(Err(_))` is a refusal. The
    /// same activity twice is a replay.
    pub async fn teams_verify(
        &self,
        authorization: Option<&str>,
        body: &[u8],
    ) -> AppResult<Result<(), flywheel_chat::slack::Refusal>> {
        use flywheel_chat::slack::Refusal;
        let Some(t) = self.teams().await? else {
            return Ok(Err(Refusal::NotConnected));
        };
        let token = t.secret.read("the Teams security token")?;
        if let Err(r) = flywheel_chat::teams::verify(&token, authorization, body) {
            return Ok(Err(r));
        }
        let id = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let seen = format!("teams:{id}:{}", authorization.unwrap_or_default());
        let fresh = self
            .store()
            .first_sighting(&seen, self.now(), chrono::Duration::days(1))
            .await?;
        Ok(if fresh {
            Ok(())
        } else {
            Err(Refusal::Replayed)
        })
    }

    /// The `digest.post` job: the week's digest to the Slack digest channel and the Teams
    /// webhook, where connected.
    pub(crate) async fn post_digest(&self) -> AppResult<()> {
        let d = self.digest().await?;
        let (title, sections) = digest_sections(&d);
        if let Some(channel) = self.slack().await?.and_then(|s| s.digest_channel) {
            let mut blocks = vec![Block::header(&title)];
            for (head, lines) in sections.iter().take(12) {
                let body: Vec<String> = lines.iter().map(|l| format!("• {}", escape(l))).collect();
                blocks.push(Block::text(&format!(
                    "*{}*\n{}",
                    escape(head),
                    body.join("\n")
                )));
            }
            self.slack_call(
                "chat.postMessage",
                &json!({"channel": channel, "text": title, "blocks": blocks, "unfurl_links": false}),
            )
            .await?;
        }
        if let Some(url) = self.teams().await?.and_then(|t| t.webhook_url) {
            let url = url.read("the Teams webhook URL")?;
            let mut body = vec![flywheel_chat::teams::text(&title, true)];
            for (head, lines) in &sections {
                let mut t = format!("**{head}**");
                for l in lines {
                    t.push_str(&format!("\n- {l}"));
                }
                body.push(flywheel_chat::teams::text(&t, false));
            }
            let message = flywheel_chat::teams::message(flywheel_chat::teams::card(body, &[]));
            flywheel_chat::teams::post(url.trim(), &message)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
        }
        Ok(())
    }
}

impl App {
    /// Posts a card to the Teams nudges channel, once per `subject` (across servers).
    pub(crate) async fn teams_nudge(
        &self,
        subject: &str,
        lines: &[String],
        link: Option<&str>,
    ) -> AppResult<()> {
        let Some(url) = self.teams().await?.and_then(|t| t.nudges_url) else {
            return Ok(());
        };
        let once = format!("teams-nudge:{subject}");
        if !self
            .store()
            .first_sighting(&once, self.now(), chrono::Duration::days(3650))
            .await?
        {
            return Ok(());
        }
        let url = url.read("the Teams nudges URL")?;
        let body = lines
            .iter()
            .enumerate()
            .map(|(i, l)| flywheel_chat::teams::text(l, i == 0))
            .collect();
        let links: Vec<(String, String)> = link
            .filter(|l| l.starts_with("https://"))
            .map(|l| vec![("Open the question".to_owned(), l.to_owned())])
            .unwrap_or_default();
        flywheel_chat::teams::post(
            url.trim(),
            &flywheel_chat::teams::message(flywheel_chat::teams::card(body, &links)),
        )
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
    }
}

fn base64_token(t: &str) -> AppResult<()> {
    use base64::Engine as _;
    match base64::engine::general_purpose::STANDARD.decode(t.trim()) {
        Ok(k) if !k.is_empty() => Ok(()),
        _ => Err(AppError::Invalid(
            "the Teams security token is not base64 (copy it as Teams shows it when the outgoing webhook is created)".into(),
        )),
    }
}

/// Queues the weekly digest (Monday 09:00 UTC), once per install.
pub async fn ensure_digest(store: &flywheel_store::Store) -> AppResult<()> {
    store
        .ensure_schedule("digest", DIGEST_JOB, "{}", "weekly mon 09:00")
        .await?;
    Ok(())
}
