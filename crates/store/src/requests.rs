//! Access requests with their response clock, and incidents with triage and the guardrail
//! each led to.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::Row;

use flywheel_domain::program::{IncidentState, RequestState, Severity};

use crate::{now_text, Store, StoreError};

fn parse_instant(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Invalid(format!("instant {s:?}: {e}")))
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 3_600_000.0
}

/// An access request as listed, with its clock.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccessRequestRow {
    pub id: i64,
    pub person_id: i64,
    pub person: String,
    pub tool: Option<String>,
    pub reason: String,
    pub state: RequestState,
    pub requested_at: String,
    pub decided_at: Option<String>,
    /// Email of the approver.
    pub decided_by: Option<String>,
    pub decision_note: String,
    /// Hours from the request to its decision, or to now while open.
    pub clock_hours: f64,
    /// Open and past the target.
    pub overdue: bool,
    pub reminders: i64,
}

/// The response clock over all requests.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccessClock {
    pub target_hours: f64,
    pub open: usize,
    pub overdue: usize,
    pub decided: usize,
    pub granted: usize,
    pub median_hours_to_decision: Option<f64>,
    pub p90_hours_to_decision: Option<f64>,
    /// Decided requests decided within the target.
    pub share_within_target: Option<f64>,
    /// Granted requests whose person used the tool on or after the day of the grant.
    pub used_after_grant: usize,
    /// Median days from the grant to the first day of use (usage data is daily).
    pub median_days_grant_to_first_use: Option<f64>,
    /// Share of used grants first used on the day of the grant.
    pub share_used_same_day: Option<f64>,
}

/// An incident as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    pub id: i64,
    pub tool: Option<String>,
    pub data_class: String,
    pub severity: Severity,
    pub what: String,
    pub state: IncidentState,
    pub reported_at: String,
    pub intervened_at: Option<String>,
    pub resolved_at: Option<String>,
    pub hours_to_intervene: Option<f64>,
    /// Email of the reporting account (reports made on Flywheel).
    pub reported_by: Option<String>,
    pub guardrail_version: Option<i64>,
    pub guardrail_note: String,
}

/// The `p`-quantile (0–1) of sorted values, by linear interpolation.
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = p * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

const REQUEST_SELECT: &str =
    "SELECT r.id, r.person_id, p.display_name, t.name AS tool, r.reason, r.state,
        r.requested_at, r.decided_at, u.email AS decided_by, r.decision_note, r.reminders
    FROM access_requests r JOIN people p ON p.id = r.person_id
    LEFT JOIN tools t ON t.id = r.tool_id LEFT JOIN users u ON u.id = r.decided_by";

fn request_row(
    r: &sqlx::any::AnyRow,
    now: DateTime<Utc>,
    target: f64,
) -> Result<AccessRequestRow, StoreError> {
    let requested_at: String = r.try_get("requested_at")?;
    let decided_at: Option<String> = r.try_get("decided_at")?;
    let start = parse_instant(&requested_at)?;
    let end = match &decided_at {
        Some(d) => parse_instant(d)?,
        None => now,
    };
    let state = RequestState::parse(&r.try_get::<String, _>("state")?)?;
    let clock = hours(start, end);
    Ok(AccessRequestRow {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        person: r.try_get("display_name")?,
        tool: r.try_get("tool")?,
        reason: r.try_get("reason")?,
        overdue: state == RequestState::Open && clock > target,
        state,
        requested_at,
        decided_at,
        decided_by: r.try_get("decided_by")?,
        decision_note: r.try_get("decision_note")?,
        clock_hours: clock,
        reminders: r.try_get("reminders")?,
    })
}

const INCIDENT_SELECT: &str = "SELECT i.id, t.name AS tool, i.data_class, i.severity, i.what, i.state,
        i.reported_at, i.intervened_at, i.resolved_at, u.email AS reported_by, i.guardrail_version, i.guardrail_note
    FROM incidents i LEFT JOIN tools t ON t.id = i.tool_id LEFT JOIN users u ON u.id = i.reported_by";

fn incident_row(r: &sqlx::any::AnyRow) -> Result<IncidentRow, StoreError> {
    let reported_at: String = r.try_get("reported_at")?;
    let intervened_at: Option<String> = r.try_get("intervened_at")?;
    let hours_to_intervene = match &intervened_at {
        Some(i) => Some(hours(parse_instant(&reported_at)?, parse_instant(i)?)),
        None => None,
    };
    Ok(IncidentRow {
        id: r.try_get("id")?,
        tool: r.try_get("tool")?,
        data_class: r.try_get("data_class")?,
        severity: Severity::parse(&r.try_get::<String, _>("severity")?)?,
        what: r.try_get("what")?,
        state: IncidentState::parse(&r.try_get::<String, _>("state")?)?,
        reported_at,
        intervened_at,
        resolved_at: r.try_get("resolved_at")?,
        hours_to_intervene,
        reported_by: r.try_get("reported_by")?,
        guardrail_version: r.try_get("guardrail_version")?,
        guardrail_note: r.try_get("guardrail_note")?,
    })
}

