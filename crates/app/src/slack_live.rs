//! Slack, live: what the Events API delivers becomes the same signals an export import
//! derives. A request is verified ([`App::slack_verify`]), read and reduced at once (the
//! words are read into a [`Reading`] and the text dropped, so no job or row holds it), and
//! queued as a `slack.event` job keyed by Slack's `event_id` (a retry makes no second
//! job); Slack gets its answer in milliseconds. The job ([`App::slack_apply`]) learns the
//! members it has not seen (`users.info`, matched to people by work email like an
//! export's `users.json`), keeps the reduced message, and re-derives the days it touches
//! with `crate::slack`'s derivation, in one transaction: importing the export of the same
//! days afterwards changes nothing.

use std::collections::{BTreeMap, HashSet};

use flywheel_chat::events::Envelope;
use flywheel_chat::slack::Refusal;
use flywheel_domain::org::IdentityKind;
use flywheel_ingest::slack::{derive_ties, message_from_json, parse_ts, user_from_json, Zone};
use flywheel_store::{ChatImport, LiveMessage, NewJob};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chat::SlackSettings;
use crate::slack::{questions_of, read, wins_of, Reading};
use crate::{App, AppError, AppResult};

/// The job kind of a live event.
pub const JOB_KIND: &str = "slack.event";

/// What a verified Events API request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// The URL check: answer with this challenge.
    Challenge(String),
    /// Queued as this job (the same id for a retry of an event already queued).
    Queued(i64),
    /// Nothing to do (an event Flywheel does not use, another workspace's).
    Ignored(String),
}

/// A live event, reduced: no text, only what the derivation and the store need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A message posted, or edited (the same `ts`).
    Message {
        channel: String,
        message: Box<Reduced>,
    },
    /// A message deleted.
    Deleted { channel: String, ts: String },
    /// A reaction added or removed.
    Reaction {
        channel: String,
        ts: String,
        reaction: String,
        user: String,
        add: bool,
    },
    /// A member's profile (joined the workspace, changed): matched by email.
    Member { user: Value },
    /// A member opened the app's Home tab: it is published afresh.
    HomeOpened { user: String },
}

/// A message without its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reduced {
    pub ts: String,
    pub thread_ts: Option<String>,
    pub user: Option<String>,
    pub subtype: Option<String>,
    pub parent_user_id: Option<String>,
    pub mentions: Vec<String>,
    pub reading: Reading,
}

fn reduce(channel: &str, m: &Value, keep_text: bool) -> Option<Reduced> {
    let msg = message_from_json(channel, m).ok()?;
    Some(Reduced {
        reading: read(&msg.text, keep_text),
        ts: msg.ts,
        thread_ts: msg.thread_ts,
        user: msg.user,
        subtype: msg.subtype,
        parent_user_id: msg.parent_user_id,
        mentions: msg.mentions,
    })
}

/// Reads an inner event into what Flywheel keeps of it; `None` for an event it does not
/// use.
pub fn live_event(event: &Value, keep_text: bool) -> Option<LiveEvent> {
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match event.get("type").and_then(Value::as_str)? {
        "message" => {
            let channel = text(event, "channel")?;
            match text(event, "subtype").as_deref() {
                Some("message_changed") => Some(LiveEvent::Message {
                    message: Box::new(reduce(&channel, event.get("message")?, keep_text)?),
                    channel,
                }),
                Some("message_deleted") => Some(LiveEvent::Deleted {
                    ts: text(event, "deleted_ts")?,
                    channel,
                }),
                // A thread's root told that it has replies: the replies come as their own
                // events.
                Some("message_replied") => None,
                _ => Some(LiveEvent::Message {
                    message: Box::new(reduce(&channel, event, keep_text)?),
                    channel,
                }),
            }
        }
        kind @ ("reaction_added" | "reaction_removed") => {
            let item = event.get("item")?;
            Some(LiveEvent::Reaction {
                channel: text(item, "channel")?,
                ts: text(item, "ts")?,
                reaction: text(event, "reaction")?,
                user: text(event, "user")?,
                add: kind == "reaction_added",
            })
        }
        "app_home_opened" if text(event, "tab").as_deref() != Some("messages") => {
            Some(LiveEvent::HomeOpened {
                user: text(event, "user")?,
            })
        }
        "team_join" | "user_change" => Some(LiveEvent::Member {
            user: event.get("user")?.clone(),
        }),
        _ => None,
    }
}

