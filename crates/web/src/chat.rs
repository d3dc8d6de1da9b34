//! The chat front door's HTTP endpoints: what Slack posts (`/chat/slack/…`). Every request
//! is verified first (signing v0, five-minute window, no replay); a refusal is `401`,
//! counted in `/metrics` (`flywheel_chat_refused_total`), and never reaches a use case.
//! The use cases are `app::slack_live` (and the other chat modules of `app`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use flywheel_app::can_i::Answered;
use flywheel_app::chat_ask::{AskReading, ChatAnswer, ChatMember};
use flywheel_app::slack_live::Received;
use flywheel_app::{App, AppError};
use flywheel_chat::blocks::{cut, escape, limits, Block, Element, Opt};
use flywheel_store::Channel;

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

/// The body of a request claiming to come from Slack, verified, and the anonymous use
/// cases to hand it to; or the refusal to answer (too large, unsigned, stale, forged,
/// replayed), counted.
async fn from_slack(
    st: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(App, Bytes), Response> {
    let body = body.map_err(|e| too_large(st, &e))?;
    let app = st.core.app(flywheel_app::Caller::Anonymous);
    match verified(st, &app, headers, &body).await {
        Some(refused) => Err(refused),
        None => Ok((app, body)),
    }
}

/// `POST /chat/slack/events`: the Events API. The URL check is answered with its
/// challenge; an event is queued as a job (a retry, `X-Slack-Retry-Num`, finds the job of
/// its `event_id` and makes no other) and answered at once with `200`.
pub async fn slack_events(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let (app, body) = match from_slack(&st, &headers, body).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    match app.slack_receive(&body).await {
        Ok(Received::Challenge(c)) => {
            axum::Json(serde_json::json!({ "challenge": c })).into_response()
        }
        Ok(Received::Queued(_) | Received::Ignored(_)) => StatusCode::OK.into_response(),
        Err(AppError::Invalid(m)) => (StatusCode::BAD_REQUEST, m).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// An ephemeral answer (only the asker sees it).
fn ephemeral(text: &str, blocks: &[Block]) -> serde_json::Value {
    serde_json::json!({
        "response_type": "ephemeral",
        "text": cut(text, limits::MESSAGE_TEXT),
        "blocks": blocks,
    })
}

/// A short ephemeral message of text only.
pub(crate) fn say(text: &str) -> serde_json::Value {
    ephemeral(text, &[Block::text(text)])
}

/// Who `user_id` is, within Slack's three seconds; a message for them when they cannot act.
async fn member(app: &App, user_id: &str) -> Result<App, serde_json::Value> {
    match tokio::time::timeout(std::time::Duration::from_secs(2), app.slack_member(user_id)).await {
        Err(_) => Err(say("Slack took too long to tell me who you are. Try again in a moment.")),
        Ok(Err(e)) => {
            tracing::warn!("a Slack member could not be looked up: {e}");
            Err(say("I could not look you up just now. Try again in a moment."))
        }
        Ok(Ok(ChatMember::Unmatched)) => Err(say(
            "I can't find you in the org chart: your Slack profile's email is not a work email Flywheel knows. Ask your AI program lead to link you.",
        )),
        Ok(Ok(ChatMember::Disabled)) => Err(say("Your Flywheel account is disabled.")),
        Ok(Ok(ChatMember::Member(m))) => Ok(*m),
    }
}

/// The "Can I?" answer as Block Kit: "Yes — here's how" with the steps, the tool's link and
/// **Request access**; or "No — but try this instead" with the reasons and alternatives.
pub fn answer_blocks(a: &Answered) -> Vec<Block> {
    let x = &a.answer;
    let (tool, purpose, class) = (escape(&x.tool), escape(&x.purpose), escape(&x.data_class));
    let request = |tool: &str, i: usize| {
        let value =
            serde_json::json!({"tool": tool, "purpose": x.purpose, "data_class": x.data_class})
                .to_string();
        Element::button(
            &format!("Request access to {tool}"),
            &format!("request_access_{i}"),
            &value,
        )
    };
    let mut blocks = Vec::new();
    if x.allowed {
        blocks.push(Block::text(&format!(
            "*Yes — here's how.* You may use *{tool}* for {purpose} with {class} data."
        )));
        if !x.how_to.is_empty() {
            let steps: Vec<String> = x
                .how_to
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}. {}", i + 1, escape(s)))
                .collect();
            blocks.push(Block::text(&steps.join("\n")));
        }
        let mut row = Vec::new();
        if x.access_url.starts_with("https://") {
            row.push(Element::link(
                &format!("Open {}", x.tool),
                "open_tool",
                &x.access_url,
            ));
        }
        row.push(request(&x.tool, 0).styled("primary"));
        blocks.push(Block::actions("cani_yes", row));
    } else {
        blocks.push(Block::text(&format!(
            "*No — but try this instead.* *{tool}* is not for {purpose} with {class} data."
        )));
        if !x.alternatives.is_empty() {
            let mut row = Vec::new();
            for (i, alt) in x.alternatives.iter().take(5).enumerate() {
                let steps = alt
                    .how_to
                    .iter()
                    .take(3)
                    .map(|s| format!("• {}", escape(s)))
                    .collect::<Vec<_>>()
                    .join("\n");
                blocks.push(Block::text(&format!(
                    "*{}* — {}\n{steps}",
                    escape(&alt.tool),
                    escape(&alt.description)
                )));
                row.push(request(&alt.tool, i + 1));
            }
            blocks.push(Block::actions("cani_alternatives", row));
        } else {
            blocks.push(Block::text("No tool of the catalog may be used for this with this data. Ask your AI program lead."));
        }
    }
    let why = if x.reasons.is_empty() {
        String::new()
    } else {
        format!("Why: {}", escape(&x.reasons.join("; ")))
    };
    let version = match a.policy_version {
        Some(v) => format!("policy version {v}"),
        None => "the default policies".to_owned(),
    };
    let mut parts = vec![version];
    if !why.is_empty() {
        parts.insert(0, why);
    }
    blocks.push(Block::context(
        &parts.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    blocks
}

/// The question asked back: what was read, and menus for what was not.
pub fn unclear_blocks(
    reading: &AskReading,
    tools: &[String],
    purposes: &[String],
    classes: &[String],
) -> Vec<Block> {
    let missing = reading.missing();
    let opts = |xs: &[String]| xs.iter().map(|x| Opt::new(x, x)).collect::<Vec<_>>();
    // The tools the words could mean come first.
    let mut tool_list: Vec<String> = reading.tool_candidates.clone();
    tool_list.extend(
        tools
            .iter()
            .filter(|t| !reading.tool_candidates.contains(t))
            .cloned(),
    );
    let classes_opts: Vec<Opt> = classes
        .iter()
        .map(|c| {
            let about = flywheel_domain::program::DATA_CLASSES
                .iter()
                .find(|(n, _)| n == c)
                .map_or("", |(_, d)| d);
            Opt::new(&format!("{c}: {about}"), c)
        })
        .collect();
    vec![
        Block::text(&format!(
            "I couldn't tell {} from your question. Pick, then *Ask*:",
            missing.join(", ")
        )),
        Block::actions(
            "cani",
            vec![
                Element::select(
                    "cani_tool",
                    "Tool",
                    opts(&tool_list),
                    reading
                        .tool
                        .as_deref()
                        .or(reading.tool_candidates.first().map(String::as_str)),
                ),
                Element::select(
                    "cani_purpose",
                    "What for",
                    opts(purposes),
                    reading.purpose.as_deref(),
                ),
                Element::select(
                    "cani_class",
                    "Which data",
                    classes_opts,
                    reading.data_class.as_deref(),
                ),
                Element::button("Ask", "cani_ask", "ask").styled("primary"),
            ],
        ),
    ]
}

/// A slash command, as Slack posts it (form-encoded).
#[derive(Debug, serde::Deserialize)]
struct SlashCommand {
    #[serde(default)]
    command: String,
    #[serde(default)]
    text: String,
    user_id: String,
}

/// `POST /chat/slack/commands`: `/cani <free text>`, answered at once, ephemerally.
pub async fn slack_commands(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let (app, body) = match from_slack(&st, &headers, body).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let cmd: SlashCommand = match serde_urlencoded::from_bytes(&body) {
        Ok(c) => c,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, format!("not a slash command: {e}")).into_response()
        }
    };
    if !cmd.command.eq_ignore_ascii_case("/cani") {
        return axum::Json(say(&format!(
            "{} is not a Flywheel command; try /cani",
            escape(&cmd.command)
        )))
        .into_response();
    }
    if cmd.text.trim().is_empty() {
        return axum::Json(say("Ask in your own words: `/cani ChatGPT Enterprise to summarise a customer contract`. I answer from your company's AI policy.")).into_response();
    }
    let me = match member(&app, &cmd.user_id).await {
        Ok(m) => m,
        Err(msg) => return axum::Json(msg).into_response(),
    };
    let reply = match me.chat_can_i(&cmd.text, Channel::Slack).await {
        Ok(ChatAnswer::Answered(a)) => {
            let fallback = if a.answer.allowed {
                "Yes — here's how"
            } else {
                "No — but try this instead"
            };
            ephemeral(fallback, &answer_blocks(&a))
        }
        Ok(ChatAnswer::Unclear {
            reading,
            tools,
            purposes,
            classes,
        }) => ephemeral(
            "Which tool, for what, with which data?",
            &unclear_blocks(&reading, &tools, &purposes, &classes),
        ),
        Err(e) => {
            tracing::warn!("/cani failed: {e}");
            say("Something went wrong on our side; try again, or use the Can I? page.")
        }
    };
    axum::Json(reply).into_response()
}

/// `POST /chat/slack/interactions`: buttons, menus, shortcuts and modals (`payload`, form-
/// encoded JSON). Answered with `200` once done; messages go to the `response_url`.
pub async fn slack_interactions(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let (app, body) = match from_slack(&st, &headers, body).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    #[derive(serde::Deserialize)]
    struct Form {
        payload: String,
    }
    let payload: serde_json::Value = match serde_urlencoded::from_bytes::<Form>(&body)
        .map_err(|e| e.to_string())
        .and_then(|f| serde_json::from_str(&f.payload).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("not an interaction payload: {e}"),
            )
                .into_response()
        }
    };
    let user = payload["user"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let response_url = payload["response_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let me = match member(&app, &user).await {
        Ok(m) => m,
        Err(msg) => {
            // A modal has no response_url; anything else is told why.
            if payload["type"] != "view_submission" {
                if let Err(e) = app.slack_respond(&response_url, &msg).await {
                    tracing::warn!("could not answer a Slack interaction: {e}");
                }
            }
            return StatusCode::OK.into_response();
        }
    };
    match payload["type"].as_str() {
        Some("block_actions") => {
            let action = payload["actions"][0].clone();
            let trigger = payload["trigger_id"].as_str().unwrap_or_default();
            if let Some(r) = block_action(&me, &action, &payload["state"]["values"], trigger).await
            {
                if let Err(e) = app.slack_respond(&response_url, &r).await {
                    tracing::warn!("could not answer a Slack interaction: {e}");
                }
            }
            StatusCode::OK.into_response()
        }
        Some("message_action") if payload["callback_id"] == "share_win" => {
            if let Err(e) = crate::chat_wins::open_share(&me, &payload).await {
                tracing::warn!("could not open the win modal: {e}");
            }
            StatusCode::OK.into_response()
        }
        Some("view_submission") => crate::chat_wins::submitted(&me, &payload["view"]).await,
        _ => StatusCode::OK.into_response(),
    }
}

/// What a button or menu does; the message to send back, if any.
async fn block_action(
    me: &App,
    action: &serde_json::Value,
    state: &serde_json::Value,
    trigger: &str,
) -> Option<serde_json::Value> {
    let id = action["action_id"].as_str().unwrap_or_default();
    if id == "win_tried" || id == "win_verify" {
        return crate::chat_wins::win_button(me, id, action, trigger).await;
    }
    if id == "share_win_open" {
        return crate::chat_wins::open_blank(me, trigger)
            .await
            .err()
            .map(|e| say(&escape(&e.to_string())));
    }
    if let Some(r) = nudge_action(me, id, action).await {
        return Some(r);
    }
    if id == "cani_ask" {
        let picked = |a: &str| {
            state["cani"][a]["selected_option"]["value"]
                .as_str()
                .map(str::to_owned)
        };
        let (Some(tool), Some(purpose), Some(data_class)) = (
            picked("cani_tool"),
            picked("cani_purpose"),
            picked("cani_class"),
        ) else {
            return Some(say("Pick a tool, what for, and which data, then *Ask*."));
        };
        let q = flywheel_policy::Question {
            tool,
            purpose,
            data_class,
        };
        return Some(match me.ask(&q, Channel::Slack).await {
            Ok(a) => {
                let mut r = ephemeral(
                    if a.answer.allowed {
                        "Yes — here's how"
                    } else {
                        "No — but try this instead"
                    },
                    &answer_blocks(&a),
                );
                r["replace_original"] = true.into();
                r
            }
            Err(e) => say(&escape(&e.to_string())),
        });
    }
    if id.starts_with("request_access") {
        let v: serde_json::Value =
            serde_json::from_str(action["value"].as_str().unwrap_or("{}")).unwrap_or_default();
        let tool = v["tool"].as_str().unwrap_or_default();
        let reason = format!(
            "asked in Slack: {} with {} data",
            v["purpose"].as_str().unwrap_or("?"),
            v["data_class"].as_str().unwrap_or("?")
        );
        return Some(match me.request_access(tool, &reason).await {
            Ok(n) => say(&format!(
                "Requested access to *{}* (request #{n}). You will hear back here.",
                escape(tool)
            )),
            Err(e) => say(&escape(&e.to_string())),
        });
    }
    // A menu changed: nothing to do until *Ask*.
    None
}

/// The buttons of nudges: **Stop these**, and a champion invitation's **Accept** and
/// **Decline**.
async fn nudge_action(me: &App, id: &str, action: &serde_json::Value) -> Option<serde_json::Value> {
    let done = match id {
        "nudge_optout" => {
            let kind = action["value"].as_str().unwrap_or_default();
            me.opt_out_nudges(kind).await.map(|()| "Done: you will not get these again.".to_owned())
        }
        "champion_accept" => me
            .volunteer(&flywheel_store::Profile::default())
            .await
            .map(|_| "Welcome, champion. Add your office hours and the tools you know on Flywheel's Champions page, and choose whether to be listed.".to_owned()),
        "champion_decline" => me
            .opt_out()
            .await
            .map(|()| "Understood: you will not be asked again.".to_owned()),
        _ => return None,
    };
    Some(match done {
        Ok(text) => say(&text),
        Err(e) => say(&escape(&e.to_string())),
    })
}

/// The "Can I?" answer as an Adaptive Card, for Teams.
pub fn answer_card(a: &Answered) -> serde_json::Value {
    use flywheel_chat::teams::{card, text};
    let x = &a.answer;
    let mut body = Vec::new();
    let mut links = Vec::new();
    if x.allowed {
        body.push(text("Yes — here's how", true));
        body.push(text(
            &format!(
                "You may use {} for {} with {} data.",
                x.tool, x.purpose, x.data_class
            ),
            false,
        ));
        if !x.how_to.is_empty() {
            let steps: Vec<String> = x
                .how_to
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}. {s}", i + 1))
                .collect();
            body.push(text(&steps.join("\n"), false));
        }
        if x.access_url.starts_with("https://") {
            links.push((format!("Open {}", x.tool), x.access_url.clone()));
        }
    } else {
        body.push(text("No — but try this instead", true));
        body.push(text(
            &format!(
                "{} is not for {} with {} data.",
                x.tool, x.purpose, x.data_class
            ),
            false,
        ));
        for alt in x.alternatives.iter().take(5) {
            let steps = alt
                .how_to
                .iter()
                .take(3)
                .map(|s| format!("- {s}"))
                .collect::<Vec<_>>()
                .join("\n");
            body.push(text(
                &format!("**{}** — {}\n{steps}", alt.tool, alt.description),
                false,
            ));
            if alt.access_url.starts_with("https://") {
                links.push((format!("Open {}", alt.tool), alt.access_url.clone()));
            }
        }
        if x.alternatives.is_empty() {
            body.push(text("No tool of the catalog may be used for this with this data. Ask your AI program lead.", false));
        }
    }
    if !x.reasons.is_empty() {
        body.push(text(&format!("Why: {}", x.reasons.join("; ")), false));
    }
    flywheel_chat::teams::message(card(body, &links))
}

