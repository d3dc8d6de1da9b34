//! "Can I use this AI tool for this purpose with this data?", decided by Cedar policies.
//!
//! A question is a Cedar request: the asker is a `User` (role, department, site), the
//! action is `Action::"use"`, the resource is the `Tool` with its catalog entry as
//! attributes, and the context holds the purpose and data class. The schema
//! ([`SCHEMA`]) fixes those shapes; every policy set is validated against it in strict
//! mode before it is used or saved, so a policy that names a missing attribute is refused
//! with the validator's message instead of failing at question time.
//!
//! Invariants:
//! * No IO: policies and the catalog come in as values, answers go out as values.
//! * Every "no" carries a reason a person can read: the `@reason` of each forbid that
//!   decided it, or, when no permit applied, what the catalog lacks.
//! * Alternatives are only tools the same policies permit for the same asker, purpose and
//!   data class, so "try this instead" never suggests something that is itself a "no".

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicyId,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use flywheel_domain::program::{data_class, purpose, Tool};
use flywheel_domain::DomainError;

/// The Cedar schema (Cedar's own schema syntax) every policy set is validated against.
pub const SCHEMA: &str = include_str!("../config/schema.cedarschema");

/// The policies a new installation starts with.
pub const DEFAULT_POLICIES: &str = include_str!("../config/default.cedar");

/// Why a policy set or a question was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The text is not Cedar; the message is the parser's.
    #[error("the policies do not parse: {0}")]
    Parse(String),
    /// The text parses but does not fit the schema; the message is the validator's.
    #[error("the policies do not fit the schema: {0}")]
    Invalid(String),
    #[error("no tool named {name:?} in the catalog (it has: {known})")]
    UnknownTool { name: String, known: String },
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// A failure inside Cedar on input that was already checked: a bug, not bad input.
    #[error("cannot evaluate the question: {0}")]
    Internal(String),
}

/// Who asks. Empty strings when unknown (a question from the command line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asker {
    pub role: String,
    pub department: String,
    pub site: String,
}

/// One policy of a set, as listed on the Policies page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySummary {
    pub id: String,
    /// `permit` or `forbid`.
    pub effect: &'static str,
    pub reason: Option<String>,
}

/// A parsed and validated policy set. Policy ids come from each policy's `@id`
/// annotation (Cedar itself would number them), so reasons can name them stably.
#[derive(Debug, Clone)]
pub struct Policies {
    set: PolicySet,
    schema: Schema,
    text: String,
}

fn schema() -> Result<Schema, PolicyError> {
    Schema::from_cedarschema_str(SCHEMA)
        .map(|(s, _warnings)| s)
        .map_err(|e| PolicyError::Internal(format!("the built-in schema: {e}")))
}

impl Policies {
    /// Parses `text` and validates it against [`SCHEMA`] (strict mode). Templates are not
    /// supported; `@id`s must be unique.
    pub fn parse(text: &str) -> Result<Policies, PolicyError> {
        let schema = schema()?;
        let parsed =
            PolicySet::from_str(text).map_err(|e| PolicyError::Parse(errors_text(text, &e)))?;
        if parsed.templates().next().is_some() {
            return Err(PolicyError::Parse(
                "templates (policies with ?principal or ?resource) are not supported".into(),
            ));
        }
        let mut set = PolicySet::new();
        for p in parsed.policies() {
            let p = match p.annotation("id") {
                Some(id) => p.new_id(PolicyId::new(id)),
                None => p.clone(),
            };
            let id = p.id().to_string();
            set.add(p)
                .map_err(|_| PolicyError::Parse(format!("two policies have the @id {id:?}")))?;
        }
        let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
        if !result.validation_passed() {
            let msgs: Vec<String> = result
                .validation_errors()
                .map(ToString::to_string)
                .collect();
            return Err(PolicyError::Invalid(msgs.join("; ")));
        }
        Ok(Policies {
            set,
            schema,
            text: text.to_owned(),
        })
    }

