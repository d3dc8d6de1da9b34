//! Learning: enrolling in a course, completing its modules (which awards what the course
//! earned), and, for admins, revoking awards and ending campaigns; and what each person
//! sees of it: courses with their progress, the badge board (aggregates withheld below the
//! minimum group size), their own badges and what is next, who holds a badge (admins,
//! audited), a shared credential.

use std::collections::BTreeMap;

use flywheel_insights::privacy::shown;
use flywheel_store::{
    AwardRow, BadgeClass, Campaign, CompletionRate, CourseRow, ModuleDef, Progress, StoreError,
    User,
};

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

    /// Loads the learning catalog (courses, campaigns, badge classes) as a whole, in one
    /// transaction (admins; audited).
    pub async fn load_learning(&self, catalog: &flywheel_store::LearningCatalog) -> AppResult<()> {
        self.require_admin("load the learning catalog")?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self.store().load_learning(catalog, by).await?)
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

// ---------------------------------------------------------------- what people see

/// A course with the caller's progress; the org-wide counts are `None` below the minimum
/// group size.
#[derive(Debug, Clone)]
pub struct CourseView {
    pub course: CourseRow,
    pub progress: Option<Progress>,
    pub enrolled: Option<i64>,
    pub completed: Option<i64>,
}

/// A course in full: its modules, completion by department (withheld below the minimum
/// group size) and the names of the badges it counts towards.
#[derive(Debug, Clone)]
pub struct CourseDetail {
    pub view: CourseView,
    pub modules: Vec<ModuleDef>,
    pub by_department: Vec<CompletionRate>,
    pub badges: Vec<String>,
}

/// Every badge class with its current holders (`None` below the minimum group size),
/// holders per department and badge (the same), and the campaigns.
#[derive(Debug, Clone)]
pub struct BadgeBoard {
    pub classes: Vec<(BadgeClass, Option<i64>)>,
    pub by_department: Vec<(String, String, Option<i64>)>,
    pub campaigns: Vec<Campaign>,
    pub min_group_size: i64,
}

/// The caller's awards, newest first, and the badges they may still earn with what is
/// missing (nothing: earned, waiting to be claimed).
#[derive(Debug, Clone)]
pub struct MyBadges {
    pub awards: Vec<AwardRow>,
    pub next: Vec<(BadgeClass, Vec<String>)>,
}

impl App {
    /// The instant the awards' states are read at, as credentials write it.
    pub fn award_clock(&self) -> String {
        flywheel_badges::xsd_datetime(self.now())
    }

    /// The public address of this Flywheel's badge issuer (share links start with it).
    pub async fn issuer_url(&self) -> AppResult<String> {
        Ok(crate::badges::default_signer(self.store())
            .await?
            .issuer
            .url)
    }

    async fn course_view(&self, course: CourseRow, user: &User, min: i64) -> AppResult<CourseView> {
        Ok(CourseView {
            progress: self.store().progress(course.id, user.id).await?,
            enrolled: shown(course.enrolled, min),
            completed: shown(course.completed, min),
            course,
        })
    }

    /// Every course with the caller's progress.
    pub async fn courses(&self) -> AppResult<Vec<CourseView>> {
        let user = self.require_user("following courses")?.clone();
        let min = self.store().min_group_size().await?;
        let mut out = Vec::new();
        for c in self.store().courses().await? {
            out.push(self.course_view(c, &user, min).await?);
        }
        Ok(out)
    }

    /// Course `slug` in full, with the caller's progress.
    pub async fn course_detail(&self, slug: &str) -> AppResult<CourseDetail> {
        let user = self.require_user("following courses")?.clone();
        let (c, modules) = self.course(slug).await?;
        let min = self.store().min_group_size().await?;
        let by_department = self.store().completion_by_department(c.id, min).await?;
        let badges = self
            .store()
            .badge_classes()
            .await?
            .into_iter()
            .filter(|b| b.courses.iter().any(|s| s == slug))
            .map(|b| b.name)
            .collect();
        Ok(CourseDetail {
            view: self.course_view(c, &user, min).await?,
            modules,
            by_department,
            badges,
        })
    }

    /// The team view of badges: aggregates only, for every role.
    pub async fn badge_board(&self) -> AppResult<BadgeBoard> {
        let min = self.store().min_group_size().await?;
        Ok(BadgeBoard {
            classes: self
                .store()
                .badge_classes()
                .await?
                .into_iter()
                .map(|b| {
                    let holders = shown(b.holders, min);
                    (b, holders)
                })
                .collect(),
            by_department: self.store().badge_counts_by_department(min).await?,
            campaigns: self.store().campaigns().await?,
            min_group_size: min,
        })
    }

    /// The caller's badges and what they may earn next (a badge held now, or of an ended
    /// campaign, is not offered).
    pub async fn my_badges(&self) -> AppResult<MyBadges> {
        let user = self.require_user("holding badges")?.clone();
        let now = self.award_clock();
        let mut awards = self.store().awards_of(user.id).await?;
        awards.reverse();
        let mut next = Vec::new();
        for b in self.store().badge_classes().await? {
            let held = awards
                .iter()
                .any(|a| a.badge == b.slug && a.state(&now) == "active");
            let ended = b.campaign.as_ref().is_some_and(|c| c.ended_at.is_some());
            if held || ended {
                continue;
            }
            let missing = match crate::badges::evaluate(self.store(), &b, &user).await? {
                Ok(_) => Vec::new(),
                Err(unmet) => unmet.iter().map(ToString::to_string).collect(),
            };
            next.push((b, missing));
        }
        Ok(MyBadges { awards, next })
    }

    /// Current awards their holders show on their profile, by person (what the champion
    /// directory shows beside each champion).
    pub async fn shown_badges(&self) -> AppResult<BTreeMap<i64, Vec<AwardRow>>> {
        let now = self.award_clock();
        let mut out: BTreeMap<i64, Vec<AwardRow>> = BTreeMap::new();
        for a in self.store().shown_awards().await? {
            if let (Some(p), "active") = (a.person_id, a.state(&now)) {
                out.entry(p).or_default().push(a);
            }
        }
        Ok(out)
    }

    /// Badge class `slug` (public: a credential's achievement points at it).
    pub async fn badge_class(&self, slug: &str) -> AppResult<BadgeClass> {
        self.store()
            .badge_class(slug)
            .await?
            .ok_or_else(|| StoreError::not_found("badge", format!("{slug:?}")).into())
    }

    /// Who holds and held badge `slug`, revoked and ended awards included: admins only,
    /// every read audited with the front door it came `via`.
    pub async fn holders(&self, slug: &str, via: &str) -> AppResult<(BadgeClass, Vec<AwardRow>)> {
        self.require_admin("see who holds a badge")?;
        let class = self.badge_class(slug).await?;
        let list = self.store().awards(Some(slug)).await?;
        self.store()
            .audit(
                self.caller().user().map(|u| u.id),
                "badge.holders",
                &format!("badge:{slug}"),
                &format!("{} awards listed via {via}", list.len()),
            )
            .await?;
        Ok((class, list))
    }

    /// The award shared under `token`, while its holder shows it (public; anything else is
    /// not found).
    pub async fn shared_award(&self, token: &str) -> AppResult<AwardRow> {
        let gone = || {
            AppError::Store(StoreError::not_found(
                "credential",
                "is shared at this address (its holder may have hidden it)",
            ))
        };
        if token.len() > 100 {
            return Err(gone());
        }
        self.store()
            .award_by_share_token(token)
            .await?
            .filter(|a| a.on_profile)
            .ok_or_else(gone)
    }
}
