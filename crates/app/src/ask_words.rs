//! "Can I?" in plain words: reading a question ("can I use chat gpt to summarise a customer
//! contract") into the tool, purpose and data class the policies decide on, and deciding
//! only when the decision does not hang on what the words leave open.
//!
//! Hand-written tables, each named below: what people call the tools (aliases, close
//! spellings, "free chatgpt" for a consumer chatbot, "otter" for a meeting recorder),
//! which words mean which of the catalog's purposes, and which words point to which data
//! class (the strictest wins). A learned model would need thousands of labelled questions
//! per install, and every reading must be explainable to the person told "no"; the tables
//! are measured on a development set (`crates/insights/data/can_i.tsv`) and on the frozen
//! held-out set.

use flywheel_domain::program::{Tool, DATA_CLASSES};
use flywheel_policy::Question;

/// What the words of a question name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AskReading {
    pub tool: Option<String>,
    pub purpose: Option<String>,
    pub data_class: Option<String>,
    /// Tools the words could mean, when more than one (`Copilot`).
    pub tool_candidates: Vec<String>,
    /// The data class rests only on an ordinary work word ("an email", "my notes"), which
    /// says nothing of what is in it: the decision must hold for the stricter confidential
    /// and personal classes too, or the answer asks.
    pub data_class_weak: bool,
}

impl AskReading {
    /// What the words leave open, as the question to ask back ("which tool", "what for",
    /// "with which data"): the one list every front door shows.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.tool.is_none() {
            out.push("which tool");
        }
        if self.purpose.is_none() {
            out.push("what for");
        }
        if self.data_class.is_none() || self.data_class_weak {
            out.push("with which data");
        }
        out
    }

    /// The tools to offer: those the words could mean, else every tool.
    pub fn tool_choices<'a>(&'a self, tools: &'a [String]) -> &'a [String] {
        if self.tool_candidates.is_empty() {
            tools
        } else {
            &self.tool_candidates
        }
    }
}

/// One tool as the reader sees it.
#[derive(Debug, Clone, Default)]
pub struct CatalogTool {
    pub name: String,
    pub category: String,
}

/// The catalog as the reader sees it: tools (with their categories) and every purpose.
#[derive(Debug, Clone, Default)]
pub struct AskCatalog {
    pub tools: Vec<CatalogTool>,
    pub purposes: Vec<String>,
}

impl AskCatalog {
    /// From the catalog's tools.
    pub fn of(tools: &[Tool]) -> AskCatalog {
        let mut purposes: Vec<String> = tools.iter().flat_map(|t| t.purposes.clone()).collect();
        purposes.sort();
        purposes.dedup();
        AskCatalog {
            tools: tools
                .iter()
                .map(|t| CatalogTool {
                    name: t.name.clone(),
                    category: t.category.clone(),
                })
                .collect(),
            purposes,
        }
    }

    /// Tools known by name only (no categories, no purposes).
    pub fn names(names: &[String]) -> AskCatalog {
        AskCatalog {
            tools: names
                .iter()
                .map(|n| CatalogTool {
                    name: n.clone(),
                    category: String::new(),
                })
                .collect(),
            purposes: Vec::new(),
        }
    }

    /// The tools' names.
    pub fn tool_names(&self) -> Vec<String> {
        self.tools.iter().map(|t| t.name.clone()).collect()
    }
}

/// Lower-case words, padded with spaces (" can i use chat gpt "), so phrases match whole
/// words with `contains(" phrase ")`.
fn padded_words(text: &str) -> String {
    let mut out = String::from(" ");
    for w in text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push_str(w);
        out.push(' ');
    }
    out
}

fn has_phrase(padded: &str, phrase: &str) -> bool {
    if let Some(stem) = phrase.strip_suffix('*') {
        padded.contains(&format!(" {stem}"))
    } else {
        padded.contains(&format!(" {phrase} "))
    }
}

/// Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions),
/// for close spellings of tool names ("chatgtp", "copliot"). Written here: it is twenty
/// lines on two short words, and `strsim` would be a dependency for one function.
fn spelling_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Words of tool names that name nothing in particular.
const COMMON: &[&str] = &[
    "ai",
    "microsoft",
    "365",
    "public",
    "chatbots",
    "enterprise",
    "the",
    "for",
    "and",
    "tools",
    "meeting",
    "recorders",
    "business",
    "pro",
    "team",
    "teams",
];

/// Words around a chatbot's name that make it the consumer one: "free chatgpt", "my
/// personal account".
const CONSUMER: &[&str] = &[
    "free",
    "personal",
    "plus",
    "consumer",
    "my own",
    "private",
    "home",
    "personal account",
    "public version",
    "free version",
    "free tier",
];

/// Names of consumer chatbots and meeting recorders, and the catalog category they belong
/// to when the catalog does not name them.
const BY_CATEGORY: &[(&str, &str)] = &[
    ("gemini", "consumer-chatbot"),
    ("bard", "consumer-chatbot"),
    ("claude", "consumer-chatbot"),
    ("perplexity", "consumer-chatbot"),
    ("deepseek", "consumer-chatbot"),
    ("mistral", "consumer-chatbot"),
    ("le chat", "consumer-chatbot"),
    ("grok", "consumer-chatbot"),
    ("meta ai", "consumer-chatbot"),
    ("poe", "consumer-chatbot"),
    ("otter", "meeting-recorder"),
    ("otter ai", "meeting-recorder"),
    ("fireflies", "meeting-recorder"),
    ("read ai", "meeting-recorder"),
    ("fathom", "meeting-recorder"),
    ("tldv", "meeting-recorder"),
    ("tl dv", "meeting-recorder"),
    ("note taker", "meeting-recorder"),
    ("notetaker", "meeting-recorder"),
    ("meeting recorder", "meeting-recorder"),
    ("meeting bot", "meeting-recorder"),
    ("recorder", "meeting-recorder"),
];

/// Other names of tools: the word people use, and a word of the catalog's name it means.
const ALIASES: &[(&str, &str)] = &[
    ("chat gpt", "chatgpt"),
    ("gpt", "chatgpt"),
    ("openai", "chatgpt"),
    ("m365 copilot", "365"),
    ("microsoft copilot", "365"),
    ("office copilot", "365"),
    ("copilot 365", "365"),
    ("gh copilot", "github"),
];

/// Words that place "Copilot" in Office or in code.
const OFFICE: &[&str] = &[
    "word",
    "outlook",
    "teams",
    "excel",
    "powerpoint",
    "onenote",
    "loop",
    "email",
    "emails",
    "inbox",
    "meeting",
    "meetings",
    "deck",
    "slides",
    "spreadsheet",
    "document",
    "m365",
    "office",
    "sharepoint",
    "onedrive",
    "365",
    "letter",
    "memo",
    "report",
    "presentation",
    "docx",
    "xlsx",
    "pptx",
    "calendar",
];
const CODE: &[&str] = &[
    "code",
    "coding",
    "repo",
    "repository",
    "pull request",
    "pr",
    "ide",
    "vs code",
    "vscode",
    "jetbrains",
    "unit tests",
    "unit test",
    "refactor",
    "debug",
    "github",
    "codebase",
    "programming",
    "python",
    "java",
    "javascript",
    "typescript",
];

