//! PATCH (RFC 7644 §3.5.2) on a stored resource: `add`, `replace` and `remove`, with or
//! without a path; paths name an attribute, a sub-attribute, an extension's attribute by
//! its URN, or the values of a multi-valued attribute that match a filter
//! (`members[value eq "…"]`, `emails[type eq "work"].value`). What identity providers
//! really send is accepted too: operation names in any case, `"True"`/`"False"` for
//! booleans (Entra ID), a bare id for a manager, a filtered `replace` that creates the
//! value it names when none matches.

use serde_json::{Map, Value};

use crate::doc::{normalize, target, value, Target};
use crate::filter::{element_matches, parse, Filter};
use crate::schema::{Attr, Kind, Mutability};
use crate::ScimError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

/// One operation of a PATCH request.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: OpKind,
    pub path: Option<String>,
    pub value: Option<Value>,
}

fn get_ci<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The operations of a PATCH request body.
pub fn parse_request(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let Value::Object(m) = body else {
        return Err(ScimError::invalid_syntax("the body must be a JSON object"));
    };
    let Some(Value::Array(ops)) = get_ci(m, "Operations") else {
        return Err(ScimError::invalid_syntax("the body has no Operations list"));
    };
    if ops.is_empty() {
        return Err(ScimError::invalid_syntax("Operations is empty"));
    }
    ops.iter()
        .map(|o| {
            let Value::Object(o) = o else {
                return Err(ScimError::invalid_syntax("an operation must be an object"));
            };
            let op = match get_ci(o, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(s) if s == "add" => OpKind::Add,
                Some(s) if s == "replace" => OpKind::Replace,
                Some(s) if s == "remove" => OpKind::Remove,
                other => {
                    return Err(ScimError::invalid_syntax(format!(
                        "op must be add, replace or remove, not {other:?}"
                    )))
                }
            };
            let path = match get_ci(o, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(p.clone()),
                Some(_) => return Err(ScimError::invalid_path("path must be a string")),
            };
            Ok(Operation {
                op,
                path,
                value: get_ci(o, "value").cloned(),
            })
        })
        .collect()
}

/// Applies `ops` to the stored `doc` of a `kind`, then normalises it again (a PATCH may
/// not remove a required attribute). On an error `doc` is unchanged.
pub fn apply(kind: Kind, doc: &mut Map<String, Value>, ops: &[Operation]) -> Result<(), ScimError> {
    let mut work = doc.clone();
    for op in ops {
        apply_one(kind, &mut work, op)?;
    }
    *doc = normalize(kind, &Value::Object(work))?;
    Ok(())
}

fn apply_one(kind: Kind, doc: &mut Map<String, Value>, op: &Operation) -> Result<(), ScimError> {
    let Some(path) = &op.path else {
        if op.op == OpKind::Remove {
            return Err(ScimError::no_target("remove needs a path"));
        }
        let Some(Value::Object(values)) = &op.value else {
            return Err(ScimError::invalid_value(
                "without a path, the value must be an object",
            ));
        };
        for (k, v) in values {
            if ["schemas", "id", "meta"]
                .iter()
                .any(|x| k.eq_ignore_ascii_case(x))
            {
                continue;
            }
            let is_ext = kind
                .extensions()
                .iter()
                .any(|(u, _)| u.eq_ignore_ascii_case(k));
            match (is_ext, v) {
                (true, Value::Object(ext)) => {
                    for (k2, v2) in ext {
                        at_path(kind, doc, op.op, &format!("{k}:{k2}"), Some(v2))?;
                    }
                }
                _ => match target(kind, k) {
                    // Unknown attributes are ignored, as on create.
                    Err(_) => {}
                    Ok(_) => at_path(kind, doc, op.op, k, Some(v))?,
                },
            }
        }
        return Ok(());
    };
    at_path(kind, doc, op.op, path, op.value.as_ref())
}

