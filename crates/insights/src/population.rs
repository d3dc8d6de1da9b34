//! The data the program analytics read: people with their place in the organisation, the
//! collaboration network, usage, help given and wins — already reduced to indexes, so that
//! every analysis is a pure function of one value. The store builds it (`Store::population`).

use chrono::{DateTime, NaiveDate, Utc};
use flywheel_domain::usage::QuestionStage;
use serde::Serialize;

/// One person. Indexes into [`Population`]'s name lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    /// The store's person id (what the CLI and the API name people by).
    pub id: i64,
    pub name: String,
    pub department: u32,
    /// Their own unit (a team, or the department for people above teams).
    pub unit: Option<u32>,
    pub site: Option<u32>,
    /// Depth in the manager tree: 0 for people without a manager (the top).
    pub level: u32,
    /// Everyone below them in the manager tree.
    pub span: u32,
    /// Opted out of champion suggestions: never suggested, never planned.
    pub opted_out: bool,
    /// Volunteered as a champion.
    pub volunteer: bool,
    /// Serving as a champion since this day.
    pub champion_since: Option<NaiveDate>,
}

/// One day of someone's use of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Use {
    pub person: u32,
    pub tool: u32,
    /// Index into [`Population::features`] (`""` is a feature too: "unspecified").
    pub feature: u32,
    pub day: NaiveDate,
    pub count: u32,
}

/// A reply that helped: `helper` answered a question or thread of `helped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Help {
    pub helper: u32,
    pub helped: u32,
    pub day: NaiveDate,
}

/// A win someone shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Win {
    pub author: u32,
    pub day: NaiveDate,
    /// Reactions from colleagues (each a sign that someone read it and cared).
    pub reactions: u32,
}

/// A unit of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    pub name: String,
    /// The full path, e.g. `Engineering/Platform/Team Kestrel`.
    pub path: String,
    pub parent: Option<u32>,
    /// `division`, `department` or `team`.
    pub kind: String,
}

/// A licence or seat: `person` has access to `tool` (since `granted`, when the source says).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Access {
    pub person: u32,
    pub tool: u32,
    pub granted: Option<NaiveDate>,
}

/// Someone asked for access to an AI tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Request {
    pub person: u32,
    pub day: NaiveDate,
    pub granted: Option<NaiveDate>,
}

/// A question asked in a help channel, with its maturity stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Question {
    pub asker: u32,
    pub day: NaiveDate,
    /// None when the classifier was unsure: a question of no stage.
    pub stage: Option<QuestionStage>,
    pub answered: bool,
}

/// What the program did, for impact analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InterventionKind {
    /// A training session for a unit or site.
    Training,
    /// A champion assigned to a unit or site.
    Champion,
    /// A tool approved for a unit or site (or everyone).
    ToolApproved,
}

impl InterventionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Training => "training",
            Self::Champion => "champion",
            Self::ToolApproved => "tool_approved",
        }
    }

    pub fn parse(s: &str) -> Option<InterventionKind> {
        match s.replace('-', "_").as_str() {
            "training" => Some(Self::Training),
            "champion" => Some(Self::Champion),
            "tool_approved" | "tool" => Some(Self::ToolApproved),
            _ => None,
        }
    }
}

/// An intervention: what, for whom (a unit with everything below it, a site, or both), when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Intervention {
    /// The store's id (what `flywheel impact --intervention` names).
    pub id: i64,
    pub kind: InterventionKind,
    pub unit: Option<u32>,
    pub site: Option<u32>,
    pub tool: Option<u32>,
    pub day: NaiveDate,
    pub note: String,
}

/// An incident with an AI tool, and when someone intervened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub reported: DateTime<Utc>,
    pub intervened: Option<DateTime<Utc>>,
    pub severity: String,
}

/// Everything the analytics read, as of one day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Population {
    pub as_of: Option<NaiveDate>,
    pub people: Vec<Person>,
    pub departments: Vec<String>,
    pub sites: Vec<String>,
    pub tools: Vec<String>,
    pub features: Vec<String>,
    /// Collaboration ties between people (undirected, one entry per pair, weight > 0).
    pub ties: Vec<(u32, u32, f32)>,
    pub usage: Vec<Use>,
    pub help: Vec<Help>,
    pub wins: Vec<Win>,
    pub units: Vec<Unit>,
    pub access: Vec<Access>,
    pub requests: Vec<Request>,
    pub questions: Vec<Question>,
    pub interventions: Vec<Intervention>,
    /// Per site: the first day of its rollout wave, if scheduled.
    pub waves: Vec<Option<NaiveDate>>,
    pub incidents: Vec<Incident>,
}

impl Population {
    pub fn len(&self) -> usize {
        self.people.len()
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The collaboration graph (two arcs per tie).
    pub fn graph(&self) -> flywheel_netsci::Graph {
        flywheel_netsci::Graph::undirected_from_edges(self.people.len() as u32, &self.ties).0
    }

    /// Each person's first day of use, if any.
    pub fn first_use(&self) -> Vec<Option<NaiveDate>> {
        let mut first: Vec<Option<NaiveDate>> = vec![None; self.people.len()];
        for u in self.usage.iter().filter(|u| u.count > 0) {
            let slot = &mut first[u.person as usize];
            if slot.is_none_or(|d| u.day < d) {
                *slot = Some(u.day);
            }
        }
        first
    }

    /// Whether `unit` is `ancestor` or lies below it.
    pub fn unit_within(&self, mut unit: u32, ancestor: u32) -> bool {
        for _ in 0..=self.units.len() {
            if unit == ancestor {
                return true;
            }
            match self.units.get(unit as usize).and_then(|u| u.parent) {
                Some(p) => unit = p,
                None => return false,
            }
        }
        false
    }

    /// Whether person `p` is in the scope of an intervention (its unit and site, when given).
    pub fn in_scope(&self, p: u32, unit: Option<u32>, site: Option<u32>) -> bool {
        let person = &self.people[p as usize];
        unit.is_none_or(|u| person.unit.is_some_and(|x| self.unit_within(x, u)))
            && site.is_none_or(|s| person.site == Some(s))
    }

    /// Demand events in `[from, to]`: (person, day, is an access request — else a question).
    pub fn demand(&self, from: NaiveDate, to: NaiveDate) -> Vec<(u32, NaiveDate, bool)> {
        let inside = |d: NaiveDate| d >= from && d <= to;
        self.requests
            .iter()
            .filter(|r| inside(r.day))
            .map(|r| (r.person, r.day, true))
            .chain(
                self.questions
                    .iter()
                    .filter(|q| inside(q.day))
                    .map(|q| (q.asker, q.day, false)),
            )
            .collect()
    }

    /// Questions asked in `[from, to]`.
    pub fn questions_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<&Question> {
        self.questions
            .iter()
            .filter(|q| q.day >= from && q.day <= to)
            .collect()
    }

    /// Whether a training reached person `p` by `day`.
    pub fn trained(&self, p: u32, day: NaiveDate) -> bool {
        self.interventions.iter().any(|i| {
            i.kind == InterventionKind::Training && i.day <= day && self.in_scope(p, i.unit, i.site)
        })
    }

    /// The first day of person `p`'s site's rollout wave, if scheduled.
    pub fn wave_of(&self, p: u32) -> Option<NaiveDate> {
        self.people[p as usize]
            .site
            .and_then(|s| self.waves.get(s as usize).copied().flatten())
    }

    /// The first day anyone used a tool: the program's day 0.
    pub fn start(&self) -> Option<NaiveDate> {
        self.usage
            .iter()
            .filter(|u| u.count > 0)
            .map(|u| u.day)
            .min()
    }
}
