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

use crate::api::{paged, ApiCaller, JsonBody, PageParams};
use crate::auth::{self, Caller};
use crate::error::{ApiError, ErrorCode};
use crate::page::{render, render_with, Nav, PageError};
use crate::page::{PageCaller, PageForm};
use crate::query::{ApiQuery, PageQuery};
use crate::AppState;

/// An answer with the version of the policies that gave it, as the API sends it.
#[derive(Debug, Clone, Serialize)]
pub struct AnsweredOut {
    #[serde(flatten)]
    pub answer: Answer,
    /// The policy version in force; `null` while the built-in defaults have never been
    /// edited.
    pub policy_version: Option<i64>,
}

impl From<Answered> for AnsweredOut {
    fn from(a: Answered) -> Self {
        AnsweredOut {
            answer: a.answer,
            policy_version: a.policy_version,
        }
    }
}

/// `?tool=&purpose=&data=` of "Can I?".
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QuestionQuery {
    tool: String,
    purpose: String,
    data: String,
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
    answer: Option<Answer>,
    error: String,
}

/// `GET /can-i?tool=&purpose=&data=`: the form, and the answer when all three are given.
pub async fn page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<QuestionQuery>,
) -> Result<Response, PageError> {
    let catalog = st.store.catalog().await?;
    let app = st.app(&caller);
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
        answer: None,
        error: String::new(),
    };
    let mut status = StatusCode::OK;
    if let Some(question) = q.question() {
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

/// `GET /api/v1/can-i?tool=&purpose=&data=`.
pub async fn api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(q): ApiQuery<QuestionQuery>,
) -> Result<Json<AnsweredOut>, ApiError> {
    let question = q.question().ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!("parameter `{}` is required", q.missing().join("`, `")),
        )
    })?;
    Ok(Json(
        st.app(&caller).ask(&question, Channel::Api).await?.into(),
    ))
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
        tools: st.store.catalog().await?,
    })
}

/// `GET /api/v1/tools`: the catalog, paged.
pub async fn tools_api(
    State(st): State<AppState>,
    _: ApiCaller,
    ApiQuery(q): ApiQuery<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    let all = st.store.catalog().await?;
    paged(all, &q)
}

/// `PUT /api/v1/tools/{name}`: adds or replaces a catalog entry (admin).
pub async fn put_tool(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: JsonBody,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require_admin("edit the catalog")?;
    auth::check_api_write(&caller, &headers)?;
    let mut tool: Tool = body.parse()?;
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
    Ok(Json(
        serde_json::json!({ "name": name.trim(), "changed": changed }),
    ))
}

/// The policies as the API shows them.
#[derive(Debug, Serialize)]
pub struct PoliciesOut {
    pub version: Option<i64>,
    pub text: String,
    pub policies: Vec<PolicySummary>,
    pub schema: &'static str,
}

/// `GET /api/v1/policies`: the policies in force (readable by every role: people may see
/// the rules that decide for them).
pub async fn policies_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<PoliciesOut>, ApiError> {
    let (p, version) = st.app(&caller).policies().await?;
    Ok(Json(PoliciesOut {
        version,
        text: p.text().to_owned(),
        policies: p.summaries(),
        schema: flywheel_policy::SCHEMA,
    }))
}

/// Body of `PUT /api/v1/policies`.
#[derive(Debug, Deserialize)]
pub struct PolicyIn {
    pub text: String,
    #[serde(default)]
    pub note: String,
}

/// Validates and saves a policy set for `caller` (an admin); the version in force after.
async fn save(st: &AppState, caller: &Caller, text: &str, note: &str) -> Result<i64, ApiError> {
    Ok(st.app(caller).save_policies(text, note).await?)
}

/// `PUT /api/v1/policies`: a new version (admin); refused with Cedar's message when the
/// text does not parse or fit the schema.
pub async fn put_policies(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require_admin("change the policies")?;
    auth::check_api_write(&caller, &headers)?;
    let body: PolicyIn = body.parse()?;
    let version = save(&st, &caller, &body.text, &body.note).await?;
    Ok(Json(serde_json::json!({ "version": version })))
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
        history: st.store.policy_history(20).await?,
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
