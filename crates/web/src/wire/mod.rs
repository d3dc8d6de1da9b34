//! The wire of `/api/v1`: the response types of objects that the inner crates own (a win,
//! a champion, an access request, an incident, a person, a credential's verification),
//! converted from the application's values; the page envelope; and the error responses
//! every operation shares. The area modules own the request and response types of their
//! own endpoints. Every type here derives `ToSchema`, so the OpenAPI document
//! ([`crate::openapi`]) is generated from exactly what is sent.
//!
//! Rules: nothing below `web` derives a schema or is sent as it is; every field is always
//! sent (`null` rather than absent), which the document states by listing every property
//! as required.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use flywheel_domain::program::{
    ChampionStatus, Frequency, IncidentState, RequestState, Role, Severity, TimeStated, WinSource,
};
use serde::Serialize;
use utoipa::openapi::{
    ContentBuilder, Object, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder, Type,
};
use utoipa::{IntoResponses, ToSchema};

use crate::error::ErrorCode;

/// One page of a list: every list endpoint answers in this shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// This page's number, from 1.
    pub page: u32,
    pub per_page: u32,
    /// Items in the whole list.
    pub total: i64,
    /// The next page's number; `null` on the last page.
    pub next_page: Option<u32>,
}

/// A string schema that takes one of `words`.
pub(crate) fn words<'a>(words: impl IntoIterator<Item = &'a str>, about: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(words.into_iter().map(str::to_owned)))
        .description(Some(about))
        .build()
}

/// The schema of a domain enum's words, for `#[schema(schema_with = …)]` (the enums live in
/// `domain`, which knows no wire format).
macro_rules! word_schemas {
    ($($fn_name:ident: $enum:ty, $about:literal;)*) => {
        $(pub(crate) fn $fn_name() -> Object {
            words(<$enum>::ALL.iter().map(|w| w.as_str()), $about)
        })*
    };
}

word_schemas! {
    time_stated: TimeStated, "before_after: both figures stated; saved: only the saving (in minutes_before, minutes_after 0); unknown: no time stated (the minutes are 0 and mean nothing).";
    win_source: WinSource, "web: posted on Flywheel; slack: a post in a wins channel.";
    champion_status: ChampionStatus, "The champion's status.";
    request_state: RequestState, "The access request's state.";
    severity: Severity, "How bad the incident is.";
    incident_state: IncidentState, "Where the incident is in triage.";
    role: Role, "The account's role.";
}

pub(crate) fn frequency() -> Object {
    words(Frequency::NAMES.split(", "), "How often the task recurs.")
}

// ---------------------------------------------------------------- objects of inner crates

/// A win.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Win {
    pub id: i64,
    pub title: String,
    pub what: String,
    pub tool: Option<String>,
    pub author: String,
    pub department: String,
    pub minutes_before: i64,
    pub minutes_after: i64,
    #[schema(schema_with = frequency)]
    pub frequency: String,
    #[schema(schema_with = time_stated)]
    pub time_stated: TimeStated,
    /// (before − after) × occurrences per month; negative when the tool made it slower;
    /// `null` when the win stated no time.
    pub minutes_saved_per_month: Option<f64>,
    pub created_at: String,
    /// People who said "I tried this too".
    pub tried_too: i64,
    pub use_case_id: Option<i64>,
    #[schema(schema_with = win_source)]
    pub source: WinSource,
    /// The chat message, when known.
    pub link: Option<String>,
    /// Reactions to the chat post (0 for wins posted on Flywheel).
    pub reactions: i64,
}

impl From<flywheel_store::WinRow> for Win {
    fn from(w: flywheel_store::WinRow) -> Win {
        Win {
            id: w.id,
            title: w.title,
            what: w.what,
            tool: w.tool,
            author: w.author,
            department: w.department,
            minutes_before: w.minutes_before,
            minutes_after: w.minutes_after,
            frequency: w.frequency,
            time_stated: w.time_stated,
            minutes_saved_per_month: w.minutes_saved_per_month,
            created_at: w.created_at,
            tried_too: w.tried_too,
            use_case_id: w.use_case_id,
            source: w.source,
            link: w.link,
            reactions: w.reactions,
        }
    }
}

/// A champion in the directory (opt-in profiles only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Champion {
    pub person_id: i64,
    pub name: String,
    pub department: String,
    pub unit: String,
    pub site: String,
    #[schema(schema_with = champion_status)]
    pub status: ChampionStatus,
    pub bio: String,
    pub tools: Vec<String>,
    pub office_hours: String,
}

