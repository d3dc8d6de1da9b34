//! "Can I?", the tools catalog and the policies: one place that loads the policies in
//! force, answers a question for an account, and logs it as a demand signal; the pages and
//! API endpoints over it; and the admin's policy editor.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use flywheel_app::can_i::Answered;
use flywheel_domain::program::{Tool, DATA_CLASSES};
use flywheel_policy::{Answer, Decider, PolicySummary, Question};
use flywheel_store::{Channel, PolicyVersion};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{paged, ApiCaller, JsonBody, PageParams};
use crate::auth::{self, Caller};
use crate::error::{ApiError, ErrorCode};
use crate::page::{render, render_with, Nav, PageError};
use crate::page::{PageCaller, PageForm};
use crate::query::{ApiQuery, PageQuery};
use crate::wire::{words, Page, Read, Unprocessable, Write};
use crate::AppState;
use flywheel_app::chat_ask::ChatAnswer;

/// The answer: "Yes, here's how" (steps and link) or "No, but try this instead" (reasons
/// and permitted alternatives), with the version of the policies that gave it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Answer)]
pub struct AnsweredOut {
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
    pub alternatives: Vec<AlternativeOut>,
    /// The policy version in force; `null` while the built-in defaults have never been
    /// edited.
    pub policy_version: Option<i64>,
}

/// A tool to try instead.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Alternative)]
pub struct AlternativeOut {
    pub tool: String,
    pub description: String,
    pub access_url: String,
    pub how_to: Vec<String>,
}

impl From<Answered> for AnsweredOut {
    fn from(a: Answered) -> Self {
        let Answer {
            allowed,
            tool,
            purpose,
            data_class,
            reasons,
            policies,
            how_to,
            access_url,
            alternatives,
        } = a.answer;
        AnsweredOut {
            allowed,
            tool,
            purpose,
            data_class,
            reasons,
            policies,
            how_to,
            access_url,
            alternatives: alternatives
                .into_iter()
                .map(|a| AlternativeOut {
                    tool: a.tool,
                    description: a.description,
                    access_url: a.access_url,
                    how_to: a.how_to,
                })
                .collect(),
            policy_version: a.policy_version,
        }
    }
}

/// `?tool=&purpose=&data=` of "Can I?".
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct QuestionQuery {
    /// A catalog tool's name (case-insensitive).
    tool: String,
    /// What for, e.g. summarising.
    purpose: String,
    /// The class of data.
    #[param(schema_with = data_class)]
    data: String,
    /// Instead of the three: the question in plain words ("can I use chat gpt to summarise
    /// a customer contract?"), read as the chat app and `flywheel can-i` read it.
    q: String,
}

fn data_class() -> utoipa::openapi::Object {
    words(
        DATA_CLASSES.iter().map(|(name, _)| *name),
        "The class of data.",
    )
}

impl QuestionQuery {
    /// The question, when all three are given.
    fn question(&self) -> Option<Question> {
        let get = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
        Some(Question {
            tool: get(&self.tool)?,
            purpose: get(&self.purpose)?,
            data_class: get(&self.data)?,
        })
    }

    /// The names of the parameters left empty.
    fn missing(&self) -> Vec<&'static str> {
        [
            ("tool", &self.tool),
            ("purpose", &self.purpose),
            ("data", &self.data),
        ]
        .into_iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(k, _)| k)
        .collect()
    }
}

#[derive(Template)]
#[template(path = "can_i.html")]
struct CanIPage {
    nav: Nav,
    tools: Vec<String>,
    purposes: Vec<String>,
    classes: Vec<(&'static str, &'static str)>,
    tool: String,
    purpose: String,
    data: String,
    /// The question in plain words, when asked so.
    words: String,
    /// What the words left open, when they did not settle the answer.
    read: String,
    answer: Option<Answer>,
    error: String,
}

