//! A chat post's words as the readers see them: Slack mentions (`<@U…>`, `<#C…>`,
//! `<!here>`) and emoji (`:tada:`) are not words; the rest is lower-cased, with curly
//! apostrophes made straight. One place, for the question, answer and win readers.

/// A post's words.
pub(crate) struct ChatText {
    /// The words, lower case, without mentions and emoji.
    pub words: Vec<String>,
    /// The post mentions `<!channel>` or `<!everyone>`: a broadcast.
    pub broadcast: bool,
}

impl ChatText {
    pub fn of(text: &str) -> ChatText {
        let mut plain = String::new();
        let mut rest = text;
        let mut broadcast = false;
        while let Some(i) = rest.find('<') {
            plain.push_str(&rest[..i]);
            let close = rest[i..].find('>');
            let inner = close.map_or("", |j| &rest[i + 1..i + j]);
            broadcast |= matches!(inner, "!channel" | "!everyone");
            rest = close.map_or("", |j| &rest[i + j + 1..]);
        }
        plain.push_str(rest);
        let words = plain
            .to_lowercase()
            .replace('’', "'")
            .split_whitespace()
            .filter(|w| !(w.len() > 2 && w.starts_with(':') && w.ends_with(':')))
            .map(str::to_owned)
            .collect();
        ChatText { words, broadcast }
    }

    /// The words joined by single spaces.
    pub fn joined(&self) -> String {
        self.words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_and_emoji_are_not_words() {
        let t = ChatText::of("<!channel> :mega: Don’t forget <@U02ABC> the <#C1|ai-help> form");
        assert_eq!(t.joined(), "don't forget the form");
        assert!(t.broadcast);
        assert!(!ChatText::of("hi <!here>").broadcast);
    }
}
