//! Question maturity: is a question "What is this?", "How do I get access?", "How do I do X
//! with it?" or "How do I build Y nobody has tried?"
//!
//! Two layers. A transparent rule table ([`classify_rules`]): every cue is a phrase with a
//! stage and a weight. And the classifier used by the product ([`classify`]): a softmax
//! regression ([`model`]) over the question's words, word pairs, opening words and the
//! rule table's cues, trained at first use from the labelled development set compiled in
//! from `data/`. Both name what decided the answer. Measured by cross-validation on the
//! development set and on a held-out set in `tests/data/` that neither was tuned on
//! (precision and recall per stage in the README).

use crate::{InsightError, InsightResult};
pub mod model;

use flywheel_domain::usage::QuestionStage;
use serde::Serialize;

/// A classification with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classified {
    pub stage: QuestionStage,
    /// What decided it, strongest first: words (`licence`), word pairs (`get access`), the
    /// opening (`^how do`) and rule cues (`rule:licen*`); for [`classify_rules`], the cues
    /// that matched as `stage:phrase`.
    pub cues: Vec<String>,
    /// Per stage (awareness, access, how-to, frontier): the calibrated probability in
    /// percent for [`classify`], the total cue weight for [`classify_rules`].
    pub scores: [i32; 4],
    /// How sure, 0 to 1: the calibrated probability of `stage` ([`TEMPERATURE`]). A
    /// question read with confidence 0.8 has its stage right about 8 times in 10.
    pub confidence: f32,
    /// Below [`UNSURE_BELOW`]: the stage is only the best guess, and the question counts
    /// as a question of no stage (never forced into one).
    pub unsure: bool,
}

/// The temperature that calibrates the model's probabilities (`p^(1/T)`, renormalised):
/// chosen by minimising the log loss of the 10-fold cross-validated probabilities on the
/// development set (`tests/questions.rs`, `calibrated_on_the_development_set`, which
/// asserts it is still the best and that the expected calibration error stays small).
pub const TEMPERATURE: f32 = 0.8;

/// Below this calibrated probability the stage is "unsure".
pub const UNSURE_BELOW: f32 = 0.5;

/// Applies a temperature to class probabilities.
pub fn calibrate(p: [f32; 4], temperature: f32) -> [f32; 4] {
    let powered = p.map(|x| x.max(1e-12).powf(1.0 / temperature));
    let sum: f32 = powered.iter().sum();
    powered.map(|x| x / sum)
}

/// The labelled development set the shipped model is trained on.
const DEVELOPMENT: [&str; 5] = [
    include_str!("../data/questions.tsv"),
    include_str!("../data/questions_more.tsv"),
    include_str!("../data/questions_first_heldout.tsv"),
    include_str!("../data/questions_phrasings.tsv"),
    include_str!("../data/questions_plain.tsv"),
];

/// Parses a labelled set: lines `stage<TAB>question` (`awareness`, `access`, `howto`,
/// `frontier`); `#` lines and blank lines are skipped. Errors name the line.
pub fn parse_labelled(data: &str) -> InsightResult<Vec<(QuestionStage, &str)>> {
    data.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| {
            let (s, q) = l
                .split_once('\t')
                .ok_or_else(|| InsightError::Invalid(format!("line {}: no tab", i + 1)))?;
            let stage = match s {
                "awareness" => Awareness,
                "access" => Access,
                "howto" => HowTo,
                "frontier" => Frontier,
                other => {
                    return Err(InsightError::Invalid(format!(
                        "line {}: unknown stage {other:?}",
                        i + 1
                    )))
                }
            };
            Ok((stage, q))
        })
        .collect()
}

/// The development set (all of `data/`).
pub fn development_set() -> Vec<(QuestionStage, &'static str)> {
    DEVELOPMENT
        .iter()
        .flat_map(|d| parse_labelled(d).unwrap_or_default())
        .collect()
}

fn shipped_model() -> &'static model::Model {
    static MODEL: std::sync::OnceLock<model::Model> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| model::Model::train(&development_set()))
}

/// Classifies a question with the model trained on the development set.
pub fn classify(text: &str) -> Classified {
    classify_with(shipped_model(), text)
}

