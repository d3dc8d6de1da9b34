//! Flywheel's application layer: every use case once, with its authorization, for every
//! front door. The web pages, the JSON API and the CLI call this crate (the chat app,
//! SCIM and the connectors will too); none of them decides on its own who may do what.
//!
//! A front door builds a [`Core`] once (the store, the configuration, the clock, caches)
//! and, per request or command, an [`App`] bound to the [`Caller`]:
//!
//! ```text
//! let app = core.app(Caller::User(user));
//! let answered = app.ask(&question, Channel::Web).await?;
//! ```
//!
//! Invariants:
//! * Types here are not wire types: no `Serialize`. Each front door owns its wire format.
//! * Errors are [`AppError`]; each front door maps it once.
//! * Authorization is decided here, from the caller's role and ownership.

pub mod accounts;
pub mod analytics;
pub mod ask_words;
pub mod badge_admin;
pub mod badges;
pub mod can_i;
pub mod champions;
pub mod chat;
pub mod chat_ask;
pub mod chat_push;
pub mod dashboard;
pub mod digest;
mod error;
pub mod imports;
pub mod jobs;
pub mod learning;
pub mod library;
pub mod nudges;
pub mod people;
pub mod provisioning;
pub mod requests;
pub mod setup;
pub mod slack;
pub mod slack_home;
pub mod slack_live;
pub mod sso;
pub mod wins;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use flywheel_store::{Role, Store, User};

pub use error::{AppError, AppResult};

/// What time it is, for the use cases: the system clock, or a fixed instant in tests.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => t,
        }
    }
}

/// Who calls a use case.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A signed-in account (web page, API, chat once linked).
    User(User),
    /// The operator on the server's command line: every right, no person of its own.
    Operator,
    /// Nobody signed in (public pages such as credential verification).
    Anonymous,
}

impl Caller {
    /// The account, if the caller is one.
    pub fn user(&self) -> Option<&User> {
        match self {
            Caller::User(u) => Some(u),
            Caller::Operator | Caller::Anonymous => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Caller::User(u) => Some(u.role),
            Caller::Operator => Some(Role::Admin),
            Caller::Anonymous => None,
        }
    }

    /// Whether the caller administers the program (an admin account or the operator).
    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }
}

/// What every use case shares: the store, the clock and the caches. Cheap to clone.
#[derive(Clone)]
pub struct Core {
    store: Store,
    clock: Clock,
    policies: Arc<can_i::PolicyCache>,
}

impl Core {
    pub fn new(store: Store) -> Core {
        Core {
            store,
            clock: Clock::System,
            policies: Arc::new(can_i::PolicyCache::default()),
        }
    }

    /// The same core with another clock (tests, simulations).
    pub fn with_clock(mut self, clock: Clock) -> Core {
        self.clock = clock;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The use cases as `caller`.
    pub fn app(&self, caller: Caller) -> App {
        App {
            core: self.clone(),
            caller,
        }
    }
}

/// The use cases, bound to their caller.
#[derive(Clone)]
pub struct App {
    core: Core,
    caller: Caller,
}

impl App {
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    pub fn store(&self) -> &Store {
        &self.core.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.core.clock.now()
    }

    /// The refusal of `what` for the caller's role.
    fn forbid(&self, what: &str) -> AppError {
        let role = self.caller.role().map_or("anonymous", Role::as_str);
        AppError::Forbidden(format!("the {role} role may not {what}"))
    }

    /// Refuses unless the caller administers the program.
    pub fn require_admin(&self, what: &str) -> AppResult<()> {
        if self.caller.is_admin() {
            Ok(())
        } else {
            Err(self.forbid(what))
        }
    }

    /// Anything that writes: every role but viewer (and nobody anonymous).
    pub fn require_write(&self, what: &str) -> AppResult<()> {
        match self.caller.role() {
            Some(Role::Viewer) | None => Err(self.forbid(what)),
            Some(_) => Ok(()),
        }
    }

    /// The person of the org chart the caller's account is linked to: posting wins,
    /// trying them, volunteering and requesting access need one.
    pub fn person(&self) -> AppResult<i64> {
        self.caller
            .user()
            .and_then(|u| u.person_id)
            .ok_or(AppError::NotLinked)
    }

    /// The caller's account, or a refusal for the operator and the anonymous.
    pub fn require_user(&self, what: &str) -> AppResult<&User> {
        self.caller
            .user()
            .ok_or_else(|| AppError::Forbidden(format!("{what} needs a signed-in account")))
    }
}
