//! Champions: volunteering (with an opt-in profile), opting out, logging the help given,
//! and inviting people from a plan.

use chrono::NaiveDate;
use flywheel_store::{ChampionStatus, Invitation, NewHelpSession, Profile, Role, User};

use crate::{App, AppError, AppResult};

/// A peer-help session as a champion logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpSession {
    pub topic: String,
    pub minutes: u32,
    pub people: u32,
    pub tool: Option<String>,
}

/// The caller's own place in the champion program: their status and profile, and an
/// invitation they have not answered yet.
#[derive(Debug, Clone, Default)]
pub struct MyChampionship {
    pub status: Option<ChampionStatus>,
    pub profile: Option<Profile>,
    pub open_invitation: Option<Invitation>,
}

/// The most people one invitation request may name.
pub const MAX_INVITATIONS: usize = 10_000;

impl App {
    /// The caller's status, profile and open invitation (nothing for an account without a
    /// person).
    pub async fn my_championship(&self) -> AppResult<MyChampionship> {
        let Some(person) = self.caller().user().and_then(|u| u.person_id) else {
            return Ok(MyChampionship::default());
        };
        let (status, profile) = self.store().champion_profile(person).await?;
        let open_invitation = self
            .store()
            .invitations(person)
            .await?
            .into_iter()
            .find(|i| i.answer.is_none());
        Ok(MyChampionship {
            status,
            profile,
            open_invitation,
        })
    }

    /// Volunteers the caller's person as a champion (or updates their profile); the status
    /// after (an active champion stays active).
    pub async fn volunteer(&self, profile: &Profile) -> AppResult<ChampionStatus> {
        self.require_write("volunteer")?;
        let person = self.person()?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self.store().volunteer(person, profile, by).await?)
    }

    /// Opts the caller's person out of being a champion and of being suggested.
    pub async fn opt_out(&self) -> AppResult<()> {
        self.require_write("opt out")?;
        let person = self.person()?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self.store().opt_out(person, by).await?)
    }

    /// Logs help the caller gave (champions — volunteers and active ones — only); its id.
    pub async fn log_help(&self, h: &HelpSession) -> AppResult<i64> {
        self.require_write("log help sessions")?;
        let person = self.person()?;
        let (status, _) = self.store().champion_profile(person).await?;
        if !matches!(
            status,
            Some(ChampionStatus::Volunteer | ChampionStatus::Active)
        ) {
            return Err(AppError::Forbidden(
                "only champions log help sessions; volunteer first".into(),
            ));
        }
        Ok(self
            .store()
            .log_help_session(&NewHelpSession {
                champion_id: person,
                unit_id: None,
                tool: h.tool.as_deref().filter(|t| !t.trim().is_empty()),
                topic: &h.topic,
                minutes: h.minutes,
                people: h.people,
            })
            .await?)
    }

    /// Records a person's champion status from `since` (admins: a champion the program
    /// recruited, one who stepped down). Audited with the caller.
    pub async fn set_champion_status(
        &self,
        person: i64,
        status: ChampionStatus,
        since: NaiveDate,
    ) -> AppResult<()> {
        self.require_admin("set champion statuses")?;
        let store = self.store();
        store.set_champion_status(person, status, since).await?;
        let by = self.caller().user().map(|u| u.id);
        store
            .audit(
                by,
                "champion.status",
                &format!("person:{person}"),
                &format!("{} since {since}", status.as_str()),
            )
            .await?;
        Ok(())
    }

    /// The account of a person of the org chart, created without a password under their
    /// work email if they have none (admins; they sign in through the identity provider or
    /// once an admin sets a password). An existing account keeps its role.
    pub async fn provision_user(&self, person: i64, role: Role) -> AppResult<User> {
        self.require_admin("create accounts")?;
        Ok(self.store().provision_user(person, role).await?)
    }

    /// Invites people to become champions (admins); those newly invited (not champions,
    /// opted out or invited already).
    pub async fn invite_champions(&self, people: &[i64], note: &str) -> AppResult<Vec<i64>> {
        self.require_admin("invite champions")?;
        if people.len() > MAX_INVITATIONS {
            return Err(AppError::Invalid(format!(
                "at most {MAX_INVITATIONS} people per request"
            )));
        }
        let by = self.caller().user().map(|u| u.id);
        let invited = self.store().invite_champions(people, note, by).await?;
        let text = if note.trim().is_empty() {
            "You are invited to be an AI champion: the colleague people ask. Accept, or decline (you will not be asked again).".to_owned()
        } else {
            format!(
                "You are invited to be an AI champion: {} Accept, or decline (you will not be asked again).",
                note.trim()
            )
        };
        for p in &invited {
            self.notice("champion_invited", *p, "invitation", &text)
                .await;
        }
        Ok(invited)
    }
}