/// Classifies a question with a given model (cross-validation trains its own).
pub fn classify_with(m: &model::Model, text: &str) -> Classified {
    let (raw, why) = m.predict(text);
    let p = calibrate(raw, TEMPERATURE);
    let best = (0..4).max_by(|a, b| p[*a].total_cmp(&p[*b])).unwrap_or(0);
    let cues = why
        .into_iter()
        .map(|(f, _)| {
            if let Some(w) = f.strip_prefix("w:").or_else(|| f.strip_prefix("p:")) {
                w.to_owned()
            } else if let Some(o) = f.strip_prefix("open:") {
                format!("^{o}")
            } else if let Some(stem) = f.strip_prefix("s:") {
                format!("{stem}~")
            } else if let Some(c) = f.strip_prefix("cue:") {
                format!("rule:{}", c.get(2..).unwrap_or(c))
            } else {
                f
            }
        })
        .collect();
    Classified {
        stage: model::STAGES[best],
        cues,
        scores: p.map(|x| (x * 100.0).round() as i32),
        confidence: p[best],
        unsure: p[best] < UNSURE_BELOW,
    }
}

use QuestionStage::{Access, Awareness, Frontier, HowTo};

/// Phrases (lower case, words separated by single spaces; a trailing `*` matches any word
/// ending) with the stage they point to and how strongly.
const CUES: &[(&str, QuestionStage, i32)] = &[
    // What is this?
    ("what is", Awareness, 2),
    ("what s", Awareness, 2),
    ("what are", Awareness, 2),
    ("what does", Awareness, 2),
    ("explain what", Awareness, 3),
    ("difference between", Awareness, 3),
    ("the difference", Awareness, 2),
    ("vs", Awareness, 2),
    ("same thing as", Awareness, 3),
    ("the same as", Awareness, 2),
    ("the same ai", Awareness, 2),
    ("why would", Awareness, 2),
    ("why is everyone", Awareness, 3),
    ("why did", Awareness, 2),
    ("should i care", Awareness, 3),
    ("worth", Awareness, 2),
    ("any good", Awareness, 3),
    ("is it safe", Awareness, 3),
    ("risks", Awareness, 2),
    ("replace my job", Awareness, 3),
    ("hype", Awareness, 2),
    ("opinions", Awareness, 2),
    ("what kind of", Awareness, 2),
    ("who is actually", Awareness, 2),
    ("any point", Awareness, 3),
    ("useful for", Awareness, 2),
    ("helpful in", Awareness, 2),
    ("good for", Awareness, 2),
    ("good at", Awareness, 2),
    ("does the ai", Awareness, 2),
    ("does copilot work", Awareness, 2),
    ("does ai", Awareness, 2),
    ("do these tools", Awareness, 2),
    ("can ai", Awareness, 2),
    ("actually", Awareness, 1),
    ("just a", Awareness, 2),
    ("hearing about", Awareness, 2),
    ("has anyone tried", Awareness, 1),
    ("mean", Awareness, 2),
    ("exactly", Awareness, 1),
    ("reliable", Awareness, 2),
    ("smarter", Awareness, 2),
    ("remember", Awareness, 2),
    ("reading all", Awareness, 2),
    ("see my screen", Awareness, 2),
    ("offline", Awareness, 1),
    ("with my data", Awareness, 2),
    ("normal that", Awareness, 2),
    ("only for", Awareness, 2),
    ("the point of", Awareness, 2),
    ("about ai", Awareness, 1),
    ("is about", Awareness, 2),
    ("understand what", Awareness, 2),
    ("talk about ai", Awareness, 2),
    ("really write", Awareness, 2),
    ("the company approved", Awareness, 3),
    ("approved label", Awareness, 3),
    ("ai approved", Awareness, 2),
    // How do I get access?
    ("access", Access, 3),
    ("licen*", Access, 3),
    ("seat", Access, 3),
    ("seats", Access, 2),
    ("request", Access, 2),
    ("approv*", Access, 1),
    ("sign up", Access, 3),
    ("log in", Access, 3),
    ("login", Access, 3),
    ("sso", Access, 3),
    ("invite*", Access, 3),
    ("enable", Access, 3),
    ("turn on", Access, 3),
    ("activate", Access, 3),
    ("reactivate", Access, 3),
    ("deactivated", Access, 3),
    ("install", Access, 3),
    ("rolling out", Access, 3),
    ("rollout", Access, 3),
    ("rolled out", Access, 2),
    ("available", Access, 2),
    ("get it back", Access, 3),
    ("lost my", Access, 3),
    ("can t find", Access, 2),
    ("can t see", Access, 2),
    ("show up", Access, 3),
    ("waiting list", Access, 3),
    ("trial", Access, 3),
    ("admin", Access, 2),
    ("form", Access, 2),
    ("exception", Access, 3),
    ("budget code", Access, 3),
    ("transferred", Access, 2),
    ("vpn", Access, 3),
    ("blocked", Access, 3),
    ("join the", Access, 2),
    ("allowed to use", Access, 2),
    ("approved list", Access, 3),
    ("api key*", Access, 4),
    ("when will", Access, 2),
    ("when is", Access, 1),
    ("get a seat", Access, 2),
    ("pilot group", Access, 2),
    ("the ai pilot", Access, 2),
    ("can contractors", Access, 2),
    ("can interns", Access, 3),
    ("part time staff", Access, 2),
    ("for a vendor", Access, 2),
    ("can external", Access, 2),
    ("link to open", Access, 3),
    ("on my mac", Access, 2),
    ("add copilot to", Access, 3),
    ("contact to", Access, 2),
    ("who do i ask", Access, 3),
    ("who can approve", Access, 2),
    ("who approves", Access, 2),
    ("not licensed", Access, 2),
    ("pending", Access, 2),
    ("personal chatgpt", Access, 2),
    ("mobile app", Access, 2),
    ("planned", Access, 2),
    ("have a license", Access, 1),
    ("is claude available", Access, 2),
    ("get ", Access, 0),
    ("training before", Access, 2),
    ("the whole", Access, 0),
    ("for our team yet", Access, 2),
    ("process to get", Access, 3),
    ("add me", Access, 3),
    ("greyed out", Access, 3),
    ("grayed out", Access, 3),
    ("eligible", Access, 3),
    ("enabled", Access, 3),
    ("who handles", Access, 3),
    ("who manages", Access, 3),
    ("signs off", Access, 3),
    ("sign off", Access, 3),
    ("allow list", Access, 3),
    ("allowlist", Access, 3),
    ("entitled", Access, 3),
    ("set up with", Access, 3),
    ("get set up", Access, 3),
    ("where do i start", Access, 2),
    ("provisioned", Access, 3),
    ("pending", Access, 3),
    ("allowed", Access, 2),
    ("policy", Access, 2),
    ("permitted", Access, 3),
    ("banned", Access, 3),
    ("against policy", Access, 3),
    ("when do we get", Access, 3),
    ("shared workspace", Access, 3),
    ("workspace", Access, 2),
    // How do I do X with it?
    ("how do i", HowTo, 1),
    ("how can i", HowTo, 1),
    ("how do you", HowTo, 2),
    ("how to", HowTo, 1),
    ("tips", HowTo, 3),
    ("trick", HowTo, 3),
    ("best way", HowTo, 2),
    ("best prompt", HowTo, 3),
    ("good prompt", HowTo, 3),
    ("a prompt", HowTo, 2),
    ("prompt template", HowTo, 3),
    ("prompt for", HowTo, 2),
    ("prompts for", HowTo, 3),
    ("prompt do you", HowTo, 3),
    ("advice", HowTo, 3),
    ("good way", HowTo, 2),
    ("fastest way", HowTo, 2),
    ("right way", HowTo, 2),
    ("summar*", HowTo, 2),
    ("draft", HowTo, 2),
    ("write", HowTo, 1),
    ("rewrite", HowTo, 2),
    ("translat*", HowTo, 2),
    ("format", HowTo, 2),
    ("table", HowTo, 2),
    ("chart", HowTo, 2),
    ("formula*", HowTo, 2),
    ("pivot", HowTo, 2),
    ("bullet points", HowTo, 3),
    ("shorter", HowTo, 2),
    ("shorten", HowTo, 2),
    ("keep making", HowTo, 3),
    ("keeps", HowTo, 2),
    ("ignore", HowTo, 2),
    ("stop chatgpt", HowTo, 3),
    ("make copilot", HowTo, 2),
    ("make chatgpt", HowTo, 2),
    ("make the ai", HowTo, 2),
    ("make a presentation", HowTo, 3),
    ("get copilot to", HowTo, 3),
    ("get chatgpt to", HowTo, 3),
    ("get it to", HowTo, 3),
    ("get the ai to", HowTo, 3),
    ("ask copilot", HowTo, 2),
    ("ask chatgpt", HowTo, 2),
    ("use copilot", HowTo, 2),
    ("use chatgpt", HowTo, 2),
    ("use ai to", HowTo, 2),
    ("with copilot", HowTo, 1),
    ("with chatgpt", HowTo, 1),
    ("with ai", HowTo, 1),
    ("upload", HowTo, 2),
    ("attach", HowTo, 2),
    ("context", HowTo, 2),
    ("cite", HowTo, 2),
    ("tone", HowTo, 2),
    ("politely", HowTo, 2),
    ("less generic", HowTo, 3),
    ("unit tests", HowTo, 2),
    ("refactor", HowTo, 2),
    ("better answers", HowTo, 3),
    ("better code", HowTo, 3),
    ("explain this", HowTo, 3),
    ("compare two", HowTo, 3),
    ("action items", HowTo, 2),
    ("minutes", HowTo, 2),
    ("recap", HowTo, 2),
    ("our template", HowTo, 2),
    ("brand voice", HowTo, 3),
    ("inventing", HowTo, 2),
    ("find last", HowTo, 2),
    ("outliers", HowTo, 2),
    ("lint rules", HowTo, 2),
    ("test cases", HowTo, 2),
    ("checklists", HowTo, 2),
    ("glossary", HowTo, 2),
    ("categorize", HowTo, 2),
    ("clean up", HowTo, 2),
    ("data analysis", HowTo, 2),
    ("canvas", HowTo, 2),
    ("check my", HowTo, 2),
    ("check a contract", HowTo, 2),
    ("produce", HowTo, 1),
    ("plan a", HowTo, 2),
    ("prep", HowTo, 2),
    ("prepare for", HowTo, 2),
    ("schedule a meeting", HowTo, 2),
    ("pull data", HowTo, 2),
    ("share a prompt", HowTo, 3),
    ("release notes", HowTo, 2),
    ("turn a", HowTo, 1),
    ("turn my", HowTo, 2),
    ("turn this", HowTo, 2),
    ("into", HowTo, 1),
    ("three options", HowTo, 2),
    ("risk analysis", HowTo, 2),
    ("sops", HowTo, 2),
    ("memo", HowTo, 2),
    ("status updates", HowTo, 2),
    // How do I build Y nobody has tried?
    ("build", Frontier, 4),
    ("built", Frontier, 4),
    ("building", Frontier, 4),
    ("integrat*", Frontier, 4),
    ("api", Frontier, 3),
    ("sdk", Frontier, 4),
    ("pipeline", Frontier, 4),
    ("automat*", Frontier, 4),
    ("agent", Frontier, 2),
    ("agents", Frontier, 2),
    ("fine tune", Frontier, 4),
    ("deploy", Frontier, 4),
    ("webhook", Frontier, 4),
    ("plugin", Frontier, 4),
    ("connector", Frontier, 4),
    ("connect", Frontier, 3),
    ("connected", Frontier, 4),
    ("embed", Frontier, 4),
    ("embeddings", Frontier, 4),
    ("rag", Frontier, 4),
    ("retrieval", Frontier, 4),
    ("script", Frontier, 4),
    ("workflow", Frontier, 3),
    ("function calling", Frontier, 4),
    ("batch", Frontier, 3),
    ("host", Frontier, 3),
    ("architecture", Frontier, 4),
    ("harness", Frontier, 4),
    ("prototype", Frontier, 4),
    ("scheduled job", Frontier, 4),
    ("bot", Frontier, 3),
    ("app", Frontier, 2),
    ("power automate", Frontier, 4),
    ("copilot studio", Frontier, 3),
    ("gpt action", Frontier, 4),
    ("end to end", Frontier, 3),
    ("chain", Frontier, 3),
    ("multi agent", Frontier, 4),
    ("open weights", Frontier, 4),
    ("set up a", Frontier, 3),
    ("set up an", Frontier, 3),
    ("evaluate a", Frontier, 3),
    ("call the", Frontier, 3),
    ("expose", Frontier, 3),
    ("ci", Frontier, 2),
    ("in production", Frontier, 3),
    ("guardrails", Frontier, 3),
    ("engine", Frontier, 3),
    ("chatbot over", Frontier, 4),
    ("monitors", Frontier, 3),
    ("triages", Frontier, 3),
    ("routes", Frontier, 3),
    ("trigger", Frontier, 3),
    ("thousands", Frontier, 2),
    ("10k", Frontier, 2),
    ("whole repo", Frontier, 3),
    ("whole knowledge base", Frontier, 3),
    ("our erp", Frontier, 3),
    ("dashboard", Frontier, 3),
    ("create an automation", Frontier, 4),
    ("custom gpt that", Frontier, 3),
    ("custom gpt for", Frontier, 3),
];