impl Store {
    /// The response-clock target in hours (setting `access_target_hours`, default 1: a
    /// curious employee productive within the hour).
    pub async fn access_target_hours(&self) -> Result<f64, StoreError> {
        let v = self.setting("access_target_hours", "1").await?;
        v.parse::<f64>().ok().filter(|h| *h > 0.0).ok_or_else(|| {
            StoreError::Config(format!(
                "setting access_target_hours is not a positive number: {v:?}"
            ))
        })
    }

    /// Requests access to a catalogued tool; a second open request for the same tool is
    /// refused. Returns the id.
    pub async fn request_access(
        &self,
        person_id: i64,
        user_id: Option<i64>,
        tool: &str,
        reason: &str,
    ) -> Result<i64, StoreError> {
        let tool_id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM tools WHERE name = $1 AND catalogued = 1")
                .bind(tool.trim())
                .fetch_optional(&self.pool)
                .await?;
        let tool_id = tool_id
            .ok_or_else(|| StoreError::Invalid(format!("no tool named {tool:?} in the catalog")))?;
        if reason.chars().count() > 1000 {
            return Err(StoreError::Invalid(
                "the reason is limited to 1,000 characters".into(),
            ));
        }
        // The check and the insert in one transaction that holds the lock for new requests
        // (the write lock on SQLite), so two requests at once cannot both find none open.
        let mut tx = self.begin_write().await?;
        self.serialize(&mut tx, crate::TxLock::AccessRequests)
            .await?;
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM access_requests WHERE person_id = $1 AND tool_id = $2 AND state = 'open'",
        )
        .bind(person_id)
        .bind(tool_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = open {
            return Err(StoreError::Conflict(format!(
                "you already have an open request for {} (request {id})",
                tool.trim()
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO access_requests (person_id, tool_id, requested_at, state, user_id, reason)
             VALUES ($1, $2, $3, 'open', $4, $5) RETURNING id",
        )
        .bind(person_id)
        .bind(tool_id)
        .bind(now_text())
        .bind(user_id)
        .bind(reason.trim())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Requests, newest first: all, or one person's, or only those in a state.
    pub async fn access_requests(
        &self,
        person_id: Option<i64>,
        state: Option<&str>,
    ) -> Result<Vec<AccessRequestRow>, StoreError> {
        let target = self.access_target_hours().await?;
        let mut sql = format!("{REQUEST_SELECT} WHERE 1 = 1");
        if person_id.is_some() {
            sql.push_str(" AND r.person_id = $1");
        }
        if state.is_some() {
            sql.push_str(if person_id.is_some() {
                " AND r.state = $2"
            } else {
                " AND r.state = $1"
            });
        }
        sql.push_str(" ORDER BY r.requested_at DESC, r.id DESC");
        let mut q = sqlx::query(&sql);
        if let Some(p) = person_id {
            q = q.bind(p);
        }
        if let Some(s) = state {
            q = q.bind(s.to_owned());
        }
        let now = Utc::now();
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| request_row(r, now, target))
            .collect()
    }

    /// One request.
    pub async fn access_request(&self, id: i64) -> Result<Option<AccessRequestRow>, StoreError> {
        let target = self.access_target_hours().await?;
        let row = sqlx::query(&format!("{REQUEST_SELECT} WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| request_row(&r, Utc::now(), target)).transpose()
    }

    /// Grants or denies an open request (or withdraws it, by its requester). Audited.
    pub async fn decide_request(
        &self,
        id: i64,
        target: RequestState,
        by: Option<i64>,
        note: &str,
    ) -> Result<AccessRequestRow, StoreError> {
        if target == RequestState::Open {
            return Err(StoreError::Invalid(
                "\"open\" is not a decision (granted, denied, withdrawn)".into(),
            ));
        }
        let to = target.as_str();
        // Only an open request is decided: the check and the change are one conditional
        // statement, so of several decisions at once exactly one wins; the others are told
        // the state it left.
        RequestState::Open
            .transition(target)
            .map_err(|e| StoreError::Invalid(format!("request {id}: {e}")))?;
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let requested_at: Option<String> = sqlx::query_scalar(
            "UPDATE access_requests SET state = $1, decided_at = $2, decided_by = $3, decision_note = $4 \
             WHERE id = $5 AND state = 'open' RETURNING requested_at",
        )
        .bind(to)
        .bind(&now)
        .bind(by)
        .bind(note.trim())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(requested_at) = requested_at else {
            tx.rollback().await?;
            return Err(match self.access_request(id).await? {
                None => StoreError::not_found("request", id),
                Some(cur) => StoreError::Conflict(format!(
                    "request {id} is {} already; only an open request can be {to}",
                    cur.state
                )),
            });
        };
        let clock = hours(parse_instant(&requested_at)?, parse_instant(&now)?);
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'request.decide', $3, $4)")
            .bind(&now)
            .bind(by)
            .bind(format!("request:{id}"))
            .bind(format!("{to} after {clock:.1} hours"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.access_request(id)
            .await?
            .ok_or_else(|| StoreError::not_found("request", id))
    }

    /// Marks open requests past the target as reminded (again once per target period)
    /// and returns them: what `flywheel requests remind` prints for a mail or chat job,
    /// and what the approvers' page highlights. Audited when there are any.
    pub async fn remind_overdue(&self) -> Result<Vec<AccessRequestRow>, StoreError> {
        let target = self.access_target_hours().await?;
        let now = Utc::now();
        let cutoff = text(now - Duration::milliseconds((target * 3_600_000.0).ceil() as i64));
        let rows = sqlx::query(&format!(
            "{REQUEST_SELECT} WHERE r.state = 'open' AND r.requested_at <= $1
             AND (r.reminded_at IS NULL OR r.reminded_at <= $1) ORDER BY r.requested_at"
        ))
        .bind(&cutoff)
        .fetch_all(&self.pool)
        .await?;
        let due: Vec<AccessRequestRow> = rows
            .iter()
            .map(|r| request_row(r, now, target))
            .collect::<Result<_, _>>()?;
        if due.is_empty() {
            return Ok(due);
        }
        let mut tx = self.begin_write().await?;
        for r in &due {
            sqlx::query("UPDATE access_requests SET reminded_at = $1, reminders = reminders + 1 WHERE id = $2")
                .bind(text(now))
                .bind(r.id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, NULL, 'request.remind', 'access_requests', $2)")
            .bind(text(now))
            .bind(format!("{} open requests past the {target}-hour target", due.len()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(due
            .into_iter()
            .map(|r| AccessRequestRow {
                reminders: r.reminders + 1,
                ..r
            })
            .collect())
    }

    /// The response clock over every request, and how soon grants turn into use.
    pub async fn access_clock(&self) -> Result<AccessClock, StoreError> {
        let target = self.access_target_hours().await?;
        let all = self.access_requests(None, None).await?;
        let mut decided: Vec<f64> = all
            .iter()
            .filter(|r| r.decided_at.is_some() && r.state != RequestState::Withdrawn)
            .map(|r| r.clock_hours)
            .collect();
        decided.sort_by(f64::total_cmp);
        let rows = sqlx::query(
            "SELECT r.id, r.decided_at, MIN(u.day) AS first_day FROM access_requests r
             JOIN usage u ON u.person_id = r.person_id AND u.tool_id = r.tool_id AND u.day >= SUBSTR(r.decided_at, 1, 10)
             WHERE r.state = 'granted' AND r.decided_at IS NOT NULL GROUP BY r.id, r.decided_at",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut days: Vec<f64> = Vec::new();
        for r in &rows {
            let decided: String = r.try_get("decided_at")?;
            let first: String = r.try_get("first_day")?;
            let d0 = parse_instant(&decided)?.date_naive();
            let d1 = NaiveDate::parse_from_str(&first, "%Y-%m-%d")
                .map_err(|e| StoreError::Invalid(format!("usage day {first:?}: {e}")))?;
            days.push((d1 - d0).num_days() as f64);
        }
        days.sort_by(f64::total_cmp);
        Ok(AccessClock {
            target_hours: target,
            open: all.iter().filter(|r| r.state == RequestState::Open).count(),
            overdue: all.iter().filter(|r| r.overdue).count(),
            decided: decided.len(),
            granted: all
                .iter()
                .filter(|r| r.state == RequestState::Granted)
                .count(),
            median_hours_to_decision: quantile(&decided, 0.5),
            p90_hours_to_decision: quantile(&decided, 0.9),
            share_within_target: (!decided.is_empty()).then(|| {
                decided.iter().filter(|h| **h <= target).count() as f64 / decided.len() as f64
            }),
            used_after_grant: days.len(),
            median_days_grant_to_first_use: quantile(&days, 0.5),
            share_used_same_day: (!days.is_empty())
                .then(|| days.iter().filter(|d| **d == 0.0).count() as f64 / days.len() as f64),
        })
    }

    /// Reports an incident made on Flywheel; returns its id.
    #[allow(
        clippy::too_many_arguments,
        reason = "one field per column of a report"
    )]
    pub async fn report_incident(
        &self,
        user_id: Option<i64>,
        person_id: Option<i64>,
        tool: Option<&str>,
        data_class: &str,
        severity: Severity,
        what: &str,
    ) -> Result<i64, StoreError> {
        let class = flywheel_domain::program::data_class(data_class)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let what = what.trim();
        if what.is_empty() || what.chars().count() > 4000 {
            return Err(StoreError::Invalid(
                "say what happened, in at most 4,000 characters".into(),
            ));
        }
        let tool_id: Option<i64> = match tool.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Some(
                sqlx::query_scalar::<_, i64>("SELECT id FROM tools WHERE name = $1")
                    .bind(t)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(|| StoreError::Invalid(format!("no tool named {t:?}")))?,
            ),
            None => None,
        };
        // In a transaction of its own: an `INSERT … RETURNING` read outside one hands back
        // the id before SQLite commits, and a failed commit (a full disk) went unseen.
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO incidents (tool_id, person_id, data_class, severity, what, state, reported_at, reported_by)
             VALUES ($1, $2, $3, $4, $5, 'reported', $6, $7) RETURNING id",
        )
        .bind(tool_id)
        .bind(person_id)
        .bind(class)
        .bind(severity.as_str())
        .bind(what)
        .bind(now_text())
        .bind(user_id)
                .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Incidents, newest first: all, or only those reported by an account.
    pub async fn incidents(
        &self,
        reported_by: Option<i64>,
    ) -> Result<Vec<IncidentRow>, StoreError> {
        let rows = match reported_by {
            Some(u) => {
                sqlx::query(&format!(
                "{INCIDENT_SELECT} WHERE i.reported_by = $1 ORDER BY i.reported_at DESC, i.id DESC"
            ))
                .bind(u)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "{INCIDENT_SELECT} ORDER BY i.reported_at DESC, i.id DESC"
                ))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(incident_row).collect()
    }

    /// One incident.
    pub async fn incident(&self, id: i64) -> Result<Option<IncidentRow>, StoreError> {
        let row = sqlx::query(&format!("{INCIDENT_SELECT} WHERE i.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| incident_row(&r)).transpose()
    }

    /// Moves an incident forward in triage (steps may be skipped, never undone). The
    /// first move stamps the time of intervention; `resolved` stamps the resolution.
    /// Audited.
    pub async fn move_incident(
        &self,
        id: i64,
        target: IncidentState,
        by: Option<i64>,
    ) -> Result<IncidentRow, StoreError> {
        if target == IncidentState::Reported {
            return Err(StoreError::Invalid(
                "\"reported\" is not a triage state (triaged, contained, resolved)".into(),
            ));
        }
        // Forward only (the domain's rule). The current state is read under the row's lock
        // (the write lock on SQLite), so of two moves at once the second sees the first's
        // result: the one that would go backwards (or nowhere) loses with the state it
        // found.
        let mut tx = self.begin_write().await?;
        let from: Option<String> = sqlx::query_scalar(&format!(
            "SELECT state FROM incidents WHERE id = $1{}",
            self.for_update()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(from) = from else {
            return Err(StoreError::not_found("incident", id));
        };
        if IncidentState::parse(&from)?.transition(target).is_err() {
            return Err(StoreError::Conflict(format!(
                "incident {id} is {from}; it can only move forward"
            )));
        }
        let to = target.as_str();
        let now = now_text();
        sqlx::query(
            "UPDATE incidents SET state = $1, intervened_at = COALESCE(intervened_at, $2),
             resolved_at = CASE WHEN $1 = 'resolved' THEN $2 ELSE resolved_at END WHERE id = $3",
        )
        .bind(to)
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'incident.triage', $3, $4)")
            .bind(&now)
            .bind(by)
            .bind(format!("incident:{id}"))
            .bind(format!("{from} -> {to}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.incident(id)
            .await?
            .ok_or_else(|| StoreError::not_found("incident", id))
    }

    /// Links an incident to the policy version (guardrail) it led to. Audited.
    pub async fn link_guardrail(
        &self,
        id: i64,
        version: i64,
        note: &str,
        by: Option<i64>,
    ) -> Result<IncidentRow, StoreError> {
        if self.incident(id).await?.is_none() {
            return Err(StoreError::not_found("incident", id));
        }
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT version FROM policies WHERE version = $1")
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
        if exists.is_none() {
            return Err(StoreError::Invalid(format!("no policy version {version}")));
        }
        let now = now_text();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE incidents SET guardrail_version = $1, guardrail_note = $2 WHERE id = $3",
        )
        .bind(version)
        .bind(note.trim())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'incident.guardrail', $3, $4)")
            .bind(&now)
            .bind(by)
            .bind(format!("incident:{id}"))
            .bind(format!("led to policy version {version}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.incident(id)
            .await?
            .ok_or_else(|| StoreError::not_found("incident", id))
    }
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[3.0], 0.9), Some(3.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[0.0, 10.0], 0.9), Some(9.0));
    }
}