/// Reads which tool the words name: in full; else by a consumer modifier on a chatbot;
/// else by a distinctive word of a tool's name, an alias or a close spelling (with Office
/// or code words to tell one Copilot from another); else by a chatbot or recorder the
/// catalog files under a category.
fn read_tool(padded: &str, catalog: &AskCatalog) -> (Option<String>, Vec<String>) {
    let mut full: Vec<&CatalogTool> = catalog
        .tools
        .iter()
        .filter(|t| !t.name.is_empty() && padded.contains(&padded_words(&t.name)))
        .collect();
    full.sort_by_key(|t| std::cmp::Reverse(t.name.len()));
    if let Some(t) = full.first() {
        return (Some(t.name.clone()), Vec::new());
    }
    let in_category = |c: &str| -> Vec<String> {
        catalog
            .tools
            .iter()
            .filter(|t| t.category == c)
            .map(|t| t.name.clone())
            .collect()
    };
    let words: Vec<&str> = padded.split_whitespace().collect();
    let chatbot_named = ["chatgpt", "chat gpt", "gpt"]
        .iter()
        .chain(
            BY_CATEGORY
                .iter()
                .filter(|(_, c)| *c == "consumer-chatbot")
                .map(|(n, _)| n),
        )
        .any(|n| has_phrase(padded, n));
    if chatbot_named && CONSUMER.iter().any(|m| has_phrase(padded, m)) {
        let c = in_category("consumer-chatbot");
        if c.len() == 1 {
            return (c.first().cloned(), Vec::new());
        }
    }
    // Distinctive words of the names, as written, by alias, or spelled closely.
    let mut candidates: Vec<String> = Vec::new();
    for t in &catalog.tools {
        let name_words: Vec<String> = padded_words(&t.name)
            .split_whitespace()
            .filter(|w| !COMMON.contains(w) && w.len() > 2)
            .map(str::to_owned)
            .collect();
        let named = name_words.iter().any(|nw| {
            words.iter().any(|w| {
                w == nw
                    || (nw.len() >= 5 && w.len() >= 5 && {
                        let limit = if nw.len() >= 8 { 2 } else { 1 };
                        spelling_distance(w, nw) <= limit
                    })
            }) || ALIASES
                .iter()
                .any(|(alias, word)| word == nw && has_phrase(padded, alias))
        });
        let aliased = ALIASES.iter().any(|(alias, word)| {
            has_phrase(padded, alias) && padded_words(&t.name).contains(&format!(" {word} "))
        });
        if named || aliased {
            candidates.push(t.name.clone());
        }
    }
    let aliased: Vec<String> = candidates
        .iter()
        .filter(|c| {
            ALIASES.iter().any(|(alias, word)| {
                has_phrase(padded, alias) && padded_words(c).contains(&format!(" {word} "))
            })
        })
        .cloned()
        .collect();
    if candidates.len() > 1 && aliased.len() == 1 {
        candidates = aliased;
    }
    if candidates.len() > 1 {
        // "Copilot" with Office words is the Office one; with code words, the coding one.
        let narrowed: Vec<String> = candidates
            .iter()
            .filter(|c| {
                let lc = c.to_lowercase();
                if OFFICE.iter().any(|w| has_phrase(padded, w))
                    && !CODE.iter().any(|w| has_phrase(padded, w))
                {
                    lc.contains("365") || lc.contains("microsoft") || lc.contains("office")
                } else if CODE.iter().any(|w| has_phrase(padded, w))
                    && !OFFICE.iter().any(|w| has_phrase(padded, w))
                {
                    lc.contains("github") || lc.contains("code")
                } else {
                    false
                }
            })
            .cloned()
            .collect();
        if narrowed.len() == 1 {
            candidates = narrowed;
        }
    }
    match candidates.len() {
        1 => return (candidates.pop(), Vec::new()),
        n if n > 1 => return (None, candidates),
        _ => {}
    }
    for (name, category) in BY_CATEGORY {
        if has_phrase(padded, name) {
            let c = in_category(category);
            return match c.len() {
                1 => (c.first().cloned(), Vec::new()),
                _ => (None, c),
            };
        }
    }
    (None, Vec::new())
}

