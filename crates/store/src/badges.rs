//! Badge classes, campaigns, the issuer's key, and awards with their signed credentials.
//! Awards are never deleted: revocation and early expiry are stamped with who and why, and
//! every change is in the audit log.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;

use crate::community::department_of;
use crate::learning::CourseDef;
use crate::{now_text, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignDef {
    pub slug: String,
    pub name: String,
    /// `YYYY-MM-DD`: the campaign's badges are valid until the end of this day.
    pub ends_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeDef {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub tier: Option<String>,
    pub criteria: String,
    pub courses: Vec<String>,
    /// Distinct wins verified by someone else.
    pub wins: u32,
    pub requires: Vec<String>,
    pub valid_days: Option<u32>,
    pub campaign: Option<String>,
}

/// The learning catalog: loaded as a whole, in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LearningCatalog {
    pub courses: Vec<CourseDef>,
    pub campaigns: Vec<CampaignDef>,
    pub badges: Vec<BadgeDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub slug: String,
    pub name: String,
    pub ends_on: Option<String>,
    pub ended_at: Option<String>,
    pub end_mode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadgeClass {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub tier: Option<String>,
    pub criteria: String,
    pub courses: Vec<String>,
    pub wins: i64,
    pub requires: Vec<String>,
    pub valid_days: Option<i64>,
    pub campaign: Option<Campaign>,
    /// Current holders (not revoked, not ended).
    pub holders: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuerRow {
    pub name: String,
    pub url: String,
    /// Hex of the Ed25519 seed. Never serialized.
    pub seed: String,
    pub did: String,
}

/// An award as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwardRow {
    pub uuid: String,
    pub badge: String,
    pub badge_name: String,
    pub tier: Option<String>,
    pub user_id: i64,
    pub email: String,
    pub person_id: Option<i64>,
    /// The holder's name (their email when no person is linked).
    pub holder: String,
    pub department: String,
    pub issued_at: String,
    pub valid_until: Option<String>,
    pub win_id: Option<i64>,
    pub status_index: i64,
    pub revoked_at: Option<String>,
    pub revoke_reason: Option<String>,
    pub expired_at: Option<String>,
    pub on_profile: bool,
    pub share_token: Option<String>,
    #[serde(skip)]
    pub credential: String,
    #[serde(skip)]
    pub jwt: String,
}

impl AwardRow {
    /// `active`, `revoked` or `expired` at `now` (RFC 3339).
    pub fn state(&self, now: &str) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expired_at.as_deref().is_some_and(|t| t <= now)
            || self.valid_until.as_deref().is_some_and(|t| t <= now)
        {
            "expired"
        } else {
            "active"
        }
    }
}

/// A new award, signed by the caller once its status index is known.
pub struct NewAward<'a> {
    pub uuid: &'a str,
    pub badge_id: i64,
    pub user_id: i64,
    pub issued_at: &'a str,
    pub valid_until: Option<&'a str>,
    pub win_id: Option<i64>,
}

const AWARD_COLUMNS: &str = "a.uuid, b.slug, b.name, b.tier, a.user_id, us.email, us.person_id,
    COALESCE(pe.display_name, us.email) AS holder, ou.path, a.issued_at,
    a.valid_until, a.win_id, a.status_index, a.revoked_at, a.revoke_reason, a.expired_at, a.on_profile,
    a.share_token, a.credential, a.jwt
    FROM awards a JOIN badge_classes b ON b.id = a.badge_id JOIN users us ON us.id = a.user_id
    LEFT JOIN people pe ON pe.id = us.person_id
    LEFT JOIN org_units ou ON ou.id = a.unit_id";

fn award_row(r: &sqlx::any::AnyRow) -> Result<AwardRow, StoreError> {
    let on_profile: i64 = r.try_get("on_profile")?;
    Ok(AwardRow {
        uuid: r.try_get("uuid")?,
        badge: r.try_get("slug")?,
        badge_name: r.try_get("name")?,
        tier: r.try_get("tier")?,
        user_id: r.try_get("user_id")?,
        email: r.try_get("email")?,
        person_id: r.try_get("person_id")?,
        holder: r.try_get("holder")?,
        department: department_of(r.try_get("path")?),
        issued_at: r.try_get("issued_at")?,
        valid_until: r.try_get("valid_until")?,
        win_id: r.try_get("win_id")?,
        status_index: r.try_get("status_index")?,
        revoked_at: r.try_get("revoked_at")?,
        revoke_reason: r.try_get("revoke_reason")?,
        expired_at: r.try_get("expired_at")?,
        on_profile: on_profile != 0,
        share_token: r.try_get("share_token")?,
        credential: r.try_get("credential")?,
        jwt: r.try_get("jwt")?,
    })
}

