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

/// Minutes in one unit: a working day counts 8 hours, a week of work 5 days; a morning,
/// an afternoon or an evening half a working day. Spanish, French and German units too.
fn unit_minutes(w: &str) -> Option<f64> {
    Some(match w {
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0 / 60.0,
        "m" | "min" | "mins" | "minute" | "minutes" | "minuto" | "minutos" | "minuten"
        | "minutos." => 1.0,
        "h" | "hr" | "hrs" | "hour" | "hours" | "hora" | "horas" | "heure" | "heures"
        | "stunde" | "stunden" | "std" => 60.0,
        "morning" | "afternoon" | "evening" | "mañana" | "tarde" | "matinée" | "après"
        | "vormittag" | "nachmittag" => 240.0,
        "day" | "days" | "día" | "días" | "dia" | "dias" | "jour" | "jours" | "journée" | "tag"
        | "tage" => 480.0,
        "week" | "weeks" | "semana" | "semanas" | "semaine" | "semaines" | "woche" | "wochen" => {
            2400.0
        }
        _ => return None,
    })
}

/// A number written out (with "a"/"an"/"one" as 1 and "a couple" as 2); vague words ("a
/// few", "several", "some") are no number at all.
fn word_number(w: &str) -> Option<f64> {
    Some(match w {
        "a" | "an" | "one" | "un" | "una" | "une" | "ein" | "eine" | "einen" | "uno" => 1.0,
        "two" | "dos" | "deux" | "zwei" => 2.0,
        "three" | "tres" | "trois" | "drei" => 3.0,
        "four" | "cuatro" | "quatre" | "vier" => 4.0,
        "five" | "cinco" | "cinq" | "fünf" => 5.0,
        "six" | "seis" | "sechs" => 6.0,
        "seven" => 7.0,
        "eight" => 8.0,
        "nine" => 9.0,
        "ten" | "diez" | "dix" | "zehn" => 10.0,
        "eleven" => 11.0,
        "twelve" => 12.0,
        "fifteen" => 15.0,
        "twenty" => 20.0,
        "thirty" => 30.0,
        "forty" => 40.0,
        "fifty" => 50.0,
        "sixty" => 60.0,
        "ninety" => 90.0,
        "couple" => 2.0,
        _ => return None,
    })
}

fn number(w: &str) -> Option<f64> {
    word_number(w).or_else(|| {
        w.replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
    })
}

/// Splits into lower-case tokens: words, numbers (keeping "1.5" and "1,5"), and the marks
/// that carry meaning in a win ("→", "+", "~", "/", "-", "$", "(", "?"); "20min", "3h",
/// "1h30" and "2h+" are split into their parts.
fn tokens(text: &str) -> Vec<String> {
    let lower = text
        .to_lowercase()
        .replace("-->", " → ")
        .replace("->", " → ")
        .replace("=>", " → ")
        .replace(['➜', '⟶', '⇒', '➡', '⮕'], " → ");
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if cur.is_empty() {
            return;
        }
        let w = std::mem::take(cur);
        let w = w.trim_end_matches(['.', ',']);
        let possessive = w.strip_suffix("'s").or_else(|| w.strip_suffix("’s"));
        let w = possessive.unwrap_or(w).to_owned();
        // Split runs of digits from letters: "1h30" → 1 h 30, "20min" → 20 min.
        let mut part = String::new();
        let mut digit = None;
        for c in w.chars() {
            let d = c.is_ascii_digit() || ((c == '.' || c == ',') && digit == Some(true));
            if digit.is_some_and(|x| x != d) && !part.is_empty() {
                out.push(std::mem::take(&mut part));
            }
            digit = Some(d);
            part.push(c);
        }
        if !part.is_empty() {
            out.push(part);
        }
        if possessive.is_some() {
            out.push("'s".to_owned());
        }
    };
    for c in lower.chars() {
        let in_number =
            (c == '.' || c == ',') && cur.chars().last().is_some_and(|l| l.is_ascii_digit());
        if c.is_alphanumeric() || c == '\'' || c == '’' || in_number {
            cur.push(c);
        } else {
            flush(&mut cur, &mut out);
            if matches!(
                c,
                '→' | '+' | '~' | '/' | '-' | '–' | '—' | '$' | '€' | '£' | '(' | '?' | ':'
            ) {
                out.push(c.to_string());
            }
        }
    }
    flush(&mut cur, &mut out);
    out.retain(|t| !t.is_empty());
    out
}

