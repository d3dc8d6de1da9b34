//! The chat front door's HTTP endpoints: what Slack posts (`/chat/slack/…`). Every request
//! is verified first (signing v0, five-minute window, no replay); a refusal is `401`,
//! counted in `/metrics` (`flywheel_chat_refused_total`), and never reaches a use case.
//! The use cases are `app::slack_live` (and the other chat modules of `app`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use flywheel_app::slack_live::Received;
use flywheel_app::{App, AppError};

use crate::error::ApiError;
use crate::AppState;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Verifies a request from Slack; the refusal answer when it is not one.
async fn verified(st: &AppState, app: &App, headers: &HeaderMap, body: &[u8]) -> Option<Response> {
    let checked = app
        .slack_verify(
            header(headers, "x-slack-request-timestamp"),
            header(headers, "x-slack-signature"),
            body,
        )
        .await;
    match checked {
        Ok(Ok(())) => None,
        Ok(Err(refusal)) => {
            st.metrics.refused("slack", refusal.code());
            tracing::warn!(
                reason = refusal.code(),
                "refused a request claiming to come from Slack"
            );
            Some((StatusCode::UNAUTHORIZED, refusal.to_string()).into_response())
        }
        Err(e) => Some(ApiError::from(e).into_response()),
    }
}

/// A body that could not be read (larger than the server takes): refused and counted.
fn too_large(st: &AppState, e: &axum::extract::rejection::BytesRejection) -> Response {
    st.metrics
        .refused("slack", flywheel_chat::slack::Refusal::TooLarge.code());
    (e.status(), e.body_text()).into_response()
}

/// `POST /chat/slack/events`: the Events API. The URL check is answered with its
/// challenge; an event is queued as a job (a retry, `X-Slack-Retry-Num`, finds the job of
/// its `event_id` and makes no other) and answered at once with `200`.
pub async fn slack_events(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => return too_large(&st, &e),
    };
    let app = st.core.app(flywheel_app::Caller::Anonymous);
    if let Some(refused) = verified(&st, &app, &headers, &body).await {
        return refused;
    }
    match app.slack_receive(&body).await {
        Ok(Received::Challenge(c)) => {
            axum::Json(serde_json::json!({ "challenge": c })).into_response()
        }
        Ok(Received::Queued(_) | Received::Ignored(_)) => StatusCode::OK.into_response(),
        Err(AppError::Invalid(m)) => (StatusCode::BAD_REQUEST, m).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