fn split(path: &str) -> Result<(&str, Option<Filter>, Option<&str>), ScimError> {
    let Some(open) = path.find('[') else {
        return Ok((path, None, None));
    };
    let close = path
        .rfind(']')
        .filter(|c| *c > open)
        .ok_or_else(|| ScimError::invalid_path(format!("{path:?}: a [ is not closed")))?;
    let filter = parse(&path[open + 1..close])
        .map_err(|e| ScimError::invalid_path(format!("{path:?}: {}", e.detail)))?;
    let rest = &path[close + 1..];
    let sub = match rest {
        "" => None,
        r => Some(r.strip_prefix('.').ok_or_else(|| {
            ScimError::invalid_path(format!("{path:?}: expected .attribute after ]"))
        })?),
    };
    Ok((&path[..open], Some(filter), sub))
}

fn holder<'a>(doc: &'a mut Map<String, Value>, schema: Option<&str>) -> &'a mut Map<String, Value> {
    let Some(urn) = schema else { return doc };
    let e = doc
        .entry(urn.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !e.is_object() {
        *e = Value::Object(Map::new());
    }
    e.as_object_mut()
        .expect("an object: it was made one just above")
}

fn need(v: Option<&Value>, what: &str) -> Result<Value, ScimError> {
    v.cloned()
        .ok_or_else(|| ScimError::invalid_value(format!("{what} needs a value")))
}

fn at_path(
    kind: Kind,
    doc: &mut Map<String, Value>,
    op: OpKind,
    path: &str,
    v: Option<&Value>,
) -> Result<(), ScimError> {
    let (attr_path, filter, after) = split(path)?;
    let t = target(kind, attr_path)?;
    match (t, filter) {
        (Target::Id | Target::Meta, _) => {
            Err(ScimError::mutability(format!("{attr_path} is read-only")))
        }
        (Target::ExternalId, None) => {
            match op {
                OpKind::Remove => {
                    doc.remove("externalId");
                }
                _ => {
                    doc.insert("externalId".into(), need(v, "externalId")?);
                }
            }
            Ok(())
        }
        (Target::Extension(urn), None) => {
            match op {
                OpKind::Remove => {
                    doc.remove(urn);
                }
                _ => {
                    let Value::Object(values) = need(v, urn)? else {
                        return Err(ScimError::invalid_value(format!("{urn} takes an object")));
                    };
                    for (k, x) in values {
                        let p = format!("{urn}:{k}");
                        // `schemas` and attributes unknown here are ignored, as on create.
                        if target(kind, &p).is_ok() {
                            at_path(kind, doc, op, &p, Some(&x))?;
                        }
                    }
                }
            }
            Ok(())
        }
        (Target::Attr { attr, .. }, _) if attr.mutability == Mutability::ReadOnly => {
            Err(ScimError::mutability(format!("{} is read-only", attr.name)))
        }
        (Target::Attr { schema, attr, sub }, None) => plain(holder(doc, schema), op, attr, sub, v),
        (
            Target::Attr {
                schema,
                attr,
                sub: None,
            },
            Some(f),
        ) if attr.multi => {
            let sub = match after {
                Some(s) => Some(crate::schema::find(attr.subs, s).ok_or_else(|| {
                    ScimError::invalid_path(format!(
                        "{s:?} is not a sub-attribute of {}",
                        attr.name
                    ))
                })?),
                None => None,
            };
            filtered(kind, holder(doc, schema), op, attr, &f, sub, v)
        }
        _ => Err(ScimError::invalid_path(format!(
            "{path:?}: a filter needs a multi-valued attribute"
        ))),
    }
}

