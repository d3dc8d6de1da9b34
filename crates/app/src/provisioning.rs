//! SCIM 2.0 provisioning as use cases: the identity provider creates, reads, lists,
//! replaces, patches and deletes Users and Groups (`flywheel-scim` does the protocol's
//! JSON), and each write does what it means for Flywheel in one transaction
//! (`Store::scim_write`): a User's account made or found, linked to the HRIS person by
//! employee number, externalId or email, disabled when `active` is false; a Group's members
//! given the role the group gives (the role groups of the single sign-on settings).
//!
//! The caller is the SCIM token's service account (an admin whose token is scoped to SCIM).

use flywheel_domain::program::RoleGroups;
use flywheel_scim::doc::{employee_number, normalize, render, user_email, Meta};
use flywheel_scim::filter::{matches, parse, simple_eq};
use flywheel_scim::schema::Kind;
use flywheel_scim::ScimError;
use flywheel_store::{PersonKey, ScimAccount, ScimRecord, ScimWrite, StoreError};
use serde_json::{json, Map, Value};

use crate::{App, AppError, AppResult};

/// The most resources one list answer holds.
pub const MAX_RESULTS: usize = 1000;

/// A page of a list.
#[derive(Debug, Clone)]
pub struct Listed {
    pub total: usize,
    pub start: usize,
    pub resources: Vec<Value>,
}

fn store_kind(kind: Kind) -> &'static str {
    kind.name()
}

fn scim(e: ScimError) -> AppError {
    AppError::Scim(e)
}

fn parse_doc(r: &ScimRecord) -> AppResult<Map<String, Value>> {
    serde_json::from_str(&r.doc)
        .map_err(|e| AppError::Internal(format!("SCIM resource {}: {e}", r.id)))
}

/// A fresh resource id (128 random bits, as a UUID).
fn new_id() -> String {
    let t = flywheel_store::random_token();
    format!(
        "{}-{}-4{}-a{}-{}",
        &t[0..8],
        &t[8..12],
        &t[13..16],
        &t[17..20],
        &t[20..32]
    )
}

impl App {
    async fn role_groups(&self) -> AppResult<RoleGroups> {
        Ok(self
            .oidc()
            .await?
            .map(|o| o.role_groups())
            .unwrap_or_default())
    }

    fn provisioner(&self) -> AppResult<()> {
        self.require_admin("provision accounts")
    }

    async fn served(&self, kind: Kind, r: &ScimRecord, base: &str) -> AppResult<Value> {
        let doc = parse_doc(r)?;
        let groups = match kind {
            Kind::User => Some(
                self.store()
                    .scim_groups_of(&r.id)
                    .await?
                    .into_iter()
                    .map(|(id, name)| json!({"value": id, "$ref": format!("{base}/Groups/{id}"), "display": name}))
                    .collect(),
            ),
            Kind::Group => None,
        };
        let meta = Meta {
            created: r.created_at.clone(),
            last_modified: r.updated_at.clone(),
            version: r.version,
        };
        Ok(render(kind, &r.id, &doc, &meta, base, groups))
    }

