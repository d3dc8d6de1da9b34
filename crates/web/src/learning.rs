//! Learning and badges on the web: courses (enrol, complete modules, completion by
//! department), verifying a colleague's win, "my badges" (download, show on the profile,
//! share link), the public achievement, share and verify pages, and for admins who holds a
//! badge (with a CSV export), revocation and ending campaigns. Each action is one function
//! used by its page (form) and its API endpoint (JSON).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use chrono::Utc;
use flywheel_app::learning::CourseView;
use flywheel_badges::verify::Report;
use flywheel_store::{AwardRow, BadgeClass, Campaign, CompletionRate, Progress};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{ApiCaller, JsonBody};
use crate::auth::{self, Caller};
use crate::community::win_id;
use crate::error::{ApiError, ErrorCode};
use crate::page::{self, render, render_with, Nav, PageError};
use crate::page::{NoFields, PageCaller, PageForm};
use crate::query::{ApiQuery, Format, PageQuery};
use crate::wire::{Missing, NotJson, Read, Refused, Write};
use crate::AppState;

fn not_found(m: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::NotFound, m)
}

fn invalid(m: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, m)
}

pub(crate) fn now() -> String {
    flywheel_badges::xsd_datetime(Utc::now())
}

// ---------------------------------------------------------------- awards as shown

/// An award as its holder sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Award)]
pub struct AwardOut {
    pub uuid: String,
    pub badge: String,
    pub badge_name: String,
    pub tier: Option<String>,
    pub issued_at: String,
    pub valid_until: Option<String>,
    #[schema(schema_with = award_state)]
    pub state: &'static str,
    pub revoke_reason: Option<String>,
    pub win_id: Option<i64>,
    pub on_profile: bool,
    /// The public page of the credential, while it is shown on the profile.
    pub share_url: Option<String>,
}

/// `?format=json|jwt` of a credential download.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents `query::Format` for this endpoint
struct FormatParam {
    /// json (the default) or jwt.
    #[param(schema_with = json_or_jwt)]
    format: Option<String>,
}

/// `?format=json|csv` of a list for admins.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents `query::Format` for this endpoint
struct CsvFormatParam {
    /// json (the default) or csv.
    #[param(schema_with = json_or_csv)]
    format: Option<String>,
}

fn json_or_jwt() -> utoipa::openapi::Object {
    crate::wire::words(["json", "jwt"], "json (the default) or jwt.")
}

fn json_or_csv() -> utoipa::openapi::Object {
    crate::wire::words(["json", "csv"], "json (the default) or csv.")
}

fn award_state() -> utoipa::openapi::Object {
    crate::wire::words(
        ["active", "revoked", "expired"],
        "Where the award stands now.",
    )
}

/// `champion` or `peer`: as whom a win was verified.
pub(crate) fn verifier_role() -> utoipa::openapi::Object {
    crate::wire::words(["champion", "peer"], "As whom the verifier saw the win.")
}

pub(crate) fn award_out(a: &AwardRow, base: &str, now: &str) -> AwardOut {
    AwardOut {
        uuid: a.uuid.clone(),
        badge: a.badge.clone(),
        badge_name: a.badge_name.clone(),
        tier: a.tier.clone(),
        issued_at: a.issued_at.clone(),
        valid_until: a.valid_until.clone(),
        state: a.state(now),
        revoke_reason: a.revoke_reason.clone(),
        win_id: a.win_id,
        on_profile: a.on_profile,
        share_url: a
            .share_token
            .as_ref()
            .map(|t| format!("{base}/credentials/{t}")),
    }
}

pub(crate) async fn base_url(st: &AppState) -> Result<String, ApiError> {
    Ok(st
        .core
        .app(flywheel_app::Caller::Anonymous)
        .issuer_url()
        .await?)
}

// ---------------------------------------------------------------- courses

/// A course with the caller's progress; org-wide counts below the minimum group size are
/// withheld.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Course)]
pub struct CourseOut {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub modules: i64,
    pub minutes: i64,
    pub enrolled: Option<i64>,
    pub completed: Option<i64>,
    pub progress: Option<ProgressOut>,
}

/// The caller's progress in a course.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Progress)]
pub struct ProgressOut {
    pub enrolled_at: String,
    pub completed_at: Option<String>,
    /// Positions of the modules done.
    pub done: Vec<i64>,
}

impl From<Progress> for ProgressOut {
    fn from(p: Progress) -> ProgressOut {
        ProgressOut {
            enrolled_at: p.enrolled_at,
            completed_at: p.completed_at,
            done: p.done,
        }
    }
}

/// Completion in one department; counts below the minimum group size are `null`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Completion)]
pub struct CompletionOut {
    pub department: String,
    pub enrolled: Option<i64>,
    pub completed: Option<i64>,
    pub rate: Option<f64>,
}

impl From<CompletionRate> for CompletionOut {
    fn from(c: CompletionRate) -> CompletionOut {
        CompletionOut {
            department: c.department,
            enrolled: c.enrolled,
            completed: c.completed,
            rate: c.rate,
        }
    }
}

