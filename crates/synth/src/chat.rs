//! The chat side of the demo's history: questions in a help channel and posts in a wins
//! channel, driven by the simulated adoption.
//!
//! Questions follow each person's path: "what is this?" shortly before they adopt (mostly
//! early in the program, while the tools are new), "how do I get access?" around their
//! adoption (more often where their site's rollout wave has not come yet), "how do I do X?"
//! in their first weeks of use, and "how do I build Y?" from engineers and heavy users
//! after a month or more. The mix therefore matures over the six months by itself. Answers
//! come from colleagues who adopted earlier, the planted champions far more often than
//! others. Wins come from adopters after a few weeks (never from the quiet power users);
//! colleagues react and some reply that they tried it too.
//!
//! Texts are assembled from varied templates written for the demo; they are not the
//! classifier's labelled test sets.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use flywheel_domain::usage::QuestionStage;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::adoption::Adoption;
use crate::Company;

/// Departments licensed for ChatGPT Enterprise in the demo (Marketing, Legal, Product).
pub const CHATGPT_DEPARTMENTS: [usize; 3] = [2, 7, 8];

/// A reply in a thread.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub by: usize,
    pub at: NaiveDateTime,
    pub text: String,
    /// The reply @-mentions the thread's author.
    pub mentions_author: bool,
    /// The thread's author thanked this reply with a reaction.
    pub thanked: bool,
}

/// A question asked in the help channel.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpQuestion {
    pub asker: usize,
    pub at: NaiveDateTime,
    /// The stage the generator meant (ground truth for the classifier on the demo).
    pub stage: QuestionStage,
    pub text: String,
    pub answers: Vec<Reply>,
}

/// A post in the wins channel.
#[derive(Debug, Clone, PartialEq)]
pub struct WinPost {
    pub author: usize,
    pub at: NaiveDateTime,
    pub text: String,
    /// Whether the text states the time saved.
    pub states_time_saved: bool,
    pub reactions: Vec<usize>,
    /// Colleagues who replied that they tried it too.
    pub tried_by: Vec<Reply>,
}

/// The chat history of the demo.
#[derive(Debug, Clone, Default)]
pub struct ChatHistory {
    /// In time order.
    pub questions: Vec<HelpQuestion>,
    /// In time order.
    pub wins: Vec<WinPost>,
}

/// The tool a person mostly uses.
pub fn main_tool(company: &Company, e: usize) -> &'static str {
    let d = company.employees[e].department;
    if d == 0 {
        "GitHub Copilot"
    } else if CHATGPT_DEPARTMENTS.contains(&d) {
        "ChatGPT Enterprise"
    } else {
        "Copilot"
    }
}

const TASKS: [&str; 16] = [
    "summarise a long email thread",
    "draft a customer reply in our tone",
    "turn meeting notes into action items",
    "compare two versions of a contract",
    "write a first draft of a job description",
    "clean up a messy spreadsheet",
    "prepare slides from a Word document",
    "translate a product sheet into German",
    "write unit tests for a legacy module",
    "explain a SQL query I inherited",
    "summarise a 40-page policy",
    "build a pivot table from raw exports",
    "rewrite release notes for customers",
    "find the action items in a Teams recording",
    "draft a quarterly business review",
    "check a spreadsheet formula",
];

const SYSTEMS: [&str; 8] = [
    "Salesforce",
    "ServiceNow",
    "our data warehouse",
    "Jira",
    "SharePoint",
    "the HR system",
    "our ticketing queue",
    "the internal wiki",
];

const GOALS: [&str; 8] = [
    "triage incoming tickets automatically",
    "answer policy questions from our own documents",
    "generate weekly pipeline reports",
    "tag support cases by topic",
    "draft first responses to RFPs",
    "reconcile invoices against purchase orders",
    "flag risky clauses in supplier contracts",
    "summarise incidents for the on-call handover",
];

