//! "Can I?": the policies in force, who asks as the policies see them, and the answer,
//! logged as a demand signal. One implementation for the page, the API, the CLI and chat.

use std::sync::{Arc, RwLock};

use flywheel_policy::{Answer, Asker, Decider, Policies, Question};
use flywheel_store::{CanIRecord, Channel, Store, User};

use crate::{App, AppError, AppResult, Caller};

/// The policies in force and their version (`None`: the built-in defaults, never saved).
pub async fn policies(store: &Store) -> AppResult<(Policies, Option<i64>)> {
    match store.policy().await? {
        Some(v) => Policies::parse(&v.text)
            .map(|p| (p, Some(v.version)))
            .map_err(|e| {
                AppError::Internal(format!(
                    "stored policy version {} is invalid: {e}",
                    v.version
                ))
            }),
        None => Policies::defaults()
            .map(|p| (p, None))
            .map_err(|e| AppError::Internal(format!("the built-in policies: {e}"))),
    }
}

/// The parsed policies in force, kept between questions: parsing and validating a policy
/// set costs far more than answering with it. Checked against the version in force (one
/// query) on every use, so a saved change applies to the next question.
#[derive(Default)]
pub struct PolicyCache {
    slot: RwLock<Option<(Option<i64>, Arc<Policies>)>>,
}

impl PolicyCache {
    pub async fn get(&self, store: &Store) -> AppResult<(Arc<Policies>, Option<i64>)> {
        let version = store.policy_version().await?;
        if let Some((v, p)) = self
            .slot
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
        {
            if *v == version {
                return Ok((p.clone(), version));
            }
        }
        let (p, v) = policies(store).await?;
        let p = Arc::new(p);
        *self
            .slot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((v, p.clone()));
        Ok((p, v))
    }
}

/// Who asks, as the policies see them: role, and the department and site of the linked
/// person (empty when the account is not linked, or for the operator).
pub async fn asker(store: &Store, user: Option<&User>) -> AppResult<Asker> {
    let Some(user) = user else {
        return Ok(Asker::default());
    };
    let place = match user.person_id {
        Some(p) => store.person_place(p).await?.unwrap_or_default(),
        None => Default::default(),
    };
    Ok(Asker {
        role: user.role.as_str().to_owned(),
        department: place.department,
        site: place.site,
    })
}

/// An answer with the version of the policies that gave it.
#[derive(Debug, Clone)]
pub struct Answered {
    pub answer: Answer,
    /// The policy version in force; `None` while the built-in defaults were never edited.
    pub policy_version: Option<i64>,
}

impl App {
    /// Answers "Can I use `q.tool` for `q.purpose` with `q.data_class` data?" for the
    /// caller, and logs the question (tool, purpose, data class, answer; never free text)
    /// as a demand signal, with the front door it came through.
    pub async fn ask(&self, q: &Question, channel: Channel) -> AppResult<Answered> {
        let store = self.store();
        let (policies, version) = self.core.policies.get(store).await?;
        let catalog = store.catalog().await?;
        let decider = Decider::new(&policies, &catalog)?;
        let user = match &self.caller {
            Caller::User(u) => Some(u),
            Caller::Operator | Caller::Anonymous => None,
        };
        let who = asker(store, user).await?;
        let answer = decider.ask(&who, q)?;
        store
            .log_can_i(&CanIRecord {
                user_id: user.map(|u| u.id),
                person_id: user.and_then(|u| u.person_id),
                tool: &answer.tool,
                purpose: &answer.purpose,
                data_class: &answer.data_class,
                allowed: answer.allowed,
                policy_version: version,
                channel,
            })
            .await?;
        Ok(Answered {
            answer,
            policy_version: version,
        })
    }

    /// The policies in force and their version.
    pub async fn policies(&self) -> AppResult<(Arc<Policies>, Option<i64>)> {
        self.core.policies.get(self.store()).await
    }

    /// The last `limit` versions of the policies, newest first, with who saved them and
    /// why (admins).
    pub async fn policy_history(
        &self,
        limit: u32,
    ) -> AppResult<Vec<flywheel_store::PolicyVersion>> {
        self.require_admin("read the policies' history")?;
        Ok(self.store().policy_history(limit).await?)
    }

    /// Validates and saves a new version of the policies (admins only); the version in
    /// force after. Refused with Cedar's message when the text does not parse or fit the
    /// schema.
    pub async fn save_policies(&self, text: &str, note: &str) -> AppResult<i64> {
        self.require_admin("change the policies")?;
        Policies::parse(text)?;
        Ok(self
            .store()
            .save_policy(text, self.caller.user().map(|u| u.id), note.trim())
            .await?)
    }
}
