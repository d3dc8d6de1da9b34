//! Wins in one click, in Slack: the *Share as a win* message shortcut opens a modal
//! pre-filled from the message (what, tool, minutes before and after, how often — read
//! with the same time-saved reader as the wins channel); submitting it posts the win as the
//! member (`App::post_win`) and to the wins channel, with **I tried this too** and **I saw
//! this work** buttons that call the same use cases as the web (`App::try_win`,
//! `App::verify_win`, which awards the author what the verification earned).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use flywheel_app::wins::WinDraft;
use flywheel_app::{App, AppResult};
use flywheel_chat::blocks::{cut, escape, limits, Block, Element, Opt};
use serde_json::{json, Value};

use crate::chat::say;

const FREQUENCIES: [&str; 4] = ["once", "daily", "weekly", "monthly"];

fn text_input(action: &str, initial: &str, multiline: bool, max: usize) -> Element {
    Element::PlainTextInput {
        action_id: action.into(),
        multiline,
        initial_value: (!initial.is_empty()).then(|| cut(initial, max)),
        max_length: Some(max),
    }
}

fn minutes_input(initial: Option<f64>) -> Element {
    Element::NumberInput {
        action_id: "v".into(),
        is_decimal_allowed: false,
        initial_value: initial.map(|m| format!("{}", m.round() as i64)),
        min_value: Some("0".into()),
    }
}

/// The modal of a win, as a view.
fn share_view(message: &Value, tools: &[String], source: &Value) -> Value {
    let text = message["text"].as_str().unwrap_or_default();
    let saved = flywheel_insights::wins::time_saved(text);
    let reading = flywheel_app::chat_ask::read_question(
        text,
        &flywheel_app::chat_ask::AskCatalog::names(tools),
    );
    let title = text
        .split(['.', '\n', '!'])
        .next()
        .unwrap_or_default()
        .trim();
    let per = saved.as_ref().map_or("once", |s| match s.per.as_str() {
        "day" => "daily",
        "week" => "weekly",
        "month" => "monthly",
        _ => "once",
    });
    let tool_opts: Vec<Opt> = tools.iter().map(|t| Opt::new(t, t)).collect();
    let mut blocks = vec![
        Block::input("title", "Title", text_input("v", title, false, 150), false),
        Block::input(
            "what",
            "What you did",
            text_input("v", text, true, 3000),
            false,
        ),
    ];
    if !tool_opts.is_empty() {
        blocks.push(Block::input(
            "tool",
            "Tool",
            Element::select("v", "Which AI tool", tool_opts, reading.tool.as_deref()),
            true,
        ));
    }
    blocks.extend([
        Block::input(
            "before",
            "Minutes it took before",
            minutes_input(saved.as_ref().and_then(|s| s.minutes_before)),
            false,
        ),
        Block::input(
            "after",
            "Minutes it takes now",
            minutes_input(saved.as_ref().and_then(|s| s.minutes_after)),
            false,
        ),
        Block::input(
            "frequency",
            "How often",
            Element::select(
                "v",
                "How often",
                FREQUENCIES.iter().map(|f| Opt::new(f, f)).collect(),
                Some(per),
            ),
            false,
        ),
    ]);
    json!({
        "type": "modal",
        "callback_id": "share_win",
        "title": {"type": "plain_text", "text": "Share as a win"},
        "submit": {"type": "plain_text", "text": "Share"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": cut(&source.to_string(), limits::METADATA),
        "blocks": blocks,
    })
}

/// The shortcut: opens the modal (with the interaction's `trigger_id`, within Slack's three
/// seconds). The message's text is read for the pre-fill and kept nowhere.
pub async fn open_share(me: &App, payload: &Value) -> AppResult<()> {
    let tools: Vec<String> = me
        .store()
        .catalog()
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let source = json!({"channel": payload["channel"]["id"], "ts": payload["message"]["ts"]});
    let view = share_view(&payload["message"], &tools, &source);
    me.slack_call(
        "views.open",
        &json!({"trigger_id": payload["trigger_id"], "view": view}),
    )
    .await?;
    Ok(())
}

/// The modal of a new win, from a nudge's **Share a win** button (nothing pre-filled).
pub async fn open_blank(me: &App, trigger: &str) -> AppResult<()> {
    let tools: Vec<String> = me
        .store()
        .catalog()
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let view = share_view(&json!({"text": ""}), &tools, &json!({}));
    me.slack_call("views.open", &json!({"trigger_id": trigger, "view": view}))
        .await?;
    Ok(())
}

/// The win as posted in the wins channel, with its two buttons.
pub fn win_post(id: i64, author: &str, w: &WinDraft) -> Vec<Block> {
    let tool = w
        .tool
        .as_deref()
        .map(|t| format!(" with *{}*", escape(t)))
        .unwrap_or_default();
    let saved = w.minutes_before.saturating_sub(w.minutes_after);
    vec![
        Block::text(&format!(
            "*{}* — shared by <@{author}>{tool}",
            escape(&w.title)
        )),
        Block::text(&escape(&w.what)),
        Block::context(&[&format!(
            "{} min → {} min ({} saved, {})",
            w.minutes_before, w.minutes_after, saved, w.frequency
        )]),
        Block::actions(
            &format!("win_{id}"),
            vec![
                Element::button("I tried this too", "win_tried", &id.to_string()),
                Element::button("I saw this work", "win_verify", &id.to_string()).styled("primary"),
            ],
        ),
    ]
}

fn value<'a>(state: &'a Value, block: &str) -> &'a Value {
    &state[block]["v"]
}

