//! Chat imports: workspace members and the ties derived from their messages.

use flywheel_domain::org::IdentityKind;
use flywheel_domain::usage::{ChatQuestion, ChatTie, ChatUser, ChatWin, IdentityMapping};
use flywheel_domain::ImportId;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::bulk::{insert_rows, Arg};
use crate::usage::{apply_mappings, attach_resolved};
use crate::{date_text, Store, StoreError};

/// What a chat import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChatImportOutcome {
    /// `None` when nothing changed (nothing was written).
    pub import_id: Option<ImportId>,
    pub users: u64,
    pub bots: u64,
    pub users_stored: u64,
    pub users_updated: u64,
    /// Members newly matched to people because their export email is a person's work email.
    pub matched_by_email: u64,
    /// Members (not bots) matched to people, and not matched.
    pub members_matched: u64,
    pub members_unmatched: u64,
    pub unmatched_examples: Vec<String>,
    pub messages: u64,
    pub ties: u64,
    pub ties_stored: u64,
    pub ties_updated: u64,
    pub questions: u64,
    pub questions_stored: u64,
    pub questions_updated: u64,
    /// Questions per stage, in this import.
    pub questions_by_stage: std::collections::BTreeMap<String, u64>,
    pub wins: u64,
    pub wins_stored: u64,
    pub wins_updated: u64,
    /// Wins whose post said how much time it saved.
    pub wins_with_time_saved: u64,
    /// Ties (and usage) from earlier imports attached to people by this import.
    pub attached_earlier: u64,
}

/// An open chat import: add members and ties, then [`ChatImport::finish`] or drop to roll back.
pub struct ChatImport {
    pub(crate) tx: Transaction<'static, Any>,
    import_id: i64,
    outcome: ChatImportOutcome,
    mappings: u64,
    /// A live change (`crate::chat_live`): it adds to its day's import row, and the
    /// derived rows it removed count as changes.
    live: bool,
    removed: u64,
}

impl Store {
    pub async fn begin_chat_import(
        &self,
        kind: &str,
        source: &str,
        sha256: &str,
    ) -> Result<ChatImport, StoreError> {
        let mut tx = self.begin_write().await?;
        let today = chrono::Utc::now().date_naive();
        let import_id = crate::insert_import(&mut tx, kind, source, sha256, today, 0, "").await?;
        Ok(ChatImport {
            tx,
            import_id,
            outcome: ChatImportOutcome::default(),
            mappings: 0,
            live: false,
            removed: 0,
        })
    }