enum Bind<'a> {
    Text(&'a str),
    Int(i64),
}

async fn audit_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    by: Option<i64>,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_events (at, user_id, action, subject, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(now_text())
        .bind(by)
        .bind(action)
        .bind(subject)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn id_by_slug(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    slug: &str,
    what: &str,
) -> Result<i64, StoreError> {
    sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::Invalid(format!("unknown {what} `{slug}`")))
}

impl Store {
    /// Loads the learning catalog (courses, campaigns, badge classes) by slug, in one
    /// transaction: a reference to an unknown course, campaign or badge fails it all.
    /// Audited as one `badges.load`.
    pub async fn load_learning(
        &self,
        cat: &LearningCatalog,
        by: Option<i64>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        self.upsert_courses(&mut tx, &cat.courses).await?;
        for c in &cat.campaigns {
            sqlx::query(
                "INSERT INTO campaigns (slug, name, ends_on) VALUES ($1, $2, $3)
                 ON CONFLICT (slug) DO UPDATE SET name = excluded.name, ends_on = excluded.ends_on",
            )
            .bind(&c.slug)
            .bind(&c.name)
            .bind(&c.ends_on)
            .execute(&mut *tx)
            .await?;
        }
        for b in &cat.badges {
            let campaign = match &b.campaign {
                Some(slug) => Some(id_by_slug(&mut tx, "campaigns", slug, "campaign").await?),
                None => None,
            };
            sqlx::query(
                "INSERT INTO badge_classes (slug, name, description, tier, criteria, requires_win, valid_days, campaign_id, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (slug) DO UPDATE SET name = excluded.name, description = excluded.description,
                 tier = excluded.tier, criteria = excluded.criteria, requires_win = excluded.requires_win,
                 valid_days = excluded.valid_days, campaign_id = excluded.campaign_id, updated_at = excluded.updated_at",
            )
            .bind(&b.slug)
            .bind(&b.name)
            .bind(&b.description)
            .bind(&b.tier)
            .bind(&b.criteria)
            .bind(i64::from(b.wins))
            .bind(b.valid_days.map(i64::from))
            .bind(campaign)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
        }
        // Links after every class exists, so tiers may be listed in any order.
        for b in &cat.badges {
            let id = id_by_slug(&mut tx, "badge_classes", &b.slug, "badge").await?;
            sqlx::query("DELETE FROM badge_courses WHERE badge_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM badge_requires WHERE badge_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for c in &b.courses {
                let course = id_by_slug(&mut tx, "courses", c, "course").await?;
                sqlx::query("INSERT INTO badge_courses (badge_id, course_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(course)
                    .execute(&mut *tx)
                    .await?;
            }
            for r in &b.requires {
                let req = id_by_slug(&mut tx, "badge_classes", r, "badge").await?;
                sqlx::query("INSERT INTO badge_requires (badge_id, required_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(req)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        audit_tx(
            &mut tx,
            by,
            "badges.load",
            "learning",
            &format!(
                "{} courses, {} campaigns, {} badges",
                cat.courses.len(),
                cat.campaigns.len(),
                cat.badges.len()
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows = sqlx::query(
            "SELECT slug, name, ends_on, ended_at, end_mode FROM campaigns ORDER BY slug",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Campaign {
                    slug: r.try_get("slug")?,
                    name: r.try_get("name")?,
                    ends_on: r.try_get("ends_on")?,
                    ended_at: r.try_get("ended_at")?,
                    end_mode: r.try_get("end_mode")?,
                })
            })
            .collect()
    }

    /// Every badge class with its criteria, tiers, campaign and current holder count.
    pub async fn badge_classes(&self) -> Result<Vec<BadgeClass>, StoreError> {
        let campaigns: BTreeMap<String, Campaign> = self
            .campaigns()
            .await?
            .into_iter()
            .map(|c| (c.slug.clone(), c))
            .collect();
        let rows = sqlx::query(
            "SELECT b.id, b.slug, b.name, b.description, b.tier, b.criteria, b.requires_win, b.valid_days,
                c.slug AS campaign,
                (SELECT COUNT(*) FROM awards a WHERE a.badge_id = b.id AND a.revoked_at IS NULL AND a.expired_at IS NULL
                   AND (a.valid_until IS NULL OR a.valid_until > $1)) AS holders
             FROM badge_classes b LEFT JOIN campaigns c ON c.id = b.campaign_id ORDER BY b.id",
        )
        .bind(now_text())
        .fetch_all(&self.pool)
        .await?;
        let links = |sql: &'static str| async move {
            let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
            let mut map: BTreeMap<i64, Vec<String>> = BTreeMap::new();
            for r in &rows {
                map.entry(r.try_get("badge_id")?)
                    .or_default()
                    .push(r.try_get("slug")?);
            }
            Ok::<_, StoreError>(map)
        };
        let mut courses = links(
            "SELECT bc.badge_id, c.slug FROM badge_courses bc JOIN courses c ON c.id = bc.course_id ORDER BY c.slug",
        )
        .await?;
        let mut requires = links(
            "SELECT br.badge_id, b.slug FROM badge_requires br JOIN badge_classes b ON b.id = br.required_id ORDER BY b.slug",
        )
        .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                let campaign: Option<String> = r.try_get("campaign")?;
                Ok(BadgeClass {
                    id,
                    slug: r.try_get("slug")?,
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    tier: r.try_get("tier")?,
                    criteria: r.try_get("criteria")?,
                    courses: courses.remove(&id).unwrap_or_default(),
                    wins: r.try_get("requires_win")?,
                    requires: requires.remove(&id).unwrap_or_default(),
                    valid_days: r.try_get("valid_days")?,
                    campaign: campaign.and_then(|c| campaigns.get(&c).cloned()),
                    holders: r.try_get("holders")?,
                })
            })
            .collect()
    }