/// A campaign: badges valid until its end.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Campaign)]
pub struct CampaignOut {
    pub slug: String,
    pub name: String,
    /// `YYYY-MM-DD`: its badges are valid until the end of this day.
    pub ends_on: Option<String>,
    /// When an admin ended it.
    pub ended_at: Option<String>,
    #[schema(schema_with = end_mode)]
    pub end_mode: Option<String>,
}

fn end_mode() -> utoipa::openapi::Object {
    let mut o = crate::wire::words(
        ["revoke", "expire"],
        "How it was ended; `null` while it runs.",
    );
    o.schema_type = utoipa::openapi::schema::SchemaType::from_iter([
        utoipa::openapi::Type::String,
        utoipa::openapi::Type::Null,
    ]);
    if let Some(e) = o.enum_values.as_mut() {
        e.push(serde_json::Value::Null);
    }
    o
}

impl From<Campaign> for CampaignOut {
    fn from(c: Campaign) -> CampaignOut {
        CampaignOut {
            slug: c.slug,
            name: c.name,
            ends_on: c.ends_on,
            ended_at: c.ended_at,
            end_mode: c.end_mode,
        }
    }
}

fn course_out(v: CourseView) -> CourseOut {
    let CourseView {
        course: c,
        progress,
        enrolled,
        completed,
    } = v;
    CourseOut {
        progress: progress.map(ProgressOut::from),
        enrolled,
        completed,
        slug: c.slug,
        title: c.title,
        summary: c.summary,
        modules: c.modules,
        minutes: c.minutes,
    }
}

async fn courses(st: &AppState, caller: &Caller) -> Result<Vec<CourseOut>, ApiError> {
    Ok(st
        .app(caller)
        .courses()
        .await?
        .into_iter()
        .map(course_out)
        .collect())
}

/// A module as shown: its link only when it is a web address.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Module)]
pub struct ModuleOut {
    pub position: i64,
    pub title: String,
    pub minutes: u32,
    pub body: String,
    pub link: Option<String>,
}

/// One course in full, with completion by department.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseDetail {
    #[serde(flatten)]
    pub course: CourseOut,
    pub contents: Vec<ModuleOut>,
    pub by_department: Vec<CompletionOut>,
    /// The badges this course counts towards.
    pub badges: Vec<String>,
}

async fn course_detail(
    st: &AppState,
    caller: &Caller,
    slug: &str,
) -> Result<CourseDetail, ApiError> {
    let d = st.app(caller).course_detail(slug).await?;
    Ok(CourseDetail {
        course: course_out(d.view),
        contents: d
            .modules
            .into_iter()
            .zip(1..)
            .map(|(m, position)| ModuleOut {
                position,
                link: (m.link.starts_with("https://") || m.link.starts_with("http://"))
                    .then_some(m.link),
                title: m.title,
                minutes: m.minutes,
                body: m.body,
            })
            .collect(),
        by_department: d
            .by_department
            .into_iter()
            .map(CompletionOut::from)
            .collect(),
        badges: d.badges,
    })
}

async fn enrol(st: &AppState, caller: &Caller, slug: &str) -> Result<(), ApiError> {
    Ok(st.app(caller).enrol(slug).await?)
}

/// What completing a module did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Completed {
    /// This module completed the course.
    pub course_completed: bool,
    /// Badges awarded because of it.
    pub awarded: Vec<AwardOut>,
}

async fn complete(
    st: &AppState,
    caller: &Caller,
    slug: &str,
    position: &str,
) -> Result<Completed, ApiError> {
    let done = st.app(caller).complete_module(slug, position).await?;
    let base = base_url(st).await?;
    let now = now();
    Ok(Completed {
        course_completed: done.course_completed,
        awarded: done
            .awarded
            .iter()
            .map(|a| award_out(a, &base, &now))
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "learn.html")]
struct LearnPage {
    nav: Nav,
    courses: Vec<CourseOut>,
}

/// `GET /learn`: the courses and the caller's progress.
pub async fn learn_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
) -> Result<Html<String>, PageError> {
    render(&LearnPage {
        nav: Nav::of(&caller, "/learn"),
        courses: courses(&st, &caller).await?,
    })
}

#[derive(Template)]
#[template(path = "course.html")]
struct CoursePage {
    nav: Nav,
    c: CourseDetail,
    can_write: bool,
    min_group_size: i64,
    message: String,
}

impl CoursePage {
    fn done(&self, position: &i64) -> bool {
        self.c
            .course
            .progress
            .as_ref()
            .is_some_and(|p| p.done.contains(position))
    }
}

/// `?completed&awarded=` after a module completed the course.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CourseQuery {
    completed: Option<String>,
    /// The names of the badges the completion awarded.
    awarded: String,
}

/// `GET /learn/{course}?awarded=`: the modules, the caller's progress, completion by
/// department.
pub async fn course_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(slug): Path<String>,
    PageQuery(q): PageQuery<CourseQuery>,
) -> Result<Html<String>, PageError> {
    let c = course_detail(&st, &caller, &slug).await?;
    let message = match (
        Some(&q.awarded).filter(|a| !a.is_empty()),
        q.completed.is_some(),
    ) {
        (Some(a), _) => format!("Course complete. You earned: {a}. See My badges."),
        (None, true) => "Course complete.".to_owned(),
        _ => String::new(),
    };
    render(&CoursePage {
        nav: Nav::of(&caller, "/learn"),
        can_write: caller.require_write("").is_ok(),
        min_group_size: st.store.min_group_size().await?,
        message,
        c,
    })
}