fn awareness(rng: &mut ChaCha8Rng, tool: &str, dept: &str) -> String {
    let t = [
        format!("What exactly is {tool}? Is it the same thing as ChatGPT?"),
        format!("Can someone explain what {tool} actually does?"),
        format!("I keep hearing about {tool} in meetings. What is it, and is it any good for {}?", dept.to_lowercase()),
        format!("What's the difference between {tool} and the free chatbots online?"),
        format!("Newbie question: what can {tool} do for someone in {dept}?"),
        format!("Is {tool} worth trying, or is it just hype?"),
        "What is this Copilot thing that showed up in Outlook?".to_owned(),
        "Sorry if this is basic, but what is generative AI good for in a job like mine?".to_owned(),
        format!("Does {tool} learn from what I type into it? Trying to understand what it is before I use it."),
    ];
    t.choose(rng).cloned().unwrap_or_default()
}

fn access(rng: &mut ChaCha8Rng, tool: &str, dept: &str, site: &str) -> String {
    let t = [
        format!("How do I get access to {tool}? I'm in {dept} in {site}."),
        format!("Who approves licences for {tool}? My request has been pending for a week."),
        format!("I don't see {tool} in my Office apps. Do I need a licence?"),
        format!("Is there a form to request a {tool} seat?"),
        format!("Can I get {tool} enabled for my account? {site} isn't in the rollout yet."),
        format!("How long does it take to get a {tool} licence approved?"),
        format!("Where do I sign up for {tool}? The IT portal only lists the pilot group."),
        format!("My manager said our team can use {tool}. How do I request access?"),
    ];
    t.choose(rng).cloned().unwrap_or_default()
}

fn how_to(rng: &mut ChaCha8Rng, tool: &str) -> String {
    let task = TASKS.choose(rng).copied().unwrap_or("summarise a document");
    let t = [
        format!("How do I get {tool} to {task}?"),
        format!("Any tips for using {tool} to {task}?"),
        format!("What's a good prompt to {task}?"),
        format!("Is there a way to make {tool} {task} without it inventing details?"),
        format!("How can I use {tool} to {task}? My attempts come out too generic."),
        format!("Has anyone found a reliable way to {task} with {tool}?"),
    ];
    t.choose(rng).cloned().unwrap_or_default()
}

fn frontier(rng: &mut ChaCha8Rng) -> String {
    let system = SYSTEMS.choose(rng).copied().unwrap_or("Jira");
    let goal = GOALS.choose(rng).copied().unwrap_or("triage tickets");
    let t = [
        format!("Has anyone built something on top of the OpenAI API that connects to {system}? I want to {goal}."),
        format!("How would I build an agent that can {goal}? Which API should I use?"),
        format!("Can we connect Copilot Studio to {system} to {goal}?"),
        format!("Looking to automate this: {goal}. Has anyone wired an LLM into {system}?"),
        format!("What's the best way to build a retrieval pipeline over {system} so a bot can {goal}?"),
        format!("How do I deploy a small internal app that calls the model API to {goal}?"),
    ];
    t.choose(rng).cloned().unwrap_or_default()
}

fn answer(rng: &mut ChaCha8Rng, stage: QuestionStage, tool: &str) -> String {
    let t: &[&str] = match stage {
        QuestionStage::Awareness => &[
            "It's an assistant built into the tools we already use; it drafts, summarises and answers questions about your own files.",
            "Think of it as a very fast first draft. Come to the office hours on Thursday and I'll show you.",
            "Same family of models as ChatGPT, but our licence keeps the data inside the company.",
        ],
        QuestionStage::Access => &[
            "Request it in the IT portal under Software; approvals take about a day.",
            "Your manager can approve it now, it's no longer limited to the pilot.",
            "Ping me your email and I'll add you to the next wave.",
        ],
        QuestionStage::HowTo => &[
            "Give it an example of the output you want first, then the material. Works much better.",
            "Paste the text and ask for a table with owner and due date; then ask it to check against the original.",
            "I keep a prompt for exactly this, sending it to you now.",
            "Ask it to quote the source paragraph for every point, that stops it inventing.",
        ],
        QuestionStage::Frontier => &[
            "We did something similar in the platform team, happy to walk you through the design.",
            "Start with the API sandbox and a small retrieval index; talk to the data team about access.",
            "There's an internal template repo for this, I'll send the link.",
        ],
    };
    let text = t.choose(rng).copied().unwrap_or("Happy to help.");
    if rng.random_bool(0.2) {
        format!("{text} ({tool} works well for it.)")
    } else {
        text.to_owned()
    }
}

