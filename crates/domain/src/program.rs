//! The adoption program itself: the tools of the catalog and the data that may go into
//! them, and the words of the program's state machines and records (wins, champions,
//! accounts, access requests, incidents). Only what is used is here: the types that hold
//! the records are the store's rows, which use these enums for their words.

use serde::{Deserialize, Serialize};

use crate::text::text_enum;
use crate::DomainError;

/// The classes of data a question can be about, least sensitive first, each with what
/// it covers (shown beside the "Can I?" form).
pub const DATA_CLASSES: [(&str, &str); 5] = [
    (
        "public",
        "published or meant for anyone: press releases, public docs, open source",
    ),
    (
        "internal",
        "ordinary work material not meant for outsiders: plans, wikis, meeting notes",
    ),
    (
        "confidential",
        "contracts, customer data, pricing, unreleased product details",
    ),
    (
        "personal",
        "data about identifiable people: HR records, CVs, performance reviews",
    ),
    (
        "restricted",
        "credentials, health or payment card data, inside information",
    ),
];

/// The names of [`DATA_CLASSES`], for error messages.
pub const DATA_CLASS_NAMES: &str = "public, internal, confidential, personal, restricted";

/// Checks a data class name (case-insensitive) and returns it in lower case.
pub fn data_class(value: &str) -> Result<String, DomainError> {
    let v = value.trim().to_lowercase();
    if DATA_CLASSES.iter().any(|(n, _)| *n == v) {
        Ok(v)
    } else {
        Err(DomainError::UnknownValue {
            what: "data class",
            value: value.to_owned(),
            allowed: DATA_CLASS_NAMES,
        })
    }
}

/// A purpose as compared: trimmed, lower case, inner whitespace collapsed to one space.
pub fn purpose(value: &str) -> Result<String, DomainError> {
    let v = value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if v.is_empty() {
        return Err(DomainError::Empty { what: "purpose" });
    }
    Ok(v)
}

/// A tool of the catalog: what it is for, how to get it, and what data may go into it.
/// Whether a use is allowed is decided by the policies (crate `policy`), which read the
/// purposes, data classes and approval as the tool's attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    /// One click to access or request the tool; empty when there is none.
    #[serde(default)]
    pub access_url: String,
    /// How to get started, step by step.
    #[serde(default)]
    pub how_to: Vec<String>,
    #[serde(default)]
    pub purposes: Vec<String>,
    #[serde(default)]
    pub data_classes: Vec<String>,
    /// Names of tools to suggest first when this one is not allowed.
    #[serde(default)]
    pub alternatives: Vec<String>,
    #[serde(default)]
    pub approved: bool,
}

impl Tool {
    /// The tool with its fields checked and normalised: a name and category, a link that
    /// is `http(s)://` or empty, purposes in the compared form, known data classes,
    /// no duplicates.
    pub fn normalized(mut self) -> Result<Tool, DomainError> {
        self.name = self.name.trim().to_owned();
        self.category = self.category.trim().to_lowercase();
        if self.name.is_empty() {
            return Err(DomainError::Empty { what: "tool name" });
        }
        if self.category.is_empty() {
            return Err(DomainError::Empty {
                what: "tool category",
            });
        }
        self.access_url = self.access_url.trim().to_owned();
        if !(self.access_url.is_empty()
            || self.access_url.starts_with("https://")
            || self.access_url.starts_with("http://"))
        {
            return Err(DomainError::UnknownValue {
                what: "access link",
                value: self.access_url,
                allowed: "an http:// or https:// address, or nothing",
            });
        }
        self.how_to = self
            .how_to
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let mut purposes = Vec::new();
        for p in &self.purposes {
            let p = purpose(p)?;
            if !purposes.contains(&p) {
                purposes.push(p);
            }
        }
        self.purposes = purposes;
        let mut classes = Vec::new();
        for c in &self.data_classes {
            let c = data_class(c)?;
            if !classes.contains(&c) {
                classes.push(c);
            }
        }
        self.data_classes = classes;
        let mut alts: Vec<String> = Vec::new();
        for a in &self.alternatives {
            let a = a.trim();
            if !a.is_empty() && a != self.name && !alts.iter().any(|x| x == a) {
                alts.push(a.to_owned());
            }
        }
        self.alternatives = alts;
        Ok(self)
    }
}