    pub async fn badge_class(&self, slug: &str) -> Result<Option<BadgeClass>, StoreError> {
        Ok(self
            .badge_classes()
            .await?
            .into_iter()
            .find(|b| b.slug == slug))
    }

    /// The issuer (its `seed` is empty: the key is in its key file, [`Store::read_key`]).
    pub async fn issuer(&self) -> Result<Option<IssuerRow>, StoreError> {
        let row = sqlx::query("SELECT name, url, did FROM issuer WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(IssuerRow {
                name: r.try_get("name")?,
                url: r.try_get("url")?,
                seed: String::new(),
                did: r.try_get("did")?,
            })
        })
        .transpose()
    }

    /// Stores the issuer unless one exists (its seed goes to a key file, never into the
    /// database); returns the one in force.
    pub async fn create_issuer(&self, row: &IssuerRow) -> Result<IssuerRow, StoreError> {
        if self.issuer().await?.is_none() {
            // The key file first: a crash between the two leaves an unused file, never
            // an issuer without its key.
            self.write_key(&row.did, &row.seed)?;
            let _turn = self.write_turn().await;
            let mut tx = self.begin_write().await?;
            let created = sqlx::query(
                "INSERT INTO issuer (id, name, url, seed, did, created_at) VALUES (1, $1, $2, '', $3, $4)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&row.name)
            .bind(&row.url)
            .bind(&row.did)
            .bind(now_text())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if created == 1 {
                sqlx::query(
                    "INSERT INTO issuer_keys (did, first_index, created_at) VALUES ($1, 0, $2) ON CONFLICT (did) DO NOTHING",
                )
                .bind(&row.did)
                .bind(now_text())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
        self.issuer()
            .await?
            .ok_or_else(|| StoreError::Invalid("the issuer was not stored".into()))
    }

    /// Renames the issuer or moves its public address (future credentials only). Audited.
    pub async fn set_issuer_profile(
        &self,
        name: &str,
        url: &str,
        by: Option<i64>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE issuer SET name = $1, url = $2 WHERE id = 1")
            .bind(name)
            .bind(url)
            .execute(&mut *tx)
            .await?;
        audit_tx(
            &mut tx,
            by,
            "badges.issuer",
            "issuer",
            &format!("{name} at {url}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores an award. `sign` gets the status-list index allocated to it and returns the
    /// signed credential (JSON) and its VC-JWT. Fails if the person already holds the badge.
    /// Audited.
    pub async fn insert_award<F, E>(
        &self,
        a: &NewAward<'_>,
        by: Option<i64>,
        sign: F,
    ) -> Result<AwardRow, StoreError>
    where
        F: FnOnce(i64) -> Result<(String, String), E>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let now = now_text();
        // An award whose own validity ran out no longer blocks earning the badge again.
        sqlx::query(
            "UPDATE awards SET expired_at = valid_until WHERE badge_id = $1 AND user_id = $2
             AND revoked_at IS NULL AND expired_at IS NULL AND valid_until <= $3",
        )
        .bind(a.badge_id)
        .bind(a.user_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        // Concurrent awards would otherwise read the same MAX on PostgreSQL.
        self.serialize(&mut tx, crate::TxLock::StatusIndex).await?;
        let next: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(status_index), -1) + 1 FROM awards")
                .fetch_one(&mut *tx)
                .await?;
        // After a key rotation the new key starts a status list of its own.
        let index = next.max(Self::current_first_index(&mut tx).await?);
        let unit: Option<i64> = sqlx::query_scalar(
            "SELECT p.unit_id FROM users u JOIN people p ON p.id = u.person_id WHERE u.id = $1",
        )
        .bind(a.user_id)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
        let (credential, jwt) = sign(index).map_err(|e| StoreError::Signing(e.into()))?;
        sqlx::query(
            "INSERT INTO awards (uuid, badge_id, user_id, unit_id, status_index, issued_at, valid_until, win_id, credential, jwt)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(a.uuid)
        .bind(a.badge_id)
        .bind(a.user_id)
        .bind(unit)
        .bind(index)
        .bind(a.issued_at)
        .bind(a.valid_until)
        .bind(a.win_id)
        .bind(&credential)
        .bind(&jwt)
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict("already holds this badge".into())
            }
            other => other.into(),
        })?;
        audit_tx(
            &mut tx,
            by,
            "badge.award",
            &format!("award:{}", a.uuid),
            &format!("badge {} to user {}", a.badge_id, a.user_id),
        )
        .await?;
        tx.commit().await?;
        self.award(a.uuid)
            .await?
            .ok_or_else(|| StoreError::Invalid("the award was not stored".into()))
    }

    async fn awards_where(
        &self,
        clause: &str,
        bind: Bind<'_>,
    ) -> Result<Vec<AwardRow>, StoreError> {
        let sql = format!("SELECT {AWARD_COLUMNS} WHERE {clause} ORDER BY a.issued_at, a.id");
        let query = sqlx::query(&sql);
        let query = match bind {
            Bind::Text(t) => query.bind(t.to_owned()),
            Bind::Int(i) => query.bind(i),
        };
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(award_row).collect()
    }

    pub async fn award(&self, uuid: &str) -> Result<Option<AwardRow>, StoreError> {
        Ok(self
            .awards_where("a.uuid = $1", Bind::Text(uuid))
            .await?
            .pop())
    }

    pub async fn award_by_share_token(&self, token: &str) -> Result<Option<AwardRow>, StoreError> {
        Ok(self
            .awards_where("a.share_token = $1", Bind::Text(token))
            .await?
            .pop())
    }

    pub async fn award_by_status_index(&self, index: i64) -> Result<Option<AwardRow>, StoreError> {
        Ok(self
            .awards_where("a.status_index = $1", Bind::Int(index))
            .await?
            .pop())
    }

    /// Every award of the user, revoked and ended ones included (their history).
    pub async fn awards_of(&self, user_id: i64) -> Result<Vec<AwardRow>, StoreError> {
        self.awards_where("a.user_id = $1", Bind::Int(user_id))
            .await
    }

    /// Every award of a badge (or of every badge), for admins.
    pub async fn awards(&self, badge: Option<&str>) -> Result<Vec<AwardRow>, StoreError> {
        match badge {
            Some(slug) => self.awards_where("b.slug = $1", Bind::Text(slug)).await,
            None => self.awards_where("a.id > $1", Bind::Int(0)).await,
        }
    }

    /// Awards their holders chose to show on their profile (current or not; callers filter
    /// by [`AwardRow::state`]).
    pub async fn shown_awards(&self) -> Result<Vec<AwardRow>, StoreError> {
        self.awards_where("a.on_profile = $1", Bind::Int(1)).await
    }

    /// Awards issued since `since` (RFC 3339), for the digest.
    pub async fn awards_since(&self, since: &str) -> Result<Vec<AwardRow>, StoreError> {
        self.awards_where("a.issued_at >= $1", Bind::Text(since))
            .await
    }

    /// Status-list indices revoked in `[from, to)`.
    pub async fn revoked_indices(&self, from: i64, to: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT status_index FROM awards WHERE revoked_at IS NOT NULL AND status_index >= $1 AND status_index < $2",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Revokes one award (again: nothing changes). Audited.
    pub async fn revoke_award(
        &self,
        uuid: &str,
        reason: &str,
        by: Option<i64>,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE awards SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE uuid = $1 AND revoked_at IS NULL",
        )
        .bind(uuid)
        .bind(now_text())
        .bind(by)
        .bind(reason)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            audit_tx(
                &mut tx,
                by,
                "badge.revoke",
                &format!("award:{uuid}"),
                reason,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Ends a campaign: its current awards are revoked (`revoke`) or end now (`expire`),
    /// in one transaction; nothing is deleted. Returns how many awards changed. Audited.
    pub async fn end_campaign(
        &self,
        slug: &str,
        mode: &str,
        by: Option<i64>,
    ) -> Result<u64, StoreError> {
        if !matches!(mode, "revoke" | "expire") {
            return Err(StoreError::Invalid(format!(
                "mode {mode:?}: use revoke or expire"
            )));
        }
        let _turn = self.write_turn().await;
        let mut tx = self.begin_write().await?;
        let id = id_by_slug(&mut tx, "campaigns", slug, "campaign").await?;
        let ended: Option<String> =
            sqlx::query_scalar("SELECT ended_at FROM campaigns WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if let Some(at) = ended {
            return Err(StoreError::Invalid(format!(
                "campaign `{slug}` already ended at {at}"
            )));
        }
        let now = now_text();
        let current = "badge_id IN (SELECT id FROM badge_classes WHERE campaign_id = $2)
             AND revoked_at IS NULL AND expired_at IS NULL";
        let n = if mode == "revoke" {
            sqlx::query(&format!(
                "UPDATE awards SET revoked_at = $1, revoked_by = $3, revoke_reason = $4 WHERE {current}"
            ))
            .bind(&now)
            .bind(id)
            .bind(by)
            .bind(format!("campaign {slug} ended"))
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(&format!("UPDATE awards SET expired_at = $1 WHERE {current}"))
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?
        }
        .rows_affected();
        sqlx::query(
            "UPDATE campaigns SET ended_at = $1, end_mode = $2, ended_by = $3 WHERE id = $4",
        )
        .bind(&now)
        .bind(mode)
        .bind(by)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        audit_tx(
            &mut tx,
            by,
            "campaign.end",
            &format!("campaign:{slug}"),
            &format!("{mode}: {n} awards"),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Shows or hides an award on its holder's profile, and gives it a share token when
    /// shown (so the share link exists only while the holder wants it to).
    pub async fn set_award_visibility(
        &self,
        uuid: &str,
        user_id: i64,
        on_profile: bool,
        token: &str,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let n = sqlx::query(
            "UPDATE awards SET on_profile = $3, share_token = CASE WHEN $3 = 1 THEN COALESCE(share_token, $4) ELSE NULL END
             WHERE uuid = $1 AND user_id = $2",
        )
        .bind(uuid)
        .bind(user_id)
        .bind(i64::from(on_profile))
        .bind(token)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Current holders per department of each badge class; counts below `min_group` are
    /// withheld (`None`).
    pub async fn badge_counts_by_department(
        &self,
        min_group: i64,
    ) -> Result<Vec<(String, String, Option<i64>)>, StoreError> {
        let now = now_text();
        let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
        for a in self.awards(None).await? {
            if a.state(&now) == "active" {
                let dept = if a.department.is_empty() {
                    "(no unit)".into()
                } else {
                    a.department
                };
                *counts.entry((dept, a.badge_name)).or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((d, b), n)| (d, b, flywheel_insights::privacy::shown(n, min_group)))
            .collect())
    }
}