fn win_text(rng: &mut ChaCha8Rng, tool: &str) -> (String, bool) {
    let task = TASKS.choose(rng).copied().unwrap_or("summarise a document");
    let mins = [10, 15, 20, 30, 45].choose(rng).copied().unwrap_or(20);
    let hours = [2, 3, 4, 5, 6].choose(rng).copied().unwrap_or(3);
    match rng.random_range(0..6) {
        0 => (
            format!("Used {tool} to {task}: {mins} minutes instead of {hours} hours."),
            true,
        ),
        1 => (
            format!("{tool} saved me {hours} hours a week: I now {task} in one go."),
            true,
        ),
        2 => (
            format!("Went from {hours} hours to {mins} minutes to {task} with {tool}."),
            true,
        ),
        3 => (
            format!("Saved {hours} hours this week using {tool} to {task}!"),
            true,
        ),
        4 => (
            format!("Finally got {tool} to {task} properly. Prompt in the thread if you want it."),
            false,
        ),
        _ => (
            format!("Small win: asked {tool} to {task} and the team loved the result."),
            false,
        ),
    }
}

/// A time on a working day (08:00–17:59), deterministic from the rng.
fn at_work(rng: &mut ChaCha8Rng, day: NaiveDate) -> NaiveDateTime {
    let secs = rng.random_range(8 * 3600..18 * 3600);
    day.and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap_or_default())
}

/// Skips weekends forward.
fn working(day: NaiveDate) -> NaiveDate {
    use chrono::{Datelike, Weekday};
    match day.weekday() {
        Weekday::Sat => day + Duration::days(2),
        Weekday::Sun => day + Duration::days(1),
        _ => day,
    }
}

/// The people's network and adoption, as the chat simulation reads them.
struct Net<'a> {
    adj: Vec<Vec<usize>>,
    adoption: &'a Adoption,
}