/// `GET /can-i?tool=&purpose=&data=`: the form, and the answer when all three are given.
pub async fn page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<QuestionQuery>,
) -> Result<Response, PageError> {
    let app = st.app(&caller);
    let catalog = app.catalog().await?;
    let (policies, _) = app.policies().await?;
    let purposes = Decider::new(&policies, &catalog)
        .map_err(flywheel_app::AppError::from)?
        .purposes();
    let mut p = CanIPage {
        nav: Nav::of(&caller, "/can-i"),
        tools: catalog.iter().map(|t| t.name.clone()).collect(),
        purposes,
        classes: DATA_CLASSES.to_vec(),
        tool: q.tool.clone(),
        purpose: q.purpose.clone(),
        data: q.data.clone(),
        words: q.q.trim().to_owned(),
        read: String::new(),
        answer: None,
        error: String::new(),
    };
    let mut status = StatusCode::OK;
    if q.question().is_none() && !p.words.is_empty() {
        // Plain words: decided when the words settle it, else the form comes back filled
        // with what was read and the rest to choose.
        match app.chat_can_i(&p.words, Channel::Web).await? {
            ChatAnswer::Answered(a) => p.answer = Some(a.answer),
            ChatAnswer::Unclear { reading, .. } => {
                p.tool = reading.tool.clone().unwrap_or_default();
                p.purpose = reading.purpose.clone().unwrap_or_default();
                p.data = reading.data_class.clone().unwrap_or_default();
                let could = if reading.tool_candidates.is_empty() {
                    String::new()
                } else {
                    format!(" (it could be {})", reading.tool_candidates.join(" or "))
                };
                p.read = format!(
                    "The answer depends on {}{could}: choose below.",
                    reading.missing().join(", ")
                );
            }
        }
    } else if let Some(question) = q.question() {
        match app
            .ask(&question, Channel::Web)
            .await
            .map_err(ApiError::from)
        {
            Ok(a) => p.answer = Some(a.answer),
            Err(e) if e.status() == StatusCode::BAD_REQUEST => {
                status = e.status();
                p.error = e.message;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render_with(status, &p)?.into_response())
}

/// "Can I use this tool for this purpose with this data?"
///
/// Who: any role. Each question is logged as demand.
#[utoipa::path(get, path = "/can-i", params(QuestionQuery), responses((status = 200, body = AnsweredOut), Read))]
pub async fn api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(q): ApiQuery<QuestionQuery>,
) -> Result<Json<AnsweredOut>, ApiError> {
    let app = st.app(&caller);
    if q.question().is_none() && !q.q.trim().is_empty() {
        return match app.chat_can_i(q.q.trim(), Channel::Api).await? {
            ChatAnswer::Answered(a) => Ok(Json((*a).into())),
            ChatAnswer::Unclear { reading, .. } => Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!(
                    "the answer depends on {}, which the words leave open: give `tool`, `purpose` and `data`",
                    reading.missing().join(", ")
                ),
            )),
        };
    }
    let question = q.question().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "parameter `{}` is required (or `q`, the question in plain words)",
                q.missing().join("`, `")
            ),
        )
    })?;
    Ok(Json(app.ask(&question, Channel::Api).await?.into()))
}

#[derive(Template)]
#[template(path = "tools.html")]
struct ToolsPage {
    nav: Nav,
    tools: Vec<Tool>,
}

/// `GET /tools`: the catalog.
pub async fn tools_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
) -> Result<Html<String>, PageError> {
    render(&ToolsPage {
        nav: Nav::of(&caller, "/tools"),
        tools: st.app(&caller).catalog().await?,
    })
}

/// A tool of the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Tool)]
#[serde(deny_unknown_fields)]
pub struct ToolOut {
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    /// One click to access or request the tool; empty when there is none.
    #[serde(default)]
    pub access_url: String,
    /// How to get started, step by step.
    #[serde(default)]
    pub how_to: Vec<String>,
    #[serde(default)]
    pub purposes: Vec<String>,
    #[serde(default)]
    pub data_classes: Vec<String>,
    /// Names of tools to suggest first when this one is not allowed.
    #[serde(default)]
    pub alternatives: Vec<String>,
    #[serde(default)]
    pub approved: bool,
}