impl App {
    /// Checks a request claiming to come from the connected Slack workspace (signing v0,
    /// five-minute window). `Ok(Err(_))` is a refusal, to answer `401` and count.
    pub async fn slack_verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> AppResult<Result<(), Refusal>> {
        let Some(s) = self.slack().await? else {
            return Ok(Err(Refusal::NotConnected));
        };
        let secret = s.signing_secret.read("the Slack signing secret")?;
        if let Err(r) = flywheel_chat::slack::verify(
            secret.as_bytes(),
            timestamp,
            signature,
            body,
            self.now().timestamp(),
        ) {
            return Ok(Err(r));
        }
        // Verified, so both headers are there; the same pair again is a replay.
        let seen = format!(
            "slack:{}:{}",
            timestamp.unwrap_or_default(),
            signature.unwrap_or_default()
        );
        let window = chrono::Duration::seconds(2 * flywheel_chat::slack::MAX_SKEW_SECS + 60);
        if self
            .store()
            .first_sighting(&seen, self.now(), window)
            .await?
        {
            Ok(Ok(()))
        } else {
            Ok(Err(Refusal::Replayed))
        }
    }

    /// Takes a verified Events API request: answers the URL check, queues an event as a
    /// job (keyed by its `event_id`, so Slack's retries make no second job).
    pub async fn slack_receive(&self, body: &[u8]) -> AppResult<Received> {
        let settings = self
            .slack()
            .await?
            .ok_or_else(|| AppError::Conflict("Slack is not connected".into()))?;
        match flywheel_chat::events::envelope(body).map_err(AppError::Invalid)? {
            Envelope::UrlVerification { challenge } => Ok(Received::Challenge(challenge)),
            Envelope::Other(kind) => Ok(Received::Ignored(kind)),
            Envelope::Callback {
                event_id,
                team_id,
                event,
            } => {
                if !team_id.is_empty() && team_id != settings.team_id {
                    return Ok(Received::Ignored(format!(
                        "an event of workspace {team_id}"
                    )));
                }
                let Some(live) = live_event(&event, settings.keep_text) else {
                    return Ok(Received::Ignored(
                        event["type"].as_str().unwrap_or("?").to_owned(),
                    ));
                };
                let payload = serde_json::to_string(&live)
                    .map_err(|e| AppError::Internal(format!("a live event: {e}")))?;
                let job = NewJob {
                    dedupe_key: Some(format!("slack:{event_id}")),
                    ..NewJob::now(JOB_KIND, &payload)
                };
                Ok(Received::Queued(self.store().enqueue(&job).await?))
            }
        }
    }

    /// A channel's name as an export names its folder (`conversations.info`, kept).
    async fn slack_channel_name(
        &self,
        s: &SlackSettings,
        api: &flywheel_chat::slack_api::Client,
        id: &str,
    ) -> AppResult<String> {
        if let Some(n) = s.channel_names.get(id) {
            return Ok(n.clone());
        }
        let mut known: BTreeMap<String, String> = self
            .stored_json("slack.channels")
            .await?
            .unwrap_or_default();
        if let Some(n) = known.get(id) {
            return Ok(n.clone());
        }
        let name = api.channel_name(id).await.map_err(slack_error)?;
        let name = if name.is_empty() { id.to_owned() } else { name };
        known.insert(id.to_owned(), name.clone());
        self.store_json("slack.channels", &known).await?;
        Ok(name)
    }

