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

/// What a message's words say, read once when the message is seen: the export import reads
/// each message as it goes, the live events read it on arrival and keep this instead of
/// the text. The derivation below works on readings, so both paths derive the same
/// signals from the same words.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reading {
    /// When the message asks: its stage and the classifier's cues.
    pub question: Option<(flywheel_domain::usage::QuestionStage, Vec<String>)>,
    /// The classifier was unsure of that stage (readings kept before this was read were
    /// taken as sure).
    #[serde(default)]
    pub unsure: bool,
    /// The time saved it states.
    pub saved: Option<Saved>,
    /// As a reply in a question's thread: whether it answers (carries content), or only
    /// acknowledges ("thanks", "+1", "following"). Readings kept before this was read
    /// count as answers, as they did.
    #[serde(default = "true_before_it_was_read")]
    pub answer: bool,
    /// As a top-level post in a wins channel: whether it shares a win, or is a reminder,
    /// a rule, a welcome, a digest or praise (`flywheel_insights::wins::is_win`). Readings
    /// kept before this was read count as wins, as they did.
    #[serde(default = "true_before_it_was_read")]
    pub win: bool,
    /// The text, only when the admin chose to keep it.
    pub text: Option<String>,
}

fn true_before_it_was_read() -> bool {
    true
}

/// Time saved as a post states it (see `flywheel_insights::wins::time_saved`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Saved {
    pub minutes_before: Option<f64>,
    pub minutes_after: Option<f64>,
    pub minutes_saved: f64,
    pub per: String,
    pub phrase: String,
}

/// Reads a message's text.
pub fn read(text: &str, keep_text: bool) -> Reading {
    use flywheel_insights::questions::{classify, is_question};
    let classified = is_question(text).then(|| classify(text));
    let unsure = classified.as_ref().is_some_and(|c| c.unsure);
    let question = classified.map(|c| (c.stage, c.cues));
    let saved = flywheel_insights::wins::time_saved(text).map(|t| Saved {
        minutes_before: t.minutes_before,
        minutes_after: t.minutes_after,
        minutes_saved: t.minutes_saved,
        per: t.per.as_str().to_owned(),
        phrase: t.phrase,
    });
    Reading {
        question,
        unsure,
        saved,
        answer: flywheel_insights::questions::is_answer(text),
        win: flywheel_insights::wins::is_win(text),
        text: keep_text.then(|| text.to_owned()),
    }
}

/// Reads every message, and drops the texts (the readings keep them if asked to).
pub fn read_all(msgs: &mut [SlackMsg], keep_text: bool) -> Vec<Reading> {
    msgs.iter_mut()
        .map(|m| {
            let r = read(&m.text, keep_text);
            m.text = String::new();
            r
        })
        .collect()
}

fn by_person(m: &SlackMsg, bots: &std::collections::HashSet<String>) -> bool {
    m.is_human() && m.user.as_ref().is_some_and(|u| !bots.contains(u))
}

/// Questions of a help channel: top-level posts that ask, with their stage and the people
/// who answered in the thread (a reply with content, not an acknowledgement; never the
/// asker); each answerer gets a `help` tie to the asker on the day of their first answer.
/// `readings[i]` is the reading of `msgs[i]`.
pub fn questions_of(
    msgs: &[SlackMsg],
    readings: &[Reading],
    bots: &std::collections::HashSet<String>,
    zone: flywheel_ingest::slack::Zone,
) -> (
    Vec<flywheel_domain::usage::ChatQuestion>,
    Vec<flywheel_domain::usage::ChatTie>,
) {
    let mut questions = Vec::new();
    let mut ties = Vec::new();
    // Replies by thread, in message order: one pass, not one scan per question (a large
    // help channel has tens of thousands of questions).
    let mut replies: std::collections::HashMap<&str, Vec<&SlackMsg>> =
        std::collections::HashMap::new();
    // Only replies that answer (not a thanks, "+1" or "following") make answerers and
    // help ties.
    for (r, _) in msgs
        .iter()
        .zip(readings)
        .filter(|(r, reading)| by_person(r, bots) && r.is_reply() && reading.answer)
    {
        if let Some(t) = r.thread_ts.as_deref() {
            replies.entry(t).or_default().push(r);
        }
    }
    for (q, reading) in msgs.iter().zip(readings) {
        let Some((stage, cues)) = reading.question.clone() else {
            continue;
        };
        if !by_person(q, bots) || q.is_reply() {
            continue;
        }
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
                day: zone.day(*at),
                channel: q.channel.clone(),
                weight: 1.0,
            });
        }
        questions.push(flywheel_domain::usage::ChatQuestion {
            channel: q.channel.clone(),
            ts: q.ts.clone(),
            asker,
            at: q.at,
            stage,
            unsure: reading.unsure,
            cues,
            first_answer_at: answerers.iter().map(|(_, t)| *t).min(),
            answerers: answerers.into_iter().map(|(a, _)| a).collect(),
            text: reading.text.clone(),
        });
    }
    (questions, ties)
}

