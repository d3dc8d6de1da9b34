//! Wins: posting one, saying "I tried this too", promoting one into the use-case library.
//! (Wins shared in chat arrive through the import; see `store::community`.)

use flywheel_domain::program::Frequency;
use flywheel_store::{NewWin, StoreError};

use crate::{App, AppError, AppResult};

/// A win as a person describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinDraft {
    /// A catalog tool's name, or none.
    pub tool: Option<String>,
    pub title: String,
    pub what: String,
    pub minutes_before: u32,
    pub minutes_after: u32,
    /// `once`, `daily`, `weekly` or `monthly`.
    pub frequency: String,
}

impl App {
    /// Posts a win as the caller's person (every role but viewer, with a linked account);
    /// returns its id.
    pub async fn post_win(&self, w: &WinDraft) -> AppResult<i64> {
        self.require_write("post wins")?;
        let person = self.person()?;
        let frequency =
            Frequency::parse(&w.frequency).map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(self
            .store()
            .post_win(&NewWin {
                person_id: person,
                user_id: self.caller().user().map(|u| u.id),
                tool: w.tool.as_deref(),
                title: &w.title,
                what: &w.what,
                minutes_before: w.minutes_before,
                minutes_after: w.minutes_after,
                frequency,
            })
            .await?)
    }

    /// "I tried this too" on win `id` (once per person, never by its author); whether it
    /// was new.
    pub async fn try_win(&self, id: i64) -> AppResult<bool> {
        self.require_write("say \"I tried this too\"")?;
        let person = self.person()?;
        self.existing_win(id).await?;
        Ok(self.store().tried_too(id, person).await?)
    }

    /// Promotes win `id` into the use-case library (admins); the use case's id (the same
    /// one when promoted before).
    pub async fn promote_win(&self, id: i64, title: &str, steps: &[String]) -> AppResult<i64> {
        self.require_admin("promote wins into the library")?;
        self.existing_win(id).await?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self.store().promote_win(id, title, steps, by).await?)
    }

    async fn existing_win(&self, id: i64) -> AppResult<()> {
        match self.store().win(id).await? {
            Some(_) => Ok(()),
            None => Err(StoreError::not_found("win", id).into()),
        }
    }
}

/// A verification recorded, and what it earned the win's author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `champion` or `peer`.
    pub as_role: String,
    /// The badges the win's author earned by it.
    pub badges_awarded: Vec<String>,
}

/// The longest evidence a verification takes.
pub const MAX_EVIDENCE_CHARS: usize = 2000;

impl App {
    /// Records that the caller saw the evidence of win `id` work (every role but viewer;
    /// never the author), then awards its author what that earned them.
    pub async fn verify_win(&self, id: i64, evidence: &str) -> AppResult<Verified> {
        self.require_write("verify wins")?;
        let Some(verifier) = self.caller().user() else {
            return Err(AppError::Forbidden(
                "verifying a win needs an account".into(),
            ));
        };
        self.existing_win(id).await?;
        if evidence.chars().count() > MAX_EVIDENCE_CHARS {
            return Err(AppError::Invalid(format!(
                "evidence: at most {MAX_EVIDENCE_CHARS} characters"
            )));
        }
        let store = self.store();
        store.verify_win(id, verifier, evidence).await?;
        let signer = crate::badges::default_signer(store).await?;
        let mut badges_awarded = Vec::new();
        for author in store.win_author_users(id).await? {
            badges_awarded.extend(
                crate::badges::award_earned(store, &signer, &author)
                    .await?
                    .into_iter()
                    .map(|a| a.badge_name),
            );
        }
        let as_role = store
            .win_verifications(id)
            .await?
            .into_iter()
            .find(|v| v.verifier == verifier.email)
            .map(|v| v.as_role)
            .unwrap_or_default();
        if let Some(win) = store.win(id).await? {
            if let Some(author) = store.win_author_person(id).await? {
                let text = format!(
                    "A colleague ({as_role}) saw your win \"{}\" work and verified it.",
                    win.title
                );
                self.notice(
                    "win_verified",
                    author,
                    &format!("win:{id}:{}", verifier.id),
                    &text,
                )
                .await;
                for b in &badges_awarded {
                    let text = format!(
                        "You earned the badge {b}. See it, download it or share it in Flywheel."
                    );
                    self.notice("badge_awarded", author, &format!("badge:{b}"), &text)
                        .await;
                }
            }
        }
        Ok(Verified {
            as_role,
            badges_awarded,
        })
    }
}