/// A duration found in the tokens.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    minutes: f64,
    /// Minutes in its (last) unit, for a bare number that borrows it ("45 minutes, now 5").
    unit: f64,
}

/// The fixed forms of a duration at token `i`: halves and quarters ("half a day", "half
/// day", "1/2 day", "three quarters of an hour"). `Some(None)`: the words start such a form
/// but are no duration.
fn fraction_at(ts: &[String], i: usize) -> Option<Option<Span>> {
    let t = |k: usize| ts.get(k).map(String::as_str);
    let k = i;
    // "half a day", "half an hour"
    if t(k) == Some("half") && matches!(t(k + 1), Some("a" | "an")) {
        return Some(t(k + 2).and_then(unit_minutes).map(|u| Span {
            start: i,
            end: k + 3,
            minutes: 0.5 * u,
            unit: u,
        }));
    }
    // "half day", "½ day"
    if matches!(t(k), Some("half" | "½")) {
        return Some(t(k + 1).and_then(unit_minutes).map(|u| Span {
            start: i,
            end: k + 2,
            minutes: 0.5 * u,
            unit: u,
        }));
    }
    // "1/2 day"
    if t(k + 1) == Some("/") {
        let n = |j: usize| t(j).and_then(|w| w.parse::<f64>().ok());
        let (Some(a), Some(b), Some(u)) = (n(k), n(k + 2), t(k + 3).and_then(unit_minutes)) else {
            return None;
        };
        return Some((b > a && b <= 4.0).then_some(Span {
            start: i,
            end: k + 4,
            minutes: a / b * u,
            unit: u,
        }));
    }
    // "a quarter of an hour", "three quarters of an hour"
    if matches!(t(k + 1), Some("quarter" | "quarters")) && t(k + 2) == Some("of") {
        let hour = matches!(t(k + 3), Some("a" | "an")) && t(k + 4) == Some("hour");
        return Some(t(k).and_then(word_number).filter(|_| hour).map(|n| Span {
            start: i,
            end: k + 5,
            minutes: 15.0 * n,
            unit: 60.0,
        }));
    }
    None
}

/// A duration starting at token `i` (approximation words before it are simply skipped),
/// or None.
fn duration_at(ts: &[String], i: usize) -> Option<Span> {
    if let Some(fixed) = fraction_at(ts, i) {
        return fixed;
    }
    let t = |k: usize| ts.get(k).map(String::as_str);
    let mut k = i;
    // "a whole / full / entire / good …" and "all afternoon"
    let article = matches!(
        t(k),
        Some("a" | "an" | "the" | "all" | "my" | "our" | "your" | "their" | "his" | "her")
    );
    let mut n = number(t(k)?);
    if article && n.is_none() {
        n = Some(1.0);
    }
    let mut n = n?;
    k += 1;
    if t(k - 1) == Some("couple") && t(k) == Some("of") {
        k += 1;
    }
    let needs_whole = matches!(
        t(i),
        Some("the" | "my" | "our" | "your" | "their" | "his" | "her")
    );
    if needs_whole && !matches!(t(k), Some("whole" | "entire" | "full" | "usual")) {
        // "the morning" is a time of day, "my whole morning" a duration.
        return None;
    }
    if article || t(k) == Some("couple") {
        while matches!(
            t(k),
            Some(
                "whole"
                    | "full"
                    | "entire"
                    | "good"
                    | "solid"
                    | "working"
                    | "half"
                    | "couple"
                    | "of"
                    | "usual"
            )
        ) {
            if t(k) == Some("half") {
                n *= 0.5;
            }
            if t(k) == Some("couple") {
                n = 2.0;
            }
            k += 1;
        }
    }
    // Compound numbers ("twenty five") and ranges ("2-3", "2 to 3", "30 to 45", "2 or 3"):
    // a range counts its lower bound.
    if let (Some(a), Some(b)) = (t(k - 1).and_then(word_number), t(k).and_then(word_number)) {
        if a >= 20.0 && (1.0..10.0).contains(&b) && !matches!(t(k), Some("a" | "an")) {
            n = a + b;
            k += 1;
        }
    }
    // "from 90 to 15 minutes" is before and after, not a range.
    let from = i > 0 && t(i - 1) == Some("from");
    if matches!(t(k), Some("-" | "–" | "to" | "or"))
        && !(from && t(k) == Some("to"))
        && !matches!(t(k + 1), Some("a" | "an"))
    {
        if let Some(b) = t(k + 1).and_then(number) {
            n = n.min(b);
            k += 2;
        }
    }
    if t(k) == Some("+") {
        k += 1;
    }
    // "two and a half hours"
    if t(k) == Some("and") && t(k + 1) == Some("a") && t(k + 2) == Some("half") {
        n += 0.5;
        k += 3;
    }
    // Words between a number and its unit: "2 full days", "an extra hour", "a 5-hour task".
    while matches!(
        t(k),
        Some("full" | "whole" | "working" | "solid" | "good" | "extra" | "more" | "-")
    ) {
        k += 1;
    }
    let u = unit_minutes(t(k)?)?;
    if u < 1.0 {
        return None;
    }
    let (minutes, end) = unit_tail(ts, k + 1, n * u, u);
    Some(Span {
        start: i,
        end,
        minutes,
        unit: u,
    })
}

