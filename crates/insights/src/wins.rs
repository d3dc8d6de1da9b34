//! Wins from chat: the time saved, read from how people say it ("20 minutes instead of 4
//! hours", "saved 3 hours a week", "went from 2 days to half an hour").
//!
//! Hand-written over the normalised words: the phrasings are few and regular, and each
//! result says which phrase it came from.

use serde::Serialize;

/// How often the saving recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    Once,
    Day,
    Week,
    Month,
}

impl Per {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

/// Time saved, as the post said it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeSaved {
    pub minutes_before: Option<f64>,
    pub minutes_after: Option<f64>,
    pub minutes_saved: f64,
    pub per: Per,
    /// The words the figures were read from.
    pub phrase: String,
}

/// Minutes in one unit; a working day counts 8 hours.
fn unit_minutes(w: &str) -> Option<f64> {
    match w {
        "s" | "sec" | "secs" | "second" | "seconds" => Some(1.0 / 60.0),
        "m" | "min" | "mins" | "minute" | "minutes" => Some(1.0),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(60.0),
        "day" | "days" => Some(480.0),
        "week" | "weeks" => Some(2400.0),
        _ => None,
    }
}

fn number(w: &str) -> Option<f64> {
    let n = match w {
        "a" | "an" | "one" => 1.0,
        "two" => 2.0,
        "three" => 3.0,
        "four" => 4.0,
        "five" => 5.0,
        "six" => 6.0,
        "seven" => 7.0,
        "eight" => 8.0,
        "nine" => 9.0,
        "ten" => 10.0,
        "fifteen" => 15.0,
        "twenty" => 20.0,
        "thirty" => 30.0,
        "half" => 0.5,
        "couple" => 2.0,
        "few" => 3.0,
        _ => return w.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0),
    };
    Some(n)
}

/// Splits into lower-case words, keeping decimals ("1.5") and splitting "20min" / "3h".
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '.'))
    {
        let w = raw.trim_matches('.');
        if w.is_empty() {
            continue;
        }
        let split = w
            .find(|c: char| c.is_alphabetic())
            .filter(|&i| i > 0 && w[..i].parse::<f64>().is_ok());
        match split {
            Some(i) => {
                out.push(w[..i].to_owned());
                out.push(w[i..].to_owned());
            }
            None => out.push(w.to_owned()),
        }
    }
    out
}

/// A duration starting at word `i`: ("half an hour" | [a|an|N] [half]? UNIT), returns
/// (minutes, words used).
fn duration(ws: &[String], i: usize) -> Option<(f64, usize)> {
    let w = |k: usize| ws.get(i + k).map(String::as_str);
    if w(0) == Some("half") && matches!(w(1), Some("a" | "an")) {
        return unit_minutes(w(2)?).map(|u| (0.5 * u, 3));
    }
    let n = number(w(0)?)?;
    // "an hour and a half", "1 and a half hours"
    if let Some(u) = w(1).and_then(unit_minutes) {
        if w(2) == Some("and") && matches!(w(3), Some("a")) && w(4) == Some("half") {
            return Some(((n + 0.5) * u, 5));
        }
        return Some((n * u, 2));
    }
    if w(1) == Some("and") && w(2) == Some("a") && w(3) == Some("half") {
        return w(4).and_then(unit_minutes).map(|u| ((n + 0.5) * u, 5));
    }
    None
}

fn per_after(ws: &[String], i: usize) -> Per {
    let w = |k: usize| ws.get(i + k).map(String::as_str);
    let unit = match (w(0), w(1)) {
        (Some("a" | "per" | "each" | "every"), Some(u)) => u,
        (Some("daily"), _) => "day",
        (Some("weekly"), _) => "week",
        (Some("monthly"), _) => "month",
        _ => return Per::Once,
    };
    match unit {
        "day" | "morning" | "shift" => Per::Day,
        "week" => Per::Week,
        "month" => Per::Month,
        _ => Per::Once,
    }
}

