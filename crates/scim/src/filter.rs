//! SCIM filters (RFC 7644 §3.4.2.2): `userName eq "ana@example.com"`,
//! `emails[type eq "work" and value co "@example.com"]`, `not (active eq false)`, with
//! `and`, `or`, `not`, parentheses, `pr` and the nine comparison operators. Written by
//! hand: the grammar is small and no maintained crate parses it.

use serde_json::Value;

use crate::doc::{target, Target};
use crate::schema::Kind;
use crate::ScimError;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(String),
    Compare(String, Op, Value),
    /// `attr[filter]`: some value of the multi-valued `attr` matches.
    Values(String, Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    OpenB,
    CloseB,
    Str(String),
    Word(String),
}

/// The longest filter accepted (a filter is a query, not a document).
pub const MAX_LEN: usize = 4096;

fn tokens(s: &str) -> Result<Vec<Tok>, ScimError> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            '[' => {
                chars.next();
                out.push(Tok::OpenB);
            }
            ']' => {
                chars.next();
                out.push(Tok::CloseB);
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => return Err(ScimError::invalid_filter("a string is not closed")),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => text.push('\n'),
                            Some('t') => text.push('\t'),
                            Some(e) => text.push(e),
                            None => {
                                return Err(ScimError::invalid_filter("a string is not closed"))
                            }
                        },
                        Some(x) => text.push(x),
                    }
                }
                out.push(Tok::Str(text));
            }
            _ => {
                let mut w = String::new();
                while let Some(&x) = chars.peek() {
                    if x.is_whitespace() || matches!(x, '(' | ')' | '[' | ']' | '"') {
                        break;
                    }
                    w.push(x);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    depth: usize,
}

fn keyword(t: Option<&Tok>, k: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn or(&mut self) -> Result<Filter, ScimError> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(ScimError::invalid_filter("the filter is nested too deeply"));
        }
        let mut left = self.and()?;
        while keyword(self.peek(), "or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.unary()?;
        while keyword(self.peek(), "and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, ScimError> {
        if keyword(self.peek(), "not") {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.group()?)));
        }
        if self.peek() == Some(&Tok::Open) {
            return self.group();
        }
        self.atom()
    }

    fn group(&mut self) -> Result<Filter, ScimError> {
        if self.next() != Some(Tok::Open) {
            return Err(ScimError::invalid_filter("expected ( after not"));
        }
        let f = self.or()?;
        if self.next() != Some(Tok::Close) {
            return Err(ScimError::invalid_filter("a ( is not closed"));
        }
        Ok(f)
    }

    fn atom(&mut self) -> Result<Filter, ScimError> {
        let Some(Tok::Word(path)) = self.next() else {
            return Err(ScimError::invalid_filter("expected an attribute name"));
        };
        if self.peek() == Some(&Tok::OpenB) {
            self.at += 1;
            let inner = self.or()?;
            if self.next() != Some(Tok::CloseB) {
                return Err(ScimError::invalid_filter("a [ is not closed"));
            }
            return Ok(Filter::Values(path, Box::new(inner)));
        }
        let Some(Tok::Word(op)) = self.next() else {
            return Err(ScimError::invalid_filter(format!(
                "expected an operator after {path}"
            )));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => {
                return Err(ScimError::invalid_filter(format!(
                    "unknown operator {other:?}"
                )))
            }
        };
        let value = match self.next() {
            Some(Tok::Str(s)) => Value::String(s),
            Some(Tok::Word(w)) if w == "true" => Value::Bool(true),
            Some(Tok::Word(w)) if w == "false" => Value::Bool(false),
            Some(Tok::Word(w)) if w == "null" => Value::Null,
            Some(Tok::Word(w)) => match w.parse::<f64>() {
                Ok(n) => serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
                Err(_) => return Err(ScimError::invalid_filter(format!("{w:?} is not a value"))),
            },
            _ => {
                return Err(ScimError::invalid_filter(format!(
                    "expected a value after {path}"
                )))
            }
        };
        Ok(Filter::Compare(path, op, value))
    }
}

