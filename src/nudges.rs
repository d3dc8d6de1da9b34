//! `flywheel nudges list|set|report`: the nudges an admin enables, tunes, and measures.
//! Nudges are sent by the server's job runner (`nudges.scan` every five minutes, notices
//! as they happen); every kind is off until enabled here.

use clap::Subcommand;
use flywheel_app::nudges::{NudgeReport, KINDS};
use flywheel_store::NudgeKind;
use serde::Serialize;

use crate::output::{emit, Report};

#[derive(Debug, Subcommand)]
pub enum NudgesCommand {
    /// Every kind: enabled or not, hold-out share, rate limit, wait, and what it does.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Enable (`--on`) or disable (`--off`) a kind, and tune it. Audited.
    Set {
        /// share_win, unanswered, request_decided, badge_awarded, champion_invited or
        /// win_verified.
        kind: String,
        #[arg(long, conflicts_with = "off", required_unless_present = "off")]
        on: bool,
        #[arg(long)]
        off: bool,
        /// The share of people (or, for `unanswered`, of questions) held out: drawn once at
        /// random, they get nothing, to measure whether nudging works (default 0.1 for
        /// campaigns, 0 for notices).
        #[arg(long, value_name = "SHARE")]
        holdout: Option<f64>,
        /// At most one nudge of this kind per person in this many days (0: no limit;
        /// default 14 for `share_win`).
        #[arg(long, value_name = "DAYS")]
        every_days: Option<i64>,
        /// For `unanswered`: how long a question waits before champions hear of it
        /// (default 60).
        #[arg(long, value_name = "MINUTES")]
        wait_minutes: Option<i64>,
    },
    /// What nudging did: nudges by kind and state, and nudged against held out.
    Report {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Serialize)]
struct KindOut {
    kind: String,
    enabled: bool,
    holdout: f64,
    every_days: i64,
    wait_minutes: i64,
    about: &'static str,
}

impl From<NudgeKind> for KindOut {
    fn from(k: NudgeKind) -> Self {
        KindOut {
            about: KINDS
                .iter()
                .find(|i| i.kind == k.kind)
                .map_or("", |i| i.about),
            kind: k.kind,
            enabled: k.enabled,
            holdout: k.holdout,
            every_days: k.every_days,
            wait_minutes: k.wait_minutes,
        }
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct Kinds(Vec<KindOut>);

impl Report for Kinds {
    fn text(&self) {
        for k in &self.0 {
            println!(
                "{:<17} {:<3}  hold-out {:>3.0}%  at most one every {} days{}\n    {}",
                k.kind,
                if k.enabled { "on" } else { "off" },
                k.holdout * 100.0,
                k.every_days,
                if k.kind == "unanswered" {
                    format!(", after {} min", k.wait_minutes)
                } else {
                    String::new()
                },
                k.about
            );
        }
    }
}

#[derive(Serialize)]
struct Arm {
    state: String,
    n: i64,
    outcome: i64,
    rate: Option<f64>,
}

#[derive(Serialize)]
struct ReportOut {
    counts: Vec<(String, String, i64)>,
    /// Quiet power users who shared a win after the nudge (or the hold-out's draw).
    share_win: Vec<Arm>,
    /// Questions answered after being sent to champions (or held out).
    unanswered: Vec<Arm>,
}

fn arms(rows: Vec<(String, i64, i64)>) -> Vec<Arm> {
    rows.into_iter()
        .map(|(state, n, outcome)| Arm {
            rate: (n > 0).then(|| outcome as f64 / n as f64),
            state,
            n,
            outcome,
        })
        .collect()
}

impl From<NudgeReport> for ReportOut {
    fn from(r: NudgeReport) -> Self {
        ReportOut {
            counts: r.counts,
            share_win: arms(r.share_win),
            unanswered: arms(r.unanswered),
        }
    }
}

impl Report for ReportOut {
    fn text(&self) {
        if self.counts.is_empty() {
            println!("no nudges yet");
        }
        for (kind, state, n) in &self.counts {
            println!("{kind:<17} {state:<13} {n}");
        }
        for (what, arms) in [
            ("quiet power users who shared a win since", &self.share_win),
            ("unanswered questions answered since", &self.unanswered),
        ] {
            if arms.is_empty() {
                continue;
            }
            println!("\n{what}:");
            for a in arms {
                println!(
                    "  {:<9} {} of {}{}",
                    if a.state == "sent" {
                        "nudged"
                    } else {
                        "held out"
                    },
                    a.outcome,
                    a.n,
                    a.rate
                        .map(|r| format!(" ({:.0}%)", r * 100.0))
                        .unwrap_or_default()
                );
            }
        }
    }
}

pub async fn run(cmd: NudgesCommand, url: &str) -> anyhow::Result<()> {
    let store = crate::open(url).await?;
    let app = crate::operator(&store);
    match cmd {
        NudgesCommand::List { json } => emit(
            json,
            &Kinds(
                app.nudge_kinds()
                    .await?
                    .into_iter()
                    .map(Into::into)
                    .collect(),
            ),
        ),
        NudgesCommand::Set {
            kind,
            on,
            off: _,
            holdout,
            every_days,
            wait_minutes,
        } => {
            let k = app
                .set_nudge_kind(&kind, on, holdout, every_days, wait_minutes)
                .await?;
            emit(false, &Kinds(vec![k.into()]))
        }
        NudgesCommand::Report { json } => emit(json, &ReportOut::from(app.nudge_report().await?)),
    }
}
