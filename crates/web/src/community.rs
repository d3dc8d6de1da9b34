//! Wins, "I tried this too", the use-case library, the weekly digest, and champions (the
//! directory, volunteering and opting out, invitations, peer-help sessions): each action
//! is one function used by both its page (form) and its API endpoint (JSON).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use flywheel_app::champions::HelpSession;
use flywheel_app::wins::WinDraft;
use flywheel_store::{
    CanIDemand, ChampionStatus, DirectoryEntry, DirectoryFilter, Invitation, Profile, UseCaseRow,
    WinFilter, WinRow,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{paged, ApiCaller, JsonBody, PageParams};
use crate::auth::{self, Caller};
use crate::error::{ApiError, ErrorCode};
use crate::page::{self, render, Nav, PageError};
use crate::page::{NoFields, PageCaller, PageForm};
use crate::query::{ApiQuery, PageQuery};
use crate::wire::{Champion, Created, Missing, New, Page, Read, Win, Write};
use crate::AppState;

fn invalid(m: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, m)
}

fn num_field(name: &str, v: Option<&str>) -> Result<u32, ApiError> {
    let v = v.map(str::trim).unwrap_or("");
    v.parse::<u32>().map_err(|_| {
        invalid(format!(
            "field `{name}`: {v:?} is not a whole number of minutes"
        ))
    })
}

// ---------------------------------------------------------------- wins

/// A win as posted (JSON body of `POST /api/v1/wins`, or the form).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WinIn {
    pub title: String,
    /// What was done, and how.
    #[serde(default)]
    pub what: String,
    /// The catalog tool used.
    #[serde(default)]
    pub tool: Option<String>,
    /// Minutes the task took before.
    pub minutes_before: u32,
    /// Minutes it takes now.
    pub minutes_after: u32,
    #[schema(schema_with = crate::wire::frequency)]
    pub frequency: String,
}

impl WinIn {
    fn from_form(f: &HashMap<String, String>) -> Result<WinIn, ApiError> {
        Ok(WinIn {
            title: f.get("title").cloned().unwrap_or_default(),
            what: f.get("what").cloned().unwrap_or_default(),
            tool: f.get("tool").cloned().filter(|t| !t.trim().is_empty()),
            minutes_before: num_field(
                "minutes_before",
                f.get("minutes_before").map(String::as_str),
            )?,
            minutes_after: num_field("minutes_after", f.get("minutes_after").map(String::as_str))?,
            frequency: f.get("frequency").cloned().unwrap_or_default(),
        })
    }
}

async fn post_win(st: &AppState, caller: &Caller, w: &WinIn) -> Result<i64, ApiError> {
    let draft = WinDraft {
        tool: w.tool.clone(),
        title: w.title.clone(),
        what: w.what.clone(),
        minutes_before: w.minutes_before,
        minutes_after: w.minutes_after,
        frequency: w.frequency.clone(),
    };
    Ok(st.app(caller).post_win(&draft).await?)
}

async fn tried_too(st: &AppState, caller: &Caller, id: i64) -> Result<bool, ApiError> {
    Ok(st.app(caller).try_win(id).await?)
}

/// Body of `POST /api/v1/wins/{id}/promote`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoteIn {
    /// The use case's title (the win's when empty).
    #[serde(default)]
    pub title: String,
    /// Its steps.
    #[serde(default)]
    pub steps: Vec<String>,
}

async fn promote(st: &AppState, caller: &Caller, id: i64, p: &PromoteIn) -> Result<i64, ApiError> {
    Ok(st.app(caller).promote_win(id, &p.title, &p.steps).await?)
}

/// Counts per department, each `None` when below the minimum group size.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DepartmentCount)]
pub struct DeptCount {
    pub department: String,
    /// `null`: fewer than the minimum group size (withheld).
    pub count: Option<i64>,
}

/// Counts per department, each withheld below the minimum group size `min`.
fn dept_counts(counts: Vec<(String, i64)>, min: i64) -> Vec<DeptCount> {
    counts
        .into_iter()
        .map(|(department, n)| DeptCount {
            department,
            count: flywheel_insights::privacy::shown(n, min),
        })
        .collect()
}