/// Parses a filter.
pub fn parse(s: &str) -> Result<Filter, ScimError> {
    if s.len() > MAX_LEN {
        return Err(ScimError::invalid_filter(format!(
            "the filter is longer than {MAX_LEN} bytes"
        )));
    }
    let mut p = Parser {
        toks: tokens(s)?,
        at: 0,
        depth: 0,
    };
    let f = p.or()?;
    if p.at != p.toks.len() {
        return Err(ScimError::invalid_filter(
            "unexpected text after the filter",
        ));
    }
    Ok(f)
}

/// `attr eq "value"` on one attribute, if that is all the filter is (served from an index).
pub fn simple_eq(f: &Filter) -> Option<(&str, &str)> {
    match f {
        Filter::Compare(path, Op::Eq, Value::String(v)) => Some((path.as_str(), v.as_str())),
        _ => None,
    }
}

fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let m = v.as_object()?;
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, x)| x)
    })
}

/// The values a path names in a served resource (multi-valued attributes flattened).
fn values<'a>(kind: Kind, resource: &'a Value, path: &str) -> (Vec<&'a Value>, bool) {
    let mut holder = resource;
    let mut rest = path;
    for (urn, _) in kind.extensions() {
        if path.len() > urn.len() && path[..urn.len()].eq_ignore_ascii_case(urn) {
            rest = &path[urn.len() + 1..];
            holder = match get_ci(resource, urn) {
                Some(h) => h,
                None => return (Vec::new(), false),
            };
        }
    }
    let core = kind.core();
    if rest.len() > core.len() && rest[..core.len()].eq_ignore_ascii_case(core) {
        rest = &rest[core.len() + 1..];
    }
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    let case_exact = target(kind, path).is_ok_and(|t| match t {
        Target::Attr { attr, sub, .. } => sub.map_or(attr.case_exact, |s| s.case_exact),
        Target::Id | Target::ExternalId | Target::Meta => true,
        Target::Extension(_) => false,
    });
    let top = get_ci(holder, name).or_else(|| {
        // An extension attribute named without its URN.
        kind.extensions()
            .iter()
            .find_map(|(urn, _)| get_ci(resource, urn).and_then(|e| get_ci(e, name)))
    });
    let Some(top) = top else {
        return (Vec::new(), case_exact);
    };
    let items: Vec<&Value> = match top {
        Value::Array(xs) => xs.iter().collect(),
        other => vec![other],
    };
    let out = match sub {
        None => items,
        Some(s) => items.into_iter().filter_map(|x| get_ci(x, s)).collect(),
    };
    (out, case_exact)
}

fn compare(actual: &Value, op: Op, wanted: &Value, case_exact: bool) -> bool {
    match (actual, wanted) {
        (Value::String(a), Value::String(w)) => {
            let (a, w) = if case_exact {
                (a.clone(), w.clone())
            } else {
                (a.to_lowercase(), w.to_lowercase())
            };
            match op {
                Op::Eq => a == w,
                Op::Ne => a != w,
                Op::Co => a.contains(&w),
                Op::Sw => a.starts_with(&w),
                Op::Ew => a.ends_with(&w),
                Op::Gt => a > w,
                Op::Ge => a >= w,
                Op::Lt => a < w,
                Op::Le => a <= w,
            }
        }
        (Value::Number(a), Value::Number(w)) => {
            let (a, w) = (
                a.as_f64().unwrap_or(f64::NAN),
                w.as_f64().unwrap_or(f64::NAN),
            );
            match op {
                Op::Eq => a == w,
                Op::Ne => a != w,
                Op::Gt => a > w,
                Op::Ge => a >= w,
                Op::Lt => a < w,
                Op::Le => a <= w,
                Op::Co | Op::Sw | Op::Ew => false,
            }
        }
        (a, w) => match op {
            Op::Eq => a == w,
            Op::Ne => a != w,
            _ => false,
        },
    }
}

