//! A resource as stored (its client-writable attributes, canonically named and typed) and
//! as served (with `schemas`, `id`, `meta` and what the server computes).

use serde_json::{json, Map, Value};

use crate::schema::{find, Attr, Kind, Mutability, Type, ENTERPRISE};
use crate::ScimError;

/// Where an attribute path points.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// An attribute of the core schema or of an extension (`schema` is the extension's URN),
    /// optionally one of its sub-attributes.
    Attr {
        schema: Option<&'static str>,
        attr: &'static Attr,
        sub: Option<&'static Attr>,
    },
    /// A whole extension object.
    Extension(&'static str),
    ExternalId,
    Id,
    /// `meta.created`, `meta.lastModified`, … (filters only).
    Meta,
}

/// Resolves `[URN:]attr[.sub]` for `kind`.
pub fn target(kind: Kind, path: &str) -> Result<Target, ScimError> {
    let bad =
        || ScimError::invalid_path(format!("{path:?} is not an attribute of a {}", kind.name()));
    let mut rest = path.trim();
    let mut schema: Option<&'static str> = None;
    let mut attrs = kind.attrs();
    if rest.len() > 4 && rest[..4].eq_ignore_ascii_case("urn:") {
        let lower = rest.to_ascii_lowercase();
        let mut matched = false;
        for (urn, ext_attrs) in kind.extensions() {
            let u = urn.to_ascii_lowercase();
            if lower == u {
                return Ok(Target::Extension(urn));
            }
            if lower.starts_with(&format!("{u}:")) {
                rest = &rest[urn.len() + 1..];
                schema = Some(urn);
                attrs = ext_attrs;
                matched = true;
                break;
            }
        }
        if !matched {
            let core = kind.core().to_ascii_lowercase();
            if lower.starts_with(&format!("{core}:")) {
                rest = &rest[kind.core().len() + 1..];
            } else {
                return Err(bad());
            }
        }
    }
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    if schema.is_none() {
        if name.eq_ignore_ascii_case("externalId") && sub.is_none() {
            return Ok(Target::ExternalId);
        }
        if name.eq_ignore_ascii_case("id") && sub.is_none() {
            return Ok(Target::Id);
        }
        if name.eq_ignore_ascii_case("meta") {
            return Ok(Target::Meta);
        }
    }
    let attr = find(attrs, name).ok_or_else(bad)?;
    let sub = match sub {
        Some(s) => Some(find(attr.subs, s).ok_or_else(bad)?),
        None => None,
    };
    Ok(Target::Attr { schema, attr, sub })
}

fn object_get<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Normalises one value of `a` as a client sent it: `None` when it is absent or empty.
pub fn value(a: &Attr, v: &Value) -> Result<Option<Value>, ScimError> {
    if v.is_null() {
        return Ok(None);
    }
    if !a.multi {
        if v.is_array() {
            return Err(ScimError::invalid_value(format!(
                "{} takes one value, not a list",
                a.name
            )));
        }
        return single(a, v);
    }
    let items: Vec<&Value> = match v {
        Value::Array(xs) => xs.iter().collect(),
        other => vec![other],
    };
    let mut out: Vec<Value> = Vec::new();
    for x in items {
        if let Some(x) = single(a, x)? {
            if !out.contains(&x) {
                out.push(x);
            }
        }
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

fn single(a: &Attr, v: &Value) -> Result<Option<Value>, ScimError> {
    match a.ty {
        Type::String | Type::Reference => match v {
            Value::String(s) => Ok(Some(Value::String(s.clone()))),
            Value::Number(n) => Ok(Some(Value::String(n.to_string()))),
            _ => Err(ScimError::invalid_value(format!(
                "{} must be a string",
                a.name
            ))),
        },
        Type::Boolean => match v {
            Value::Bool(b) => Ok(Some(Value::Bool(*b))),
            // Entra ID sends "True" and "False".
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(Value::Bool(true))),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(Value::Bool(false))),
            _ => Err(ScimError::invalid_value(format!(
                "{} must be true or false",
                a.name
            ))),
        },
        Type::Complex => match v {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    let Some(sub) = find(a.subs, k) else { continue };
                    if sub.mutability == Mutability::ReadOnly {
                        continue;
                    }
                    if let Some(x) = value(sub, x)? {
                        out.insert(sub.name.to_owned(), x);
                    }
                }
                Ok((!out.is_empty()).then_some(Value::Object(out)))
            }
            // A bare id for a reference (Entra ID's manager).
            Value::String(_) if find(a.subs, "value").is_some() => Ok(Some(json!({ "value": v }))),
            _ => Err(ScimError::invalid_value(format!(
                "{} must be an object",
                a.name
            ))),
        },
    }
}