/// Words for each of the catalog's usual purposes, the most specific purpose first. A
/// trailing `*` matches any ending ("summar*": summarise, summarize, summary).
const PURPOSES: &[(&str, &[&str])] = &[
    (
        "meeting notes",
        &[
            "meeting notes",
            "take notes",
            "notes in",
            "minutes",
            "transcrib*",
            "transcript*",
            "record our",
            "record the",
            "record a",
            "recording",
            "note taker",
            "notetaker",
            "recap the meeting",
            "recap a meeting",
            "meeting recap",
            "summarise the meeting",
            "summarize the meeting",
            "on a customer call",
            "on a call",
            "call notes",
        ],
    ),
    (
        "code review",
        &[
            "code review",
            "review a pull request",
            "review my code",
            "review our code",
            "review the code",
            "pull request",
            "pr review",
            "review prs",
            "reviewing prs",
            "reviewing pull requests",
            "prs",
        ],
    ),
    (
        "documentation",
        &[
            "documentation",
            "docs",
            "readme",
            "docstring*",
            "document the code",
            "document our api",
        ],
    ),
    (
        "translation",
        &[
            "translat*",
            "traduc*",
            "tradui*",
            "übersetz*",
            "into spanish",
            "into french",
            "into german",
            "localis*",
            "localiz*",
        ],
    ),
    (
        "summarising",
        &[
            "summar*",
            "sum up",
            "sum it up",
            "recap*",
            "tl dr",
            "tldr",
            "condense",
            "shorten",
            "key points",
            "gist",
            "boil down",
            "digest",
            "resumir",
            "résumer",
            "zusammenfass*",
        ],
    ),
    (
        "coding",
        &[
            "code",
            "coding",
            "script*",
            "debug*",
            "refactor*",
            "unit test*",
            "function*",
            "sql",
            "python",
            "javascript",
            "typescript",
            "regex",
            "program*",
            "migration*",
            "schema*",
            "quer*",
            "macro*",
            "vba",
            "bug*",
            "backend",
            "frontend",
            "repo",
            "repos",
            "codebase",
        ],
    ),
    (
        "analysis",
        &[
            "analy*",
            "crunch",
            "insights",
            "trends",
            "pivot",
            "data analysis",
            "compare",
            "forecast*",
            "look at",
            "go through",
            "dig into",
            "make sense of",
            "numbers",
            "reconcil*",
            "chart*",
        ],
    ),
    (
        "research",
        &[
            "research*",
            "explain*",
            "look up",
            "find information",
            "find out",
            "investigat*",
            "background on",
            "competitor*",
            "market scan",
            "public information",
        ],
    ),
    (
        "drafting",
        &[
            "draft*",
            "put together",
            "sow",
            "statement of work",
            "compose",
            "prepare",
            "brainstorm*",
            "write",
            "writing",
            "wrote",
            "compose",
            "rewrit*",
            "reword*",
            "reply",
            "replies",
            "respond",
            "response",
            "letter",
            "post",
            "proposal",
            "email",
            "emails",
            "feedback",
            "redact*",
            "entwerf*",
            "entwurf",
            "rédig*",
            "job ad",
            "announcement",
            "brainstorm*",
            "polish",
            "proofread*",
            "edit",
        ],
    ),
];

fn read_purpose(padded: &str, purposes: &[String]) -> Option<String> {
    // A catalog purpose named in its own words wins ("meeting notes", "code review").
    let named = purposes
        .iter()
        .filter(|p| has_phrase(padded, padded_words(p).trim()))
        .max_by_key(|p| p.len());
    if let Some(p) = named {
        return Some(p.clone());
    }
    PURPOSES
        .iter()
        .filter(|(p, _)| purposes.iter().any(|q| q == p))
        .find(|(_, cues)| cues.iter().any(|c| has_phrase(padded, c)))
        .map(|(p, _)| (*p).to_owned())
}