/// Whether the served `resource` of `kind` matches `f`.
pub fn matches(kind: Kind, f: &Filter, resource: &Value) -> bool {
    match f {
        Filter::And(a, b) => matches(kind, a, resource) && matches(kind, b, resource),
        Filter::Or(a, b) => matches(kind, a, resource) || matches(kind, b, resource),
        Filter::Not(a) => !matches(kind, a, resource),
        Filter::Present(p) => values(kind, resource, p).0.iter().any(|v| {
            !v.is_null() && v.as_str() != Some("") && v.as_array().is_none_or(|a| !a.is_empty())
        }),
        Filter::Compare(p, op, wanted) => {
            let (vs, exact) = values(kind, resource, p);
            if vs.is_empty() {
                // An absent attribute equals null and differs from everything else.
                return match op {
                    Op::Eq => wanted.is_null(),
                    Op::Ne => !wanted.is_null(),
                    _ => false,
                };
            }
            vs.iter().any(|v| compare(v, *op, wanted, exact))
        }
        Filter::Values(p, inner) => {
            let (vs, _) = values(kind, resource, p);
            vs.iter().any(|v| element_matches(kind, p, inner, v))
        }
    }
}

/// Whether one element of the multi-valued attribute `parent` matches `f` (its paths name
/// sub-attributes).
pub fn element_matches(kind: Kind, parent: &str, f: &Filter, element: &Value) -> bool {
    match f {
        Filter::And(a, b) => {
            element_matches(kind, parent, a, element) && element_matches(kind, parent, b, element)
        }
        Filter::Or(a, b) => {
            element_matches(kind, parent, a, element) || element_matches(kind, parent, b, element)
        }
        Filter::Not(a) => !element_matches(kind, parent, a, element),
        Filter::Present(p) => get_ci(element, p).is_some_and(|v| !v.is_null()),
        Filter::Compare(p, op, wanted) => {
            let exact = target(kind, &format!("{parent}.{p}"))
                .is_ok_and(|t| matches!(t, Target::Attr { sub: Some(s), .. } if s.case_exact));
            match get_ci(element, p) {
                Some(v) => compare(v, *op, wanted, exact),
                None => matches!(op, Op::Eq) && wanted.is_null(),
            }
        }
        Filter::Values(..) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "abc", "userName": "Ana@Example.com", "active": true,
            "emails": [{"value": "ana@example.com", "type": "work", "primary": true},
                       {"value": "ana@home.example", "type": "home"}],
            "name": {"givenName": "Ana", "familyName": "López"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E7"},
            "meta": {"lastModified": "2026-12-01T00:00:00Z"},
        })
    }

    #[test]
    fn filters_match_as_the_rfc_says() {
        let u = user();
        for (f, want) in [
            (r#"userName eq "ana@example.com""#, true),
            (r#"USERNAME Eq "ANA@EXAMPLE.COM""#, true),
            (r#"userName ne "ana@example.com""#, false),
            (r#"emails[type eq "work" and value co "example.com"]"#, true),
            (r#"emails[type eq "other"]"#, false),
            (r#"emails.value ew "@home.example""#, true),
            (r#"name.familyName sw "ló""#, true),
            (r#"active eq true and not (name.givenName eq "Bo")"#, true),
            (r#"title pr or id eq "abc""#, true),
            (r#"title pr"#, false),
            (r#"id eq "ABC""#, false),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "E7""#,
                true,
            ),
            (r#"employeeNumber eq "E7""#, true),
            (r#"meta.lastModified gt "2026-11-30T00:00:00Z""#, true),
            (
                r#"(userName eq "x" or userName eq "ana@example.com") and active eq true"#,
                true,
            ),
        ] {
            let parsed = parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert_eq!(matches(Kind::User, &parsed, &u), want, "{f}");
        }
    }

    #[test]
    fn malformed_filters_are_refused_with_a_reason() {
        for f in [
            "",
            "userName",
            r#"userName zz "x""#,
            r#"userName eq "x"#,
            r#"(userName eq "x""#,
            r#"emails[type eq "work""#,
            r#"userName eq "x" extra"#,
            "userName eq bare",
        ] {
            let e = parse(f).expect_err(f);
            assert_eq!((e.status, e.scim_type), (400, Some("invalidFilter")), "{f}");
        }
        let deep = format!("{}userName pr{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).is_err(), "nesting is bounded");
    }

    proptest::proptest! {
        #[test]
        fn the_parser_never_panics(s in "\\PC{0,80}") {
            let _ = parse(&s);
        }
    }
}