/// The form of `POST /wins/{id}/verify`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EvidenceForm {
    evidence: String,
}

/// The form of `POST /badges/awards/{uuid}/profile`: a checkbox, `on` when ticked.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowForm {
    show: Option<String>,
}

/// The form of `POST /admin/awards/{uuid}/revoke`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
}

/// The form of `POST /admin/campaigns/{campaign}/end`: `revoke` or `expire`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModeForm {
    mode: String,
}

/// `POST /learn/{course}/enrol`.
pub async fn enrol_post(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    PageForm { caller, .. }: PageForm<NoFields>,
) -> Result<Response, PageError> {
    let here = format!("/learn/{}", page::url_encode(&slug));
    enrol(&st, &caller, &slug).await?;
    Ok(Redirect::to(&here).into_response())
}

/// `POST /learn/{course}/modules/{position}/complete`.
pub async fn complete_post(
    State(st): State<AppState>,
    Path((slug, position)): Path<(String, String)>,
    PageForm { caller, .. }: PageForm<NoFields>,
) -> Result<Response, PageError> {
    let here = format!("/learn/{}", page::url_encode(&slug));
    let c = complete(&st, &caller, &slug, &position).await?;
    let to = if !c.awarded.is_empty() {
        let names: Vec<&str> = c.awarded.iter().map(|a| a.badge_name.as_str()).collect();
        format!("{here}?awarded={}", page::url_encode(&names.join(", ")))
    } else if c.course_completed {
        format!("{here}?completed")
    } else {
        format!("{here}#module-{position}")
    };
    Ok(Redirect::to(&to).into_response())
}

/// Courses with your progress (org-wide counts below the minimum group size are null)
///
/// Who: any role.
#[utoipa::path(get, path = "/courses", responses((status = 200, body = Vec<CourseOut>), Read))]
pub async fn courses_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<Vec<CourseOut>>, ApiError> {
    Ok(Json(courses(&st, &caller).await?))
}

/// A course: its modules, your progress, completion by department
///
/// Who: any role. Completion counts are withheld below the minimum group size.
#[utoipa::path(get, path = "/courses/{course}", params(("course" = String, Path, description = "The course's slug.")),
    responses((status = 200, body = CourseDetail), Read, Missing))]
pub async fn course_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
) -> Result<Json<CourseDetail>, ApiError> {
    Ok(Json(course_detail(&st, &caller, &slug).await?))
}

/// Enrolment.
#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolled {
    pub enrolled: bool,
}

/// Enrol (again changes nothing)
///
/// Who: every role but viewer.
#[utoipa::path(post, path = "/courses/{course}/enrol", params(("course" = String, Path, description = "The course's slug.")),
    responses((status = 200, body = Enrolled), Write, Missing))]
pub async fn enrol_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Json<Enrolled>, ApiError> {
    caller.require_write("enrol in courses")?;
    auth::check_api_write(&caller, &headers)?;
    enrol(&st, &caller, &slug).await?;
    Ok(Json(Enrolled { enrolled: true }))
}

/// Mark a module done
///
/// Who: every role but viewer. Enrols first; completing the course awards the badges it
/// earns.
#[utoipa::path(post, path = "/courses/{course}/modules/{position}/complete", params(
        ("course" = String, Path, description = "The course's slug."),
        ("position" = u32, Path, minimum = 1, description = "The module's position, from 1.")),
    responses((status = 200, body = Completed), Write, Missing))]
pub async fn complete_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path((slug, position)): Path<(String, String)>,
) -> Result<Json<Completed>, ApiError> {
    caller.require_write("complete course modules")?;
    auth::check_api_write(&caller, &headers)?;
    Ok(Json(complete(&st, &caller, &slug, &position).await?))
}

// ---------------------------------------------------------------- verifying wins

/// Body of `POST /api/v1/wins/{id}/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyWinIn {
    /// What the verifier saw: a link, a document, a demo.
    #[schema(min_length = 1, max_length = 2000)]
    pub evidence: String,
}

/// A verification recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct WinVerified {
    #[schema(schema_with = verifier_role)]
    pub as_role: String,
    /// Badges the win's author earned by it.
    pub badges_awarded: Vec<String>,
}

/// Records that the caller saw the evidence of win `id`, then awards its author what that
/// earned them.
pub async fn verify_win(
    st: &AppState,
    caller: &Caller,
    id: i64,
    evidence: &str,
) -> Result<WinVerified, ApiError> {
    let v = st.app(caller).verify_win(id, evidence).await?;
    Ok(WinVerified {
        as_role: v.as_role,
        badges_awarded: v.badges_awarded,
    })
}