/// What may follow a unit: "+", minutes after hours ("1h30", "1 h 15 m"), "and a half".
fn unit_tail(ts: &[String], mut k: usize, mut minutes: f64, u: f64) -> (f64, usize) {
    let t = |k: usize| ts.get(k).map(String::as_str);
    if t(k) == Some("+") {
        k += 1;
    }
    if u == 60.0 {
        if let Some(m) = t(k)
            .and_then(|w| w.parse::<f64>().ok())
            .filter(|m| *m < 60.0 && t(k + 1) != Some("hours"))
        {
            minutes += m;
            k += 1;
            if matches!(t(k), Some("m" | "min" | "mins" | "minutes")) {
                k += 1;
            }
        }
    }
    if t(k) == Some("and") && t(k + 1) == Some("a") && t(k + 2) == Some("half") {
        minutes += 0.5 * u;
        k += 3;
    }
    (minutes, k)
}

/// Every duration of a post, left to right, without overlaps.
fn durations(ts: &[String]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < ts.len() {
        if ts
            .get(i.wrapping_sub(1))
            .is_some_and(|p| matches!(p.as_str(), "$" | "€" | "£"))
        {
            i += 1;
            continue;
        }
        match duration_at(ts, i) {
            Some(s) => {
                out.push(s);
                i = s.end;
            }
            None => i += 1,
        }
    }
    out
}

/// Words that mark the figure beside them as the time before ("usually 3 hours", "used to
/// take", "was half a day", "estimated it at a day").
const BEFORE: &[&str] = &[
    "usually",
    "normally",
    "typically",
    "previously",
    "used",
    "was",
    "were",
    "estimated",
    "otherwise",
    "would",
    "last",
    "before",
    "instead",
    "rather",
    "vs",
    "versus",
    "compared",
    "not",
    "than",
    "antes",
    "avant",
    "vorher",
    "statt",
    "normalmente",
    "d'habitude",
];

/// Words that lead from the time before to the time after ("3 hrs → 30 min", "took 45
/// minutes, now 5", "ten hours became two").
const FORWARD: &[&str] = &[
    "→",
    "to",
    "now",
    "into",
    "became",
    "becomes",
    "down",
    "reduced",
    "cut",
    "done",
    "took",
    "'s",
    "ahora",
    "maintenant",
    "jetzt",
];

/// With a bare number borrowing the other figure's unit, only the plainest links count
/// ("now 5", "usually 30", "vs 30"): "took 3 hours to write 2 proposals" is no saving.
const BARE_BEFORE: &[&str] = &[
    "usually",
    "normally",
    "typically",
    "previously",
    "used",
    "was",
    "were",
    "instead",
    "rather",
    "vs",
    "versus",
    "than",
    "not",
    "estimated",
    "would",
];
const BARE_FORWARD: &[&str] = &[
    "→",
    "now",
    "became",
    "becomes",
    "down",
    "into",
    "ahora",
    "maintenant",
    "jetzt",
];

/// Words that say a figure was saved: before it ("saved 2 hours", "ahorré 2 horas") or
/// after it ("2 hours saved", "an hour back", "40 minutes … gone").
const SAVED_BEFORE: &[&str] = &[
    "saved",
    "saves",
    "save",
    "saving",
    "shaved",
    "freed",
    "gained",
    "reclaimed",
    "ahorré",
    "ahorre",
    "ahorra",
    "ahorramos",
    "ahorrado",
    "gagné",
    "gagne",
    "économisé",
    "gespart",
    "spare",
    "spart",
    "by",
];
const SAVED_AFTER: &[&str] = &[
    "saved",
    "back",
    "less",
    "gone",
    "freed",
    "gespart",
    "ahorrados",
    "ahorradas",
    "économisées",
    "off",
    "earlier",
    "faster",
    "quicker",
    "sooner",
];