/// `?q=&tool=&department=&since=&page=&per_page=` of the wins list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct WinsQuery {
    /// Words in the title or description.
    q: String,
    /// A tool's name.
    tool: String,
    /// The author's department.
    department: String,
    /// Posted at or after (RFC 3339 or a date).
    since: String,
    #[serde(flatten)]
    #[param(ignore)]
    paging: PageParams,
}

/// The filters of the wins list; `since` must be a date (`2026-03-01`) or an RFC 3339
/// instant, and is refused otherwise rather than ignored.
fn win_filter(q: &WinsQuery) -> Result<WinFilter, ApiError> {
    let get = |v: &str| Some(v.trim().to_owned()).filter(|s| !s.is_empty());
    let since = get(&q.since);
    if let Some(v) = &since {
        let date = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok();
        if !date && chrono::DateTime::parse_from_rfc3339(v).is_err() {
            return Err(invalid(format!(
                "parameter `since`: {v:?} is not a date (YYYY-MM-DD) or an RFC 3339 instant"
            )));
        }
    }
    Ok(WinFilter {
        q: get(&q.q),
        tool: get(&q.tool),
        department: get(&q.department),
        since,
        until: None,
    })
}

#[derive(Template)]
#[template(path = "wins.html")]
struct WinsPage {
    nav: Nav,
    wins: Vec<WinRow>,
    total: i64,
    page: u32,
    next_page: Option<u32>,
    q: String,
    tool: String,
    department: String,
    tools: Vec<String>,
    can_post: bool,
    query: String,
}

/// `GET /wins`: search, filter, and the form to post one.
pub async fn wins_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<WinsQuery>,
) -> Result<Html<String>, PageError> {
    let (page_no, per_page) = q.paging.get()?;
    let list = st
        .app(&caller)
        .wins(&win_filter(&q)?, page_no, per_page)
        .await?;
    let query = [
        ("q", &q.q),
        ("tool", &q.tool),
        ("department", &q.department),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", page::url_encode(v)))
    .collect::<Vec<_>>()
    .join("&");
    render(&WinsPage {
        nav: Nav::of(&caller, "/wins"),
        next_page: (i64::from(page_no) * i64::from(per_page) < list.total).then_some(page_no + 1),
        total: list.total,
        page: page_no,
        wins: list.items,
        q: q.q.clone(),
        tool: q.tool.clone(),
        department: q.department.clone(),
        tools: st
            .app(&caller)
            .catalog()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        can_post: caller.require_write("").is_ok() && caller.user.person_id.is_some(),
        query,
    })
}

/// The form of `POST /wins/{id}/promote`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PromoteForm {
    title: String,
    /// One step per line.
    steps: String,
}

/// The form of `POST /champions/volunteer`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VolunteerForm {
    /// A checkbox: `on` when ticked, absent otherwise.
    listed: Option<String>,
    bio: String,
    /// One per line, or comma-separated.
    tools: String,
    office_hours: String,
}

/// The form of `POST /champions/help` (numbers as text, so that an error names them).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HelpForm {
    topic: String,
    minutes: Option<String>,
    people: Option<String>,
    tool: Option<String>,
}