/// `POST /chat/teams/webhook`: a Teams outgoing webhook (`@Flywheel can I use …?` in a
/// channel), verified (HMAC), answered at once with an Adaptive Card. Teams does not say
/// who asked in a way Flywheel can match, so it answers as for any employee and logs the
/// question as demand without a person.
pub async fn teams_webhook(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            st.metrics
                .refused("teams", flywheel_chat::slack::Refusal::TooLarge.code());
            return (e.status(), e.body_text()).into_response();
        }
    };
    let app = st.core.app(flywheel_app::Caller::Anonymous);
    match app
        .teams_verify(header(&headers, "authorization"), &body)
        .await
    {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => {
            st.metrics.refused("teams", refusal.code());
            tracing::warn!(
                reason = refusal.code(),
                "refused a request claiming to come from Teams"
            );
            return (StatusCode::UNAUTHORIZED, refusal.to_string()).into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    let activity: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, format!("not an activity: {e}")).into_response()
        }
    };
    let q = flywheel_chat::teams::question(&activity);
    let reply = if q.is_empty() {
        flywheel_chat::teams::message(flywheel_chat::teams::card(
            vec![flywheel_chat::teams::text("Ask in your own words: @Flywheel can I use ChatGPT Enterprise to summarise a customer contract?", false)],
            &[],
        ))
    } else {
        match app.chat_can_i(&q, Channel::Teams).await {
            Ok(ChatAnswer::Answered(a)) => answer_card(&a),
            Ok(ChatAnswer::Unclear {
                reading,
                tools,
                purposes,
                classes,
            }) => {
                let offered = reading.tool_choices(&tools).join(", ");
                let missing: Vec<String> = reading
                    .missing()
                    .into_iter()
                    .map(|m| match m {
                        "which tool" => format!("{m} ({offered})"),
                        "what for" => format!("{m} ({})", purposes.join(", ")),
                        _ => format!("{m} ({})", classes.join(", ")),
                    })
                    .collect();
                flywheel_chat::teams::message(flywheel_chat::teams::card(
                    vec![
                        flywheel_chat::teams::text("I couldn't tell from your question", true),
                        flywheel_chat::teams::text(
                            &format!("Ask again naming {}.", missing.join("; ")),
                            false,
                        ),
                    ],
                    &[],
                ))
            }
            Err(e) => {
                tracing::warn!("a Teams question failed: {e}");
                flywheel_chat::teams::message(flywheel_chat::teams::card(
                    vec![flywheel_chat::teams::text(
                        "Something went wrong on our side; try again, or use the Can I? page.",
                        false,
                    )],
                    &[],
                ))
            }
        }
    };
    axum::Json(reply).into_response()
}
