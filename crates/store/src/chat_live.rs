//! Chat seen live (Slack's Events API): the reduced messages and reactions the derivation
//! re-reads, written in the same transaction as the signals derived from them. A live
//! change is a [`ChatImport`] of its own (`begin_live_chat_import`), serialised with every
//! other live change, so two servers applying events of one channel cannot write a stale
//! derivation over a fresher one.

use sqlx::Row;

use crate::chat::ChatImport;
use crate::{Store, StoreError, TxLock};

/// A message seen live, without its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveMessage {
    pub channel: String,
    pub ts: String,
    /// The workspace-local days of `ts` and `thread_ts` (`YYYY-MM-DD`), as the
    /// derivation files them.
    pub day: String,
    pub thread_day: Option<String>,
    pub thread_ts: Option<String>,
    pub user: Option<String>,
    pub subtype: Option<String>,
    pub parent_user_id: Option<String>,
    pub mentions: Vec<String>,
    /// The reading of its words (JSON, the application's).
    pub reading: String,
    /// Reactions: name and the people who reacted (filled when read back).
    pub reactions: Vec<(String, Vec<String>)>,
}

/// A chat member's account, as [`Store::chat_account`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatAccount {
    /// The chat id is not matched to a person.
    Unmatched,
    /// The person's account is disabled (deprovisioned).
    Disabled,
    Account(crate::User),
}

impl Store {
    /// Begins a live chat change: an import of kind `{kind}-live` (one row per UTC day,
    /// reused by every change that day), holding the live-chat lock until it commits.
    pub async fn begin_live_chat_import(&self, kind: &str) -> Result<ChatImport, StoreError> {
        let mut tx = self.begin_write().await?;
        self.serialize(&mut tx, TxLock::LiveChat).await?;
        let today = chrono::Utc::now().date_naive();
        let live = format!("{kind}-live");
        let source = format!("{kind} events of {}", crate::date_text(today));
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM imports WHERE kind = $1 AND source = $2")
                .bind(&live)
                .bind(&source)
                .fetch_optional(&mut *tx)
                .await?;
        let id = match id {
            Some(id) => id,
            None => crate::insert_import(&mut tx, &live, &source, "-", today, 0, "").await?,
        };
        Ok(ChatImport::live(tx, id))
    }

