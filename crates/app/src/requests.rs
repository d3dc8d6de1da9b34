//! Access requests and incidents: who may ask, decide, withdraw, report, triage and link a
//! guardrail, and who sees which.

use flywheel_domain::program::{IncidentState, RequestState, Severity};
use flywheel_store::{AccessClock, AccessRequestRow, IncidentRow, StoreError};

use crate::{App, AppError, AppResult};

/// An incident as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentReport {
    pub tool: Option<String>,
    pub data_class: String,
    pub severity: Severity,
    pub what: String,
}

impl App {
    /// The response clock over all access requests (aggregates: every caller).
    pub async fn access_clock(&self) -> AppResult<AccessClock> {
        Ok(self.store().access_clock().await?)
    }

    fn user_id(&self) -> Option<i64> {
        self.caller().user().map(|u| u.id)
    }

    /// Asks for access to a catalog tool, as the caller's person; the request's id.
    pub async fn request_access(&self, tool: &str, reason: &str) -> AppResult<i64> {
        self.require_write("request access")?;
        let person = self.person()?;
        Ok(self
            .store()
            .request_access(person, self.user_id(), tool, reason)
            .await?)
    }

    /// Grants or denies request `id` (admins), or withdraws it (its requester only).
    pub async fn decide_request(
        &self,
        id: i64,
        decision: RequestState,
        note: &str,
    ) -> AppResult<AccessRequestRow> {
        let current = self
            .store()
            .access_request(id)
            .await?
            .ok_or_else(|| StoreError::not_found("request", id))?;
        if decision == RequestState::Withdrawn {
            self.require_write("withdraw requests")?;
            let mine = self.caller().user().and_then(|u| u.person_id) == Some(current.person_id);
            if !mine {
                return Err(AppError::Forbidden(
                    "only the requester withdraws a request".into(),
                ));
            }
        } else {
            self.require_admin("grant or deny access")?;
        }
        let row = self
            .store()
            .decide_request(id, decision, self.user_id(), note)
            .await?;
        if decision != RequestState::Withdrawn {
            let tool = row.tool.as_deref().unwrap_or("a tool");
            let said = if note.trim().is_empty() {
                String::new()
            } else {
                format!(" Note: {}", note.trim())
            };
            let text = format!(
                "Your request #{id} for {tool} was {}.{said}",
                row.state.as_str()
            );
            self.notice(
                "request_decided",
                row.person_id,
                &format!("request:{id}"),
                &text,
            )
            .await;
        }
        Ok(row)
    }

    /// The requests the caller may see: all for admins (audited, as individual-level
    /// data), their person's for others.
    pub async fn visible_requests(&self, state: Option<&str>) -> AppResult<Vec<AccessRequestRow>> {
        let store = self.store();
        if self.caller().is_admin() {
            store
                .audit(
                    self.user_id(),
                    "requests.list",
                    "access_requests",
                    "listed access requests",
                )
                .await?;
            return Ok(store.access_requests(None, state).await?);
        }
        match self.caller().user().and_then(|u| u.person_id) {
            Some(p) => Ok(store.access_requests(Some(p), state).await?),
            None => Ok(Vec::new()),
        }
    }

    /// The response clock's target, in hours.
    pub async fn access_target_hours(&self) -> AppResult<f64> {
        Ok(self.store().access_target_hours().await?)
    }

    /// Sets the response clock's target (admins; more than 0, at most 30 days; audited).
    pub async fn set_access_target_hours(&self, hours: f64) -> AppResult<()> {
        self.require_admin("change the response-clock target")?;
        if !(hours > 0.0 && hours <= 24.0 * 30.0) {
            return Err(AppError::Invalid(
                "the target must be more than 0 and at most 720 hours".into(),
            ));
        }
        self.store()
            .set_setting("access_target_hours", &hours.to_string())
            .await?;
        Ok(self
            .store()
            .audit(
                self.user_id(),
                "settings.access_target_hours",
                "settings",
                &hours.to_string(),
            )
            .await?)
    }

    /// Marks the open requests past the target as reminded (admins: what a scheduler or
    /// the server runs); those requests.
    pub async fn remind_overdue(&self) -> AppResult<Vec<AccessRequestRow>> {
        self.require_admin("send reminders")?;
        Ok(self.store().remind_overdue().await?)
    }

    /// Access request `id`, to its requester and to admins (to anyone else it is not
    /// found, so its existence is not revealed).
    pub async fn access_request(&self, id: i64) -> AppResult<AccessRequestRow> {
        let own = self.caller().user().and_then(|u| u.person_id);
        self.store()
            .access_request(id)
            .await?
            .filter(|r| self.caller().is_admin() || Some(r.person_id) == own)
            .ok_or_else(|| StoreError::not_found("access request", id).into())
    }

    /// Incident `id`, to the account that reported it and to admins (to anyone else it is
    /// not found).
    pub async fn incident(&self, id: i64) -> AppResult<IncidentRow> {
        let email = self.caller().user().map(|u| u.email.clone());
        self.store()
            .incident(id)
            .await?
            .filter(|i| self.caller().is_admin() || (email.is_some() && i.reported_by == email))
            .ok_or_else(|| StoreError::not_found("incident", id).into())
    }

    /// Reports an incident (every role but viewer); its id.
    pub async fn report_incident(&self, r: &IncidentReport) -> AppResult<i64> {
        self.require_write("report incidents")?;
        let user = self.caller().user();
        Ok(self
            .store()
            .report_incident(
                user.map(|u| u.id),
                user.and_then(|u| u.person_id),
                r.tool.as_deref(),
                &r.data_class,
                r.severity,
                &r.what,
            )
            .await?)
    }

    /// The incidents the caller may see: all for admins, what they reported otherwise.
    pub async fn visible_incidents(&self) -> AppResult<Vec<IncidentRow>> {
        if self.caller().is_admin() {
            Ok(self.store().incidents(None).await?)
        } else {
            match self.user_id() {
                Some(u) => Ok(self.store().incidents(Some(u)).await?),
                None => Ok(Vec::new()),
            }
        }
    }

    /// Moves incident `id` forward in triage (admins).
    pub async fn triage_incident(&self, id: i64, to: IncidentState) -> AppResult<IncidentRow> {
        self.require_admin("triage incidents")?;
        if self.store().incident(id).await?.is_none() {
            return Err(StoreError::not_found("incident", id).into());
        }
        Ok(self.store().move_incident(id, to, self.user_id()).await?)
    }

    /// Links the policy version incident `id` led to (admins).
    pub async fn link_guardrail(
        &self,
        id: i64,
        version: i64,
        note: &str,
    ) -> AppResult<IncidentRow> {
        self.require_admin("link guardrails")?;
        Ok(self
            .store()
            .link_guardrail(id, version, note, self.user_id())
            .await?)
    }
}
