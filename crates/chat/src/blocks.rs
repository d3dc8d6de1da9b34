//! Block Kit, typed: the blocks and elements Flywheel sends, built so that they always fit
//! Slack's documented limits (texts are cut with "…" at their limit), and [`check`], which
//! verifies a finished message, modal or Home tab against those limits (the tests run it on
//! everything Flywheel sends).
//!
//! Written here rather than taken from `slack-morphism`: its Block Kit models are complete
//! but do not enforce the limits (Slack answers `invalid_blocks` at run time), and the crate
//! brings its own HTTP stack beside the reqwest client Flywheel already has; Flywheel sends
//! a handful of block types.

use serde::Serialize;
use serde_json::Value;

/// Slack's documented limits (api.slack.com/reference/block-kit).
pub mod limits {
    /// Blocks in a message.
    pub const MESSAGE_BLOCKS: usize = 50;
    /// Blocks in a modal or a Home tab.
    pub const VIEW_BLOCKS: usize = 100;
    /// A section's text, an input's label.
    pub const SECTION_TEXT: usize = 3000;
    /// A section's field.
    pub const FIELD_TEXT: usize = 2000;
    /// Fields in a section.
    pub const FIELDS: usize = 10;
    /// A header's text.
    pub const HEADER_TEXT: usize = 150;
    /// A button's text, an option's text.
    pub const BUTTON_TEXT: usize = 75;
    /// A button's value.
    pub const BUTTON_VALUE: usize = 2000;
    /// An option's value.
    pub const OPTION_VALUE: usize = 150;
    /// Options in a select.
    pub const OPTIONS: usize = 100;
    /// Elements in an actions block.
    pub const ACTIONS: usize = 25;
    /// Elements in a context block.
    pub const CONTEXT: usize = 10;
    /// An `action_id` or a `block_id`.
    pub const ID: usize = 255;
    /// A modal's title, submit and close texts.
    pub const VIEW_TITLE: usize = 24;
    /// A view's `private_metadata`.
    pub const METADATA: usize = 3000;
    /// A message's fallback `text`.
    pub const MESSAGE_TEXT: usize = 40_000;
}

/// `s` cut to at most `max` characters, ending with "…" when cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A text object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Text {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
}

impl Text {
    pub fn plain(s: &str, max: usize) -> Text {
        Text {
            kind: "plain_text",
            text: cut(s, max),
        }
    }

    pub fn mrkdwn(s: &str, max: usize) -> Text {
        Text {
            kind: "mrkdwn",
            text: cut(s, max),
        }
    }
}

/// Escapes text for `mrkdwn` (Slack's three control characters).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An option of a select.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Opt {
    pub text: Text,
    pub value: String,
}

impl Opt {
    pub fn new(text: &str, value: &str) -> Opt {
        Opt {
            text: Text::plain(text, limits::BUTTON_TEXT),
            value: cut(value, limits::OPTION_VALUE),
        }
    }
}

/// An interactive element.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Element {
    Button {
        text: Text,
        action_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        style: Option<&'static str>,
    },
    StaticSelect {
        action_id: String,
        placeholder: Text,
        options: Vec<Opt>,
        #[serde(skip_serializing_if = "Option::is_none")]
        initial_option: Option<Opt>,
    },
    PlainTextInput {
        action_id: String,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        multiline: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        initial_value: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        max_length: Option<usize>,
    },
    NumberInput {
        action_id: String,
        is_decimal_allowed: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        initial_value: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        min_value: Option<String>,
    },
}

impl Element {
    pub fn button(text: &str, action_id: &str, value: &str) -> Element {
        Element::Button {
            text: Text::plain(text, limits::BUTTON_TEXT),
            action_id: cut(action_id, limits::ID),
            value: Some(cut(value, limits::BUTTON_VALUE)),
            url: None,
            style: None,
        }
    }

    pub fn link(text: &str, action_id: &str, url: &str) -> Element {
        Element::Button {
            text: Text::plain(text, limits::BUTTON_TEXT),
            action_id: cut(action_id, limits::ID),
            value: None,
            url: Some(url.to_owned()),
            style: None,
        }
    }