impl Net<'_> {
    fn is_champion(&self, e: usize) -> bool {
        self.adoption.champions.binary_search(&e).is_ok()
    }

    fn adopted_before(&self, e: usize, day: NaiveDate) -> bool {
        self.adoption.adopted_on[e].is_some_and(|d| d < day)
    }

    // Who answers: colleagues who adopted before the question, champions six times as
    // likely; failing that, a champion who has adopted by then.
    fn helpers(&self, rng: &mut ChaCha8Rng, asker: usize, day: NaiveDate) -> Vec<usize> {
        let pool: Vec<(usize, f64)> = self.adj[asker]
            .iter()
            .filter(|&&u| self.adopted_before(u, day))
            .map(|&u| (u, if self.is_champion(u) { 6.0 } else { 1.0 }))
            .collect();
        let k = 1 + usize::from(rng.random_bool(0.35)) + usize::from(rng.random_bool(0.1));
        let mut chosen = Vec::new();
        if !pool.is_empty() {
            let total: f64 = pool.iter().map(|p| p.1).sum();
            for _ in 0..k {
                let mut x = rng.random::<f64>() * total;
                for &(u, w) in &pool {
                    x -= w;
                    if x <= 0.0 {
                        if !chosen.contains(&u) {
                            chosen.push(u);
                        }
                        break;
                    }
                }
            }
        }
        if chosen.is_empty() {
            let early: Vec<usize> = self
                .adoption
                .champions
                .iter()
                .copied()
                .filter(|&c| c != asker && self.adopted_before(c, day))
                .collect();
            if let Some(&c) = early.choose(rng) {
                chosen.push(c);
            }
        }
        chosen
    }

    /// A win `e` posts on `day` about `tool`: reactions and "tried it too" replies from
    /// their contacts.
    fn post_win(&self, rng: &mut ChaCha8Rng, e: usize, day: NaiveDate, tool: &str) -> WinPost {
        let at = at_work(rng, day);
        let (text, states_time_saved) = win_text(rng, tool);
        let mut reactions: Vec<usize> = self.adj[e]
            .iter()
            .copied()
            .filter(|_| rng.random_bool(0.25))
            .collect();
        reactions.truncate(12);
        let triers: Vec<usize> = self.adj[e]
            .iter()
            .copied()
            .filter(|&u| self.adoption.adopted_on[u].is_some_and(|d| d <= day + Duration::days(14)))
            .filter(|_| rng.random_bool(0.08))
            .take(4)
            .collect();
        let mut tried_by = Vec::new();
        for u in triers {
            let text = [
                "Trying this too!",
                "Going to use this in my team.",
                "Tried it this morning, works great.",
            ]
            .choose(rng)
            .copied()
            .unwrap_or("Trying this too!");
            tried_by.push(Reply {
                by: u,
                at: at + Duration::minutes(rng.random_range(10..2000)),
                text: text.to_owned(),
                mentions_author: false,
                thanked: false,
            });
        }
        WinPost {
            author: e,
            at,
            text,
            states_time_saved,
            reactions,
            tried_by,
        }
    }
}