/// Lower case, letters and digits only, words separated by one space, padded with spaces.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if !space {
        out.push(' ');
    }
    out
}

fn matches(norm: &str, cue: &str) -> bool {
    match cue.strip_suffix('*') {
        Some(stem) => norm.contains(&format!(" {stem}")),
        None => norm.contains(&format!(" {} ", cue.trim())),
    }
}

fn index(stage: QuestionStage) -> usize {
    match stage {
        Awareness => 0,
        Access => 1,
        HowTo => 2,
        Frontier => 3,
    }
}

/// Classifies a question by the rule table alone. With no cue at all, "how …" questions
/// are how-to and the rest awareness.
pub fn classify_rules(text: &str) -> Classified {
    let norm = normalize(text);
    let mut scores = [0i32; 4];
    let mut cues = Vec::new();
    for (cue, stage, w) in CUES {
        if *w > 0 && matches(&norm, cue) {
            scores[index(*stage)] += w;
            cues.push(format!("{stage:?}:{}", cue.trim()).to_lowercase());
        }
    }
    let order = [Frontier, Access, HowTo, Awareness];
    let best = order.iter().copied().max_by_key(|s| {
        (
            scores[index(*s)],
            -(order.iter().position(|o| o == s).unwrap_or(0) as i32),
        )
    });
    let stage = match best {
        Some(s) if scores[index(s)] > 0 => s,
        _ if norm.starts_with(" how ") => HowTo,
        _ => Awareness,
    };
    Classified {
        stage,
        cues,
        scores,
        confidence: 1.0,
        unsure: false,
    }
}

