//! Access requests with their response clock (request, grant or deny, withdraw, reminders
//! past the target) and incidents (report, triage, the guardrail each led to). Requests
//! and incidents name people: employees see their own, admins see all.

use flywheel_domain::program::{IncidentState, RequestState, Severity};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use flywheel_app::requests::IncidentReport;
use flywheel_domain::program::DATA_CLASSES;
use flywheel_store::{AccessRequestRow, IncidentRow, PolicyVersion};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::{paged, ApiCaller, JsonBody, PageParams};
use crate::auth::{self, Caller};
use crate::error::{ApiError, ErrorCode};
use crate::page::{render, Nav, PageError};
use crate::page::{PageCaller, PageForm};
use crate::query::{ApiQuery, Done, PageQuery};
use crate::wire::{words, AccessClock, AccessRequest, Incident, Missing, Page, Read, Write};
use crate::AppState;

fn id_of(what: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::new(ErrorCode::NotFound, format!("no {what} {raw:?}")))
}

// ---------------------------------------------------------------- access requests

/// Body of `POST /api/v1/access-requests`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestIn {
    /// A catalog tool's name.
    pub tool: String,
    /// What it is for.
    #[serde(default)]
    pub reason: String,
}

/// A word of a form or body as its domain value; an unknown word is the caller's error.
fn word<T>(parsed: Result<T, flywheel_domain::DomainError>) -> Result<T, ApiError> {
    Ok(parsed.map_err(flywheel_app::AppError::from)?)
}

async fn request(st: &AppState, caller: &Caller, r: &RequestIn) -> Result<i64, ApiError> {
    Ok(st.app(caller).request_access(&r.tool, &r.reason).await?)
}

/// Body of `POST /api/v1/access-requests/{id}/decision`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    #[schema(schema_with = decision)]
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

fn decision() -> utoipa::openapi::Object {
    words(
        ["granted", "denied", "withdrawn"],
        "granted or denied (admins), or withdrawn (the requester).",
    )
}

async fn decide(
    st: &AppState,
    caller: &Caller,
    id: i64,
    d: &DecisionIn,
) -> Result<AccessRequestRow, ApiError> {
    Ok(st
        .app(caller)
        .decide_request(id, word(RequestState::parse(&d.decision))?, &d.note)
        .await?)
}

/// The requests a caller may see: all for admins, their own for others.
async fn visible_requests(
    st: &AppState,
    caller: &Caller,
    state: Option<&str>,
) -> Result<Vec<AccessRequestRow>, ApiError> {
    Ok(st.app(caller).visible_requests(state).await?)
}

#[derive(Template)]
#[template(path = "requests.html")]
struct RequestsPage {
    nav: Nav,
    clock: AccessClock,
    requests: Vec<AccessRequestRow>,
    tools: Vec<String>,
    tool: String,
    can_request: bool,
    message: String,
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".to_owned(), |x| format!("{x:.digits$}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |x| format!("{:.0}%", x * 100.0))
}

impl RequestsPage {
    fn median(&self) -> String {
        fmt_opt(self.clock.median_hours_to_decision, 1)
    }
    fn p90(&self) -> String {
        fmt_opt(self.clock.p90_hours_to_decision, 1)
    }
    fn within(&self) -> String {
        pct(self.clock.share_within_target)
    }
    fn first_use(&self) -> String {
        fmt_opt(self.clock.median_days_grant_to_first_use, 0)
    }
    fn same_day(&self) -> String {
        pct(self.clock.share_used_same_day)
    }
}

/// `?tool=&done=` of the requests page (a tool to request, the outcome of its forms).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestsQuery {
    tool: String,
    done: String,
}

/// `?state=&page=&per_page=` of the requests list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct RequestListQuery {
    /// Only this state.
    #[param(schema_with = crate::wire::request_state)]
    state: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    paging: PageParams,
}

/// `GET /requests?tool=`: request access; for admins, the queue with its clock.
pub async fn requests_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<RequestsQuery>,
) -> Result<Html<String>, PageError> {
    render(&RequestsPage {
        nav: Nav::of(&caller, "/requests"),
        clock: st.app(&caller).access_clock().await?.into(),
        requests: visible_requests(&st, &caller, None).await?,
        tools: st
            .app(&caller)
            .catalog()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        tool: q.tool,
        can_request: caller.require_write("").is_ok() && caller.user.person_id.is_some(),
        message: match q.done.as_str() {
            "requested" => "Request sent. You will see the decision here.".into(),
            "decided" => "Decision recorded.".into(),
            _ => String::new(),
        },
    })
}

/// The form of `POST /requests`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    tool: String,
    reason: String,
}

/// The form of `POST /requests/{id}/decision`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    note: String,
}

/// The form of `POST /incidents`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IncidentForm {
    tool: Option<String>,
    data_class: String,
    severity: String,
    what: String,
}

/// The form of `POST /incidents/{id}/triage` and `…/guardrail`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IncidentUpdateForm {
    state: String,
    policy_version: String,
    note: String,
}

