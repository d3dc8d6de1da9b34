//! The adoption program itself: tools, wins and use cases, learning and badges, champions,
//! access requests, incidents, stages and rollout waves, and the audit trail.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    AwardId, BadgeId, CourseId, DomainError, IncidentId, PersonId, RequestId, SiteId, ToolId,
    UnitId, UseCaseId, UserId, WinId,
};

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

/// "Report in 20 minutes instead of 4 hours."
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Win {
    pub id: WinId,
    pub author: PersonId,
    pub tool: Option<ToolId>,
    pub title: String,
    pub category: String,
    pub minutes_before: u32,
    pub minutes_after: u32,
    pub frequency: Frequency,
    pub at: DateTime<Utc>,
}

impl Win {
    /// Checks the rules of a win: a title, and durations that are not negative.
    pub fn validate_minutes(before: i64, after: i64) -> Result<(u32, u32), DomainError> {
        let conv =
            |what, v: i64| u32::try_from(v).map_err(|_| DomainError::Negative { what, value: v });
        Ok((
            conv("minutes before", before)?,
            conv("minutes after", after)?,
        ))
    }

    /// Minutes saved per month (negative when the tool made it slower: that is shown, not hidden).
    pub fn minutes_saved_per_month(&self) -> f64 {
        (f64::from(self.minutes_before) - f64::from(self.minutes_after))
            * self.frequency.per_month()
    }
}

/// An entry of the use-case library, promoted from wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UseCase {
    pub id: UseCaseId,
    pub title: String,
    pub steps: Vec<String>,
    pub tools: Vec<ToolId>,
    pub from_win: Option<WinId>,
}

/// "I tried this too": a re-use of a use case by someone in a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReUse {
    pub use_case: UseCaseId,
    pub person: PersonId,
    pub unit: Option<UnitId>,
    pub at: DateTime<Utc>,
}

/// A short modular course.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Course {
    pub id: CourseId,
    pub title: String,
    pub modules: Vec<CourseModule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseModule {
    pub title: String,
    pub minutes: u32,
    pub content: String,
}

impl Course {
    pub fn estimated_minutes(&self) -> u32 {
        self.modules.iter().map(|m| m.minutes).sum()
    }
}

/// A badge class: what must be shown to earn it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Badge {
    pub id: BadgeId,
    pub name: String,
    pub required_courses: Vec<CourseId>,
    /// A win verified by someone else earns it.
    pub by_demonstration: bool,
    /// Badges that must be held first (tiers: Explorer → Practitioner → Builder).
    pub requires: Vec<BadgeId>,
    pub campaign: Option<String>,
}

/// A badge awarded to a person; revocation keeps the award and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Award {
    pub id: AwardId,
    pub badge: BadgeId,
    pub person: PersonId,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub verified_by: Option<PersonId>,
}

impl Award {
    /// A demonstration must be verified by someone other than the earner.
    pub fn check_verifier(earner: PersonId, verifier: PersonId) -> Result<(), DomainError> {
        if earner == verifier {
            return Err(DomainError::SelfVerification(earner.to_string()));
        }
        Ok(())
    }
}

/// Where a champion is in the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChampionStatus {
    Suggested,
    Invited,
    Active,
    Alumni,
    OptedOut,
}

/// A person's role as champion in a program, for a term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Champion {
    pub person: PersonId,
    pub program: String,
    pub status: ChampionStatus,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
}

impl Champion {
    pub fn new(
        person: PersonId,
        program: String,
        status: ChampionStatus,
        term_start: NaiveDate,
        term_end: Option<NaiveDate>,
    ) -> Result<Self, DomainError> {
        check_period("champion term", term_start, term_end)?;
        Ok(Self {
            person,
            program,
            status,
            term_start,
            term_end,
        })
    }

    /// Past its term on `today` (to be rotated).
    pub fn past_term(&self, today: NaiveDate) -> bool {
        self.status == ChampionStatus::Active && self.term_end.is_some_and(|e| e < today)
    }
}

/// Checks that a period does not end before it starts.
pub fn check_period(
    what: &'static str,
    start: NaiveDate,
    end: Option<NaiveDate>,
) -> Result<(), DomainError> {
    match end {
        Some(end) if end < start => Err(DomainError::EndBeforeStart { what, start, end }),
        _ => Ok(()),
    }
}

/// The states of an access request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Open,
    Granted,
    Denied,
    Withdrawn,
}

impl RequestState {
    fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Granted => "granted",
            Self::Denied => "denied",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Only open requests move, and only to a final state.
    pub fn transition(self, to: RequestState) -> Result<RequestState, DomainError> {
        match (self, to) {
            (Self::Open, Self::Granted | Self::Denied | Self::Withdrawn) => Ok(to),
            _ => Err(DomainError::InvalidTransition {
                what: "access request",
                from: self.name(),
                to: to.name(),
            }),
        }
    }
}