/// `POST /wins/{id}/verify` (form: evidence).
pub async fn verify_win_post(
    State(st): State<AppState>,
    Path(raw): Path<String>,
    PageForm { caller, fields }: PageForm<EvidenceForm>,
) -> Result<Response, PageError> {
    let id = win_id(&raw)?;
    verify_win(&st, &caller, id, &fields.evidence).await?;
    Ok(Redirect::to(&format!("/wins/{id}#verifications")).into_response())
}

/// Verify a colleague's win with the evidence you saw
///
/// Who: every role but viewer; never the author. Awards its author the badges this
/// earns.
#[utoipa::path(post, path = "/wins/{id}/verify", params(("id" = i64, Path, description = "The win's id.")),
    request_body = VerifyWinIn, responses((status = 200, body = WinVerified), Write, Missing, NotJson))]
pub async fn verify_win_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(raw): Path<String>,
    body: JsonBody,
) -> Result<Json<WinVerified>, ApiError> {
    caller.require_write("verify wins")?;
    auth::check_api_write(&caller, &headers)?;
    let v: VerifyWinIn = body.parse()?;
    Ok(Json(
        verify_win(&st, &caller, win_id(&raw)?, &v.evidence).await?,
    ))
}

// ---------------------------------------------------------------- badges

/// A badge class; its holder count is withheld below the minimum group size.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BadgeClass)]
pub struct BadgeClassOut {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub tier: Option<String>,
    pub criteria: String,
    pub courses: Vec<String>,
    /// Wins verified by someone else that it asks for.
    pub wins: i64,
    pub requires: Vec<String>,
    pub valid_days: Option<i64>,
    pub campaign: Option<CampaignOut>,
    pub holders: Option<i64>,
}

/// A badge class as shown, with its holder count (`None`: withheld, or not shown).
fn class_out(b: BadgeClass, holders: Option<i64>) -> BadgeClassOut {
    BadgeClassOut {
        holders,
        slug: b.slug,
        name: b.name,
        description: b.description,
        tier: b.tier,
        criteria: b.criteria,
        courses: b.courses,
        wins: b.wins,
        requires: b.requires,
        valid_days: b.valid_days,
        campaign: b.campaign.map(CampaignOut::from),
    }
}

/// Current holders of a badge in a department.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeptBadges {
    pub department: String,
    pub badge: String,
    /// `null`: fewer than the minimum group size (withheld).
    pub holders: Option<i64>,
}

/// Every badge class and the counts per department (the team view).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Badges)]
pub struct BadgesOut {
    pub classes: Vec<BadgeClassOut>,
    pub by_department: Vec<DeptBadges>,
    pub campaigns: Vec<CampaignOut>,
    pub min_group_size: i64,
}

async fn badges(st: &AppState, caller: &Caller) -> Result<BadgesOut, ApiError> {
    let board = st.app(caller).badge_board().await?;
    Ok(BadgesOut {
        classes: board
            .classes
            .into_iter()
            .map(|(b, holders)| class_out(b, holders))
            .collect(),
        by_department: board
            .by_department
            .into_iter()
            .map(|(department, badge, holders)| DeptBadges {
                department,
                badge,
                holders,
            })
            .collect(),
        campaigns: board.campaigns.into_iter().map(CampaignOut::from).collect(),
        min_group_size: board.min_group_size,
    })
}

/// A badge the caller does not hold yet, and what is missing.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextBadge {
    pub badge: String,
    pub name: String,
    pub tier: Option<String>,
    /// Empty: earned, waiting to be claimed.
    pub missing: Vec<String>,
}

/// The caller's badges (with their history) and what they can earn next.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyBadges {
    pub awards: Vec<AwardOut>,
    pub next: Vec<NextBadge>,
}

async fn my_badges(st: &AppState, caller: &Caller) -> Result<MyBadges, ApiError> {
    let app = st.app(caller);
    let (base, now) = (app.issuer_url().await?, app.award_clock());
    let mine = app.my_badges().await?;
    Ok(MyBadges {
        awards: mine
            .awards
            .iter()
            .map(|a| award_out(a, &base, &now))
            .collect(),
        next: mine
            .next
            .into_iter()
            .map(|(b, missing)| NextBadge {
                badge: b.slug,
                name: b.name,
                tier: b.tier,
                missing,
            })
            .collect(),
    })
}

/// The caller's own award `uuid`.
async fn own_award(st: &AppState, caller: &Caller, uuid: &str) -> Result<AwardRow, ApiError> {
    Ok(st.app(caller).own_award(uuid).await?)
}

async fn set_profile(
    st: &AppState,
    caller: &Caller,
    uuid: &str,
    show: bool,
) -> Result<AwardOut, ApiError> {
    let a = st.app(caller).set_award_visibility(uuid, show).await?;
    Ok(award_out(&a, &base_url(st).await?, &now()))
}

/// A credential to download: as JSON-LD with its proof, or as a VC-JWT.
fn download(a: &AwardRow, jwt: bool) -> Response {
    let short: String = a
        .uuid
        .trim_start_matches("urn:uuid:")
        .chars()
        .take(8)
        .collect();
    let (body, content_type, ext) = if jwt {
        (a.jwt.clone(), "application/vc+jwt", "jwt")
    } else {
        (a.credential.clone(), "application/vc+ld+json", "json")
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-{short}.{ext}\"", a.badge),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "badges.html")]
struct BadgesPage {
    nav: Nav,
    mine: MyBadges,
    all: BadgesOut,
    can_write: bool,
    message: String,
}