/// `POST /wins`.
pub async fn wins_post(
    State(st): State<AppState>,
    // The fields as text: `WinIn::from_form` names the field of a number that is not one.
    PageForm { caller, fields: f }: PageForm<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let id = post_win(&st, &caller, &WinIn::from_form(&f)?).await?;
    Ok(Redirect::to(&format!("/wins/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "win.html")]
struct WinPage {
    nav: Nav,
    win: WinRow,
    departments: Vec<DeptCount>,
    min_group_size: i64,
    can_try: bool,
    mine: bool,
    already: bool,
    verifications: Vec<flywheel_store::Verification>,
    can_verify: bool,
}

pub(crate) fn win_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::new(ErrorCode::NotFound, format!("no win {raw:?}")))
}

/// `GET /wins/{id}`.
pub async fn win_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(raw): Path<String>,
) -> Result<Html<String>, PageError> {
    let id = win_id(&raw)?;
    let v = st.app(&caller).win(id).await?;
    render(&WinPage {
        verifications: v.verifications,
        can_verify: v.can_verify,
        nav: Nav::of(&caller, "/wins"),
        departments: dept_counts(v.tried_by_department, v.min_group_size),
        min_group_size: v.min_group_size,
        can_try: caller.require_write("").is_ok() && caller.user.person_id.is_some(),
        mine: v.mine,
        already: v.tried,
        win: v.win,
    })
}

/// `POST /wins/{id}/tried`.
pub async fn win_tried(
    State(st): State<AppState>,
    Path(raw): Path<String>,
    PageForm { caller, .. }: PageForm<NoFields>,
) -> Result<Response, PageError> {
    let id = win_id(&raw)?;
    tried_too(&st, &caller, id).await?;
    Ok(Redirect::to(&format!("/wins/{id}")).into_response())
}

/// `POST /wins/{id}/promote` (admins).
pub async fn win_promote(
    State(st): State<AppState>,
    Path(raw): Path<String>,
    PageForm { caller, fields: f }: PageForm<PromoteForm>,
) -> Result<Response, PageError> {
    let id = win_id(&raw)?;
    let p = PromoteIn {
        title: f.title,
        steps: f.steps.lines().map(str::to_owned).collect(),
    };
    let uc = promote(&st, &caller, id, &p).await?;
    Ok(Redirect::to(&format!("/use-cases#use-case-{uc}")).into_response())
}

/// Wins, newest first
///
/// Who: any role.
#[utoipa::path(get, path = "/wins", params(WinsQuery, PageParams), responses((status = 200, body = Page<Win>), Read))]
pub async fn wins_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(q): ApiQuery<WinsQuery>,
) -> Result<Json<Page<Win>>, ApiError> {
    let (page_no, per_page) = q.paging.get()?;
    let list = st
        .app(&caller)
        .wins(&win_filter(&q)?, page_no, per_page)
        .await?;
    Ok(Json(Page {
        next_page: (i64::from(page_no) * i64::from(per_page) < list.total).then_some(page_no + 1),
        items: list.items.into_iter().map(Win::from).collect(),
        page: page_no,
        per_page,
        total: list.total,
    }))
}

/// Post a win
///
/// Who: every role but viewer, with an account linked to a person.
#[utoipa::path(post, path = "/wins", request_body = WinIn, responses((status = 201, body = Win), Write))]
pub async fn wins_api_post(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    caller.require_write("post wins")?;
    auth::check_api_write(&caller, &headers)?;
    let w: WinIn = body.parse()?;
    let id = post_win(&st, &caller, &w).await?;
    let win = Win::from(st.app(&caller).win(id).await?.win);
    Ok((axum::http::StatusCode::CREATED, Json(win)).into_response())
}

/// A win with its re-use by department.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WinDetail)]
pub struct WinOut {
    #[serde(flatten)]
    pub win: Win,
    pub tried_by_department: Vec<DeptCount>,
    /// Who saw it work (as `champion` or `peer`), when, and what they saw.
    pub verifications: Vec<VerificationOut>,
}

/// A verification of a win, without the verifier's identity.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WinVerification)]
pub struct VerificationOut {
    #[schema(schema_with = crate::learning::verifier_role)]
    pub as_role: String,
    pub evidence: String,
    pub at: String,
}

/// A win with its re-use by department (counts below the minimum group size are null)
///
/// Who: any role.
#[utoipa::path(get, path = "/wins/{id}", params(("id" = i64, Path, description = "The win's id.")),
    responses((status = 200, body = WinOut), Read, Missing))]
pub async fn win_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(raw): Path<String>,
) -> Result<Json<WinOut>, ApiError> {
    let v = st.app(&caller).win(win_id(&raw)?).await?;
    Ok(Json(WinOut {
        tried_by_department: dept_counts(v.tried_by_department, v.min_group_size),
        verifications: v
            .verifications
            .into_iter()
            .map(|v| VerificationOut {
                as_role: v.as_role,
                evidence: v.evidence,
                at: v.at,
            })
            .collect(),
        win: v.win.into(),
    }))
}

