//! What people do: daily tool usage, interactions between people, questions.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{DomainError, PersonId, ToolId};

/// Use of one tool by one person on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyUsage {
    pub person: PersonId,
    pub tool: ToolId,
    pub day: NaiveDate,
    /// Prompts, messages, completions… whatever the source counts; at least 1 on a day of use.
    pub count: u32,
    /// The feature or surface used (e.g. "Teams", "code completion"), when known.
    pub feature: Option<String>,
}

/// How two people were seen to interact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    /// Standing collaboration (same team, shared projects): the demo's network.
    Collaboration,
    /// A chat reply in a thread.
    Reply,
    /// A mention (`<@U…>`).
    Mention,
    /// A reaction to someone's message.
    Reaction,
    /// An answered question: `from` helped `to`.
    Help,
    /// Taking part in the same chat thread (each pair, weight 1/(n−1)).
    Thread,
    /// A logged peer-teaching session.
    PeerSession,
}

impl InteractionKind {
    pub const ALL: [Self; 7] = [
        Self::Collaboration,
        Self::Reply,
        Self::Mention,
        Self::Reaction,
        Self::Help,
        Self::Thread,
        Self::PeerSession,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Collaboration => "collaboration",
            Self::Reply => "reply",
            Self::Mention => "mention",
            Self::Reaction => "reaction",
            Self::Help => "help",
            Self::Thread => "thread",
            Self::PeerSession => "peer_session",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::UnknownValue {
                what: "interaction kind",
                value: s.to_owned(),
                allowed: "collaboration, reply, mention, reaction, help, thread, peer_session",
            })
    }
}

/// A directed, weighted tie between two people observed at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    pub from: PersonId,
    pub to: PersonId,
    pub kind: InteractionKind,
    pub at: DateTime<Utc>,
    pub weight: f32,
}

impl Interaction {
    pub fn new(
        from: PersonId,
        to: PersonId,
        kind: InteractionKind,
        at: DateTime<Utc>,
        weight: f32,
    ) -> Result<Self, DomainError> {
        if !(weight.is_finite() && weight > 0.0) {
            return Err(DomainError::NotPositive {
                what: "interaction weight",
                value: f64::from(weight),
            });
        }
        Ok(Self {
            from,
            to,
            kind,
            at,
            weight,
        })
    }
}

/// The maturity of a question about AI, the ladder the program wants people to climb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionStage {
    /// "What is this?"
    Awareness,
    /// "How do I get access?"
    Access,
    /// "How do I do X with it?"
    HowTo,
    /// "How do I build Y nobody has tried?"
    Frontier,
}

/// A question someone asked, with who answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub asker: PersonId,
    pub at: DateTime<Utc>,
    pub stage: QuestionStage,
    pub answered_by: Vec<PersonId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_stages_round_trip_through_their_text() {
        for s in QuestionStage::ALL {
            assert_eq!(QuestionStage::parse(s.as_str()).ok(), Some(s));
        }
        assert!(QuestionStage::parse("how-to").is_err());
    }

    #[test]
    fn interaction_weight_must_be_positive() {
        let at = DateTime::<Utc>::from_timestamp(0, 0).expect("epoch");
        assert!(
            Interaction::new(PersonId(1), PersonId(2), InteractionKind::Reply, at, 0.0).is_err()
        );
        assert!(Interaction::new(
            PersonId(1),
            PersonId(2),
            InteractionKind::Reply,
            at,
            f32::NAN
        )
        .is_err());
        assert!(
            Interaction::new(PersonId(1), PersonId(2), InteractionKind::Reply, at, 1.5).is_ok()
        );
    }

    #[test]
    fn kinds_round_trip() {
        for k in InteractionKind::ALL {
            assert_eq!(InteractionKind::parse(k.as_str()), Ok(k));
        }
        assert!(QuestionStage::Awareness < QuestionStage::Frontier);
    }
}

/// Use of a tool by one identity over one period, as an export states it (before the
/// identity is resolved to a person).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub identity_kind: crate::org::IdentityKind,
    /// The identifier as written in the source (normalised when stored).
    pub identity: String,
    pub tool: String,
    /// First day of the period.
    pub day: NaiveDate,
    /// Length of the period in days (1 for daily rows).
    pub period_days: u32,
    /// The feature or surface, or "" for the tool as a whole.
    pub feature: String,
    pub count: u64,
}

/// That an identity has (had) access to a tool: a seat or licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    pub identity_kind: crate::org::IdentityKind,
    pub identity: String,
    pub tool: String,
    pub granted_on: Option<NaiveDate>,
    pub last_activity_on: Option<NaiveDate>,
    /// A cancellation date, if the seat is ending.
    pub ends_on: Option<NaiveDate>,
}

/// An identifier of a person in some system mapped to a person known by HRIS id or work
/// email (a line of an `--identities` mapping file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityMapping {
    pub kind: crate::org::IdentityKind,
    pub value: String,
    /// HRIS id or work email of the person.
    pub person: String,
    /// Source line, for reports.
    pub line: u64,
}

/// A member of a chat workspace (from Slack's `users.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatUser {
    pub id: String,
    pub name: String,
    pub real_name: Option<String>,
    pub email: Option<String>,
    pub is_bot: bool,
    pub deleted: bool,
}

/// A weighted tie derived from chat between two members (by chat id) on a UTC day:
/// `kind` is `reply`, `mention`, `reaction` or `thread` (co-participation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatTie {
    pub kind: InteractionKind,
    pub from: String,
    pub to: String,
    pub day: NaiveDate,
    pub channel: String,
    pub weight: f32,
}

/// A question asked in a help channel, as derived signals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatQuestion {
    pub channel: String,
    pub ts: String,
    /// Chat id of who asked.
    pub asker: String,
    pub at: DateTime<Utc>,
    /// The classifier's best guess; see `unsure`.
    pub stage: QuestionStage,
    /// The classifier is unsure of the stage (calibrated probability below one half): the
    /// question counts as a question of no stage.
    #[serde(default)]
    pub unsure: bool,
    /// The classifier's cues, so the stage can be explained.
    pub cues: Vec<String>,
    /// Chat ids of the people who answered in the thread (not the asker, not bots).
    pub answerers: Vec<String>,
    pub first_answer_at: Option<DateTime<Utc>>,
    /// The text, only when the admin chose to keep it.
    pub text: Option<String>,
}

/// A post in a wins channel, with the time saved when the post says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatWin {
    pub channel: String,
    pub ts: String,
    pub author: String,
    pub at: DateTime<Utc>,
    pub minutes_before: Option<f64>,
    pub minutes_after: Option<f64>,
    pub minutes_saved: Option<f64>,
    /// `once`, `day`, `week` or `month`.
    pub per: Option<String>,
    /// The words the figures were read from.
    pub phrase: Option<String>,
    /// How many reactions the post drew (visibility).
    pub reactions: u32,
    pub text: Option<String>,
    /// The message's permalink, when the workspace's address is known.
    pub link: Option<String>,
}

impl QuestionStage {
    /// Every stage, in the order people climb them.
    pub const ALL: [QuestionStage; 4] =
        [Self::Awareness, Self::Access, Self::HowTo, Self::Frontier];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Awareness => "awareness",
            Self::Access => "access",
            Self::HowTo => "how_to",
            Self::Frontier => "frontier",
        }
    }

    /// The stage named as [`QuestionStage::as_str`] writes it.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| DomainError::UnknownValue {
                what: "question stage",
                value: s.to_owned(),
                allowed: "awareness, access, how_to, frontier",
            })
    }
}
