//! The data the program analytics read: people with their place in the organisation, the
//! collaboration network, usage, help given and wins — already reduced to indexes, so that
//! every analysis is a pure function of one value. The store builds it (`Store::population`).

use chrono::NaiveDate;
use serde::Serialize;

/// One person. Indexes into [`Population`]'s name lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    /// The store's person id (what the CLI and the API name people by).
    pub id: i64,
    pub name: String,
    pub department: u32,
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

    /// The first day anyone used a tool: the program's day 0.
    pub fn start(&self) -> Option<NaiveDate> {
        self.usage
            .iter()
            .filter(|u| u.count > 0)
            .map(|u| u.day)
            .min()
    }
}