    /// Chat ties, for tests and reports: `(kind, from, to, from person, to person, day, channel, weight)`.
    #[allow(clippy::type_complexity)]
    pub async fn chat_ties(
        &self,
    ) -> Result<
        Vec<(
            String,
            String,
            String,
            Option<i64>,
            Option<i64>,
            String,
            String,
            f64,
        )>,
        StoreError,
    > {
        Ok(sqlx::query_as(
            "SELECT kind, from_identity, to_identity, from_person, to_person, day, channel, weight FROM chat_ties \
             ORDER BY kind, from_identity, to_identity, day, channel",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Store {
    /// Stored questions: `(channel, asker id, asker person, stage, answers, text)`.
    #[allow(clippy::type_complexity)]
    pub async fn chat_questions(
        &self,
    ) -> Result<Vec<(String, String, Option<i64>, String, i64, Option<String>)>, StoreError> {
        Ok(sqlx::query_as("SELECT channel, asker_identity, asker_person, stage, answers, text FROM chat_questions ORDER BY at, ts")
            .fetch_all(&self.pool)
            .await?)
    }

    /// Stored wins: `(author id, minutes saved, per, reactions, text)`.
    #[allow(clippy::type_complexity)]
    pub async fn chat_wins(
        &self,
    ) -> Result<Vec<(String, Option<f64>, Option<String>, i64, Option<String>)>, StoreError> {
        Ok(sqlx::query_as("SELECT author_identity, minutes_saved, per, reactions, text FROM chat_wins ORDER BY at, ts")
            .fetch_all(&self.pool)
            .await?)
    }
}

impl ChatImport {
    pub(crate) fn live(tx: Transaction<'static, Any>, import_id: i64) -> ChatImport {
        ChatImport {
            tx,
            import_id,
            outcome: ChatImportOutcome::default(),
            mappings: 0,
            live: true,
            removed: 0,
        }
    }

    /// Derived rows removed (they count as changes).
    pub(crate) fn note_removed(&mut self, n: u64) {
        self.removed += n;
    }

    /// Identity mappings applied before members are matched.
    pub async fn add_mappings(&mut self, mappings: &[IdentityMapping]) -> Result<(), StoreError> {
        self.mappings += apply_mappings(&mut self.tx, mappings).await?;
        Ok(())
    }

    /// Stores the workspace's members; a member whose email is a person's work email (and
    /// whose chat id is not mapped yet) is matched to that person.
    pub async fn add_users(
        &mut self,
        kind: IdentityKind,
        users: &[ChatUser],
    ) -> Result<(), StoreError> {
        self.outcome.users += users.len() as u64;
        self.outcome.bots += users.iter().filter(|u| u.is_bot).count() as u64;
        let (stored, updated) = upsert_counted(
            &mut self.tx,
            "chat_users",
            &["kind", "identity", "name", "real_name", "email", "is_bot", "deleted", "import_id"],
            "ON CONFLICT (kind, identity) DO UPDATE SET name = excluded.name, real_name = excluded.real_name, \
             email = excluded.email, is_bot = excluded.is_bot, deleted = excluded.deleted, import_id = excluded.import_id \
             WHERE chat_users.name <> excluded.name OR COALESCE(chat_users.real_name, '') <> COALESCE(excluded.real_name, '') \
             OR COALESCE(chat_users.email, '') <> COALESCE(excluded.email, '') OR chat_users.is_bot <> excluded.is_bot \
             OR chat_users.deleted <> excluded.deleted",
            users
                .iter()
                .map(|u| {
                    vec![
                        Arg::Text(Some(kind.as_str().to_owned())),
                        Arg::Text(Some(u.id.clone())),
                        Arg::Text(Some(u.name.clone())),
                        Arg::Text(u.real_name.clone()),
                        Arg::Text(u.email.clone()),
                        Arg::Int(Some(i64::from(u.is_bot))),
                        Arg::Int(Some(i64::from(u.deleted))),
                        Arg::Int(Some(self.import_id)),
                    ]
                })
                .collect(),
        )
        .await?;
        self.outcome.users_stored += stored;
        self.outcome.users_updated += updated;
        for u in users.iter().filter(|u| !u.is_bot) {
            let Some(email) = &u.email else { continue };
            let done = sqlx::query(
                "INSERT INTO identities (person_id, kind, value, normalized) \
                 SELECT person_id, $1, $2, $3 FROM identities WHERE kind = 'email' AND normalized = $4 \
                 ON CONFLICT (kind, normalized) DO NOTHING",
            )
            .bind(kind.as_str())
            .bind(&u.id)
            .bind(kind.normalize(&u.id))
            .bind(IdentityKind::Email.normalize(email))
            .execute(&mut *self.tx)
            .await?;
            self.outcome.matched_by_email += done.rows_affected();
        }
        Ok(())
    }

    /// Counts messages read (for the summary).
    pub fn count_messages(&mut self, n: u64) {
        self.outcome.messages += n;
    }

    /// Upserts ties: a tie already stored with the same weight is unchanged.
    pub async fn add_ties(
        &mut self,
        kind: IdentityKind,
        ties: &[ChatTie],
    ) -> Result<(), StoreError> {
        self.outcome.ties += ties.len() as u64;
        // One row per key: the same tie twice in one statement is an error on PostgreSQL
        // ("ON CONFLICT DO UPDATE command cannot affect row a second time") and a silent
        // overwrite on SQLite. Ties of one key (after normalising the identities) add up.
        let mut merged: std::collections::BTreeMap<(&str, String, String, String, &str), f64> =
            std::collections::BTreeMap::new();
        for t in ties {
            *merged
                .entry((
                    t.kind.as_str(),
                    kind.normalize(&t.from),
                    kind.normalize(&t.to),
                    date_text(t.day),
                    t.channel.as_str(),
                ))
                .or_insert(0.0) += f64::from(t.weight);
        }
        // Owned rows before the first `await`: a future holding the borrowed keys is not
        // `Send` for every lifetime, and the live path runs in a spawned worker.
        let import_id = self.import_id;
        let rows: Vec<Vec<Arg>> = merged
            .into_iter()
            .map(|((k, from, to, day, channel), weight)| {
                vec![
                    Arg::Text(Some(k.to_owned())),
                    Arg::Text(Some(from)),
                    Arg::Text(Some(to)),
                    Arg::Int(None),
                    Arg::Int(None),
                    Arg::Text(Some(day)),
                    Arg::Text(Some(channel.to_owned())),
                    Arg::Real(weight),
                    Arg::Int(Some(import_id)),
                ]
            })
            .collect();
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chat_ties")
            .fetch_one(&mut *self.tx)
            .await?;
        let changed = insert_rows(
            &mut self.tx,
            "chat_ties",
            &["kind", "from_identity", "to_identity", "from_person", "to_person", "day", "channel", "weight", "import_id"],
            "ON CONFLICT (kind, from_identity, to_identity, day, channel) DO UPDATE \
             SET weight = excluded.weight, import_id = excluded.import_id WHERE chat_ties.weight <> excluded.weight",
            rows,
        )
        .await?;
        let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chat_ties")
            .fetch_one(&mut *self.tx)
            .await?;
        let stored = (after - before).max(0) as u64;
        self.outcome.ties_stored += stored;
        self.outcome.ties_updated += changed.saturating_sub(stored);
        Ok(())
    }

    /// Upserts questions from help channels (keyed by channel and ts).
    pub async fn add_questions(
        &mut self,
        kind: IdentityKind,
        questions: &[ChatQuestion],
    ) -> Result<(), StoreError> {
        for q in questions {
            self.outcome.questions += 1;
            let stage = if q.unsure { "unsure" } else { q.stage.as_str() };
            *self
                .outcome
                .questions_by_stage
                .entry(stage.to_owned())
                .or_insert(0) += 1;
        }
        let (stored, updated) = upsert_counted(
            &mut self.tx,
            "chat_questions",
            &["channel", "ts", "asker_identity", "at", "stage", "unsure", "cues", "answers", "first_answer_at", "text", "import_id"],
            "ON CONFLICT (channel, ts) DO UPDATE SET asker_identity = excluded.asker_identity, at = excluded.at, \
             stage = excluded.stage, unsure = excluded.unsure, cues = excluded.cues, answers = excluded.answers, first_answer_at = excluded.first_answer_at, \
             text = excluded.text, import_id = excluded.import_id \
             WHERE chat_questions.stage <> excluded.stage OR chat_questions.unsure <> excluded.unsure \
             OR chat_questions.answers <> excluded.answers \
             OR chat_questions.cues <> excluded.cues OR COALESCE(chat_questions.text, '') <> COALESCE(excluded.text, '') \
             OR COALESCE(chat_questions.first_answer_at, '') <> COALESCE(excluded.first_answer_at, '')",
            questions
                .iter()
                .map(|q| {
                    vec![
                        Arg::Text(Some(q.channel.clone())),
                        Arg::Text(Some(q.ts.clone())),
                        Arg::Text(Some(kind.normalize(&q.asker))),
                        Arg::Text(Some(instant(q.at))),
                        Arg::Text(Some(q.stage.as_str().to_owned())),
                        Arg::Int(Some(i64::from(q.unsure))),
                        Arg::Text(Some(q.cues.join(", "))),
                        Arg::Int(Some(q.answerers.len() as i64)),
                        Arg::Text(q.first_answer_at.map(instant)),
                        Arg::Text(q.text.clone()),
                        Arg::Int(Some(self.import_id)),
                    ]
                })
                .collect(),
        )
        .await?;
        self.outcome.questions_stored += stored;
        self.outcome.questions_updated += updated;
        Ok(())
    }

    /// Upserts wins from wins channels (keyed by channel and ts).
    pub async fn add_wins(
        &mut self,
        kind: IdentityKind,
        wins: &[ChatWin],
    ) -> Result<(), StoreError> {
        self.outcome.wins += wins.len() as u64;
        self.outcome.wins_with_time_saved +=
            wins.iter().filter(|w| w.minutes_saved.is_some()).count() as u64;
        let real = Arg::RealOpt;
        let (stored, updated) = upsert_counted(
            &mut self.tx,
            "chat_wins",
            &["channel", "ts", "author_identity", "at", "minutes_before", "minutes_after", "minutes_saved", "per", "phrase", "reactions", "text", "link", "import_id"],
            "ON CONFLICT (channel, ts) DO UPDATE SET author_identity = excluded.author_identity, at = excluded.at, \
             minutes_before = excluded.minutes_before, minutes_after = excluded.minutes_after, minutes_saved = excluded.minutes_saved, \
             per = excluded.per, phrase = excluded.phrase, reactions = excluded.reactions, text = excluded.text, link = excluded.link, \
             import_id = excluded.import_id \
             WHERE chat_wins.reactions <> excluded.reactions OR COALESCE(chat_wins.minutes_saved, -1) <> COALESCE(excluded.minutes_saved, -1) \
             OR COALESCE(chat_wins.minutes_before, -1) <> COALESCE(excluded.minutes_before, -1) \
             OR COALESCE(chat_wins.minutes_after, -1) <> COALESCE(excluded.minutes_after, -1) \
             OR COALESCE(chat_wins.per, '') <> COALESCE(excluded.per, '') \
             OR COALESCE(chat_wins.phrase, '') <> COALESCE(excluded.phrase, '') OR COALESCE(chat_wins.text, '') <> COALESCE(excluded.text, '') \
             OR COALESCE(chat_wins.link, '') <> COALESCE(excluded.link, '')",
            wins.iter()
                .map(|w| {
                    vec![
                        Arg::Text(Some(w.channel.clone())),
                        Arg::Text(Some(w.ts.clone())),
                        Arg::Text(Some(kind.normalize(&w.author))),
                        Arg::Text(Some(instant(w.at))),
                        real(w.minutes_before),
                        real(w.minutes_after),
                        real(w.minutes_saved),
                        Arg::Text(w.per.clone()),
                        Arg::Text(w.phrase.clone()),
                        Arg::Int(Some(i64::from(w.reactions))),
                        Arg::Text(w.text.clone()),
                        Arg::Text(w.link.clone()),
                        Arg::Int(Some(self.import_id)),
                    ]
                })
                .collect(),
        )
        .await?;
        self.outcome.wins_stored += stored;
        self.outcome.wins_updated += updated;
        Ok(())
    }

    /// Resolves people, reports, and commits (or writes nothing if nothing changed).
    pub async fn finish(mut self, kind: IdentityKind) -> Result<ChatImportOutcome, StoreError> {
        // New ties get their people now; older ones too if their ids resolve since.
        let new_rows: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM chat_ties WHERE import_id = $1 AND (from_person IS NULL OR to_person IS NULL)")
                .bind(self.import_id)
                .fetch_one(&mut *self.tx)
                .await?;
        let attached = attach_resolved(&mut self.tx).await?;
        self.outcome.attached_earlier = attached.saturating_sub(new_rows.max(0) as u64);
        let rows = sqlx::query(
            "SELECT c.identity, i.person_id FROM chat_users c \
             LEFT JOIN identities i ON i.kind = c.kind AND i.normalized = c.identity \
             WHERE c.kind = $1 AND c.is_bot = 0 ORDER BY c.identity",
        )
        .bind(kind.as_str())
        .fetch_all(&mut *self.tx)
        .await?;
        for r in &rows {
            let person: Option<i64> = r.try_get(1)?;
            if person.is_some() {
                self.outcome.members_matched += 1;
            } else {
                self.outcome.members_unmatched += 1;
                if self.outcome.unmatched_examples.len() < crate::usage::REPORT_LIMIT {
                    self.outcome.unmatched_examples.push(format!(
                        "{}:{}",
                        kind.as_str(),
                        r.try_get::<String, _>(0)?
                    ));
                }
            }
        }
        let o = &self.outcome;
        if o.users_stored
            + o.users_updated
            + o.matched_by_email
            + o.ties_stored
            + o.ties_updated
            + o.questions_stored
            + o.questions_updated
            + o.wins_stored
            + o.wins_updated
            + o.attached_earlier
            + self.mappings
            + self.removed
            == 0
            && !self.live
        {
            self.tx.rollback().await?;
            return Ok(self.outcome);
        }
        if self.live {
            // Every live change is kept (the message itself is), and counted as a record of
            // its day's import.
            sqlx::query(
                "UPDATE imports SET records = records + $1, summary = 'live events; ' || $2 || ' members unmatched' WHERE id = $3",
            )
            .bind(o.messages as i64)
            .bind(o.members_unmatched.to_string())
            .bind(self.import_id)
            .execute(&mut *self.tx)
            .await?;
        } else {
            sqlx::query("UPDATE imports SET records = $1, summary = $2 WHERE id = $3")
                .bind(o.messages as i64)
                .bind(format!(
                    "{} members ({} bots), {} messages, {} ties ({} stored, {} updated), {} members unmatched",
                    o.users, o.bots, o.messages, o.ties, o.ties_stored, o.ties_updated, o.members_unmatched
                ))
                .bind(self.import_id)
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        self.outcome.import_id = Some(ImportId(self.import_id));
        Ok(self.outcome)
    }
}

fn instant(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Upserts rows and counts how many were new and how many changed.
async fn upsert_counted(
    tx: &mut Transaction<'static, Any>,
    table: &'static str,
    columns: &[&str],
    suffix: &str,
    rows: Vec<Vec<Arg>>,
) -> Result<(u64, u64), StoreError> {
    let count = format!("SELECT COUNT(*) FROM {table}");
    let before: i64 = sqlx::query_scalar(&count).fetch_one(&mut **tx).await?;
    let changed = insert_rows(tx, table, columns, suffix, rows).await?;
    let after: i64 = sqlx::query_scalar(&count).fetch_one(&mut **tx).await?;
    let stored = (after - before).max(0) as u64;
    Ok((stored, changed.saturating_sub(stored)))
}
