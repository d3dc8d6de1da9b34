//! HTML pages.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Html;

use crate::chart::{bar_chart, shown_summary, ShownSummary};
use crate::page::{self, render, ClientIp, Nav, PageError};
use crate::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    nav: Nav,
    people: i64,
    departed: i64,
    units: i64,
    sites: i64,
    without_unit: i64,
    flagged: i64,
    min_group_size: i64,
    suppressed: usize,
    chart: String,
    rows: Vec<(String, i64)>,
}

pub async fn home(
    State(st): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Html<String>, PageError> {
    let caller = page::caller(&st, ip, &headers, "/").await?;
    let ShownSummary {
        org: s,
        min_group_size: min,
        bars: rows,
        suppressed,
    } = shown_summary(&st.store).await?;
    let page = Home {
        nav: Nav::of(&caller, "/"),
        people: s.people,
        departed: s.departed,
        units: s.units,
        sites: s.sites,
        without_unit: s.without_unit,
        flagged: s.flagged_manager_links,
        min_group_size: min,
        suppressed,
        chart: bar_chart("Headcount by department", &rows),
        rows,
    };
    render(&page)
}
