//! SCIM provisioning: resources as the identity provider wrote them, and what each write
//! does to the accounts, in the same transaction: a User's account found (tied, or by
//! email) or made without a password, renamed when its email changes, linked to a person,
//! disabled and its sessions ended when `active` is false (its history kept); a Group's
//! members kept by index; and every account whose groups changed given the role they
//! give. The documents are opaque here (the `scim` crate and `app::provisioning` read
//! them), except that a deleted user is taken out of the groups that list it.

use flywheel_domain::program::RoleGroups;
use sqlx::Row;

use crate::oidc::{change_role, person_of, PersonKey};
use crate::users::{insert_user, user_row};
use crate::{now_text, Role, Store, StoreError, User, NO_PASSWORD};

/// A stored resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimRecord {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub external_id: Option<String>,
    /// A User's account.
    pub user_id: Option<i64>,
    /// The attributes, as JSON text.
    pub doc: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// What a User's write means for its account.
#[derive(Debug, Clone)]
pub struct ScimAccount {
    /// The account's email (the primary email, else the userName when it is one).
    pub email: Option<String>,
    pub active: bool,
    /// The ways to find the person, in order (employee number, externalId, email).
    pub people: Vec<PersonKey>,
}

/// One write of a resource.
#[derive(Debug, Clone)]
pub struct ScimWrite {
    pub kind: &'static str,
    /// The resource's id (made by the caller for a create).
    pub id: String,
    /// Whether it must exist (replace, patch) or must not (create).
    pub create: bool,
    pub name: String,
    pub external_id: Option<String>,
    pub doc: String,
    /// A User's account.
    pub account: Option<ScimAccount>,
    /// A Group's member ids.
    pub members: Option<Vec<String>>,
    /// The groups that give roles.
    pub roles: RoleGroups,
}

const COLUMNS: &str = "id, kind, name, external_id, user_id, doc, version, created_at, updated_at";

