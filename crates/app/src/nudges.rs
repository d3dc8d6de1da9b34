//! Nudges, with consent and measurement. Every kind is off until an admin enables it; each
//! nudge is decided once (`Store::decide_nudge`): not sent to someone who opted out of the
//! kind (every message has a **Stop these** button), not more often than the kind's limit
//! per person, and not to the kind's hold-out (a share of people — or of questions — drawn
//! once at random, who get nothing, so `flywheel nudges report` can compare them with the
//! nudged). Sent as a direct message in Slack and audited (`nudge.sent`).
//!
//! Campaigns, found by the `nudges.scan` job: quiet power users (heavy use, no win) invited
//! to share one; help-channel questions unanswered after the wait, sent to the champions of
//! the asker's department, else site. Notices, queued by the use cases as `nudges.notice`
//! jobs: an access-request decision, a badge awarded, a champion invitation (with Accept and
//! Decline), a verification of your win.

use chrono::{DateTime, Utc};
use flywheel_chat::blocks::{escape, Block, Element};
use flywheel_domain::org::IdentityKind;
use flywheel_store::{NewJob, NudgeKind, NudgeState};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{App, AppError, AppResult};

/// A kind of nudge: its name, what it does, and its defaults (days between two nudges of
/// the kind to one person; hold-out share).
pub struct KindInfo {
    pub kind: &'static str,
    pub about: &'static str,
    pub every_days: i64,
    pub holdout: f64,
}

/// The kinds.
pub const KINDS: &[KindInfo] = &[
    KindInfo { kind: "share_win", about: "invites a quiet power user (usage on 8+ days of the last 28, no win shared) to share a win, once", every_days: 14, holdout: 0.1 },
    KindInfo { kind: "unanswered", about: "sends a help-channel question unanswered after the wait to up to three champions of the asker's department, else site (the hold-out is drawn per question)", every_days: 0, holdout: 0.1 },
    KindInfo { kind: "request_decided", about: "tells a person their access request was decided", every_days: 0, holdout: 0.0 },
    KindInfo { kind: "badge_awarded", about: "tells a person they earned a badge", every_days: 0, holdout: 0.0 },
    KindInfo { kind: "champion_invited", about: "invites a person to be a champion, with Accept and Decline", every_days: 0, holdout: 0.0 },
    KindInfo { kind: "win_verified", about: "tells a person a colleague verified their win", every_days: 0, holdout: 0.0 },
];

/// The job kinds of nudges.
pub const SCAN_JOB: &str = "nudges.scan";
pub const NOTICE_JOB: &str = "nudges.notice";