/// An operation on an attribute (or a sub-attribute of it) without a filter.
fn plain(
    h: &mut Map<String, Value>,
    op: OpKind,
    attr: &'static Attr,
    sub: Option<&'static Attr>,
    v: Option<&Value>,
) -> Result<(), ScimError> {
    let Some(sub) = sub else {
        match op {
            OpKind::Remove => {
                h.remove(attr.name);
            }
            OpKind::Replace if attr.multi => match value(attr, &need(v, attr.name)?)? {
                Some(x) => {
                    h.insert(attr.name.to_owned(), x);
                }
                None => {
                    h.remove(attr.name);
                }
            },
            OpKind::Add if attr.multi => {
                if let Some(Value::Array(new)) = value(attr, &need(v, attr.name)?)? {
                    let list = h
                        .entry(attr.name.to_owned())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(list) = list {
                        for x in new {
                            if !list.contains(&x) {
                                list.push(x);
                            }
                        }
                    }
                }
            }
            // A complex attribute: the sub-attributes given are set, the others kept.
            _ => match (h.get_mut(attr.name), value(attr, &need(v, attr.name)?)?) {
                (Some(Value::Object(old)), Some(Value::Object(new))) => old.extend(new),
                (_, Some(x)) => {
                    h.insert(attr.name.to_owned(), x);
                }
                (_, None) => {
                    h.remove(attr.name);
                }
            },
        }
        return Ok(());
    };
    let new = match op {
        OpKind::Remove => None,
        _ => value(sub, &need(v, sub.name)?)?,
    };
    let slot = h.entry(attr.name.to_owned()).or_insert(Value::Null);
    let set = |o: &mut Map<String, Value>| match &new {
        Some(x) => {
            o.insert(sub.name.to_owned(), x.clone());
        }
        None => {
            o.remove(sub.name);
        }
    };
    match slot {
        Value::Object(o) => set(o),
        Value::Array(xs) if !xs.is_empty() => {
            xs.iter_mut().filter_map(Value::as_object_mut).for_each(set);
        }
        other => {
            let mut o = Map::new();
            set(&mut o);
            *other = if attr.multi {
                Value::Array(vec![Value::Object(o)])
            } else {
                Value::Object(o)
            };
        }
    }
    Ok(())
}