/// Words for each data class, the strictest class first; the strictest class any cue
/// points to wins.
const CLASSES: &[(&str, &[&str])] = &[
    (
        "restricted",
        &[
            "restricted",
            "password*",
            "credential*",
            "api key*",
            "secret*",
            "health",
            "medical",
            "patient*",
            "diagnos*",
            "credit card*",
            "card number*",
            "payment card*",
            "insider",
            "inside information",
            "earnings release",
            "unreleased results",
            "before the results",
            "results are public",
            "results before",
            "before they are public",
            "before it is public",
            "before they re public",
            "quarterly results",
            "earnings",
            "social security",
            "ssn",
            "bank account*",
            "bank details",
            "tax return*",
            "medical leave",
            "sick note*",
            "sick leave",
            "disabilit*",
            "prescription*",
            "insurance claim*",
            "biometric*",
            "genetic",
            "passport*",
            "private key*",
            "ssh key*",
            "access token*",
            "encryption key*",
            "merger",
            "acquisition",
            "layoff*",
            "share price",
            "trade secret*",
            "background check*",
            "credit score*",
            "security vulnerabilit*",
            "union membership",
            "login details",
            "mnpi",
            "material non public",
            "health data",
            "mental health",
            "hospital*",
            "therap*",
            "drug test*",
            "vaccination*",
            "pin",
            "pins",
        ],
    ),
    (
        "personal",
        &[
            "personal data",
            "pii",
            "hr",
            "employee data",
            "employee record*",
            "staff data",
            "payroll",
            "salary",
            "salaries",
            "cv",
            "cvs",
            "resume",
            "resumes",
            "candidate*",
            "applicant*",
            "performance review*",
            "appraisal*",
            "job offer",
            "offer letter",
            "home address*",
            "phone number*",
            "date of birth",
            "personal information",
            "disciplinary",
            "org chart",
            "customer list*",
            "email address*",
            "addresses",
            "personnel",
            "grievance*",
            "exit interview*",
            "interview notes",
            "survey responses",
            "student record*",
            "visa",
            "names and",
            "employee survey*",
            "timesheet*",
            "sickness",
            "headcount",
            "reorg",
            "redundanc*",
            "compensation",
            "bonus*",
            "promotion*",
            "pay",
            "hiring",
            "recruit*",
            "interview*",
            "1 1",
            "one on one*",
            "reference letter*",
            "contact details",
            "personal details",
            "user data",
            "colleague*",
            "direct reports",
            "my reports",
            "absence*",
            "leave request*",
            "names of",
            "people s names",
            "customer names",
            "employee names",
            "birthday*",
            "people s",
            "employees",
            "employee",
            "360",
            "peer review*",
            "annual review*",
            "year end review*",
            "mid year review*",
        ],
    ),
    (
        "confidential",
        &[
            "confidential",
            "contract*",
            "customer*",
            "client*",
            "pricing",
            "price list",
            "supplier*",
            "vendor*",
            "sales pipeline",
            "pipeline",
            "deal",
            "deals",
            "financials",
            "source code",
            "codebase",
            "repo",
            "repository",
            "repos",
            "database*",
            "crm",
            "sales data",
            "our code",
            "our api",
            "service",
            "proprietary",
            "nda",
            "unreleased",
            "not public",
            "isn t public",
            "not yet public",
            "not published",
            "vertrag*",
            "kunde*",
            "contrato*",
            "cliente*",
            "contrat*",
            "support ticket*",
            "litigation",
            "lawsuit*",
            "privileged",
            "legal case*",
            "board minutes",
            "board pack",
            "revenue",
            "forecast*",
            "budget*",
            "roadmap",
            "strategy",
            "patent*",
            "unpublished",
            "incident report*",
            "logs",
            "tender*",
            "bid",
            "rfp",
            "quote",
            "quotes",
            "invoice*",
            "sales figures",
            "margin*",
            "competitive",
            "prototype*",
            "product plans",
            "launch plan*",
            "upcoming",
            "churn",
            "kpi*",
            "metrics",
            "new product*",
            "next version",
            "next release",
            "launch",
        ],
    ),
    (
        "internal",
        &[
            "internal", "interno", "interna", "interne", "wiki", "handbook", "intranet",
        ],
    ),
    (
        "public",
        &[
            "public",
            "published",
            "news article",
            "news articles",
            "open source",
            "wikipedia",
            "publicly",
            "public webinar",
            "public website",
            "our website",
            "public web",
            "web page*",
            "webpage*",
        ],
    ),
];

/// Ordinary work words: they make a question internal (below every stricter cue, above a
/// public one), but say nothing of what is in the email or the notes.
const WEAK: &[&str] = &[
    "notes",
    "meeting",
    "meetings",
    "plan",
    "plans",
    "planning",
    "project",
    "email",
    "emails",
    "report",
    "reports",
    "deck",
    "slides",
    "presentation",
    "document",
    "documents",
    "doc",
    "docs",
    "spreadsheet",
    "agenda",
    "memo",
    "minutes",
    "my team",
    "our team",
    "team s",
];