fn has(words: &[String], set: &[&str]) -> bool {
    words.iter().any(|w| set.contains(&w.as_str()))
}

/// How often, from the words right after the figure ("a week", "per day", "/month",
/// "every morning", "this week"), else "today" / "this morning" (once), else a
/// "daily / weekly / monthly" anywhere in the post, else once.
fn per_of(ts: &[String], after: usize, spans: &[Span]) -> Per {
    let t = |k: usize| ts.get(k).map(String::as_str);
    let unit = |w: &str| match w {
        "day" | "days" | "morning" | "mornings" | "shift" | "día" | "jour" | "tag" => {
            Some(Per::Day)
        }
        "week" | "wk" | "weeks" | "semana" | "semaine" | "woche" => Some(Per::Week),
        "month" | "mo" | "months" | "mes" | "mois" | "monat" => Some(Per::Month),
        _ => None,
    };
    let mut k = after;
    // Skip a few words to the period ("saved 2 hours on my reports a week" is rare; allow
    // the figure's own tail: "of my time", "of work").
    for _ in 0..4 {
        match (t(k), t(k + 1)) {
            (
                Some(
                    "a" | "per" | "each" | "every" | "/" | "this" | "an" | "al" | "par" | "pro"
                    | "la" | "por",
                ),
                Some(u),
            ) if unit(u).is_some() => {
                return unit(u).unwrap_or(Per::Once);
            }
            (Some("daily" | "diario"), _) => return Per::Day,
            (Some("weekly"), _) => return Per::Week,
            (Some("monthly"), _) => return Per::Month,
            (
                Some(
                    "of" | "my" | "our" | "me" | "us" | "time" | "work" | "saved" | "back" | "less"
                    | "per" | "+" | "the" | "team",
                ),
                _,
            ) => k += 1,
            _ => break,
        }
    }
    let inside = |i: usize| spans.iter().any(|s| s.start <= i && i < s.end);
    let once_words = ts.windows(2).any(|w| {
        matches!(
            w[0].as_str(),
            "today" | "yesterday" | "hoy" | "aujourd'hui" | "heute"
        ) || (w[0] == "this" && matches!(w[1].as_str(), "morning" | "afternoon" | "time"))
    }) || ts.last().is_some_and(|w| w == "today");
    if once_words {
        return Per::Once;
    }
    for (i, w) in ts.iter().enumerate() {
        if inside(i) {
            continue;
        }
        match w.as_str() {
            "daily" => return Per::Day,
            "weekly" => return Per::Week,
            "monthly" => return Per::Month,
            _ => {}
        }
        // "every friday", "each morning", "on mondays"
        let next = ts.get(i + 1).map_or("", String::as_str);
        let weekday = |d: &str| {
            [
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "mondays",
                "tuesdays",
                "wednesdays",
                "thursdays",
                "fridays",
            ]
            .contains(&d)
        };
        if matches!(w.as_str(), "every" | "each") {
            match next {
                "day" | "morning" | "evening" | "shift" => return Per::Day,
                "week" => return Per::Week,
                "month" => return Per::Month,
                d if weekday(d) => return Per::Week,
                _ => {}
            }
        }
        if w.ends_with("days") && weekday(w) {
            return Per::Week;
        }
    }
    Per::Once
}

/// Openings of posts that are not wins: reminders, rules, welcomes, templates, digests,
/// replies of praise.
const NOT_A_WIN: &[&str] = &[
    "reminder",
    "friendly reminder",
    "psa",
    "heads up",
    "pinned",
    "welcome",
    "channel rules",
    "rules",
    "template",
    "don't forget",
    "dont forget",
    "please",
    "congrats",
    "congratulations",
    "nice one",
    "nice work",
    "nice job",
    "great job",
    "well done",
    "+",
    "this week's digest",
    "digest",
    "weekly wins",
    "announcement",
    "kudos",
    "love this",
    "join us",
    "join the",
    "same",
    "me too",
    "imagine",
    "our goal",
    "goal",
    "target",
    "tip",
];