/// Openings of a question: "how …", "anyone …", "is there …".
const OPENERS: &[&str] = &[
    "how",
    "what",
    "whats",
    "what's",
    "where",
    "wheres",
    "where's",
    "how's",
    "who's",
    "who",
    "whos",
    "why",
    "when",
    "which",
    "can",
    "could",
    "would",
    "should",
    "is",
    "isn't",
    "are",
    "does",
    "doesn't",
    "do",
    "did",
    "has",
    "have",
    "will",
    "any",
    "anyone",
    "anybody",
    "someone",
    "somebody",
    "am",
    "cómo",
    "como",
    "alguien",
    "est-ce",
    "comment",
    "quelqu'un",
    "wie",
    "weiß",
    "kann",
    "gibt",
];

/// Phrases that ask for help anywhere in a post, with or without a question mark.
const ASKS: &[&str] = &[
    "anyone know",
    "anybody know",
    "anyone have",
    "anybody have",
    "anyone else",
    "does anyone",
    "has anyone",
    "anybody got",
    "anyone got",
    "need a hand",
    "need help",
    "need some help",
    "need some advice",
    "need advice",
    "looking for",
    "is there a way",
    "is there any way",
    "is it possible",
    "possible to",
    "stuck on",
    "stuck with",
    "struggling",
    "can't figure",
    "cant figure",
    "cannot figure",
    "can't get",
    "cant get",
    "can't seem",
    "can't find",
    "cant find",
    "having trouble",
    "having issues",
    "having an issue",
    "having a problem",
    "not working",
    "doesn't work",
    "does not work",
    "isn't working",
    "isn't showing",
    "not showing",
    "doesn't show",
    "won't",
    "wont let",
    "keeps giving",
    "keeps saying",
    "keep hitting",
    "help me",
    "please help",
    "pls help",
    "plz help",
    "help!",
    "halp",
    "any tips",
    "tips for",
    "tips on",
    "told to ask",
    "asked to ask",
    "contact your admin",
    "contact your administrator",
    "any ideas",
    "any idea",
    "any advice",
    "any pointers",
    "pointers on",
    "pointers for",
    "recommendations for",
    "suggestions for",
    "wondering if",
    "wondering how",
    "wondering whether",
    "i wonder",
    "curious if",
    "curious whether",
    "curious how",
    "trying to figure",
    "not sure how",
    "not sure whether",
    "not sure if",
    "no idea how",
    "can someone",
    "could someone",
    "can somebody",
    "could somebody",
    "can anyone",
    "would love some",
    "would love help",
    "would appreciate",
    "appreciate any",
    "eli5",
    "explain",
    "tell me",
    "point me",
    "show me",
    "walk me through",
    "where do i",
    "where can i",
    "who do i",
    "who can",
    "need to know",
    "want to know",
    "like to know",
    "best way to",
    "what's the best",
    "whats the best",
    "hoping someone",
    "getting an error",
    "getting error",
    "error when",
    "how to",
    "how do",
    "how can",
    "thoughts on",
    "seeking advice",
    "request for a",
    "am i allowed",
    "are we allowed",
    "allowed to use",
    "ok to use",
    "okay to use",
    "safe to use",
    "which one",
    "any workaround",
    "missing the",
    "disappeared",
    "greyed out",
    "grayed out",
    "lost access",
    "where do",
    "where start",
    "alguien sabe",
    "quelqu'un sait",
    "weiß jemand",
    "kann mir",
    "someone help",
    "no luck",
    "keeps ",
    "kicks me out",
    "unable to",
    "can't log",
    "cant log",
    "isn't available",
    "not available for",
    "can't access",
    "cannot access",
    "says it can't",
    "says i can't",
    "says i don't",
    "i'd love to",
    "i would love to",
    "we'd like",
    "we would like",
    "i'd like to",
    "would like to",
    "wish ",
    "is that a thing",
    "is that possible",
    "is that allowed",
    "is this allowed",
    "which should",
    "which is better",
    "no idea ",
    "requesting access",
    "request access",
    "requesting a ",
    "trying to understand",
    "trying to work out",
    "trying to get",
    "trying to connect",
    "trying to make",
    "need to ",
    "looking to ",
    "reaching out",
    "ideas for",
    "best prompt",
    "permission to",
    "any news",
    "confused about",
    "confused by",
    "any update on",
    "do interns",
    "do contractors",
    "opinions welcome",
    "opinions please",
    "thoughts welcome",
    "input welcome",
    "i need",
    "we need",
    "need the ",
    "i want to",
    "we want",
    "keen to",
    "dream:",
    "would be great if",
    "it would be great",
    "i want copilot",
    "i want chatgpt",
    "i want an",
    "i want a ",
    "need admin",
    "need rights",
    "need permission",
    "need access",
    "need a ",
    "need an ",
];