/// "I tried this too"
///
/// Who: every role but viewer, with an account linked to a person; not the author.
/// Saying it twice changes nothing.
#[utoipa::path(post, path = "/wins/{id}/tried-too", params(("id" = i64, Path, description = "The win's id.")),
    responses((status = 200, body = New), Write, Missing))]
pub async fn win_tried_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Json<New>, ApiError> {
    caller.require_write("say \"I tried this too\"")?;
    auth::check_api_write(&caller, &headers)?;
    let new = tried_too(&st, &caller, win_id(&raw)?).await?;
    Ok(Json(New { new }))
}

/// The use case a win was promoted into.
#[derive(Debug, Serialize, ToSchema)]
pub struct Promoted {
    pub use_case: i64,
}

/// Promote a win into the use-case library
///
/// Who: admins.
#[utoipa::path(post, path = "/wins/{id}/promote", params(("id" = i64, Path, description = "The win's id.")),
    request_body = PromoteIn, responses((status = 200, body = Promoted), Write, Missing))]
pub async fn win_promote_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: JsonBody,
) -> Result<Json<Promoted>, ApiError> {
    caller.require_admin("promote wins into the library")?;
    auth::check_api_write(&caller, &headers)?;
    let p: PromoteIn = body.parse()?;
    let use_case = promote(&st, &caller, win_id(&raw)?, &p).await?;
    Ok(Json(Promoted { use_case }))
}

// ---------------------------------------------------------------- use cases, digest

/// A use case with its departments' counts suppressed below the minimum group size.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UseCase)]
pub struct UseCaseOut {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub steps: Vec<String>,
    pub tools: Vec<String>,
    pub from_win: Option<i64>,
    pub departments: Vec<DeptCount>,
    pub created_at: String,
}

async fn use_cases(
    st: &AppState,
    caller: &Caller,
    q: Option<&str>,
) -> Result<Vec<UseCaseOut>, ApiError> {
    let min = st.store.min_group_size().await?;
    Ok(st
        .app(caller)
        .use_cases(q)
        .await?
        .into_iter()
        .map(|u| use_case_out(u, min))
        .collect())
}

/// A use case as shown, its department counts withheld below the minimum group size.
fn use_case_out(u: UseCaseRow, min: i64) -> UseCaseOut {
    let UseCaseRow {
        id,
        title,
        summary,
        steps,
        tools,
        from_win,
        departments,
        created_at,
    } = u;
    UseCaseOut {
        id,
        title,
        summary,
        steps,
        tools,
        from_win,
        departments: dept_counts(departments, min),
        created_at,
    }
}

#[derive(Template)]
#[template(path = "use_cases.html")]
struct UseCasesPage {
    nav: Nav,
    q: String,
    cases: Vec<UseCaseOut>,
    min_group_size: i64,
}

/// `?q=&page=&per_page=` of a searchable list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct SearchQuery {
    /// Words in the title, summary or steps.
    q: String,
    #[serde(flatten)]
    #[param(ignore)]
    paging: PageParams,
}

/// `GET /use-cases?q=`.
pub async fn use_cases_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<SearchQuery>,
) -> Result<Html<String>, PageError> {
    let text = q.q;
    render(&UseCasesPage {
        nav: Nav::of(&caller, "/use-cases"),
        cases: use_cases(&st, &caller, Some(&text)).await?,
        min_group_size: st.store.min_group_size().await?,
        q: text,
    })
}

/// The use-case library
///
/// Who: any role.
#[utoipa::path(get, path = "/use-cases", params(SearchQuery, PageParams), responses((status = 200, body = Page<UseCaseOut>), Read))]
pub async fn use_cases_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Page<UseCaseOut>>, ApiError> {
    let all = use_cases(&st, &caller, Some(&q.q)).await?;
    paged(all, &q.paging)
}