    /// Applies a live event (the `slack.event` job).
    pub(crate) async fn slack_apply(&self, payload: &str) -> AppResult<()> {
        let ev: LiveEvent = serde_json::from_str(payload)
            .map_err(|e| AppError::Invalid(format!("not a live Slack event: {e}")))?;
        if let LiveEvent::HomeOpened { user } = &ev {
            return self.slack_home(user).await;
        }
        let s = self
            .slack()
            .await?
            .ok_or_else(|| AppError::Invalid("Slack is not connected any more".into()))?;
        let api = slack_client(&s)?;
        let store = self.store();
        // Members first, outside the transaction (they are calls to Slack).
        let mut people: Vec<String> = Vec::new();
        let mut members = Vec::new();
        match &ev {
            LiveEvent::Message { message, .. } => {
                people.extend(message.user.clone());
                people.extend(message.parent_user_id.clone());
                people.extend(message.mentions.iter().take(20).cloned());
            }
            LiveEvent::Reaction { user, .. } => people.push(user.clone()),
            LiveEvent::Member { user } => {
                members.push(user_from_json(user).map_err(AppError::Invalid)?);
            }
            LiveEvent::Deleted { .. } | LiveEvent::HomeOpened { .. } => {}
        }
        for id in store.unknown_chat_users("slack", &people).await? {
            let v = api.user(&id).await.map_err(slack_error)?;
            members.push(user_from_json(&v).map_err(AppError::Invalid)?);
        }
        let (channel_id, ts) = match &ev {
            LiveEvent::Message { channel, message } => (channel.clone(), message.ts.clone()),
            LiveEvent::Deleted { channel, ts } | LiveEvent::Reaction { channel, ts, .. } => {
                (channel.clone(), ts.clone())
            }
            LiveEvent::Member { .. } | LiveEvent::HomeOpened { .. } => {
                (String::new(), String::new())
            }
        };
        let channel = if channel_id.is_empty() {
            String::new()
        } else {
            self.slack_channel_name(&s, &api, &channel_id).await?
        };
        let mut bots: HashSet<String> = store.chat_bots("slack").await?.into_iter().collect();
        bots.insert(s.bot_user_id.clone());
        bots.extend(members.iter().filter(|m| m.is_bot).map(|m| m.id.clone()));

        let zone = s.zone();
        let mut imp = store.begin_live_chat_import("slack").await?;
        imp.add_users(IdentityKind::Slack, &members).await?;
        let mut days = Vec::new();
        match &ev {
            LiveEvent::Message { message, .. } => {
                imp.count_messages(1);
                let reading = serde_json::to_string(&message.reading)
                    .map_err(|e| AppError::Internal(format!("a reading: {e}")))?;
                imp.put_live_message(
                    "slack",
                    &LiveMessage {
                        channel: channel.clone(),
                        day: day_of(zone, &message.ts).unwrap_or_default(),
                        thread_day: message.thread_ts.as_deref().and_then(|t| day_of(zone, t)),
                        ts: message.ts.clone(),
                        thread_ts: message.thread_ts.clone(),
                        user: message.user.clone(),
                        subtype: message.subtype.clone(),
                        parent_user_id: message.parent_user_id.clone(),
                        mentions: message.mentions.clone(),
                        reading,
                        reactions: Vec::new(),
                    },
                )
                .await?;
                days.extend(message.thread_ts.as_deref().and_then(|t| day_of(zone, t)));
            }
            LiveEvent::Deleted { ts, .. } => imp.delete_live_message("slack", &channel, ts).await?,
            LiveEvent::Reaction {
                ts,
                reaction,
                user,
                add,
                ..
            } => {
                imp.react("slack", (&channel, ts), reaction, user, *add)
                    .await?;
            }
            LiveEvent::Member { .. } | LiveEvent::HomeOpened { .. } => {}
        }
        if !channel.is_empty() {
            days.extend(day_of(zone, &ts));
            days.sort();
            days.dedup();
            let role = ChannelRole {
                help: s.help_channels.contains(&channel_id),
                wins: s.wins_channel.as_deref() == Some(channel_id.as_str()),
                links: (!s.workspace_url.is_empty())
                    .then(|| crate::slack::Permalinks::new(&s.workspace_url, &channel_id)),
            };
            rederive(&mut imp, &channel, &role, (&days, zone), &bots).await?;
        }
        imp.finish(IdentityKind::Slack).await?;
        Ok(())
    }
}