/// `POST /requests`.
pub async fn requests_post(
    State(st): State<AppState>,
    PageForm { caller, fields: f }: PageForm<RequestForm>,
) -> Result<Response, PageError> {
    let r = RequestIn {
        tool: f.tool,
        reason: f.reason,
    };
    request(&st, &caller, &r).await?;
    Ok(Redirect::to("/requests?done=requested").into_response())
}

/// `POST /requests/{id}/decision` (granted or denied by admins, withdrawn by the requester).
pub async fn decision_post(
    State(st): State<AppState>,
    Path(raw): Path<String>,
    PageForm { caller, fields: f }: PageForm<DecisionForm>,
) -> Result<Response, PageError> {
    let d = DecisionIn {
        decision: f.decision,
        note: f.note,
    };
    decide(&st, &caller, id_of("request", &raw)?, &d).await?;
    Ok(Redirect::to("/requests?done=decided").into_response())
}

/// Access requests
///
/// Who: any role; admins see all (audited), others their own.
#[utoipa::path(get, path = "/access-requests", params(RequestListQuery, PageParams),
    responses((status = 200, body = Page<AccessRequest>), Read))]
pub async fn requests_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(q): ApiQuery<RequestListQuery>,
) -> Result<Json<Page<AccessRequest>>, ApiError> {
    let state = match q.state.as_deref() {
        None => None,
        Some(s) => Some(RequestState::parse(s).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidParameter,
                format!("parameter `state`: {e}"),
            )
        })?),
    };
    paged(
        visible_requests(&st, &caller, state.map(RequestState::as_str)).await?,
        &q.paging,
    )
}

/// Request access to a catalog tool
///
/// Who: every role but viewer, with an account linked to a person.
#[utoipa::path(post, path = "/access-requests", request_body = RequestIn,
    responses((status = 201, body = AccessRequest), Write))]
pub async fn requests_api_post(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    caller.require_write("request access")?;
    auth::check_api_write(&caller, &headers)?;
    let r: RequestIn = body.parse()?;
    let id = request(&st, &caller, &r).await?;
    Ok((
        StatusCode::CREATED,
        Json(AccessRequest::from(
            st.app(&caller).access_request(id).await?,
        )),
    )
        .into_response())
}

/// Grant or deny, or withdraw
///
/// Who: admins grant or deny; the requester withdraws.
#[utoipa::path(post, path = "/access-requests/{id}/decision", params(("id" = i64, Path, description = "The request's id.")),
    request_body = DecisionIn, responses((status = 200, body = AccessRequest), Write, Missing))]
pub async fn decision_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: JsonBody,
) -> Result<Json<AccessRequest>, ApiError> {
    caller.require_write("decide requests")?;
    auth::check_api_write(&caller, &headers)?;
    let d: DecisionIn = body.parse()?;
    Ok(Json(
        decide(&st, &caller, id_of("request", &raw)?, &d)
            .await?
            .into(),
    ))
}

/// The response clock
///
/// Who: any role (aggregates).
#[utoipa::path(get, path = "/access-requests/clock", responses((status = 200, body = AccessClock), Read))]
pub async fn clock_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<AccessClock>, ApiError> {
    Ok(Json(st.app(&caller).access_clock().await?.into()))
}

// ---------------------------------------------------------------- incidents

/// Body of `POST /api/v1/incidents`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentIn {
    /// The catalog tool involved, if any.
    #[serde(default)]
    pub tool: Option<String>,
    /// The class of the data involved.
    pub data_class: String,
    #[schema(schema_with = crate::wire::severity)]
    pub severity: String,
    /// What happened.
    pub what: String,
}

async fn report(st: &AppState, caller: &Caller, i: &IncidentIn) -> Result<i64, ApiError> {
    let r = IncidentReport {
        tool: i.tool.clone(),
        data_class: i.data_class.clone(),
        severity: word(Severity::parse(&i.severity.to_lowercase()))?,
        what: i.what.clone(),
    };
    Ok(st.app(caller).report_incident(&r).await?)
}

async fn visible_incidents(st: &AppState, caller: &Caller) -> Result<Vec<IncidentRow>, ApiError> {
    Ok(st.app(caller).visible_incidents().await?)
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    nav: Nav,
    incidents: Vec<IncidentRow>,
    tools: Vec<String>,
    classes: Vec<(&'static str, &'static str)>,
    severities: Vec<&'static str>,
    states: Vec<&'static str>,
    versions: Vec<PolicyVersion>,
    can_report: bool,
    message: String,
}

