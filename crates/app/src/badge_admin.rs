//! The badge tools of admins and the server's operator: issuing a badge to an account
//! (when earned), awarding everyone what they earned, every award (individual-level:
//! audited), the badge classes and courses with their raw counts, recording a completed
//! course for someone, completion by department, and the issuer (its name, address and
//! key rotation). Every one is for admins only.

use std::path::PathBuf;

use flywheel_store::{AwardRow, BadgeClass, CompletionRate, CourseRow, StoreError, User};

use crate::badges::{award_earned, default_signer, issue, key_of_hex, Signer};
use crate::{App, AppResult};

impl App {
    fn admin_id(&self) -> Option<i64> {
        self.caller().user().map(|u| u.id)
    }

    /// The account of `email` (admins).
    pub async fn account(&self, email: &str) -> AppResult<User> {
        self.require_admin("look accounts up")?;
        self.store()
            .user_by_email(email)
            .await?
            .ok_or_else(|| StoreError::not_found("account for", email.trim()).into())
    }

    /// This Flywheel's issuer, with its signing key.
    pub async fn signer(&self) -> AppResult<Signer> {
        self.require_admin("use the issuer")?;
        Ok(default_signer(self.store()).await?)
    }

    /// Issues badge `slug` to the account of `email`, if they earned it.
    pub async fn issue_badge(&self, slug: &str, email: &str) -> AppResult<(BadgeClass, AwardRow)> {
        let signer = self.signer().await?;
        let class = self.badge_class(slug).await?;
        let user = self.account(email).await?;
        let row = issue(self.store(), &signer, &class, &user, self.admin_id()).await?;
        Ok((class, row))
    }

    /// Awards every account every badge it earned and does not hold; the new awards.
    pub async fn award_everyone(&self) -> AppResult<Vec<AwardRow>> {
        let signer = self.signer().await?;
        let mut all = Vec::new();
        for u in self.store().users().await? {
            all.extend(award_earned(self.store(), &signer, &u).await?);
        }
        Ok(all)
    }

    /// Every award, or those of badge `slug` (individual-level: audited with the front
    /// door it came `via`).
    pub async fn awards(&self, slug: Option<&str>, via: &str) -> AppResult<Vec<AwardRow>> {
        self.require_admin("list awards")?;
        let rows = self.store().awards(slug).await?;
        self.store()
            .audit(
                self.admin_id(),
                "badges.list",
                via,
                &format!("{} awards listed", rows.len()),
            )
            .await?;
        Ok(rows)
    }

    /// Every badge class with its raw holder count (for admins).
    pub async fn badge_classes(&self) -> AppResult<Vec<BadgeClass>> {
        self.require_admin("read raw badge counts")?;
        Ok(self.store().badge_classes().await?)
    }

    /// Every course with its raw counts (for admins).
    pub async fn course_rows(&self) -> AppResult<Vec<CourseRow>> {
        self.require_admin("read raw course counts")?;
        Ok(self.store().courses().await?)
    }

    /// Records course `slug` as completed by the account of `email` (audited) and awards
    /// what that earned them; the course and the new awards.
    pub async fn record_completion(
        &self,
        slug: &str,
        email: &str,
    ) -> AppResult<(CourseRow, Vec<AwardRow>)> {
        let (row, modules) = self.course(slug).await?;
        let user = self.account(email).await?;
        for position in 1..=modules.len() as i64 {
            self.store()
                .complete_module(row.id, &user, position)
                .await?;
        }
        self.store()
            .audit(
                self.admin_id(),
                "course.complete",
                &format!("course:{slug}"),
                &format!("recorded for {email}"),
            )
            .await?;
        let signer = self.signer().await?;
        let new = award_earned(self.store(), &signer, &user).await?;
        Ok((row, new))
    }

    /// Completion of course `slug` by department, withheld below the minimum group size;
    /// and that minimum.
    pub async fn completion_rates(&self, slug: &str) -> AppResult<(Vec<CompletionRate>, i64)> {
        let (row, _) = self.course(slug).await?;
        let min = self.store().min_group_size().await?;
        Ok((
            self.store().completion_by_department(row.id, min).await?,
            min,
        ))
    }

    /// Retires the issuer's signing key for a new one (the old one still signs the status
    /// lists of its credentials); the new key's `did:key` and its first status index.
    pub async fn rotate_issuer_key(&self) -> AppResult<(String, i64)> {
        self.require_admin("rotate the issuer's key")?;
        let seed = flywheel_store::random_token();
        let did = key_of_hex(&seed)?.public().did();
        let first = self
            .store()
            .rotate_issuer_key(
                &did,
                &seed,
                flywheel_badges::status::MIN_BITS as i64,
                self.admin_id(),
            )
            .await?;
        Ok((did, first))
    }

    /// Renames the issuer or moves its public address.
    pub async fn set_issuer_profile(&self, name: &str, public_url: &str) -> AppResult<()> {
        self.require_admin("change the issuer")?;
        Ok(self
            .store()
            .set_issuer_profile(name, public_url.trim_end_matches('/'), self.admin_id())
            .await?)
    }

    /// Where the issuer's key files are.
    pub fn key_dir(&self) -> PathBuf {
        self.store().key_dir().to_path_buf()
    }
}
