//! HTML pages.

use askama::Template;
use axum::extract::State;
use axum::response::Html;

use crate::chart::{bar_chart, shown_summary, ShownSummary};
use crate::error::ApiError;
use crate::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
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

pub async fn home(State(st): State<AppState>) -> Result<Html<String>, ApiError> {
    let ShownSummary {
        org: s,
        min_group_size: min,
        bars: rows,
        suppressed,
    } = shown_summary(&st.store).await?;
    let page = Home {
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
    page.render().map(Html).map_err(|e| {
        tracing::error!("template: {e}");
        ApiError::new(crate::error::ErrorCode::Internal, "cannot render the page")
    })
}
