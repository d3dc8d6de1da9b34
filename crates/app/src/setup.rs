//! The first-run checklist: what a program lead does to start, each step with whether it
//! is done (read from the database, never remembered), what it rests on, and the command
//! or page that does it.

use crate::{App, AppResult};

/// One step of setting Flywheel up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupStep {
    pub key: &'static str,
    pub title: &'static str,
    pub done: bool,
    /// What the state rests on ("107 people").
    pub detail: String,
    /// The command or page that does it.
    pub how: &'static str,
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl App {
    /// The checklist, for admins (the people who set Flywheel up).
    pub async fn setup_steps(&self) -> AppResult<Vec<SetupStep>> {
        self.require_admin("see the setup checklist")?;
        let count = |t: &'static str| async move { self.store().count(t).await };
        let people = count("people").await?;
        let usage = count("usage").await? + count("tool_access").await?;
        let tools = count("tools").await?;
        let policies = count("policies").await?;
        let courses = count("courses").await?;
        let accounts = count("users").await?;
        let champions = count("champions").await? + count("champion_invitations").await?;
        let sso = self.oidc().await?.map(|o| o.name);
        Ok(vec![
            SetupStep {
                key: "org_chart",
                title: "Import the org chart",
                done: people > 0,
                detail: plural(people, "person", "people"),
                how: "flywheel import hris FILE",
            },
            SetupStep {
                key: "usage",
                title: "Import AI usage",
                done: usage > 0,
                detail: plural(usage, "usage or seat record", "usage and seat records"),
                how: "flywheel import github-copilot|m365-copilot|chatgpt|events FILE",
            },
            SetupStep {
                key: "catalog",
                title: "Load the tools catalog",
                done: tools > 0,
                detail: plural(tools, "tool", "tools"),
                how: "flywheel tools load FILE",
            },
            SetupStep {
                key: "policies",
                title: "Review the \"Can I?\" policies",
                done: policies > 0,
                detail: if policies > 0 {
                    plural(policies, "saved version", "saved versions")
                } else {
                    "the built-in defaults are in force".to_owned()
                },
                how: "/admin/policies",
            },
            SetupStep {
                key: "courses",
                title: "Load the courses and badges",
                done: courses > 0,
                detail: plural(courses, "course", "courses"),
                how: "flywheel badges load config/learning.toml",
            },
            SetupStep {
                key: "sign_in",
                title: "Let people sign in",
                done: sso.is_some() || accounts > 1,
                detail: match &sso {
                    Some(name) => format!("single sign-on with {name}"),
                    None => format!("{}, no single sign-on", plural(accounts, "account", "accounts")),
                },
                how: "flywheel auth oidc set --issuer URL --client-id ID --client-secret-file FILE (or invite people: /admin/invitations)",
            },
            SetupStep {
                key: "champions",
                title: "Invite the first champions",
                done: champions > 0,
                detail: plural(
                    champions,
                    "champion or invitation",
                    "champions and invitations",
                ),
                how: "flywheel champions plan --stage walk --send-invitations",
            },
        ])
    }
}
