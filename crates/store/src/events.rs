//! The program's own events: interventions, rollout waves, access requests, incidents, and
//! the stored history of stage evaluations. Names (unit paths, site and tool names) are
//! resolved here, and a name that matches nothing is refused with the name in the message.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{date_text, now_text, parse_date, Store, StoreError};

/// A stored intervention, with the names of its scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct InterventionRow {
    pub id: i64,
    pub kind: String,
    pub unit_id: Option<i64>,
    pub site_id: Option<i64>,
    pub tool_id: Option<i64>,
    pub day: String,
    pub note: String,
    pub unit_path: Option<String>,
    pub site_name: Option<String>,
    pub tool_name: Option<String>,
}

/// An intervention to record; scopes by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewIntervention<'a> {
    /// `training`, `champion` or `tool_approved`.
    pub kind: &'a str,
    pub unit_path: Option<&'a str>,
    pub site: Option<&'a str>,
    pub tool: Option<&'a str>,
    pub day: Option<NaiveDate>,
    pub note: &'a str,
}

/// An access request to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessRequest {
    pub person: i64,
    pub tool: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// `open`, `granted`, `denied` or `withdrawn`.
    pub state: &'static str,
}

/// An incident to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident {
    pub tool: Option<String>,
    pub person: Option<i64>,
    pub data_class: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: &'static str,
    pub what: String,
    /// `reported`, `triaged`, `contained` or `resolved`.
    pub state: &'static str,
    pub reported_at: DateTime<Utc>,
    pub intervened_at: Option<DateTime<Utc>>,
}