/// `?done=&awarded=&n=` of the badges page after one of its forms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BadgesQuery {
    done: String,
    awarded: String,
    n: String,
}

/// `GET /badges`: the caller's badges, what they can earn next, every badge class and
/// the counts per department; for admins, the campaigns to end.
pub async fn badges_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<BadgesQuery>,
) -> Result<Html<String>, PageError> {
    let message = match q.done.as_str() {
        "claimed" if q.awarded.is_empty() => "Nothing new to claim yet.".to_owned(),
        "claimed" => format!("You earned: {}.", q.awarded),
        "shown" => "Shown on your profile. Copy the share link below.".to_owned(),
        "hidden" => "Hidden from your profile; its share link no longer works.".to_owned(),
        "ended" => format!(
            "Campaign ended: {} awards changed.",
            q.n.parse::<u64>().unwrap_or(0)
        ),
        _ => String::new(),
    };
    render(&BadgesPage {
        nav: Nav::of(&caller, "/badges"),
        mine: my_badges(&st, &caller).await?,
        all: badges(&st, &caller).await?,
        can_write: caller.require_write("").is_ok(),
        message,
    })
}

/// `POST /badges`: claims every badge earned but not yet awarded (e.g. when a badge was
/// added to the catalog after its criteria were met).
pub async fn claim_post(
    State(st): State<AppState>,
    PageForm { caller, .. }: PageForm<NoFields>,
) -> Result<Response, PageError> {
    caller.require_write("claim badges")?;
    let names: Vec<String> = st
        .app(&caller)
        .claim_badges()
        .await?
        .into_iter()
        .map(|a| a.badge_name)
        .collect();
    Ok(Redirect::to(&format!(
        "/badges?done=claimed&awarded={}",
        page::url_encode(&names.join(", "))
    ))
    .into_response())
}

/// `GET /badges/awards/{uuid}/{file}`: the holder's download, `credential.json` or
/// `credential.jwt`.
pub async fn download_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((uuid, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let jwt = match file.as_str() {
        "credential.json" => false,
        "credential.jwt" => true,
        _ => return Err(not_found(format!("no file {file:?}")).into()),
    };
    Ok(download(&own_award(&st, &caller, &uuid).await?, jwt))
}

/// `POST /badges/awards/{uuid}/profile` (form: show = on | off).
pub async fn profile_post(
    State(st): State<AppState>,
    Path(uuid): Path<String>,
    PageForm { caller, fields }: PageForm<ShowForm>,
) -> Result<Response, PageError> {
    let show = fields.show.is_some_and(|v| v == "on" || v == "true");
    set_profile(&st, &caller, &uuid, show).await?;
    let done = if show { "shown" } else { "hidden" };
    Ok(Redirect::to(&format!("/badges?done={done}")).into_response())
}

/// Every badge class with its holders, and holders per department
///
/// Who: any role. Counts are withheld below the minimum group size.
#[utoipa::path(get, path = "/badges", responses((status = 200, body = BadgesOut), Read))]
pub async fn badges_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<BadgesOut>, ApiError> {
    Ok(Json(badges(&st, &caller).await?))
}

/// Your badges, with their history, and what you can earn next
///
/// Who: any role.
#[utoipa::path(get, path = "/me/badges", responses((status = 200, body = MyBadges), Read))]
pub async fn my_badges_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> Result<Json<MyBadges>, ApiError> {
    Ok(Json(my_badges(&st, &caller).await?))
}

/// The awards a claim made.
#[derive(Debug, Serialize, ToSchema)]
pub struct Claimed {
    pub awarded: Vec<AwardOut>,
}

/// Award yourself every badge you have earned and do not hold
///
/// Who: every role but viewer.
#[utoipa::path(post, path = "/me/badges/claim", responses((status = 200, body = Claimed), Write))]
pub async fn claim_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
) -> Result<Json<Claimed>, ApiError> {
    caller.require_write("claim badges")?;
    auth::check_api_write(&caller, &headers)?;
    let base = base_url(&st).await?;
    let now = now();
    let awarded: Vec<AwardOut> = st
        .app(&caller)
        .claim_badges()
        .await?
        .iter()
        .map(|a| award_out(a, &base, &now))
        .collect();
    Ok(Json(Claimed { awarded }))
}

/// Your signed credential
///
/// Who: any role, for their own awards. An Open Badges 3.0 OpenBadgeCredential with an
/// eddsa-rdfc-2022 proof (application/vc+ld+json), or with format=jwt the VC-JWT
/// (application/vc+jwt).
#[utoipa::path(get, path = "/me/badges/{uuid}/credential", params(
        ("uuid" = String, Path, description = "The award's id (urn:uuid:…)."), FormatParam),
    responses((status = 200, description = "The credential.", content(
            (Object = "application/vc+ld+json"),
            (String = "application/vc+jwt"))),
        Read, Missing))]