    /// Records a signed request's signature; `false` when it was seen before (a replay).
    /// Sightings older than `keep` are forgotten (a request that old is stale anyway).
    pub async fn first_sighting(
        &self,
        signature: &str,
        now: chrono::DateTime<chrono::Utc>,
        keep: chrono::Duration,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let text = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        sqlx::query("DELETE FROM chat_sightings WHERE seen_at < $1")
            .bind(text(now - keep))
            .execute(&self.pool)
            .await?;
        let done = sqlx::query(
            "INSERT INTO chat_sightings (signature, seen_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(signature)
        .bind(text(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Live messages kept, for tests and the status report: how many.
    pub async fn live_message_count(&self, kind: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM chat_live_messages WHERE kind = $1")
                .bind(kind)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The account of the person chat member `id` is matched to; made (without a
    /// password, with `role`, audited) when the person has none.
    pub async fn chat_account(
        &self,
        kind: flywheel_domain::org::IdentityKind,
        id: &str,
        role: crate::Role,
    ) -> Result<ChatAccount, StoreError> {
        let person: Option<i64> = sqlx::query_scalar(
            "SELECT person_id FROM identities WHERE kind = $1 AND normalized = $2",
        )
        .bind(kind.as_str())
        .bind(kind.normalize(id))
        .fetch_optional(&self.pool)
        .await?;
        let Some(person) = person else {
            return Ok(ChatAccount::Unmatched);
        };
        let row = sqlx::query(
            "SELECT id, email, role, person_id, disabled_at FROM users WHERE person_id = $1 ORDER BY id LIMIT 1",
        )
        .bind(person)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(r) = row {
            let disabled: Option<String> = r.try_get("disabled_at")?;
            return Ok(if disabled.is_some() {
                ChatAccount::Disabled
            } else {
                ChatAccount::Account(crate::users::user_row(&r)?)
            });
        }
        match self.provision_user(person, role).await {
            Ok(u) => Ok(ChatAccount::Account(u)),
            // A person without a work email cannot have an account.
            Err(StoreError::Invalid(_)) => Ok(ChatAccount::Unmatched),
            Err(e) => Err(e),
        }
    }

    /// The chat id (`kind`) of person `person`, if matched.
    pub async fn chat_id_of(
        &self,
        kind: flywheel_domain::org::IdentityKind,
        person: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT value FROM identities WHERE kind = $1 AND person_id = $2 ORDER BY value LIMIT 1",
        )
        .bind(kind.as_str())
        .bind(person)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A person's work email, if any.
    pub async fn person_email(&self, person: i64) -> Result<Option<String>, StoreError> {
        let e: Option<Option<String>> =
            sqlx::query_scalar("SELECT email FROM people WHERE id = $1")
                .bind(person)
                .fetch_optional(&self.pool)
                .await?;
        Ok(e.flatten().filter(|e| e.contains('@')))
    }

    /// The chat ids among `ids` not known as members yet.
    pub async fn unknown_chat_users(
        &self,
        kind: &str,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for id in ids {
            let known: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM chat_users WHERE kind = $1 AND identity = $2")
                    .bind(kind)
                    .bind(id.trim())
                    .fetch_optional(&self.pool)
                    .await?;
            if known.is_none() && !out.contains(id) {
                out.push(id.clone());
            }
        }
        Ok(out)
    }

    /// The chat ids of bots.
    pub async fn chat_bots(&self, kind: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT identity FROM chat_users WHERE kind = $1 AND is_bot = 1 ORDER BY identity",
        )
        .bind(kind)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl ChatImport {
    /// Keeps (or replaces, after an edit) a live message; its reactions are untouched.
    pub async fn put_live_message(
        &mut self,
        kind: &str,
        m: &LiveMessage,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO chat_live_messages (kind, channel, ts, day, thread_ts, thread_day, user_identity, subtype, \
             parent_user_id, mentions, reading) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (kind, channel, ts) DO UPDATE SET thread_ts = excluded.thread_ts, thread_day = excluded.thread_day, \
             user_identity = excluded.user_identity, subtype = excluded.subtype, parent_user_id = excluded.parent_user_id, \
             mentions = excluded.mentions, reading = excluded.reading",
        )
        .bind(kind)
        .bind(&m.channel)
        .bind(&m.ts)
        .bind(&m.day)
        .bind(&m.thread_ts)
        .bind(&m.thread_day)
        .bind(&m.user)
        .bind(&m.subtype)
        .bind(&m.parent_user_id)
        .bind(serde_json::to_string(&m.mentions).unwrap_or_else(|_| "[]".into()))
        .bind(&m.reading)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Forgets a deleted live message, its reactions, and the question or win it was.
    pub async fn delete_live_message(
        &mut self,
        kind: &str,
        channel: &str,
        ts: &str,
    ) -> Result<(), StoreError> {
        for table in ["chat_live_messages", "chat_live_reactions"] {
            let sql = format!("DELETE FROM {table} WHERE kind = $1 AND channel = $2 AND ts = $3");
            sqlx::query(&sql)
                .bind(kind)
                .bind(channel)
                .bind(ts)
                .execute(&mut *self.tx)
                .await?;
        }
        self.forget_derived(channel, ts).await
    }

    /// Drops the question and the win of a message (derived before, not any more).
    pub async fn forget_derived(&mut self, channel: &str, ts: &str) -> Result<(), StoreError> {
        for table in ["chat_questions", "chat_wins"] {
            let sql = format!("DELETE FROM {table} WHERE channel = $1 AND ts = $2");
            let done = sqlx::query(&sql)
                .bind(channel)
                .bind(ts)
                .execute(&mut *self.tx)
                .await?;
            self.note_removed(done.rows_affected());
        }
        Ok(())
    }

    /// A reaction added (`add`) or removed.
    pub async fn react(
        &mut self,
        kind: &str,
        (channel, ts): (&str, &str),
        reaction: &str,
        user: &str,
        add: bool,
    ) -> Result<(), StoreError> {
        let sql = if add {
            "INSERT INTO chat_live_reactions (kind, channel, ts, reaction, user_identity) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM chat_live_reactions WHERE kind = $1 AND channel = $2 AND ts = $3 AND reaction = $4 AND user_identity = $5"
        };
        sqlx::query(sql)
            .bind(kind)
            .bind(channel)
            .bind(ts)
            .bind(reaction)
            .bind(user)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The live messages of `channel` on `days` (UTC), in threads rooted on those days,
    /// and the roots of their threads; each with its reactions; in `ts` order.
    pub async fn live_messages(
        &mut self,
        kind: &str,
        channel: &str,
        days: &[String],
    ) -> Result<Vec<LiveMessage>, StoreError> {
        let mut rows = Vec::new();
        for day in days {
            rows.extend(
                sqlx::query(
                    "SELECT ts, thread_ts, user_identity, subtype, parent_user_id, mentions, reading, day, thread_day FROM chat_live_messages \
                     WHERE kind = $1 AND channel = $2 AND (day = $3 OR thread_day = $3 OR ts IN \
                     (SELECT thread_ts FROM chat_live_messages WHERE kind = $1 AND channel = $2 AND day = $3))",
                )
                .bind(kind)
                .bind(channel)
                .bind(day)
                .fetch_all(&mut *self.tx)
                .await?,
            );
        }
        let mut out: Vec<LiveMessage> = Vec::new();
        for r in &rows {
            let mentions: String = r.try_get(5)?;
            out.push(LiveMessage {
                channel: channel.to_owned(),
                ts: r.try_get(0)?,
                thread_ts: r.try_get(1)?,
                user: r.try_get(2)?,
                subtype: r.try_get(3)?,
                parent_user_id: r.try_get(4)?,
                mentions: serde_json::from_str(&mentions).unwrap_or_default(),
                reading: r.try_get(6)?,
                day: r.try_get(7)?,
                thread_day: r.try_get(8)?,
                reactions: Vec::new(),
            });
        }
        // A `ts` is ten digits of seconds and six of microseconds: text order is time order.
        out.sort_by(|a, b| a.ts.cmp(&b.ts));
        out.dedup_by(|a, b| a.ts == b.ts);
        for m in &mut out {
            let rs = sqlx::query(
                "SELECT reaction, user_identity FROM chat_live_reactions WHERE kind = $1 AND channel = $2 AND ts = $3 \
                 ORDER BY reaction, user_identity",
            )
            .bind(kind)
            .bind(channel)
            .bind(&m.ts)
            .fetch_all(&mut *self.tx)
            .await?;
            for r in &rs {
                let name: String = r.try_get(0)?;
                let user: String = r.try_get(1)?;
                match m.reactions.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, users)) => users.push(user),
                    None => m.reactions.push((name, vec![user])),
                }
            }
        }
        Ok(out)
    }

    /// Removes the live-derived ties of `channel` on `days` that the fresh derivation
    /// (`keep`, as `(kind, from, to, day)` with normalised ids) no longer has. Ties an
    /// export import wrote are never removed here.
    pub async fn drop_stale_live_ties(
        &mut self,
        channel: &str,
        days: &[String],
        keep: &[(String, String, String, String)],
    ) -> Result<(), StoreError> {
        for day in days {
            let rows = sqlx::query(
                "SELECT t.kind, t.from_identity, t.to_identity FROM chat_ties t JOIN imports i ON i.id = t.import_id \
                 WHERE t.channel = $1 AND t.day = $2 AND i.kind LIKE '%-live'",
            )
            .bind(channel)
            .bind(day)
            .fetch_all(&mut *self.tx)
            .await?;
            for r in &rows {
                let (k, from, to): (String, String, String) =
                    (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                let key = (k.clone(), from.clone(), to.clone(), day.clone());
                if !keep.contains(&key) {
                    let done = sqlx::query(
                        "DELETE FROM chat_ties WHERE kind = $1 AND from_identity = $2 AND to_identity = $3 AND day = $4 AND channel = $5",
                    )
                    .bind(&k)
                    .bind(&from)
                    .bind(&to)
                    .bind(day)
                    .bind(channel)
                    .execute(&mut *self.tx)
                    .await?;
                    self.note_removed(done.rows_affected());
                }
            }
        }
        Ok(())
    }
}