/// An operation on the values of a multi-valued attribute that match `f`.
fn filtered(
    kind: Kind,
    h: &mut Map<String, Value>,
    op: OpKind,
    attr: &'static Attr,
    f: &Filter,
    sub: Option<&'static Attr>,
    v: Option<&Value>,
) -> Result<(), ScimError> {
    let mut list = match h.remove(attr.name) {
        Some(Value::Array(xs)) => xs,
        Some(other) => vec![other],
        None => Vec::new(),
    };
    let hits: Vec<usize> = (0..list.len())
        .filter(|i| element_matches(kind, attr.name, f, &list[*i]))
        .collect();
    match (op, sub) {
        (OpKind::Remove, None) => {
            let mut i = 0;
            list.retain(|_| {
                let keep = !hits.contains(&i);
                i += 1;
                keep
            });
        }
        (OpKind::Remove, Some(s)) => {
            for i in &hits {
                if let Some(o) = list[*i].as_object_mut() {
                    o.remove(s.name);
                }
            }
        }
        (_, None) => {
            let Some(Value::Object(new)) = value(
                &Attr {
                    multi: false,
                    ..*attr
                },
                &need(v, attr.name)?,
            )?
            else {
                return Err(ScimError::invalid_value(format!(
                    "{} takes an object",
                    attr.name
                )));
            };
            if hits.is_empty() {
                h.insert(attr.name.to_owned(), Value::Array(list));
                return Err(ScimError::no_target(format!(
                    "no value of {} matches the filter",
                    attr.name
                )));
            }
            for i in &hits {
                if let Some(o) = list[*i].as_object_mut() {
                    o.extend(new.clone());
                }
            }
        }
        (_, Some(s)) => {
            let new = value(s, &need(v, s.name)?)?;
            if hits.is_empty() {
                // `emails[type eq "work"].value` with no work email yet: make it.
                let Filter::Compare(k, crate::filter::Op::Eq, key) = f else {
                    h.insert(attr.name.to_owned(), Value::Array(list));
                    return Err(ScimError::no_target(format!(
                        "no value of {} matches the filter",
                        attr.name
                    )));
                };
                let mut o = Map::new();
                o.insert(k.clone(), key.clone());
                if let Some(x) = new {
                    o.insert(s.name.to_owned(), x);
                }
                list.push(Value::Object(o));
            } else {
                for i in &hits {
                    if let Some(o) = list[*i].as_object_mut() {
                        match &new {
                            Some(x) => {
                                o.insert(s.name.to_owned(), x.clone());
                            }
                            None => {
                                o.remove(s.name);
                            }
                        }
                    }
                }
            }
        }
    }
    if !list.is_empty() {
        h.insert(attr.name.to_owned(), Value::Array(list));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(v: Value) -> Map<String, Value> {
        normalize(Kind::User, &v).expect("valid")
    }

    fn run(d: &mut Map<String, Value>, ops: Value) -> Result<(), ScimError> {
        let ops = parse_request(&json!({"schemas": [crate::schema::PATCH], "Operations": ops}))?;
        apply(Kind::User, d, &ops)
    }

    #[test]
    fn what_identity_providers_send_is_applied() {
        let mut d = doc(json!({"userName": "ana@example.com", "active": true}));
        // Entra ID: capitalised ops, "False", a bare manager id, filtered email paths.
        run(&mut d, json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-1"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ana@example.com"},
            {"op": "Add", "path": "name.givenName", "value": "Ana"},
        ])).expect("applied");
        assert_eq!(d["active"], json!(false));
        assert_eq!(
            d[crate::schema::ENTERPRISE]["manager"],
            json!({"value": "m-1"})
        );
        assert_eq!(
            d["emails"],
            json!([{"type": "work", "value": "ana@example.com"}])
        );
        assert_eq!(d["name"], json!({"givenName": "Ana"}));
        // Okta: no path, a value object.
        run(
            &mut d,
            json!([{"op": "replace", "value": {"active": true, "displayName": "Ana L"}}]),
        )
        .expect("applied");
        assert_eq!(
            (d["active"].clone(), d["displayName"].clone()),
            (json!(true), json!("Ana L"))
        );
        run(
            &mut d,
            json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]),
        )
        .expect("applied");
        assert!(!d.contains_key("emails"));
    }

    #[test]
    fn bad_patches_are_refused_and_change_nothing() {
        let mut d = doc(json!({"userName": "ana@example.com", "displayName": "Ana"}));
        let before = d.clone();
        for (ops, code) in [
            (
                json!([{"op": "remove", "path": "userName"}]),
                "invalidValue",
            ),
            (json!([{"op": "remove"}]), "noTarget"),
            (
                json!([{"op": "replace", "path": "nope", "value": 1}]),
                "invalidPath",
            ),
            (
                json!([{"op": "replace", "path": "id", "value": "x"}]),
                "mutability",
            ),
            (
                json!([{"op": "replace", "path": "groups", "value": []}]),
                "mutability",
            ),
            (
                json!([{"op": "replace", "path": "active", "value": "maybe"}]),
                "invalidValue",
            ),
            (
                json!([{"op": "replace", "path": "emails[type eq \"work\"]", "value": {"value": "x"}}]),
                "noTarget",
            ),
            (
                json!([{"op": "displayName", "path": "displayName", "value": "x"}]),
                "invalidSyntax",
            ),
            (
                json!([{"op": "replace", "path": "displayName", "value": "Bo"}, {"op": "remove", "path": "userName"}]),
                "invalidValue",
            ),
        ] {
            let e = run(&mut d, ops.clone()).expect_err(&ops.to_string());
            assert_eq!(e.scim_type, Some(code), "{ops}: {e}");
            assert_eq!(d, before, "{ops}: nothing changed");
        }
    }

    #[test]
    fn members_are_added_and_removed_by_filter() {
        let mut g = normalize(Kind::Group, &json!({"displayName": "Admins"})).expect("group");
        let ops = |v: Value| parse_request(&json!({"Operations": v})).expect("ops");
        apply(
            Kind::Group,
            &mut g,
            &ops(json!([
                {"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
                {"op": "add", "path": "members", "value": [{"value": "u2"}]},
            ])),
        )
        .expect("add");
        assert_eq!(g["members"], json!([{"value": "u1"}, {"value": "u2"}]));
        apply(
            Kind::Group,
            &mut g,
            &ops(json!([
                {"op": "remove", "path": "members[value eq \"u1\"]"},
                {"op": "remove", "path": "members[value eq \"nobody\"]"},
            ])),
        )
        .expect("remove");
        assert_eq!(g["members"], json!([{"value": "u2"}]));
    }
}