/// Wins of a wins channel: every top-level post by a person that shares a win (not a
/// reminder, rule, welcome or digest), with the time saved it states.
pub fn wins_of(
    msgs: &[SlackMsg],
    readings: &[Reading],
    bots: &std::collections::HashSet<String>,
    links: Option<&Permalinks>,
) -> Vec<flywheel_domain::usage::ChatWin> {
    msgs.iter()
        .zip(readings)
        .filter(|(m, r)| by_person(m, bots) && !m.is_reply() && r.win)
        .filter_map(|(m, reading)| {
            let saved = reading.saved.as_ref();
            Some(flywheel_domain::usage::ChatWin {
                channel: m.channel.clone(),
                ts: m.ts.clone(),
                author: m.user.clone()?,
                at: m.at,
                minutes_before: saved.and_then(|s| s.minutes_before),
                minutes_after: saved.and_then(|s| s.minutes_after),
                minutes_saved: saved.map(|s| s.minutes_saved),
                per: saved.map(|s| s.per.clone()),
                phrase: saved.map(|s| s.phrase.clone()),
                reactions: m
                    .reactions
                    .iter()
                    .map(|(_, users)| users.len() as u32)
                    .sum(),
                text: reading.text.clone(),
                link: links.map(|l| l.of(&m.ts)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(ts: &str, user: &str, text: &str, thread: Option<&str>) -> SlackMsg {
        SlackMsg {
            channel: "ai-help".into(),
            ts: ts.into(),
            at: flywheel_ingest::slack::parse_ts(ts).expect("ts"),
            user: Some(user.into()),
            subtype: None,
            text: text.into(),
            thread_ts: thread.map(Into::into),
            parent_user_id: None,
            reactions: Vec::new(),
            mentions: Vec::new(),
        }
    }

    #[test]
    fn only_replies_with_content_answer_and_make_help_ties() {
        let q = "1700000000.000100";
        let mut msgs = vec![
            msg(q, "UASK", "how do I get a copilot licence?", Some(q)),
            msg(
                "1700000100.000200",
                "UTHX",
                "thanks for asking, same question here",
                Some(q),
            ),
            msg("1700000200.000300", "UPLUS", "+1 :eyes:", Some(q)),
            msg("1700000300.000400", "UASK", "any update on this?", Some(q)),
            msg(
                "1700000400.000500",
                "UHELP",
                "Request it through the portal, it takes a day",
                Some(q),
            ),
            msg("1700000500.000600", "ULOOP", "loop me in <@UHELP>", Some(q)),
        ];
        let readings = read_all(&mut msgs, false);
        let (questions, ties) = questions_of(
            &msgs,
            &readings,
            &Default::default(),
            flywheel_ingest::slack::Zone::utc(),
        );
        assert_eq!(questions.len(), 1);
        assert_eq!(questions[0].answerers, vec!["UHELP".to_owned()]);
        assert_eq!(
            questions[0].first_answer_at,
            flywheel_ingest::slack::parse_ts("1700000400.000500")
        );
        assert_eq!(ties.len(), 1);
        assert_eq!(
            (ties[0].from.as_str(), ties[0].to.as_str()),
            ("UHELP", "UASK")
        );
        // A reading kept before answers were told apart counts as an answer, as it did.
        let old: Reading = serde_json::from_str(r#"{"question":null,"saved":null,"text":null}"#)
            .expect("an older reading");
        assert!(old.answer && old.win);
    }

    #[test]
    fn reminders_and_praise_in_a_wins_channel_are_not_wins() {
        let mut msgs = vec![
            msg(
                "1700000000.000100",
                "UMOD",
                ":mega: Reminder: post your wins with the time saved, e.g. 2 hours → 20 min",
                None,
            ),
            msg(
                "1700000100.000200",
                "UWIN",
                "board pack summary: 3 hrs → 30 min with copilot",
                None,
            ),
            msg(
                "1700000200.000300",
                "UFAN",
                "congrats! 3 hours back is huge",
                None,
            ),
        ];
        let readings = read_all(&mut msgs, false);
        let wins = wins_of(&msgs, &readings, &Default::default(), None);
        assert_eq!(wins.len(), 1, "{wins:?}");
        assert_eq!(wins[0].author, "UWIN");
        assert_eq!(wins[0].minutes_saved, Some(150.0));
    }

    #[test]
    fn permalinks_follow_slacks_format() {
        let l = Permalinks::new("https://acme.slack.com/", "C024BE91L");
        assert_eq!(
            l.of("1700000000.000200"),
            "https://acme.slack.com/archives/C024BE91L/p1700000000000200"
        );
    }
}