/// Generates the chat history of `adoption` (deterministic in `seed`).
#[allow(clippy::needless_range_loop)] // `e` indexes several per-person tables
pub fn simulate_chat(company: &Company, adoption: &Adoption, seed: u64) -> ChatHistory {
    let n = company.employees.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC4A7_0001);
    let end = adoption.start + Duration::days(i64::from(adoption.days));
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for t in &company.ties {
        adj[t.a as usize].push(t.b as usize);
        adj[t.b as usize].push(t.a as usize);
    }
    let net = Net { adj, adoption };
    let is_champion = |e: usize| net.is_champion(e);
    let mut out = ChatHistory::default();
    for e in 0..n {
        let Some(adopted) = adoption.adopted_on[e] else {
            continue;
        };
        let emp = &company.employees[e];
        let tool = main_tool(company, e);
        let dept = crate::DEPARTMENTS[emp.department];
        let site = crate::SITES[emp.site].0;
        let early = (adopted - adoption.start).num_days() < i64::from(adoption.days) / 3;
        let wave = adoption.site_wave[emp.site];
        let heavy = adoption.intensity[e] > 8.0 || is_champion(e);
        // A quiet power user: heavy, not a champion, and (deterministically) never posts.
        let quiet = heavy && !is_champion(e) && e % 3 != 0;
        let mut asks: Vec<(QuestionStage, NaiveDate)> = Vec::new();
        if rng.random_bool(if early { 0.3 } else { 0.06 }) {
            asks.push((
                QuestionStage::Awareness,
                adopted - Duration::days(rng.random_range(1..10)),
            ));
        }
        if rng.random_bool(if adopted < wave { 0.45 } else { 0.15 }) {
            asks.push((
                QuestionStage::Access,
                adopted - Duration::days(rng.random_range(0..4)),
            ));
        }
        if !quiet && rng.random_bool(0.35) {
            asks.push((
                QuestionStage::HowTo,
                adopted + Duration::days(rng.random_range(3..40)),
            ));
        }
        if rng.random_bool(if emp.department == 0 || heavy {
            0.55
        } else {
            0.12
        }) {
            asks.push((
                QuestionStage::Frontier,
                adopted + Duration::days(rng.random_range(30..100)),
            ));
        }
        for (stage, day) in asks {
            let day = working(day);
            if day < adoption.start || day >= end {
                continue;
            }
            let text = match stage {
                QuestionStage::Awareness => awareness(&mut rng, tool, dept),
                QuestionStage::Access => access(&mut rng, tool, dept, site),
                QuestionStage::HowTo => how_to(&mut rng, tool),
                QuestionStage::Frontier => frontier(&mut rng),
            };
            let at = at_work(&mut rng, day);
            let mut answers = Vec::new();
            for h in net.helpers(&mut rng, e, day) {
                let delay = Duration::minutes(rng.random_range(4..240));
                let text = answer(&mut rng, stage, tool);
                answers.push(Reply {
                    by: h,
                    at: at + delay,
                    text,
                    mentions_author: rng.random_bool(0.3),
                    thanked: rng.random_bool(0.6),
                });
            }
            answers.sort_by_key(|a| a.at);
            out.questions.push(HelpQuestion {
                asker: e,
                at,
                stage,
                text,
                answers,
            });
        }
        let share = if is_champion(e) { 0.8 } else { 0.12 };
        if !quiet && rng.random_bool(share) {
            let day = working(adopted + Duration::days(rng.random_range(10..60)));
            if day >= end {
                continue;
            }
            out.wins.push(net.post_win(&mut rng, e, day, tool));
        }
    }
    out.questions.sort_by_key(|q| (q.at, q.asker));
    out.wins.sort_by_key(|w| (w.at, w.author));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{generate, Params};

    #[test]
    fn questions_mature_and_champions_answer() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
        let c = generate(&Params {
            people: 2000,
            seed: 3,
            as_of: start + Duration::days(182),
        });
        let a = crate::adoption::simulate(&c, start, 182, 3);
        let h = simulate_chat(&c, &a, 3);
        assert!(h.questions.len() > 300, "{} questions", h.questions.len());
        assert!(h.wins.len() > 50, "{} wins", h.wins.len());
        let share = |from: i64, to: i64, s: QuestionStage| {
            let inw: Vec<_> = h
                .questions
                .iter()
                .filter(|q| {
                    let d = (q.at.date() - start).num_days();
                    d >= from && d < to
                })
                .collect();
            inw.iter().filter(|q| q.stage == s).count() as f64 / inw.len().max(1) as f64
        };
        let (aw0, aw1) = (
            share(0, 60, QuestionStage::Awareness),
            share(120, 182, QuestionStage::Awareness),
        );
        let (fr0, fr1) = (
            share(0, 60, QuestionStage::Frontier),
            share(120, 182, QuestionStage::Frontier),
        );
        eprintln!(
            "{} questions, {} wins; awareness {aw0:.2} -> {aw1:.2}, frontier {fr0:.2} -> {fr1:.2}",
            h.questions.len(),
            h.wins.len()
        );
        assert!(aw0 > 2.0 * aw1, "awareness share {aw0:.2} then {aw1:.2}");
        assert!(fr1 > 2.0 * fr0, "frontier share {fr0:.2} then {fr1:.2}");
        // Champions (1% of people) give a large part of the answers.
        let answers: Vec<usize> = h
            .questions
            .iter()
            .flat_map(|q| q.answers.iter().map(|r| r.by))
            .collect();
        let by_champions = answers
            .iter()
            .filter(|b| a.champions.binary_search(b).is_ok())
            .count() as f64
            / answers.len() as f64;
        assert!(
            by_champions > 0.1,
            "champions gave {by_champions:.2} of answers"
        );
        // Nobody answers their own question, and answers come after the question.
        assert!(h
            .questions
            .iter()
            .all(|q| q.answers.iter().all(|r| r.by != q.asker && r.at > q.at)));
        let again = simulate_chat(&c, &a, 3);
        assert_eq!(again.questions, h.questions);
    }
}