/// `GET /incidents`: report one; admins triage all and link guardrails.
pub async fn incidents_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<Done>,
) -> Result<Html<String>, PageError> {
    render(&IncidentsPage {
        nav: Nav::of(&caller, "/incidents"),
        incidents: visible_incidents(&st, &caller).await?,
        tools: st
            .app(&caller)
            .catalog()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        classes: DATA_CLASSES.to_vec(),
        severities: Severity::ALL.iter().map(|s| s.as_str()).collect(),
        states: IncidentState::ALL.iter().map(|s| s.as_str()).collect(),
        versions: if caller.is_admin() {
            st.app(&caller).policy_history(50).await?
        } else {
            vec![]
        },
        can_report: caller.require_write("").is_ok(),
        message: match q.done.as_str() {
            "reported" => {
                "Thank you. Reporting is how guardrails get better, not how people get blamed."
                    .into()
            }
            "updated" => "Incident updated.".into(),
            _ => String::new(),
        },
    })
}

/// `POST /incidents`.
pub async fn incidents_post(
    State(st): State<AppState>,
    PageForm { caller, fields: f }: PageForm<IncidentForm>,
) -> Result<Response, PageError> {
    let i = IncidentIn {
        tool: f.tool.filter(|t| !t.is_empty()),
        data_class: f.data_class,
        severity: f.severity,
        what: f.what,
    };
    report(&st, &caller, &i).await?;
    Ok(Redirect::to("/incidents?done=reported").into_response())
}

/// Body of `POST /api/v1/incidents/{id}/triage`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageIn {
    #[schema(schema_with = triage_state)]
    pub state: String,
}

fn triage_state() -> utoipa::openapi::Object {
    words(
        ["triaged", "contained", "resolved"],
        "The state to move to (forward only).",
    )
}

/// Body of `POST /api/v1/incidents/{id}/guardrail`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardrailIn {
    /// The policy version the incident led to.
    pub policy_version: i64,
    #[serde(default)]
    pub note: String,
}

/// `POST /incidents/{id}/triage` and `/incidents/{id}/guardrail` (admins).
pub async fn incident_update_post(
    State(st): State<AppState>,
    Path((raw, action)): Path<(String, String)>,
    PageForm { caller, fields: f }: PageForm<IncidentUpdateForm>,
) -> Result<Response, PageError> {
    caller.require_admin("triage incidents")?;
    let id = id_of("incident", &raw)?;
    match action.as_str() {
        "triage" => {
            let to = word(IncidentState::parse(&f.state))?;
            st.app(&caller).triage_incident(id, to).await?;
        }
        "guardrail" => {
            let v = f.policy_version.as_str();
            let v = v.parse::<i64>().map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!("field `policy_version`: {v:?} is not a version"),
                )
            })?;
            st.app(&caller).link_guardrail(id, v, &f.note).await?;
        }
        _ => {
            return Err(ApiError::new(ErrorCode::NotFound, format!("no action {action:?}")).into())
        }
    }
    Ok(Redirect::to("/incidents?done=updated").into_response())
}

/// Incidents
///
/// Who: any role; admins see all, others what they reported.
#[utoipa::path(get, path = "/incidents", params(PageParams), responses((status = 200, body = Page<Incident>), Read))]
pub async fn incidents_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(q): ApiQuery<PageParams>,
) -> Result<Json<Page<Incident>>, ApiError> {
    paged(visible_incidents(&st, &caller).await?, &q)
}

/// Report an incident
///
/// Who: every role but viewer.
#[utoipa::path(post, path = "/incidents", request_body = IncidentIn, responses((status = 201, body = Incident), Write))]
pub async fn incidents_api_post(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    caller.require_write("report incidents")?;
    auth::check_api_write(&caller, &headers)?;
    let i: IncidentIn = body.parse()?;
    let id = report(&st, &caller, &i).await?;
    let incident = Incident::from(st.app(&caller).incident(id).await?);
    Ok((StatusCode::CREATED, Json(incident)).into_response())
}

/// Move an incident forward in triage
///
/// Who: admins.
#[utoipa::path(post, path = "/incidents/{id}/triage", params(("id" = i64, Path, description = "The incident's id.")),
    request_body = TriageIn, responses((status = 200, body = Incident), Write, Missing))]
pub async fn triage_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: JsonBody,
) -> Result<Json<Incident>, ApiError> {
    caller.require_admin("triage incidents")?;
    auth::check_api_write(&caller, &headers)?;
    let t: TriageIn = body.parse()?;
    let id = id_of("incident", &raw)?;
    let to = word(IncidentState::parse(&t.state))?;
    Ok(Json(st.app(&caller).triage_incident(id, to).await?.into()))
}

/// Link the policy version an incident led to
///
/// Who: admins.
#[utoipa::path(post, path = "/incidents/{id}/guardrail", params(("id" = i64, Path, description = "The incident's id.")),
    request_body = GuardrailIn, responses((status = 200, body = Incident), Write, Missing))]
pub async fn guardrail_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: JsonBody,
) -> Result<Json<Incident>, ApiError> {
    caller.require_admin("link guardrails")?;
    auth::check_api_write(&caller, &headers)?;
    let g: GuardrailIn = body.parse()?;
    let id = id_of("incident", &raw)?;
    Ok(Json(
        st.app(&caller)
            .link_guardrail(id, g.policy_version, &g.note)
            .await?
            .into(),
    ))
}
