//! The Slack app's Home tab, published (`views.publish`) each time a member opens it: their
//! badges and what is next (with what is missing), their access requests, the champions of
//! their department and of their site with office hours, and the next module of the
//! course they follow. Read through the same use cases as the web pages, as the member.

use flywheel_chat::blocks::{escape, limits, Block};
use flywheel_store::DirectoryFilter;
use serde_json::{json, Value};

use crate::chat_ask::ChatMember;
use crate::{App, AppResult};

/// At most this many items per section (a Home tab holds 100 blocks).
const EACH: usize = 5;

impl App {
    /// Publishes the Home tab of Slack member `user`.
    pub async fn slack_home(&self, user: &str) -> AppResult<()> {
        let blocks = match self.slack_member(user).await? {
            ChatMember::Member(me) => me.home_blocks().await?,
            ChatMember::Unmatched => vec![Block::text(
                "Flywheel cannot find you in the org chart: your Slack profile's email is not a work email it knows. Ask your AI program lead to link you.",
            )],
            ChatMember::Disabled => vec![Block::text("Your Flywheel account is disabled.")],
        };
        self.slack_call(
            "views.publish",
            &json!({"user_id": user, "view": {"type": "home", "blocks": blocks}}),
        )
        .await?;
        Ok(())
    }

    /// The Home tab's blocks for the caller.
    pub(crate) async fn home_blocks(&self) -> AppResult<Vec<Block>> {
        let person = self.person()?;
        let place = self.store().person_place(person).await?.unwrap_or_default();
        let mut b = vec![Block::header(&format!(
            "Hello {}",
            place
                .display_name
                .split_whitespace()
                .next()
                .unwrap_or("there")
        ))];
        b.extend(self.home_badges().await?);
        b.push(Block::Divider);
        b.extend(self.home_requests(person).await?);
        b.push(Block::Divider);
        b.extend(self.home_champions(&place.department, &place.site).await?);
        b.push(Block::Divider);
        b.extend(self.home_course().await?);
        b.truncate(limits::VIEW_BLOCKS);
        Ok(b)
    }

    async fn home_badges(&self) -> AppResult<Vec<Block>> {
        let mine = self.my_badges().await?;
        let now = self.award_clock();
        let held: Vec<String> = mine
            .awards
            .iter()
            .filter(|a| a.state(&now) == "active")
            .map(|a| escape(&a.badge_name))
            .collect();
        let mut out = vec![Block::text(&format!(
            "*Your badges:* {}",
            if held.is_empty() {
                "none yet".to_owned()
            } else {
                held.join(", ")
            }
        ))];
        for (badge, missing) in mine.next.iter().take(EACH) {
            let what = if missing.is_empty() {
                "earned: open Flywheel to claim it".to_owned()
            } else {
                missing.join("; ")
            };
            out.push(Block::text(&format!(
                "*Next: {}* — {}",
                escape(&badge.name),
                escape(&what)
            )));
        }
        Ok(out)
    }

    async fn home_requests(&self, person: i64) -> AppResult<Vec<Block>> {
        let requests = self.store().access_requests(Some(person), None).await?;
        if requests.is_empty() {
            return Ok(vec![Block::text(
                "*Your access requests:* none. Ask `/cani` what you may use, and request access from its answer.",
            )]);
        }
        let lines: Vec<String> = requests
            .iter()
            .rev()
            .take(EACH)
            .map(|r| {
                format!(
                    "• #{} {} — {}",
                    r.id,
                    escape(r.tool.as_deref().unwrap_or("a tool")),
                    r.state.as_str()
                )
            })
            .collect();
        Ok(vec![Block::text(&format!(
            "*Your access requests:*\n{}",
            lines.join("\n")
        ))])
    }

    async fn home_champions(&self, department: &str, site: &str) -> AppResult<Vec<Block>> {
        let mut out = Vec::new();
        for (label, filter) in [
            (
                format!("your department ({})", escape(department)),
                DirectoryFilter {
                    department: Some(department.to_owned()),
                    ..DirectoryFilter::default()
                },
            ),
            (
                format!("your site ({})", escape(site)),
                DirectoryFilter {
                    site: Some(site.to_owned()),
                    ..DirectoryFilter::default()
                },
            ),
        ] {
            if filter.department.as_deref() == Some("") || filter.site.as_deref() == Some("") {
                continue;
            }
            let found = self.directory(&filter).await?;
            let lines: Vec<String> = found
                .iter()
                .filter(|c| c.status.as_str() == "active")
                .take(EACH)
                .map(|c| {
                    let hours = if c.office_hours.is_empty() {
                        String::new()
                    } else {
                        format!(" — office hours: {}", escape(&c.office_hours))
                    };
                    format!("• {}{hours}", escape(&c.name))
                })
                .collect();
            out.push(Block::text(&format!(
                "*Champions of {label}:*\n{}",
                if lines.is_empty() {
                    "none yet".to_owned()
                } else {
                    lines.join("\n")
                }
            )));
        }
        Ok(out)
    }

    async fn home_course(&self) -> AppResult<Vec<Block>> {
        for c in self.courses().await? {
            let Some(progress) = &c.progress else {
                continue;
            };
            if progress.completed_at.is_some() {
                continue;
            }
            let (_, modules) = self.course(&c.course.slug).await?;
            if let Some((i, m)) = modules
                .iter()
                .enumerate()
                .find(|(i, _)| !progress.done.contains(&(*i as i64 + 1)))
            {
                return Ok(vec![Block::text(&format!(
                    "*Your next module:* {} — module {}: {} ({} min)",
                    escape(&c.course.title),
                    i + 1,
                    escape(&m.title),
                    m.minutes
                ))]);
            }
        }
        Ok(vec![Block::text(
            "*Courses:* you are not following one now. Open Flywheel's Learn page to start.",
        )])
    }
}

/// The Home view as sent (for tests and the check).
pub fn home_view(blocks: &[Block]) -> Value {
    json!({"type": "home", "blocks": blocks})
}