/// The data class, and whether it rests only on [`WEAK`] words.
fn read_class(padded: &str) -> (Option<String>, bool) {
    let mut text = padded.to_owned();
    // "Open source" code is public, whatever "code" or "project" suggests.
    let open_source = has_phrase(&text, "open source");
    if open_source {
        for w in ["code", "library", "s code"] {
            text = text.replace(&format!(" {w} "), " ");
        }
    }
    let any = |cues: &[&str]| cues.iter().any(|c| has_phrase(&text, c));
    for (class, cues) in CLASSES {
        // An ordinary work word ranks above a public cue, as internal but weak.
        if *class == "public" && any(WEAK) {
            break;
        }
        if any(cues) && !(open_source && *class == "confidential") {
            return (Some((*class).to_owned()), false);
        }
    }
    match (any(WEAK), open_source) {
        (true, true) => (Some("public".to_owned()), false),
        (true, false) => (Some("internal".to_owned()), true),
        (false, _) => (None, false),
    }
}

/// Reads a question's words against the catalog's tools and purposes.
pub fn read_question(text: &str, catalog: &AskCatalog) -> AskReading {
    let padded = padded_words(text);
    let (tool, tool_candidates) = read_tool(&padded, catalog);
    // The tool's own name says nothing of the data ("Public AI chatbots").
    let mut rest = padded.clone();
    if let Some(t) = &tool {
        rest = rest.replace(padded_words(t).trim_end(), " ");
    }
    let (data_class, data_class_weak) = read_class(&rest);
    let purpose = read_purpose(&rest, &catalog.purposes);
    AskReading {
        tool,
        purpose,
        data_class,
        tool_candidates,
        data_class_weak,
    }
}

/// A question read and decided, or one to ask back.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// Every reading the words allow gets the same decision: this question stands for them.
    Decided { question: Question, allowed: bool },
    /// The decision hangs on what the words leave open.
    Ask,
}

/// Decides a reading: the known parts as read, each open part over every choice (the
/// candidate tools or every tool, every purpose, every data class). When all the choices
/// agree, that is the answer (a "No" for patient data in any tool, a "Yes" for what every
/// tool allows); when they differ, the answer is to ask.
pub fn resolve(
    reading: &AskReading,
    catalog: &AskCatalog,
    decide: impl Fn(&Question) -> bool,
) -> Resolved {
    let one = |x: &Option<String>| x.iter().cloned().collect::<Vec<_>>();
    let tools = match (&reading.tool, reading.tool_candidates.is_empty()) {
        (Some(_), _) => one(&reading.tool),
        (None, false) => reading.tool_candidates.clone(),
        (None, true) => catalog.tool_names(),
    };
    let purposes = match &reading.purpose {
        Some(_) => one(&reading.purpose),
        None => catalog.purposes.clone(),
    };
    let classes = match &reading.data_class {
        Some(_) if reading.data_class_weak => {
            vec![
                reading.data_class.clone().unwrap_or_default(),
                "confidential".into(),
                "personal".into(),
            ]
        }
        Some(_) => one(&reading.data_class),
        None => DATA_CLASSES.iter().map(|(c, _)| (*c).to_owned()).collect(),
    };
    let mut first: Option<(Question, bool)> = None;
    for tool in &tools {
        for purpose in &purposes {
            for data_class in &classes {
                let q = Question {
                    tool: tool.clone(),
                    purpose: purpose.clone(),
                    data_class: data_class.clone(),
                };
                let allowed = decide(&q);
                match &first {
                    None => first = Some((q, allowed)),
                    Some((_, a)) if *a != allowed => return Resolved::Ask,
                    Some(_) => {}
                }
            }
        }
    }
    match first {
        Some((question, allowed)) => Resolved::Decided { question, allowed },
        None => Resolved::Ask,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_spellings_are_one_edit_away() {
        assert_eq!(spelling_distance("chatgtp", "chatgpt"), 1);
        assert_eq!(spelling_distance("copliot", "copilot"), 1);
        assert_eq!(spelling_distance("github", "gitlab"), 2);
        assert_eq!(spelling_distance("ab", "ba"), 1);
        assert_eq!(spelling_distance("", "abc"), 3);
    }
}