/// How often a win's task recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Once,
    Daily,
    Weekly,
    Monthly,
}

impl Frequency {
    pub const NAMES: &'static str = "once, daily, weekly, monthly";

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    pub fn parse(s: &str) -> Result<Frequency, DomainError> {
        match s.trim().to_lowercase().as_str() {
            "once" => Ok(Self::Once),
            "daily" => Ok(Self::Daily),
            "weekly" => Ok(Self::Weekly),
            "monthly" => Ok(Self::Monthly),
            _ => Err(DomainError::UnknownValue {
                what: "frequency",
                value: s.to_owned(),
                allowed: Self::NAMES,
            }),
        }
    }

    /// Occurrences in an average month (21 working days).
    pub fn per_month(self) -> f64 {
        match self {
            Self::Once => 0.0,
            Self::Daily => 21.0,
            Self::Weekly => 52.0 / 12.0,
            Self::Monthly => 1.0,
        }
    }
}

text_enum! {
    /// Where a win was shared.
    pub enum WinSource ("win source") {
        /// Posted on Flywheel.
        Web = "web",
        /// A post in a wins channel of Slack.
        Slack = "slack",
    }
}

text_enum! {
    /// What a win's figures are.
    pub enum TimeStated ("time stated") {
        /// Both the time before and after.
        BeforeAfter = "before_after",
        /// Only the time saved (kept as before = saving, after = 0).
        Saved = "saved",
        /// No time stated: the minutes are 0 and mean nothing.
        Unknown = "unknown",
    }
}

/// Minutes a win saves per month: (before − after) × occurrences per month; negative when
/// the tool made it slower (shown, not hidden); `None` when the win stated no time. The one
/// owner of this metric.
pub fn minutes_saved_per_month(
    before: i64,
    after: i64,
    frequency: Frequency,
    stated: TimeStated,
) -> Option<f64> {
    (stated != TimeStated::Unknown).then(|| (before - after) as f64 * frequency.per_month())
}

text_enum! {
    /// A person's champion status.
    pub enum ChampionStatus ("champion status") {
        /// Offered to help; not yet serving.
        Volunteer = "volunteer",
        /// Serves as a champion.
        Active = "active",
        /// Declined, and is not suggested again.
        OptedOut = "opted_out",
        /// Served and stopped.
        Former = "former",
    }
}

text_enum! {
    /// What an account may see and do.
    pub enum Role ("role") {
        Employee = "employee",
        Champion = "champion",
        Admin = "admin",
        Viewer = "viewer",
    }
}

/// The identity provider's groups that give roles (by name or id): the one rule for single
/// sign-on and for SCIM provisioning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleGroups {
    pub admin: Option<String>,
    pub champion: Option<String>,
    pub viewer: Option<String>,
}

impl RoleGroups {
    /// Whether roles follow groups (some group is configured).
    pub fn any(&self) -> bool {
        self.admin.is_some() || self.champion.is_some() || self.viewer.is_some()
    }

    /// The role of someone in `groups`: admin, then champion, then viewer, else employee;
    /// `None` when no group is configured (roles are then Flywheel's own).
    pub fn role_for<S: AsRef<str>>(&self, groups: &[S]) -> Option<Role> {
        if !self.any() {
            return None;
        }
        let has = |g: &Option<String>| {
            g.as_ref()
                .is_some_and(|g| groups.iter().any(|x| x.as_ref() == g))
        };
        Some(if has(&self.admin) {
            Role::Admin
        } else if has(&self.champion) {
            Role::Champion
        } else if has(&self.viewer) {
            Role::Viewer
        } else {
            Role::Employee
        })
    }
}

