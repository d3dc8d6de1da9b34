//! "Can I?" in chat: a question in free words (`/cani ChatGPT Enterprise to summarise a
//! customer contract`) read into the tool, purpose and data class the policies decide on,
//! then answered by the same [`App::ask`] as the web form. What cannot be told from the
//! words is asked back with menus ([`ChatAnswer::Unclear`]), never guessed into a "No".
//!
//! And who asks: a chat member matched to a person of the org chart acts through that
//! person's account (made without a password, as single sign-on would, the first time).

use flywheel_domain::org::IdentityKind;
use flywheel_domain::program::{Role, DATA_CLASSES};
use flywheel_policy::Question;
use flywheel_store::{Channel, ChatAccount};

use crate::can_i::Answered;
use crate::{App, AppResult, Caller};

/// What the words of a question name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AskReading {
    pub tool: Option<String>,
    pub purpose: Option<String>,
    pub data_class: Option<String>,
    /// Tools the words could mean, when more than one (`Copilot`).
    pub tool_candidates: Vec<String>,
}

impl AskReading {
    /// What the words leave open, as the question to ask back ("which tool", "what for",
    /// "with which data"): the one list every front door shows.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.tool.is_none() {
            out.push("which tool");
        }
        if self.purpose.is_none() {
            out.push("what for");
        }
        if self.data_class.is_none() {
            out.push("with which data");
        }
        out
    }

    /// The tools to offer: those the words could mean, else every tool.
    pub fn tool_choices<'a>(&'a self, tools: &'a [String]) -> &'a [String] {
        if self.tool_candidates.is_empty() {
            tools
        } else {
            &self.tool_candidates
        }
    }
}

/// A chat question's outcome.
#[derive(Debug, Clone)]
pub enum ChatAnswer {
    /// Decided, as the web form would.
    Answered(Box<Answered>),
    /// Something could not be told from the words: what was, and the choices.
    Unclear {
        reading: AskReading,
        tools: Vec<String>,
        purposes: Vec<String>,
        classes: Vec<String>,
    },
}