    /// The same button, styled `primary` or `danger`.
    pub fn styled(self, s: &'static str) -> Element {
        match self {
            Element::Button {
                text,
                action_id,
                value,
                url,
                ..
            } => Element::Button {
                text,
                action_id,
                value,
                url,
                style: Some(s),
            },
            other => other,
        }
    }

    /// A select of at most [`limits::OPTIONS`] options (the first ones).
    pub fn select(
        action_id: &str,
        placeholder: &str,
        options: Vec<Opt>,
        initial: Option<&str>,
    ) -> Element {
        let options: Vec<Opt> = options.into_iter().take(limits::OPTIONS).collect();
        let initial_option = initial.and_then(|v| options.iter().find(|o| o.value == v).cloned());
        Element::StaticSelect {
            action_id: cut(action_id, limits::ID),
            placeholder: Text::plain(placeholder, limits::BUTTON_TEXT),
            options,
            initial_option,
        }
    }
}

/// A block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Header {
        text: Text,
    },
    Section {
        #[serde(skip_serializing_if = "Option::is_none")]
        block_id: Option<String>,
        text: Text,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Text>,
        #[serde(skip_serializing_if = "Option::is_none")]
        accessory: Option<Element>,
    },
    Actions {
        block_id: String,
        elements: Vec<Element>,
    },
    Context {
        elements: Vec<Text>,
    },
    Divider,
    Input {
        block_id: String,
        label: Text,
        element: Element,
        optional: bool,
    },
}

impl Block {
    pub fn header(s: &str) -> Block {
        Block::Header {
            text: Text::plain(s, limits::HEADER_TEXT),
        }
    }

    /// A section of `mrkdwn` text.
    pub fn text(s: &str) -> Block {
        Block::Section {
            block_id: None,
            text: Text::mrkdwn(s, limits::SECTION_TEXT),
            fields: Vec::new(),
            accessory: None,
        }
    }

    /// A section with fields (at most [`limits::FIELDS`]).
    pub fn fields(s: &str, fields: &[String]) -> Block {
        Block::Section {
            block_id: None,
            text: Text::mrkdwn(s, limits::SECTION_TEXT),
            fields: fields
                .iter()
                .take(limits::FIELDS)
                .map(|f| Text::mrkdwn(f, limits::FIELD_TEXT))
                .collect(),
            accessory: None,
        }
    }

    /// A row of buttons or selects (at most [`limits::ACTIONS`]).
    pub fn actions(block_id: &str, elements: Vec<Element>) -> Block {
        Block::Actions {
            block_id: cut(block_id, limits::ID),
            elements: elements.into_iter().take(limits::ACTIONS).collect(),
        }
    }

    /// Small print (at most [`limits::CONTEXT`] parts).
    pub fn context(parts: &[&str]) -> Block {
        Block::Context {
            elements: parts
                .iter()
                .take(limits::CONTEXT)
                .map(|p| Text::mrkdwn(p, limits::SECTION_TEXT))
                .collect(),
        }
    }

    pub fn input(block_id: &str, label: &str, element: Element, optional: bool) -> Block {
        Block::Input {
            block_id: cut(block_id, limits::ID),
            label: Text::plain(label, limits::SECTION_TEXT),
            element,
            optional,
        }
    }
}

/// Where blocks are shown (their limits differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Message,
    Modal,
    Home,
}

/// What [`check`] found so far.
#[derive(Default)]
struct Checker {
    errors: Vec<String>,
    action_ids: Vec<String>,
    block_ids: Vec<String>,
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

impl Checker {
    fn text(&mut self, what: &str, v: &Value, max: usize) {
        if chars(v) > max {
            self.errors
                .push(format!("{what}: {} characters, more than {max}", chars(v)));
        }
        if v.as_str() == Some("") {
            self.errors.push(format!("{what}: empty"));
        }
    }

    fn count(&mut self, what: &str, n: usize, max: usize) {
        if n == 0 || n > max {
            self.errors.push(format!("{what}: {n} (1 to {max})"));
        }
    }

