//! Nudges: the kinds an admin enabled, each nudge decided once (sent, held out, rate
//! limited, opted out, unreachable) in one serialised transaction, opt-outs, and what the
//! scans look for (quiet power users, unanswered questions, champions near a person).

use sqlx::Row;

use crate::{Store, StoreError, TxLock};

/// A kind's settings as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NudgeKind {
    pub kind: String,
    pub enabled: bool,
    /// The share of people held out (drawn once per person and kind).
    pub holdout: f64,
    /// At most one nudge of this kind per person in this many days (0: no limit).
    pub every_days: i64,
    /// How long a question waits unanswered before champions hear of it.
    pub wait_minutes: i64,
}

/// What was decided for one nudge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NudgeState {
    Sent,
    HeldOut,
    RateLimited,
    OptedOut,
    Unreachable,
}

impl NudgeState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::HeldOut => "held_out",
            Self::RateLimited => "rate_limited",
            Self::OptedOut => "opted_out",
            Self::Unreachable => "unreachable",
        }
    }
}

/// An unanswered question: `(channel, ts, asker person, stage, at)`.
pub type Unanswered = (String, String, i64, String, String);

fn text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl Store {
    /// The kinds stored (a kind never set is not here).
    pub async fn nudge_kinds(&self) -> Result<Vec<NudgeKind>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, enabled, holdout, every_days, wait_minutes FROM nudge_kinds ORDER BY kind",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NudgeKind {
                    kind: r.try_get("kind")?,
                    enabled: r.try_get::<i64, _>("enabled")? != 0,
                    holdout: r.try_get("holdout")?,
                    every_days: r.try_get("every_days")?,
                    wait_minutes: r.try_get("wait_minutes")?,
                })
            })
            .collect()
    }

    /// Keeps a kind's settings.
    pub async fn set_nudge_kind(&self, k: &NudgeKind) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO nudge_kinds (kind, enabled, holdout, every_days, wait_minutes, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind) DO UPDATE SET enabled = excluded.enabled, \
             holdout = excluded.holdout, every_days = excluded.every_days, wait_minutes = excluded.wait_minutes, \
             updated_at = excluded.updated_at",
        )
        .bind(&k.kind)
        .bind(i64::from(k.enabled))
        .bind(k.holdout)
        .bind(k.every_days)
        .bind(k.wait_minutes)
        .bind(crate::now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Decides nudge `(kind, person, subject)` once: `None` when it was decided before;
    /// else held out (`held_out`: the draw), opted out, rate limited (a nudge of the kind
    /// sent to the person within `every_days`), or sent. Serialised, so two servers cannot
    /// both send it.
    pub async fn decide_nudge(
        &self,
        kind: &str,
        person: i64,
        subject: &str,
        held_out: bool,
        every_days: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<NudgeState>, StoreError> {
        let mut tx = self.begin_write().await?;
        self.serialize(&mut tx, TxLock::Nudges).await?;
        let seen: Option<String> = sqlx::query_scalar(
            "SELECT state FROM nudges WHERE kind = $1 AND person_id = $2 AND subject = $3",
        )
        .bind(kind)
        .bind(person)
        .bind(subject)
        .fetch_optional(&mut *tx)
        .await?;
        if seen.is_some() {
            return Ok(None);
        }
        let opted: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM nudge_optouts WHERE person_id = $1 AND (kind = $2 OR kind = 'all')",
        )
        .bind(person)
        .bind(kind)
        .fetch_optional(&mut *tx)
        .await?;
        let recent: Option<i64> = if every_days > 0 {
            sqlx::query_scalar(
                "SELECT 1 FROM nudges WHERE kind = $1 AND person_id = $2 AND state = 'sent' AND at > $3",
            )
            .bind(kind)
            .bind(person)
            .bind(text(now - chrono::Duration::days(every_days)))
            .fetch_optional(&mut *tx)
            .await?
        } else {
            None
        };
        // The hold-out first: it is the random assignment the comparison rests on, whatever
        // else would have kept the nudge from being sent.
        let state = if held_out {
            NudgeState::HeldOut
        } else if opted.is_some() {
            NudgeState::OptedOut
        } else if recent.is_some() {
            NudgeState::RateLimited
        } else {
            NudgeState::Sent
        };
        sqlx::query(
            "INSERT INTO nudges (kind, person_id, subject, state, at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(kind)
        .bind(person)
        .bind(subject)
        .bind(state.as_str())
        .bind(text(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(state))
    }

    /// Marks a nudge that could not be delivered.
    pub async fn nudge_unreachable(
        &self,
        kind: &str,
        person: i64,
        subject: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "UPDATE nudges SET state = 'unreachable' WHERE kind = $1 AND person_id = $2 AND subject = $3",
        )
        .bind(kind)
        .bind(person)
        .bind(subject)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Person `person` wants no more nudges of `kind` (`all`: of any kind).
    pub async fn opt_out_nudges(&self, person: i64, kind: &str) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO nudge_optouts (person_id, kind, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(person)
        .bind(kind)
        .bind(crate::now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Nudges decided, by kind and state: `(kind, state, count)`.
    pub async fn nudge_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT kind, state, COUNT(*) FROM nudges GROUP BY kind, state ORDER BY kind, state",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// For `kind`'s people nudged (`sent`) and held out (`held_out`): how many, and how
    /// many posted a win after it: `(state, people, with a win after)`.
    pub async fn nudge_win_outcomes(
        &self,
        kind: &str,
    ) -> Result<Vec<(String, i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT n.state, COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM wins w WHERE w.person_id = n.person_id \
             AND w.created_at > n.at) THEN 1 ELSE 0 END), 0) FROM nudges n WHERE n.kind = $1 AND n.state IN ('sent', 'held_out') \
             GROUP BY n.state ORDER BY n.state",
        )
        .bind(kind)
        .fetch_all(&self.pool)
        .await?)
    }

    /// For the `unanswered` kind, per question escalated (`sent`) or held out: how many,
    /// and how many were answered since: `(state, questions, answered)`.
    pub async fn nudge_question_outcomes(&self) -> Result<Vec<(String, i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT d.state, COUNT(*), COALESCE(SUM(CASE WHEN q.answers > 0 THEN 1 ELSE 0 END), 0) FROM              (SELECT subject, MIN(state) AS state FROM nudges WHERE kind = 'unanswered' AND state IN ('sent', 'held_out') GROUP BY subject) d              JOIN chat_questions q ON 'q:' || q.channel || ':' || q.ts = d.subject GROUP BY d.state ORDER BY d.state",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// People with usage on at least `min_days` distinct days since `since` who never
    /// shared a win: the quiet power users.
    pub async fn quiet_power_users(
        &self,
        since: chrono::NaiveDate,
        min_days: i64,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT u.person_id FROM usage u WHERE u.person_id IS NOT NULL AND u.day >= $1 \
             AND NOT EXISTS (SELECT 1 FROM wins w WHERE w.person_id = u.person_id) \
             GROUP BY u.person_id HAVING COUNT(DISTINCT u.day) >= $2 ORDER BY u.person_id",
        )
        .bind(crate::date_text(since))
        .bind(min_days)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Questions asked between `from` and `until` by a known person and not answered.
    pub async fn unanswered_questions(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Unanswered>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT channel, ts, asker_person, stage, at FROM chat_questions \
             WHERE answers = 0 AND asker_person IS NOT NULL AND at >= $1 AND at <= $2 ORDER BY at",
        )
        .bind(text(from))
        .bind(text(until))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Active champions of `person`'s department (top-level unit) or site, not the person:
    /// the department's first.
    pub async fn champions_near(&self, person: i64) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, u.path, p.site_id FROM champions c JOIN people p ON p.id = c.person_id \
             LEFT JOIN org_units u ON u.id = p.unit_id WHERE c.status = 'active' AND p.left_on IS NULL ORDER BY p.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let me = sqlx::query(
            "SELECT u.path, p.site_id FROM people p LEFT JOIN org_units u ON u.id = p.unit_id WHERE p.id = $1",
        )
        .bind(person)
        .fetch_optional(&self.pool)
        .await?;
        let Some(me) = me else {
            return Ok(Vec::new());
        };
        // The one reading of a department from a unit path (`Sales > EMEA` → `Sales`).
        let top = |p: Option<String>| {
            let d = crate::community::department_of(p);
            (!d.is_empty()).then_some(d)
        };
        let my_dept = top(me.try_get("path")?);
        let my_site: Option<i64> = me.try_get("site_id")?;
        let (mut dept, mut site) = (Vec::new(), Vec::new());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            if id == person {
                continue;
            }
            if my_dept.is_some() && top(r.try_get("path")?) == my_dept {
                dept.push(id);
            } else if my_site.is_some() && r.try_get::<Option<i64>, _>("site_id")? == my_site {
                site.push(id);
            }
        }
        dept.extend(site);
        Ok(dept)
    }
}
