//! Learning: enrolling in a course, completing its modules (which awards what the course
//! earned), and, for admins, revoking awards and ending campaigns.

use flywheel_store::{AwardRow, CourseRow, ModuleDef, StoreError};

use crate::{App, AppError, AppResult};

/// A module completed: whether the course is now complete, and the awards it earned.
#[derive(Debug, Clone)]
pub struct ModuleDone {
    pub course_completed: bool,
    pub awarded: Vec<AwardRow>,
}

impl App {
    /// The caller's award `uuid` (anyone else's is not found, so its existence is not
    /// revealed).
    pub async fn own_award(&self, uuid: &str) -> AppResult<AwardRow> {
        let user = self.require_user("hold badges")?;
        self.store()
            .award(uuid)
            .await?
            .filter(|a| a.user_id == user.id)
            .ok_or_else(|| StoreError::not_found("award", uuid).into())
    }

    /// Shows the caller's award on their profile (with a share token, so a public link
    /// exists while they want it) or hides it (the link stops working). Only a current
    /// award can be shown. The award after.
    pub async fn set_award_visibility(&self, uuid: &str, show: bool) -> AppResult<AwardRow> {
        self.require_write("change what your profile shows")?;
        let a = self.own_award(uuid).await?;
        let now = self
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if show && a.state(&now) != "active" {
            return Err(AppError::Invalid(format!(
                "award {uuid} is {}: only a current badge can be shown",
                a.state(&now)
            )));
        }
        self.store()
            .set_award_visibility(uuid, a.user_id, show, &flywheel_store::random_token())
            .await?;
        self.own_award(uuid).await
    }

    /// Awards the caller every badge they have earned and do not hold (a badge added to
    /// the catalog after its criteria were met, say); the new awards.
    pub async fn claim_badges(&self) -> AppResult<Vec<AwardRow>> {
        self.require_write("claim badges")?;
        let user = self.require_user("claim badges")?.clone();
        let signer = crate::badges::default_signer(self.store()).await?;
        crate::badges::award_earned(self.store(), &signer, &user).await
    }

    /// A course and its modules by slug.
    pub async fn course(&self, slug: &str) -> AppResult<(CourseRow, Vec<ModuleDef>)> {
        self.store()
            .course(slug)
            .await?
            .ok_or_else(|| StoreError::not_found("course", format!("{slug:?}")).into())
    }

    /// Enrols the caller in course `slug` (every role but viewer).
    pub async fn enrol(&self, slug: &str) -> AppResult<()> {
        self.require_write("enrol in courses")?;
        let user = self.require_user("enrolling")?;
        let (c, _) = self.course(slug).await?;
        Ok(self.store().enrol(c.id, user).await?)
    }

    /// Marks module `position` (1-based, as text from a path) of course `slug` done for
    /// the caller; a completed course awards the badges it earned.
    pub async fn complete_module(&self, slug: &str, position: &str) -> AppResult<ModuleDone> {
        self.require_write("complete course modules")?;
        let user = self.require_user("completing modules")?;
        let (c, modules) = self.course(slug).await?;
        let position = position
            .parse::<i64>()
            .ok()
            .filter(|p| (1..=modules.len() as i64).contains(p))
            .ok_or_else(|| {
                StoreError::not_found(
                    "module",
                    format!("{position:?} in course {slug:?} (it has {})", modules.len()),
                )
            })?;
        let done = self.store().complete_module(c.id, user, position).await?;
        let awarded = if done {
            let signer = crate::badges::default_signer(self.store()).await?;
            crate::badges::award_earned(self.store(), &signer, user).await?
        } else {
            Vec::new()
        };
        Ok(ModuleDone {
            course_completed: done,
            awarded,
        })
    }

    /// Revokes award `uuid` with a reason (admins); whether it was not revoked before.
    pub async fn revoke_award(&self, uuid: &str, reason: &str) -> AppResult<bool> {
        self.require_admin("revoke badges")?;
        if reason.trim().is_empty() {
            return Err(AppError::Invalid(
                "reason: say why the badge is revoked".into(),
            ));
        }
        if self.store().award(uuid).await?.is_none() {
            return Err(StoreError::not_found("award", format!("{uuid:?}")).into());
        }
        let by = self.caller().user().map(|u| u.id);
        Ok(self.store().revoke_award(uuid, reason.trim(), by).await?)
    }

    /// Ends campaign `slug` (admins), revoking or expiring its awards; how many.
    pub async fn end_campaign(&self, slug: &str, mode: &str) -> AppResult<u64> {
        self.require_admin("end campaigns")?;
        if !self
            .store()
            .campaigns()
            .await?
            .iter()
            .any(|c| c.slug == slug)
        {
            return Err(StoreError::not_found("campaign", format!("{slug:?}")).into());
        }
        let by = self.caller().user().map(|u| u.id);
        Ok(self.store().end_campaign(slug, mode, by).await?)
    }
}