    fn element(&mut self, at: &str, e: &Value) {
        use limits::*;
        if let Some(id) = e["action_id"].as_str() {
            if id.is_empty() || id.len() > ID {
                self.errors.push(format!(
                    "{at}: action_id of {} characters (1 to {ID})",
                    id.len()
                ));
            }
            if self.action_ids.iter().any(|x| x == id) {
                self.errors.push(format!("{at}: action_id {id:?} twice"));
            }
            self.action_ids.push(id.to_owned());
        }
        match e["type"].as_str().unwrap_or_default() {
            "button" => {
                self.text(&format!("{at} button"), &e["text"]["text"], BUTTON_TEXT);
                if chars(&e["value"]) > BUTTON_VALUE {
                    self.errors
                        .push(format!("{at}: button value longer than {BUTTON_VALUE}"));
                }
                if e["value"].is_null() && e["url"].is_null() {
                    self.errors
                        .push(format!("{at}: a button with neither value nor url"));
                }
            }
            "static_select" => {
                let os = e["options"].as_array().map_or(&[][..], Vec::as_slice);
                self.count(&format!("{at} options"), os.len(), OPTIONS);
                for o in os {
                    self.text(&format!("{at} option"), &o["text"]["text"], BUTTON_TEXT);
                    if chars(&o["value"]) > OPTION_VALUE {
                        self.errors
                            .push(format!("{at}: option value longer than {OPTION_VALUE}"));
                    }
                }
            }
            "plain_text_input" | "number_input" => {}
            other => self
                .errors
                .push(format!("{at}: unknown element type {other:?}")),
        }
    }

    fn block(&mut self, at: &str, b: &Value, surface: Surface) {
        use limits::*;
        // Slack wants an `action_id` unique within its block (a view's state is keyed by
        // block, then action); Flywheel's messages dispatch on the `action_id` alone, so
        // there it must be unique in the whole message.
        if surface != Surface::Message {
            self.action_ids.clear();
        }
        if let Some(id) = b["block_id"].as_str() {
            if id.len() > ID {
                self.errors.push(format!("{at}: block_id longer than {ID}"));
            }
            if self.block_ids.iter().any(|x| x == id) {
                self.errors.push(format!("{at}: block_id {id:?} twice"));
            }
            self.block_ids.push(id.to_owned());
        }
        let list = |k: &str| b[k].as_array().map_or(&[][..], Vec::as_slice);
        match b["type"].as_str().unwrap_or_default() {
            "header" => self.text(&format!("{at} header"), &b["text"]["text"], HEADER_TEXT),
            "section" => {
                if !b["text"].is_null() {
                    self.text(&format!("{at} text"), &b["text"]["text"], SECTION_TEXT);
                }
                if !b["fields"].is_null() {
                    self.count(&format!("{at} fields"), list("fields").len(), FIELDS);
                }
                for f in list("fields") {
                    self.text(&format!("{at} field"), &f["text"], FIELD_TEXT);
                }
                if !b["accessory"].is_null() {
                    self.element(at, &b["accessory"]);
                }
            }
            "actions" => {
                self.count(&format!("{at} elements"), list("elements").len(), ACTIONS);
                for e in list("elements") {
                    self.element(at, e);
                }
            }
            "context" => {
                self.count(
                    &format!("{at} context elements"),
                    list("elements").len(),
                    CONTEXT,
                );
                for e in list("elements") {
                    self.text(&format!("{at} context"), &e["text"], SECTION_TEXT);
                }
            }
            "input" => {
                if surface == Surface::Message {
                    self.errors
                        .push(format!("{at}: input blocks belong in modals"));
                }
                self.text(&format!("{at} label"), &b["label"]["text"], SECTION_TEXT);
                self.element(at, &b["element"]);
            }
            "divider" => {}
            other => self
                .errors
                .push(format!("{at}: unknown block type {other:?}")),
        }
    }
}

/// Checks blocks (as JSON: what is sent) against Slack's limits: the number of blocks for
/// the surface, text lengths, elements per block, options per select, `block_id`s unique,
/// `action_id`s unique within their block (and within a message), ids' lengths. Every problem is listed.
pub fn check(blocks: &Value, surface: Surface) -> Result<(), Vec<String>> {
    let Some(list) = blocks.as_array() else {
        return Err(vec!["blocks must be an array".into()]);
    };
    let mut c = Checker::default();
    let most = if surface == Surface::Message {
        limits::MESSAGE_BLOCKS
    } else {
        limits::VIEW_BLOCKS
    };
    if list.len() > most {
        c.errors
            .push(format!("{} blocks, more than {most}", list.len()));
    }
    for (i, b) in list.iter().enumerate() {
        c.block(&format!("block {}", i + 1), b, surface);
    }
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(c.errors)
    }
}