/// A request for access to a tool, with its response clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessRequest {
    pub id: RequestId,
    pub person: PersonId,
    pub tool: ToolId,
    pub state: RequestState,
    pub opened_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub first_use_at: Option<DateTime<Utc>>,
}

impl AccessRequest {
    /// Hours from opening to decision, if decided.
    pub fn hours_to_decision(&self) -> Option<f64> {
        self.decided_at
            .map(|d| (d - self.opened_at).num_seconds() as f64 / 3600.0)
    }
}

/// How bad an incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// Triage states of an incident, in the only order it moves through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    Reported,
    Triaged,
    Contained,
    Resolved,
}

impl IncidentState {
    pub const ALL: [IncidentState; 4] = [
        Self::Reported,
        Self::Triaged,
        Self::Contained,
        Self::Resolved,
    ];

    /// The name as stored and shown.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Triaged => "triaged",
            Self::Contained => "contained",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentState> {
        Self::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

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

/// A visible failure, to be turned into a guardrail rather than a ban.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub tool: Option<ToolId>,
    pub data_class: Option<String>,
    pub severity: Severity,
    pub state: IncidentState,
    pub reported_at: DateTime<Utc>,
    pub triaged_at: Option<DateTime<Utc>>,
    pub guardrail: Option<String>,
}

/// The stages of the rollout, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Crawl,
    Walk,
    Run,
    Fly,
}

impl Stage {
    pub fn next(self) -> Option<Stage> {
        match self {
            Self::Crawl => Some(Self::Walk),
            Self::Walk => Some(Self::Run),
            Self::Run => Some(Self::Fly),
            Self::Fly => None,
        }
    }
}

/// One criterion of a stage gate, evaluated from data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    pub stage: Stage,
    pub criterion: String,
    pub target: f64,
    pub measured: f64,
    pub passed: bool,
    /// What the measurement was computed from, in words.
    pub evidence: String,
}

/// A site's planned month in the rollout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolloutWave {
    pub site: SiteId,
    /// First day of the planned month.
    pub planned_month: NaiveDate,
}

/// A sensitive action, kept in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

#[cfg(test)]
mod tests {

    #[test]
    fn incidents_only_move_forward_and_name_their_states() {
        use IncidentState::*;
        assert_eq!(
            IncidentState::ALL.map(IncidentState::as_str),
            ["reported", "triaged", "contained", "resolved"]
        );
        for s in IncidentState::ALL {
            assert_eq!(IncidentState::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            Reported.transition(Resolved),
            Ok(Resolved),
            "skipping is allowed"
        );
        assert!(Resolved.transition(Triaged).is_err(), "never backwards");
        assert!(Contained.transition(Contained).is_err(), "never in place");
        assert_eq!(IncidentState::parse("mitigated"), None);
    }

    use super::*;

    #[test]
    fn negative_durations_are_errors() {
        assert_eq!(Win::validate_minutes(240, 20), Ok((240, 20)));
        assert_eq!(
            Win::validate_minutes(-5, 20),
            Err(DomainError::Negative {
                what: "minutes before",
                value: -5
            })
        );
    }

    #[test]
    fn win_savings() {
        let w = Win {
            id: WinId(1),
            author: PersonId(1),
            tool: None,
            title: "report".into(),
            category: "reporting".into(),
            minutes_before: 240,
            minutes_after: 20,
            frequency: Frequency::Monthly,
            at: DateTime::<Utc>::from_timestamp(0, 0).expect("epoch"),
        };
        assert_eq!(w.minutes_saved_per_month(), 220.0);
    }

    #[test]
    fn terms_and_transitions() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert!(Champion::new(
            PersonId(1),
            "walk".into(),
            ChampionStatus::Active,
            d("2024-05-01"),
            Some(d("2024-01-01"))
        )
        .is_err());
        let c = Champion::new(
            PersonId(1),
            "walk".into(),
            ChampionStatus::Active,
            d("2024-01-01"),
            Some(d("2024-12-31")),
        )
        .expect("valid term");
        assert!(c.past_term(d("2025-01-02")));
        assert!(!c.past_term(d("2024-06-01")));
        assert_eq!(
            RequestState::Open.transition(RequestState::Granted),
            Ok(RequestState::Granted)
        );
        assert!(RequestState::Granted
            .transition(RequestState::Open)
            .is_err());
        assert!(Award::check_verifier(PersonId(3), PersonId(3)).is_err());
        assert_eq!(Stage::Crawl.next(), Some(Stage::Walk));
        assert_eq!(Stage::Fly.next(), None);
    }
}