/// Whether a post reads as sharing a win, not as a reminder, a rule, a welcome, a
/// template, a digest, praise for someone else's win, a question or a bot's summary.
pub fn is_win(text: &str) -> bool {
    // Emoji (":mega:") and mentions ("<@U…>") are dropped before reading the opening.
    let chat = crate::chat_text::ChatText::of(text);
    let words: Vec<&str> = chat.words.iter().map(String::as_str).collect();
    let lower = chat.joined();
    let opening = lower.trim_start_matches(|c: char| {
        c == '*' || c == '_' || c == '>' || c == '[' || c.is_whitespace()
    });
    if NOT_A_WIN.iter().any(|p| {
        opening.starts_with(p)
            && opening[p.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric() || *p == "+")
    }) {
        return false;
    }
    if text.contains(":robot_face:")
        || lower.contains("wins posted")
        || lower.contains("wins shared")
    {
        return false;
    }
    // Examples inside reminders: "e.g. 'report in 20 min instead of 2 hours'".
    if lower.contains("e.g.") || lower.contains("for example") {
        return false;
    }
    // A question: opens as one and asks.
    let first = words.first().copied().unwrap_or("");
    let asks = matches!(
        first.trim_matches(|c: char| !c.is_alphanumeric()),
        "did"
            | "does"
            | "do"
            | "how"
            | "what"
            | "anyone"
            | "has"
            | "have"
            | "can"
            | "could"
            | "is"
            | "are"
            | "who"
            | "why"
            | "where"
            | "when"
            | "should"
            | "would"
    );
    // Or asks the poster of another win ("3 hours saved is amazing, how did you prompt it?").
    let asks_you = [
        "did you",
        "do you",
        "can you",
        "could you",
        "have you",
        "would you",
    ]
    .iter()
    .any(|p| lower.contains(p));
    !((asks || asks_you) && text.contains('?'))
}

/// Reads the time saved from a win post, if it states it; a post that is not a win
/// ([`is_win`]) has none.
pub fn time_saved(text: &str) -> Option<TimeSaved> {
    if !is_win(text) {
        return None;
    }
    let ts = tokens(text);
    let spans = durations(&ts);
    if let Some(t) = before_and_after(&ts, &spans) {
        return Some(t);
    }
    one_figure(&ts, &spans)
}

/// A time before and a time after, stated together ("20 minutes instead of 4 hours",
/// "took 45 minutes, now about 5", "from 90 to 15 minutes").
fn before_and_after(ts: &[String], spans: &[Span]) -> Option<TimeSaved> {
    let phrase = |a: usize, b: usize| ts[a.min(ts.len())..b.min(ts.len())].join(" ");
    let before_of = |s: &Span| &ts[s.start.saturating_sub(3)..s.start];
    // Before and after, stated together.
    for (x, y) in spans.iter().zip(spans.iter().skip(1)) {
        let gap = &ts[x.end..y.start];
        if gap.len() > 10 {
            continue;
        }
        if let Some(t) = pair(x, y, before_of(x), gap, false, ts, spans, &phrase) {
            return Some(t);
        }
    }
    // Before with a bare number after, in the same unit ("took 45 minutes, now about 5",
    // "in ten minutes, it's usually forty", "ten hours … became two").
    for x in spans {
        let tail_end = (x.end + 6).min(ts.len());
        for j in x.end..tail_end {
            if spans.iter().any(|s| s.start == j) {
                break;
            }
            let Some(n) = number(&ts[j]).filter(|_| {
                ts[j].chars().any(|c| c.is_ascii_digit())
                    || !matches!(ts[j].as_str(), "a" | "an" | "one")
            }) else {
                continue;
            };
            let gap = &ts[x.end..j];
            if ts
                .get(j + 1)
                .is_some_and(|w| unit_minutes(w).is_some() || w == "%")
            {
                break;
            }
            let y = Span {
                start: j,
                end: j + 1,
                minutes: n * x.unit,
                unit: x.unit,
            };
            if let Some(t) = pair(x, &y, before_of(x), gap, true, ts, spans, &phrase) {
                return Some(t);
            }
        }
    }
    // "from 90 to 15 minutes": a bare number before, in the unit of the figure after.
    for y in spans {
        let t = |k: usize| {
            y.start
                .checked_sub(k)
                .and_then(|i| ts.get(i))
                .map(String::as_str)
        };
        if t(1) == Some("to") && t(3) == Some("from") {
            if let Some(n) = t(2).and_then(number) {
                let x = Span {
                    start: y.start - 2,
                    end: y.start - 1,
                    minutes: n * y.unit,
                    unit: y.unit,
                };
                if let Some(t) = pair(
                    &x,
                    y,
                    &ts[y.start - 3..y.start - 2],
                    &ts[x.end..y.start],
                    true,
                    ts,
                    spans,
                    &phrase,
                ) {
                    return Some(t);
                }
            }
        }
    }
    None
}

