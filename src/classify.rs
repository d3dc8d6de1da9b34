//! `flywheel classify question|win|can-i TEXT`: what Flywheel reads from a text and why,
//! so a program lead can check the readers on their own data. The same readers as the
//! imports, the chat app and "Can I?" (one each); nothing is stored.

use clap::Subcommand;
use serde::Serialize;

use crate::output::{emit, Report};

#[derive(Debug, Subcommand)]
pub enum ClassifyCommand {
    /// Whether a help-channel post asks for help, at which stage, how sure, and why.
    Question {
        text: String,
        #[arg(long)]
        json: bool,
    },
    /// The time a wins-channel post says it saved: minutes before and after, how often,
    /// and the words read (or that it states no figure).
    Win {
        text: String,
        #[arg(long)]
        json: bool,
    },
    /// The tool, purpose and data class a "Can I?" question names, against this
    /// install's catalog (and what it would ask back).
    CanI {
        text: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
struct QuestionOut {
    text: String,
    is_question: bool,
    stage: Option<String>,
    /// The classifier's calibrated probability of the stage, in percent.
    confidence: Option<i32>,
    /// Below one half: the stage is only a guess, and the question counts as one of no
    /// stage.
    unsure: bool,
    /// Per stage (awareness, access, how-to, frontier), in percent.
    scores: Option<[i32; 4]>,
    cues: Vec<String>,
}

impl Report for QuestionOut {
    fn text(&self) {
        if !self.is_question {
            println!("not a question (not read as a request for help)");
            return;
        }
        if self.unsure {
            println!(
                "question, stage unsure (best guess {} at {}%: counted as a question of no stage)",
                self.stage.as_deref().unwrap_or("-"),
                self.confidence.unwrap_or(0)
            );
        } else {
            println!(
                "question, stage {} ({}% sure)",
                self.stage.as_deref().unwrap_or("-"),
                self.confidence.unwrap_or(0)
            );
        }
        if let Some(s) = self.scores {
            println!(
                "  awareness {}%, access {}%, how-to {}%, frontier {}%",
                s[0], s[1], s[2], s[3]
            );
        }
        println!("  because of: {}", self.cues.join(", "));
    }
}

#[derive(Serialize)]
struct WinOut {
    text: String,
    minutes_before: Option<f64>,
    minutes_after: Option<f64>,
    minutes_saved: Option<f64>,
    per: Option<String>,
    phrase: Option<String>,
}

impl Report for WinOut {
    fn text(&self) {
        match self.minutes_saved {
            None => println!("no figure: the post states no time saved Flywheel can read"),
            Some(m) => {
                println!(
                    "{m:.0} minutes saved{}",
                    match self.per.as_deref() {
                        Some("once") | None => String::new(),
                        Some(p) => format!(" a {p}"),
                    }
                );
                if let (Some(b), Some(a)) = (self.minutes_before, self.minutes_after) {
                    println!("  {b:.0} minutes before, {a:.0} after");
                }
                println!("  read from: {:?}", self.phrase.as_deref().unwrap_or(""));
            }
        }
    }
}

#[derive(Serialize)]
struct CanIOut {
    text: String,
    tool: Option<String>,
    tool_candidates: Vec<String>,
    purpose: Option<String>,
    data_class: Option<String>,
    /// What "Can I?" would ask back, when something is missing.
    would_ask: Vec<&'static str>,
}

impl Report for CanIOut {
    fn text(&self) {
        let or = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
        println!("tool:       {}", or(&self.tool));
        if !self.tool_candidates.is_empty() {
            println!("  could be: {}", self.tool_candidates.join(", "));
        }
        println!("purpose:    {}", or(&self.purpose));
        println!("data class: {}", or(&self.data_class));
        if self.would_ask.is_empty() {
            println!("decidable: `flywheel can-i \"{}\"` answers it", self.text);
        } else {
            println!("would ask back: {}", self.would_ask.join(", "));
        }
    }
}

pub async fn run(cmd: ClassifyCommand, url: &str) -> anyhow::Result<()> {
    match cmd {
        ClassifyCommand::Question { text, json } => {
            let is_question = flywheel_insights::questions::is_question(&text);
            let c = is_question.then(|| flywheel_insights::questions::classify(&text));
            let out = QuestionOut {
                stage: c.as_ref().map(|c| c.stage.as_str().to_owned()),
                confidence: c
                    .as_ref()
                    .map(|c| (f64::from(c.confidence) * 100.0).floor() as i32),
                unsure: c.as_ref().is_some_and(|c| c.unsure),
                scores: c.as_ref().map(|c| c.scores),
                cues: c.map(|c| c.cues).unwrap_or_default(),
                is_question,
                text,
            };
            emit(json, &out)
        }
        ClassifyCommand::Win { text, json } => {
            let t = flywheel_insights::wins::time_saved(&text);
            let out = WinOut {
                minutes_before: t.as_ref().and_then(|t| t.minutes_before),
                minutes_after: t.as_ref().and_then(|t| t.minutes_after),
                minutes_saved: t.as_ref().map(|t| t.minutes_saved),
                per: t.as_ref().map(|t| t.per.as_str().to_owned()),
                phrase: t.map(|t| t.phrase),
                text,
            };
            emit(json, &out)
        }
        ClassifyCommand::CanI { text, json } => {
            let store = crate::open(url).await?;
            let catalog = store.catalog().await?;
            let r = flywheel_app::chat_ask::read_question(
                &text,
                &flywheel_app::chat_ask::AskCatalog::of(&catalog),
            );
            let would_ask = r.missing();
            emit(
                json,
                &CanIOut {
                    tool: r.tool,
                    tool_candidates: r.tool_candidates,
                    purpose: r.purpose,
                    data_class: r.data_class,
                    would_ask,
                    text,
                },
            )
        }
    }
}