fn info(kind: &str) -> AppResult<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind == kind).ok_or_else(|| {
        AppError::Invalid(format!(
            "no nudge kind {kind:?}; the kinds are {}",
            KINDS.iter().map(|k| k.kind).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// Whether `key` is in `kind`'s hold-out: a draw from SHA-256 of the kind and key, the same
/// every time, uniform in [0, 1).
pub fn held_out(kind: &str, key: &str, share: f64) -> bool {
    let h = Sha256::digest(format!("flywheel-nudge-holdout:{kind}:{key}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    let draw = (u64::from_be_bytes(b) >> 11) as f64 / (1u64 << 53) as f64;
    draw < share
}

/// A notice queued by a use case.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Notice {
    kind: String,
    person: i64,
    subject: String,
    text: String,
    #[serde(default)]
    invitation: bool,
}

/// What nudging did: counts by kind and state, and the outcomes of nudged against held out.
#[derive(Debug, Clone)]
pub struct NudgeReport {
    pub counts: Vec<(String, String, i64)>,
    /// Quiet power users: `(state, people, who shared a win afterwards)`.
    pub share_win: Vec<(String, i64, i64)>,
    /// Unanswered questions: `(state, questions, answered afterwards)`.
    pub unanswered: Vec<(String, i64, i64)>,
}

impl App {
    /// Every kind with its settings (the defaults, off, for a kind never set).
    pub async fn nudge_kinds(&self) -> AppResult<Vec<NudgeKind>> {
        self.require_admin("see nudges")?;
        let stored = self.store().nudge_kinds().await?;
        Ok(KINDS
            .iter()
            .map(|k| {
                stored
                    .iter()
                    .find(|s| s.kind == k.kind)
                    .cloned()
                    .unwrap_or(NudgeKind {
                        kind: k.kind.to_owned(),
                        enabled: false,
                        holdout: k.holdout,
                        every_days: k.every_days,
                        wait_minutes: 60,
                    })
            })
            .collect())
    }

    /// Enables, disables or tunes a kind (admins; audited).
    pub async fn set_nudge_kind(
        &self,
        kind: &str,
        enabled: bool,
        holdout: Option<f64>,
        every_days: Option<i64>,
        wait_minutes: Option<i64>,
    ) -> AppResult<NudgeKind> {
        self.require_admin("change nudges")?;
        info(kind)?;
        let mut k = self
            .nudge_kinds()
            .await?
            .into_iter()
            .find(|k| k.kind == kind)
            .ok_or_else(|| AppError::Invalid(format!("no nudge kind {kind:?}")))?;
        k.enabled = enabled;
        if let Some(h) = holdout {
            if !(0.0..1.0).contains(&h) {
                return Err(AppError::Invalid(format!(
                    "--holdout {h}: a share from 0 up to (not including) 1"
                )));
            }
            k.holdout = h;
        }
        if let Some(d) = every_days {
            k.every_days = d.max(0);
        }
        if let Some(m) = wait_minutes {
            if m < 1 {
                return Err(AppError::Invalid("--wait-minutes: at least 1".into()));
            }
            k.wait_minutes = m;
        }
        self.store().set_nudge_kind(&k).await?;
        let by = self.caller().user().map(|u| u.id);
        self.store()
            .audit(
                by,
                "nudges.set",
                kind,
                &format!(
                    "enabled {}, hold-out {}, at most one every {} days, wait {} min",
                    k.enabled, k.holdout, k.every_days, k.wait_minutes
                ),
            )
            .await?;
        Ok(k)
    }

    /// What nudging did (admins): counts, and nudged against held out.
    pub async fn nudge_report(&self) -> AppResult<NudgeReport> {
        self.require_admin("see what nudging did")?;
        let store = self.store();
        Ok(NudgeReport {
            counts: store.nudge_counts().await?,
            share_win: store.nudge_win_outcomes("share_win").await?,
            unanswered: store.nudge_question_outcomes().await?,
        })
    }

    /// The caller's person wants no more nudges of `kind` (`all`: of any kind).
    pub async fn opt_out_nudges(&self, kind: &str) -> AppResult<()> {
        if kind != "all" {
            info(kind)?;
        }
        let person = self.person()?;
        self.store().opt_out_nudges(person, kind).await?;
        let by = self.caller().user().map(|u| u.id);
        Ok(self
            .store()
            .audit(by, "nudges.opt_out", &format!("person:{person}"), kind)
            .await?)
    }

    async fn enabled(&self, kind: &str) -> AppResult<Option<NudgeKind>> {
        Ok(self
            .store()
            .nudge_kinds()
            .await?
            .into_iter()
            .find(|k| k.kind == kind && k.enabled))
    }

    /// Decides and, if so, sends one nudge to `person` as a Slack DM with a **Stop these**
    /// button. `draw` is the hold-out key (the person, or the question).
    async fn nudge(
        &self,
        k: &NudgeKind,
        (person, subject, draw): (i64, &str, &str),
        text: &str,
        mut blocks: Vec<Block>,
        now: DateTime<Utc>,
    ) -> AppResult<NudgeState> {
        let out = held_out(&k.kind, draw, k.holdout);
        let Some(state) = self
            .store()
            .decide_nudge(&k.kind, person, subject, out, k.every_days, now)
            .await?
        else {
            return Ok(NudgeState::Sent);
        };
        if state != NudgeState::Sent {
            return Ok(state);
        }
        let Some(slack_id) = self.slack_id_of(person).await? else {
            self.store()
                .nudge_unreachable(&k.kind, person, subject)
                .await?;
            return Ok(NudgeState::Unreachable);
        };
        blocks.push(Block::actions(
            "nudge",
            vec![Element::button("Stop these", "nudge_optout", &k.kind)],
        ));
        let sent = self
            .slack_call(
                "chat.postMessage",
                &json!({"channel": slack_id, "text": text, "blocks": blocks, "unfurl_links": false}),
            )
            .await;
        if let Err(e) = sent {
            self.store()
                .nudge_unreachable(&k.kind, person, subject)
                .await?;
            return Err(e);
        }
        self.store()
            .audit(
                None,
                &format!("nudge.{}", k.kind),
                &format!("person:{person}"),
                subject,
            )
            .await?;
        Ok(NudgeState::Sent)
    }

    /// The `nudges.scan` job: quiet power users and unanswered questions.
    pub(crate) async fn nudge_scan(&self) -> AppResult<()> {
        let now = self.now();
        if let Some(k) = self.enabled("share_win").await? {
            let since = (now - chrono::Duration::days(28)).date_naive();
            for person in self.store().quiet_power_users(since, 8).await? {
                let text = "You use AI often. Would you share a win? A colleague's story is what makes others try.";
                let blocks = vec![
                    Block::text(&format!(
                        "*{text}*\nWhat did it save you? Before and after, in minutes, is enough."
                    )),
                    Block::actions(
                        "share",
                        vec![Element::button("Share a win", "share_win_open", "open")
                            .styled("primary")],
                    ),
                ];
                self.nudge(
                    &k,
                    (person, "quiet-power-user", &person.to_string()),
                    text,
                    blocks,
                    now,
                )
                .await?;
            }
        }
        if let Some(k) = self.enabled("unanswered").await? {
            let until = now - chrono::Duration::minutes(k.wait_minutes);
            let from = now - chrono::Duration::days(7);
            let names = self
                .slack()
                .await?
                .map(|s| (s.channel_names, s.workspace_url))
                .unwrap_or_default();
            for (channel, ts, asker, stage, _) in
                self.store().unanswered_questions(from, until).await?
            {
                let subject = format!("q:{channel}:{ts}");
                let asker_id = self.store().chat_id_of(IdentityKind::Slack, asker).await?;
                let link = names
                    .0
                    .iter()
                    .find(|(_, n)| **n == channel)
                    .filter(|_| !names.1.is_empty())
                    .map(|(id, _)| crate::slack::Permalinks::new(&names.1, id).of(&ts));
                let who = asker_id.map_or("a colleague".to_owned(), |a| format!("<@{a}>"));
                let text = format!(
                    "A question in #{} from {who} ({} stage) has had no answer for {} minutes.",
                    escape(&channel),
                    stage.replace('_', "-"),
                    k.wait_minutes
                );
                // The champions' Teams channel too, if one is connected (not for held-out
                // questions).
                if !held_out(&k.kind, &subject, k.holdout) {
                    let plain = text.replace(&who, "a colleague");
                    self.teams_nudge(
                        &subject,
                        &[plain, "Could one of you help?".to_owned()],
                        link.as_deref(),
                    )
                    .await?;
                }
                for champion in self
                    .store()
                    .champions_near(asker)
                    .await?
                    .into_iter()
                    .take(3)
                {
                    let mut blocks = vec![Block::text(&format!("*{text}* Could you help?"))];
                    if let Some(l) = &link {
                        blocks.push(Block::actions(
                            "question",
                            vec![Element::link("Open the question", "open_question", l)],
                        ));
                    }
                    self.nudge(&k, (champion, &subject, &subject), &text, blocks, now)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Queues a notice to `person` when its kind is enabled (a failure is logged, never
    /// fails the use case that caused it).
    pub(crate) async fn notice(&self, kind: &str, person: i64, subject: &str, text: &str) {
        let queued = async {
            if self.enabled(kind).await?.is_none() {
                return Ok::<_, AppError>(());
            }
            let n = Notice {
                kind: kind.to_owned(),
                person,
                subject: subject.to_owned(),
                text: text.to_owned(),
                invitation: kind == "champion_invited",
            };
            let payload = serde_json::to_string(&n)
                .map_err(|e| AppError::Internal(format!("a notice: {e}")))?;
            self.store()
                .enqueue(&NewJob {
                    dedupe_key: Some(format!("notice:{kind}:{person}:{subject}")),
                    ..NewJob::now(NOTICE_JOB, &payload)
                })
                .await?;
            Ok(())
        };
        if let Err(e) = queued.await {
            tracing::warn!("a {kind} notice to person {person} was not queued: {e}");
        }
    }

    /// The `nudges.notice` job.
    pub(crate) async fn send_notice(&self, payload: &str) -> AppResult<()> {
        let n: Notice = serde_json::from_str(payload)
            .map_err(|e| AppError::Invalid(format!("not a notice: {e}")))?;
        let Some(k) = self.enabled(&n.kind).await? else {
            return Ok(());
        };
        let mut blocks = vec![Block::text(&escape(&n.text))];
        if n.invitation {
            blocks.push(Block::actions(
                "invitation",
                vec![
                    Element::button("Accept", "champion_accept", "accept").styled("primary"),
                    Element::button("Decline", "champion_decline", "decline"),
                ],
            ));
        }
        let person = n.person.to_string();
        self.nudge(
            &k,
            (n.person, &n.subject, &person),
            &n.text,
            blocks,
            self.now(),
        )
        .await?;
        Ok(())
    }
}

/// Whether nudging a kind worked: the nudged against the held out, on the kind's outcome
/// (quiet power users who shared a win since; questions answered since).
#[derive(Debug, Clone, PartialEq)]
pub struct NudgeEffect {
    pub kind: String,
    pub outcome: &'static str,
    /// `(people or questions, with the outcome)`.
    pub nudged: (i64, i64),
    pub held_out: (i64, i64),
    /// The nudged share minus the held-out share, with Newcombe's 95% interval (the hybrid
    /// score interval from two Wilson intervals); `None` when an arm is below the minimum
    /// group size.
    pub difference: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub verdict: String,
}

/// Wilson's 95% score interval of `k` of `n`.
fn wilson(k: i64, n: i64) -> (f64, f64) {
    let (k, n, z) = (k as f64, n as f64, 1.959_963_984_540_054_f64);
    let p = k / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    (centre - half, centre + half)
}

/// Newcombe's hybrid score interval (his method 10) for `k1/n1 − k2/n2`.
pub fn newcombe(k1: i64, n1: i64, k2: i64, n2: i64) -> (f64, [f64; 2]) {
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let ((l1, u1), (l2, u2)) = (wilson(k1, n1), wilson(k2, n2));
    let d = p1 - p2;
    (
        d,
        [
            d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt(),
            d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt(),
        ],
    )
}

impl App {
    /// Whether nudging `kind` worked (admins): `share_win` (wins shared afterwards) or
    /// `unanswered` (questions answered afterwards), nudged against held out. Arms below
    /// the minimum group size are not compared.
    pub async fn nudge_effect(&self, kind: &str) -> AppResult<NudgeEffect> {
        self.require_admin("see what nudging did")?;
        let (rows, outcome) = match kind {
            "share_win" => (
                self.store().nudge_win_outcomes("share_win").await?,
                "shared a win since",
            ),
            "unanswered" => (
                self.store().nudge_question_outcomes().await?,
                "answered since",
            ),
            other => {
                return Err(AppError::Invalid(format!(
                "{other:?} has no hold-out to compare: the campaigns are share_win and unanswered"
            )))
            }
        };
        let arm = |state: &str| {
            rows.iter()
                .find(|(s, _, _)| s == state)
                .map_or((0, 0), |(_, n, k)| (*n, *k))
        };
        let (nudged, held_out) = (arm("sent"), arm("held_out"));
        let min = self.store().min_group_size().await?;
        let (difference, ci95, verdict) = if nudged.0 < min || held_out.0 < min {
            (
                None,
                None,
                format!(
                    "too few to compare: {} nudged and {} held out (each arm needs at least {min}, the minimum group size)",
                    nudged.0, held_out.0
                ),
            )
        } else {
            let (d, ci) = newcombe(nudged.1, nudged.0, held_out.1, held_out.0);
            let v = if ci[0] > 0.0 {
                format!(
                    "nudging worked: {:+.1} points (95% CI {:+.1} to {:+.1})",
                    d * 100.0,
                    ci[0] * 100.0,
                    ci[1] * 100.0
                )
            } else if ci[1] < 0.0 {
                format!(
                    "nudging backfired: {:+.1} points (95% CI {:+.1} to {:+.1})",
                    d * 100.0,
                    ci[0] * 100.0,
                    ci[1] * 100.0
                )
            } else {
                format!(
                    "no clear effect: {:+.1} points (95% CI {:+.1} to {:+.1})",
                    d * 100.0,
                    ci[0] * 100.0,
                    ci[1] * 100.0
                )
            };
            (Some(d), Some(ci), v)
        };
        Ok(NudgeEffect {
            kind: kind.to_owned(),
            outcome,
            nudged,
            held_out,
            difference,
            ci95,
            verdict,
        })
    }
}

/// Queues the recurring scan (every five minutes), once per install.
pub async fn ensure_scan(store: &flywheel_store::Store) -> AppResult<()> {
    store
        .ensure_schedule("nudges", SCAN_JOB, "{}", "every 5 minutes")
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newcombes_interval_matches_his_published_example() {
        // Newcombe (1998), Statistics in Medicine 17:873, table II, method 10: (a) 56/70
        // against 48/80, 0.2 (0.0524, 0.3339); (c) 5/56 against 0/29, (−0.0381, 0.1926).
        let (d, ci) = newcombe(56, 70, 48, 80);
        assert!((d - 0.2).abs() < 1e-9, "{d}");
        assert!(
            (ci[0] - 0.0524).abs() < 5e-5 && (ci[1] - 0.3339).abs() < 5e-5,
            "{ci:?}"
        );
        let (_, ci) = newcombe(5, 56, 0, 29);
        assert!(
            (ci[0] + 0.0381).abs() < 5e-5 && (ci[1] - 0.1926).abs() < 5e-5,
            "{ci:?}"
        );
        // (b) 9/10 against 3/10: 0.6 (0.1705, 0.8090).
        let (d, ci) = newcombe(9, 10, 3, 10);
        assert!(
            (d - 0.6).abs() < 1e-9
                && (ci[0] - 0.1705).abs() < 5e-5
                && (ci[1] - 0.8090).abs() < 5e-5,
            "{ci:?}"
        );
    }

    #[test]
    fn the_hold_out_draw_is_stable_and_near_its_share() {
        let n = 20_000;
        let out = (0..n)
            .filter(|p| held_out("share_win", &p.to_string(), 0.1))
            .count();
        // Binomial(20000, 0.1): sd ≈ 42; five of them either way.
        assert!((1790..=2210).contains(&out), "{out}");
        assert_eq!(
            held_out("share_win", "42", 0.1),
            held_out("share_win", "42", 0.1)
        );
        assert!(!held_out("share_win", "42", 0.0));
        let other = (0..n)
            .filter(|p| {
                held_out("unanswered", &p.to_string(), 0.1)
                    == held_out("share_win", &p.to_string(), 0.1)
            })
            .count();
        assert!(other < n, "kinds draw apart");
    }
}