fn attrs_into(
    attrs: &'static [Attr],
    input: &Map<String, Value>,
    out: &mut Map<String, Value>,
) -> Result<(), ScimError> {
    for (k, v) in input {
        let Some(a) = find(attrs, k) else { continue };
        if a.mutability == Mutability::ReadOnly {
            continue;
        }
        if let Some(v) = value(a, v)? {
            out.insert(a.name.to_owned(), v);
        }
    }
    Ok(())
}

/// The stored form of a resource a client sent (POST, PUT, or the result of a PATCH):
/// known attributes only, canonically named and typed; read-only ones dropped; required
/// ones present.
pub fn normalize(kind: Kind, input: &Value) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(m) = input else {
        return Err(ScimError::invalid_syntax("the body must be a JSON object"));
    };
    let mut out = Map::new();
    attrs_into(kind.attrs(), m, &mut out)?;
    if let Some(x) = object_get(m, "externalId") {
        match x {
            Value::String(s) if !s.is_empty() => {
                out.insert("externalId".into(), Value::String(s.clone()));
            }
            Value::Null | Value::String(_) => {}
            _ => return Err(ScimError::invalid_value("externalId must be a string")),
        }
    }
    for (urn, attrs) in kind.extensions() {
        let Some(ext) = object_get(m, urn) else {
            continue;
        };
        let Value::Object(ext) = ext else {
            if ext.is_null() {
                continue;
            }
            return Err(ScimError::invalid_value(format!("{urn} must be an object")));
        };
        let mut e = Map::new();
        attrs_into(attrs, ext, &mut e)?;
        if !e.is_empty() {
            out.insert((*urn).to_owned(), Value::Object(e));
        }
    }
    for a in kind.attrs().iter().filter(|a| a.required) {
        match out.get(a.name) {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            _ => return Err(ScimError::invalid_value(format!("{} is required", a.name))),
        }
    }
    Ok(out)
}

/// What the server keeps about a resource besides its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub created: String,
    pub last_modified: String,
    pub version: i64,
}

/// A resource as served. `groups` is a user's computed `groups` attribute.
pub fn render(
    kind: Kind,
    id: &str,
    doc: &Map<String, Value>,
    meta: &Meta,
    base: &str,
    groups: Option<Vec<Value>>,
) -> Value {
    let mut schemas = vec![Value::String(kind.core().to_owned())];
    for (urn, _) in kind.extensions() {
        if doc.contains_key(*urn) {
            schemas.push(Value::String((*urn).to_owned()));
        }
    }
    let mut out = Map::new();
    out.insert("schemas".into(), Value::Array(schemas));
    out.insert("id".into(), Value::String(id.to_owned()));
    for (k, v) in doc {
        out.insert(k.clone(), v.clone());
    }
    if let Some(g) = groups.filter(|g| !g.is_empty()) {
        out.insert("groups".into(), Value::Array(g));
    }
    out.insert(
        "meta".into(),
        json!({
            "resourceType": kind.name(),
            "created": meta.created,
            "lastModified": meta.last_modified,
            "location": format!("{base}{}/{id}", kind.endpoint()),
            "version": format!("W/\"{}\"", meta.version),
        }),
    );
    Value::Object(out)
}

/// The account email a user resource names: the primary email, else the first, else the
/// `userName` when it is an address.
pub fn user_email(doc: &Map<String, Value>) -> Option<String> {
    let emails = doc.get("emails").and_then(Value::as_array);
    let address = |e: &Value| e.get("value").and_then(Value::as_str).map(str::to_owned);
    emails
        .and_then(|es| {
            es.iter()
                .find(|e| e.get("primary") == Some(&Value::Bool(true)))
                .or_else(|| es.first())
                .and_then(address)
        })
        .or_else(|| {
            doc.get("userName")
                .and_then(Value::as_str)
                .filter(|u| u.contains('@'))
                .map(str::to_owned)
        })
        .map(|e| e.trim().to_lowercase())
        .filter(|e| e.contains('@'))
}