/// The modal's answer: an error per field, or `None` and the win.
fn draft(state: &Value) -> Result<WinDraft, Value> {
    let text = |b: &str| {
        value(state, b)["value"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let mut errors = serde_json::Map::new();
    let minutes =
        |b: &str, errors: &mut serde_json::Map<String, Value>| match text(b).parse::<u32>() {
            Ok(m) => m,
            Err(_) => {
                errors.insert(b.into(), "a whole number of minutes".into());
                0
            }
        };
    let before = minutes("before", &mut errors);
    let after = minutes("after", &mut errors);
    for b in ["title", "what"] {
        if text(b).is_empty() {
            errors.insert(b.into(), "needed".into());
        }
    }
    if !errors.is_empty() {
        return Err(json!({"response_action": "errors", "errors": errors}));
    }
    Ok(WinDraft {
        tool: value(state, "tool")["selected_option"]["value"]
            .as_str()
            .map(str::to_owned),
        title: text("title"),
        what: text("what"),
        minutes_before: before,
        minutes_after: after,
        frequency: value(state, "frequency")["selected_option"]["value"]
            .as_str()
            .unwrap_or("once")
            .to_owned(),
    })
}

/// A modal submitted: a win shared, or a win verified.
pub async fn submitted(me: &App, view: &Value) -> Response {
    let state = &view["state"]["values"];
    match view["callback_id"].as_str() {
        Some("share_win") => {
            let w = match draft(state) {
                Ok(w) => w,
                Err(errors) => return axum::Json(errors).into_response(),
            };
            let id = match me.post_win(&w).await {
                Ok(id) => id,
                Err(e) => {
                    return axum::Json(json!({"response_action": "errors", "errors": {"what": cut(&e.to_string(), 150)}}))
                        .into_response()
                }
            };
            let author = me
                .caller()
                .user()
                .map(|u| u.email.clone())
                .unwrap_or_default();
            if let Err(e) = post_to_wins(me, id, &w).await {
                tracing::warn!("win {id} of {author} could not be posted to the wins channel: {e}");
            }
            StatusCode::OK.into_response()
        }
        Some("verify_win") => {
            let id: i64 =
                serde_json::from_str::<Value>(view["private_metadata"].as_str().unwrap_or("{}"))
                    .ok()
                    .and_then(|m| m["win"].as_i64())
                    .unwrap_or_default();
            let evidence = value(state, "evidence")["value"]
                .as_str()
                .unwrap_or_default()
                .trim()
                .to_owned();
            match me.verify_win(id, &evidence).await {
                Ok(v) => {
                    let earned = if v.badges_awarded.is_empty() {
                        String::new()
                    } else {
                        format!(" It earned its author: {}.", v.badges_awarded.join(", "))
                    };
                    let done = json!({
                        "type": "modal",
                        "title": {"type": "plain_text", "text": "Verified"},
                        "close": {"type": "plain_text", "text": "Done"},
                        "blocks": [Block::text(&format!("Thank you: you verified this win as a {}.{}", v.as_role, escape(&earned)))],
                    });
                    axum::Json(json!({"response_action": "update", "view": done})).into_response()
                }
                Err(e) => axum::Json(json!({"response_action": "errors", "errors": {"evidence": cut(&e.to_string(), 150)}}))
                    .into_response(),
            }
        }
        _ => StatusCode::OK.into_response(),
    }
}

/// Posts a win to the wins channel, as the app, with its buttons.
async fn post_to_wins(me: &App, id: i64, w: &WinDraft) -> AppResult<()> {
    let Some(s) = me.slack().await? else {
        return Ok(());
    };
    let Some(channel) = s.wins_channel else {
        return Ok(());
    };
    let author = me
        .slack_id_of_caller()
        .await?
        .unwrap_or_else(|| "someone".into());
    me.slack_call(
        "chat.postMessage",
        &json!({
            "channel": channel,
            "text": cut(&format!("A win: {}", w.title), limits::MESSAGE_TEXT),
            "blocks": win_post(id, &author, w),
            "unfurl_links": false,
        }),
    )
    .await?;
    Ok(())
}

/// **I tried this too** (at once) and **I saw this work** (a modal asking what was seen).
pub async fn win_button(me: &App, id: &str, action: &Value, trigger: &str) -> Option<Value> {
    let win: i64 = action["value"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    if id == "win_tried" {
        return Some(match me.try_win(win).await {
            Ok(true) => say("Noted: you tried it too. Thank you for passing it on."),
            Ok(false) => say("You had already said you tried it."),
            Err(e) => say(&escape(&e.to_string())),
        });
    }
    let view = json!({
        "type": "modal",
        "callback_id": "verify_win",
        "title": {"type": "plain_text", "text": "I saw this work"},
        "submit": {"type": "plain_text", "text": "Verify"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json!({"win": win}).to_string(),
        "blocks": [
            Block::text("What did you see? Your verification can earn its author a badge."),
            Block::input("evidence", "Evidence", text_input("v", "", true, flywheel_app::wins::MAX_EVIDENCE_CHARS), false),
        ],
    });
    match me
        .slack_call("views.open", &json!({"trigger_id": trigger, "view": view}))
        .await
    {
        Ok(_) => None,
        Err(e) => Some(say(&escape(&e.to_string()))),
    }
}