    async fn write(
        &self,
        kind: Kind,
        id: String,
        create: bool,
        doc: Map<String, Value>,
        base: &str,
    ) -> AppResult<Value> {
        let name = doc
            .get(kind.naming())
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let external_id = doc
            .get("externalId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let account = (kind == Kind::User).then(|| {
            let email = user_email(&doc);
            let mut people: Vec<PersonKey> = Vec::new();
            if let Some(n) = employee_number(&doc) {
                people.push(PersonKey::HrisId(n));
            }
            if let Some(x) = &external_id {
                people.push(PersonKey::HrisId(x.clone()));
            }
            if let Some(e) = &email {
                people.push(PersonKey::Email(e.clone()));
            }
            ScimAccount {
                email,
                active: doc.get("active") != Some(&Value::Bool(false)),
                people,
            }
        });
        let members = (kind == Kind::Group).then(|| {
            doc.get("members")
                .and_then(Value::as_array)
                .map(|ms| {
                    ms.iter()
                        .filter_map(|m| m.get("value").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        });
        let w = ScimWrite {
            kind: store_kind(kind),
            id,
            create,
            name,
            external_id,
            doc: Value::Object(doc).to_string(),
            account,
            members,
            roles: self.role_groups().await?,
        };
        let by = self.caller().user().map(|u| u.id);
        let r = self.store().scim_write(&w, by).await.map_err(|e| match e {
            StoreError::Conflict(m) => scim(ScimError::uniqueness(m)),
            other => AppError::Store(other),
        })?;
        self.served(kind, &r, base).await
    }

    async fn record(&self, kind: Kind, id: &str) -> AppResult<ScimRecord> {
        self.store()
            .scim_get(store_kind(kind), id)
            .await?
            .ok_or_else(|| scim(ScimError::status(404, format!("no {} {id}", kind.name()))))
    }

    /// `POST /Users`, `POST /Groups`: the resource as created.
    pub async fn scim_create(&self, kind: Kind, body: &Value, base: &str) -> AppResult<Value> {
        self.provisioner()?;
        let doc = normalize(kind, body).map_err(scim)?;
        self.write(kind, new_id(), true, doc, base).await
    }

    /// `GET /Users/{id}`.
    pub async fn scim_get(&self, kind: Kind, id: &str, base: &str) -> AppResult<Value> {
        self.provisioner()?;
        let r = self.record(kind, id).await?;
        self.served(kind, &r, base).await
    }

    /// `PUT /Users/{id}`: replaces every writable attribute.
    pub async fn scim_replace(
        &self,
        kind: Kind,
        id: &str,
        body: &Value,
        base: &str,
    ) -> AppResult<Value> {
        self.provisioner()?;
        self.record(kind, id).await?;
        let doc = normalize(kind, body).map_err(scim)?;
        self.write(kind, id.to_owned(), false, doc, base).await
    }

    /// `PATCH /Users/{id}`.
    pub async fn scim_patch(
        &self,
        kind: Kind,
        id: &str,
        body: &Value,
        base: &str,
    ) -> AppResult<Value> {
        self.provisioner()?;
        let r = self.record(kind, id).await?;
        let ops = flywheel_scim::patch::parse_request(body).map_err(scim)?;
        let mut doc = parse_doc(&r)?;
        flywheel_scim::patch::apply(kind, &mut doc, &ops).map_err(scim)?;
        self.write(kind, id.to_owned(), false, doc, base).await
    }

    /// `DELETE /Users/{id}`: a user's account is disabled, not erased.
    pub async fn scim_delete(&self, kind: Kind, id: &str) -> AppResult<()> {
        self.provisioner()?;
        let roles = self.role_groups().await?;
        let by = self.caller().user().map(|u| u.id);
        if self
            .store()
            .scim_delete(store_kind(kind), id, &roles, by)
            .await?
        {
            Ok(())
        } else {
            Err(scim(ScimError::status(
                404,
                format!("no {} {id}", kind.name()),
            )))
        }
    }

    /// `GET /Users?filter=&startIndex=&count=`: one page of the matching resources
    /// (`start` counts from 1).
    pub async fn scim_list(
        &self,
        kind: Kind,
        filter: Option<&str>,
        start: usize,
        count: usize,
        base: &str,
    ) -> AppResult<Listed> {
        self.provisioner()?;
        let start = start.max(1);
        let count = count.min(MAX_RESULTS);
        let filter = filter
            .filter(|f| !f.trim().is_empty())
            .map(parse)
            .transpose()
            .map_err(scim)?;
        let sk = store_kind(kind);
        let Some(f) = filter else {
            let (total, rows) = self
                .store()
                .scim_page(sk, (start - 1) as i64, count as i64)
                .await?;
            let mut resources = Vec::with_capacity(rows.len());
            for r in &rows {
                resources.push(self.served(kind, r, base).await?);
            }
            return Ok(Listed {
                total: usize::try_from(total).unwrap_or(0),
                start,
                resources,
            });
        };
        // An equality on the name or externalId is read by index; anything else is
        // matched on every resource of the kind.
        let candidates = match simple_eq(&f) {
            Some((attr, v)) if attr.eq_ignore_ascii_case(kind.naming()) => {
                self.store().scim_by(sk, true, v).await?
            }
            Some((attr, v)) if attr.eq_ignore_ascii_case("externalId") => {
                self.store().scim_by(sk, false, v).await?
            }
            Some((attr, v)) if attr.eq_ignore_ascii_case("id") => {
                self.store().scim_get(sk, v).await?.into_iter().collect()
            }
            _ => self.store().scim_page(sk, 0, i64::MAX).await?.1,
        };
        let mut hits = Vec::new();
        for r in &candidates {
            let v = self.served(kind, r, base).await?;
            if matches(kind, &f, &v) {
                hits.push(v);
            }
        }
        let total = hits.len();
        let resources = hits.into_iter().skip(start - 1).take(count).collect();
        Ok(Listed {
            total,
            start,
            resources,
        })
    }
}
