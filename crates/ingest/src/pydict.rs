//! Python dict literals as ChatGPT Enterprise exports write them (`{'gpt-4o': 12, 'o1': 3}`):
//! string keys in single or double quotes, integer values. Written by hand: it is a tiny
//! grammar, and no crate parses Python literals without a Python.

/// Parses a dict of string keys to counts. `None` values are skipped; an empty text is an
/// empty dict.
pub fn parse_counts(text: &str) -> Result<Vec<(String, u64)>, String> {
    let s = text.trim();
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let mut chars = s.char_indices().peekable();
    let err = |pos: usize, what: &str| format!("at character {}: {what}", pos + 1);
    let skip_ws = |it: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        while matches!(it.peek(), Some((_, c)) if c.is_whitespace()) {
            it.next();
        }
    };
    match chars.next() {
        Some((_, '{')) => {}
        _ => return Err(err(0, "expected '{'")),
    }
    let mut out = Vec::new();
    loop {
        skip_ws(&mut chars);
        match chars.peek().copied() {
            Some((_, '}')) => {
                chars.next();
                break;
            }
            Some((pos, q @ ('\'' | '"'))) => {
                chars.next();
                let mut key = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, c)) => key.push(match c {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            }),
                            None => return Err(err(pos, "unterminated string")),
                        },
                        Some((_, c)) if c == q => break,
                        Some((_, c)) => key.push(c),
                        None => return Err(err(pos, "unterminated string")),
                    }
                }
                skip_ws(&mut chars);
                match chars.next() {
                    Some((_, ':')) => {}
                    Some((p, _)) => return Err(err(p, "expected ':'")),
                    None => return Err(err(s.len(), "expected ':'")),
                }
                skip_ws(&mut chars);
                let start = chars.peek().map_or(s.len(), |(p, _)| *p);
                let mut token = String::new();
                while let Some((_, c)) = chars.peek().copied() {
                    if c == ',' || c == '}' || c.is_whitespace() {
                        break;
                    }
                    token.push(c);
                    chars.next();
                }
                match token.as_str() {
                    "None" | "null" => {}
                    t => {
                        let n: u64 = t
                            .parse()
                            .map_err(|_| err(start, &format!("{t:?} is not a whole number ≥ 0")))?;
                        out.push((key, n));
                    }
                }
                skip_ws(&mut chars);
                match chars.next() {
                    Some((_, ',')) => {}
                    Some((_, '}')) => break,
                    Some((p, _)) => return Err(err(p, "expected ',' or '}'")),
                    None => return Err(err(s.len(), "unterminated dict")),
                }
            }
            Some((p, _)) => return Err(err(p, "expected a quoted key")),
            None => return Err(err(s.len(), "unterminated dict")),
        }
    }
    if let Some((p, _)) = chars.find(|(_, c)| !c.is_whitespace()) {
        return Err(err(p, "text after the dict"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_counts("{'gpt-4o': 12, \"o1\": 3}"),
            Ok(vec![("gpt-4o".into(), 12), ("o1".into(), 3)])
        );
        assert_eq!(parse_counts("{}"), Ok(vec![]));
        assert_eq!(parse_counts(""), Ok(vec![]));
        assert_eq!(
            parse_counts("{'it\\'s': 1, 'x': None,}"),
            Ok(vec![("it's".into(), 1)])
        );
        assert!(parse_counts("{'a': -1}").is_err());
        assert!(parse_counts("{'a': 1").is_err());
        assert!(parse_counts("{'a' 1}").is_err());
        assert!(parse_counts("{'a': 1} x").is_err());
        assert!(parse_counts("[1]").is_err());
    }

    proptest! {
        /// What Python's repr of a dict of str to int would print, reads back.
        #[test]
        fn round_trip(entries in prop::collection::vec(("[a-zA-Z0-9 ._'\"-]{0,12}", 0u64..1_000_000), 0..8)) {
            let body: Vec<String> = entries.iter().map(|(k, v)| {
                let quoted = if k.contains('\'') && !k.contains('"') { format!("\"{k}\"") } else { format!("'{}'", k.replace('\'', "\\'")) };
                format!("{quoted}: {v}")
            }).collect();
            let text = format!("{{{}}}", body.join(", "));
            prop_assert_eq!(parse_counts(&text), Ok(entries));
        }

        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = parse_counts(&text);
        }
    }
}