/// A catalog entry as sent to `PUT /api/v1/tools/{name}` (`name` may be left out: the
/// path gives it).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = ToolIn)]
#[serde(deny_unknown_fields)]
pub struct ToolIn {
    #[serde(default)]
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub access_url: String,
    #[serde(default)]
    pub how_to: Vec<String>,
    #[serde(default)]
    pub purposes: Vec<String>,
    #[serde(default)]
    pub data_classes: Vec<String>,
    #[serde(default)]
    pub alternatives: Vec<String>,
    #[serde(default)]
    pub approved: bool,
}

impl From<Tool> for ToolOut {
    fn from(t: Tool) -> ToolOut {
        ToolOut {
            name: t.name,
            category: t.category,
            description: t.description,
            access_url: t.access_url,
            how_to: t.how_to,
            purposes: t.purposes,
            data_classes: t.data_classes,
            alternatives: t.alternatives,
            approved: t.approved,
        }
    }
}

impl From<ToolIn> for Tool {
    fn from(t: ToolIn) -> Tool {
        Tool {
            name: t.name,
            category: t.category,
            description: t.description,
            access_url: t.access_url,
            how_to: t.how_to,
            purposes: t.purposes,
            data_classes: t.data_classes,
            alternatives: t.alternatives,
            approved: t.approved,
        }
    }
}

/// The tools catalog
///
/// Who: any role.
#[utoipa::path(get, path = "/tools", params(PageParams), responses((status = 200, body = Page<ToolOut>), Read))]
pub async fn tools_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(q): ApiQuery<PageParams>,
) -> Result<Json<Page<ToolOut>>, ApiError> {
    let all = st.app(&caller).catalog().await?;
    paged(all, &q)
}

/// What `PUT /api/v1/tools/{name}` did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolSaved {
    pub name: String,
    /// False when the entry was already exactly this.
    pub changed: bool,
}

/// Add or replace a catalog entry
///
/// Who: admins.
#[utoipa::path(put, path = "/tools/{name}", params(("name" = String, Path, description = "The tool's name.")),
    request_body = ToolIn, responses((status = 200, body = ToolSaved), Write))]
pub async fn put_tool(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: JsonBody,
) -> Result<Json<ToolSaved>, ApiError> {
    caller.require_admin("edit the catalog")?;
    auth::check_api_write(&caller, &headers)?;
    let mut tool: Tool = body.parse::<ToolIn>()?.into();
    if tool.name.trim().is_empty() {
        tool.name = name.clone();
    }
    if tool.name.trim() != name.trim() {
        return Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "field `name` ({:?}) differs from the path ({name:?})",
                tool.name
            ),
        ));
    }
    let changed = st.app(&caller).save_tool(tool).await?;
    Ok(Json(ToolSaved {
        name: name.trim().to_owned(),
        changed,
    }))
}

/// The policies in force, as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Policies)]
pub struct PoliciesOut {
    /// `null` while the built-in defaults have never been edited.
    pub version: Option<i64>,
    /// The Cedar text.
    pub text: String,
    pub policies: Vec<PolicyOut>,
    /// The Cedar schema every version is validated against.
    pub schema: &'static str,
}

/// One policy of the set.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Policy)]
pub struct PolicyOut {
    pub id: String,
    #[schema(schema_with = effect)]
    pub effect: &'static str,
    pub reason: Option<String>,
}

fn effect() -> utoipa::openapi::Object {
    words(
        ["permit", "forbid"],
        "What the policy does when it applies.",
    )
}