/// The enterprise extension's `employeeNumber`.
pub fn employee_number(doc: &Map<String, Value>) -> Option<String> {
    doc.get(ENTERPRISE)
        .and_then(|e| e.get("employeeNumber"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Keeps only the `attributes` asked for (with `schemas`, `id` and `meta`, always
/// returned), or drops the `excluded` ones.
pub fn project(
    kind: Kind,
    resource: Value,
    attributes: &[String],
    excluded: &[String],
) -> Result<Value, ScimError> {
    let Value::Object(mut m) = resource else {
        return Ok(resource);
    };
    if !attributes.is_empty() {
        let mut out = Map::new();
        for k in ["schemas", "id", "meta"] {
            if let Some(v) = m.get(k) {
                out.insert(k.to_owned(), v.clone());
            }
        }
        for p in attributes {
            copy_path(kind, &m, &mut out, p)?;
        }
        return Ok(Value::Object(out));
    }
    for p in excluded {
        // A name that is not an attribute of this kind asks for nothing (a search across
        // kinds names the attributes of each).
        let Ok(t) = target(kind, p) else { continue };
        match t {
            Target::Attr { schema, attr, sub } => {
                let holder = match schema {
                    Some(urn) => m.get_mut(urn).and_then(Value::as_object_mut),
                    None => Some(&mut m),
                };
                let Some(holder) = holder else { continue };
                match sub {
                    None => {
                        holder.remove(attr.name);
                    }
                    Some(s) => match holder.get_mut(attr.name) {
                        Some(Value::Object(o)) => {
                            o.remove(s.name);
                        }
                        Some(Value::Array(xs)) => {
                            for x in xs.iter_mut().filter_map(Value::as_object_mut) {
                                x.remove(s.name);
                            }
                        }
                        _ => {}
                    },
                }
            }
            Target::Extension(urn) => {
                m.remove(urn);
            }
            Target::ExternalId => {
                m.remove("externalId");
            }
            Target::Id | Target::Meta => {}
        }
    }
    Ok(Value::Object(m))
}

fn copy_path(
    kind: Kind,
    from: &Map<String, Value>,
    to: &mut Map<String, Value>,
    path: &str,
) -> Result<(), ScimError> {
    let Ok(t) = target(kind, path) else {
        return Ok(());
    };
    match t {
        Target::Attr { schema, attr, sub } => {
            let (src, dst) = match schema {
                Some(urn) => {
                    let Some(Value::Object(src)) = from.get(urn) else {
                        return Ok(());
                    };
                    let dst = to
                        .entry(urn.to_owned())
                        .or_insert_with(|| Value::Object(Map::new()));
                    let Value::Object(dst) = dst else {
                        return Ok(());
                    };
                    (src, dst)
                }
                None => (from, to),
            };
            let Some(v) = src.get(attr.name) else {
                return Ok(());
            };
            let v = match sub {
                None => v.clone(),
                Some(s) => match v {
                    Value::Object(o) => o
                        .get(s.name)
                        .map(|x| json!({ s.name: x }))
                        .unwrap_or(Value::Null),
                    Value::Array(xs) => Value::Array(
                        xs.iter()
                            .filter_map(|x| x.get(s.name).map(|y| json!({ s.name: y })))
                            .collect(),
                    ),
                    _ => Value::Null,
                },
            };
            if !v.is_null() {
                dst.insert(attr.name.to_owned(), v);
            }
        }
        Target::Extension(urn) => {
            if let Some(v) = from.get(urn) {
                to.insert(urn.to_owned(), v.clone());
            }
        }
        Target::ExternalId => {
            if let Some(v) = from.get("externalId") {
                to.insert("externalId".into(), v.clone());
            }
        }
        Target::Id | Target::Meta => {}
    }
    Ok(())
}
