//! "Can I?" in chat: a question in free words (`/cani ChatGPT Enterprise to summarise a
//! customer contract`) read into the tool, purpose and data class the policies decide on,
//! then answered by the same [`App::ask`] as the web form. What cannot be told from the
//! words is asked back with menus ([`ChatAnswer::Unclear`]), never guessed into a "No".
//!
//! And who asks: a chat member matched to a person of the org chart acts through that
//! person's account (made without a password, as single sign-on would, the first time).

use flywheel_domain::org::IdentityKind;
use flywheel_domain::program::{Role, DATA_CLASSES};
use flywheel_store::{Channel, ChatAccount};

use crate::can_i::Answered;
use crate::{App, AppResult, Caller};

pub use crate::ask_words::{read_question, resolve, AskCatalog, AskReading, Resolved};

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

impl App {
    /// Answers a question in free words for the caller (logged as demand, through
    /// `channel`), or says what it could not tell.
    pub async fn chat_can_i(&self, text: &str, channel: Channel) -> AppResult<ChatAnswer> {
        let store = self.store();
        let catalog = store.catalog().await?;
        let words = AskCatalog::of(&catalog);
        let reading = read_question(text, &words);
        let (policies, _) = self.core.policies.get(store).await?;
        let decider = flywheel_policy::Decider::new(&policies, &catalog)?;
        let user = match &self.caller {
            Caller::User(u) => Some(u),
            Caller::Operator | Caller::Anonymous => None,
        };
        let who = crate::can_i::asker(store, user).await?;
        // A reading the policies cannot decide (an unknown tool) is one to ask about.
        let resolved = resolve(&reading, &words, |q| {
            decider.ask(&who, q).is_ok_and(|a| a.allowed)
        });
        match resolved {
            Resolved::Decided { question, .. } => Ok(ChatAnswer::Answered(Box::new(
                self.ask(&question, channel).await?,
            ))),
            Resolved::Ask => Ok(ChatAnswer::Unclear {
                reading,
                tools: words.tool_names(),
                purposes: words.purposes,
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
    use crate::ask_words::CatalogTool;

    fn catalog() -> AskCatalog {
        let tool = |name: &str, category: &str| CatalogTool {
            name: name.into(),
            category: category.into(),
        };
        AskCatalog {
            tools: vec![
                tool("Microsoft 365 Copilot", "ai-assistant"),
                tool("ChatGPT Enterprise", "ai-assistant"),
                tool("GitHub Copilot", "code-assistant"),
                tool("Public AI chatbots", "consumer-chatbot"),
                tool("AI meeting recorders", "meeting-recorder"),
            ],
            purposes: [
                "drafting",
                "summarising",
                "meeting notes",
                "analysis",
                "translation",
                "research",
                "coding",
                "code review",
                "documentation",
            ]
            .map(String::from)
            .to_vec(),
        }
    }

    fn read(text: &str) -> (Option<String>, Option<String>, Option<String>) {
        let r = read_question(text, &catalog());
        (r.tool, r.purpose, r.data_class)
    }

    fn some(t: &str, p: &str, c: &str) -> (Option<String>, Option<String>, Option<String>) {
        (Some(t.into()), Some(p.into()), Some(c.into()))
    }

    #[test]
    fn free_words_name_the_tool_purpose_and_data() {
        let want = some("ChatGPT Enterprise", "summarising", "confidential");
        for text in [
            "ChatGPT Enterprise to summarise a customer contract",
            "can I use chatgpt to summarize a client contract",
            "chat gpt for summarising contracts?",
            "chatgtp - summarise a customer's contract ok?",
        ] {
            assert_eq!(read(text), want, "{text}");
        }
        assert_eq!(
            read("free chatgpt to translate our published article"),
            some("Public AI chatbots", "translation", "public")
        );
        assert_eq!(
            read("can otter take notes on a customer call"),
            some("AI meeting recorders", "meeting notes", "confidential")
        );
        assert_eq!(
            read("copilot in excel to analyse payroll"),
            some("Microsoft 365 Copilot", "analysis", "personal")
        );
        assert_eq!(
            read("github copilot on patient records"),
            (
                Some("GitHub Copilot".into()),
                None,
                Some("restricted".into())
            )
        );
        // "Copilot" with nothing to place it could be two tools: asked back, both offered.
        let r = read_question("copilot for drafting internal plans", &catalog());
        assert_eq!(r.tool, None);
        assert_eq!(
            r.tool_candidates,
            vec![
                "Microsoft 365 Copilot".to_owned(),
                "GitHub Copilot".to_owned()
            ]
        );
        assert_eq!(r.purpose.as_deref(), Some("drafting"));
        let r = read_question("hello", &catalog());
        assert_eq!(r, AskReading::default());
    }

    #[test]
    fn decides_only_what_the_open_parts_cannot_change() {
        let c = catalog();
        // A toy policy: everything but restricted data, and the consumer chatbots only
        // for public data.
        let decide = |q: &flywheel_policy::Question| {
            q.data_class != "restricted"
                && (q.tool != "Public AI chatbots" || q.data_class == "public")
        };
        let decided = |text: &str| match resolve(&read_question(text, &c), &c, decide) {
            Resolved::Decided { allowed, .. } => Some(allowed),
            Resolved::Ask => None,
        };
        // Every tool and purpose says no to patient data.
        assert_eq!(
            decided("can I put patient data into an AI tool"),
            Some(false)
        );
        assert_eq!(
            decided("chatgpt enterprise to summarise a customer contract"),
            Some(true)
        );
        // An email says nothing of what is in it: a tool that takes any class says yes,
        // the consumer chatbot no, and a question with no tool is asked back.
        assert_eq!(decided("copilot in outlook to draft an email"), Some(true));
        assert_eq!(decided("gemini to draft an email"), Some(false));
        assert_eq!(decided("can I draft an email with AI"), None);
    }
}