/// Words that close a matter: a fix or a report of one is not a request.
const CLOSES: &[&str] = &[
    "fixed",
    "is fixed",
    "resolved",
    "thanks for reporting",
    "works now",
    "working now",
    "fine now",
    "went live",
    "is live",
    "sorted now",
    "all good now",
];

/// Words of something going wrong; with the poster in the sentence ("for me", "my", "I"),
/// a post reads as a request for help ("the form throws a 403 for me").
const TROUBLE: &[&str] = &[
    "error",
    "errors",
    "401",
    "403",
    "404",
    "429",
    "500",
    "503",
    "throws",
    "fails",
    "failing",
    "failed",
    "broken",
    "crash",
    "crashes",
    "crashing",
    "bug",
    "only gives",
    "no matter what",
    "stopped working",
    "greyed",
    "grayed",
    "missing",
    "weird",
    "wrong",
    "can't see",
    "cant see",
    "can't open",
    "can't use",
    "cannot use",
    "can't access",
    "doesn't load",
    "won't load",
    "not loading",
    "timing out",
    "times out",
    "blank",
    "empty",
    "can't",
    "cant",
    "cannot",
    "doesn't",
    "won't",
    "does nothing",
    "stops",
    "is gone",
    "are gone",
    "time out",
    "nothing happened",
    "nothing happens",
    "not provisioned",
    "pending",
    "lost my",
    "expired",
    "locked out",
    "no access",
    "taken away",
    "removed my",
    "disappeared",
];