/// Who a chat member is to Flywheel.
pub enum ChatMember {
    /// Matched to a person with an account that may act.
    Member(Box<App>),
    /// Not matched to anybody in the org chart (a guest, or an email that differs).
    Unmatched,
    /// Matched, but their account is disabled.
    Disabled,
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `word` and `stem` share their first few letters (`summarise` ≈ `summarising`,
/// `analyse` ≈ `analysis`): a light stemmer for the catalog's words.
fn same_stem(word: &str, stem: &str) -> bool {
    let n = stem.chars().count().min(5);
    n > 0 && word.chars().take(n).eq(stem.chars().take(n))
}

/// Reads a question's words against the catalog's tools and purposes.
pub fn read_question(text: &str, tools: &[String], purposes: &[String]) -> AskReading {
    let lower = text.to_lowercase();
    let ws = words(text);
    let mut out = AskReading::default();
    // A tool named in full (the longest, so "ChatGPT Enterprise" beats a shorter name in
    // it); else the tools one of whose distinctive words is there.
    let mut full: Vec<&String> = tools
        .iter()
        .filter(|t| !t.is_empty() && lower.contains(&t.to_lowercase()))
        .collect();
    full.sort_by_key(|t| std::cmp::Reverse(t.len()));
    if let Some(t) = full.first() {
        out.tool = Some((*t).clone());
    } else {
        const COMMON: &[&str] = &[
            "ai",
            "microsoft",
            "365",
            "public",
            "chatbots",
            "enterprise",
            "the",
            "for",
            "and",
        ];
        let candidates: Vec<String> = tools
            .iter()
            .filter(|t| {
                words(t)
                    .iter()
                    .any(|w| !COMMON.contains(&w.as_str()) && w.len() > 2 && ws.contains(w))
            })
            .cloned()
            .collect();
        if candidates.len() == 1 {
            out.tool = candidates.first().cloned();
        } else {
            out.tool_candidates = candidates;
        }
    }
    // The purpose whose every word is there (stemmed), the longest first.
    let mut best: Option<(usize, &String)> = None;
    for p in purposes {
        let pw = words(p);
        if !pw.is_empty()
            && pw.iter().all(|s| ws.iter().any(|w| same_stem(w, s)))
            && best.is_none_or(|(n, _)| pw.len() > n)
        {
            best = Some((pw.len(), p));
        }
    }
    out.purpose = best.map(|(_, p)| p.clone());
    // The data class named, or the most protected one its cues point to.
    const CUES: &[(&str, &[&str])] = &[
        (
            "restricted",
            &[
                "restricted",
                "credential",
                "credentials",
                "password",
                "passwords",
                "health",
                "medical",
                "card",
                "insider",
                "secret",
                "secrets",
            ],
        ),
        (
            "personal",
            &[
                "personal",
                "pii",
                "hr",
                "cv",
                "cvs",
                "resume",
                "resumes",
                "performance",
                "employee",
                "employees",
                "candidate",
                "candidates",
                "salary",
            ],
        ),
        (
            "confidential",
            &[
                "confidential",
                "contract",
                "contracts",
                "customer",
                "customers",
                "client",
                "pricing",
                "unreleased",
                "financials",
            ],
        ),
        (
            "internal",
            &[
                "internal", "wiki", "plan", "plans", "notes", "meeting", "roadmap",
            ],
        ),
        (
            "public",
            &["public", "published", "press", "blog", "marketing", "open"],
        ),
    ];
    out.data_class = CUES
        .iter()
        .find(|(_, cues)| cues.iter().any(|c| ws.iter().any(|w| w == c)))
        .map(|(c, _)| (*c).to_owned());
    out
}

impl App {
    /// Answers a question in free words for the caller (logged as demand, through
    /// `channel`), or says what it could not tell.
    pub async fn chat_can_i(&self, text: &str, channel: Channel) -> AppResult<ChatAnswer> {
        let catalog = self.store().catalog().await?;
        let tools: Vec<String> = catalog.iter().map(|t| t.name.clone()).collect();
        let mut purposes: Vec<String> = catalog.iter().flat_map(|t| t.purposes.clone()).collect();
        purposes.sort();
        purposes.dedup();
        let reading = read_question(text, &tools, &purposes);
        match (&reading.tool, &reading.purpose, &reading.data_class) {
            (Some(tool), Some(purpose), Some(class)) => {
                let q = Question {
                    tool: tool.clone(),
                    purpose: purpose.clone(),
                    data_class: class.clone(),
                };
                Ok(ChatAnswer::Answered(Box::new(self.ask(&q, channel).await?)))
            }
            _ => Ok(ChatAnswer::Unclear {
                reading,
                tools,
                purposes,
                classes: DATA_CLASSES.iter().map(|(c, _)| (*c).to_owned()).collect(),
            }),
        }
    }

    /// The caller's Slack user id, if their person is matched to one.
    pub async fn slack_id_of_caller(&self) -> AppResult<Option<String>> {
        match self.caller().user().and_then(|u| u.person_id) {
            Some(p) => Ok(self.store().chat_id_of(IdentityKind::Slack, p).await?),
            None => Ok(None),
        }
    }

    /// The chat member `id` (a Slack user id) as Flywheel sees them: matched to a person
    /// (by the work email of their chat profile) and acting through that person's account,
    /// made at first use without a password (audited `user.provision`) with the employee
    /// role.
    pub async fn chat_member(&self, kind: IdentityKind, id: &str) -> AppResult<ChatMember> {
        Ok(
            match self.store().chat_account(kind, id, Role::Employee).await? {
                ChatAccount::Unmatched => ChatMember::Unmatched,
                ChatAccount::Disabled => ChatMember::Disabled,
                ChatAccount::Account(user) => {
                    ChatMember::Member(Box::new(self.core.app(Caller::User(user))))
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> (Vec<String>, Vec<String>) {
        let tools = [
            "Microsoft 365 Copilot",
            "ChatGPT Enterprise",
            "GitHub Copilot",
            "Public AI chatbots",
            "AI meeting recorders",
        ];
        let purposes = [
            "drafting",
            "summarising",
            "meeting notes",
            "analysis",
            "translation",
            "research",
            "coding",
            "code review",
            "documentation",
        ];
        (
            tools.map(String::from).to_vec(),
            purposes.map(String::from).to_vec(),
        )
    }

    #[test]
    fn free_words_name_the_tool_purpose_and_data() {
        let (tools, purposes) = catalog();
        let r = read_question(
            "ChatGPT Enterprise to summarise a customer contract",
            &tools,
            &purposes,
        );
        assert_eq!(r.tool.as_deref(), Some("ChatGPT Enterprise"));
        assert_eq!(r.purpose.as_deref(), Some("summarising"));
        assert_eq!(r.data_class.as_deref(), Some("confidential"));
        let r = read_question(
            "can I use chatgpt for summarizing our public blog posts?",
            &tools,
            &purposes,
        );
        assert_eq!(
            (
                r.tool.as_deref(),
                r.purpose.as_deref(),
                r.data_class.as_deref()
            ),
            (
                Some("ChatGPT Enterprise"),
                Some("summarising"),
                Some("public")
            )
        );
        // "Copilot" could be two tools: asked back, with both offered first.
        let r = read_question("copilot for drafting internal plans", &tools, &purposes);
        assert_eq!(r.tool, None);
        assert_eq!(
            r.tool_candidates,
            vec![
                "Microsoft 365 Copilot".to_owned(),
                "GitHub Copilot".to_owned()
            ]
        );
        assert_eq!(r.purpose.as_deref(), Some("drafting"));
        // Two purposes: the one named in more words wins.
        let r = read_question(
            "AI meeting recorders for meeting notes with HR data",
            &tools,
            &purposes,
        );
        assert_eq!(
            (
                r.tool.as_deref(),
                r.purpose.as_deref(),
                r.data_class.as_deref()
            ),
            (
                Some("AI meeting recorders"),
                Some("meeting notes"),
                Some("personal")
            )
        );
        let r = read_question("hello", &tools, &purposes);
        assert_eq!(r, AskReading::default());
    }
}