/// Reads the time saved from a post, if it says.
pub fn time_saved(text: &str) -> Option<TimeSaved> {
    let ws = words(text);
    let phrase = |a: usize, b: usize| ws[a..b.min(ws.len())].join(" ");
    for i in 0..ws.len() {
        // "X instead of Y" / "X rather than Y" / "X vs Y" (after, before)
        if let Some((after, n)) = duration(&ws, i) {
            let j = i + n;
            let link = match (
                ws.get(j).map(String::as_str),
                ws.get(j + 1).map(String::as_str),
            ) {
                (Some("instead" | "rather"), Some("of" | "than")) => Some(2),
                (Some("vs" | "versus"), _) => Some(1),
                _ => None,
            };
            if let Some(l) = link {
                if let Some((before, m)) = duration(&ws, j + l) {
                    let per = per_after(&ws, j + l + m);
                    return Some(TimeSaved {
                        minutes_before: Some(before),
                        minutes_after: Some(after),
                        minutes_saved: before - after,
                        per,
                        phrase: phrase(i, j + l + m),
                    });
                }
            }
        }
        // "from Y to X" / "Y down to X"
        let from = ws[i] == "from" || (ws[i] == "took" || ws[i] == "takes");
        if from {
            if let Some((before, n)) = duration(&ws, i + 1) {
                let j = i + 1 + n;
                let k = match (
                    ws.get(j).map(String::as_str),
                    ws.get(j + 1).map(String::as_str),
                ) {
                    (Some("to"), _) => Some(j + 1),
                    (Some("down"), Some("to")) => Some(j + 2),
                    (Some("now"), _) => Some(j + 1),
                    _ => None,
                };
                if let Some(k) = k {
                    if let Some((after, m)) = duration(&ws, k) {
                        return Some(TimeSaved {
                            minutes_before: Some(before),
                            minutes_after: Some(after),
                            minutes_saved: before - after,
                            per: per_after(&ws, k + m),
                            phrase: phrase(i, k + m),
                        });
                    }
                }
            }
        }
        // "saved (me|us)? X (a week)?" / "saves X" / "X saved"
        if matches!(ws[i].as_str(), "saved" | "saves" | "saving" | "save") {
            let mut k = i + 1;
            while matches!(
                ws.get(k).map(String::as_str),
                Some(
                    "me" | "us"
                        | "them"
                        | "the"
                        | "team"
                        | "my"
                        | "about"
                        | "around"
                        | "over"
                        | "roughly"
                        | "nearly"
                        | "almost"
                )
            ) {
                k += 1;
            }
            if let Some((saved, n)) = duration(&ws, k) {
                return Some(TimeSaved {
                    minutes_before: None,
                    minutes_after: None,
                    minutes_saved: saved,
                    per: per_after(&ws, k + n),
                    phrase: phrase(i, k + n + 2),
                });
            }
        }
        if let Some((saved, n)) = duration(&ws, i) {
            if ws.get(i + n).map(String::as_str) == Some("saved") {
                return Some(TimeSaved {
                    minutes_before: None,
                    minutes_after: None,
                    minutes_saved: saved,
                    per: per_after(&ws, i + n + 1),
                    phrase: phrase(i, i + n + 1),
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A post, and the minutes before, after and saved, and how often, read from it.
    type Case = (&'static str, Option<f64>, Option<f64>, f64, Per);

    const CASES: &[Case] = &[
        (
            "Report in 20 minutes instead of 4 hours!",
            Some(240.0),
            Some(20.0),
            220.0,
            Per::Once,
        ),
        (
            "Copilot saved me 3 hours a week on status reports",
            None,
            None,
            180.0,
            Per::Week,
        ),
        (
            "went from 2 days to half an hour for the quarterly deck",
            Some(960.0),
            Some(30.0),
            930.0,
            Per::Once,
        ),
        (
            "Supplier summary: 15 min rather than 2h",
            Some(120.0),
            Some(15.0),
            105.0,
            Per::Once,
        ),
        ("saves about 30 mins every day", None, None, 30.0, Per::Day),
        (
            "Ticket triage down: took 45 minutes, now 10 minutes per shift",
            Some(45.0),
            Some(10.0),
            35.0,
            Per::Day,
        ),
        (
            "1.5 hours saved per month on invoices",
            None,
            None,
            90.0,
            Per::Month,
        ),
        (
            "an hour and a half instead of a day",
            Some(480.0),
            Some(90.0),
            390.0,
            Per::Once,
        ),
        (
            "translation took 3h now 20min",
            Some(180.0),
            Some(20.0),
            160.0,
            Per::Once,
        ),
        (
            "10 minutes vs 1 hour each week",
            Some(60.0),
            Some(10.0),
            50.0,
            Per::Week,
        ),
        (
            "Saved the team two days on the audit prep",
            None,
            None,
            960.0,
            Per::Once,
        ),
        (
            "from 90 minutes down to 15 minutes daily",
            Some(90.0),
            Some(15.0),
            75.0,
            Per::Day,
        ),
    ];

    #[test]
    fn phrasings() {
        for (post, before, after, saved, per) in CASES {
            let t = time_saved(post).unwrap_or_else(|| panic!("nothing read from {post:?}"));
            assert_eq!(
                (t.minutes_before, t.minutes_after, t.minutes_saved, t.per),
                (*before, *after, *saved, *per),
                "{post}: {t:?}"
            );
        }
    }

    #[test]
    fn no_figures_no_win_time() {
        for post in [
            "Great session today, thanks all!",
            "The meeting is at 3",
            "I have 2 questions",
            "version 1.5 is out",
        ] {
            assert_eq!(time_saved(post), None, "{post}");
        }
    }
}
