//! The Slack derivation: what help and wins channels say, as derived signals. Questions
//! with their stage and answerers (and a help tie per answerer), wins with the time they
//! state. Pure; the import (`flywheel import slack`, and the connectors to come) stores what
//! it returns.

/// Slack's permalinks of one channel: `{workspace}/archives/{channel id}/p{ts without the dot}`.
#[derive(Debug, Clone)]
pub struct Permalinks {
    prefix: String,
}

impl Permalinks {
    /// `workspace` is the workspace's address (`https://acme.slack.com`), `channel_id` the
    /// channel's id from `channels.json` (`C024BE91L`).
    pub fn new(workspace: &str, channel_id: &str) -> Permalinks {
        Permalinks {
            prefix: format!(
                "{}/archives/{channel_id}/p",
                workspace.trim_end_matches('/')
            ),
        }
    }

    /// The permalink of the message with this `ts` (`1700000000.000200`).
    pub fn of(&self, ts: &str) -> String {
        let digits: String = ts.chars().filter(char::is_ascii_digit).collect();
        format!("{}{digits}", self.prefix)
    }
}

type SlackMsg = flywheel_ingest::slack::SlackMessage;

fn by_person(m: &SlackMsg, bots: &std::collections::HashSet<String>) -> bool {
    m.is_human() && m.user.as_ref().is_some_and(|u| !bots.contains(u))
}

/// Questions of a help channel: top-level posts that ask, with their stage and the people
/// who answered in the thread; each answerer gets a `help` tie to the asker on the day of
/// their first answer.
pub fn questions_of(
    msgs: &[SlackMsg],
    bots: &std::collections::HashSet<String>,
    keep_text: bool,
) -> (
    Vec<flywheel_domain::usage::ChatQuestion>,
    Vec<flywheel_domain::usage::ChatTie>,
) {
    use flywheel_insights::questions::{classify, is_question};
    let mut questions = Vec::new();
    let mut ties = Vec::new();
    // Replies by thread, in message order: one pass, not one scan per question (a large
    // help channel has tens of thousands of questions).
    let mut replies: std::collections::HashMap<&str, Vec<&SlackMsg>> =
        std::collections::HashMap::new();
    for r in msgs.iter().filter(|r| by_person(r, bots) && r.is_reply()) {
        if let Some(t) = r.thread_ts.as_deref() {
            replies.entry(t).or_default().push(r);
        }
    }
    for q in msgs
        .iter()
        .filter(|m| by_person(m, bots) && !m.is_reply() && is_question(&m.text))
    {
        let Some(asker) = q.user.clone() else {
            continue;
        };
        let mut answerers: Vec<(String, chrono::DateTime<chrono::Utc>)> = Vec::new();
        for r in replies.get(q.ts.as_str()).into_iter().flatten() {
            if let Some(u) = r.user.as_ref().filter(|u| **u != asker) {
                if !answerers.iter().any(|(a, _)| a == u) {
                    answerers.push((u.clone(), r.at));
                }
            }
        }
        for (a, at) in &answerers {
            ties.push(flywheel_domain::usage::ChatTie {
                kind: flywheel_domain::usage::InteractionKind::Help,
                from: a.clone(),
                to: asker.clone(),
                day: at.date_naive(),
                channel: q.channel.clone(),
                weight: 1.0,
            });
        }
        let c = classify(&q.text);
        questions.push(flywheel_domain::usage::ChatQuestion {
            channel: q.channel.clone(),
            ts: q.ts.clone(),
            asker,
            at: q.at,
            stage: c.stage,
            cues: c.cues,
            first_answer_at: answerers.iter().map(|(_, t)| *t).min(),
            answerers: answerers.into_iter().map(|(a, _)| a).collect(),
            text: keep_text.then(|| q.text.clone()),
        });
    }
    (questions, ties)
}

/// Wins of a wins channel: every top-level post by a person, with the time saved it states.
pub fn wins_of(
    msgs: &[SlackMsg],
    bots: &std::collections::HashSet<String>,
    keep_text: bool,
    links: Option<&Permalinks>,
) -> Vec<flywheel_domain::usage::ChatWin> {
    use flywheel_insights::wins::time_saved;
    msgs.iter()
        .filter(|m| by_person(m, bots) && !m.is_reply())
        .filter_map(|m| {
            let saved = time_saved(&m.text);
            Some(flywheel_domain::usage::ChatWin {
                channel: m.channel.clone(),
                ts: m.ts.clone(),
                author: m.user.clone()?,
                at: m.at,
                minutes_before: saved.as_ref().and_then(|s| s.minutes_before),
                minutes_after: saved.as_ref().and_then(|s| s.minutes_after),
                minutes_saved: saved.as_ref().map(|s| s.minutes_saved),
                per: saved.as_ref().map(|s| s.per.as_str().to_owned()),
                phrase: saved.map(|s| s.phrase),
                reactions: m
                    .reactions
                    .iter()
                    .map(|(_, users)| users.len() as u32)
                    .sum(),
                text: keep_text.then(|| m.text.clone()),
                link: links.map(|l| l.of(&m.ts)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permalinks_follow_slacks_format() {
        let l = Permalinks::new("https://acme.slack.com/", "C024BE91L");
        assert_eq!(
            l.of("1700000000.000200"),
            "https://acme.slack.com/archives/C024BE91L/p1700000000000200"
        );
    }
}