impl App {
    /// The Slack member `id`, learnt from Slack first (`users.info`, matched by work
    /// email) when Flywheel has not seen them yet.
    pub async fn slack_member(&self, id: &str) -> AppResult<crate::chat_ask::ChatMember> {
        let ids = [id.to_owned()];
        if !self
            .store()
            .unknown_chat_users("slack", &ids)
            .await?
            .is_empty()
        {
            let s = self
                .slack()
                .await?
                .ok_or_else(|| AppError::Conflict("Slack is not connected".into()))?;
            let v = slack_client(&s)?.user(id).await.map_err(slack_error)?;
            self.keep_slack_member(&v).await?;
        }
        self.chat_member(IdentityKind::Slack, id).await
    }

    /// Keeps a member Slack described (`users.info`, `users.lookupByEmail`), matched to a
    /// person by work email as an export's `users.json` is.
    async fn keep_slack_member(&self, user: &Value) -> AppResult<()> {
        let m = user_from_json(user).map_err(AppError::Invalid)?;
        let mut imp = self.store().begin_live_chat_import("slack").await?;
        imp.add_users(IdentityKind::Slack, std::slice::from_ref(&m))
            .await?;
        imp.finish(IdentityKind::Slack).await?;
        Ok(())
    }

    /// The Slack user id of `person`: known from the events, or asked of Slack by the
    /// person's work email (`users.lookupByEmail`, then kept and matched as any member).
    pub async fn slack_id_of(&self, person: i64) -> AppResult<Option<String>> {
        if let Some(id) = self.store().chat_id_of(IdentityKind::Slack, person).await? {
            return Ok(Some(id));
        }
        let Some(email) = self.store().person_email(person).await? else {
            return Ok(None);
        };
        let Some(s) = self.slack().await? else {
            return Ok(None);
        };
        let found = slack_client(&s)?
            .read("users.lookupByEmail", &[("email", &email)])
            .await;
        let v = match found {
            Ok(v) => v,
            Err(flywheel_chat::slack_api::ApiError::Slack { error, .. })
                if error == "users_not_found" =>
            {
                return Ok(None)
            }
            Err(e) => return Err(slack_error(e)),
        };
        self.keep_slack_member(&v["user"]).await?;
        Ok(self.store().chat_id_of(IdentityKind::Slack, person).await?)
    }

    /// Calls a write method of Slack's Web API (`chat.postMessage`, `views.open`, …) with
    /// the connected workspace's token.
    pub async fn slack_call(&self, method: &str, args: &Value) -> AppResult<Value> {
        let s = self
            .slack()
            .await?
            .ok_or_else(|| AppError::Conflict("Slack is not connected".into()))?;
        slack_client(&s)?
            .call(method, args)
            .await
            .map_err(slack_error)
    }

    /// Posts `body` to an interaction's `response_url` (which must be Slack's, or the
    /// configured Web API's host: a signed payload names it, but Flywheel posts nowhere
    /// else).
    pub async fn slack_respond(&self, response_url: &str, body: &Value) -> AppResult<()> {
        let s = self
            .slack()
            .await?
            .ok_or_else(|| AppError::Conflict("Slack is not connected".into()))?;
        // The origin (`scheme://host[:port]/`) of the configured Web API: Slack's own
        // hooks host, or an Enterprise / stand-in host an admin configured.
        let origin: String = s
            .api_base_url
            .splitn(4, '/')
            .take(3)
            .collect::<Vec<_>>()
            .join("/")
            + "/";
        let allowed = response_url.starts_with("https://hooks.slack.com/")
            || (origin.len() > "https://".len() && response_url.starts_with(&origin));
        if !allowed {
            return Err(AppError::Invalid(format!(
                "response_url {response_url:?} is not Slack's; not posted"
            )));
        }
        slack_client(&s)?
            .respond(response_url, body)
            .await
            .map_err(slack_error)
    }
}

/// What a channel is to the program.
#[derive(Debug, Clone)]
struct ChannelRole {
    help: bool,
    wins: bool,
    /// Permalinks of the channel's posts, when the workspace's address is known.
    links: Option<crate::slack::Permalinks>,
}