/// Phrases of announcements anywhere in a post: "now available", "here's how to…".
const ANNOUNCES: &[&str] = &[
    "now available",
    "is now live",
    "is live",
    "here's how",
    "here is how",
    "check out",
    "join us",
    "sign up here",
    "register here",
    "read more",
    "learn more at",
    "can join",
    "all welcome",
    "want to thank",
    "thank everyone",
    "shout out",
    "everyone welcome",
];

/// Question words that open a clause after the first ("…, who approves that", "Quick
/// one: does it…").
const CLAUSE_OPENERS: &[&str] = &[
    "how", "what", "what's", "whats", "who", "where", "why", "can", "could", "does", "should",
    "did", "has", "do",
];

/// Openings of posts that are not requests for help: announcements, welcomes, reminders,
/// tips, thanks, closings, wins, polls.
const NOT_ASKS: &[&str] = &[
    "welcome",
    "reminder",
    "friendly reminder",
    "psa",
    "heads up",
    "announcement",
    "update:",
    "new:",
    "new guide",
    "fyi",
    "pinned",
    "join us",
    "tip",
    "pro tip",
    "til",
    "today i learned",
    "did you know",
    "thanks",
    "thank you",
    "thx",
    "ty ",
    "tysm",
    "cheers",
    "solved",
    "resolved",
    "fixed",
    "nvm",
    "never mind",
    "nevermind",
    "figured it out",
    "+1",
    "following",
    "same",
    "lol",
    "haha",
    "congrats",
    "congratulations",
    "great session",
    "just saved",
    "just shipped",
    "shipped",
    "we just",
    "here's how",
    "here is how",
    "closing",
    "answered",
    "poll",
    "questions?",
    "got questions",
    "want to learn",
    "happy",
    "good morning",
    "hi everyone",
    "hello everyone",
    "hey everyone",
    "ok thanks",
    "okay thanks",
    "cc",
    "the recording",
    "shared a",
    "ran the numbers",
    "this channel is",
    "survey",
    "quick survey",
    "you need",
    "you'll need",
    "you can",
    "you have to",
    "you should",
    "answer:",
];