pub async fn credential_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(uuid): Path<String>,
    ApiQuery(q): ApiQuery<Format>,
) -> Result<Response, ApiError> {
    let jwt = match q.format.as_deref() {
        None | Some("json") => false,
        Some("jwt") => true,
        Some(other) => {
            return Err(invalid(format!(
                "format {other:?}: use json (the default) or jwt"
            )))
        }
    };
    Ok(download(&own_award(&st, &caller, &uuid).await?, jwt))
}

/// Body of `PUT /api/v1/me/badges/{uuid}/profile`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileIn {
    /// Show it (with a public share link), or hide it (the link stops working).
    pub show: bool,
}

/// Show a badge on your profile, or hide it
///
/// Who: every role but viewer, for their own awards. Shown, it has a public share link;
/// hidden, the link stops working.
#[utoipa::path(put, path = "/me/badges/{uuid}/profile", params(("uuid" = String, Path, description = "The award's id (urn:uuid:…).")),
    request_body = ProfileIn, responses((status = 200, body = AwardOut), Write, Missing))]
pub async fn profile_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(uuid): Path<String>,
    body: JsonBody,
) -> Result<Json<AwardOut>, ApiError> {
    caller.require_write("change what your profile shows")?;
    auth::check_api_write(&caller, &headers)?;
    let p: ProfileIn = body.parse()?;
    Ok(Json(set_profile(&st, &caller, &uuid, p.show).await?))
}

/// Current badges shown on profiles, by person: what the champion directory shows.
pub async fn shown_badges(
    st: &AppState,
    caller: &Caller,
) -> Result<BTreeMap<i64, Vec<AwardOut>>, ApiError> {
    let app = st.app(caller);
    let (base, now) = (app.issuer_url().await?, app.award_clock());
    Ok(app
        .shown_badges()
        .await?
        .into_iter()
        .map(|(p, awards)| {
            (
                p,
                awards.iter().map(|a| award_out(a, &base, &now)).collect(),
            )
        })
        .collect())
}

// ---------------------------------------------------------------- public pages

#[derive(Template)]
#[template(path = "achievement.html")]
struct AchievementPage {
    nav: Nav,
    b: BadgeClassOut,
}

/// `GET /badges/{badge}`: the achievement a credential names (public: verifiers follow
/// its id here).
pub async fn achievement_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Html<String>, PageError> {
    let b = st
        .core
        .app(flywheel_app::Caller::Anonymous)
        .badge_class(&slug)
        .await?;
    render(&AchievementPage {
        nav: page::public_nav(&st, &headers, "/badges").await,
        b: class_out(b, None),
    })
}

#[derive(Template)]
#[template(path = "shared_credential.html")]
struct SharedPage {
    nav: Nav,
    a: AwardOut,
    holder: String,
    issuer: String,
    token: String,
    report: Report,
}

async fn shared(st: &AppState, token: &str) -> Result<AwardRow, ApiError> {
    Ok(st
        .core
        .app(flywheel_app::Caller::Anonymous)
        .shared_award(token)
        .await?)
}

/// `GET /credentials/{token}`: a credential its holder shares, verified live.
pub async fn shared_page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Html<String>, PageError> {
    let a = shared(&st, &token).await?;
    let anyone = st.core.app(flywheel_app::Caller::Anonymous);
    let report = anyone.verify_credential(&a.credential).await?;
    let issuer = anyone.issuer_profile().await?;
    render(&SharedPage {
        nav: page::public_nav(&st, &headers, "/badges").await,
        a: award_out(&a, &anyone.issuer_url().await?, &now()),
        holder: a.holder.clone(),
        issuer: issuer["name"].as_str().unwrap_or_default().to_owned(),
        token,
        report,
    })
}

/// `GET /credentials/{token}/credential.json`.
pub async fn shared_download(
    State(st): State<AppState>,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let a = shared(&st, &token).await?;
    match file.as_str() {
        "credential.json" => Ok(download(&a, false)),
        "credential.jwt" => Ok(download(&a, true)),
        _ => Err(not_found(format!("no file {file:?}"))),
    }
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    nav: Nav,
    text: String,
    report: Option<Report>,
    error: String,
}

/// `GET /verify`: paste or upload a credential (public).
pub async fn verify_page(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    render(&VerifyPage {
        nav: page::public_nav(&st, &headers, "/verify").await,
        text: String::new(),
        report: None,
        error: String::new(),
    })
}

/// The credential of a verify form: the uploaded file if any, else the pasted text.
async fn verify_form_text(mut m: Multipart) -> Result<String, ApiError> {
    let mut pasted = String::new();
    let mut file = String::new();
    while let Some(field) = m
        .next_field()
        .await
        .map_err(|e| invalid(format!("the form cannot be read: {e}")))?
    {
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| invalid(format!("field `{name}` cannot be read: {e}")))?;
        crate::credentials::check_size(bytes.len())?;
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| invalid(format!("field `{name}`: the file is not UTF-8 text")))?;
        match name.as_str() {
            "credential" => pasted = text,
            "file" => file = text,
            _ => {}
        }
    }
    let text = if file.trim().is_empty() { pasted } else { file };
    if text.trim().is_empty() {
        return Err(invalid(
            "paste a credential (JSON or VC-JWT) or choose its file",
        ));
    }
    Ok(text.trim().to_owned())
}