fn day_of(zone: Zone, ts: &str) -> Option<String> {
    parse_ts(ts).map(|t| zone.day(t).format("%Y-%m-%d").to_string())
}

fn on_days(days: &[String], zone: Zone, t: chrono::DateTime<chrono::Utc>) -> bool {
    days.contains(&zone.day(t).format("%Y-%m-%d").to_string())
}

/// Derives `days` of `channel` again from the live messages, with the export's
/// derivation, and writes what it gives (and removes what it no longer gives).
async fn rederive(
    imp: &mut ChatImport,
    channel: &str,
    role: &ChannelRole,
    (days, zone): (&[String], Zone),
    bots: &HashSet<String>,
) -> AppResult<()> {
    let rows = imp.live_messages("slack", channel, days).await?;
    let mut msgs = Vec::with_capacity(rows.len());
    let mut readings = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(at) = parse_ts(&r.ts) else { continue };
        readings.push(serde_json::from_str::<Reading>(&r.reading).unwrap_or_default());
        msgs.push(flywheel_ingest::slack::SlackMessage {
            channel: r.channel,
            ts: r.ts,
            at,
            user: r.user,
            subtype: r.subtype,
            text: String::new(),
            thread_ts: r.thread_ts,
            parent_user_id: r.parent_user_id,
            reactions: r.reactions,
            mentions: r.mentions,
        });
    }
    let mut ties = derive_ties(&msgs, bots, zone);
    let mut derived_ts: HashSet<String> = HashSet::new();
    if role.help {
        let (questions, help) = questions_of(&msgs, &readings, bots, zone);
        ties.extend(help);
        let questions: Vec<_> = questions
            .into_iter()
            .filter(|q| on_days(days, zone, q.at))
            .collect();
        derived_ts.extend(questions.iter().map(|q| q.ts.clone()));
        imp.add_questions(IdentityKind::Slack, &questions).await?;
    }
    if role.wins {
        let wins: Vec<_> = wins_of(&msgs, &readings, bots, role.links.as_ref())
            .into_iter()
            .filter(|w| on_days(days, zone, w.at))
            .collect();
        derived_ts.extend(wins.iter().map(|w| w.ts.clone()));
        imp.add_wins(IdentityKind::Slack, &wins).await?;
    }
    // A message of these days that is no longer a question or a win (edited, or now a
    // bot's) loses the row it had.
    let gone: Vec<String> = msgs
        .iter()
        .filter(|m| on_days(days, zone, m.at) && !derived_ts.contains(&m.ts))
        .map(|m| m.ts.clone())
        .collect();
    for ts in gone {
        imp.forget_derived(channel, &ts).await?;
    }
    ties.retain(|t| days.contains(&t.day.format("%Y-%m-%d").to_string()));
    let keep: Vec<(String, String, String, String)> = ties
        .iter()
        .map(|t| {
            (
                t.kind.as_str().to_owned(),
                IdentityKind::Slack.normalize(&t.from),
                IdentityKind::Slack.normalize(&t.to),
                t.day.format("%Y-%m-%d").to_string(),
            )
        })
        .collect();
    imp.drop_stale_live_ties(channel, days, &keep).await?;
    imp.add_ties(IdentityKind::Slack, &ties).await?;
    Ok(())
}

/// A Web API client for the connected workspace.
pub(crate) fn slack_client(s: &SlackSettings) -> AppResult<flywheel_chat::slack_api::Client> {
    let token = s.bot_token.read("the Slack bot token")?;
    Ok(flywheel_chat::slack_api::Client::new(
        &s.api_base_url,
        &token,
    ))
}

/// Slack's failures, for a job's record: an authentication failure will not pass by
/// itself (the job is not retried), the others may.
pub(crate) fn slack_error(e: flywheel_chat::slack_api::ApiError) -> AppError {
    match e {
        flywheel_chat::slack_api::ApiError::Auth(_) => AppError::Invalid(e.to_string()),
        other => AppError::Internal(other.to_string()),
    }
}