text_enum! {
    /// The states of an access request.
    pub enum RequestState ("access request state") {
        Open = "open",
        Granted = "granted",
        Denied = "denied",
        Withdrawn = "withdrawn",
    }
}

impl RequestState {
    /// Only open requests move, and only to a final state.
    pub fn transition(self, to: RequestState) -> Result<RequestState, DomainError> {
        match (self, to) {
            (Self::Open, Self::Granted | Self::Denied | Self::Withdrawn) => Ok(to),
            _ => Err(DomainError::InvalidTransition {
                what: "access request",
                from: self.as_str(),
                to: to.as_str(),
            }),
        }
    }
}

text_enum! {
    /// How bad an incident is, least first.
    pub enum Severity ("severity") {
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    }
}

text_enum! {
    /// Triage states of an incident, in the only order it moves through them.
    pub enum IncidentState ("incident state") {
        Reported = "reported",
        Triaged = "triaged",
        Contained = "contained",
        Resolved = "resolved",
    }
}

impl IncidentState {
    /// Forward only: an incident may skip states but never go back or stay.
    pub fn transition(self, to: IncidentState) -> Result<IncidentState, DomainError> {
        if to > self {
            Ok(to)
        } else {
            Err(DomainError::InvalidTransition {
                what: "incident",
                from: self.as_str(),
                to: to.as_str(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incidents_only_move_forward_and_name_their_states() {
        use IncidentState::*;
        assert_eq!(
            IncidentState::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            ["reported", "triaged", "contained", "resolved"]
        );
        for &s in IncidentState::ALL {
            assert_eq!(IncidentState::parse(s.as_str()), Ok(s));
        }
        assert_eq!(
            Reported.transition(Resolved),
            Ok(Resolved),
            "skipping is allowed"
        );
        assert!(Resolved.transition(Triaged).is_err(), "never backwards");
        assert!(Contained.transition(Contained).is_err(), "never in place");
        assert!(IncidentState::parse("mitigated").is_err());
    }

    #[test]
    fn words_round_trip_through_text_and_json() {
        fn check<T>(all: &[T])
        where
            T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + Serialize,
            T: for<'de> Deserialize<'de>,
        {
            for &v in all {
                let json = serde_json::to_string(&v).expect("json");
                assert_eq!(json, format!("\"{v}\""));
                assert_eq!(serde_json::from_str::<T>(&json).expect("back"), v);
            }
        }
        check(WinSource::ALL);
        check(TimeStated::ALL);
        check(ChampionStatus::ALL);
        check(Role::ALL);
        check(RequestState::ALL);
        check(Severity::ALL);
        check(IncidentState::ALL);
        assert_eq!(Role::parse(" admin "), Ok(Role::Admin));
        assert_eq!(
            Role::parse("root").map_err(|e| e.to_string()),
            Err("role: \"root\" is not one of employee, champion, admin, viewer".into())
        );
        assert!(Severity::Low < Severity::Critical);
    }

    #[test]
    fn request_transitions_and_savings() {
        assert_eq!(
            RequestState::Open.transition(RequestState::Granted),
            Ok(RequestState::Granted)
        );
        assert!(RequestState::Granted
            .transition(RequestState::Open)
            .is_err());
        let saved = |b, a, s| minutes_saved_per_month(b, a, Frequency::Monthly, s);
        assert_eq!(saved(240, 20, TimeStated::BeforeAfter), Some(220.0));
        assert_eq!(saved(30, 45, TimeStated::BeforeAfter), Some(-15.0));
        assert_eq!(saved(0, 0, TimeStated::Unknown), None);
        assert_eq!(
            minutes_saved_per_month(60, 0, Frequency::Weekly, TimeStated::Saved),
            Some(60.0 * 52.0 / 12.0)
        );
    }
}