/// `POST /verify` (multipart: `credential` pasted, or `file`): the check-by-check report.
pub async fn verify_post(
    State(st): State<AppState>,
    headers: HeaderMap,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Html<String>), PageError> {
    let nav = page::public_nav(&st, &headers, "/verify").await;
    let text = match m {
        Ok(m) => verify_form_text(m).await,
        Err(e) => Err(invalid(format!(
            "send the form as multipart/form-data: {e}"
        ))),
    };
    match text {
        Ok(text) => {
            let report = st
                .core
                .app(flywheel_app::Caller::Anonymous)
                .verify_credential(&text)
                .await?;
            render_with(
                StatusCode::OK,
                &VerifyPage {
                    nav,
                    text,
                    report: Some(report),
                    error: String::new(),
                },
            )
        }
        Err(e) => render_with(
            e.status(),
            &VerifyPage {
                nav,
                text: String::new(),
                report: None,
                error: e.message,
            },
        ),
    }
}

// ---------------------------------------------------------------- administration

/// One award of a badge, for admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct Holder {
    pub uuid: String,
    pub holder: String,
    pub email: String,
    pub department: String,
    pub issued_at: String,
    pub valid_until: Option<String>,
    #[schema(schema_with = award_state)]
    pub state: &'static str,
    pub revoked_at: Option<String>,
    pub revoke_reason: Option<String>,
    pub win_id: Option<i64>,
}

/// Who holds (and held) badge `slug`: admins only, every read audited.
async fn holders(
    st: &AppState,
    caller: &Caller,
    slug: &str,
    via: &str,
) -> Result<(BadgeClass, Vec<Holder>), ApiError> {
    let app = st.app(caller);
    let now = app.award_clock();
    let (class, awards) = app.holders(slug, via).await?;
    let list = awards
        .into_iter()
        .map(|a| Holder {
            state: a.state(&now),
            uuid: a.uuid,
            holder: a.holder,
            email: a.email,
            department: a.department,
            issued_at: a.issued_at,
            valid_until: a.valid_until,
            revoked_at: a.revoked_at,
            revoke_reason: a.revoke_reason,
            win_id: a.win_id,
        })
        .collect();
    Ok((class, list))
}

/// A CSV cell that a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return gets a leading `'` (OWASP's advice against CSV injection).
pub fn csv_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// The holders as CSV, every cell made safe for spreadsheets.
pub fn holders_csv(list: &[Holder]) -> Result<String, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::new(ErrorCode::Internal, format!("writing CSV: {e}"));
    w.write_record([
        "award",
        "holder",
        "email",
        "department",
        "issued_at",
        "valid_until",
        "state",
        "revoked_at",
        "revoke_reason",
        "win",
    ])
    .map_err(fail)?;
    for h in list {
        let win = h.win_id.map(|w| w.to_string()).unwrap_or_default();
        let row = [
            h.uuid.as_str(),
            &h.holder,
            &h.email,
            &h.department,
            &h.issued_at,
            h.valid_until.as_deref().unwrap_or(""),
            h.state,
            h.revoked_at.as_deref().unwrap_or(""),
            h.revoke_reason.as_deref().unwrap_or(""),
            &win,
        ];
        w.write_record(row.iter().map(|c| csv_safe(c).into_owned()))
            .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|_| ApiError::new(ErrorCode::Internal, "the CSV is not UTF-8"))
}

fn csv_response(slug: &str, text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{slug}-holders.csv\""),
            ),
        ],
        text,
    )
        .into_response()
}

/// Body of `POST /api/v1/awards/{uuid}/revoke`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeIn {
    /// Why (kept in the history).
    #[schema(min_length = 1)]
    pub reason: String,
}

async fn revoke(
    st: &AppState,
    caller: &Caller,
    uuid: &str,
    reason: &str,
) -> Result<bool, ApiError> {
    Ok(st.app(caller).revoke_award(uuid, reason).await?)
}

/// Body of `POST /api/v1/campaigns/{campaign}/end`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndIn {
    #[schema(schema_with = end_mode_in)]
    pub mode: String,
}

fn end_mode_in() -> utoipa::openapi::Object {
    crate::wire::words(
        ["revoke", "expire"],
        "revoke: the awards are revoked; expire: they end today, still valid as history.",
    )
}

async fn end_campaign(
    st: &AppState,
    caller: &Caller,
    slug: &str,
    mode: &str,
) -> Result<u64, ApiError> {
    Ok(st.app(caller).end_campaign(slug, mode).await?)
}

#[derive(Template)]
#[template(path = "badge_holders.html")]
struct HoldersPage {
    nav: Nav,
    b: BadgeClass,
    holders: Vec<Holder>,
}