/// Words before a figure that make it a saving hoped for, not had: "could save us 2
/// hours", "learn how to save", "our goal: save 1 hour a week".
const HOPED: &[&str] = &[
    "could", "would", "should", "will", "might", "may", "can", "to", "goal", "target", "aim",
    "imagine", "hoping", "hope", "if",
];

/// One figure, said to be saved: "saved (me) ~2 hours", else "2 hours saved / back".
fn one_figure(ts: &[String], spans: &[Span]) -> Option<TimeSaved> {
    let phrase = |a: usize, b: usize| ts[a.min(ts.len())..b.min(ts.len())].join(" ");
    let hoped = |s: &Span| has(&ts[s.start.saturating_sub(6)..s.start], HOPED);
    let marked_before = spans.iter().find(|s| {
        let pre = &ts[s.start.saturating_sub(5)..s.start];
        pre.iter().any(|w| SAVED_BEFORE.contains(&w.as_str()))
    });
    let marked_after = || {
        spans.iter().find(|s| {
            let post = &ts[s.end..(s.end + 7).min(ts.len())];
            post.iter().any(|w| SAVED_AFTER.contains(&w.as_str()))
                && !post
                    .iter()
                    .take_while(|w| !SAVED_AFTER.contains(&w.as_str()))
                    .any(|w| w == "?")
        })
    };
    let s = marked_before.or_else(marked_after).filter(|s| !hoped(s))?;
    let from = ts[s.start.saturating_sub(5)..s.start]
        .iter()
        .rposition(|w| SAVED_BEFORE.contains(&w.as_str()))
        .map_or(s.start, |p| s.start.saturating_sub(5) + p);
    Some(TimeSaved {
        minutes_before: None,
        minutes_after: None,
        minutes_saved: s.minutes,
        per: per_of(ts, s.end, spans),
        phrase: phrase(from, s.end + 2),
    })
}

/// Two figures and the words between them: which was before and which after, if the words
/// say; None when they do not, or when "after" is not shorter. When `y` is a bare number
/// borrowing `x`'s unit, only the plainest links count ("now 5", "usually 30", "vs 30").
#[allow(clippy::too_many_arguments)]
fn pair(
    x: &Span,
    y: &Span,
    lead: &[String],
    gap: &[String],
    bare: bool,
    ts: &[String],
    spans: &[Span],
    phrase: &dyn Fn(usize, usize) -> String,
) -> Option<TimeSaved> {
    // Words that say x is the time before, right in front of it ("usually a 6 hour job",
    // "used to take 2 days", "from 4 hours").
    // A figure said to be saved is the saving, not a time before ("saved 2 hours, took 20
    // minutes to set up").
    if has(lead, SAVED_BEFORE) {
        return None;
    }
    let x_before = has(
        lead,
        &[
            "usually",
            "normally",
            "typically",
            "previously",
            "used",
            "from",
            "was",
            "before",
        ],
    );
    let (back, forward) = if bare {
        (BARE_BEFORE, BARE_FORWARD)
    } else {
        (BEFORE, FORWARD)
    };
    // "from 3 days to 1": after "from", a bare "to" leads forward too.
    let forward_hit = has(gap, forward) || (bare && has(lead, &["from"]) && has(gap, &["to"]));
    let (before, after) = if gap
        .first()
        .is_some_and(|w| w == "before" || w == "previously")
        || (x_before && !has(gap, &["instead", "rather", "vs", "versus"]))
    {
        (x, y)
    } else if has(gap, back) {
        (y, x)
    } else if forward_hit {
        (x, y)
    } else {
        return None;
    };
    if after.minutes >= before.minutes {
        return None;
    }
    let start = x.start.saturating_sub(usize::from(has(lead, &["from"])));
    Some(TimeSaved {
        minutes_before: Some(before.minutes),
        minutes_after: Some(after.minutes),
        minutes_saved: before.minutes - after.minutes,
        per: per_of(ts, y.end, spans),
        phrase: phrase(start, y.end),
    })
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
