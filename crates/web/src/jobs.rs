//! `/admin/jobs`: the job runner for admins — the schedules with their next run, the latest
//! jobs with their state, attempts and last error, and retry or cancel buttons. The use
//! cases are `app::jobs`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use flywheel_store::{Job, Schedule};

use crate::page::{render_with, Nav, NoFields, PageCaller, PageError, PageForm};
use crate::query::{Done, PageQuery};
use crate::AppState;

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    nav: Nav,
    jobs: Vec<Job>,
    schedules: Vec<Schedule>,
    done: String,
}

/// `GET /admin/jobs` (admins).
pub async fn page(
    State(st): State<AppState>,
    PageCaller(caller): PageCaller,
    PageQuery(q): PageQuery<Done>,
) -> Result<Response, PageError> {
    let app = st.app(&caller);
    let jobs = app.jobs(None, 100).await?;
    let schedules = app.schedules().await?;
    let done = match q.done.as_str() {
        "retried" => "The job is queued again.",
        "cancelled" => "The job is cancelled.",
        _ => "",
    };
    Ok(render_with(
        StatusCode::OK,
        &JobsPage {
            nav: Nav::of(&caller, "/admin/jobs"),
            jobs,
            schedules,
            done: done.to_owned(),
        },
    )?
    .into_response())
}

/// `POST /admin/jobs/{id}/retry` (admins).
pub async fn retry(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller, .. }: PageForm<NoFields>,
) -> Result<Response, PageError> {
    st.app(&caller).retry_job(id).await?;
    Ok(Redirect::to("/admin/jobs?done=retried").into_response())
}

/// `POST /admin/jobs/{id}/cancel` (admins).
pub async fn cancel(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    PageForm { caller, .. }: PageForm<NoFields>,
) -> Result<Response, PageError> {
    st.app(&caller).cancel_job(id).await?;
    Ok(Redirect::to("/admin/jobs?done=cancelled").into_response())
}