/// One stored stage evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StageEvaluationRow {
    pub id: i64,
    pub at: String,
    pub as_of: String,
    pub reached: String,
    pub config: String,
    /// The evaluation as JSON, every criterion with value, threshold and verdict.
    pub detail: String,
}

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Store {
    async fn id_by(&self, sql: &str, value: &str, what: &str) -> Result<i64, StoreError> {
        let id: Option<i64> = sqlx::query_scalar(sql)
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        id.ok_or_else(|| StoreError::Invalid(format!("no {what} {value:?}")))
    }

    async fn unit_id(&self, path: &str) -> Result<i64, StoreError> {
        self.id_by(
            "SELECT id FROM org_units WHERE path = $1",
            path,
            "unit with path",
        )
        .await
    }

    async fn site_id(&self, name: &str) -> Result<i64, StoreError> {
        self.id_by("SELECT id FROM sites WHERE name = $1", name, "site named")
            .await
    }

    async fn tool_id(&self, name: &str) -> Result<i64, StoreError> {
        self.id_by("SELECT id FROM tools WHERE name = $1", name, "tool named")
            .await
    }

    /// Every current person's id by HRIS id.
    pub async fn person_ids_by_hris(
        &self,
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT hris_id, id FROM people WHERE hris_id IS NOT NULL")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().collect())
    }

    /// Records an intervention; recording the same one again changes nothing. Returns its
    /// id and whether it was new.
    pub async fn record_intervention(
        &self,
        new: &NewIntervention<'_>,
    ) -> Result<(i64, bool), StoreError> {
        if !["training", "champion", "tool_approved"].contains(&new.kind) {
            return Err(StoreError::Invalid(format!(
                "intervention kind {:?} is not one of training, champion, tool_approved",
                new.kind
            )));
        }
        if new.unit_path.is_none() && new.site.is_none() && new.tool.is_none() {
            return Err(StoreError::Invalid(
                "an intervention needs a scope: a unit, a site or a tool".into(),
            ));
        }
        let unit = match new.unit_path {
            Some(p) => Some(self.unit_id(p).await?),
            None => None,
        };
        let site = match new.site {
            Some(s) => Some(self.site_id(s).await?),
            None => None,
        };
        let tool = match new.tool {
            Some(t) => Some(self.tool_id(t).await?),
            None => None,
        };
        let day = date_text(new.day.unwrap_or_else(|| Utc::now().date_naive()));
        let find = || {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM interventions WHERE kind = $1 AND COALESCE(unit_id, 0) = $2 \
                 AND COALESCE(site_id, 0) = $3 AND COALESCE(tool_id, 0) = $4 AND day = $5",
            )
            .bind(new.kind)
            .bind(unit.unwrap_or(0))
            .bind(site.unwrap_or(0))
            .bind(tool.unwrap_or(0))
            .bind(day.clone())
        };
        if let Some(id) = find().fetch_optional(&self.pool).await? {
            return Ok((id, false));
        }
        // In a transaction of its own: an `INSERT … RETURNING` read outside one hands back
        // the id before SQLite commits, and a failed commit (a full disk) went unseen.
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO interventions (kind, unit_id, site_id, tool_id, day, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.kind)
        .bind(unit)
        .bind(site)
        .bind(tool)
        .bind(day.clone())
        .bind(new.note)
        .bind(now_text())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((id, true))
    }

    /// Every intervention, oldest first.
    pub async fn intervention_rows(&self) -> Result<Vec<InterventionRow>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        intervention_rows(&mut conn).await
    }

    /// Schedules sites' rollout waves (site name, first day), replacing earlier dates, in
    /// one transaction: an unknown site name changes nothing.
    pub async fn set_waves(&self, waves: &[(String, NaiveDate)]) -> Result<(), StoreError> {
        let mut ids = Vec::with_capacity(waves.len());
        for (site, day) in waves {
            ids.push((self.site_id(site).await?, *day));
        }
        let mut tx = self.begin_write().await?;
        for (site, day) in ids {
            sqlx::query(
                "INSERT INTO rollout_waves (site_id, starts_on, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (site_id) DO UPDATE SET starts_on = excluded.starts_on, \
                 updated_at = excluded.updated_at",
            )
            .bind(site)
            .bind(date_text(day))
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every site with its wave's first day, if scheduled, in site id order.
    pub async fn waves(&self) -> Result<Vec<(String, Option<NaiveDate>)>, StoreError> {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT s.name, w.starts_on FROM sites s LEFT JOIN rollout_waves w \
             ON w.site_id = s.id ORDER BY s.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(s, d)| (s, parse_date(d))).collect())
    }

    /// Records access requests in one transaction; a request already recorded (same
    /// person, tool and time) is updated, not duplicated. Returns how many were new.
    pub async fn record_access_requests(
        &self,
        requests: &[NewAccessRequest],
    ) -> Result<u64, StoreError> {
        let mut tools = std::collections::HashMap::new();
        for r in requests {
            if let Some(t) = &r.tool {
                if !tools.contains_key(t) {
                    tools.insert(t.clone(), self.tool_id(t).await?);
                }
            }
        }
        let mut tx = self.begin_write().await?;
        let mut new = 0;
        for r in requests {
            let tool = r.tool.as_ref().and_then(|t| tools.get(t).copied());
            let at = instant(r.requested_at);
            let existing: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM access_requests WHERE person_id = $1 \
                 AND COALESCE(tool_id, 0) = $2 AND requested_at = $3",
            )
            .bind(r.person)
            .bind(tool.unwrap_or(0))
            .bind(at.clone())
            .fetch_optional(&mut *tx)
            .await?;
            let decided = r.decided_at.map(instant);
            match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE access_requests SET decided_at = $1, state = $2 WHERE id = $3",
                    )
                    .bind(decided)
                    .bind(r.state)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO access_requests (person_id, tool_id, requested_at, decided_at, state) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(r.person)
                    .bind(tool)
                    .bind(at)
                    .bind(decided)
                    .bind(r.state)
                    .execute(&mut *tx)
                    .await?;
                    new += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    /// Records incidents in one transaction. Returns their ids.
    pub async fn record_incidents(
        &self,
        incidents: &[NewIncident],
    ) -> Result<Vec<i64>, StoreError> {
        let mut resolved = Vec::with_capacity(incidents.len());
        for i in incidents {
            resolved.push(match &i.tool {
                Some(t) => Some(self.tool_id(t).await?),
                None => None,
            });
        }
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::with_capacity(incidents.len());
        for (i, tool) in incidents.iter().zip(resolved) {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO incidents (tool_id, person_id, data_class, severity, what, state, \
                 reported_at, intervened_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(tool)
            .bind(i.person)
            .bind(i.data_class.clone())
            .bind(i.severity)
            .bind(i.what.clone())
            .bind(i.state)
            .bind(instant(i.reported_at))
            .bind(i.intervened_at.map(instant))
            .fetch_one(&mut *tx)
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Stores a stage evaluation (the stage reached, the criteria file used, the evaluation
    /// as JSON); returns its id.
    pub async fn save_stage_evaluation(
        &self,
        as_of: NaiveDate,
        reached: &str,
        config: &str,
        detail: &str,
    ) -> Result<i64, StoreError> {
        // In a transaction of its own: an `INSERT … RETURNING` read outside one hands back
        // the id before SQLite commits, and a failed commit (a full disk) went unseen.
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO stage_evaluations (at, as_of, reached, config, detail) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(now_text())
        .bind(date_text(as_of))
        .bind(reached)
        .bind(config)
        .bind(detail)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The latest stage evaluations, newest first.
    pub async fn stage_evaluations(
        &self,
        limit: u32,
    ) -> Result<Vec<StageEvaluationRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, at, as_of, reached, config, detail FROM stage_evaluations \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Every intervention with the names of its scope, oldest first, on `conn` (so that the
/// population reads them in its snapshot).
pub(crate) async fn intervention_rows(
    conn: &mut sqlx::AnyConnection,
) -> Result<Vec<InterventionRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT i.id, i.kind, i.unit_id, i.site_id, i.tool_id, i.day, i.note, \
             u.path AS unit_path, s.name AS site_name, t.name AS tool_name \
             FROM interventions i LEFT JOIN org_units u ON u.id = i.unit_id \
             LEFT JOIN sites s ON s.id = i.site_id LEFT JOIN tools t ON t.id = i.tool_id \
             ORDER BY i.day, i.id",
    )
    .fetch_all(&mut *conn)
    .await?)
}
