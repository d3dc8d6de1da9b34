//! The tools catalog, the versions of the Cedar policy set, and the log of "Can I?"
//! questions. Policies are validated by the `policy` crate before they reach
//! [`Store::save_policy`]; the store keeps every version and the audit trail.

use flywheel_domain::program::Tool;
use serde::Serialize;
use sqlx::Row;

use crate::{now_text, Store, StoreError};

/// One saved version of the policy set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyVersion {
    pub version: i64,
    pub text: String,
    pub user_id: Option<i64>,
    pub note: String,
    pub created_at: String,
}

/// Where a question was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Web,
    Api,
    Cli,
    Slack,
    Teams,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Api => "api",
            Self::Cli => "cli",
            Self::Slack => "slack",
            Self::Teams => "teams",
        }
    }
}

/// A "Can I?" question and its answer, for the demand log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanIRecord<'a> {
    pub user_id: Option<i64>,
    pub person_id: Option<i64>,
    pub tool: &'a str,
    pub purpose: &'a str,
    pub data_class: &'a str,
    pub allowed: bool,
    pub policy_version: Option<i64>,
    pub channel: Channel,
}

fn json_list(v: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn list_json(column: &str, s: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(s)
        .map_err(|e| StoreError::Invalid(format!("tools.{column} is not a JSON list: {e}")))
}

impl Store {
    /// The catalogued tools, by name.
    pub async fn catalog(&self) -> Result<Vec<Tool>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, category, description, access_url, how_to, purposes, data_classes, alternatives, approved
             FROM tools WHERE catalogued = 1 ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Tool {
                    name: r.try_get("name")?,
                    category: r.try_get("category")?,
                    description: r.try_get("description")?,
                    access_url: r.try_get("access_url")?,
                    how_to: list_json("how_to", &r.try_get::<String, _>("how_to")?)?,
                    purposes: list_json("purposes", &r.try_get::<String, _>("purposes")?)?,
                    data_classes: list_json(
                        "data_classes",
                        &r.try_get::<String, _>("data_classes")?,
                    )?,
                    alternatives: list_json(
                        "alternatives",
                        &r.try_get::<String, _>("alternatives")?,
                    )?,
                    approved: r.try_get::<i64, _>("approved")? != 0,
                })
            })
            .collect()
    }

    /// Adds a tool to the catalog or replaces its entry (by name; a tool known from usage
    /// exports keeps its id and history). Audited as `catalog.change`. Returns whether
    /// anything changed: saving the same entry twice changes nothing.
    pub async fn save_tool(&self, tool: Tool, by: Option<i64>) -> Result<bool, StoreError> {
        let tool = tool
            .normalized()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        if self.catalog().await?.contains(&tool) {
            return Ok(false);
        }
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM tools WHERE name = $1")
            .bind(&tool.name)
            .fetch_optional(&mut *tx)
            .await?;
        let id = match id {
            Some(id) => id,
            None => {
                sqlx::query_scalar(
                    "INSERT INTO tools (name, category) VALUES ($1, $2) RETURNING id",
                )
                .bind(&tool.name)
                .bind(&tool.category)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        sqlx::query(
            "UPDATE tools SET catalogued = 1, category = $1, description = $2, access_url = $3, how_to = $4,
             purposes = $5, data_classes = $6, alternatives = $7, approved = $8 WHERE id = $9",
        )
        .bind(&tool.category)
        .bind(&tool.description)
        .bind(&tool.access_url)
        .bind(json_list(&tool.how_to)?)
        .bind(json_list(&tool.purposes)?)
        .bind(json_list(&tool.data_classes)?)
        .bind(json_list(&tool.alternatives)?)
        .bind(i64::from(tool.approved))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'catalog.change', $3, $4)")
            .bind(now_text())
            .bind(by)
            .bind(format!("tool:{id}"))
            .bind(format!(
                "{}: {}, purposes [{}], data [{}]",
                tool.name,
                if tool.approved { "approved" } else { "not approved" },
                tool.purposes.join(", "),
                tool.data_classes.join(", ")
            ))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The policy set in force (the highest version), if any was saved.
    pub async fn policy(&self) -> Result<Option<PolicyVersion>, StoreError> {
        Ok(self.policy_history(1).await?.into_iter().next())
    }

    /// The version in force, if any was saved (one cheap query, for caches).
    pub async fn policy_version(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MAX(version) FROM policies")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The latest `limit` versions, newest first.
    pub async fn policy_history(&self, limit: u32) -> Result<Vec<PolicyVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, text, user_id, note, created_at FROM policies ORDER BY version DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PolicyVersion {
                    version: r.try_get("version")?,
                    text: r.try_get("text")?,
                    user_id: r.try_get("user_id")?,
                    note: r.try_get("note")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Saves a new version of the policy set; the caller has validated it (crate
    /// `policy`). Saving the text in force again changes nothing and returns its version.
    /// Audited as `policy.change`.
    pub async fn save_policy(
        &self,
        text: &str,
        by: Option<i64>,
        note: &str,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let current =
            sqlx::query("SELECT version, text FROM policies ORDER BY version DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        let next = match current {
            Some(r) => {
                let version: i64 = r.try_get("version")?;
                if r.try_get::<String, _>("text")? == text {
                    return Ok(version);
                }
                version + 1
            }
            None => 1,
        };
        sqlx::query("INSERT INTO policies (version, text, user_id, note, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(next)
            .bind(text)
            .bind(by)
            .bind(note)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, 'policy.change', $3, $4)")
            .bind(now_text())
            .bind(by)
            .bind(format!("policy:{next}"))
            .bind(if note.is_empty() { format!("version {next}") } else { format!("version {next}: {note}") })
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Logs a question (the tool must be in the catalog).
    pub async fn log_can_i(&self, q: &CanIRecord<'_>) -> Result<(), StoreError> {
        let tool: Option<i64> = sqlx::query_scalar("SELECT id FROM tools WHERE name = $1")
            .bind(q.tool)
            .fetch_optional(&self.pool)
            .await?;
        let tool =
            tool.ok_or_else(|| StoreError::Invalid(format!("no tool named {:?}", q.tool)))?;
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO can_i_questions (at, user_id, person_id, tool_id, purpose, data_class, allowed, policy_version, channel)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(now_text())
        .bind(q.user_id)
        .bind(q.person_id)
        .bind(tool)
        .bind(q.purpose)
        .bind(q.data_class)
        .bind(i64::from(q.allowed))
        .bind(q.policy_version)
        .bind(q.channel.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Questions asked per (tool, purpose, data class, allowed), most asked first: what
    /// people want to do and where the policies say no.
    pub async fn can_i_demand(&self) -> Result<Vec<CanIDemand>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.name AS tool, q.purpose, q.data_class, q.allowed, COUNT(*) AS n
             FROM can_i_questions q JOIN tools t ON t.id = q.tool_id
             GROUP BY t.name, q.purpose, q.data_class, q.allowed
             ORDER BY n DESC, tool, q.purpose, q.data_class",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CanIDemand {
                    tool: r.try_get("tool")?,
                    purpose: r.try_get("purpose")?,
                    data_class: r.try_get("data_class")?,
                    allowed: r.try_get::<i64, _>("allowed")? != 0,
                    questions: r.try_get("n")?,
                })
            })
            .collect()
    }
}

/// How often one question was asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CanIDemand {
    pub tool: String,
    pub purpose: String,
    pub data_class: String,
    pub allowed: bool,
    pub questions: i64,
}