/// `GET /admin/badges/{badge}`: who holds it (admins; audited).
pub async fn holders_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(slug): Path<String>,
) -> Result<Html<String>, PageError> {
    let (b, holders) = holders(&st, &caller, &slug, "page").await?;
    render(&HoldersPage {
        nav: Nav::of(&caller, "/badges"),
        b,
        holders,
    })
}

/// `GET /admin/badges/{badge}/holders.csv` (admins; audited).
pub async fn holders_csv_page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let (_, list) = holders(&st, &caller, &slug, "CSV export").await?;
    Ok(csv_response(&slug, holders_csv(&list)?))
}

/// `POST /admin/awards/{uuid}/revoke` (form: reason, badge to return to).
pub async fn revoke_post(
    State(st): State<AppState>,
    Path(uuid): Path<String>,
    PageForm { caller, fields }: PageForm<ReasonForm>,
) -> Result<Response, PageError> {
    revoke(&st, &caller, &uuid, &fields.reason).await?;
    let a = st.app(&caller).award(&uuid).await?;
    let back = format!("/admin/badges/{}", page::url_encode(&a.badge));
    Ok(Redirect::to(&back).into_response())
}

/// `POST /admin/campaigns/{campaign}/end` (form: mode = revoke | expire).
pub async fn end_post(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    PageForm { caller, fields }: PageForm<ModeForm>,
) -> Result<Response, PageError> {
    let n = end_campaign(&st, &caller, &slug, &fields.mode).await?;
    Ok(Redirect::to(&format!("/badges?done=ended&n={n}")).into_response())
}

/// Who holds (and held) a badge
///
/// Who: admins (individual-level; audited). Revoked and ended awards included; format=csv
/// for a spreadsheet-safe CSV.
#[utoipa::path(get, path = "/badges/{badge}/holders", params(
        ("badge" = String, Path, description = "The badge's slug."), CsvFormatParam),
    responses((status = 200, body = Vec<Holder>), Read, Refused, Missing))]
pub async fn holders_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(slug): Path<String>,
    ApiQuery(q): ApiQuery<Format>,
) -> Result<Response, ApiError> {
    caller.require_admin("see who holds a badge")?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(invalid(format!(
                "format {other:?}: use json (the default) or csv"
            )))
        }
    };
    let (_, list) = holders(&st, &caller, &slug, if csv { "API CSV" } else { "API" }).await?;
    Ok(if csv {
        csv_response(&slug, holders_csv(&list)?)
    } else {
        Json(list).into_response()
    })
}

/// Whether a revocation changed anything (false: it was revoked already).
#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub revoked: bool,
}

/// Revoke an award
///
/// Who: admins (audited). Its status-list bit is set; the award and why stay in the
/// history.
#[utoipa::path(post, path = "/awards/{uuid}/revoke", params(("uuid" = String, Path, description = "The award's id (urn:uuid:…).")),
    request_body = RevokeIn, responses((status = 200, body = Revoked), Write, Missing))]
pub async fn revoke_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(uuid): Path<String>,
    body: JsonBody,
) -> Result<Json<Revoked>, ApiError> {
    caller.require_admin("revoke badges")?;
    auth::check_api_write(&caller, &headers)?;
    let r: RevokeIn = body.parse()?;
    let revoked = revoke(&st, &caller, &uuid, &r.reason).await?;
    Ok(Json(Revoked { revoked }))
}

/// How many awards ending a campaign changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ended {
    pub awards: u64,
}

/// End a campaign
///
/// Who: admins (audited). Revokes or expires all its current awards in one action,
/// keeping the history.
#[utoipa::path(post, path = "/campaigns/{campaign}/end", params(("campaign" = String, Path, description = "The campaign's slug.")),
    request_body = EndIn, responses((status = 200, body = Ended), Write, Missing))]
pub async fn end_api(
    State(st): State<AppState>,
    ApiCaller(caller): ApiCaller,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: JsonBody,
) -> Result<Json<Ended>, ApiError> {
    caller.require_admin("end campaigns")?;
    auth::check_api_write(&caller, &headers)?;
    let e: EndIn = body.parse()?;
    let n = end_campaign(&st, &caller, &slug, &e.mode).await?;
    Ok(Json(Ended { awards: n }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe(bad), format!("'{bad}"));
        }
        for fine in ["Ada", "", "1-2", "a=b", "urn:uuid:1"] {
            assert_eq!(csv_safe(fine), fine);
        }
        let h = Holder {
            uuid: "urn:uuid:1".into(),
            holder: "=HYPERLINK(\"http://x\",\"y\")".into(),
            email: "@a".into(),
            department: "Sales, \"East\"".into(),
            issued_at: "2026-01-01T00:00:00Z".into(),
            valid_until: None,
            state: "active",
            revoked_at: None,
            revoke_reason: Some("-".into()),
            win_id: Some(3),
        };
        let text = holders_csv(&[h]).expect("csv");
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let row = r.records().next().expect("row").expect("record");
        assert_eq!(&row[1], "'=HYPERLINK(\"http://x\",\"y\")");
        assert_eq!(&row[2], "'@a");
        assert_eq!(&row[3], "Sales, \"East\"");
        assert_eq!(&row[8], "'-");
        assert_eq!(&row[9], "3");
    }
}