fn record(r: &sqlx::any::AnyRow) -> Result<ScimRecord, StoreError> {
    Ok(ScimRecord {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        external_id: r.try_get("external_id")?,
        user_id: r.try_get("user_id")?,
        doc: r.try_get("doc")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Store {
    /// The resource `id` of `kind`.
    pub async fn scim_get(&self, kind: &str, id: &str) -> Result<Option<ScimRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM scim_resources WHERE kind = $1 AND id = $2"
        ))
        .bind(kind)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(record).transpose()
    }

    /// The resources of `kind` whose name (case-insensitively) or externalId is `value`.
    pub async fn scim_by(
        &self,
        kind: &str,
        by_name: bool,
        value: &str,
    ) -> Result<Vec<ScimRecord>, StoreError> {
        let (col, v) = if by_name {
            ("name_key", value.to_lowercase())
        } else {
            ("external_id", value.to_owned())
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM scim_resources WHERE kind = $1 AND {col} = $2 ORDER BY created_at, id"
        ))
        .bind(kind)
        .bind(v)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    /// A page of the resources of `kind` (oldest first) and how many there are.
    pub async fn scim_page(
        &self,
        kind: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<ScimRecord>), StoreError> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scim_resources WHERE kind = $1")
            .bind(kind)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM scim_resources WHERE kind = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3"
        ))
        .bind(kind)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok((total, rows.iter().map(record).collect::<Result<_, _>>()?))
    }

    /// The groups `member_id` belongs to: `(id, displayName)`.
    pub async fn scim_groups_of(
        &self,
        member_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.name FROM scim_members m JOIN scim_resources r ON r.id = m.group_id \
             WHERE m.member_id = $1 ORDER BY r.name",
        )
        .bind(member_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect()
    }

    /// Creates or replaces a resource and applies what it means to the accounts, in one
    /// transaction (audited with `by`). The record as stored.
    pub async fn scim_write(
        &self,
        w: &ScimWrite,
        by: Option<i64>,
    ) -> Result<ScimRecord, StoreError> {
        let now = now_text();
        let mut tx = self.begin_write().await?;
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT id FROM scim_resources WHERE kind = $1 AND name_key = $2 AND id <> $3",
        )
        .bind(w.kind)
        .bind(w.name.to_lowercase())
        .bind(&w.id)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "a {} named {:?} exists already",
                w.kind, w.name
            )));
        }
        let old = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM scim_resources WHERE kind = $1 AND id = $2"
        ))
        .bind(w.kind)
        .bind(&w.id)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(record)
        .transpose()?;
        let (created_at, version, mut user_id) = match (&old, w.create) {
            (Some(_), true) => {
                return Err(StoreError::Conflict(format!(
                    "{} {} exists already",
                    w.kind, w.id
                )))
            }
            (None, false) => return Err(StoreError::not_found(w.kind, &w.id)),
            (Some(o), false) => (o.created_at.clone(), o.version + 1, o.user_id),
            (None, true) => (now.clone(), 1, None),
        };
        if let Some(a) = &w.account {
            user_id = account_for(&mut tx, user_id, a, &w.name, by).await?;
        }
        if w.create {
            sqlx::query(
                "INSERT INTO scim_resources (id, kind, name, name_key, external_id, user_id, doc, version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&w.id)
            .bind(w.kind)
            .bind(&w.name)
            .bind(w.name.to_lowercase())
            .bind(&w.external_id)
            .bind(user_id)
            .bind(&w.doc)
            .bind(version)
            .bind(&created_at)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE scim_resources SET name = $1, name_key = $2, external_id = $3, user_id = $4, doc = $5, version = $6, updated_at = $7 \
                 WHERE kind = $8 AND id = $9",
            )
            .bind(&w.name)
            .bind(w.name.to_lowercase())
            .bind(&w.external_id)
            .bind(user_id)
            .bind(&w.doc)
            .bind(version)
            .bind(&now)
            .bind(w.kind)
            .bind(&w.id)
            .execute(&mut *tx)
            .await?;
        }
        let mut affected = vec![w.id.clone()];
        if let Some(members) = &w.members {
            affected = replace_members(&mut tx, &w.id, members).await?;
        }
        if w.roles.any() {
            for member in &affected {
                give_roles(&mut tx, member, &w.roles).await?;
            }
        }
        crate::audit::audit_in(
            &mut tx,
            by,
            if w.create {
                "scim.create"
            } else {
                "scim.replace"
            },
            &format!("{}:{}", w.kind, w.id),
            &w.name,
        )
        .await?;
        tx.commit().await?;
        Ok(ScimRecord {
            id: w.id.clone(),
            kind: w.kind.to_owned(),
            name: w.name.clone(),
            external_id: w.external_id.clone(),
            user_id,
            doc: w.doc.clone(),
            version,
            created_at,
            updated_at: now,
        })
    }

    /// Deletes a resource. A User's account is disabled (its history kept, its sessions
    /// ended) and the user leaves every group; a Group's members lose the role it gave.
    /// `false` when there was none.
    pub async fn scim_delete(
        &self,
        kind: &str,
        id: &str,
        roles: &RoleGroups,
        by: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let user_id: Option<Option<i64>> =
            sqlx::query_scalar("SELECT user_id FROM scim_resources WHERE kind = $1 AND id = $2")
                .bind(kind)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(user_id) = user_id else {
            return Ok(false);
        };
        let mut affected = Vec::new();
        if kind == "User" {
            if let Some(u) = user_id {
                disable(&mut tx, u, "deleted by the identity provider").await?;
            }
            leave_groups(&mut tx, id).await?;
        } else {
            affected = replace_members(&mut tx, id, &[]).await?;
        }
        sqlx::query("DELETE FROM scim_resources WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if roles.any() {
            for member in &affected {
                give_roles(&mut tx, member, roles).await?;
            }
        }
        crate::audit::audit_in(&mut tx, by, "scim.delete", &format!("{kind}:{id}"), "").await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// The account of a User being written: its own, else the account of the email, else a
/// new one without a password (none without an email). Renamed, linked, disabled or
/// enabled as the resource says.
async fn account_for(
    tx: &mut Tx,
    current: Option<i64>,
    a: &ScimAccount,
    name: &str,
    by: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    let mut user = match current {
        Some(id) => sqlx::query("SELECT id, email, role, person_id FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .as_ref()
            .map(user_row)
            .transpose()?,
        None => None,
    };
    if user.is_none() {
        let Some(email) = &a.email else {
            return Ok(None);
        };
        user = sqlx::query("SELECT id, email, role, person_id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut **tx)
            .await?
            .as_ref()
            .map(user_row)
            .transpose()?;
        if user.is_none() {
            let fresh = User {
                id: 0,
                email: email.clone(),
                role: Role::Employee,
                person_id: None,
            };
            let detail = format!("provisioned by SCIM as {name}, without a password");
            user = Some(insert_user(tx, fresh, NO_PASSWORD, "user.scim_create", &detail).await?);
        }
    }
    let Some(mut user) = user else {
        return Ok(None);
    };
    if let Some(email) = a.email.as_ref().filter(|e| **e != user.email) {
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut **tx)
            .await?;
        if taken.is_none() {
            sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
                .bind(email)
                .bind(user.id)
                .execute(&mut **tx)
                .await?;
            crate::audit::audit_in(
                tx,
                by,
                "user.email",
                &format!("user:{}", user.id),
                &format!("{} -> {email}", user.email),
            )
            .await?;
            user.email = email.clone();
        }
    }
    if user.person_id.is_none() {
        for key in &a.people {
            if let Some(p) = person_of(tx, Some(key)).await? {
                sqlx::query("UPDATE users SET person_id = $1 WHERE id = $2")
                    .bind(p)
                    .bind(user.id)
                    .execute(&mut **tx)
                    .await?;
                break;
            }
        }
    }
    let disabled: Option<String> =
        sqlx::query_scalar("SELECT disabled_at FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one(&mut **tx)
            .await?;
    match (a.active, disabled.is_some()) {
        (false, false) => {
            disable(tx, user.id, "active set to false by the identity provider").await?;
        }
        (true, true) => {
            sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1")
                .bind(user.id)
                .execute(&mut **tx)
                .await?;
            crate::audit::audit_in(
                tx,
                by,
                "user.enable",
                &format!("user:{}", user.id),
                "active set to true by the identity provider",
            )
            .await?;
        }
        _ => {}
    }
    Ok(Some(user.id))
}

/// Disables an account: it cannot sign in, its sessions end, its history stays.
async fn disable(tx: &mut Tx, user_id: i64, why: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
        .bind(now_text())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    crate::audit::audit_in(tx, None, "user.disable", &format!("user:{user_id}"), why).await
}

/// Sets a group's members; the ids whose membership changed.
async fn replace_members(
    tx: &mut Tx,
    group: &str,
    members: &[String],
) -> Result<Vec<String>, StoreError> {
    let old: Vec<String> =
        sqlx::query_scalar("SELECT member_id FROM scim_members WHERE group_id = $1")
            .bind(group)
            .fetch_all(&mut **tx)
            .await?;
    sqlx::query("DELETE FROM scim_members WHERE group_id = $1")
        .bind(group)
        .execute(&mut **tx)
        .await?;
    let mut seen = std::collections::BTreeSet::new();
    for m in members {
        if seen.insert(m.clone()) {
            sqlx::query("INSERT INTO scim_members (group_id, member_id) VALUES ($1, $2)")
                .bind(group)
                .bind(m)
                .execute(&mut **tx)
                .await?;
        }
    }
    let old: std::collections::BTreeSet<String> = old.into_iter().collect();
    Ok(old.symmetric_difference(&seen).cloned().collect())
}

/// Takes a deleted user out of every group's document and membership.
async fn leave_groups(tx: &mut Tx, member: &str) -> Result<(), StoreError> {
    let groups: Vec<String> =
        sqlx::query_scalar("SELECT group_id FROM scim_members WHERE member_id = $1")
            .bind(member)
            .fetch_all(&mut **tx)
            .await?;
    for g in groups {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM scim_resources WHERE id = $1")
                .bind(&g)
                .fetch_optional(&mut **tx)
                .await?;
        let Some(doc) = doc else { continue };
        let mut v: serde_json::Value = serde_json::from_str(&doc)
            .map_err(|e| StoreError::Invalid(format!("group {g}: {e}")))?;
        if let Some(serde_json::Value::Array(ms)) = v.get_mut("members") {
            ms.retain(|m| m.get("value").and_then(serde_json::Value::as_str) != Some(member));
            if ms.is_empty() {
                if let Some(o) = v.as_object_mut() {
                    o.remove("members");
                }
            }
        }
        sqlx::query("UPDATE scim_resources SET doc = $1, version = version + 1, updated_at = $2 WHERE id = $3")
            .bind(v.to_string())
            .bind(now_text())
            .bind(&g)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("DELETE FROM scim_members WHERE member_id = $1")
        .bind(member)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives the account of SCIM user `member` the role its groups give (by name or
/// externalId, case-insensitively); a change ends its sessions.
async fn give_roles(tx: &mut Tx, member: &str, roles: &RoleGroups) -> Result<(), StoreError> {
    let row = sqlx::query(
        "SELECT u.id, u.email, u.role, u.person_id FROM scim_resources r JOIN users u ON u.id = r.user_id \
         WHERE r.kind = 'User' AND r.id = $1",
    )
    .bind(member)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(user) = row.as_ref().map(user_row).transpose()? else {
        return Ok(());
    };
    let rows = sqlx::query(
        "SELECT r.name_key, r.external_id FROM scim_members m JOIN scim_resources r ON r.id = m.group_id \
         WHERE m.member_id = $1",
    )
    .bind(member)
    .fetch_all(&mut **tx)
    .await?;
    let mut names = Vec::new();
    for r in &rows {
        names.push(r.try_get::<String, _>("name_key")?);
        if let Some(x) = r.try_get::<Option<String>, _>("external_id")? {
            names.push(x.to_lowercase());
        }
    }
    let lower = |g: &Option<String>| g.as_ref().map(|s| s.to_lowercase());
    let roles = RoleGroups {
        admin: lower(&roles.admin),
        champion: lower(&roles.champion),
        viewer: lower(&roles.viewer),
    };
    if let Some(role) = roles.role_for(&names).filter(|r| *r != user.role) {
        change_role(tx, &user, role).await?;
    }
    Ok(())
}