impl From<flywheel_store::DirectoryEntry> for Champion {
    fn from(d: flywheel_store::DirectoryEntry) -> Champion {
        Champion {
            person_id: d.person_id,
            name: d.name,
            department: d.department,
            unit: d.unit,
            site: d.site,
            status: d.status,
            bio: d.bio,
            tools: d.tools,
            office_hours: d.office_hours,
        }
    }
}

/// An access request, with its clock.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessRequest {
    pub id: i64,
    pub person_id: i64,
    pub person: String,
    pub tool: Option<String>,
    pub reason: String,
    #[schema(schema_with = request_state)]
    pub state: RequestState,
    pub requested_at: String,
    pub decided_at: Option<String>,
    /// Email of the approver.
    pub decided_by: Option<String>,
    pub decision_note: String,
    /// Hours from the request to its decision, or to now while open.
    pub clock_hours: f64,
    /// Open and past the target.
    pub overdue: bool,
    pub reminders: i64,
}

impl From<flywheel_store::AccessRequestRow> for AccessRequest {
    fn from(r: flywheel_store::AccessRequestRow) -> AccessRequest {
        AccessRequest {
            id: r.id,
            person_id: r.person_id,
            person: r.person,
            tool: r.tool,
            reason: r.reason,
            state: r.state,
            requested_at: r.requested_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by,
            decision_note: r.decision_note,
            clock_hours: r.clock_hours,
            overdue: r.overdue,
            reminders: r.reminders,
        }
    }
}

/// The response clock over all access requests.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessClock {
    pub target_hours: f64,
    pub open: usize,
    pub overdue: usize,
    pub decided: usize,
    pub granted: usize,
    pub median_hours_to_decision: Option<f64>,
    pub p90_hours_to_decision: Option<f64>,
    /// Decided requests decided within the target.
    pub share_within_target: Option<f64>,
    /// Granted requests whose person used the tool on or after the day of the grant.
    pub used_after_grant: usize,
    /// Median days from the grant to the first day of use (usage data is daily).
    pub median_days_grant_to_first_use: Option<f64>,
    /// Share of used grants first used on the day of the grant.
    pub share_used_same_day: Option<f64>,
}

impl From<flywheel_store::AccessClock> for AccessClock {
    fn from(c: flywheel_store::AccessClock) -> AccessClock {
        AccessClock {
            target_hours: c.target_hours,
            open: c.open,
            overdue: c.overdue,
            decided: c.decided,
            granted: c.granted,
            median_hours_to_decision: c.median_hours_to_decision,
            p90_hours_to_decision: c.p90_hours_to_decision,
            share_within_target: c.share_within_target,
            used_after_grant: c.used_after_grant,
            median_days_grant_to_first_use: c.median_days_grant_to_first_use,
            share_used_same_day: c.share_used_same_day,
        }
    }
}

/// An incident.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Incident {
    pub id: i64,
    pub tool: Option<String>,
    pub data_class: String,
    #[schema(schema_with = severity)]
    pub severity: Severity,
    pub what: String,
    #[schema(schema_with = incident_state)]
    pub state: IncidentState,
    pub reported_at: String,
    pub intervened_at: Option<String>,
    pub resolved_at: Option<String>,
    pub hours_to_intervene: Option<f64>,
    /// Email of the reporting account (reports made on Flywheel).
    pub reported_by: Option<String>,
    pub guardrail_version: Option<i64>,
    pub guardrail_note: String,
}

impl From<flywheel_store::IncidentRow> for Incident {
    fn from(i: flywheel_store::IncidentRow) -> Incident {
        Incident {
            id: i.id,
            tool: i.tool,
            data_class: i.data_class,
            severity: i.severity,
            what: i.what,
            state: i.state,
            reported_at: i.reported_at,
            intervened_at: i.intervened_at,
            resolved_at: i.resolved_at,
            hours_to_intervene: i.hours_to_intervene,
            reported_by: i.reported_by,
            guardrail_version: i.guardrail_version,
            guardrail_note: i.guardrail_note,
        }
    }
}

/// A person, with the names of their unit, site and manager (individual-level).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Person {
    pub id: i64,
    pub hris_id: Option<String>,
    pub display_name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    pub unit_id: Option<i64>,
    pub unit: Option<String>,
    pub site_id: Option<i64>,
    pub site: Option<String>,
    pub manager_id: Option<i64>,
    /// Why the manager link was flagged on import, if it was.
    pub manager_issue: Option<String>,
    pub hire_date: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

