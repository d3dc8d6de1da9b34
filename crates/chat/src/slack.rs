//! Slack: request signing (v0) and the app manifest.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

/// How far a request's timestamp may be from now, either way (Slack's own rule: a replay
/// of a captured request is refused after five minutes).
pub const MAX_SKEW_SECS: i64 = 5 * 60;
/// The largest request body accepted from Slack (its payloads are a few kilobytes).
pub const MAX_BODY: usize = 512 * 1024;

/// Why a request claiming to come from Slack was refused. `code` is stable (metrics,
/// logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the request has no X-Slack-Signature or X-Slack-Request-Timestamp")]
    Unsigned,
    #[error("the request's timestamp is not a number of seconds")]
    Malformed,
    #[error("the request was signed more than five minutes from now (a replay, or a wrong clock)")]
    Stale,
    #[error("the request's signature does not match its body")]
    BadSignature,
    #[error("the request body is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the same signed request was received before (a replay)")]
    Replayed,
    #[error("Slack is not connected to this Flywheel")]
    NotConnected,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Unsigned => "unsigned",
            Refusal::Malformed => "malformed",
            Refusal::Stale => "stale",
            Refusal::BadSignature => "bad_signature",
            Refusal::TooLarge => "too_large",
            Refusal::Replayed => "replayed",
            Refusal::NotConnected => "not_connected",
        }
    }
}

/// Checks a request from Slack: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}` under the
/// app's signing secret, compared in constant time, and a timestamp within
/// [`MAX_SKEW_SECS`] of `now` (Unix seconds).
///
/// Written here rather than taken from `slack-morphism`: its verifier reads the clock
/// itself, so neither Slack's documented example (signed in 2018) nor the replay window
/// could be tested through it; the check is an HMAC and a comparison, on the `hmac` crate.
pub fn verify(
    signing_secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), Refusal> {
    if body.len() > MAX_BODY {
        return Err(Refusal::TooLarge);
    }
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return Err(Refusal::Unsigned);
    };
    let when: i64 = ts.trim().parse().map_err(|_| Refusal::Malformed)?;
    if (now - when).abs() > MAX_SKEW_SECS {
        return Err(Refusal::Stale);
    }
    let hex = sig
        .trim()
        .strip_prefix("v0=")
        .ok_or(Refusal::BadSignature)?;
    let expected = decode_hex(hex).ok_or(Refusal::BadSignature)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(signing_secret).map_err(|_| Refusal::BadSignature)?;
    mac.update(b"v0:");
    mac.update(ts.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| Refusal::BadSignature)
}

/// The `X-Slack-Signature` of `body` at `timestamp` (for the tests' stand-in Slack, and
/// for anyone checking a setup by hand).
pub fn sign(signing_secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail; an empty signature would never
    // verify if it did.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(signing_secret) else {
        return String::new();
    };
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// The Slack app manifest (the JSON pasted into "Create an app → From a manifest"). Typed
/// here: no maintained crate models manifests.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub display_information: Display,
    pub features: Features,
    pub oauth_config: OAuth,
    pub settings: Settings,
}