/// The weekly digest.
#[derive(Debug, Serialize, ToSchema)]
pub struct Digest {
    pub from: String,
    pub to: String,
    pub wins_posted: i64,
    /// The week's wins by minutes saved per month.
    pub top_wins: Vec<Win>,
    /// The most tried wins posted in the last 90 days.
    pub most_tried: Vec<Win>,
    pub new_use_cases: Vec<UseCaseOut>,
    /// "Can I?" questions asked most (all time), each `null` below the minimum group size.
    pub top_questions: Vec<QuestionCount>,
    pub champions_listed: usize,
    /// Badges awarded this week, per badge; `null` below the minimum group size.
    pub badges_awarded: Vec<BadgeWeek>,
    /// This week's badges whose holders show them on their profile.
    pub badges_shown: Vec<ShownBadge>,
}

/// Awards of one badge in the week.
#[derive(Debug, Serialize, ToSchema)]
pub struct BadgeWeek {
    pub badge: String,
    pub awarded: Option<i64>,
}

/// A badge its holder chose to show.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShownBadge {
    pub holder: String,
    pub badge: String,
    pub share_url: Option<String>,
}

/// How often a question was asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionCount {
    pub tool: String,
    pub purpose: String,
    pub data_class: String,
    pub allowed: bool,
    pub questions: i64,
}

async fn digest(st: &AppState, caller: &Caller) -> Result<Digest, ApiError> {
    let d = st.app(caller).digest().await?;
    let (base, now) = (crate::learning::base_url(st).await?, crate::learning::now());
    let min = d.min_group_size;
    Ok(Digest {
        from: d.from.date_naive().to_string(),
        to: d.to.date_naive().to_string(),
        wins_posted: d.wins_posted,
        top_wins: d.top_wins.into_iter().map(Win::from).collect(),
        most_tried: d.most_tried.into_iter().map(Win::from).collect(),
        new_use_cases: d
            .new_use_cases
            .into_iter()
            .map(|u| use_case_out(u, min))
            .collect(),
        top_questions: d
            .top_questions
            .into_iter()
            .map(|q: CanIDemand| QuestionCount {
                tool: q.tool,
                purpose: q.purpose,
                data_class: q.data_class,
                allowed: q.allowed,
                questions: q.questions,
            })
            .collect(),
        champions_listed: d.champions_listed,
        badges_awarded: d
            .badges_awarded
            .into_iter()
            .map(|(badge, awarded)| BadgeWeek { badge, awarded })
            .collect(),
        badges_shown: d
            .badges_shown
            .iter()
            .map(|a| ShownBadge {
                holder: a.holder.clone(),
                badge: a.badge_name.clone(),
                share_url: crate::learning::award_out(a, &base, &now).share_url,
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestPage {
    nav: Nav,
    d: Digest,
    min_group_size: i64,
}

/// `GET /digest`: the last seven days.
pub async fn digest_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
) -> Result<Html<String>, PageError> {
    render(&DigestPage {
        nav: Nav::of(&caller, "/digest"),
        d: digest(&st, &caller).await?,
        min_group_size: st.store.min_group_size().await?,
    })
}

/// The last seven days
///
/// Who: any role.
#[utoipa::path(get, path = "/digest", responses((status = 200, body = Digest), Read))]
pub async fn digest_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Digest>, ApiError> {
    Ok(Json(digest(&st, &caller).await?))
}

// ---------------------------------------------------------------- champions

/// A champion profile as sent (JSON body of `POST /api/v1/champions/volunteer`, or the form).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolunteerIn {
    /// Show me in the directory.
    #[serde(default)]
    pub listed: bool,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default)]
    pub office_hours: String,
}

async fn volunteer(
    st: &AppState,
    caller: &Caller,
    v: &VolunteerIn,
) -> Result<ChampionStatus, ApiError> {
    let profile = Profile {
        listed: v.listed,
        bio: v.bio.clone(),
        tools: v.tools.clone(),
        office_hours: v.office_hours.clone(),
    };
    Ok(st.app(caller).volunteer(&profile).await?)
}

async fn opt_out(st: &AppState, caller: &Caller) -> Result<(), ApiError> {
    Ok(st.app(caller).opt_out().await?)
}

/// A peer-help session as logged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelpIn {
    pub topic: String,
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: u32,
    /// People helped (1 when not given).
    #[serde(default = "one")]
    #[schema(minimum = 1)]
    pub people: u32,
    #[serde(default)]
    pub tool: Option<String>,
}