    /// The built-in starting policies.
    pub fn defaults() -> Result<Policies, PolicyError> {
        Policies::parse(DEFAULT_POLICIES)
    }

    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every policy with its effect and reason, in id order.
    pub fn summaries(&self) -> Vec<PolicySummary> {
        let mut out: Vec<PolicySummary> = self
            .set
            .policies()
            .map(|p| PolicySummary {
                id: p.id().to_string(),
                effect: match p.effect() {
                    cedar_policy::Effect::Permit => "permit",
                    cedar_policy::Effect::Forbid => "forbid",
                },
                reason: p.annotation("reason").map(str::to_owned),
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    fn reason_of(&self, id: &PolicyId) -> String {
        self.set
            .policy(id)
            .and_then(|p| p.annotation("reason"))
            .map_or_else(|| format!("policy {id}"), str::to_owned)
    }
}

/// The parser's messages, one per error, each with the line and column it points at.
fn errors_text(text: &str, e: &cedar_policy::ParseErrors) -> String {
    use miette::Diagnostic;
    e.iter()
        .map(|err| {
            let place = err
                .labels()
                .and_then(|mut l| l.next())
                .map(|label| line_col(text, label.offset()));
            match place {
                Some((line, col)) => format!("line {line}, column {col}: {err}"),
                None => err.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A question as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub tool: String,
    pub purpose: String,
    pub data_class: String,
}

/// A tool suggested instead, with how to get it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alternative {
    pub tool: String,
    pub description: String,
    pub access_url: String,
    pub how_to: Vec<String>,
}

/// The answer: "Yes — here's how" (steps and link) or "No — but try this instead"
/// (reasons and permitted alternatives).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Answer {
    pub allowed: bool,
    pub tool: String,
    pub purpose: String,
    pub data_class: String,
    /// Why: the `@reason` of each deciding policy, or what the catalog lacks.
    pub reasons: Vec<String>,
    /// The ids of the policies that decided (empty when nothing permitted it).
    pub policies: Vec<String>,
    /// For a yes: how to start.
    pub how_to: Vec<String>,
    pub access_url: String,
    /// For a no: tools the policies permit for the same purpose and data.
    pub alternatives: Vec<Alternative>,
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, PolicyError> {
    let t = EntityTypeName::from_str(kind).map_err(|e| PolicyError::Internal(e.to_string()))?;
    Ok(EntityUid::from_type_name_and_id(t, EntityId::new(id)))
}

fn string_set(items: &[String]) -> RestrictedExpression {
    RestrictedExpression::new_set(
        items
            .iter()
            .map(|s| RestrictedExpression::new_string(s.clone())),
    )
}

fn tool_entity(t: &Tool) -> Result<Entity, PolicyError> {
    let attrs = HashMap::from([
        (
            "category".to_owned(),
            RestrictedExpression::new_string(t.category.clone()),
        ),
        (
            "approved".to_owned(),
            RestrictedExpression::new_bool(t.approved),
        ),
        ("purposes".to_owned(), string_set(&t.purposes)),
        ("data_classes".to_owned(), string_set(&t.data_classes)),
    ]);
    Entity::new(uid("Tool", &t.name)?, attrs, HashSet::new())
        .map_err(|e| PolicyError::Internal(e.to_string()))
}

/// The catalog and the policies, ready to answer questions.
pub struct Decider<'a> {
    policies: &'a Policies,
    catalog: &'a [Tool],
    tools: Vec<Entity>,
}

impl<'a> Decider<'a> {
    /// Builds the tools' Cedar entities once for many questions.
    pub fn new(policies: &'a Policies, catalog: &'a [Tool]) -> Result<Self, PolicyError> {
        let tools = catalog.iter().map(tool_entity).collect::<Result<_, _>>()?;
        Ok(Decider {
            policies,
            catalog,
            tools,
        })
    }

    /// The purposes the catalog names, sorted (what the question form offers).
    pub fn purposes(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .catalog
            .iter()
            .flat_map(|t| t.purposes.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }

    fn tool(&self, name: &str) -> Result<&'a Tool, PolicyError> {
        let wanted = name.trim();
        self.catalog
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| PolicyError::UnknownTool {
                name: name.to_owned(),
                known: self
                    .catalog
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Cedar's decision and the ids of the policies that decided it.
    fn decide(
        &self,
        entities: &Entities,
        asker: &EntityUid,
        tool: &Tool,
        purpose: &str,
        class: &str,
    ) -> Result<(bool, Vec<PolicyId>), PolicyError> {
        let context = Context::from_pairs([
            (
                "purpose".to_owned(),
                RestrictedExpression::new_string(purpose.to_owned()),
            ),
            (
                "data_class".to_owned(),
                RestrictedExpression::new_string(class.to_owned()),
            ),
        ])
        .map_err(|e| PolicyError::Internal(e.to_string()))?;
        let request = Request::new(
            asker.clone(),
            uid("Action", "use")?,
            uid("Tool", &tool.name)?,
            context,
            Some(&self.policies.schema),
        )
        .map_err(|e| PolicyError::Internal(e.to_string()))?;
        let response = Authorizer::new().is_authorized(&request, &self.policies.set, entities);
        if let Some(err) = response.diagnostics().errors().next() {
            return Err(PolicyError::Internal(err.to_string()));
        }
        let mut ids: Vec<PolicyId> = response.diagnostics().reason().cloned().collect();
        ids.sort_by_key(ToString::to_string);
        Ok((response.decision() == Decision::Allow, ids))
    }

    /// Answers one question for `asker`.
    pub fn ask(&self, asker: &Asker, q: &Question) -> Result<Answer, PolicyError> {
        let tool = self.tool(&q.tool)?;
        let purpose = purpose(&q.purpose)?;
        let class = data_class(&q.data_class)?;
        let asker_uid = uid("User", "asker")?;
        let user = Entity::new(
            asker_uid.clone(),
            HashMap::from([
                (
                    "role".to_owned(),
                    RestrictedExpression::new_string(asker.role.clone()),
                ),
                (
                    "department".to_owned(),
                    RestrictedExpression::new_string(asker.department.clone()),
                ),
                (
                    "site".to_owned(),
                    RestrictedExpression::new_string(asker.site.clone()),
                ),
            ]),
            HashSet::new(),
        )
        .map_err(|e| PolicyError::Internal(e.to_string()))?;
        let entities = Entities::from_entities(
            self.tools.iter().cloned().chain([user]),
            Some(&self.policies.schema),
        )
        .map_err(|e| PolicyError::Internal(e.to_string()))?;

        let (allowed, ids) = self.decide(&entities, &asker_uid, tool, &purpose, &class)?;
        let mut reasons: Vec<String> = ids.iter().map(|id| self.policies.reason_of(id)).collect();
        if !allowed && ids.is_empty() {
            reasons = catalog_gaps(tool, &purpose, &class);
        }
        let mut answer = Answer {
            allowed,
            tool: tool.name.clone(),
            purpose: purpose.clone(),
            data_class: class.clone(),
            reasons,
            policies: ids.iter().map(ToString::to_string).collect(),
            how_to: Vec::new(),
            access_url: String::new(),
            alternatives: Vec::new(),
        };
        if allowed {
            answer.how_to = tool.how_to.clone();
            answer.access_url = tool.access_url.clone();
            return Ok(answer);
        }
        // The tool's own suggestions first, in its order, then the rest by name.
        let mut order: Vec<&Tool> = tool
            .alternatives
            .iter()
            .filter_map(|n| self.catalog.iter().find(|t| t.name.eq_ignore_ascii_case(n)))
            .collect();
        let mut rest: Vec<&Tool> = self
            .catalog
            .iter()
            .filter(|t| !order.iter().any(|o| o.name == t.name))
            .collect();
        rest.sort_by(|a, b| a.name.cmp(&b.name));
        order.extend(rest);
        for other in order {
            if other.name == tool.name {
                continue;
            }
            if self
                .decide(&entities, &asker_uid, other, &purpose, &class)?
                .0
            {
                answer.alternatives.push(Alternative {
                    tool: other.name.clone(),
                    description: other.description.clone(),
                    access_url: other.access_url.clone(),
                    how_to: other.how_to.clone(),
                });
            }
        }
        Ok(answer)
    }
}

/// Why the catalog entry gives no permit, in words.
fn catalog_gaps(tool: &Tool, purpose: &str, class: &str) -> Vec<String> {
    let mut out = Vec::new();
    if !tool.approved {
        out.push(format!("{} is not an approved tool", tool.name));
    }
    if !tool.purposes.iter().any(|p| p == purpose) {
        out.push(format!(
            "{} is not approved for {purpose} (it is for: {})",
            tool.name,
            list_or_nothing(&tool.purposes)
        ));
    }
    if !tool.data_classes.iter().any(|c| c == class) {
        out.push(format!(
            "{class} data may not go into {} (allowed: {})",
            tool.name,
            list_or_nothing(&tool.data_classes)
        ));
    }
    if out.is_empty() {
        out.push("no policy permits this use".to_owned());
    }
    out
}

fn list_or_nothing(items: &[String]) -> String {
    if items.is_empty() {
        "nothing yet".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests;