/// Checks a view (modal or Home tab): its blocks, title and metadata.
pub fn check_view(view: &Value) -> Result<(), Vec<String>> {
    let surface = if view["type"] == "home" {
        Surface::Home
    } else {
        Surface::Modal
    };
    let mut errors = check(&view["blocks"], surface).err().unwrap_or_default();
    for k in ["title", "submit", "close"] {
        let n = view[k]["text"].as_str().map_or(0, |s| s.chars().count());
        if n > limits::VIEW_TITLE {
            errors.push(format!(
                "{k}: {n} characters, more than {}",
                limits::VIEW_TITLE
            ));
        }
    }
    if surface == Surface::Modal && view["title"].is_null() {
        errors.push("a modal needs a title".into());
    }
    if view["private_metadata"].as_str().map_or(0, str::len) > limits::METADATA {
        errors.push("private_metadata too long".into());
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(blocks: &[Block]) -> Value {
        serde_json::to_value(blocks).expect("json")
    }

    #[test]
    fn built_blocks_fit_and_broken_ones_are_named() {
        let long = "x".repeat(5000);
        let ok = json(&[
            Block::header(&long),
            Block::text(&long),
            Block::actions(
                "a",
                vec![
                    Element::button(&long, "go", &long),
                    Element::select(
                        "pick",
                        "Pick",
                        (0..300).map(|i| Opt::new(&long, &format!("{i}"))).collect(),
                        Some("3"),
                    ),
                ],
            ),
            Block::context(&[&long]),
            Block::Divider,
        ]);
        assert_eq!(check(&ok, Surface::Message), Ok(()));
        assert_eq!(
            ok[0]["text"]["text"].as_str().map(|s| s.chars().count()),
            Some(150)
        );
        assert!(ok[0]["text"]["text"]
            .as_str()
            .is_some_and(|s| s.ends_with('…')));
        let twice = json(&[Block::actions(
            "a",
            vec![
                Element::button("A", "same", "1"),
                Element::button("B", "same", "2"),
            ],
        )]);
        assert!(check(&twice, Surface::Message).is_err_and(|e| e[0].contains("twice")));
        let many: Vec<Block> = (0..51).map(|i| Block::text(&format!("{i}"))).collect();
        assert!(check(&json(&many), Surface::Message).is_err());
        assert_eq!(check(&json(&many), Surface::Modal), Ok(()));
        let input = json(&[Block::input(
            "b",
            "What",
            Element::PlainTextInput {
                action_id: "v".into(),
                multiline: false,
                initial_value: None,
                max_length: None,
            },
            false,
        )]);
        assert!(check(&input, Surface::Message).is_err());
        assert_eq!(check(&input, Surface::Modal), Ok(()));
        let raw: Value = serde_json::json!([{"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3001)}}]);
        assert!(check(&raw, Surface::Message).is_err_and(|e| e[0].contains("3001")));
    }

    proptest::proptest! {
        #[test]
        fn any_text_makes_blocks_that_fit(s in ".{0,4000}", n in 1usize..120) {
            let s = if s.is_empty() { "x".to_owned() } else { s };
            let blocks: Vec<Block> = (0..n.min(limits::MESSAGE_BLOCKS)).map(|i| if i % 2 == 0 { Block::text(&s) } else { Block::actions(&format!("b{i}"), vec![Element::button(&s, &format!("a{i}"), &s)]) }).collect();
            proptest::prop_assert_eq!(check(&json(&blocks), Surface::Message), Ok(()));
        }
    }
}