fn one() -> u32 {
    1
}

/// Champions (volunteers and active ones) and admins log help they gave.
async fn log_help(st: &AppState, caller: &Caller, h: &HelpIn) -> Result<i64, ApiError> {
    let session = HelpSession {
        topic: h.topic.clone(),
        minutes: h.minutes,
        people: h.people,
        tool: h.tool.clone(),
    };
    Ok(st.app(caller).log_help(&session).await?)
}

/// `?department=&site=&tool=&page=&per_page=` of the champion directory, and the outcome
/// of the page's forms (`done`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DirectoryQuery {
    /// Department.
    department: String,
    /// Site.
    site: String,
    /// A tool they help with.
    tool: String,
    #[param(ignore)]
    done: String,
    #[serde(flatten)]
    #[param(ignore)]
    paging: PageParams,
}

fn directory_filter(q: &DirectoryQuery) -> DirectoryFilter {
    let get = |v: &str| Some(v.trim().to_owned()).filter(|s| !s.is_empty());
    DirectoryFilter {
        department: get(&q.department),
        site: get(&q.site),
        tool: get(&q.tool),
    }
}

#[derive(Template)]
#[template(path = "champions.html")]
struct ChampionsPage {
    nav: Nav,
    entries: Vec<DirectoryEntry>,
    /// Badges each person shows on their profile.
    badges: std::collections::BTreeMap<i64, Vec<crate::learning::AwardOut>>,
    department: String,
    site: String,
    tool: String,
    tools: Vec<String>,
    linked: bool,
    can_write: bool,
    status: String,
    profile: Profile,
    invitation: Option<Invitation>,
    message: String,
}

impl ChampionsPage {
    fn shown(&self, person: &i64) -> &[crate::learning::AwardOut] {
        self.badges.get(person).map_or(&[], Vec::as_slice)
    }
}

/// `GET /champions?department=&site=&tool=`: the directory and the caller's own panel.
pub async fn champions_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<DirectoryQuery>,
) -> Result<Html<String>, PageError> {
    let app = st.app(&caller);
    let mine = app.my_championship().await?;
    let (status, profile, invitation) = (mine.status, mine.profile, mine.open_invitation);
    render(&ChampionsPage {
        nav: Nav::of(&caller, "/champions"),
        entries: app.directory(&directory_filter(&q)).await?,
        badges: crate::learning::shown_badges(&st, &caller).await?,
        department: q.department.clone(),
        site: q.site.clone(),
        tool: q.tool.clone(),
        tools: st
            .app(&caller)
            .catalog()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        linked: caller.user.person_id.is_some(),
        can_write: caller.require_write("").is_ok(),
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        profile: profile.unwrap_or_default(),
        invitation,
        message: match q.done.as_str() {
            "volunteer" => "Thank you for volunteering! Your profile is saved.".into(),
            "opt-out" => {
                "You have opted out: you are not listed or suggested as a champion.".into()
            }
            "help" => "Help session logged. Thank you!".into(),
            _ => String::new(),
        },
    })
}

/// `POST /champions/volunteer` (form: listed, bio, tools (one per line or comma), office_hours).
pub async fn volunteer_post(
    State(st): State<AppState>,
    PageForm { caller, fields: f }: PageForm<VolunteerForm>,
) -> Result<Response, PageError> {
    let v = VolunteerIn {
        listed: f
            .listed
            .is_some_and(|v| v == "on" || v == "true" || v == "1"),
        bio: f.bio,
        tools: f
            .tools
            .split([',', '\n'])
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        office_hours: f.office_hours,
    };
    volunteer(&st, &caller, &v).await?;
    Ok(Redirect::to("/champions?done=volunteer").into_response())
}