impl From<flywheel_store::PersonRow> for Person {
    fn from(p: flywheel_store::PersonRow) -> Person {
        Person {
            id: p.id,
            hris_id: p.hris_id,
            display_name: p.display_name,
            email: p.email,
            title: p.title,
            unit_id: p.unit_id,
            unit: p.unit,
            site_id: p.site_id,
            site: p.site,
            manager_id: p.manager_id,
            manager_issue: p.manager_issue,
            hire_date: p.hire_date,
            left_on: p.left_on,
        }
    }
}

/// The outcome of verifying an Open Badges 3.0 credential.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    /// True when no check failed.
    pub valid: bool,
    /// `data-integrity` (a JSON credential with an `eddsa-rdfc-2022` proof) or `vc-jwt`.
    #[schema(schema_with = credential_format)]
    pub format: &'static str,
    pub credential_id: Option<String>,
    pub issuer: Option<String>,
    pub issuer_name: Option<String>,
    pub achievement: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub checks: Vec<CheckOutcome>,
}

/// One check of a verification.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Check)]
pub struct CheckOutcome {
    #[schema(schema_with = check_name)]
    pub check: &'static str,
    #[schema(schema_with = outcome)]
    pub outcome: &'static str,
    pub detail: String,
}

fn credential_format() -> Object {
    words(
        ["data-integrity", "vc-jwt"],
        "The credential's securing format.",
    )
}

fn check_name() -> Object {
    words(
        ["format", "signature", "issuer", "validity", "revocation"],
        "What was checked.",
    )
}

fn outcome() -> Object {
    words(["passed", "failed", "skipped"], "How the check came out.")
}

impl From<flywheel_badges::verify::Report> for Verification {
    fn from(r: flywheel_badges::verify::Report) -> Verification {
        Verification {
            valid: r.valid,
            format: r.format,
            credential_id: r.credential_id,
            issuer: r.issuer,
            issuer_name: r.issuer_name,
            achievement: r.achievement,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            checks: r
                .checks
                .into_iter()
                .map(|c| CheckOutcome {
                    check: c.check,
                    outcome: c.outcome.as_str(),
                    detail: c.detail,
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------- small answers

/// `{"id": …}`: the id of what was created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// `{"new": …}`: whether the call changed anything (saying it twice does not).
#[derive(Debug, Serialize, ToSchema)]
pub struct New {
    pub new: bool,
}

// ---------------------------------------------------------------- error responses

/// The responses of the errors answered with one of `statuses`: each names the codes that
/// answer with that status (from the table in [`crate::error`]) and has the `Error` body.
pub(crate) fn error_responses(statuses: &[u16]) -> BTreeMap<String, RefOr<Response>> {
    statuses
        .iter()
        .map(|&s| {
            let codes: Vec<&str> = ErrorCode::ALL
                .iter()
                .filter(|c| c.status().as_u16() == s)
                .map(|c| c.code())
                .collect();
            let response = ResponseBuilder::new()
                .description(format!(
                    "An error: {}; see /api/v1/errors.",
                    codes.join(", ")
                ))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Error")))
                        .build(),
                )
                .build();
            (s.to_string(), RefOr::T(response))
        })
        .collect()
}

/// Declares the sets of errors an operation documents, for `responses(…)` of
/// `#[utoipa::path]`. Every operation also documents 503 (the database is unreachable), and
/// every write 507 (it is full): [`crate::openapi`] adds those to all.
macro_rules! error_sets {
    ($($(#[$m:meta])* $name:ident => [$($status:literal),*];)*) => {
        $($(#[$m])* pub struct $name;
        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                error_responses(&[$($status),*])
            }
        })*
    };
}

error_sets! {
    /// A read: a bad parameter, no credentials, too many requests.
    Read => [400, 401, 429];
    /// A write: also a role that may not, an account not linked or a state that does not
    /// allow it, a body over the limit.
    Write => [400, 401, 403, 409, 413, 429];
    /// No such object.
    Missing => [404];
    /// A role that may not (on a read).
    Refused => [403];
    /// A write's body that is not JSON.
    NotJson => [415];
    /// A policy that Cedar refuses.
    Unprocessable => [422];
    /// Too many requests (on public endpoints).
    Limited => [429];
    /// A bad request (on public endpoints).
    BadRequest => [400];
    /// A body over the limit (on public endpoints).
    TooLarge => [413];
}

pub mod dashboard;
pub mod scim;