impl From<PolicySummary> for PolicyOut {
    fn from(p: PolicySummary) -> PolicyOut {
        PolicyOut {
            id: p.id,
            effect: p.effect,
            reason: p.reason,
        }
    }
}

/// The Cedar policies in force, with the schema
///
/// Who: any role (people may see the rules that decide for them).
#[utoipa::path(get, path = "/policies", responses((status = 200, body = PoliciesOut), Read))]
pub async fn policies_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<PoliciesOut>, ApiError> {
    let (p, version) = st.app(&caller).policies().await?;
    Ok(Json(PoliciesOut {
        version,
        text: p.text().to_owned(),
        policies: p.summaries().into_iter().map(PolicyOut::from).collect(),
        schema: flywheel_policy::SCHEMA,
    }))
}

/// Body of `PUT /api/v1/policies`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PolicyIn {
    /// The whole policy set, in Cedar.
    pub text: String,
    /// Why it changed (kept with the version).
    #[serde(default)]
    pub note: String,
}

/// The version in force after a change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PolicyVersion)]
pub struct PolicyVersionOut {
    pub version: i64,
}

/// Validates and saves a policy set for `caller` (an admin); the version in force after.
async fn save(st: &AppState, caller: &Caller, text: &str, note: &str) -> Result<i64, ApiError> {
    Ok(st.app(caller).save_policies(text, note).await?)
}

/// A new version of the policies
///
/// Who: admins. Refused with Cedar's message (line and column) when the text does not
/// parse or fit the schema.
#[utoipa::path(put, path = "/policies", request_body = PolicyIn,
    responses((status = 200, body = PolicyVersionOut), Write, Unprocessable))]
pub async fn put_policies(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Json<PolicyVersionOut>, ApiError> {
    caller.require_admin("change the policies")?;
    auth::check_api_write(&caller, &headers)?;
    let body: PolicyIn = body.parse()?;
    let version = save(&st, &caller, &body.text, &body.note).await?;
    Ok(Json(PolicyVersionOut { version }))
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    nav: Nav,
    text: String,
    version: Option<i64>,
    summaries: Vec<PolicySummary>,
    history: Vec<PolicyVersion>,
    schema: &'static str,
    error: String,
    saved: bool,
}

async fn policies_page_with(
    st: &AppState,
    caller: &Caller,
    text: Option<String>,
    error: String,
    saved: bool,
) -> Result<PoliciesPage, PageError> {
    let (p, version) = st.app(caller).policies().await?;
    Ok(PoliciesPage {
        nav: Nav::of(caller, "/admin/policies"),
        text: text.unwrap_or_else(|| p.text().to_owned()),
        version,
        summaries: p.summaries(),
        history: st.app(caller).policy_history(20).await?,
        schema: flywheel_policy::SCHEMA,
        error,
        saved,
    })
}

/// `GET /admin/policies?saved=1` after a save.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// `GET /admin/policies`: the editor (admin).
pub async fn policies_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<SavedQuery>,
) -> Result<Html<String>, PageError> {
    caller.require_admin("change the policies")?;
    let saved = q.saved.is_some();
    render(&policies_page_with(&st, &caller, None, String::new(), saved).await?)
}

/// The form of `POST /admin/policies`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PolicyForm {
    text: String,
    note: String,
}

/// `POST /admin/policies`: saves a new version, or shows the text again with Cedar's
/// message (422).
pub async fn policies_post(
    State(st): State<AppState>,
    PageForm { caller, fields: f }: PageForm<PolicyForm>,
) -> Result<Response, PageError> {
    caller.require_admin("change the policies")?;
    let PolicyForm { text, note } = f;
    match save(&st, &caller, &text, &note).await {
        Ok(_) => Ok(Redirect::to("/admin/policies?saved=1").into_response()),
        Err(e) if e.code == ErrorCode::InvalidPolicy.code() => {
            let p = policies_page_with(&st, &caller, Some(text), e.message, false).await?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &p)?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}