/// `POST /champions/opt-out`.
pub async fn opt_out_post(
    State(st): State<AppState>,
    PageForm { caller, .. }: PageForm<NoFields>,
) -> Result<Response, PageError> {
    opt_out(&st, &caller).await?;
    Ok(Redirect::to("/champions?done=opt-out").into_response())
}

/// `POST /champions/help`.
pub async fn help_post(
    State(st): State<AppState>,
    PageForm { caller, fields: f }: PageForm<HelpForm>,
) -> Result<Response, PageError> {
    let h = HelpIn {
        topic: f.topic,
        minutes: num_field("minutes", f.minutes.as_deref())?,
        people: match f.people.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(p) => num_field("people", Some(p))?,
            None => 1,
        },
        tool: f.tool,
    };
    log_help(&st, &caller, &h).await?;
    Ok(Redirect::to("/champions?done=help").into_response())
}

/// The champions directory (opt-in profiles only)
///
/// Who: any role.
#[utoipa::path(get, path = "/champions", params(DirectoryQuery, PageParams), responses((status = 200, body = Page<Champion>), Read))]
pub async fn champions_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(q): ApiQuery<DirectoryQuery>,
) -> Result<Json<Page<Champion>>, ApiError> {
    let all = st.app(&caller).directory(&directory_filter(&q)).await?;
    paged(all, &q.paging)
}

/// The caller's champion status after a change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = VolunteerStatus)]
pub struct StatusOut {
    #[schema(schema_with = crate::wire::champion_status)]
    pub status: ChampionStatus,
}

/// Volunteer as a champion, or update your profile
///
/// Who: every role but viewer, with an account linked to a person.
#[utoipa::path(post, path = "/champions/volunteer", request_body = VolunteerIn, responses((status = 200, body = StatusOut), Write))]
pub async fn volunteer_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Json<StatusOut>, ApiError> {
    caller.require_write("volunteer")?;
    auth::check_api_write(&caller, &headers)?;
    let v: VolunteerIn = body.parse()?;
    let status = volunteer(&st, &caller, &v).await?;
    Ok(Json(StatusOut { status }))
}

/// Opt out of being a champion or being suggested
///
/// Who: every role but viewer, with an account linked to a person.
#[utoipa::path(post, path = "/champions/opt-out", responses((status = 200, body = StatusOut), Write))]
pub async fn opt_out_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
) -> Result<Json<StatusOut>, ApiError> {
    caller.require_write("opt out")?;
    auth::check_api_write(&caller, &headers)?;
    opt_out(&st, &caller).await?;
    Ok(Json(StatusOut {
        status: ChampionStatus::OptedOut,
    }))
}

/// Log a peer-help session
///
/// Who: champions (volunteer or active).
#[utoipa::path(post, path = "/champions/help-sessions", request_body = HelpIn, responses((status = 201, body = Created), Write))]
pub async fn help_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    caller.require_write("log help sessions")?;
    auth::check_api_write(&caller, &headers)?;
    let h: HelpIn = body.parse()?;
    let id = log_help(&st, &caller, &h).await?;
    Ok((axum::http::StatusCode::CREATED, Json(Created { id })).into_response())
}

/// Body of `POST /api/v1/champions/invitations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteIn {
    #[schema(max_items = 10000)]
    pub person_ids: Vec<i64>,
    #[serde(default)]
    pub note: String,
}

/// Who was newly invited.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invited {
    pub invited: Vec<i64>,
}

/// Invite people to become champions
///
/// Who: admins. E.g. from the champion plan; `invited` lists who was new.
#[utoipa::path(post, path = "/champions/invitations", request_body = InviteIn, responses((status = 200, body = Invited), Write))]
pub async fn invite_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Json<Invited>, ApiError> {
    caller.require_admin("invite champions")?;
    auth::check_api_write(&caller, &headers)?;
    let i: InviteIn = body.parse()?;
    let invited = st
        .app(&caller)
        .invite_champions(&i.person_ids, &i.note)
        .await?;
    Ok(Json(Invited { invited }))
}