/// A sentence ending in "?" that asks nobody anything: "Questions?", "Want to learn more?",
/// "Who's coming to the workshop tomorrow?".
fn rhetorical(sentence: &str) -> bool {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let s = words.join(" ");
    [
        "got questions",
        "any questions",
        "questions",
        "want to",
        "ready to",
        "curious",
        "did you know",
        "ever wondered",
        "who's coming",
        "whos coming",
        "who is coming",
        "who's joining",
        "who is joining",
        "need help",
        "need a hand",
        "new to",
        "looking for help",
        "what a ",
        "how cool",
        "interested",
        "new here",
        "stuck",
        "confused",
        "want more",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

/// Whether a post in a help channel asks for help: a question ("?" or a question's
/// opening), or a request without a question mark ("need a hand getting…", "looking for a
/// way to…", "anyone know…", "stuck on…"); not an announcement, welcome, reminder, tip,
/// thanks, win, poll or bot post. Scored from cues, each named in the code; the
/// development set in `data/detection.tsv` measures it.
pub fn is_question(text: &str) -> bool {
    question_score(text) >= 2
}

fn question_score(text: &str) -> i32 {
    let chat = crate::chat_text::ChatText::of(text);
    let broadcast = chat.broadcast;
    let joined = chat.joined();
    let opening = joined.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '+');
    let norm = normalize(&joined);
    let padded = format!(" {joined} ");
    let mut score = 0;
    // Asks: a sentence ending in "?" that is not rhetorical.
    let mut sentences = Vec::new();
    let mut start = 0;
    for (i, c) in joined.char_indices() {
        if matches!(c, '?' | '.' | '!' | '\n') {
            sentences.push((&joined[start..i], c == '?'));
            start = i + c.len_utf8();
        }
    }
    let asking = sentences
        .iter()
        .any(|(s, q)| *q && !rhetorical(s.trim_start_matches(|c: char| !c.is_alphanumeric())));
    if asking {
        score += 3;
    }
    let first = opening
        .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
        .next()
        .unwrap_or("");
    // A question opening counts unless every question in the post is rhetorical.
    let rhetorical_only = joined.contains('?') && !asking;
    if OPENERS.contains(&first)
        && !rhetorical_only
        && !opening.starts_with("what a ")
        && !opening.starts_with("how cool")
    {
        score += 2;
    }
    if ASKS.iter().any(|p| joined.contains(p)) {
        score += 2;
    }
    let clause_asks = joined
        .split([',', ';', ':', '.', '!', '(', '—', '–'])
        .skip(1)
        .map(|c| c.split_whitespace().collect::<Vec<_>>())
        .any(|c| c.len() >= 3 && CLAUSE_OPENERS.contains(&c[0]));
    if clause_asks {
        score += 2;
    }
    let first_person = [
        " i ", " i'm ", " im ", " my ", " me ", " we ", " our ", " us ",
    ]
    .iter()
    .any(|w| padded.contains(w) || norm.contains(w));
    // Or the trouble is with a licence, seat or account ("license shows pending").
    let about_access = [" license", " licence", " seat", " account", " login"]
        .iter()
        .any(|w| padded.contains(w));
    if (first_person || about_access) && TROUBLE.iter().any(|t| padded.contains(&format!(" {t}"))) {
        score += 2;
    }
    if ANNOUNCES.iter().any(|p| joined.contains(p)) {
        score -= 3;
    }
    if !asking && CLOSES.iter().any(|p| padded.contains(&format!(" {p}"))) {
        score -= 3;
    }
    let starts = |p: &str| {
        opening.starts_with(p)
            && opening[p.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric() || p.ends_with(' '))
    };
    if NOT_ASKS.iter().any(|p| starts(p)) {
        score -= 4;
    }
    if broadcast || text.contains(":robot_face:") || opening.starts_with('[') {
        score -= 3;
    }
    // A win shared in the help channel is not a request.
    if !asking && crate::wins::time_saved(text).is_some() {
        score -= 3;
    }
    if norm.trim().is_empty() {
        score = 0;
    }
    score
}

/// Replies that carry no answer: thanks, agreement, "+1", "following", "loop me in", a bump.
const ACKNOWLEDGEMENTS: &[&str] = &[
    "thanks",
    "thank",
    "you",
    "thx",
    "ty",
    "tysm",
    "cheers",
    "merci",
    "gracias",
    "danke",
    "appreciate",
    "appreciated",
    "it",
    "much",
    "so",
    "very",
    "a",
    "lot",
    "many",
    "plus",
    "1",
    "following",
    "follow",
    "subscribing",
    "subscribed",
    "watching",
    "interested",
    "same",
    "here",
    "too",
    "me",
    "question",
    "q",
    "loop",
    "in",
    "keep",
    "posted",
    "cc",
    "bump",
    "bumping",
    "any",
    "update",
    "updates",
    "on",
    "this",
    "lol",
    "haha",
    "nice",
    "cool",
    "great",
    "ok",
    "okay",
    "k",
    "yes",
    "yep",
    "yeah",
    "no",
    "worries",
    "np",
    "good",
    "awesome",
    "perfect",
    "got",
    "that",
    "sounds",
    "will",
    "try",
    "pls",
    "please",
    "also",
    "wondering",
    "curious",
    "+1",
    "beaucoup",
    "muchas",
    "vielen",
    "dank",
    "for",
    "asking",
    "the",
    "same",
    "have",
    "i",
    "we",
    "to",
    "know",
    "want",
    "would",
    "like",
];

/// Whether a reply in a question's thread answers it: it carries content (a link, code, or
/// words beyond thanks, agreement, "+1", "following", "loop me in" or a bump). Mentions
/// and emoji are not content.
pub fn is_answer(text: &str) -> bool {
    if text.contains("http://") || text.contains("https://") || text.contains('`') {
        return true;
    }
    // Mentions (`<@U…>`, `<#C…>`, `<!here>`) and emoji (`:tada:`) carry no answer.
    let words: Vec<String> = crate::chat_text::ChatText::of(text)
        .words
        .into_iter()
        .map(|w| {
            if w == "+1" {
                w
            } else {
                w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned()
            }
        })
        .filter(|w| !w.is_empty())
        .collect();
    !words.is_empty() && !words.iter().all(|w| ACKNOWLEDGEMENTS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgements_are_not_answers() {
        for ack in [
            "thanks!",
            "Thank you so much <@U02HELPER> :pray:",
            "+1",
            "following",
            "loop me in",
            "same question here",
            ":eyes:",
            "bump",
            "any update on this?",
            "ty",
            "merci beaucoup",
            "following :popcorn:",
            "cc <@U0123>",
            "me too",
            "subscribing",
            "ok thanks will try",
        ] {
            assert!(!is_answer(ack), "{ack:?} is not an answer");
        }
        for answer in [
            "Ask IT for a licence, it takes a day.",
            "you need the M365 E3 add-on, request it through the portal",
            "https://intranet.example.com/it/request",
            "try `=XLOOKUP(A2, Sheet2!A:A, Sheet2!B:B)`",
            "restart outlook, the icon shows up after",
            "no, only public data goes into the free one",
            "thanks! also: you can pin the GPT in the sidebar",
        ] {
            assert!(is_answer(answer), "{answer:?} answers");
        }
    }

    #[test]
    fn explains_itself() {
        let c = classify_rules("How do I get access to Copilot?");
        assert_eq!(c.stage, Access);
        assert!(c.cues.iter().any(|x| x == "access:access"), "{:?}", c.cues);
        let c = classify("How do I get access to Copilot?");
        assert_eq!(c.stage, Access);
        assert!(c.scores[1] > 50, "{:?}", c.scores);
        assert!(c.cues.iter().any(|x| x.contains("access")), "{:?}", c.cues);
        assert!(
            parse_labelled("access\tq?\nnope\tq").is_err_and(|e| e.to_string().contains("line 2"))
        );
        assert!(development_set().len() >= 620);
        assert_eq!(
            classify_rules("Can we build a Teams bot over our wiki?").stage,
            Frontier
        );
        assert_eq!(
            classify("Can we build a Teams bot over our wiki?").stage,
            Frontier
        );
        assert_eq!(classify_rules("hello").stage, Awareness);
        assert_eq!(classify_rules("how").stage, HowTo);
        assert!(is_question("anyone know how to export?"));
        assert!(is_question("Is it down"));
        assert!(!is_question("Shipped the new report today"));
    }
}
