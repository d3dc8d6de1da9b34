//! Microsoft Teams: an outgoing webhook's requests verified (`Authorization: HMAC <base64
//! of HMAC-SHA256 of the body under the base64-decoded security token>`, compared in
//! constant time), the question read out of its activity, and Adaptive Cards — the answer
//! to an outgoing webhook and what is posted to an incoming webhook or a Workflows URL —
//! checked against Teams' documented limits.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::slack::Refusal;

/// The largest message Teams takes (a card included), in bytes.
pub const MAX_MESSAGE_BYTES: usize = 28 * 1024;
/// The Adaptive Card schema version used (what Teams renders on every client).
pub const CARD_VERSION: &str = "1.4";

fn key(secret_b64: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(secret_b64.trim())
        .ok()
}

/// Checks an outgoing webhook's request: `authorization` must be `HMAC <signature>` of
/// `body` under the webhook's security token (as Teams shows it, base64).
pub fn verify(secret_b64: &str, authorization: Option<&str>, body: &[u8]) -> Result<(), Refusal> {
    if body.len() > crate::slack::MAX_BODY {
        return Err(Refusal::TooLarge);
    }
    let Some(auth) = authorization else {
        return Err(Refusal::Unsigned);
    };
    let sent = auth
        .trim()
        .strip_prefix("HMAC ")
        .and_then(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .ok()
        })
        .ok_or(Refusal::BadSignature)?;
    let key = key(secret_b64).ok_or(Refusal::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| Refusal::BadSignature)?;
    mac.update(body);
    mac.verify_slice(&sent).map_err(|_| Refusal::BadSignature)
}

/// The `Authorization` header Teams sends with `body` (for tests and setup checks).
pub fn sign(secret_b64: &str, body: &[u8]) -> String {
    let Some(key) = key(secret_b64) else {
        return String::new();
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
        return String::new();
    };
    mac.update(body);
    format!(
        "HMAC {}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// The question in an activity's text: the `<at>…</at>` mention of the webhook and any
/// other markup removed, entities decoded, spaces collapsed.
pub fn question(activity: &Value) -> String {
    let text = activity["text"].as_str().unwrap_or_default();
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("<at>") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("</at>").map_or("", |j| &rest[i + j + 5..]);
    }
    out.push_str(rest);
    let mut plain = String::new();
    let mut in_tag = false;
    for c in out.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let plain = plain
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A text block of a card.
pub fn text(s: &str, strong: bool) -> Value {
    let mut v = json!({"type": "TextBlock", "text": s, "wrap": true});
    if strong {
        v["weight"] = "Bolder".into();
        v["size"] = "Medium".into();
    }
    v
}

/// An Adaptive Card with `body` and, optionally, link buttons `(title, url)`.
pub fn card(body: Vec<Value>, links: &[(String, String)]) -> Value {
    let mut c = json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
    });
    if !links.is_empty() {
        c["actions"] = links
            .iter()
            .map(|(t, u)| json!({"type": "Action.OpenUrl", "title": t, "url": u}))
            .collect();
    }
    c
}

/// A message activity carrying one card: the answer to an outgoing webhook, and the body
/// posted to an incoming webhook or a Workflows URL.
pub fn message(card: Value) -> Value {
    json!({
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    })
}

/// Checks a message of cards: its size, and that each card is an Adaptive Card of the
/// version used with a body of blocks and `Action.OpenUrl` actions with `https` URLs.
pub fn check(message: &Value) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    let size = message.to_string().len();
    if size > MAX_MESSAGE_BYTES {
        errors.push(format!("{size} bytes, more than {MAX_MESSAGE_BYTES}"));
    }
    let attachments = message["attachments"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if message["type"] != "message" || attachments.is_empty() {
        errors.push("not a message with attachments".into());
    }
    for a in attachments {
        let c = &a["content"];
        if a["contentType"] != "application/vnd.microsoft.card.adaptive"
            || c["type"] != "AdaptiveCard"
            || c["version"] != CARD_VERSION
        {
            errors.push("an attachment is not an Adaptive Card".into());
        }
        let body = c["body"].as_array().map_or(&[][..], Vec::as_slice);
        if body.is_empty() {
            errors.push("a card without a body".into());
        }
        for b in body {
            if b["type"] != "TextBlock" || b["text"].as_str().is_none_or(str::is_empty) {
                errors.push(format!("a body element that is not a text block: {b}"));
            }
        }
        for act in c["actions"].as_array().map_or(&[][..], Vec::as_slice) {
            if act["type"] != "Action.OpenUrl"
                || !act["url"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("https://"))
            {
                errors.push(format!("an action that is not an https link: {act}"));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Posts a message to an incoming webhook or Workflows URL: `429` and 5xx are tried again
/// after a backoff (three tries in all); the URL (a credential) never appears in an error.
pub async fn post(url: &str, message: &Value) -> Result<(), crate::slack_api::ApiError> {
    use crate::slack_api::ApiError;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let mut wait = std::time::Duration::from_millis(500);
    let mut last = String::new();
    for _ in 0..3 {
        match http.post(url).json(message).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) if r.status().as_u16() == 429 || r.status().is_server_error() => {
                last = format!("HTTP {}", r.status());
            }
            Ok(r) => {
                return Err(ApiError::Slack {
                    method: "the Teams webhook".into(),
                    error: format!("HTTP {}", r.status()),
                })
            }
            Err(e) => {
                last = if e.is_timeout() {
                    "a timeout".into()
                } else {
                    "no connection".into()
                }
            }
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
    Err(ApiError::Unreachable {
        method: "the Teams webhook".into(),
        detail: format!("{last} after 3 tries"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_bodies_verify_and_changed_ones_do_not() {
        // A token as Teams shows it: 32 random bytes, base64.
        let secret = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let body = br#"{"type":"message","text":"<at>Flywheel</at> can I?"}"#;
        let auth = sign(&secret, body);
        assert!(auth.starts_with("HMAC "));
        assert_eq!(verify(&secret, Some(&auth), body), Ok(()));
        assert_eq!(
            verify(&secret, Some(&auth), b"{}"),
            Err(Refusal::BadSignature)
        );
        assert_eq!(verify(&secret, None, body), Err(Refusal::Unsigned));
        assert_eq!(
            verify(&secret, Some("Bearer x"), body),
            Err(Refusal::BadSignature)
        );
        let other = base64::engine::general_purpose::STANDARD.encode([8u8; 32]);
        assert_eq!(
            verify(&other, Some(&auth), body),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn the_question_is_the_text_without_the_mention() {
        let a = json!({"text": "<at>Flywheel</at>&nbsp;can I use <b>ChatGPT Enterprise</b> to summarise a contract?\n"});
        assert_eq!(
            question(&a),
            "can I use ChatGPT Enterprise to summarise a contract?"
        );
        let m = message(card(
            vec![text("Yes", true)],
            &[("Open".into(), "https://x.example".into())],
        ));
        assert_eq!(check(&m), Ok(()));
        let bad = message(card(
            vec![],
            &[("Open".into(), "javascript:alert(1)".into())],
        ));
        assert_eq!(check(&bad).map_err(|e| e.len()), Err(2));
    }
}
