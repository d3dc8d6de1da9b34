//! Slack's Events API envelopes (`POST /chat/slack/events`): the `url_verification`
//! handshake, and `event_callback`s with their `event_id` (the key a retry repeats) and the
//! inner event, left as JSON for the application to read with the export's own readers.

use serde_json::Value;

/// An Events API request, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Envelope {
    /// Slack checks the request URL: answer with the challenge.
    UrlVerification { challenge: String },
    /// An event of the workspace `team_id`.
    Callback {
        event_id: String,
        team_id: String,
        event: Value,
    },
    /// Slack tells the app it is being rate-limited (`app_rate_limited`), or anything else.
    Other(String),
}

/// Reads an envelope; an error says what is missing.
pub fn envelope(body: &[u8]) -> Result<Envelope, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default();
    match text("type") {
        "url_verification" => Ok(Envelope::UrlVerification {
            challenge: text("challenge").to_owned(),
        }),
        "event_callback" => {
            let event_id = text("event_id");
            if event_id.is_empty() {
                return Err("an event_callback without an event_id".into());
            }
            let event = v.get("event").cloned().unwrap_or(Value::Null);
            if !event.is_object() {
                return Err("an event_callback without an event".into());
            }
            Ok(Envelope::Callback {
                event_id: event_id.to_owned(),
                team_id: text("team_id").to_owned(),
                event,
            })
        }
        other => Ok(Envelope::Other(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slacks_samples_read() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/slack-app/events"
        );
        let mut n = 0;
        for entry in std::fs::read_dir(dir).expect("the samples") {
            let path = entry.expect("entry").path();
            let mut v: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
            // The samples leave every value empty; an envelope has a type and an id.
            v["type"] = "event_callback".into();
            v["event_id"] = "Ev0123".into();
            let body = serde_json::to_vec(&v).expect("json");
            match envelope(&body) {
                Ok(Envelope::Callback {
                    event_id, event, ..
                }) => {
                    assert_eq!(event_id, "Ev0123");
                    assert!(event["type"].is_string(), "{}", path.display());
                }
                other => panic!("{}: {other:?}", path.display()),
            }
            n += 1;
        }
        assert!(n >= 15, "{n} samples");
        assert_eq!(
            envelope(br#"{"type":"url_verification","challenge":"3eZbrw1a"}"#),
            Ok(Envelope::UrlVerification {
                challenge: "3eZbrw1a".into()
            })
        );
        assert!(envelope(br#"{"type":"event_callback","event":{}}"#).is_err());
        assert!(envelope(b"not json").is_err());
    }
}