#[derive(Debug, Clone, Serialize)]
pub struct Display {
    pub name: String,
    pub description: String,
    pub long_description: String,
    pub background_color: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Features {
    pub app_home: AppHome,
    pub bot_user: BotUser,
    pub shortcuts: Vec<Shortcut>,
    pub slash_commands: Vec<SlashCommand>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppHome {
    pub home_tab_enabled: bool,
    pub messages_tab_enabled: bool,
    pub messages_tab_read_only_enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct BotUser {
    pub display_name: String,
    pub always_online: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Shortcut {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub callback_id: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlashCommand {
    pub command: String,
    pub url: String,
    pub description: String,
    pub usage_hint: String,
    pub should_escape: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct OAuth {
    pub scopes: Scopes,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scopes {
    pub bot: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub event_subscriptions: Events,
    pub interactivity: Interactivity,
    pub org_deploy_enabled: bool,
    pub socket_mode_enabled: bool,
    pub token_rotation_enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Events {
    pub request_url: String,
    pub bot_events: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Interactivity {
    pub is_enabled: bool,
    pub request_url: String,
}

/// What Flywheel asks of a workspace, with why (the README lists the same).
pub const SCOPES: &[(&str, &str)] = &[
    (
        "channels:history",
        "read the help and wins channels it is in (public)",
    ),
    (
        "groups:history",
        "the same in private channels it is invited to",
    ),
    ("channels:read", "know the channels' names and members"),
    (
        "groups:read",
        "know the names of the private channels it is invited to",
    ),
    ("reactions:read", "count reactions as signals"),
    ("chat:write", "answer, post wins and the digest"),
    ("commands", "the /cani command"),
    ("im:write", "send nudges and notices as direct messages"),
    ("users:read", "tell people from bots"),
    (
        "users:read.email",
        "match people to the org chart by work email",
    ),
];

/// The events Flywheel subscribes to.
pub const EVENTS: &[&str] = &[
    "message.channels",
    "message.groups",
    "reaction_added",
    "reaction_removed",
    "member_joined_channel",
    "app_home_opened",
    "team_join",
    "user_change",
    "tokens_revoked",
    "app_uninstalled",
];

/// The manifest of the app for a Flywheel reached at `url` (`https://HOST`).
pub fn manifest(url: &str, name: &str) -> Manifest {
    let url = url.trim_end_matches('/');
    Manifest {
        display_information: Display {
            name: name.chars().take(35).collect(),
            description: "Can I use this AI tool? Share wins, find champions.".into(),
            long_description: "Flywheel answers \"Can I use this AI tool for this?\" from your company's policy, turns wins shared in chat into a library others can try, invites quiet power users to share, sends unanswered questions to champions, and posts a weekly digest. It keeps derived signals from chat, not message text.".into(),
            background_color: "#3b6ea8".into(),
        },
        features: Features {
            app_home: AppHome {
                home_tab_enabled: true,
                messages_tab_enabled: true,
                messages_tab_read_only_enabled: false,
            },
            bot_user: BotUser {
                display_name: name.chars().take(80).collect(),
                always_online: true,
            },
            shortcuts: vec![Shortcut {
                name: "Share as a win".into(),
                kind: "message".into(),
                callback_id: "share_win".into(),
                description: "Post this message's win to the wins channel".into(),
            }],
            slash_commands: vec![SlashCommand {
                command: "/cani".into(),
                url: format!("{url}/chat/slack/commands"),
                description: "Can I use an AI tool for this?".into(),
                usage_hint: "ChatGPT Enterprise to summarise a customer contract".into(),
                should_escape: false,
            }],
        },
        oauth_config: OAuth {
            scopes: Scopes {
                bot: SCOPES.iter().map(|(s, _)| (*s).to_owned()).collect(),
            },
        },
        settings: Settings {
            event_subscriptions: Events {
                request_url: format!("{url}/chat/slack/events"),
                bot_events: EVENTS.iter().map(|e| (*e).to_owned()).collect(),
            },
            interactivity: Interactivity {
                is_enabled: true,
                request_url: format!("{url}/chat/slack/interactions"),
            },
            org_deploy_enabled: false,
            socket_mode_enabled: false,
            token_rotation_enabled: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/slack-signing/slack-v0-doc-vector.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).expect("the documented vector"))
            .expect("json")
    }

    #[test]
    fn slacks_documented_example_verifies_and_near_misses_do_not() {
        let v = vector();
        let secret = v["signing_secret"].as_str().expect("secret").as_bytes();
        let ts = v["X-Slack-Request-Timestamp"].as_str().expect("ts");
        let sig = v["X-Slack-Signature"].as_str().expect("sig");
        let body = v["body"].as_str().expect("body").as_bytes();
        let then: i64 = ts.parse().expect("ts");
        assert_eq!(verify(secret, Some(ts), Some(sig), body, then + 60), Ok(()));
        assert_eq!(
            sign(secret, then, body),
            sig,
            "signing gives the documented signature"
        );
        let mut other = body.to_vec();
        other[0] ^= 1;
        for (ts2, sig2, body2, now, want) in [
            (Some(ts), Some(sig), &other[..], then, Refusal::BadSignature),
            (
                Some(ts),
                Some(sig),
                body,
                then + MAX_SKEW_SECS + 1,
                Refusal::Stale,
            ),
            (
                Some(ts),
                Some(sig),
                body,
                then - MAX_SKEW_SECS - 1,
                Refusal::Stale,
            ),
            (None, Some(sig), body, then, Refusal::Unsigned),
            (Some(ts), None, body, then, Refusal::Unsigned),
            (Some("yesterday"), Some(sig), body, then, Refusal::Malformed),
            (Some(ts), Some(&sig[3..]), body, then, Refusal::BadSignature),
            (Some(ts), Some("v0=zz"), body, then, Refusal::BadSignature),
        ] {
            assert_eq!(
                verify(secret, ts2, sig2, body2, now),
                Err(want.clone()),
                "{want:?}"
            );
        }
        assert_eq!(
            verify(b"another secret", Some(ts), Some(sig), body, then),
            Err(Refusal::BadSignature)
        );
        let big = vec![b'x'; MAX_BODY + 1];
        assert_eq!(
            verify(secret, Some(ts), Some(sig), &big, then),
            Err(Refusal::TooLarge)
        );
    }

    #[test]
    fn the_manifest_points_every_url_at_this_flywheel() {
        let m =
            serde_json::to_value(manifest("https://fw.example.com/", "Flywheel")).expect("json");
        assert_eq!(
            m["features"]["slash_commands"][0]["url"],
            "https://fw.example.com/chat/slack/commands"
        );
        assert_eq!(
            m["settings"]["event_subscriptions"]["request_url"],
            "https://fw.example.com/chat/slack/events"
        );
        assert_eq!(
            m["settings"]["interactivity"]["request_url"],
            "https://fw.example.com/chat/slack/interactions"
        );
        assert_eq!(m["features"]["shortcuts"][0]["callback_id"], "share_win");
        let scopes = m["oauth_config"]["scopes"]["bot"]
            .as_array()
            .expect("scopes");
        assert!(scopes.iter().any(|s| s == "users:read.email"));
    }

    proptest::proptest! {
        #[test]
        fn what_is_signed_verifies_and_any_changed_byte_does_not(body in proptest::collection::vec(proptest::num::u8::ANY, 0..400), at in 0usize..400, now in 1_500_000_000i64..2_000_000_000) {
            let secret = b"s3cr3t";
            let sig = sign(secret, now, &body);
            let ts = now.to_string();
            proptest::prop_assert_eq!(verify(secret, Some(&ts), Some(&sig), &body, now), Ok(()));
            if !body.is_empty() {
                let mut changed = body.clone();
                changed[at % body.len()] ^= 0x20;
                proptest::prop_assert_eq!(verify(secret, Some(&ts), Some(&sig), &changed, now), Err(Refusal::BadSignature));
            }
        }
    }
}
